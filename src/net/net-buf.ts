import { DevError, type DevResult } from "../base/dev-error.js";
import type { DmaRegion } from "../hal/dma.js";
import type { Hal } from "../hal/hal.js";
import { NetBufPtr } from "./net-buf-ptr.js";

/** Smallest buffer length a pool accepts: 12-byte virtio-net header + 1514-byte frame. */
export const MIN_BUFFER_LEN = 1526;
/** Largest buffer length a pool accepts. */
export const MAX_BUFFER_LEN = 65535;

/** Where a buffer is. Every buffer is in exactly one place. */
export const BufState = {
  /** On its pool's free list. */
  Free: 0,
  /** Held by a user (or a driver between steps). */
  Held: 1,
  /** Posted to a device ring. */
  Device: 2,
} as const;
/** One of the {@link BufState} values. */
export type BufState = (typeof BufState)[keyof typeof BufState];

/**
 * A network buffer from a {@link NetBufPool}, as `axdriver_net::NetBuf`. Inside its `capacity` bytes it
 * has the seed's layout:
 *
 * ```
 *   +--------------+---------------------+-----------+
 *   |    header    |       packet        |  unused   |
 *   +--------------+---------------------+-----------+
 *   |<-headerLen-->|<-----packetLen----->|
 *   |<------------------- capacity ----------------->|
 * ```
 *
 * Its bytes are DMA memory: what a device reads and writes, with no copy. Handle objects are made once
 * per pool entry; the same object comes back after release and alloc.
 */
export class NetBuf {
  /** The pool it belongs to. */
  readonly pool: NetBufPool;
  /** Its index in the pool. */
  readonly index: number;
  /** Offset of its first byte in the DMA memory ({@link NetBuf.bytes}). */
  readonly bufOffset: number;
  /** Physical address of its first byte. */
  readonly physAddr: number;
  /** Its size in bytes. */
  readonly capacity: number;
  /** The whole DMA memory. */
  readonly bytes: Uint8Array;
  /** Where it is now. */
  state: BufState = BufState.Free;
  private hdrLen = 0;
  private pktLen = 0;
  private readonly ptr: NetBufPtr;

  /** @internal made by the pool */
  constructor(
    pool: NetBufPool,
    index: number,
    bufOffset: number,
    physAddr: number,
    capacity: number,
    bytes: Uint8Array,
  ) {
    this.pool = pool;
    this.index = index;
    this.bufOffset = bufOffset;
    this.physAddr = physAddr;
    this.capacity = capacity;
    this.bytes = bytes;
    this.ptr = new NetBufPtr(this, bytes, bufOffset, 0);
  }

  /** Header length. */
  get headerLen(): number {
    return this.hdrLen;
  }
  /** Packet length. */
  get packetLen(): number {
    return this.pktLen;
  }
  /** Offset of the first packet byte in {@link NetBuf.bytes}. */
  get packetOffset(): number {
    return this.bufOffset + this.hdrLen;
  }

  /** Sets the header length; beyond the capacity (with the packet) is `InvalidParam`. */
  setHeaderLen(len: number): DevResult<void> {
    if (!(len >= 0 && len + this.pktLen <= this.capacity) || !Number.isInteger(len))
      return DevError.InvalidParam;
    this.hdrLen = len;
    return undefined;
  }
  /** Sets the packet length; beyond the capacity (with the header) is `InvalidParam`. */
  setPacketLen(len: number): DevResult<void> {
    if (!(len >= 0 && this.hdrLen + len <= this.capacity) || !Number.isInteger(len))
      return DevError.InvalidParam;
    this.pktLen = len;
    return undefined;
  }

  /** @internal a fresh buffer holds nothing */
  clearLengths(): void {
    this.hdrLen = 0;
    this.pktLen = 0;
  }

  /** View of the header. */
  header(): Uint8Array {
    return this.bytes.subarray(this.bufOffset, this.bufOffset + this.hdrLen);
  }
  /** View of the packet. */
  packet(): Uint8Array {
    const start = this.bufOffset + this.hdrLen;
    return this.bytes.subarray(start, start + this.pktLen);
  }
  /** View of header and packet together. */
  packetWithHeader(): Uint8Array {
    return this.bytes.subarray(this.bufOffset, this.bufOffset + this.hdrLen + this.pktLen);
  }
  /** View of the whole buffer (`capacity` bytes). */
  rawBuf(): Uint8Array {
    return this.bytes.subarray(this.bufOffset, this.bufOffset + this.capacity);
  }

  /**
   * The buffer as a {@link NetBufPtr} (its packet part), as the seed's `into_buf_ptr`. The handle is this
   * buffer's own, made once; the buffer stays where it is (held by the caller).
   */
  intoBufPtr(): NetBufPtr {
    const p = this.ptr;
    p.offset = this.bufOffset + this.hdrLen;
    p.len = this.pktLen;
    return p;
  }

