/**
 * Linux user-space access to real PCI devices (Node-only, through koffi): configuration space, BAR mapping,
 * DMA memory (huge pages, locked pages with /proc/self/pagemap, or VFIO with an IOMMU), a `Hal` over them,
 * and `attach`, which binds a driver of this project to one device the user names.
 * @packageDocumentation
 */

export type { AttachedNic, AttachOptions } from "./attach.js";
export { attach } from "./attach.js";
export type { BarWindow, RawConfigIo } from "./config-access.js";
export { GuardedConfigAccess } from "./config-access.js";
export type { DmaArena } from "./dma-memory.js";
export {
  allocHugePageArena,
  allocLockedArena,
  HUGE_PAGE,
  physicalAddresses,
  SMALL_PAGE,
} from "./dma-memory.js";
export type { EchoOptions, PktgenOptions, TrafficStats } from "./jobs.js";
export { echoRound, newTrafficStats, runEcho, runPktgen } from "./jobs.js";
export type { PciAddress } from "./pci-address.js";
export { boundDriver, parsePciAddress, refusalReason, SYSFS_PCI_DEVICES } from "./pci-address.js";
export { FilePortIo } from "./port-io.js";
export { parseResourceFile, SysfsPciDevice } from "./sysfs-device.js";
export type { UserPciDevice } from "./user-device.js";
export { BarMapper } from "./user-device.js";
export type { DmaSource, UserHal } from "./user-hal.js";
export { allocDmaArena, createUserHal, DEFAULT_DMA_BYTES } from "./user-hal.js";
export { DEFAULT_IOVA_BASE, VfioPciDevice } from "./vfio.js";
