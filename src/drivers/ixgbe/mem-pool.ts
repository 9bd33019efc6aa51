import { DevError, type DevResult } from "../../base/dev-error.js";
import type { DmaRegion } from "../../hal/dma.js";
import type { Hal } from "../../hal/hal.js";
import { NetBufPtr } from "../../net/net-buf-ptr.js";

/** Default entry size of a pool (`PKT_BUF_ENTRY_SIZE`, ixgbe-82599.md §9). */
export const PKT_BUF_ENTRY_SIZE = 2048;
/** Default number of entries (`MIN_MEMPOOL_SIZE` / axdriver's `MEM_POOL`). */
export const MIN_MEMPOOL_SIZE = 4096;
/** Transmit data starts this far into an entry (`PACKET_HEADROOM`). Received data starts at 0. */
export const PACKET_HEADROOM = 32;
/** ixgbe-driver allocates pools from 2 MiB huge pages; the entry size must divide it. */
export const HUGE_PAGE_SIZE = 2 * 1024 * 1024;

/** Where a pool entry is. Every entry is in exactly one place. */
export const PacketState = {
  /** On the pool's free stack. */
  Free: 0,
  /** With a user (received and not yet recycled, or allocated for transmit and not yet sent). */
  Held: 1,
  /** Posted to an RX descriptor. */
  RxRing: 2,
  /** Posted to a TX descriptor, not yet cleaned up. */
  TxRing: 3,
} as const;
/** One of the {@link PacketState} values. */
export type PacketState = (typeof PacketState)[keyof typeof PacketState];

// module-local copies for the data path
const FREE: PacketState = PacketState.Free;
const HELD: PacketState = PacketState.Held;

/** `n` as a small integer (a Smi for V8) when it is one in value; other numbers unchanged. */
function smallInt(n: number): number {
  return n >= 0 && n <= 0x3fff_ffff ? n | 0 : n;
}

/** Codes {@link MemPool.checkHeld} returns for a pointer it refuses (negative, so an id is never one). */
const NOT_OURS = -1;
const NOT_HELD = -2;
const OUTSIDE = -3;

/**
 * The handle of one pool entry, as ixgbe-driver's `IxgbeNetBuf`: made once per entry at pool creation, it
 * owns the entry's {@link NetBufPtr} (whose `owner` it is, as axdriver passes the pool entry through
 * `NetBufPtr`'s raw pointer).
 */
export class IxgbeNetBuf {
  /** The pointer users see; its offset and length change as the entry is reused. */
  readonly ptr: NetBufPtr;

  constructor(
    /** The pool it belongs to. */
    readonly pool: MemPool,
    /** Its index in the pool (the Rust `pool_entry`). */
    readonly entry: number,
    /** Offset of the entry's first byte in DMA memory. */
    readonly entryOffset: number,
    /** Physical address of the entry's first byte. */
    readonly physAddr: number,
    bytes: Uint8Array,
  ) {
    this.ptr = new NetBufPtr(this, bytes, entryOffset, 0);
  }

  /** A view of the packet bytes (allocates: not for the data path). */
  packet(): Uint8Array {
    return this.ptr.packet();
  }

  /** Packet length. */
  get packetLen(): number {
    return this.ptr.len;
  }
}

/**
 * A pool of equal-sized packet buffers in one DMA region, as ixgbe-driver's `MemPool`: the physical
 * address of every entry is computed up front, a free stack hands out the highest index first, and each
 * entry's handle ({@link IxgbeNetBuf}) is made once. Unlike the Rust pool, it tracks where each entry is
 * ({@link PacketState}), so a double free or a buffer of another pool is an error, not a panic, and is
 * found in O(1).
 */
export class MemPool {
  /** Number of entries. */
  readonly entries: number;
  /** Bytes per entry. */
  readonly entrySize: number;
  /** The DMA memory holding all entries. */
  readonly region: DmaRegion;
  /** Where each entry is (a {@link PacketState}). */
  readonly state: Uint8Array;
  /** Low and high 32 bits of each entry's physical address (descriptor fields are written as halves). */
  readonly physLo: Uint32Array;
  readonly physHi: Uint32Array;
  private readonly bufs: IxgbeNetBuf[];
  /**
   * Each entry's pointer (the handles' `ptr`), for the data path: a pointer is this pool's entry `id` when
   * `ptrTable[id]` is that very object, `id` being `(offset - base) >>> shift`.
   */
  readonly ptrTable: NetBufPtr[];
  /** Offset of entry 0 in DMA memory. */
  readonly base: number;
  /** log2 of the entry size (a divisor of 2 MiB, so a power of two). */
  readonly shift: number;
  private readonly freeStack: Int32Array;
  private freeTop: number;
  private readonly hal: Hal;
  private destroyed = false;

