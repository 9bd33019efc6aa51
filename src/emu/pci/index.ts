/**
 * PCI function models (type 0 endpoint, type 1 bridge) and the machine's PCI host bridge.
 * @packageDocumentation
 */

export type { MsixSink } from "./msix-table.js";
export { MsixTable } from "./msix-table.js";
export type { PciBridgeOptions } from "./pci-bridge.js";
export { PciBridgeModel } from "./pci-bridge.js";
export type { BarSpec, CommonHeaderOptions, PciBuses, PciFunctionOptions } from "./pci-function.js";
export { PCI_COMMAND_WRITABLE, PciConfigModel, PciFunctionModel } from "./pci-function.js";
export { PCI_CONFIG_ADDRESS_PORT, PCI_CONFIG_DATA_PORT, PciHost } from "./pci-host.js";
