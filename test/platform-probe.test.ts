import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { DevError, isErrorKind, unwrap } from "../src/base/dev-error.js";
import { DeviceType } from "../src/base/device-type.js";
import { LogLevel, log } from "../src/base/log.js";
import type { NetDriverOps } from "../src/net/net-driver-ops.js";
import { PciRangeAllocator } from "../src/pci/index.js";
import type { NetDriverEntry, PciProbeContext } from "../src/platform/index.js";
import {
  allocatorsFor,
  defaultDrivers,
  formatLocation,
  formatProbeTree,
  probeAllDevices,
  selectDrivers,
  VIRTIO_MMIO_MAGIC,
} from "../src/platform/index.js";
import { bdf, buildMachine, Regs } from "./pci-fixtures.js";

/** A stand-in driver instance: only the identity matters to the probe. */
function fakeNic(name: string): NetDriverOps {
  const unsupported = () => DevError.Unsupported;
  return {
    deviceName: () => name,
    deviceType: () => DeviceType.Net,
    macAddress: () => {
      throw new Error("not used");
    },
    canTransmit: () => false,
    canReceive: () => false,
    rxQueueSize: () => 0,
    txQueueSize: () => 0,
    recycleRxBuffer: unsupported,
    recycleTxBuffers: unsupported,
    transmit: unsupported,
    receive: unsupported,
    allocTxBuffer: unsupported,
    receiveBatch: unsupported,
    transmitBatch: unsupported,
  };
}

let lines: string[] = [];
beforeEach(() => {
  lines = [];
  log.setLevel(LogLevel.Debug);
  log.sink = (level, _target, msg) => lines.push(`${["", "E", "W", "I", "D", "T"][level]} ${msg}`);
});
afterEach(() => {
  log.setLevel(LogLevel.Off);
});

/** Records which driver saw which device, in order. */
const offers: string[] = [];

function pciDriver(
  name: string,
  vendor: number,
  device: number,
  opts: { fail?: boolean } = {},
): NetDriverEntry {
  return {
    name,
    probePci(ctx: PciProbeContext) {
      offers.push(`${name}:${ctx.bdf}`);
      if (ctx.info.vendorId !== vendor || ctx.info.deviceId !== device) return undefined;
      if (opts.fail) return DevError.withDetail("Io", "device did not come out of reset");
      return fakeNic(name);
    },
  };
}

