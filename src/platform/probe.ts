import { DevError, type DevResult } from "../base/dev-error.js";
import { log } from "../base/log.js";
import type { Hal } from "../hal/hal.js";
import type { PlatformConfig, PlatformDeviceInfo } from "../hal/platform-config.js";
import {
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_NORMAL,
  PCI_SECONDARY_BUS,
} from "../hw/pci/config.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import { MmioConfigAccess } from "../pci/config-access.js";
import { PciRangeAllocator } from "../pci/range-allocator.js";
import { formatFunctionInfo, PciRoot } from "../pci/root.js";
import type { BarInfo, ConfigurationAccess, DeviceFunction, DeviceFunctionInfo } from "../pci/types.js";
import { DeviceContainer, type DeviceLocation, formatLocation } from "./device-container.js";
import type { NetDriverEntry } from "./driver.js";

/** Magic value at offset 0 of a virtio-mmio register block: "virt" little-endian (virtio 1.2 §4.2.2). */
export const VIRTIO_MMIO_MAGIC = 0x7472_6976;
/** Bytes of a virtio-mmio slot that must at least be mapped to read the magic value. */
const VIRTIO_MMIO_MAGIC_OFFSET = 0;

const TARGET = "axdriver";

/** The BAR allocators of a PCI host: one per window of the platform description. */
export interface PciAllocators {
  /** 32-bit memory window (32-bit BARs; fallback for 64-bit BARs). */
  mmio32?: PciRangeAllocator;
  /** 64-bit memory window (64-bit BARs). */
  mmio64?: PciRangeAllocator;
  /** I/O port window (I/O BARs). */
  io?: PciRangeAllocator;
}

/** Allocators over the windows of `config` (PCI_RANGES); an empty window gets none. */
export function allocatorsFor(config: PlatformConfig): PciAllocators {
  const mk = (r: { base: number; size: number }) =>
    r.size > 0 ? new PciRangeAllocator(r.base, r.size) : undefined;
  const out: PciAllocators = {};
  const m32 = mk(config.pciMmio32);
  const m64 = mk(config.pciMmio64);
  const io = mk(config.pciIo);
  if (m32 !== undefined) out.mmio32 = m32;
  if (m64 !== undefined) out.mmio64 = m64;
  if (io !== undefined) out.io = io;
  return out;
}

/** What the PCI probe saw of one function (for a tree view). */
export interface PciFunctionRecord {
  bdf: DeviceFunction;
  info: DeviceFunctionInfo;
  /** BARs after assignment (index -> info; upper halves and absent BARs undefined); empty when not configured. */
  bars: (BarInfo | undefined)[];
  /** What happened: claimed by a driver, no driver matched, a driver failed, not an endpoint, not enabled. */
  outcome: "claimed" | "unmatched" | "failed" | "skipped" | "enable-failed";
  /** The driver that claimed it or failed on it. */
  driver?: string;
  /** Why configuring or the driver failed. */
  error?: DevError;
  /** For a PCI-to-PCI bridge: the bus behind it (its secondary bus number). */
  secondaryBus?: number;
}

/** A driver that claimed a device but could not bring it up, or a device that could not be configured. */
export interface ProbeFailure {
  location: DeviceLocation;
  /** The driver entry, when a driver failed. */
  driver?: string;
  error: DevError;
}

/** Everything a probe found. */
export interface ProbeResult {
  /** The devices brought up, by type. */
  devices: DeviceContainer;
  /** Every PCI function seen, in enumeration order. */
  pciFunctions: PciFunctionRecord[];
  /** Devices no driver matched (said at debug level, not an error). */
  unmatched: DeviceLocation[];
  /** Configuration or driver failures (said at warn level). */
  failures: ProbeFailure[];
}

/** What {@link probeAllDevices} needs. */
export interface ProbeOptions {
  hal: Hal;
  /** The platform description (ECAM base, bus end, windows, virtio-mmio slots, platform devices). */
  config: PlatformConfig;
  /** The selected drivers, in the order they are offered each device. */
  drivers: readonly NetDriverEntry[];
  /** Configuration access to use instead of ECAM at `config.pciEcamBase` through `hal.mapMmio`. */
  pciAccess?: ConfigurationAccess;
  /** BAR allocators to use instead of fresh ones over the configured windows. */
  allocators?: PciAllocators;
  /** Which buses to probe (all by default). */
  buses?: { platform?: boolean; mmio?: boolean; pci?: boolean };
}

