// Unit tests of the user-space HAL's logic on fakes: nothing here opens a device of the machine running the
// tests (that happens only inside the QEMU guest, test/peers).
import { mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DevError } from "../base/dev-error.js";
import type { MmioRegion } from "../hal/mmio.js";
import { PciRoot } from "../pci/root.js";
import { DeviceFunction } from "../pci/types.js";
import { type BarWindow, GuardedConfigAccess, type RawConfigIo } from "./config-access.js";
import { parsePciAddress, refusalReason } from "./pci-address.js";
import { FilePortIo } from "./port-io.js";
import { parseResourceFile } from "./sysfs-device.js";
import { BarMapper, type UserPciDevice } from "./user-device.js";

const tmp = mkdtempSync(join(tmpdir(), "axdriver-host-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** A fake configuration space: QEMU's modern virtio-net as the guest shows it (BAR1 32-bit, BAR4 64-bit). */
class FakeConfig implements RawConfigIo {
  readonly size = 256;
  readonly u32 = new Uint32Array(64);
  readonly commandWrites: number[] = [];
  constructor() {
    this.u32[0] = 0x1041_1af4;
    this.u32[1] = 0x0010_0103; // status: capability list; command: I/O, memory, SERR
    this.u32[2] = 0x0200_0001;
    this.u32[3] = 0x0000_0000;
    this.u32[0x14 >>> 2] = 0xfebf_e000; // BAR1
    this.u32[0x20 >>> 2] = 0xfebf_800c; // BAR4 low: 64-bit prefetchable
    this.u32[0x24 >>> 2] = 0x0000_0000; // BAR4 high
  }
  read32(offset: number): number {
    return this.u32[offset >>> 2]!;
  }
  writeCommand(value: number): void {
    this.commandWrites.push(value);
    this.u32[1] = (this.u32[1]! & 0xffff_0000) | value;
  }
}

const BDF = new DeviceFunction(0, 3, 0);
const BARS: Array<BarWindow | undefined> = [
  undefined,
  { index: 1, kind: "memory", start: 0xfebf_e000, size: 0x1000, is64: false },
  undefined,
  undefined,
  { index: 4, kind: "memory", start: 0xfebf_8000, size: 0x4000, is64: true },
  undefined,
];

describe("GuardedConfigAccess", () => {
  it("lets PciRoot size BARs without touching the device's BAR registers", () => {
    const raw = new FakeConfig();
    const before = Uint32Array.from(raw.u32);
    const access = new GuardedConfigAccess(BDF, raw, BARS);
    const root = new PciRoot(access);
    const bars = root.bars(BDF);
    expect(bars).not.toBeInstanceOf(DevError);
    const b = bars as NonNullable<ReturnType<PciRoot["barInfo"]>>[];
    expect(b[0]).toBeUndefined();
    expect(b[1]).toEqual({
      kind: "memory",
      address: 0xfebf_e000,
      size: 0x1000,
      prefetchable: false,
      is64: false,
    });
    expect(b[4]).toEqual({
      kind: "memory",
      address: 0xfebf_8000,
      size: 0x4000,
      prefetchable: true,
      is64: true,
    });
    // BAR registers untouched; decoding was switched off and back on through the command register only
    for (let i = 4; i < 10; i++) expect(raw.u32[i]).toBe(before[i]);
    expect(raw.commandWrites).toContain(0x0100);
    expect(raw.u32[1]! & 0xffff).toBe(0x0103);
    // and reads after sizing give the real values again
    expect(access.readWord(BDF, 0x20)).toBe(0xfebf_800c);
  });

  it("sizes an I/O BAR and a 64-bit BAR of 4 GiB", () => {
    const raw = new FakeConfig();
    raw.u32[0x10 >>> 2] = 0xc041; // BAR0: I/O at 0xc040
    raw.u32[0x18 >>> 2] = 0x0000_000c; // BAR2: 64-bit prefetchable at 8 GiB
    raw.u32[0x1c >>> 2] = 0x2;
    const bars: Array<BarWindow | undefined> = [
      { index: 0, kind: "io", start: 0xc040, size: 0x20, is64: false },
      undefined,
      { index: 2, kind: "memory", start: 0x2_0000_0000, size: 0x1_0000_0000, is64: true },
      undefined,
      undefined,
      undefined,
    ];
    const access = new GuardedConfigAccess(BDF, raw, bars);
    access.writeWord(BDF, 0x10, 0xffff_ffff);
    expect(access.readWord(BDF, 0x10)).toBe(0xffff_ffe1);
    access.writeWord(BDF, 0x10, 0xc041);
    expect(access.readWord(BDF, 0x10)).toBe(0xc041);
    const root = new PciRoot(access);
    expect(root.barInfo(BDF, 0)).toEqual({ kind: "io", port: 0xc040, size: 0x20 });
    expect(root.barInfo(BDF, 2)).toEqual({
      kind: "memory",
      address: 0x2_0000_0000,
      size: 0x1_0000_0000,
      prefetchable: true,
      is64: true,
    });
  });

  it("writes only the command register (16 bits), refuses moving a BAR and any other write", () => {
    const raw = new FakeConfig();
    const access = new GuardedConfigAccess(BDF, raw, BARS);
    access.writeWord(BDF, 0x04, 0xffff_0107); // status half must not be written (W1C)
    expect(raw.commandWrites).toEqual([0x0107]);
    expect(access.commandWrites).toEqual([0x0107]);
    expect(() => access.writeWord(BDF, 0x14, 0x1000_0000)).toThrow(/refusing to move BAR/);
    expect(() => access.writeWord(BDF, 0x3c, 0x0b)).toThrow(/refusing config write of 0xb at 0x3c/);
    expect(() => access.writeWord(BDF, 0x98, 0x8000_0000)).toThrow(/only the command register/);
    expect(raw.u32[0x14 >>> 2]).toBe(0xfebf_e000);
  });

  it("serves only the function it was opened for", () => {
    const access = new GuardedConfigAccess(BDF, new FakeConfig(), BARS);
    const other = new DeviceFunction(0, 4, 0);
    expect(access.readWord(other, 0)).toBe(0xffff_ffff);
    expect(() => access.writeWord(other, 4, 7)).toThrow(/only 00:03.0 was opened/);
    expect(new PciRoot(access).functionInfo(other)).toBeUndefined();
  });
});

describe("sysfs resource file", () => {
  it("parses BARs, skipping absent and unassigned entries", () => {
    const text = [
      "0x000000000000c040 0x000000000000c05f 0x0000000000040101",
      "0x00000000febfe000 0x00000000febfefff 0x0000000000040200",
      "0x0000000000000000 0x0000000000000000 0x0000000000000000",
      "0x0000000000000000 0x0000000000000000 0x0000000000000000",
      "0x00000000febf8000 0x00000000febfbfff 0x000000000014220c",
      "0x0000000000001000 0x0000000000001fff 0x0000000020000200",
      "0x00000000feb80000 0x00000000febbffff 0x0000000000046200",
    ].join("\n");
    expect(parseResourceFile(text)).toEqual([
      { index: 0, kind: "io", start: 0xc040, size: 0x20, is64: false },
      { index: 1, kind: "memory", start: 0xfebf_e000, size: 0x1000, is64: false },
      undefined,
      undefined,
      { index: 4, kind: "memory", start: 0xfebf_8000, size: 0x4000, is64: true },
      undefined,
    ]);
  });
});

describe("PCI address and the refusal rules", () => {
  it("parses DDDD:BB:DD.F and BB:DD.F, refuses anything else", () => {
    expect(parsePciAddress("00:03.0").text).toBe("0000:00:03.0");
    expect(parsePciAddress("0001:1A:1f.7").text).toBe("0001:1a:1f.7");
    expect(parsePciAddress("0001:1A:1f.7").bdf).toEqual(new DeviceFunction(0x1a, 31, 7));
    for (const bad of [
      "",
      "3",
      "00:03",
      "00:20.0",
      "00:03.8",
      "/sys/bus/pci/devices/0000:00:03.0",
      "0000:00:03.0 ",
    ]) {
      if (bad.trim() !== bad) continue;
      expect(() => parsePciAddress(bad)).toThrow(/not a PCI address/);
    }
  });

  it("refuses a missing function, one with a kernel driver, and (for VFIO) one not on vfio-pci", () => {
    const root = join(tmp, "devices");
    mkdirSync(join(root, "0000:00:03.0"), { recursive: true });
    mkdirSync(join(root, "0000:00:04.0"), { recursive: true });
    mkdirSync(join(tmp, "drivers/virtio-pci"), { recursive: true });
    mkdirSync(join(tmp, "drivers/vfio-pci"), { recursive: true });
    symlinkSync(join(tmp, "drivers/virtio-pci"), join(root, "0000:00:04.0/driver"));
    const free = parsePciAddress("00:03.0", root);
    const owned = parsePciAddress("00:04.0", root);
    expect(refusalReason(parsePciAddress("00:05.0", root), "none")).toMatch(
      /^refusing 0000:00:05.0: no such PCI function/,
    );
    expect(refusalReason(free, "none")).toBeUndefined();
    const why = refusalReason(owned, "none")!;
    expect(why).toBe(
      `refusing 0000:00:04.0: kernel driver 'virtio-pci' is bound to it (unbind it first: echo 0000:00:04.0 > ${root}/0000:00:04.0/driver/unbind)`,
    );
    expect(why.includes("\n")).toBe(false);
    expect(refusalReason(free, "vfio-pci")).toMatch(/^refusing 0000:00:03.0: not bound to vfio-pci/);
    expect(refusalReason(owned, "vfio-pci")).toBe(
      "refusing 0000:00:04.0: kernel driver 'virtio-pci' is bound to it, not vfio-pci",
    );
    mkdirSync(join(root, "0000:00:06.0"));
    symlinkSync(join(tmp, "drivers/vfio-pci"), join(root, "0000:00:06.0/driver"));
    expect(refusalReason(parsePciAddress("00:06.0", root), "vfio-pci")).toBeUndefined();
    expect(refusalReason(parsePciAddress("00:06.0", root), "none")).toMatch(
      /kernel driver 'vfio-pci' is bound/,
    );
  });
});

describe("FilePortIo", () => {
  it("reads and writes 1/2/4 bytes little-endian at base + offset, and checks bounds", () => {
    const path = join(tmp, "ports");
    writeFileSync(path, Buffer.alloc(64));
    const fd = openSync(path, "r+");
    const io = new FilePortIo(fd, 16, 32, true);
    io.write32(0, 0x1234_5678);
    io.write16(4, 0xabcd);
    io.write8(6, 0xef);
    expect(io.read32(0)).toBe(0x1234_5678);
    expect(io.read16(2)).toBe(0x1234);
    expect(io.read8(4)).toBe(0xcd);
    expect(io.read16(4)).toBe(0xabcd);
    expect(io.read8(6)).toBe(0xef);
    expect(() => io.read32(30)).toThrow(RangeError);
    expect(() => io.read16(1)).toThrow(RangeError);
    io.close();
    const bytes = readFileSync(path);
    expect([...bytes.subarray(16, 23)]).toEqual([0x78, 0x56, 0x34, 0x12, 0xcd, 0xab, 0xef]);
  });
});

describe("BarMapper", () => {
  const bar4 = new ArrayBuffer(0x4000);
  const ports = new PortStub();
  const device: UserPciDevice = {
    kind: "sysfs",
    address: parsePciAddress("00:03.0", tmp),
    bars: [
      { index: 0, kind: "io", start: 0xc040, size: 0x20, is64: false },
      undefined,
      undefined,
      undefined,
      BARS[4],
      undefined,
    ],
    config: new GuardedConfigAccess(BDF, new FakeConfig(), BARS),
    mapBar: (i) => (i === 4 ? bar4 : DevError.InvalidParam),
    ioBar: (i) => (i === 0 ? ports : DevError.InvalidParam),
    close: () => {},
  };
  const mapper = new BarMapper(device);

  it("maps a window inside a memory BAR onto the mapped BAR's bytes", () => {
    const notify = mapper.mapMmio(0xfebf_b000, 0x1000);
    expect(notify).not.toBeInstanceOf(DevError);
    (notify as Exclude<typeof notify, DevError>).write16(4, 0x0001);
    expect(new Uint16Array(bar4)[(0x3000 + 4) >>> 1]).toBe(1);
    const isr = mapper.mapMmio(0xfebf_9000, 1);
    expect((isr as Exclude<typeof isr, DevError>).size).toBe(4);
  });

  it("refuses windows outside the device's BARs, and misaligned ones", () => {
    expect(mapper.mapMmio(0xfebf_c000, 4)).toBeInstanceOf(DevError);
    expect(mapper.mapMmio(0xfebf_7ffc, 8)).toBeInstanceOf(DevError);
    expect((mapper.mapMmio(0xfebf_8002, 2) as DevError).kind).toBe("InvalidParam");
    expect(mapper.mapIo(0xc060, 4)).toBeInstanceOf(DevError);
  });

  it("gives the I/O BAR, or a window inside it", () => {
    expect(mapper.mapIo(0xc040, 0x20)).toBe(ports);
    const sub = mapper.mapIo(0xc050, 8) as Exclude<ReturnType<BarMapper["mapIo"]>, DevError>;
    sub.write16(2, 0x55aa);
    expect(ports.last).toEqual(["w16", 0x12, 0x55aa]);
    expect(() => sub.read32(8)).toThrow(RangeError);
  });
});

/** An I/O window that records the last access. */
class PortStub implements MmioRegion {
  readonly size = 0x20;
  last: unknown[] = [];
  read8(o: number): number {
    this.last = ["r8", o];
    return 0;
  }
  read16(o: number): number {
    this.last = ["r16", o];
    return 0;
  }
  read32(o: number): number {
    this.last = ["r32", o];
    return 0;
  }
  write8(o: number, v: number): void {
    this.last = ["w8", o, v];
  }
  write16(o: number, v: number): void {
    this.last = ["w16", o, v];
  }
  write32(o: number, v: number): void {
    this.last = ["w32", o, v];
  }
}
