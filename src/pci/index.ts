/**
 * axdriver_pci: configuration access, enumeration, BARs, capabilities and the BAR range allocator.
 * @packageDocumentation
 */

export type {
  BarInfo,
  CapabilityInfo,
  ConfigurationAccess,
  DeviceFunctionInfo,
  PciFunctionAccess,
} from "./types.js";
export { DeviceFunction } from "./types.js";
