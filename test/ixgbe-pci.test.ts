// The 82599 as a PCI function on the emulated machine, found by the platform's probe flow and driven by the
// ixgbe driver entry: identity, BARs, bus mastering, MSI-X, and the BAR0 cases the probe skips.
import { afterEach, describe, expect, it } from "vitest";
import { isDevError, unwrap } from "../src/base/dev-error.js";
import { LogLevel, log } from "../src/base/log.js";
import { createIxgbeDriver, type IxgbeNic, ixgbeDriver } from "../src/drivers/ixgbe/index.js";
import { Ixgbe82599Pci } from "../src/emu/ixgbe/index.js";
import { Machine } from "../src/emu/machine.js";
import { ModelError } from "../src/emu/model-error.js";
import { PciFunctionModel } from "../src/emu/pci/pci-function.js";
import type { AccessWidth, MmioHandler } from "../src/hal/mmio.js";
import { IXGBE_EICR, IXGBE_EIMS, IXGBE_GPIE, IXGBE_IVAR } from "../src/hw/ixgbe/regs.js";
import { PCI_CAP_ID_MSIX, PCI_COMMAND, PCI_MSIX_FLAGS } from "../src/hw/pci/config.js";
import { DeviceFunction } from "../src/pci/types.js";
import { probeAllDevices } from "../src/platform/probe.js";
import { seqOf, testFrame } from "./ixgbe-fixture.js";

const sent = (nic: IxgbeNic, len: number, seq: number) => {
  const p = unwrap(nic.allocTxBuffer(len));
  p.bytes.set(testFrame(len, seq), p.offset);
  return nic.transmit(p);
};

class Dummy implements MmioHandler {
  mmioRead(_o: number, _w: AccessWidth): number {
    return 0;
  }
  mmioWrite(_o: number, _w: AccessWidth, _v: number): void {}
}

/** Two 82599 PCI functions at 00:02.0 and 00:03.0, cabled together, probed by the platform flow. */
function pciPair(strict = true, msixSink?: (address: number, data: number, vector: number) => void) {
  const machine = new Machine({ ramSize: 128 * 1024 * 1024 });
  const a = new Ixgbe82599Pci(machine, {
    mac: [0x02, 0, 0, 0, 0, 0xaa],
    strict,
    ...(msixSink ? { msixSink } : {}),
  });
  const b = new Ixgbe82599Pci(machine, { mac: [0x02, 0, 0, 0, 0, 0xbb], strict });
  machine.addPciDevice(new DeviceFunction(0, 2, 0), a.fn);
  machine.addPciDevice(new DeviceFunction(0, 3, 0), b.fn);
  a.model.port.connect(b.model.port.rx);
  b.model.port.connect(a.model.port.rx);
  expect(a.model.busMaster).toBe(false); // the command register starts with bus mastering off
  const res = unwrap(
    probeAllDevices({
      hal: machine.hal,
      config: machine.config,
      drivers: [createIxgbeDriver({ queueSize: 256 })],
    }),
  );
  return { machine, a, b, res };
}

const savedSink = log.sink;
const savedLevel = log.level;
afterEach(() => {
  log.level = savedLevel;
  log.sink = savedSink;
});

