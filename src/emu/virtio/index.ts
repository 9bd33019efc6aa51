/**
 * The virtio-net device model: split virtqueues (device side), the net device and its transports.
 * @packageDocumentation
 */
export type { QueueFaultSink } from "./device-queue.js";
export { DeviceQueue } from "./device-queue.js";
export type { LegacyRegistersHost } from "./legacy-pci-transport.js";
export {
  LEGACY_IO_BAR_SIZE,
  LegacyPciRegisters,
  legacyIoBarSize,
  VirtioLegacyPciDevice,
} from "./legacy-pci-transport.js";
export type { VirtioMmioTransportOptions } from "./mmio-transport.js";
export { VirtioMmioTransport } from "./mmio-transport.js";
export type { HostileKind, VirtioInterface, VirtioNetCounters, VirtioNetModelOptions } from "./net-model.js";
export { DEFAULT_NET_FEATURES, VirtioNetModel } from "./net-model.js";
export type { VirtioPciDeviceOptions } from "./pci-transport.js";
export { VirtioPciDevice, VirtioPciLayout, VirtioTransitionalPciDevice } from "./pci-transport.js";
