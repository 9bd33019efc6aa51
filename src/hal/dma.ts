import { DevError, type DevResult } from "../base/dev-error.js";
import { PAGE_SIZE, type PhysicalMemory } from "./phys-memory.js";

/** A contiguous, page-aligned range of DMA memory. */
export class DmaRegion {
  constructor(
    /** The memory it lies in. */
    readonly memory: PhysicalMemory,
    /** Physical (bus) address of its first byte. */
    readonly paddr: number,
    /** Offset of its first byte in `memory`. */
    readonly offset: number,
    /** Size in bytes (whole pages). */
    readonly size: number,
  ) {}

  /** Byte view of the region (made on each call: keep it). */
  bytes(): Uint8Array {
    return this.memory.u8.subarray(this.offset, this.offset + this.size);
  }
}

/**
 * A page allocator over a {@link PhysicalMemory}: contiguous runs of 4 KiB pages with an alignment.
 * Freeing a region it did not hand out, or freeing twice, is an error (`InvalidParam`, `BadState`).
 */
export class DmaAllocator {
  readonly memory: PhysicalMemory;
  /** Pages in all. */
  readonly pageCount: number;
  private readonly used: Uint8Array;
  /** start page -> page count of each live allocation */
  private readonly live = new Map<number, DmaRegion>();
  private freePages: number;
  private readonly firstPage: number;

  /**
   * @param memory the memory to hand out
   * @param reserveBytes bytes at the start of memory that are never handed out (e.g. firmware)
   */
  constructor(memory: PhysicalMemory, reserveBytes = 0) {
    this.memory = memory;
    this.pageCount = memory.size / PAGE_SIZE;
    this.used = new Uint8Array(this.pageCount);
    this.firstPage = Math.ceil(reserveBytes / PAGE_SIZE);
    this.used.fill(1, 0, this.firstPage);
    this.freePages = this.pageCount - this.firstPage;
  }

  /** Pages not handed out. */
  get freePageCount(): number {
    return this.freePages;
  }

  /**
   * Allocates `size` bytes (rounded up to whole pages) whose physical address is a multiple of `align`
   * (a power of two, at least a page). Gives `NoMemory` when no such run is free.
   */
  alloc(size: number, align: number = PAGE_SIZE): DevResult<DmaRegion> {
    if (!Number.isInteger(size) || size <= 0) return DevError.withDetail("InvalidParam", `DMA size ${size}`);
    if (align < PAGE_SIZE) align = PAGE_SIZE;
    if ((align & (align - 1)) !== 0 || !Number.isSafeInteger(align)) {
      return DevError.withDetail("InvalidParam", `DMA alignment ${align} is not a power of two`);
    }
    const pages = Math.ceil(size / PAGE_SIZE);
    if (pages > this.freePages) return DevError.NoMemory;
    const alignPages = align / PAGE_SIZE;
    const basePage = this.memory.base / PAGE_SIZE;
    // first page index p with (basePage + p) % alignPages == 0
    let p = (alignPages - (basePage % alignPages)) % alignPages;
    while (p + pages <= this.pageCount) {
      let clash = -1;
      for (let q = p + pages - 1; q >= p; q--) {
        if (this.used[q] !== 0) {
          clash = q;
          break;
        }
      }
      if (clash < 0) {
        this.used.fill(1, p, p + pages);
        this.freePages -= pages;
        const offset = p * PAGE_SIZE;
        const region = new DmaRegion(this.memory, this.memory.physOf(offset), offset, pages * PAGE_SIZE);
        this.memory.u8.fill(0, offset, offset + region.size);
        this.live.set(p, region);
        return region;
      }
      // jump past the clash to the next aligned page
      p = Math.ceil((basePage + clash + 1) / alignPages) * alignPages - basePage;
    }
    return DevError.NoMemory;
  }

  /** Gives a region back. A region not handed out by this allocator, or freed already, is an error. */
  free(region: DmaRegion): DevResult<void> {
    if (region.memory !== this.memory)
      return DevError.withDetail("InvalidParam", "DMA region of another memory");
    const p = region.offset / PAGE_SIZE;
    const live = this.live.get(p);
    if (live === undefined) {
      return DevError.withDetail("BadState", `DMA region at 0x${region.paddr.toString(16)} is not allocated`);
    }
    if (live !== region) {
      return DevError.withDetail(
        "InvalidParam",
        `DMA region at 0x${region.paddr.toString(16)} was not handed out`,
      );
    }
    this.live.delete(p);
    const pages = region.size / PAGE_SIZE;
    this.used.fill(0, p, p + pages);
    this.freePages += pages;
    return undefined;
  }
}
