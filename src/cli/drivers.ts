/**
 * The driver entries the `axdriver` commands offer devices to: the platform's default ones, or, when the
 * user asks for a queue size, the same three drivers built with it (the TypeScript form of choosing the
 * Rust const generic `QS`).
 */
import type { DevResult } from "../base/dev-error.js";
import { FXmacNic } from "../drivers/fxmac/index.js";
import { createIxgbeDriver, MEM_POOL } from "../drivers/ixgbe/index.js";
import { createVirtioNetDriver } from "../drivers/virtio/index.js";
import { GEM_COMPATIBLE } from "../hw/gem/registers.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import { defaultDrivers } from "../platform/default-drivers.js";
import type { NetDriverEntry, PlatformProbeContext } from "../platform/driver.js";

/** Entries of the ixgbe pool for a queue size: the default 4096, or four queues' worth when that is more. */
export function ixgbePoolEntries(queueSize: number): number {
  return Math.max(MEM_POOL, 4 * queueSize);
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
    createVirtioNetDriver(queueSize),
    createIxgbeDriver({ queueSize, poolEntries: ixgbePoolEntries(queueSize) }),
    fxmacDriver(queueSize),
  ];
}
