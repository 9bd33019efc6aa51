/**
 * axdriver_pci: configuration access, enumeration, BARs, capabilities and the BAR range allocator.
 * The read-only Linux sysfs access is Node-only and lives in `./sysfs.js` (not re-exported here).
 * @packageDocumentation
 */

export type { CamLayout } from "./config-access.js";
export {
  CamAccess,
  CONFIG_ADDRESS_ENABLE,
  camRegionSize,
  configSpaceSize,
  EcamAccess,
  MmioConfigAccess,
  PortCamAccess,
} from "./config-access.js";
export { isPowerOfTwo, PciRangeAllocator } from "./range-allocator.js";
export type { PciFunctionEntry } from "./root.js";
export { decodeFunctionInfo, formatFunctionInfo, PciRoot } from "./root.js";
export type {
  BarInfo,
  CapabilityInfo,
  ConfigurationAccess,
  DeviceFunctionInfo,
  PciFunctionAccess,
} from "./types.js";
export { DeviceFunction } from "./types.js";