function emptyResult(devices = new DeviceContainer()): ProbeResult {
  return { devices, pciFunctions: [], unmatched: [], failures: [] };
}

function hex(v: number): string {
  return `0x${v.toString(16)}`;
}

/** `  BAR 0: MEM [0x40000000, 0x40080000) 64bit` / `  BAR 2: IO  [0x1000, 0x1020)` (ArceOS's debug lines). */
export function formatBar(n: number, bar: BarInfo): string {
  if (bar.kind === "io") return `  BAR ${n}: IO  [${hex(bar.port)}, ${hex(bar.port + bar.size)})`;
  return `  BAR ${n}: MEM [${hex(bar.address)}, ${hex(bar.address + bar.size)})${bar.is64 ? " 64bit" : ""}${bar.prefetchable ? " pref" : ""}`;
}

/** Offers a device to each driver in order; first match wins. */
function offer(
  drivers: readonly NetDriverEntry[],
  location: DeviceLocation,
  result: ProbeResult,
  call: (d: NetDriverEntry) => DevResult<NetDriverOps> | undefined,
): { outcome: "claimed" | "unmatched" | "failed"; driver?: string; error?: DevError } {
  const where = formatLocation(location);
  for (const d of drivers) {
    const r = call(d);
    if (r === undefined) continue;
    if (r instanceof DevError) {
      log.warn(TARGET, `failed to initialize ${d.name} device at ${where}: ${r.message}`);
      result.failures.push({ location, driver: d.name, error: r });
      return { outcome: "failed", driver: d.name, error: r };
    }
    log.info(TARGET, `registered a new ${r.deviceType()} device at ${where}: ${r.deviceName()}`);
    result.devices.add({ device: r, driver: d.name, location });
    return { outcome: "claimed", driver: d.name };
  }
  log.debug(TARGET, `no driver matched the device at ${where}`);
  result.unmatched.push(location);
  return { outcome: "unmatched" };
}

/**
 * Gives the function's unassigned BARs addresses and enables it (ArceOS `config_pci_device`): a memory BAR
 * holding 0 gets a naturally aligned block — a 64-bit BAR from the 64-bit window (through both halves),
 * falling back to the 32-bit window when that has no room; a 32-bit BAR from the 32-bit window — and an I/O
 * BAR holding 0 gets ports from the I/O window. Each BAR is logged at debug level; then I/O, memory and bus
 * mastering are enabled. `NoMemory` when a window has no room.
 */
export function configurePciFunction(
  root: PciRoot,
  bdf: DeviceFunction,
  allocators: PciAllocators,
): DevResult<(BarInfo | undefined)[]> {
  const count = root.barCount(bdf);
  const bars: (BarInfo | undefined)[] = new Array<BarInfo | undefined>(count).fill(undefined);
  for (let n = 0; n < count; n++) {
    let bar = root.barInfo(bdf, n);
    if (bar instanceof DevError) return bar;
    if (bar === undefined) continue;
    if (bar.kind === "memory" && bar.address === 0) {
      let addr: number | undefined;
      if (bar.is64) {
        addr = allocators.mmio64?.alloc(bar.size) ?? allocators.mmio32?.alloc(bar.size);
        if (addr !== undefined) root.setBar64(bdf, n, addr);
      } else {
        addr = allocators.mmio32?.alloc(bar.size);
        if (addr !== undefined) root.setBar32(bdf, n, addr);
      }
      if (addr === undefined) {
        return DevError.withDetail(
          "NoMemory",
          `no room for BAR ${n} (${bar.size} bytes) of ${bdf.toString()}`,
        );
      }
    } else if (bar.kind === "io" && bar.port === 0) {
      const port = allocators.io?.alloc(bar.size);
      if (port === undefined) {
        return DevError.withDetail(
          "NoMemory",
          `no I/O ports for BAR ${n} (${bar.size} bytes) of ${bdf.toString()}`,
        );
      }
      root.setBar32(bdf, n, port);
    }
    // read back what the device holds now
    bar = root.barInfo(bdf, n);
    if (bar instanceof DevError) return bar;
    if (bar === undefined) continue;
    bars[n] = bar;
    if (log.debugOn) log.debug(TARGET, formatBar(n, bar));
    if (bar.kind === "memory" && bar.is64) n++;
  }
  root.setCommand(bdf, root.getCommand(bdf) | PCI_COMMAND_IO | PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER);
  return bars;
}

