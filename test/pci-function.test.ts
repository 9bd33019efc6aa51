import { describe, expect, it } from "vitest";
import { Machine } from "../src/emu/machine.js";
import { ModelError } from "../src/emu/model-error.js";
import { MsixTable, PciBridgeModel, PciFunctionModel } from "../src/emu/pci/index.js";
import { defaultPlatformConfig } from "../src/hal/platform-config.js";
import { DeviceFunction } from "../src/pci/types.js";
import { nic82599Function, Regs } from "./pci-fixtures.js";

const ECAM = defaultPlatformConfig().pciEcamBase;
const ecamAddr = (bus: number, dev: number, fn: number, off: number) =>
  ECAM + bus * 0x10_0000 + dev * 0x8000 + fn * 0x1000 + off;

const nic = (regs: Regs, io?: Regs) => nic82599Function(regs, io);

describe("PciFunctionModel", () => {
  it("presents a type 0 header with ids, class and read-only fields", () => {
    const f = nic(new Regs(0x80000));
    expect(f.configRead(0, 4)).toBe(0x10fb8086);
    expect(f.configRead(0x08, 4)).toBe(0x02000001);
    expect(f.configRead(0x0e, 1)).toBe(0x00);
    expect(f.configRead(0x2c, 4)).toBe(0x000c8086);
    expect(f.configRead(0x3d, 1)).toBe(1);
    // read-only fields ignore writes (ids, class, header type, subsystem, pin)
    f.configWrite(0, 4, 0x12345678);
    f.configWrite(0x08, 4, 0xffffffff);
    f.configWrite(0x0c, 4, 0xffffffff);
    f.configWrite(0x2c, 4, 0);
    f.configWrite(0x3c, 2, 0xffff);
    expect(f.configRead(0, 4)).toBe(0x10fb8086);
    expect(f.configRead(0x08, 4)).toBe(0x02000001);
    expect(f.configRead(0x0c, 4)).toBe(0x0000ffff); // cache line + latency writable, header/BIST not
    expect(f.configRead(0x2c, 4)).toBe(0x000c8086);
    expect(f.configRead(0x3c, 2)).toBe(0x01ff); // line writable, pin not
    // command: only implemented bits stick; status error bits are write-1-to-clear
    f.configWrite(0x04, 2, 0xffff);
    expect(f.command).toBe(0x0547);
    f.raiseStatus(0x2000 | 0x0100);
    expect(f.configRead(0x06, 2)).toBe(0x2100);
    f.configWrite(0x06, 2, 0x2000);
    expect(f.configRead(0x06, 2)).toBe(0x0100);
  });

  it("sizes BARs by the write-all-ones protocol", () => {
    const f = nic(new Regs(0x80000), new Regs(32));
    expect(f.configRead(0x10, 4)).toBe(0x4); // 64-bit memory, not prefetchable
    f.configWrite(0x10, 4, 0xffffffff);
    f.configWrite(0x14, 4, 0xffffffff);
    expect(f.configRead(0x10, 4)).toBe(0xfff80004);
    expect(f.configRead(0x14, 4)).toBe(0xffffffff);
    f.configWrite(0x18, 4, 0xffffffff);
    expect(f.configRead(0x18, 4)).toBe(0xffffffe1); // 32-byte I/O BAR
    f.configWrite(0x20, 4, 0xffffffff);
    expect(f.configRead(0x20, 4)).toBe(0xffffc00c); // 16 KiB prefetchable 64-bit
    f.configWrite(0x1c, 4, 0xffffffff); // unimplemented BAR3
    expect(f.configRead(0x1c, 4)).toBe(0);
    f.reset();
    expect(f.configRead(0x10, 4)).toBe(0x4);
    expect(f.configRead(0x14, 4)).toBe(0);
  });

  it("builds a capability list with MSI-X", () => {
    const f = nic(new Regs(0x80000));
    expect(f.configRead(0x06, 2) & 0x10).toBe(0);
    const v = f.addCapability(0x09, [4, 0xab]);
    const m = f.addMsixCapability(64, 4, 0, 4, 0x2000);
    expect(v).toBe(0x40);
    expect(m).toBe(0x44);
    expect(f.configRead(0x06, 2) & 0x10).toBe(0x10);
    expect(f.configRead(0x34, 1)).toBe(0x40);
    expect(f.configRead(0x40, 4)).toBe(0xab044409);
    expect(f.configRead(0x44, 4)).toBe(0x003f0011);
    expect(f.configRead(0x48, 4)).toBe(4);
    expect(f.configRead(0x4c, 4)).toBe(0x2004);
    f.configWrite(0x46, 2, 0xffff);
    expect(f.configRead(0x46, 2)).toBe(0xc03f);
    expect(f.msixEnabled).toBe(true);
    f.configWrite(0x40, 4, 0); // vendor capability is read-only
    expect(f.configRead(0x40, 4)).toBe(0xab044409);
  });
});

