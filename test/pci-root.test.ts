import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DevError, isErrorKind, unwrap } from "../src/base/dev-error.js";
import { PciFunctionModel } from "../src/emu/pci/index.js";
import { HandlerMmio } from "../src/hal/mmio.js";
import { CamAccess, EcamAccess, MmioConfigAccess, PciRoot, PortCamAccess } from "../src/pci/index.js";
import type { ConfigurationAccess, DeviceFunction } from "../src/pci/types.js";
import { bdf, buildMachine, Regs } from "./pci-fixtures.js";

function ecamRoot(f = buildMachine()) {
  const access = unwrap(MmioConfigAccess.map(f.machine.hal, f.machine.config.pciEcamBase, 0xff));
  return { f, root: new PciRoot(access), access };
}

const list = (root: PciRoot, bus: number) =>
  [...root.enumerateBus(bus)].map(
    ([d, i]) =>
      `${d} ${i.vendorId.toString(16)}:${i.deviceId.toString(16)} ${i.classCode}.${i.subclass} h${i.headerType}${i.multifunction ? " mf" : ""} r${i.revision}`,
  );

describe("PciRoot enumeration", () => {
  it("finds every function on bus 0, with the multi-function rule", () => {
    const { root } = ecamRoot();
    expect(list(root, 0)).toEqual([
      "00:00.0 8086:d57 6.0 h0 r0",
      "00:01.0 8086:10fb 2.0 h0 r1",
      "00:02.0 1af4:1041 2.0 h0 mf r0",
      "00:02.1 1af4:1041 2.0 h0 r1",
      "00:02.3 1af4:1041 2.0 h0 r3",
      "00:03.0 1234:1 255.0 h0 r0", // 00:03.1 is not reported: function 0 is single-function
      "00:04.0 1b36:1 6.4 h1 r0",
    ]);
  });

  it("finds the function behind the bridge on its secondary bus, and nothing on other buses", () => {
    const { root } = ecamRoot();
    expect(list(root, 1)).toEqual(["01:00.0 1af4:1000 2.0 h0 r0"]);
    expect(list(root, 2)).toEqual([]);
    expect(list(root, 0xff)).toEqual([]);
  });

  it("numbers unprogrammed bridges depth first", () => {
    const f = buildMachine();
    const { root } = ecamRoot(f);
    // firmware did nothing: clear the bridge's bus numbers; bus 1 goes dark
    root.configWrite32(bdf(0, 4, 0), 0x18, 0);
    expect(list(root, 1)).toEqual([]);
    expect(root.assignBusNumbers()).toBe(1);
    expect(root.configRead32(bdf(0, 4, 0), 0x18) & 0xffffff).toBe(0x010100);
    expect(list(root, 1)).toEqual(["01:00.0 1af4:1000 2.0 h0 r0"]);
  });

  it("gives the same view through ECAM, memory-mapped CAM and x86 port CAM", () => {
    const f = buildMachine();
    const ecam = new EcamAccess(unwrap(f.machine.hal.mapMmio(f.machine.config.pciEcamBase, 0x1000_0000)));
    const cam = new CamAccess(new HandlerMmio(f.machine.pci.cam, 0x100_0000));
    const port = new PortCamAccess(unwrap(f.machine.hal.mapIo(0xcf8, 8)));
    const views = [ecam, cam, port].map((a) => [...list(new PciRoot(a), 0), ...list(new PciRoot(a), 1)]);
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
    expect(views[0]).toHaveLength(8);
    // writes go through each mechanism too
    cam.writeWord(bdf(0, 1, 0), 0x10, 0x4000_0000);
    expect(ecam.readWord(bdf(0, 1, 0), 0x10)).toBe(0x4000_0004);
    port.writeWord(bdf(1, 0, 0), 0x10, 0x5000_0000);
    expect(ecam.readWord(bdf(1, 0, 0), 0x10)).toBe(0x5000_0008);
    // CAM has 256 bytes per function; ECAM 4 KiB; misaligned or beyond is a programming error
    expect(() => cam.readWord(bdf(0, 1, 0), 0x100)).toThrow(RangeError);
    expect(() => ecam.readWord(bdf(0, 1, 0), 0x102)).toThrow(RangeError);
    expect(ecam.readWord(bdf(0, 1, 0), 0x100)).toBe(0); // no extended capabilities
  });

  it("computes ECAM and CAM offsets as virtio-drivers does", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 255 }),
        fc.integer({ min: 0, max: 31 }),
        fc.integer({ min: 0, max: 7 }),
        fc.integer({ min: 0, max: 63 }),
        (b, d, fn, reg) => {
          const ecam = new MmioConfigAccess(new HandlerMmio(new Regs(16), 0x1000_0000), "ecam");
          const cam = new MmioConfigAccess(new HandlerMmio(new Regs(16), 0x100_0000), "cam");
          const devfn = (b << 8) | (d << 3) | fn;
          expect(ecam.regionOffset(bdf(b, d, fn), reg * 4)).toBe(devfn * 4096 + reg * 4);
          expect(cam.regionOffset(bdf(b, d, fn), reg * 4)).toBe(devfn * 256 + reg * 4);
        },
      ),
    );
  });
});