  /**
   * The buffer behind a {@link NetBufPtr}, as the seed's `from_buf_ptr`; the packet length follows the
   * pointer's. A pointer that is not a pool buffer's, or whose buffer is on its free list, is an error.
   */
  static fromBufPtr(ptr: NetBufPtr): DevResult<NetBuf> {
    const buf = ptr.owner;
    if (!(buf instanceof NetBuf) || buf.ptr !== ptr) {
      return DevError.withDetail("InvalidParam", "not a NetBuf pointer");
    }
    if (buf.state === BufState.Free) return DevError.withDetail("BadState", "buffer was released");
    const hdr = ptr.offset - buf.bufOffset;
    if (hdr !== buf.hdrLen || ptr.len < 0 || hdr + ptr.len > buf.capacity) {
      return DevError.withDetail("InvalidParam", "pointer does not lie in its buffer");
    }
    buf.pktLen = ptr.len;
    return buf;
  }

  /** Gives the buffer back to its pool (see {@link NetBufPool.release}). */
  release(): DevResult<void> {
    return this.pool.release(this);
  }

  /** `using buf = pool.alloc()!` gives it back at the end of the block, if the user still holds it. */
  [Symbol.dispose](): void {
    if (this.state === BufState.Held) this.pool.release(this);
  }
}

/**
 * A pool of equal-sized {@link NetBuf}s in DMA memory, as `axdriver_net::NetBufPool`. Allocation and
 * release are a stack push and pop on a typed array: nothing is allocated in steady state.
 */
export class NetBufPool {
  /** Number of buffers. */
  readonly capacity: number;
  /** Size of each buffer. */
  readonly bufferLen: number;
  /** The DMA memory holding all buffers. */
  readonly region: DmaRegion;
  private readonly bufs: NetBuf[];
  private readonly freeStack: Int32Array;
  private freeTop: number;
  private readonly hal: Hal;
  private destroyed = false;

  private constructor(hal: Hal, region: DmaRegion, capacity: number, bufferLen: number) {
    this.hal = hal;
    this.region = region;
    this.capacity = capacity;
    this.bufferLen = bufferLen;
    this.bufs = new Array<NetBuf>(capacity);
    this.freeStack = new Int32Array(capacity);
    const bytes = region.memory.u8;
    for (let i = 0; i < capacity; i++) {
      const off = region.offset + i * bufferLen;
      this.bufs[i] = new NetBuf(this, i, off, region.paddr + i * bufferLen, bufferLen, bytes);
      // lowest index on top, so buffers come out in address order at first
      this.freeStack[i] = capacity - 1 - i;
    }
    this.freeTop = capacity;
  }

  /**
   * Creates a pool of `capacity` buffers of `bufLen` bytes in DMA memory from `hal`.
   * Capacity 0 or `bufLen` outside [1526, 65535] is `InvalidParam`; no DMA memory is `NoMemory`.
   */
  static create(hal: Hal, capacity: number, bufLen: number): DevResult<NetBufPool> {
    if (!Number.isInteger(capacity) || capacity <= 0) {
      return DevError.withDetail("InvalidParam", `pool capacity ${capacity}`);
    }
    if (!Number.isInteger(bufLen) || bufLen < MIN_BUFFER_LEN || bufLen > MAX_BUFFER_LEN) {
      return DevError.withDetail(
        "InvalidParam",
        `buffer length ${bufLen} outside [${MIN_BUFFER_LEN}, ${MAX_BUFFER_LEN}]`,
      );
    }
    const region = hal.dmaAlloc(capacity * bufLen);
    if (region instanceof DevError) return region;
    return new NetBufPool(hal, region, capacity, bufLen);
  }

  /** Buffers on the free list. */
  get freeCount(): number {
    return this.freeTop;
  }
  /** Buffers out of the pool (held by users or in device rings). */
  get outstanding(): number {
    return this.capacity - this.freeTop;
  }

  /** Buffer number `index` (whatever its state); for drivers that map ring slots to buffers. */
  get(index: number): NetBuf | undefined {
    return this.bufs[index];
  }

  /** A free buffer (header and packet lengths 0), or `undefined` when none is left. */
  alloc(): NetBuf | undefined {
    if (this.freeTop === 0) return undefined;
    const buf = this.bufs[this.freeStack[--this.freeTop]!]!;
    buf.state = BufState.Held;
    buf.clearLengths();
    return buf;
  }

  /**
   * Takes a buffer back. A buffer of another pool is `InvalidParam`; one already free (released twice)
   * or still posted to a device is `BadState`. Nothing changes on error.
   */
  release(buf: NetBuf): DevResult<void> {
    if (buf.pool !== this) return DevError.withDetail("InvalidParam", "buffer belongs to another pool");
    if (buf.state !== BufState.Held) {
      return DevError.withDetail(
        "BadState",
        buf.state === BufState.Free ? "buffer released twice" : "buffer is posted to a device",
      );
    }
    buf.state = BufState.Free;
    this.freeStack[this.freeTop++] = buf.index;
    return undefined;
  }

  /** Frees the pool's DMA memory. Every buffer must be back; else `ResourceBusy`. */
  destroy(): DevResult<void> {
    if (this.destroyed) return DevError.withDetail("BadState", "pool destroyed twice");
    if (this.freeTop !== this.capacity) {
      return DevError.withDetail("ResourceBusy", `${this.capacity - this.freeTop} buffers still out`);
    }
    this.destroyed = true;
    return this.hal.dmaDealloc(this.region);
  }
}