describe("Machine PCI host", () => {
  it("answers ECAM, reads all ones where nothing is, and decodes BARs only while enabled", () => {
    const m = new Machine();
    const regs = new Regs(0x80000);
    const ioRegs = new Regs(32);
    const f = nic(regs, ioRegs);
    const commands: number[] = [];
    f.onCommandWrite = (c) => commands.push(c);
    m.addPciDevice(new DeviceFunction(0, 1, 0), f);
    expect(m.mmio.read(ecamAddr(0, 1, 0, 0), 4)).toBe(0x10fb8086);
    expect(m.mmio.read(ecamAddr(0, 1, 0, 2), 2)).toBe(0x10fb);
    expect(m.mmio.read(ecamAddr(0, 2, 0, 0), 4)).toBe(0xffffffff);
    expect(m.mmio.read(ecamAddr(0, 1, 1, 0), 2)).toBe(0xffff);
    expect(m.mmio.read(ecamAddr(3, 0, 0, 0), 4)).toBe(0xffffffff);

    m.mmio.write(ecamAddr(0, 1, 0, 0x10), 4, 0x4000_0000);
    m.mmio.write(ecamAddr(0, 1, 0, 0x14), 4, 0);
    m.mmio.write(ecamAddr(0, 1, 0, 0x18), 4, 0x1000);
    new DataView(regs.mem.buffer).setUint32(8, 0xcafe, true);
    new DataView(ioRegs.mem.buffer).setUint32(4, 0xbeef, true);
    // not decoding yet: memory enable clear
    expect(m.mmio.read(0x4000_0008, 4)).toBe(0xffffffff);
    m.mmio.write(ecamAddr(0, 1, 0, 4), 2, 0x2);
    expect(commands).toEqual([2]);
    expect(m.mmio.read(0x4000_0008, 4)).toBe(0xcafe);
    expect(regs.log).toEqual(["r4@8"]);
    expect(m.io.read(0x1004, 4)).toBe(0xffffffff); // I/O decoding still off
    m.mmio.write(ecamAddr(0, 1, 0, 4), 2, 0x7);
    expect(f.busMaster).toBe(true);
    expect(m.io.read(0x1004, 4)).toBe(0xbeef);
    // moving the BAR moves the region
    m.mmio.write(ecamAddr(0, 1, 0, 0x10), 4, 0x5000_0000);
    expect(m.mmio.read(0x4000_0008, 4)).toBe(0xffffffff);
    expect(m.mmio.read(0x5000_0008, 4)).toBe(0xcafe);
    // a 64-bit BAR above 4 GiB
    m.mmio.write(ecamAddr(0, 1, 0, 0x14), 4, 0x80);
    expect(m.mmio.read(0x80_5000_0008, 4)).toBe(0xcafe);
    // a driver window through the HAL
    const w = m.hal.mapMmio(0x80_5000_0000, 0x80000);
    if (w instanceof Error) throw w;
    expect(w.read32(8)).toBe(0xcafe);
    m.mmio.write(ecamAddr(0, 1, 0, 4), 2, 0x0);
    expect(w.read32(8)).toBe(0xffffffff);
  });

  it("routes configuration accesses through a bridge by its bus numbers", () => {
    const m = new Machine();
    const bridge = new PciBridgeModel({
      vendorId: 0x1b36,
      deviceId: 0x0001,
      secondaryBus: 1,
      subordinateBus: 1,
    });
    m.addPciDevice(new DeviceFunction(0, 2, 0), bridge);
    m.addPciDevice(new DeviceFunction(1, 0, 0), nic(new Regs(0x80000)));
    expect(m.mmio.read(ecamAddr(0, 2, 0, 0x0c), 4)).toBe(0x00010000);
    expect(m.mmio.read(ecamAddr(0, 2, 0, 0x08), 4)).toBe(0x06040000);
    expect(m.mmio.read(ecamAddr(1, 0, 0, 0), 4)).toBe(0x10fb8086);
    // renumber the bridge: bus 1 goes dark, bus 5 answers
    m.mmio.write(ecamAddr(0, 2, 0, 0x18), 4, 0x00050500);
    expect(m.mmio.read(ecamAddr(1, 0, 0, 0), 4)).toBe(0xffffffff);
    expect(m.mmio.read(ecamAddr(5, 0, 0, 0), 4)).toBe(0x10fb8086);
  });
});