describe("PciRoot BARs", () => {
  it("sizes every kind of BAR and leaves the BAR and command as they were", () => {
    const { f, root } = ecamRoot();
    const nic = bdf(0, 1, 0);
    root.setCommand(nic, 0x3);
    expect(unwrap(root.bars(nic))).toEqual([
      { kind: "memory", address: 0, size: 0x80000, prefetchable: false, is64: true },
      undefined,
      { kind: "io", port: 0, size: 32 },
      undefined,
      { kind: "memory", address: 0, size: 0x4000, prefetchable: true, is64: true },
      undefined,
    ]);
    expect(root.getCommand(nic)).toBe(0x3);
    expect(f.nic.configRead(0x10, 4)).toBe(0x4);
    expect(unwrap(root.barInfo(bdf(0, 2, 0), 1))).toEqual({
      kind: "memory",
      address: 0,
      size: 0x1000,
      prefetchable: false,
      is64: false,
    });
    expect(unwrap(root.barInfo(bdf(0, 2, 0), 0))).toBeUndefined();
    expect(unwrap(root.barInfo(bdf(1, 0, 0), 0))).toEqual({
      kind: "memory",
      address: 0,
      size: 0x10_0000,
      prefetchable: true,
      is64: false,
    });
    // a bridge has two BARs (none implemented here)
    expect(unwrap(root.bars(bdf(0, 4, 0)))).toEqual([undefined, undefined]);
  });

  it("rejects the upper half of a 64-bit BAR and BAR numbers beyond the header", () => {
    const { root } = ecamRoot();
    expect(isErrorKind(root.barInfo(bdf(0, 1, 0), 1), "InvalidParam")).toBe(true);
    expect(isErrorKind(root.barInfo(bdf(0, 1, 0), 5), "InvalidParam")).toBe(true);
    expect(isErrorKind(root.barInfo(bdf(0, 1, 0), 6), "InvalidParam")).toBe(true);
    expect(isErrorKind(root.barInfo(bdf(0, 4, 0), 2), "InvalidParam")).toBe(true);
  });

  it("reports a device that claims a 64-bit BAR in its last slot as BadState", () => {
    // a hostile config space: BAR5 says 64-bit
    const access: ConfigurationAccess = {
      readWord: (_d: DeviceFunction, off: number) => (off === 0x24 ? 0x4 : off === 0 ? 0x00011234 : 0),
      writeWord: () => {},
    };
    const r = new PciRoot(access).barInfo(bdf(0, 0, 0), 5);
    expect(isErrorKind(r, "BadState")).toBe(true);
  });

  it("assigns BARs (64-bit through both halves) and decodes them once enabled", () => {
    const { f, root } = ecamRoot();
    const nic = bdf(0, 1, 0);
    root.setBar64(nic, 0, 0x80_4000_0000);
    root.setBar32(nic, 2, 0x2000);
    root.setBar64(nic, 4, 0x4000_0000);
    expect(f.nic.configRead(0x10, 4)).toBe(0x4000_0004);
    expect(f.nic.configRead(0x14, 4)).toBe(0x80);
    expect(unwrap(root.barInfo(nic, 0))).toEqual({
      kind: "memory",
      address: 0x80_4000_0000,
      size: 0x80000,
      prefetchable: false,
      is64: true,
    });
    expect(unwrap(root.barInfo(nic, 2))).toEqual({ kind: "io", port: 0x2000, size: 32 });
    f.nicBar0.mem.set([0x78, 0x56, 0x34, 0x12], 0x10);
    f.nicIo.mem[4] = 0x5a;
    const bar0 = unwrap(f.machine.hal.mapMmio(0x80_4000_0000, 0x80000));
    const io = unwrap(f.machine.hal.mapIo(0x2000, 32));
    expect(bar0.read32(0x10)).toBe(0xffffffff);
    root.setCommand(nic, 0x2);
    expect(bar0.read32(0x10)).toBe(0x12345678);
    expect(io.read8(4)).toBe(0xff);
    root.setCommand(nic, 0x7);
    expect(io.read8(4)).toBe(0x5a);
    expect(f.nic.busMaster).toBe(true);
    // sizing a decoding BAR switches decoding off meanwhile and back on afterwards
    f.nicBar0.log.length = 0;
    unwrap(root.barInfo(nic, 0));
    expect(root.getCommand(nic)).toBe(0x7);
    expect(bar0.read32(0x10)).toBe(0x12345678);
  });
});

