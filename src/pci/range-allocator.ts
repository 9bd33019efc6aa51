/** True when `n` is a positive power of two that is a safe integer. */
export function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

/**
 * axdriver_pci's `PciRangeAllocator` (pci.md §10): a bump allocator for BAR addresses in one window
 * `[base, base + size)`. `alloc(size)` takes a power of two, aligns the cursor up to it (BARs are naturally
 * aligned) and returns the address, or `undefined` when the size is not a power of two or the window has no
 * room left. Nothing is ever freed. Addresses are numbers (windows above 4 GiB are fine below 2^53).
 */
export class PciRangeAllocator {
  /** End of the window (exclusive). */
  readonly end: number;
  private cursor: number;

  constructor(
    /** Start of the window. */
    readonly base: number,
    /** Size of the window in bytes. */
    readonly size: number,
  ) {
    if (!Number.isSafeInteger(base) || base < 0 || !Number.isSafeInteger(size) || size < 0) {
      throw new RangeError(`bad PCI range 0x${base.toString(16)}+0x${size.toString(16)}`);
    }
    if (!Number.isSafeInteger(base + size)) throw new RangeError("PCI range ends beyond 2^53");
    this.end = base + size;
    this.cursor = base;
  }

  /** Next address the cursor stands at. */
  get current(): number {
    return this.cursor;
  }

  /** Bytes after the cursor. */
  get remaining(): number {
    return this.end - this.cursor;
  }

  /** A naturally aligned block of `size` bytes (a power of two), or `undefined`. */
  alloc(size: number): number | undefined {
    if (!isPowerOfTwo(size)) return undefined;
    const aligned = Math.ceil(this.cursor / size) * size;
    if (aligned + size > this.end) return undefined;
    this.cursor = aligned + size;
    return aligned;
  }
}
