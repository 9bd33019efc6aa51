// Shared fixtures of the PCI tests: a register file and a machine with several kinds of PCI functions.

import { Machine } from "../src/emu/machine.js";
import { PciBridgeModel, PciFunctionModel } from "../src/emu/pci/index.js";
import type { AccessWidth, MmioHandler } from "../src/hal/mmio.js";
import type { PlatformConfig } from "../src/hal/platform-config.js";
import { DeviceFunction } from "../src/pci/types.js";

/** A register file backed by memory that records every access. */
export class Regs implements MmioHandler {
  readonly mem: Uint8Array;
  readonly log: string[] = [];
  constructor(readonly size: number) {
    this.mem = new Uint8Array(size);
  }
  mmioRead(offset: number, width: AccessWidth): number {
    this.log.push(`r${width}@${offset.toString(16)}`);
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.mem[offset + i]!;
    return v;
  }
  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    this.log.push(`w${width}@${offset.toString(16)}=${value.toString(16)}`);
    for (let i = 0; i < width; i++) this.mem[offset + i] = (value >>> (8 * i)) & 0xff;
  }
}

export const bdf = (b: number, d: number, f: number) => new DeviceFunction(b, d, f);

/**
 * An 82599-like function 8086:10fb rev 01 (subsystem 8086:000c, INTA): BAR0 64-bit 512 KiB, optional BAR2
 * I/O 32 bytes, BAR4 64-bit prefetchable 16 KiB.
 */
export function nic82599Function(
  bar0: MmioHandler,
  io?: MmioHandler,
  bar4: MmioHandler = new Regs(0x4000),
): PciFunctionModel {
  return new PciFunctionModel({
    vendorId: 0x8086,
    deviceId: 0x10fb,
    classCode: 0x02,
    subclass: 0x00,
    revision: 0x01,
    subsystemVendorId: 0x8086,
    subsystemId: 0x000c,
    interruptPin: 1,
    bars: [
      { index: 0, kind: "memory64", size: 0x80000, handler: bar0, name: "82599 BAR0" },
      ...(io ? [{ index: 2, kind: "io" as const, size: 32, handler: io }] : []),
      { index: 4, kind: "memory64", size: 0x4000, prefetchable: true, handler: bar4 },
    ],
  });
}

/** The functions of {@link buildMachine}, to reach their register files. */
export interface Fixture {
  machine: Machine;
  nic: PciFunctionModel;
  nicBar0: Regs;
  nicIo: Regs;
  nicBar4: Regs;
  mf0: PciFunctionModel;
  mf1: PciFunctionModel;
  mf3: PciFunctionModel;
  single: PciFunctionModel;
  stray: PciFunctionModel;
  bridge: PciBridgeModel;
  behind: PciFunctionModel;
  behindBar: Regs;
}

/**
 * A machine with:
 * - 00:00.0 host bridge 8086:0d57 (class 06.00, no BARs)
 * - 00:01.0 NIC 8086:10fb rev 01: BAR0 64-bit 512 KiB, BAR2 I/O 32 bytes, BAR4 64-bit prefetchable 16 KiB,
 *   capabilities: vendor (0x09) at 0x40, MSI-X (64 vectors, table BAR4+0, PBA BAR4+0x2000) at 0x44
 * - 00:02.0/.1/.3 a multi-function device 1af4:1041 (function 0 has the bit; function 2 is a gap)
 * - 00:03.0 a single-function device 1234:0001 with a stray 00:03.1 that enumeration must not report
 * - 00:04.0 a PCI-to-PCI bridge 1b36:0001 to bus 1 (firmware-programmed), with 01:00.0 1af4:1000 behind it:
 *   BAR0 32-bit prefetchable 1 MiB
 */
export function buildMachine(config: Partial<PlatformConfig> = {}): Fixture {
  const machine = new Machine(config);
  machine.addPciDevice(
    bdf(0, 0, 0),
    new PciFunctionModel({ vendorId: 0x8086, deviceId: 0x0d57, classCode: 0x06, subclass: 0x00, bars: [] }),
  );
  const nicBar0 = new Regs(0x80000);
  const nicIo = new Regs(32);
  const nicBar4 = new Regs(0x4000);
  const nic = nic82599Function(nicBar0, nicIo, nicBar4);
  nic.addCapability(0x09, [4, 0x5a]);
  nic.addMsixCapability(64, 4, 0, 4, 0x2000);
  machine.addPciDevice(bdf(0, 1, 0), nic);

  const mf = (func: number, multifunction: boolean) =>
    new PciFunctionModel({
      vendorId: 0x1af4,
      deviceId: 0x1041,
      classCode: 0x02,
      subclass: 0x00,
      revision: func,
      multifunction,
      bars: [{ index: 1, kind: "memory32", size: 0x1000, handler: new Regs(0x1000) }],
    });
  const mf0 = mf(0, true);
  const mf1 = mf(1, false);
  const mf3 = mf(3, false);
  machine.addPciDevice(bdf(0, 2, 0), mf0);
  machine.addPciDevice(bdf(0, 2, 1), mf1);
  machine.addPciDevice(bdf(0, 2, 3), mf3);

  const single = new PciFunctionModel({
    vendorId: 0x1234,
    deviceId: 0x0001,
    classCode: 0xff,
    subclass: 0x00,
    bars: [],
  });
  const stray = new PciFunctionModel({
    vendorId: 0x1234,
    deviceId: 0x0002,
    classCode: 0xff,
    subclass: 0x00,
    bars: [],
  });
  machine.addPciDevice(bdf(0, 3, 0), single);
  machine.addPciDevice(bdf(0, 3, 1), stray);

  const bridge = new PciBridgeModel({
    vendorId: 0x1b36,
    deviceId: 0x0001,
    primaryBus: 0,
    secondaryBus: 1,
    subordinateBus: 1,
  });
  machine.addPciDevice(bdf(0, 4, 0), bridge);
  const behindBar = new Regs(0x10_0000);
  const behind = new PciFunctionModel({
    vendorId: 0x1af4,
    deviceId: 0x1000,
    classCode: 0x02,
    subclass: 0x00,
    bars: [{ index: 0, kind: "memory32", size: 0x10_0000, prefetchable: true, handler: behindBar }],
  });
  machine.addPciDevice(bdf(1, 0, 0), behind);
  return { machine, nic, nicBar0, nicIo, nicBar4, mf0, mf1, mf3, single, stray, bridge, behind, behindBar };
}