describe("probeAllDevices (PCI)", () => {
  beforeEach(() => {
    offers.length = 0;
  });

  it("assigns BARs from the right windows, enables the function and offers it to drivers in order", () => {
    const f = buildMachine();
    let bar0Seen = -1;
    const ixgbe: NetDriverEntry = {
      name: "ixgbe",
      probePci(ctx) {
        offers.push(`ixgbe:${ctx.bdf}`);
        if (ctx.info.vendorId !== 0x8086 || ctx.info.deviceId !== 0x10fb) return undefined;
        // the function is configured before any driver sees it
        const bar = unwrap(ctx.pci.barInfo(ctx.bdf, 0));
        if (bar?.kind !== "memory") return DevError.BadState;
        expect(ctx.pci.getCommand(ctx.bdf) & 0x7).toBe(0x7);
        bar0Seen = unwrap(ctx.hal.mapMmio(bar.address, bar.size)).read32(0x8);
        return fakeNic("ixgbe");
      },
    };
    const virtio = pciDriver("virtio-net", 0x1af4, 0x1041);
    f.nicBar0.mem.set([0xef, 0xbe, 0xad, 0xde], 8);
    const r = unwrap(
      probeAllDevices({ hal: f.machine.hal, config: f.machine.config, drivers: [virtio, ixgbe] }),
    );

    // 64-bit BARs from the 64-bit window, 32-bit BARs from the 32-bit window, I/O from the I/O window,
    // in enumeration and BAR order, naturally aligned
    expect(f.nic.barAddress(0)).toBe(0x80_0000_0000);
    expect(f.nic.barAddress(2)).toBe(0x1000);
    expect(f.nic.barAddress(4)).toBe(0x80_0008_0000);
    expect(f.mf0.barAddress(1)).toBe(0x4000_0000);
    expect(f.mf1.barAddress(1)).toBe(0x4000_1000);
    expect(f.mf3.barAddress(1)).toBe(0x4000_2000);
    expect(f.behind.barAddress(0)).toBe(0x4010_0000);
    expect(bar0Seen).toBe(0xdeadbeef);
    for (const fn of [f.nic, f.mf0, f.mf1, f.mf3, f.single, f.behind]) expect(fn.command & 0x7).toBe(0x7);
    // the bridge is not an endpoint: not configured, not offered
    expect(f.bridge.command).toBe(0);
    // the stray function of a single-function device is never seen
    expect(f.stray.command).toBe(0);

    // drivers in the order given; the first match wins and the rest are not asked
    expect(offers).toEqual([
      "virtio-net:00:00.0",
      "ixgbe:00:00.0",
      "virtio-net:00:01.0",
      "ixgbe:00:01.0",
      "virtio-net:00:02.0",
      "virtio-net:00:02.1",
      "virtio-net:00:02.3",
      "virtio-net:00:03.0",
      "ixgbe:00:03.0",
      "virtio-net:01:00.0",
      "ixgbe:01:00.0",
    ]);
    expect(r.devices.net.map((d) => `${d.driver}@${formatLocation(d.location)}`)).toEqual([
      "ixgbe@00:01.0",
      "virtio-net@00:02.0",
      "virtio-net@00:02.1",
      "virtio-net@00:02.3",
    ]);
    expect(r.devices.size).toBe(4);
    expect(r.devices.ofType(DeviceType.Block)).toEqual([]);
    expect(r.unmatched.map(formatLocation)).toEqual(["00:00.0", "00:03.0", "01:00.0"]);
    expect(r.failures).toEqual([]);
    expect(r.pciFunctions.map((p) => `${p.bdf} ${p.outcome}${p.driver ? ` ${p.driver}` : ""}`)).toEqual([
      "00:00.0 unmatched",
      "00:01.0 claimed ixgbe",
      "00:02.0 claimed virtio-net",
      "00:02.1 claimed virtio-net",
      "00:02.3 claimed virtio-net",
      "00:03.0 unmatched",
      "00:04.0 skipped",
      "01:00.0 unmatched",
    ]);
    expect(r.pciFunctions[1]!.bars).toEqual([
      { kind: "memory", address: 0x80_0000_0000, size: 0x80000, prefetchable: false, is64: true },
      undefined,
      { kind: "io", port: 0x1000, size: 32 },
      undefined,
      { kind: "memory", address: 0x80_0008_0000, size: 0x4000, prefetchable: true, is64: true },
      undefined,
    ]);

    // ArceOS-style log lines; "no driver matched" is debug, never warn/error
    const nicLog = lines.slice(lines.indexOf("D PCI 00:01.0: 8086:10fb (class 02.00)"));
    expect(nicLog.slice(0, 5)).toEqual([
      "D PCI 00:01.0: 8086:10fb (class 02.00)",
      "D   BAR 0: MEM [0x8000000000, 0x8000080000) 64bit",
      "D   BAR 2: IO  [0x1000, 0x1020)",
      "D   BAR 4: MEM [0x8000080000, 0x8000084000) 64bit pref",
      "I registered a new Net device at 00:01.0: ixgbe",
    ]);
    expect(lines).toContain("D   BAR 0: MEM [0x40100000, 0x40200000) pref");
    expect(lines).toContain("D no driver matched the device at 00:03.0");
    expect(lines.filter((l) => l.startsWith("E") || l.startsWith("W"))).toEqual([]);
  });

  it("keeps BARs firmware already assigned", () => {
    const f = buildMachine();
    f.nic.configWrite(0x10, 4, 0x5000_0000);
    f.nic.configWrite(0x14, 4, 0);
    unwrap(probeAllDevices({ hal: f.machine.hal, config: f.machine.config, drivers: [] }));
    expect(f.nic.barAddress(0)).toBe(0x5000_0000);
    expect(f.nic.barAddress(4)).toBe(0x80_0000_0000);
  });

  it("a driver that claims a device and fails is recorded; later drivers are not asked", () => {
    const f = buildMachine();
    const bad = pciDriver("ixgbe", 0x8086, 0x10fb, { fail: true });
    const other = pciDriver("other", 0x8086, 0x10fb);
    const r = unwrap(
      probeAllDevices({ hal: f.machine.hal, config: f.machine.config, drivers: [bad, other] }),
    );
    expect(offers.filter((o) => o.endsWith("00:01.0"))).toEqual(["ixgbe:00:01.0"]);
    expect(r.devices.size).toBe(0);
    expect(r.failures).toHaveLength(1);
    expect(r.failures[0]!.driver).toBe("ixgbe");
    expect(isErrorKind(r.failures[0]!.error, "Io")).toBe(true);
    expect(r.pciFunctions[1]!.outcome).toBe("failed");
    expect(lines.filter((l) => l.startsWith("W"))).toEqual([
      "W failed to initialize ixgbe device at 00:01.0: Input/output error: device did not come out of reset",
    ]);
  });

  it("a full window leaves the function disabled and unoffered, and says why", () => {
    const f = buildMachine();
    const drv = pciDriver("virtio-net", 0x1af4, 0x1041);
    // 32-bit window of 8 KiB: room for two 4 KiB BARs; 64-bit window empty (64-bit BARs fall back to 32-bit)
    const allocators = {
      mmio32: new PciRangeAllocator(0x4000_0000, 0x2000),
      io: new PciRangeAllocator(0x1000, 0x100),
    };
    const r = unwrap(
      probeAllDevices({ hal: f.machine.hal, config: f.machine.config, drivers: [drv], allocators }),
    );
    expect(r.pciFunctions.map((p) => `${p.bdf} ${p.outcome}`)).toEqual([
      "00:00.0 unmatched",
      "00:01.0 enable-failed", // 512 KiB does not fit
      "00:02.0 claimed",
      "00:02.1 claimed",
      "00:02.3 enable-failed",
      "00:03.0 unmatched",
      "00:04.0 skipped",
      "01:00.0 enable-failed",
    ]);
    expect(r.failures.map((x) => x.error.kind)).toEqual(["NoMemory", "NoMemory", "NoMemory"]);
    expect(f.nic.command).toBe(0);
    expect(f.mf3.command).toBe(0);
    expect(offers).not.toContain("virtio-net:00:02.3");
    expect(lines.filter((l) => l.startsWith("W"))[0]).toMatch(
      /^W failed to enable PCI device at 00:01\.0 \(8086:10fb \(class 02\.00\)\): Not enough memory: no room for BAR 0/,
    );
  });

  it("with no drivers, everything is unmatched and nothing is an error", () => {
    const f = buildMachine();
    const r = unwrap(probeAllDevices({ hal: f.machine.hal, config: f.machine.config, drivers: [] }));
    expect(r.unmatched).toHaveLength(7);
    expect(r.devices.size).toBe(0);
    expect(lines.some((l) => l.startsWith("E") || l.startsWith("W"))).toBe(false);
  });
});