  private constructor(hal: Hal, region: DmaRegion, entries: number, entrySize: number) {
    this.hal = hal;
    this.region = region;
    this.entries = entries;
    this.entrySize = entrySize;
    this.state = new Uint8Array(entries);
    this.physLo = new Uint32Array(entries);
    this.physHi = new Uint32Array(entries);
    this.bufs = new Array<IxgbeNetBuf>(entries);
    this.ptrTable = new Array<NetBufPtr>(entries);
    // as a small integer: offsets derived from a boxed double (the machine's base address is above 2^31)
    // would make every offset on the data path a double, converted and checked at each use
    this.base = smallInt(region.offset);
    this.shift = 31 - Math.clz32(entrySize);
    this.freeStack = new Int32Array(entries);
    const bytes = region.memory.u8;
    for (let i = 0; i < entries; i++) {
      const pa = region.paddr + i * entrySize;
      this.physLo[i] = pa >>> 0;
      this.physHi[i] = Math.floor(pa / 0x1_0000_0000);
      const h = new IxgbeNetBuf(this, i, smallInt(this.base + i * entrySize), pa, bytes);
      this.bufs[i] = h;
      this.ptrTable[i] = h.ptr;
      this.freeStack[i] = i; // popped from the top: the highest index comes out first, as in Rust
    }
    this.freeTop = entries;
  }

  /**
   * Allocates a pool of `entries` entries of `entrySize` bytes (0 means 2048) in DMA memory, as
   * `MemPool::allocate`. An entry size that does not divide 2 MiB is `InvalidParam` (the Rust
   * `PageNotAligned`); no DMA memory is `NoMemory`.
   */
  static allocate(
    hal: Hal,
    entries: number = MIN_MEMPOOL_SIZE,
    entrySize: number = PKT_BUF_ENTRY_SIZE,
  ): DevResult<MemPool> {
    const size = entrySize === 0 ? PKT_BUF_ENTRY_SIZE : entrySize;
    if (!Number.isInteger(entries) || entries <= 0) {
      return DevError.withDetail("InvalidParam", `mempool of ${entries} entries`);
    }
    if (!Number.isInteger(size) || size <= PACKET_HEADROOM || HUGE_PAGE_SIZE % size !== 0) {
      return DevError.withDetail(
        "InvalidParam",
        `entry size ${size} must be a divisor of the 2 MiB page size`,
      );
    }
    const region = hal.dmaAlloc(entries * size);
    if (region instanceof DevError) return region;
    return new MemPool(hal, region, entries, size);
  }

  /** Entries on the free stack. */
  get freeCount(): number {
    return this.freeTop;
  }

  /** How many entries are in state `s`. */
  countIn(s: PacketState): number {
    let n = 0;
    for (let i = 0; i < this.entries; i++) if (this.state[i] === s) n++;
    return n;
  }

  /** The handle of entry `id`. */
  handle(id: number): IxgbeNetBuf | undefined {
    return this.bufs[id];
  }

  /** Offset of entry `id` in DMA memory. */
  entryOffset(id: number): number {
    return this.base + id * this.entrySize;
  }

  /** Physical address of entry `id`. */
  physAddr(id: number): number {
    return this.region.paddr + id * this.entrySize;
  }

  /**
   * Takes a free entry into `state` (`alloc_buf`); -1 when the pool is empty. For the driver: the entry
   * goes straight to a ring or to a user.
   */
  allocBuf(state: PacketState): number {
    if (this.freeTop === 0) return -1;
    const id = this.freeStack[--this.freeTop]!;
    this.state[id] = state;
    return id;
  }

  /** Returns an entry the driver took out of a ring (no checks: the driver knows where it was). */
  releaseFromRing(id: number): void {
    this.state[id] = FREE;
    this.freeStack[this.freeTop++] = id;
  }

