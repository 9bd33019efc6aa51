/**
 * The driver entries the `axdriver` commands offer devices to: the platform's default ones, or, when the
 * user asks for a queue size, the same three drivers built with it (the TypeScript form of choosing the
 * Rust const generic `QS`).
 */
import { DevError, type DevResult } from "../base/dev-error.js";
import { DeviceType } from "../base/device-type.js";
import { FXmacNic } from "../drivers/fxmac/index.js";
import { createIxgbeDriver, MEM_POOL } from "../drivers/ixgbe/index.js";
import { probeMmioDevice, probePciDevice, VirtIoNetDev } from "../drivers/virtio/index.js";
import { GEM_COMPATIBLE } from "../hw/gem/registers.js";
import { VIRTIO_PCI_DEVICE_NET, VIRTIO_PCI_TRANSITIONAL, VIRTIO_PCI_VENDOR } from "../hw/virtio/pci.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import { defaultDrivers } from "../platform/default-drivers.js";
import type {
  MmioProbeContext,
  NetDriverEntry,
  PciProbeContext,
  PlatformProbeContext,
} from "../platform/driver.js";

/** Entries of the ixgbe pool for a queue size: the default 4096, or four queues' worth when that is more. */
export function ixgbePoolEntries(queueSize: number): number {
  return Math.max(MEM_POOL, 4 * queueSize);
}

/** virtio-net with QS = `queueSize` on modern PCI, transitional PCI and virtio-mmio. */
function virtioDriver(queueSize: number): NetDriverEntry {
  return {
    name: "virtio-net",
    probePci(ctx: PciProbeContext): DevResult<NetDriverOps> | undefined {
      const { info } = ctx;
      if (info.vendorId !== VIRTIO_PCI_VENDOR) return undefined;
      if (info.deviceId !== VIRTIO_PCI_DEVICE_NET && info.deviceId !== VIRTIO_PCI_TRANSITIONAL.NET)
        return undefined;
      const p = probePciDevice(ctx.hal, ctx.pci, ctx.bdf, info);
      if (p === undefined) return undefined;
      if (p instanceof DevError) return p;
      if (p.deviceType !== DeviceType.Net) return undefined;
      return VirtIoNetDev.create(p.transport, ctx.hal, { queueSize });
    },
    probeMmio(ctx: MmioProbeContext): DevResult<NetDriverOps> | undefined {
      const p = probeMmioDevice(ctx.hal, ctx.base, ctx.size);
      if (p === undefined || p.deviceType !== DeviceType.Net) return undefined;
      return VirtIoNetDev.create(p.transport, ctx.hal, { queueSize });
    },
  };
}

/** fxmac with rings of `queueSize` descriptors. */
function fxmacDriver(queueSize: number): NetDriverEntry {
  return {
    name: "fxmac",
    probePlatform(ctx: PlatformProbeContext): DevResult<NetDriverOps> | undefined {
      if (ctx.device.compatible !== GEM_COMPATIBLE) return undefined;
      return FXmacNic.init(ctx.hal, { base: ctx.device.base, size: ctx.device.size, queueSize });
    },
  };
}

/**
 * The driver entries for a probe: the platform defaults (each driver's own default queue size) when
 * `queueSize` is undefined, else virtio-net, ixgbe and fxmac with that queue size.
 */
export function driverEntries(queueSize?: number): NetDriverEntry[] {
  if (queueSize === undefined) return defaultDrivers();
  return [
    virtioDriver(queueSize),
    createIxgbeDriver({ queueSize, poolEntries: ixgbePoolEntries(queueSize) }),
    fxmacDriver(queueSize),
  ];
}