describe("82599 PCI function and the ixgbe probe", () => {
  it("is found as 8086:10FB class 02.00 with a 64-bit BAR0, enabled for bus mastering and brought up", () => {
    const { a, b, res } = pciPair();
    expect(res.failures).toEqual([]);
    const devices = res.devices.all();
    expect(devices.map((d) => [d.driver, d.device.deviceName()])).toEqual([
      ["ixgbe", "ixgbe"],
      ["ixgbe", "ixgbe"],
    ]);
    const rec = res.pciFunctions[0]!;
    expect(rec.info).toMatchObject({ vendorId: 0x8086, deviceId: 0x10fb, classCode: 0x02, subclass: 0x00 });
    expect(rec.bars[0]).toMatchObject({ kind: "memory", is64: true, size: 0x80000 });
    expect(rec.bars[4]).toMatchObject({ kind: "memory", is64: true, size: 0x4000 });
    expect(a.model.busMaster).toBe(true);
    expect(b.model.busMaster).toBe(true);
    expect(a.fn.configRead(PCI_COMMAND, 2) & 0x6).toBe(0x6);
    const [nicA, nicB] = devices.map((d) => d.device as IxgbeNic);
    expect(nicA!.macAddress().toString()).toBe("02:00:00:00:00:aa");
    expect(nicA!.linkSpeed()).toBe(10000);
    expect(sent(nicA!, 500, 77)).toBeUndefined();
    const p = unwrap(nicB!.receive());
    expect(seqOf(p)).toBe(77);
    expect(p.len).toBe(500);
  });

  it("does no DMA while the command register's bus-master bit is clear (strict: the rule is named)", () => {
    const { a, res } = pciPair();
    const [nicA, nicB] = res.devices.all().map((d) => d.device as IxgbeNic);
    const cmd = a.fn.configRead(PCI_COMMAND, 2);
    a.fn.configWrite(PCI_COMMAND, 2, cmd & ~0x4);
    expect(a.model.busMaster).toBe(false);
    let err: unknown;
    try {
      sent(nicA!, 100, 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).section).toBe("PCI Local Bus 3.0 6.2.2 (Command register, Bus Master)");
    expect(a.model.txFrames).toBe(0);
    expect(isDevError(nicB!.receive())).toBe(true);
  });

  it("holds transmit DMA until bus mastering is back (not strict: counted)", () => {
    const { a, res } = pciPair(false);
    const [nicA, nicB] = res.devices.all().map((d) => d.device as IxgbeNic);
    const cmd = a.fn.configRead(PCI_COMMAND, 2);
    a.fn.configWrite(PCI_COMMAND, 2, cmd & ~0x4);
    expect(sent(nicA!, 100, 1)).toBeUndefined();
    expect(a.model.txFrames).toBe(0);
    expect(a.model.dmaBlocked).toBe(1);
    expect(a.model.checker.violations).toBe(1);
    a.fn.configWrite(PCI_COMMAND, 2, cmd);
    expect(sent(nicA!, 100, 2)).toBeUndefined(); // the next doorbell sends both
    expect(seqOf(unwrap(nicB!.receive()))).toBe(1);
    expect(seqOf(unwrap(nicB!.receive()))).toBe(2);
  });

  it("signals a received frame as an MSI-X message through IVAR, EIMS and the vector table", () => {
    const messages: [number, number, number][] = [];
    const { machine, a, res } = pciPair(true, (address, data, vector) =>
      messages.push([address, data, vector]),
    );
    const [, nicB] = res.devices.all().map((d) => d.device as IxgbeNic);
    const rec = res.pciFunctions[0]!;
    const bar0 = (rec.bars[0] as { address: number }).address;
    const bar4 = (rec.bars[4] as { address: number }).address;
    const cap = a.fn.msixCapability;
    expect(cap).toBeGreaterThan(0);
    expect(a.fn.configRead(cap, 1)).toBe(PCI_CAP_ID_MSIX);
    expect(a.fn.configRead(cap + PCI_MSIX_FLAGS, 2) & 0x7ff).toBe(63); // 64 vectors
    // vector 2: address, data, unmasked; MSI-X on
    machine.mmio.write(bar4 + 2 * 16, 4, 0xfee0_0000);
    machine.mmio.write(bar4 + 2 * 16 + 4, 4, 0);
    machine.mmio.write(bar4 + 2 * 16 + 8, 4, 0x4041);
    machine.mmio.write(bar4 + 2 * 16 + 12, 4, 0);
    a.fn.configWrite(cap + PCI_MSIX_FLAGS, 2, 0x8000);
    // the device: MSI-X mode, RX queue 0 -> vector 2, cause enabled
    machine.mmio.write(bar0 + IXGBE_GPIE, 4, 1 << 4);
    machine.mmio.write(bar0 + IXGBE_IVAR(0), 4, 0x80 | 2);
    machine.mmio.read(bar0 + IXGBE_EICR, 4);
    machine.mmio.write(bar0 + IXGBE_EIMS, 4, 1 << 2);
    expect(sent(nicB!, 64, 5)).toBeUndefined();
    expect(messages).toEqual([[0xfee0_0000, 0x4041, 2]]);
  });

  it("reports and skips a function whose BAR0 is I/O or missing", () => {
    const lines: string[] = [];
    log.level = LogLevel.Error;
    log.sink = (_l, _t, m) => lines.push(m);
    const machine = new Machine();
    const io = new PciFunctionModel({
      vendorId: 0x8086,
      deviceId: 0x10fb,
      classCode: 2,
      subclass: 0,
      bars: [{ index: 0, kind: "io", size: 32, handler: new Dummy() }],
    });
    const none = new PciFunctionModel({
      vendorId: 0x8086,
      deviceId: 0x1557,
      classCode: 2,
      subclass: 0,
      bars: [{ index: 2, kind: "memory32", size: 0x1000, handler: new Dummy() }],
    });
    const other = new PciFunctionModel({
      vendorId: 0x8086,
      deviceId: 0x10ed, // an 82599 VF: not this driver's
      classCode: 2,
      subclass: 0,
      bars: [{ index: 0, kind: "memory64", size: 0x4000, handler: new Dummy() }],
    });
    machine.addPciDevice(new DeviceFunction(0, 1, 0), io);
    machine.addPciDevice(new DeviceFunction(0, 2, 0), none);
    machine.addPciDevice(new DeviceFunction(0, 3, 0), other);
    const res = unwrap(probeAllDevices({ hal: machine.hal, config: machine.config, drivers: [ixgbeDriver] }));
    expect(res.devices.all()).toEqual([]);
    expect(res.failures).toEqual([]);
    expect(res.pciFunctions.map((f) => f.outcome)).toEqual(["unmatched", "unmatched", "unmatched"]);
    expect(lines).toEqual(["BAR0 of 00:01.0 is of I/O type; skipped", "BAR0 of 00:02.0 is missing; skipped"]);
  });
});