describe("MsixTable", () => {
  function setup() {
    const bar4 = new Regs(0x4000);
    const f = new PciFunctionModel({
      vendorId: 0x8086,
      deviceId: 0x10fb,
      classCode: 2,
      subclass: 0,
      bars: [{ index: 4, kind: "memory64", size: 0x4000, handler: bar4 }],
    });
    const cap = f.addMsixCapability(4, 4, 0, 4, 0x2000);
    const sent: string[] = [];
    const t = new MsixTable(f, 4, (a, d, v) => sent.push(`${v}:${a.toString(16)}=${d.toString(16)}`));
    return { f, cap, t, sent };
  }

  it("starts masked, sends when enabled and unmasked, and keeps pending bits while masked", () => {
    const { f, cap, t, sent } = setup();
    expect(t.tableRead(12, 4)).toBe(1); // vector control: masked
    expect(t.notify(1)).toBe(false); // MSI-X not enabled: the model would use INTx
    f.configWrite(cap + 2, 2, 0x8000); // enable
    f.configWrite(4, 2, 0x6); // memory + bus master
    t.tableWrite(16, 4, 0xfee0_0004);
    t.tableWrite(20, 4, 0x1);
    t.tableWrite(24, 4, 0x41);
    expect(t.tableRead(16, 4)).toBe(0xfee0_0004);
    expect(t.notify(1)).toBe(true);
    expect(sent).toEqual([]);
    expect(t.isPending(1)).toBe(true);
    expect(t.pbaRead(0, 4)).toBe(0b10);
    t.tableWrite(28, 4, 0); // unmask: the pending message goes out
    expect(sent).toEqual(["1:1fee00004=41"]);
    expect(t.pbaRead(0, 4)).toBe(0);
    t.notify(1);
    expect(sent).toHaveLength(2);
    // function mask holds everything back until cleared through config space
    f.configWrite(cap + 2, 2, 0xc000);
    t.notify(1);
    expect(sent).toHaveLength(2);
    f.configWrite(cap + 2, 2, 0x8000);
    expect(sent).toHaveLength(3);
    // no bus mastering, no message; enabling it delivers
    f.configWrite(4, 2, 0x2);
    t.notify(1);
    expect(sent).toHaveLength(3);
    f.configWrite(4, 2, 0x6);
    expect(sent).toHaveLength(4);
    expect(t.sent).toBe(4);
  });

  it("raises a ModelError on sub-dword table access and out-of-range vectors", () => {
    const { t } = setup();
    expect(() => t.tableWrite(2, 2, 1)).toThrow(ModelError);
    expect(() => t.tableRead(0x40, 4)).toThrow(/MSI-X table access/);
    expect(() => t.notify(4)).toThrow(ModelError);
    t.checker.strict = false;
    expect(t.tableRead(1, 1)).toBe(0xffffffff);
    expect(t.checker.violations).toBe(1);
  });
});