describe("PciRoot config access and capabilities", () => {
  it("reads and writes sub-word fields; read-only fields ignore writes", () => {
    const { f, root } = ecamRoot();
    const nic = bdf(0, 1, 0);
    expect(root.configRead16(nic, 2)).toBe(0x10fb);
    expect(root.configRead8(nic, 8)).toBe(1);
    expect(root.configRead8(nic, 0x3d)).toBe(1);
    root.configWrite16(nic, 0, 0xdead);
    root.configWrite16(nic, 0x0a, 0xffff);
    root.configWrite32(nic, 0x2c, 0);
    root.configWrite8(nic, 0x0e, 0x81);
    expect(root.configRead32(nic, 0)).toBe(0x10fb8086);
    expect(root.configRead16(nic, 0x0a)).toBe(0x0200);
    expect(root.configRead32(nic, 0x2c)).toBe(0x000c8086);
    expect(root.configRead8(nic, 0x0e)).toBe(0);
    root.configWrite8(nic, 0x3c, 11);
    expect(root.configRead16(nic, 0x3c)).toBe(0x010b);
    expect(f.nic.configRead(0x3c, 1)).toBe(11);
  });

  it("writes the command without clearing status error bits, and clears them only on purpose", () => {
    const { f, root } = ecamRoot();
    const nic = bdf(0, 1, 0);
    f.nic.raiseStatus(0x2000);
    root.setCommand(nic, 0x6);
    root.configWrite16(nic, 4, 0x7);
    root.configWrite8(nic, 4, 0x7);
    expect(root.getStatus(nic) & 0x2000).toBe(0x2000);
    expect(root.getCommand(nic)).toBe(0x7);
    root.clearStatus(nic, 0x2000);
    expect(root.getStatus(nic) & 0x2000).toBe(0);
    expect(root.getCommand(nic)).toBe(0x7);
  });

  it("walks the capability list", () => {
    const { root } = ecamRoot();
    expect(root.capabilities(bdf(0, 1, 0))).toEqual([
      { offset: 0x40, id: 0x09, privateHeader: 0x5a04 },
      { offset: 0x44, id: 0x11, privateHeader: 0x003f },
    ]);
    expect(root.findCapability(bdf(0, 1, 0), 0x11)?.offset).toBe(0x44);
    expect(root.findCapability(bdf(0, 1, 0), 0x05)).toBeUndefined();
    expect(root.capabilities(bdf(0, 2, 0))).toEqual([]);
  });

  it("survives hostile capability lists: loops, pointers into the header, missing status bit", () => {
    const space = new Uint32Array(64);
    space[0] = 0x00011234;
    space[1] = 0x0010 << 16; // status: capability list
    space[0x34 / 4] = 0x40;
    space[0x40 / 4] = 0x0000_4409; // -> 0x44
    space[0x44 / 4] = 0x0000_4311; // -> 0x43 & 0xFC = 0x40: a loop
    const access: ConfigurationAccess = {
      readWord: (_d, off) => space[off / 4]!,
      writeWord: (_d, off, v) => {
        space[off / 4] = v;
      },
    };
    const root = new PciRoot(access);
    const loop = root.capabilities(bdf(0, 0, 0));
    expect(loop).toHaveLength(48);
    expect(loop.slice(0, 3).map((c) => c.offset)).toEqual([0x40, 0x44, 0x40]);
    space[0x44 / 4] = 0x0000_1011; // -> 0x10: into the header
    expect(root.capabilities(bdf(0, 0, 0)).map((c) => c.id)).toEqual([0x09, 0x11]);
    space[1] = 0;
    expect(root.capabilities(bdf(0, 0, 0))).toEqual([]);
  });

  it("reads all ones and finds nothing where no function is", () => {
    const { root } = ecamRoot();
    expect(root.functionInfo(bdf(0, 9, 0))).toBeUndefined();
    expect(root.configRead32(bdf(0, 9, 0), 0)).toBe(0xffffffff);
    expect(root.configRead16(bdf(0, 9, 0), 2)).toBe(0xffff);
  });
});