/**
 * The PCI part of ArceOS's probe (`probe_bus_devices`, bus-pci): walk buses 0..PCI_BUS_END, skip functions
 * whose header is not a standard endpoint, configure each endpoint ({@link configurePciFunction}) and offer it
 * to each driver's `probePci` in order; the first that claims it wins.
 */
export function probePciDevices(
  hal: Hal,
  root: PciRoot,
  busEnd: number,
  drivers: readonly NetDriverEntry[],
  allocators: PciAllocators,
  result: ProbeResult = emptyResult(),
): ProbeResult {
  for (let bus = 0; bus <= busEnd; bus++) {
    for (const [bdf, info] of root.enumerateBus(bus)) {
      log.debug(TARGET, `PCI ${bdf.toString()}: ${formatFunctionInfo(info)}`);
      const location: DeviceLocation = { bus: "pci", bdf, info };
      if (info.headerType !== PCI_HEADER_TYPE_NORMAL) {
        const rec: PciFunctionRecord = { bdf, info, bars: [], outcome: "skipped" };
        if (info.headerType === PCI_HEADER_TYPE_BRIDGE)
          rec.secondaryBus = root.configRead8(bdf, PCI_SECONDARY_BUS);
        result.pciFunctions.push(rec);
        continue;
      }
      const bars = configurePciFunction(root, bdf, allocators);
      if (bars instanceof DevError) {
        log.warn(
          TARGET,
          `failed to enable PCI device at ${bdf.toString()} (${formatFunctionInfo(info)}): ${bars.message}`,
        );
        result.failures.push({ location, error: bars });
        result.pciFunctions.push({ bdf, info, bars: [], outcome: "enable-failed", error: bars });
        continue;
      }
      const o = offer(drivers, location, result, (d) => d.probePci?.({ hal, pci: root, bdf, info }));
      const rec: PciFunctionRecord = { bdf, info, bars, outcome: o.outcome };
      if (o.driver !== undefined) rec.driver = o.driver;
      if (o.error !== undefined) rec.error = o.error;
      result.pciFunctions.push(rec);
    }
  }
  return result;
}

/**
 * The virtio-mmio part (bus-mmio): each slot of the description whose register block starts with the magic
 * value 0x74726976 (read through `hal.mapMmio`) is offered to each driver's `probeMmio` in order.
 */
export function probeMmioDevices(
  hal: Hal,
  regions: readonly { base: number; size: number }[],
  drivers: readonly NetDriverEntry[],
  result: ProbeResult = emptyResult(),
): ProbeResult {
  for (const { base, size } of regions) {
    const location: DeviceLocation = { bus: "mmio", base, size };
    const win = hal.mapMmio(base, size);
    if (win instanceof DevError) {
      log.warn(TARGET, `cannot map virtio-mmio slot at ${hex(base)}: ${win.message}`);
      result.failures.push({ location, error: win });
      continue;
    }
    const magic = win.read32(VIRTIO_MMIO_MAGIC_OFFSET);
    if (magic !== VIRTIO_MMIO_MAGIC) {
      log.debug(TARGET, `no virtio-mmio device at ${hex(base)} (magic ${hex(magic)})`);
      continue;
    }
    offer(drivers, location, result, (d) => d.probeMmio?.({ hal, base, size }));
  }
  return result;
}

/** The platform-device part: each device of the description is offered to each driver's `probePlatform`. */
export function probePlatformDevices(
  hal: Hal,
  devices: readonly PlatformDeviceInfo[],
  drivers: readonly NetDriverEntry[],
  result: ProbeResult = emptyResult(),
): ProbeResult {
  for (const device of devices) {
    const location: DeviceLocation = {
      bus: "platform",
      compatible: device.compatible,
      base: device.base,
      size: device.size,
      irq: device.irq,
    };
    offer(drivers, location, result, (d) => d.probePlatform?.({ hal, device }));
  }
  return result;
}