describe("Machine PCI builder", () => {
  const plain = () =>
    new PciFunctionModel({ vendorId: 0x1234, deviceId: 1, classCode: 2, subclass: 0, bars: [] });

  it("refuses a taken slot, a bus no bridge leads to, bad addresses and re-attaching a function", () => {
    const m = new Machine();
    const f = plain();
    m.addPciDevice(new DeviceFunction(0, 1, 0), f);
    expect(() => m.addPciDevice(new DeviceFunction(0, 1, 0), plain())).toThrow(/taken/);
    expect(() => m.addPciDevice(new DeviceFunction(2, 0, 0), plain())).toThrow(/no PCI bridge/);
    expect(() => m.addPciDevice(new DeviceFunction(0, 32, 0), plain())).toThrow(RangeError);
    expect(() => m.addPciDevice(new DeviceFunction(0, 2, 0), f)).toThrow(/attached already/);
  });

  it("refuses impossible BAR layouts", () => {
    const h = new Regs(16);
    const mk = (bars: ConstructorParameters<typeof PciFunctionModel>[0]["bars"]) => () =>
      new PciFunctionModel({ vendorId: 1, deviceId: 1, classCode: 2, subclass: 0, bars });
    expect(mk([{ index: 5, kind: "memory64", size: 4096, handler: h }])).toThrow(/does not fit/);
    expect(mk([{ index: 0, kind: "memory32", size: 3000, handler: h }])).toThrow(/power of two/);
    expect(mk([{ index: 0, kind: "memory32", size: 8, handler: h }])).toThrow(/below 16/);
    expect(
      mk([
        { index: 0, kind: "memory64", size: 4096, handler: h },
        { index: 1, kind: "io", size: 4, handler: h },
      ]),
    ).toThrow(/twice/);
    expect(
      () =>
        new PciBridgeModel({
          vendorId: 1,
          deviceId: 1,
          bars: [{ index: 2, kind: "io", size: 4, handler: h }],
        }),
    ).toThrow(/does not fit/);
  });

  it("answers x86 configuration mechanism #1 on ports 0xCF8/0xCFC", () => {
    const m = new Machine();
    m.addPciDevice(new DeviceFunction(0, 3, 0), plain());
    m.io.write(0xcf8, 4, 0x8000_1800); // bus 0, dev 3, fn 0, reg 0
    expect(m.io.read(0xcfc, 4)).toBe(0x00011234);
    expect(m.io.read(0xcfe, 2)).toBe(0x0001);
    m.io.write(0xcf8, 4, 0x0000_1800); // enable bit clear: no configuration cycle
    expect(m.io.read(0xcfc, 4)).toBe(0xffffffff);
    expect(m.io.read(0xcf8, 4)).toBe(0x0000_1800);
  });

  it("resets a function to its power-on image: BARs unassigned, decoding off", () => {
    const m = new Machine();
    const regs = new Regs(0x1000);
    const f = new PciFunctionModel({
      vendorId: 1,
      deviceId: 1,
      classCode: 2,
      subclass: 0,
      bars: [{ index: 0, kind: "memory32", size: 0x1000, handler: regs }],
    });
    m.addPciDevice(new DeviceFunction(0, 1, 0), f);
    f.configWrite(0x10, 4, 0x4000_0000);
    f.configWrite(0x04, 2, 0x6);
    f.configWrite(0x3c, 1, 9);
    expect(m.mmio.read(0x4000_0000, 4)).toBe(0);
    f.reset();
    expect(f.command).toBe(0);
    expect(f.barAddress(0)).toBe(0);
    expect(f.configRead(0x3c, 1)).toBe(0);
    expect(m.mmio.read(0x4000_0000, 4)).toBe(0xffffffff);
  });
});

describe("PciFunctionModel hooks", () => {
  it("lets the model compute reads, see writes, and change read-only fields itself", () => {
    const f = new PciFunctionModel({
      vendorId: 0x1af4,
      deviceId: 0x1041,
      classCode: 2,
      subclass: 0,
      bars: [],
    });
    const cap = f.addCapability(
      0x09,
      [20, 5, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0],
      [0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff],
    );
    const writes: string[] = [];
    f.onConfigWrite = (o, w, v) => writes.push(`${(o - cap).toString(16)}/${w}=${v.toString(16)}`);
    f.onConfigRead = (o, w, v) => (o === cap + 16 && w === 4 ? 0xabcd0123 : v);
    f.configWrite(cap + 4, 1, 0x44); // writable byte
    f.configWrite(cap + 2, 2, 0xffff); // length/type: read-only
    expect(writes).toEqual(["4/1=44", "2/2=514"]);
    expect(f.configRead(cap + 16, 4)).toBe(0xabcd0123);
    expect(f.configRead(cap + 4, 1)).toBe(0x44);
    f.deviceWrite(cap + 2, 1, 24);
    expect(f.configRead(cap + 2, 1)).toBe(24);
    f.deviceWrite(0x06, 2, 0x0018); // the device sets its interrupt status itself
    expect(f.status).toBe(0x0018);
  });
});
