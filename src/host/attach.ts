import { DevError, type DevResult } from "../base/dev-error.js";
import { log } from "../base/log.js";
import type { Hal } from "../hal/hal.js";
import {
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_HEADER_TYPE_NORMAL,
} from "../hw/pci/config.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import { formatFunctionInfo, PciRoot } from "../pci/root.js";
import type { BarInfo, DeviceFunctionInfo } from "../pci/types.js";
import type { NetDriverEntry } from "../platform/driver.js";
import { configurePciFunction } from "../platform/probe.js";
import type { DmaArena } from "./dma-memory.js";
import { parsePciAddress } from "./pci-address.js";
import { SysfsPciDevice } from "./sysfs-device.js";
import type { UserPciDevice } from "./user-device.js";
import { allocDmaArena, createUserHal, DEFAULT_DMA_BYTES, type DmaSource } from "./user-hal.js";
import { VfioPciDevice } from "./vfio.js";

const TARGET = "axdriver::host";

/** What `axdriver attach BDF [--vfio]` needs. */
export interface AttachOptions {
  /** The PCI function the user named: `DDDD:BB:DD.F` or `BB:DD.F`. Nothing else is ever opened. */
  address: string;
  /** Drive it through VFIO (bound to vfio-pci, IOMMU on) instead of sysfs (no driver bound). */
  vfio?: boolean;
  /** DMA memory on the sysfs path (default `auto`: huge pages, else locked small pages). */
  dma?: DmaSource;
  /** Size of the DMA arena in bytes (default 4 MiB). */
  dmaBytes?: number;
  /** First I/O virtual address of DMA memory on the VFIO path. */
  iovaBase?: number;
  /** The selected drivers, offered the device in order. */
  drivers: readonly NetDriverEntry[];
}

/** A real device with a driver bound from user space. */
export interface AttachedNic {
  /** The driver, as every NIC here: use it like a device on the emulated machine. */
  readonly ops: NetDriverOps;
  /** Name of the driver entry that claimed the device. */
  readonly driver: string;
  readonly device: UserPciDevice;
  readonly hal: Hal;
  readonly arena: DmaArena;
  readonly root: PciRoot;
  readonly info: DeviceFunctionInfo;
  /** BARs as the probe read them. */
  readonly bars: ReadonlyArray<BarInfo | undefined>;
  /** The command register before anything was written, and now. */
  readonly commandBefore: number;
  command(): number;
  /**
   * Stops the device's DMA (the driver's `shutdown`/`close`/dispose when it has one — a virtio device reset —
   * then bus mastering and decoding off),
   * releases the DMA memory and closes the device.
   */
  close(): void;
}

/**
 * Opens the one PCI function the user named, from user space, and binds the first selected driver that
 * claims it — the same probe path as on the emulated machine (ArceOS `config_pci_device`: BARs read, I/O,
 * memory and bus mastering enabled, then each driver's `probePci`).
 *
 * Safety: the address must be given; a function with a kernel driver bound is refused (for VFIO: one not bound
 * to vfio-pci), with a one-line reason in the returned error. BARs are never moved: the configuration
 * access only lets the command register through and virtualises BAR sizing.
 */
export function attach(opts: AttachOptions): DevResult<AttachedNic> {
  let addr: ReturnType<typeof parsePciAddress>;
  try {
    addr = parsePciAddress(opts.address);
  } catch (e) {
    return DevError.withDetail("InvalidParam", (e as Error).message);
  }
  const device = opts.vfio ? VfioPciDevice.open(addr, opts.iovaBase) : SysfsPciDevice.open(addr);
  if (device instanceof DevError) return device;
  const fail = (e: DevError, arena?: DmaArena): DevError => {
    arena?.release();
    device.close();
    return e;
  };
  const root = new PciRoot(device.config);
  const bdf = addr.bdf;
  const info = root.functionInfo(bdf);
  if (info === undefined)
    return fail(DevError.withDetail("Io", `${addr.text} does not answer in config space`));
  if (info.headerType !== PCI_HEADER_TYPE_NORMAL)
    return fail(
      DevError.withDetail("Unsupported", `${addr.text} is not an endpoint (header ${info.headerType})`),
    );
  const commandBefore = root.getCommand(bdf);
  log.info(
    TARGET,
    `${addr.text} (${device.kind}): ${formatFunctionInfo(info)}, command 0x${commandBefore.toString(16)}`,
  );

  const arena = allocDmaArena(device, opts.dmaBytes ?? DEFAULT_DMA_BYTES, opts.dma ?? "auto");
  if (arena instanceof DevError) return fail(arena);
  log.info(
    TARGET,
    `DMA arena: ${arena.kind}, ${arena.memory.size} bytes at bus address 0x${arena.memory.base.toString(16)}`,
  );
  const { hal } = createUserHal(device, arena);

  // the platform's bring-up: BARs are already assigned by firmware, so no allocator is needed
  const bars = configurePciFunction(root, bdf, {});
  if (bars instanceof DevError) return fail(bars, arena);

  for (const entry of opts.drivers) {
    const r = entry.probePci?.({ hal, pci: root, bdf, info });
    if (r === undefined) continue;
    if (r instanceof DevError) {
      return fail(DevError.withDetail(r.kind, `${entry.name} on ${addr.text}: ${r.message}`), arena);
    }
    log.info(TARGET, `${entry.name} drives ${addr.text}: ${r.deviceName()} ${r.macAddress().toString()}`);
    let closed = false;
    return {
      ops: r,
      driver: entry.name,
      device,
      hal,
      arena,
      root,
      info,
      bars,
      commandBefore,
      command: () => (closed ? -1 : root.getCommand(bdf)),
      close: () => {
        if (closed) return;
        closed = true;
        // stop the device first (virtio: reset), so it no longer touches the memory about to be freed
        const d = r as unknown as {
          shutdown?: () => unknown;
          close?: () => unknown;
          [Symbol.dispose]?: () => void;
        };
        if (typeof d.shutdown === "function") d.shutdown();
        else if (typeof d.close === "function") d.close();
        else if (typeof d[Symbol.dispose] === "function") d[Symbol.dispose]!();
        root.setCommand(
          bdf,
          root.getCommand(bdf) & ~(PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY | PCI_COMMAND_IO),
        );
        arena.release();
        device.close();
      },
    };
  }
  const names = opts.drivers.map((d) => d.name).join(", ") || "none";
  return fail(
    DevError.withDetail(
      "Unsupported",
      `no selected driver (${names}) claims ${addr.text}: ${formatFunctionInfo(info)}`,
    ),
    arena,
  );
}