/**
 * Probes the whole machine (ArceOS `AllDevices::probe`): platform devices, then virtio-mmio slots, then PCI
 * buses 0..PCI_BUS_END over ECAM at PCI_ECAM_BASE, offering each device to the selected drivers in order.
 * `InvalidParam`/mapping errors of the ECAM region are returned; everything else lands in the result.
 */
export function probeAllDevices(opts: ProbeOptions): DevResult<ProbeResult> {
  const { hal, config, drivers } = opts;
  const want = { platform: true, mmio: true, pci: true, ...opts.buses };
  const result = emptyResult();
  if (want.platform) probePlatformDevices(hal, config.platformDevices, drivers, result);
  if (want.mmio) probeMmioDevices(hal, config.virtioMmioRegions, drivers, result);
  if (want.pci) {
    let access = opts.pciAccess;
    if (access === undefined) {
      const ecam = MmioConfigAccess.map(hal, config.pciEcamBase, config.pciBusEnd, "ecam");
      if (ecam instanceof DevError) return ecam;
      access = ecam;
    }
    const root = new PciRoot(access);
    probePciDevices(hal, root, config.pciBusEnd, drivers, opts.allocators ?? allocatorsFor(config), result);
  }
  return result;
}

function outcomeText(rec: PciFunctionRecord): string {
  switch (rec.outcome) {
    case "claimed":
      return `-> ${rec.driver}`;
    case "unmatched":
      return "(no driver)";
    case "failed":
      return `-> ${rec.driver} FAILED: ${rec.error?.message ?? ""}`;
    case "enable-failed":
      return `(not enabled: ${rec.error?.message ?? ""})`;
    case "skipped":
      return rec.secondaryBus !== undefined ? `bridge to bus ${hex2(rec.secondaryBus)}` : "(not an endpoint)";
  }
}

function hex2(v: number): string {
  return v.toString(16).padStart(2, "0");
}

/**
 * The probe result as an indented tree, for the CLI: platform devices, virtio-mmio slots, then the PCI
 * hierarchy (functions behind a bridge nested under it), each with its BARs and what claimed it.
 */
export function formatProbeTree(result: ProbeResult): string[] {
  const out: string[] = [];
  const claimedBy = new Map<string, string>();
  for (const d of result.devices.all()) {
    claimedBy.set(
      formatLocation(d.location),
      `-> ${d.driver} (${d.device.deviceType()} ${d.device.deviceName()})`,
    );
  }
  const nonPci = [
    ...result.devices.all().map((d) => d.location),
    ...result.unmatched,
    ...result.failures.filter((f) => f.driver !== undefined).map((f) => f.location),
  ].filter((l) => l.bus !== "pci");
  for (const kind of ["platform", "mmio"] as const) {
    const here = nonPci.filter((l) => l.bus === kind);
    if (here.length === 0) continue;
    out.push(kind === "platform" ? "platform" : "virtio-mmio");
    for (const l of here) {
      const where = formatLocation(l);
      const failure = result.failures.find((f) => formatLocation(f.location) === where);
      const what =
        claimedBy.get(where) ??
        (failure !== undefined ? `-> ${failure.driver} FAILED: ${failure.error.message}` : "(no driver)");
      out.push(`  ${where} ${what}`);
    }
  }
  if (result.pciFunctions.length > 0) {
    out.push("pci");
    const byBus = new Map<number, PciFunctionRecord[]>();
    for (const r of result.pciFunctions) {
      const list = byBus.get(r.bdf.bus) ?? [];
      list.push(r);
      byBus.set(r.bdf.bus, list);
    }
    const shown = new Set<number>();
    const walk = (bus: number, depth: number) => {
      if (shown.has(bus)) return;
      shown.add(bus);
      const pad = "  ".repeat(depth);
      for (const r of byBus.get(bus) ?? []) {
        out.push(`${pad}${r.bdf.toString()} ${formatFunctionInfo(r.info)} ${outcomeText(r)}`);
        r.bars.forEach((b, n) => {
          if (b !== undefined) out.push(`${pad}${formatBar(n, b)}`);
        });
        if (r.secondaryBus !== undefined && r.secondaryBus !== 0) walk(r.secondaryBus, depth + 1);
      }
    };
    for (const bus of [...byBus.keys()].sort((a, b) => a - b)) walk(bus, 1);
  }
  return out;
}
