/**
 * VirtIO facts: status and feature bits, split-ring layout, virtio-net config and header, MMIO and PCI
 * register layouts (virtio 1.2). Constants only, no behaviour.
 * @packageDocumentation
 */
export * from "./features.js";
export * from "./mmio.js";
export * from "./net.js";
export * from "./pci.js";
export * from "./ring.js";
export * from "./status.js";