describe("probeAllDevices (virtio-mmio and platform devices)", () => {
  it("offers only slots with the virtio magic, and platform devices by description", () => {
    const f = buildMachine();
    const m = f.machine;
    const slotA = new Regs(0x200);
    const slotB = new Regs(0x200); // empty: no magic
    new DataView(slotA.mem.buffer).setUint32(0, VIRTIO_MMIO_MAGIC, true);
    m.addVirtioMmioDevice(0x0a00_0000, 0x200, slotA);
    m.addVirtioMmioDevice(0x0a00_0200, 0x200, slotB);
    m.addPlatformDevice(
      { compatible: "cdns,phytium-gem-1.0", base: 0x3200_c000, size: 0x2000, irq: 64 },
      new Regs(0x2000),
    );
    m.addPlatformDevice(
      { compatible: "vendor,other", base: 0x3300_0000, size: 0x1000, irq: 65 },
      new Regs(0x1000),
    );
    const seen: string[] = [];
    const vmmio: NetDriverEntry = {
      name: "virtio-net",
      probeMmio(ctx) {
        seen.push(`mmio 0x${ctx.base.toString(16)}`);
        return fakeNic("virtio-net");
      },
    };
    const gem: NetDriverEntry = {
      name: "fxmac",
      probePlatform(ctx) {
        seen.push(`platform ${ctx.device.compatible}`);
        return ctx.device.compatible === "cdns,phytium-gem-1.0" ? fakeNic("fxmac") : undefined;
      },
    };
    const r = unwrap(
      probeAllDevices({ hal: m.hal, config: m.config, drivers: [vmmio, gem], buses: { pci: false } }),
    );
    expect(seen).toEqual(["platform cdns,phytium-gem-1.0", "platform vendor,other", "mmio 0xa000000"]);
    expect(r.devices.net.map((d) => `${d.driver}@${formatLocation(d.location)}`)).toEqual([
      "fxmac@cdns,phytium-gem-1.0@0x3200c000",
      "virtio-net@virtio-mmio@0xa000000",
    ]);
    expect(r.devices.net[0]!.location).toEqual({
      bus: "platform",
      compatible: "cdns,phytium-gem-1.0",
      base: 0x3200_c000,
      size: 0x2000,
      irq: 64,
    });
    expect(r.unmatched.map(formatLocation)).toEqual(["vendor,other@0x33000000"]);
    expect(r.pciFunctions).toEqual([]);
    expect(lines).toContain("D no virtio-mmio device at 0xa000200 (magic 0x0)");
    expect(lines).toContain("I registered a new Net device at virtio-mmio@0xa000000: virtio-net");
  });
});