  /** Hands entry `id` to the user as a received packet of `len` bytes at the start of the entry. */
  handOut(id: number, len: number): NetBufPtr {
    this.state[id] = HELD;
    const p = this.ptrTable[id]!;
    p.offset = this.base + id * this.entrySize;
    p.len = len;
    return p;
  }

  /**
   * A packet buffer for `size` bytes to transmit (`alloc_pkt`): its data starts {@link PACKET_HEADROOM}
   * bytes into the entry. Larger than the entry minus the headroom is `InvalidParam`; an empty pool is
   * `NoMemory`.
   */
  allocPacket(size: number): DevResult<NetBufPtr> {
    // `(size | 0) === size` is the integer test V8 keeps in 32-bit registers (Number.isInteger goes by double)
    if (!((size | 0) === size && size >= 0 && size <= this.entrySize - PACKET_HEADROOM)) {
      return DevError.InvalidParam;
    }
    if (this.freeTop === 0) return DevError.NoMemory;
    const id = this.freeStack[--this.freeTop]!;
    this.state[id] = HELD;
    const p = this.ptrTable[id]!;
    p.offset = this.base + id * this.entrySize + PACKET_HEADROOM;
    p.len = size;
    return p;
  }

  /**
   * The entry behind a pointer a user hands back, or a negative code: it must be this pool's (its own
   * handle's pointer), held by the user, and its bytes must lie inside the entry. Cheap enough for every
   * packet.
   */
  checkHeld(ptr: NetBufPtr): number {
    // fast path: the entry the offset falls in, then identity with that entry's own pointer (no
    // `instanceof`, no hop through the owner); anything else takes the careful path for the exact reason
    const rel = ptr.offset - this.base;
    const id = rel >>> this.shift;
    if (rel >= 0 && id < this.entries && this.ptrTable[id] === ptr && this.state[id] === HELD) {
      const len = ptr.len;
      if (len >= 0 && rel + len <= (id + 1) * this.entrySize) return id;
    }
    return this.checkHeldSlow(ptr);
  }

  private checkHeldSlow(ptr: NetBufPtr): number {
    const o = ptr.owner;
    if (!(o instanceof IxgbeNetBuf) || o.pool !== this || o.ptr !== ptr) return NOT_OURS;
    const id = o.entry;
    if (this.state[id] !== PacketState.Held) return NOT_HELD;
    const start = o.entryOffset;
    const off = ptr.offset;
    const len = ptr.len;
    if (!(off >= start && len >= 0 && off + len <= start + this.entrySize)) return OUTSIDE;
    return id;
  }

  /** The error for a code from {@link MemPool.checkHeld} (slow path: the detail says what was wrong). */
  errorFor(code: number, ptr: NetBufPtr): DevError {
    if (code === NOT_OURS) return DevError.withDetail("InvalidParam", "buffer does not belong to this pool");
    if (code === NOT_HELD) {
      const o = ptr.owner as IxgbeNetBuf;
      const s = this.state[o.entry];
      return DevError.withDetail(
        "BadState",
        s === PacketState.Free ? "buffer was already returned to the pool" : "buffer is posted to the device",
      );
    }
    return DevError.withDetail("InvalidParam", "buffer pointer does not lie inside its pool entry");
  }

  /** A user gives a buffer back (`free_buf`): double frees and foreign buffers are errors. */
  freePacket(ptr: NetBufPtr): DevResult<void> {
    // checkHeld's fast path written out (this runs for every received packet)
    const rel = ptr.offset - this.base;
    let id = rel >>> this.shift;
    if (
      !(rel >= 0 && id < this.entries && this.ptrTable[id] === ptr && this.state[id] === HELD) ||
      !(ptr.len >= 0 && rel + ptr.len <= (id + 1) * this.entrySize)
    ) {
      id = this.checkHeldSlow(ptr);
      if (id < 0) return this.errorFor(id, ptr);
    }
    this.state[id] = FREE;
    this.freeStack[this.freeTop++] = id;
    return undefined;
  }

  /** Frees the pool's DMA memory; every entry must be back (`ResourceBusy` otherwise). */
  destroy(): DevResult<void> {
    if (this.destroyed) return DevError.withDetail("BadState", "mempool destroyed twice");
    if (this.freeTop !== this.entries) {
      return DevError.withDetail("ResourceBusy", `${this.entries - this.freeTop} buffers still out`);
    }
    this.destroyed = true;
    return this.hal.dmaDealloc(this.region);
  }
}
