/**
 * The contract between a driver and a machine: DMA memory, register windows (MMIO) and time.
 * @packageDocumentation
 */

export type { Clock } from "./clock.js";
export { VirtualClock, WallClock } from "./clock.js";
export { DmaAllocator, DmaRegion } from "./dma.js";
export type { Hal, RegionMapper } from "./hal.js";
export { BasicHal } from "./hal.js";
export type { AccessWidth, MmioHandler, MmioRegion } from "./mmio.js";
export { HandlerMmio, MemoryMmio } from "./mmio.js";
export { DEFAULT_RAM_BASE, PAGE_SIZE, PhysicalMemory } from "./phys-memory.js";
export type { AddressRange, PlatformConfig, PlatformDeviceInfo } from "./platform-config.js";
export { defaultPlatformConfig } from "./platform-config.js";
