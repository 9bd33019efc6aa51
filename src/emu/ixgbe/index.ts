/**
 * The Intel 82599 device model: registers, descriptor queues, link, RSS, and its PCI function.
 * @packageDocumentation
 */
export type { Ixgbe82599Options, IxgbeModelHost } from "./ixgbe-model.js";
export { ethernetFcs as ixgbeFcs, Ixgbe82599 } from "./ixgbe-model.js";
export type { Ixgbe82599PciOptions } from "./ixgbe-pci.js";
export { Ixgbe82599Pci } from "./ixgbe-pci.js";
export { RssEngine as IxgbeRssEngine, toeplitzHash as ixgbeToeplitzHash } from "./rss.js";
