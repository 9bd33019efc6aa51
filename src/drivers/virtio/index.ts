/**
 * axdriver_virtio: virtio transports (MMIO v1/v2, modern and legacy PCI), split virtqueues and the
 * virtio-net driver, with the probe helpers and the driver entry for the platform's probe flow.
 * @packageDocumentation
 */
import { DevError, type DevResult } from "../../base/dev-error.js";
import { DeviceType } from "../../base/device-type.js";
import { VIRTIO_PCI_DEVICE_NET, VIRTIO_PCI_TRANSITIONAL, VIRTIO_PCI_VENDOR } from "../../hw/virtio/pci.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import type { MmioProbeContext, NetDriverEntry, PciProbeContext } from "../../platform/driver.js";
import { DEFAULT_QUEUE_SIZE, VirtIoNetDev } from "./net-dev.js";
import { probeMmioDevice, probePciDevice } from "./probe.js";

export { LegacyPciTransport } from "./legacy-pci-transport.js";
export { MmioTransport } from "./mmio-transport.js";
export type { VirtIoNetDevOptions, VirtIoNetStats } from "./net-dev.js";
export { DEFAULT_QUEUE_SIZE, DRIVER_FEATURES, NET_BUF_LEN, VirtIoNetDev } from "./net-dev.js";
export type { VirtioPciStructure } from "./pci-transport.js";
export {
  PCI_COMMAND_BUS_MASTER,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PciTransport,
  virtioPciDeviceId,
  virtioPciStructures,
} from "./pci-transport.js";
export type { ProbedVirtioDevice, ProbePciOptions } from "./probe.js";
export { probeMmioDevice, probePciDevice, virtioDeviceType } from "./probe.js";
export type { VirtioTransport, VirtioTransportKind } from "./transport.js";
export type { BufferSegment, VirtQueueOptions } from "./virtqueue.js";
export { MAX_INDIRECT, POP_BAD, POP_CORRUPT, POP_EMPTY, VirtQueue } from "./virtqueue.js";

/**
 * A virtio-net entry of the probe flow with QS = `queueSize` (the Rust const generic): PCI functions
 * 1af4:1041 (modern) and 1af4:1000 (transitional) and virtio-mmio slots holding a network device, each
 * brought up as a {@link VirtIoNetDev}.
 */
export function createVirtioNetDriver(queueSize: number = DEFAULT_QUEUE_SIZE): NetDriverEntry {
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

/** The virtio-net entry of the probe flow with QS = {@link DEFAULT_QUEUE_SIZE} (ArceOS's value). */
export const virtioNetDriver: NetDriverEntry = createVirtioNetDriver();
