import { DevError, type DevResult } from "../base/dev-error.js";
import type { Clock } from "./clock.js";
import { DmaAllocator, type DmaRegion } from "./dma.js";
import type { MmioRegion } from "./mmio.js";
import type { PhysicalMemory } from "./phys-memory.js";

/**
 * What a driver gets from the machine it runs on: DMA memory, register windows and time.
 * A driver reaches hardware only through this (and `pci/`), so the same driver runs on the emulated
 * machine and on a real device mapped from user space.
 */
export interface Hal {
  /** The DMA-capable memory; regions from {@link Hal.dmaAlloc} lie in it. */
  readonly memory: PhysicalMemory;
  /** Allocates zeroed, physically contiguous DMA memory (whole pages, aligned to `align`, default a page). */
  dmaAlloc(size: number, align?: number): DevResult<DmaRegion>;
  /** Frees a region from {@link Hal.dmaAlloc}. */
  dmaDealloc(region: DmaRegion): DevResult<void>;
  /** Maps `size` bytes of memory-mapped registers at physical address `paddr`. */
  mapMmio(paddr: number, size: number): DevResult<MmioRegion>;
  /** Maps `size` bytes of I/O port space at `port` (legacy PCI I/O BARs); `Unsupported` where there is none. */
  mapIo(port: number, size: number): DevResult<MmioRegion>;
  /** Current time in nanoseconds (virtual on the emulated machine). */
  now(): number;
  /**
   * Waits until `cond()` is true, for at most `timeoutNs`. On the emulated machine this advances the
   * virtual clock (firing the devices' timed events) and takes no real time. Returns an `Again` error
   * naming `what` when the condition was not seen in time; it never spins forever.
   */
  waitUntil(cond: () => boolean, timeoutNs: number, what?: string): DevResult<void>;
  /** Lets `ns` nanoseconds pass. */
  sleep(ns: number): void;
}

/** How a {@link BasicHal} reaches register windows. */
export interface RegionMapper {
  mapMmio(paddr: number, size: number): DevResult<MmioRegion>;
  mapIo?(port: number, size: number): DevResult<MmioRegion>;
}

/** A {@link Hal} from parts: a memory with its page allocator, a clock and a register-window mapper. */
export class BasicHal implements Hal {
  readonly memory: PhysicalMemory;
  readonly allocator: DmaAllocator;
  readonly clock: Clock;
  private readonly mapper: RegionMapper;

  constructor(memory: PhysicalMemory, clock: Clock, mapper: RegionMapper, allocator?: DmaAllocator) {
    this.memory = memory;
    this.clock = clock;
    this.mapper = mapper;
    this.allocator = allocator ?? new DmaAllocator(memory);
  }

  dmaAlloc(size: number, align?: number): DevResult<DmaRegion> {
    return this.allocator.alloc(size, align);
  }
  dmaDealloc(region: DmaRegion): DevResult<void> {
    return this.allocator.free(region);
  }
  mapMmio(paddr: number, size: number): DevResult<MmioRegion> {
    return this.mapper.mapMmio(paddr, size);
  }
  mapIo(port: number, size: number): DevResult<MmioRegion> {
    if (this.mapper.mapIo === undefined) return DevError.withDetail("Unsupported", "no I/O port space");
    return this.mapper.mapIo(port, size);
  }
  now(): number {
    return this.clock.now();
  }
  waitUntil(cond: () => boolean, timeoutNs: number, what = "condition"): DevResult<void> {
    const deadline = this.clock.now() + timeoutNs;
    for (;;) {
      if (cond()) return undefined;
      if (this.clock.now() >= deadline) {
        return DevError.withDetail("Again", `timed out after ${timeoutNs} ns waiting for ${what}`);
      }
      this.clock.passUntil(deadline);
    }
  }
  sleep(ns: number): void {
    const deadline = this.clock.now() + ns;
    while (this.clock.now() < deadline) this.clock.passUntil(deadline);
  }
}
