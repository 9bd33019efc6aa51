/**
 * Probing buses, driver selection and the device container (ArceOS `modules/axdriver`).
 * The probe functions take the driver entries they offer devices to, so a driver that is never imported is
 * not bundled; `defaultDrivers()` names every driver that exists (and so imports them all).
 * @packageDocumentation
 */
export { defaultDrivers, selectDrivers } from "./default-drivers.js";
export type { DeviceLocation, ProbedDevice } from "./device-container.js";
export { DeviceContainer, formatLocation } from "./device-container.js";
export type { MmioProbeContext, NetDriverEntry, PciProbeContext, PlatformProbeContext } from "./driver.js";
export type { PciAllocators, PciFunctionRecord, ProbeFailure, ProbeOptions, ProbeResult } from "./probe.js";
export {
  allocatorsFor,
  configurePciFunction,
  formatBar,
  formatProbeTree,
  probeAllDevices,
  probeMmioDevices,
  probePciDevices,
  probePlatformDevices,
  VIRTIO_MMIO_MAGIC,
} from "./probe.js";