describe("driver selection", () => {
  it("defaultDrivers names every driver; selectDrivers picks by name in the given order", () => {
    expect(defaultDrivers().map((d) => d.name)).toEqual(["virtio-net", "ixgbe", "fxmac"]);
    const picked = unwrap(selectDrivers(["fxmac", "virtio-net", "fxmac"]));
    expect(picked.map((d) => d.name)).toEqual(["fxmac", "virtio-net"]);
    const bad = selectDrivers(["e1000"]);
    expect(isErrorKind(bad, "InvalidParam")).toBe(true);
    expect(String(bad)).toContain("e1000");
  });

  it("allocatorsFor builds one allocator per non-empty window", () => {
    const f = buildMachine({ pciIo: { base: 0, size: 0 } });
    const a = allocatorsFor(f.machine.config);
    expect(a.mmio32?.base).toBe(0x4000_0000);
    expect(a.mmio64?.base).toBe(0x80_0000_0000);
    expect(a.io).toBeUndefined();
    // an I/O BAR with no I/O window: the NIC cannot be enabled
    const r = unwrap(probeAllDevices({ hal: f.machine.hal, config: f.machine.config, drivers: [] }));
    expect(r.pciFunctions.find((p) => p.bdf.toString() === bdf(0, 1, 0).toString())?.outcome).toBe(
      "enable-failed",
    );
  });
});

describe("formatProbeTree", () => {
  it("nests the functions behind a bridge and shows BARs and owners", () => {
    const f = buildMachine();
    const slot = new Regs(0x200);
    new DataView(slot.mem.buffer).setUint32(0, VIRTIO_MMIO_MAGIC, true);
    f.machine.addVirtioMmioDevice(0x0a00_0000, 0x200, slot);
    const vmmio: NetDriverEntry = { name: "virtio-net", probeMmio: () => fakeNic("virtio-net") };
    const r = unwrap(
      probeAllDevices({
        hal: f.machine.hal,
        config: f.machine.config,
        drivers: [vmmio, pciDriver("ixgbe", 0x8086, 0x10fb)],
      }),
    );
    expect(formatProbeTree(r)).toEqual([
      "virtio-mmio",
      "  virtio-mmio@0xa000000 -> virtio-net (Net virtio-net)",
      "pci",
      "  00:00.0 8086:0d57 (class 06.00) (no driver)",
      "  00:01.0 8086:10fb (class 02.00) -> ixgbe",
      "    BAR 0: MEM [0x8000000000, 0x8000080000) 64bit",
      "    BAR 2: IO  [0x1000, 0x1020)",
      "    BAR 4: MEM [0x8000080000, 0x8000084000) 64bit pref",
      "  00:02.0 1af4:1041 (class 02.00) (no driver)",
      "    BAR 1: MEM [0x40000000, 0x40001000)",
      "  00:02.1 1af4:1041 (class 02.00) (no driver)",
      "    BAR 1: MEM [0x40001000, 0x40002000)",
      "  00:02.3 1af4:1041 (class 02.00) (no driver)",
      "    BAR 1: MEM [0x40002000, 0x40003000)",
      "  00:03.0 1234:0001 (class ff.00) (no driver)",
      "  00:04.0 1b36:0001 (class 06.04) bridge to bus 01",
      "    01:00.0 1af4:1000 (class 02.00) (no driver)",
      "      BAR 0: MEM [0x40100000, 0x40200000) pref",
    ]);
  });
});
