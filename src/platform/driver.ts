import type { DevResult } from "../base/dev-error.js";
import type { Hal } from "../hal/hal.js";
import type { PlatformDeviceInfo } from "../hal/platform-config.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import type { DeviceFunction, DeviceFunctionInfo, PciFunctionAccess } from "../pci/types.js";

/** What a driver's PCI probe is offered: a function whose BARs are assigned and decoding is enabled. */
export interface PciProbeContext {
  hal: Hal;
  pci: PciFunctionAccess;
  bdf: DeviceFunction;
  info: DeviceFunctionInfo;
}

/** What a driver's MMIO probe is offered: a virtio-mmio slot (or any register window) from the description. */
export interface MmioProbeContext {
  hal: Hal;
  base: number;
  size: number;
}

/** What a driver's platform probe is offered: a platform device from the description. */
export interface PlatformProbeContext {
  hal: Hal;
  device: PlatformDeviceInfo;
}

/**
 * A driver as the probe flow sees it (the TypeScript form of a Cargo feature): each probe answers
 * `undefined` for "not mine", a driver for "mine and up", or an error for "mine but it failed".
 */
export interface NetDriverEntry {
  /** Driver name, e.g. "virtio-net", "ixgbe", "fxmac". */
  readonly name: string;
  probePci?(ctx: PciProbeContext): DevResult<NetDriverOps> | undefined;
  probeMmio?(ctx: MmioProbeContext): DevResult<NetDriverOps> | undefined;
  probePlatform?(ctx: PlatformProbeContext): DevResult<NetDriverOps> | undefined;
}