describe("sizing matches the model for any BAR", () => {
  it("reports kind, size and flags of random BAR layouts", () => {
    const barArb = fc.record({
      kind: fc.constantFrom("memory32" as const, "memory64" as const, "io" as const),
      log2: fc.integer({ min: 4, max: 40 }),
      prefetchable: fc.boolean(),
    });
    fc.assert(
      fc.property(fc.array(barArb, { minLength: 1, maxLength: 6 }), (specs) => {
        const bars = [];
        let index = 0;
        for (const s of specs) {
          const is64 = s.kind === "memory64";
          if (index + (is64 ? 1 : 0) > 5) break;
          const log2 =
            s.kind === "io" ? Math.min(s.log2, 8) : s.kind === "memory32" ? Math.min(s.log2, 31) : s.log2;
          bars.push({
            index,
            kind: s.kind,
            size: 2 ** log2,
            prefetchable: s.prefetchable,
            handler: new Regs(4),
          });
          index += is64 ? 2 : 1;
        }
        const fn = new PciFunctionModel({ vendorId: 0x1234, deviceId: 1, classCode: 2, subclass: 0, bars });
        const access: ConfigurationAccess = {
          readWord: (_d, off) => fn.configRead(off, 4),
          writeWord: (_d, off, v) => fn.configWrite(off, 4, v),
        };
        const got = unwrap(new PciRoot(access).bars(bdf(0, 0, 0)));
        for (const b of bars) {
          const info = got[b.index];
          if (b.kind === "io") expect(info).toEqual({ kind: "io", port: 0, size: b.size });
          else
            expect(info).toEqual({
              kind: "memory",
              address: 0,
              size: b.size,
              prefetchable: b.prefetchable,
              is64: b.kind === "memory64",
            });
        }
        expect(got.filter((x) => x !== undefined)).toHaveLength(bars.length);
        expect(got.some((x) => x instanceof DevError)).toBe(false);
      }),
      { numRuns: 200 },
    );
  });
});
