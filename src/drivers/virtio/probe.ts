import { DevError, type DevResult } from "../../base/dev-error.js";
import { DeviceType } from "../../base/device-type.js";
import type { Hal } from "../../hal/hal.js";
import { VirtioDeviceId } from "../../hw/virtio/status.js";
import type { DeviceFunction, DeviceFunctionInfo, PciFunctionAccess } from "../../pci/types.js";
import { LegacyPciTransport } from "./legacy-pci-transport.js";
import { MmioTransport } from "./mmio-transport.js";
import { PciTransport, virtioPciDeviceId, virtioPciStructures } from "./pci-transport.js";
import type { VirtioTransport } from "./transport.js";

/**
 * The axdriver device type of a virtio device ID, as axdriver_virtio's `as_dev_type`: network, block and
 * GPU; anything else is not handled (undefined).
 */
export function virtioDeviceType(virtioId: number): DeviceType | undefined {
  switch (virtioId) {
    case VirtioDeviceId.NETWORK:
      return DeviceType.Net;
    case VirtioDeviceId.BLOCK:
      return DeviceType.Block;
    case VirtioDeviceId.GPU:
      return DeviceType.Display;
    default:
      return undefined;
  }
}

/** A recognised virtio device: its type and a transport to drive it. */
export interface ProbedVirtioDevice<T extends VirtioTransport = VirtioTransport> {
  deviceType: DeviceType;
  transport: T;
}

/**
 * Tries a virtio-mmio device at `[base, base + size)`, as axdriver_virtio's `probe_mmio_device`: the
 * device type and an MMIO transport, or undefined when there is no recognised virtio device there.
 */
export function probeMmioDevice(
  hal: Hal,
  base: number,
  size: number,
): ProbedVirtioDevice<MmioTransport> | undefined {
  const regs = hal.mapMmio(base, size);
  if (regs instanceof DevError) return undefined;
  const t = MmioTransport.create(regs);
  if (t instanceof DevError) return undefined;
  const deviceType = virtioDeviceType(t.deviceId());
  if (deviceType === undefined) return undefined;
  return { deviceType, transport: t };
}

/** Options of {@link probePciDevice}. */
export interface ProbePciOptions {
  /** Use the legacy I/O BAR of a transitional device even when it also has the modern capabilities. */
  preferLegacy?: boolean;
}

/**
 * Tries a PCI function, as axdriver_virtio's `probe_pci_device`: undefined when it is not a virtio
 * device of a handled type; else the type and a transport, or the error that stopped making one. A modern
 * function (0x1041..) gets the modern transport; a transitional one (0x1000..) the modern transport when
 * it has the virtio capabilities (unless `preferLegacy`), else the legacy I/O BAR transport.
 */
export function probePciDevice(
  hal: Hal,
  pci: PciFunctionAccess,
  bdf: DeviceFunction,
  info: DeviceFunctionInfo,
  options: ProbePciOptions = {},
): DevResult<ProbedVirtioDevice> | undefined {
  const id = virtioPciDeviceId(info);
  if (id === undefined) return undefined;
  const deviceType = virtioDeviceType(id);
  if (deviceType === undefined) return undefined;
  const transitional = info.deviceId < 0x1040;
  const hasModern = virtioPciStructures(pci, bdf).length > 0;
  let transport: DevResult<VirtioTransport>;
  if (transitional && (options.preferLegacy === true || !hasModern)) {
    transport = LegacyPciTransport.create(hal, pci, bdf, info);
  } else {
    transport = PciTransport.create(hal, pci, bdf, info);
  }
  if (transport instanceof DevError) return transport;
  return { deviceType, transport };
}
