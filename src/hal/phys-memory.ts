/** Default physical base address of the emulated machine's RAM. */
export const DEFAULT_RAM_BASE = 0x8000_0000;
/** Page size used by the DMA allocator and the device families here. */
export const PAGE_SIZE = 4096;

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/**
 * Physical memory a device can reach by DMA: one buffer mapped at a base physical address.
 * On the emulated machine it is the whole RAM (a `SharedArrayBuffer`, so a device model can run on
 * another thread); on real hardware it is a pinned DMA arena. Typed-array views are made once;
 * translating between a physical address and an offset is arithmetic.
 */
export class PhysicalMemory {
  /** The backing storage. */
  readonly buffer: SharedArrayBuffer | ArrayBuffer;
  /** Physical address of byte 0. */
  readonly base: number;
  /** Size in bytes. */
  readonly size: number;
  /** Byte view of all of it. */
  readonly u8: Uint8Array;
  /** 16-bit view (index = offset >> 1). */
  readonly u16: Uint16Array;
  /** 32-bit view (index = offset >> 2). */
  readonly u32: Uint32Array;
  /** For unaligned fields only. */
  readonly view: DataView;

  /**
   * @param sizeOrBuffer size in bytes (a new zeroed `SharedArrayBuffer`), or an existing buffer
   * @param base physical address of byte 0 (page aligned)
   */
  constructor(sizeOrBuffer: number | SharedArrayBuffer | ArrayBuffer, base: number = DEFAULT_RAM_BASE) {
    if (!LITTLE_ENDIAN) throw new Error("axdriver needs a little-endian host (all device families are LE)");
    const buffer = typeof sizeOrBuffer === "number" ? new SharedArrayBuffer(sizeOrBuffer) : sizeOrBuffer;
    if (buffer.byteLength % PAGE_SIZE !== 0) throw new RangeError("physical memory size must be whole pages");
    if (base % PAGE_SIZE !== 0 || base < 0 || base + buffer.byteLength > Number.MAX_SAFE_INTEGER) {
      throw new RangeError(`bad physical base 0x${base.toString(16)}`);
    }
    this.buffer = buffer;
    this.base = base;
    this.size = buffer.byteLength;
    this.u8 = new Uint8Array(buffer);
    this.u16 = new Uint16Array(buffer);
    this.u32 = new Uint32Array(buffer);
    this.view = new DataView(buffer);
  }

  /** True when `[pa, pa + len)` lies inside this memory. */
  contains(pa: number, len: number): boolean {
    return pa >= this.base && len >= 0 && pa + len <= this.base + this.size;
  }

  /** Offset of physical address `pa`, or -1 when it lies outside. */
  offsetOf(pa: number): number {
    const off = pa - this.base;
    return off >= 0 && off < this.size ? off : -1;
  }

  /** Physical address of offset `off`. */
  physOf(off: number): number {
    return this.base + off;
  }

  /** Reads a 64-bit little-endian field at an 8-aligned offset as a number (high half must be < 2^21). */
  read64(off: number): number {
    const i = off >>> 2;
    return this.u32[i]! + this.u32[i + 1]! * 0x1_0000_0000;
  }

  /** Writes a number as a 64-bit little-endian field at a 4-aligned offset, as two 32-bit halves. */
  write64(off: number, value: number): void {
    const i = off >>> 2;
    this.u32[i] = value >>> 0;
    this.u32[i + 1] = Math.floor(value / 0x1_0000_0000);
  }
}
