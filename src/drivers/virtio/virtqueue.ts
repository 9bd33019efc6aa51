import { DevError, type DevResult } from "../../base/dev-error.js";
import type { DmaRegion } from "../../hal/dma.js";
import type { Hal } from "../../hal/hal.js";
import {
  Avail,
  availRingSize,
  Desc,
  DescFlag,
  descTableSize,
  legacyLayout,
  MAX_QUEUE_SIZE,
  needEvent,
  Used,
  usedRingSize,
} from "../../hw/virtio/ring.js";
import type { VirtioTransport } from "./transport.js";

/** {@link VirtQueue.popUsed}: nothing new in the used ring. */
export const POP_EMPTY = -1;
/** {@link VirtQueue.popUsed}: the device wrote an entry that cannot be right (it was consumed). */
export const POP_BAD = -2;
/**
 * {@link VirtQueue.popUsed}: the used index ran more than the queue size ahead; nothing was consumed and
 * nothing more can be read from this ring until the device is reset.
 */
export const POP_CORRUPT = -3;

/** Most descriptors one indirect table holds here. */
export const MAX_INDIRECT = 16;

/** One buffer of a chain for {@link VirtQueue.addChain}. */
export interface BufferSegment {
  /** Physical address. */
  addr: number;
  /** Length in bytes. */
  len: number;
  /** Device-writable (else device-readable). */
  writable: boolean;
}

/** Options of {@link VirtQueue.create}. */
export interface VirtQueueOptions {
  /** Legacy contiguous layout (legacy PCI, MMIO v1). */
  legacy: boolean;
  /** RING_EVENT_IDX negotiated. */
  eventIdx: boolean;
  /** RING_INDIRECT_DESC negotiated. */
  indirect: boolean;
}

const TWO_32 = 0x1_0000_0000;

/**
 * The driver side of a split virtqueue (virtio 1.2 §2.7), as virtio-drivers' `VirtQueue`: descriptor
 * free list, available ring, used ring, notification suppression (flags or event index), 16-bit index
 * wrap. Ring memory is DMA memory from the HAL; all indices live in typed arrays made once.
 *
 * Nothing the device writes is trusted: {@link VirtQueue.popUsed} checks that the used index moved by at
 * most the queue size and that the id names a chain in flight, and reports anything else as
 * {@link POP_BAD} with the queue still consistent.
 */
export class VirtQueue {
  /** Queue index. */
  readonly index: number;
  /** Number of descriptors (a power of two). */
  readonly size: number;
  /** Whether RING_EVENT_IDX is in use. */
  readonly eventIdx: boolean;
  /** Whether RING_INDIRECT_DESC is in use. */
  readonly indirect: boolean;
  /** Physical addresses of the three parts. */
  readonly descPaddr: number;
  readonly availPaddr: number;
  readonly usedPaddr: number;
  /** Length of the last popped entry. */
  lastLen = 0;
  /** Used entries rejected (bad id, not in flight, index jump). */
  badEntries = 0;
  /** Notifications sent (kicks). */
  kicks = 0;

  private readonly hal: Hal;
  private readonly regions: DmaRegion[];
  private indirectRegion: DmaRegion | undefined;

  // The ring state below is public for the driver's flat per-packet paths (which inline what addBuffer,
  // publish, shouldNotify and popUsed do); everyone else uses the methods.
  /** size - 1. */
  readonly mask: number;
  /** Views of the DMA memory. */
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  /** u32 index of descriptor 0. */
  readonly descW: number;
  /** u16 indices of avail flags, idx, ring[0], used_event. */
  readonly availFlagsH: number;
  readonly availIdxH: number;
  readonly availRingH: number;
  readonly usedEventH: number;
  /** u16 indices of used flags, idx, avail_event; u32 index of used ring[0]. */
  readonly usedFlagsH: number;
  readonly usedIdxH: number;
  readonly usedRingW: number;
  readonly availEventH: number;
  /** Free-list links, and chain links of chains in flight. */
  readonly freeNext: Uint16Array;
  /**
   * Per descriptor index: the number of descriptors of the chain it heads while that chain is in flight,
   * 0 when it heads none (free, or inside another chain). One array answers both "in flight?" and "how
   * long?", so a completion touches one table.
   */
  readonly chain: Uint16Array;
  /** Head of the free list. */
  freeHead = 0;
  /** Free descriptors. */
  numFreeDesc: number;
  /** The driver's available index (published by {@link VirtQueue.publish}). */
  availIdx = 0;
  /** Available index at the last notification decision. */
  kickedIdx = 0;
  /** Next used index to read. */
  lastUsed = 0;
  /** Whether used-buffer notifications were asked for. */
  interruptsOn = false;

  private constructor(
    hal: Hal,
    index: number,
    size: number,
    opts: VirtQueueOptions,
    regions: DmaRegion[],
    desc: number,
    avail: number,
    used: number,
  ) {
    this.hal = hal;
    this.index = index;
    this.size = size;
    this.mask = size - 1;
    this.eventIdx = opts.eventIdx;
    this.indirect = opts.indirect;
    this.regions = regions;
    const mem = hal.memory;
    this.u16 = mem.u16;
    this.u32 = mem.u32;
    this.descPaddr = desc;
    this.availPaddr = avail;
    this.usedPaddr = used;
    const d = mem.offsetOf(desc);
    const a = mem.offsetOf(avail);
    const u = mem.offsetOf(used);
    this.descW = d >>> 2;
    this.availFlagsH = (a + Avail.FLAGS) >>> 1;
    this.availIdxH = (a + Avail.IDX) >>> 1;
    this.availRingH = (a + Avail.RING) >>> 1;
    this.usedEventH = (a + Avail.RING + 2 * size) >>> 1;
    this.usedFlagsH = (u + Used.FLAGS) >>> 1;
    this.usedIdxH = (u + Used.IDX) >>> 1;
    this.usedRingW = (u + Used.RING) >>> 2;
    this.availEventH = (u + Used.RING + Used.ELEM_SIZE * size) >>> 1;
    this.freeNext = new Uint16Array(size);
    this.chain = new Uint16Array(size);
    // free list 0 -> 1 -> ... -> size-1
    for (let i = 0; i < size; i++) this.freeNext[i] = i + 1 < size ? i + 1 : 0;
    this.numFreeDesc = size;
    this.setInterrupts(false);
  }

  /**
   * Allocates the rings of queue `index` with `size` entries and programs them into the device through
   * `transport` (virtio 1.2 §4.1.5.1.3, §4.2.3.2, legacy §2.7.2). The memory is zeroed, so `used.flags`
   * starts at 0 as §2.7.10 requires.
   */
  static create(
    hal: Hal,
    transport: VirtioTransport,
    index: number,
    size: number,
    opts: VirtQueueOptions,
  ): DevResult<VirtQueue> {
    if (!Number.isInteger(size) || size < 1 || size > MAX_QUEUE_SIZE || (size & (size - 1)) !== 0) {
      return DevError.withDetail("InvalidParam", `queue size ${size} is not a power of two in 1..32768`);
    }
    if (transport.queueUsed(index)) return DevError.withDetail("AlreadyExists", `queue ${index} is in use`);
    const max = transport.maxQueueSize(index);
    if (max === 0) return DevError.withDetail("Unsupported", `the device has no queue ${index}`);
    if (size > max) {
      return DevError.withDetail("InvalidParam", `queue ${index}: size ${size} exceeds the device's ${max}`);
    }
    if (transport.fixedQueueSize() && size !== max) {
      return DevError.withDetail(
        "InvalidParam",
        `queue ${index}: the device's queue size is fixed at ${max}`,
      );
    }
    const regions: DmaRegion[] = [];
    let desc: number;
    let avail: number;
    let used: number;
    if (opts.legacy) {
      const lay = legacyLayout(size);
      const r = hal.dmaAlloc(lay.size);
      if (r instanceof DevError) return r;
      regions.push(r);
      desc = r.paddr;
      avail = r.paddr + lay.avail;
      used = r.paddr + lay.used;
    } else {
      // virtio-drivers' modern layout: descriptors + available ring in one region, used ring in another
      const r1 = hal.dmaAlloc(descTableSize(size) + availRingSize(size));
      if (r1 instanceof DevError) return r1;
      const r2 = hal.dmaAlloc(usedRingSize(size));
      if (r2 instanceof DevError) {
        hal.dmaDealloc(r1);
        return r2;
      }
      regions.push(r1, r2);
      desc = r1.paddr;
      avail = r1.paddr + descTableSize(size);
      used = r2.paddr;
    }
    const q = new VirtQueue(hal, index, size, opts, regions, desc, avail, used);
    const set = transport.queueSet(index, size, desc, avail, used);
    if (set instanceof DevError) {
      q.free();
      return set;
    }
    return q;
  }

  /** Gives the ring memory back (after the device was reset or the queue unset). */
  free(): void {
    for (const r of this.regions) this.hal.dmaDealloc(r);
    this.regions.length = 0;
    if (this.indirectRegion !== undefined) this.hal.dmaDealloc(this.indirectRegion);
    this.indirectRegion = undefined;
  }

  /** Free descriptors. */
  get numFree(): number {
    return this.numFreeDesc;
  }
  /** Chains in flight (made available, not yet popped). */
  get inFlightCount(): number {
    return this.size - this.numFreeDesc;
  }
  /** Whether chain `head` is in flight. */
  isInFlight(head: number): boolean {
    return head >= 0 && head < this.size && this.chain[head] !== 0;
  }

  /**
   * Asks for used-buffer notifications or not (virtio 1.2 §2.7.7): NO_INTERRUPT without event index;
   * with it, `used_event` names the next entry (on) or one half the index space away (off).
   */
  setInterrupts(on: boolean): void {
    this.interruptsOn = on;
    if (this.eventIdx) {
      this.u16[this.availFlagsH] = 0;
      this.u16[this.usedEventH] = on ? this.lastUsed : (this.lastUsed + 0x8000) & 0xffff;
    } else {
      this.u16[this.availFlagsH] = on ? 0 : Avail.F_NO_INTERRUPT;
    }
  }

  /**
   * Makes one buffer available (virtio 1.2 §2.7.13.1-2): a single descriptor, placed in the available
   * ring but not yet published. Returns its head index, or -1 when no descriptor is free. Hot path.
   */
  addBuffer(addr: number, len: number, writable: boolean): number {
    if (this.numFreeDesc === 0) return -1;
    const head = this.freeHead;
    this.freeHead = this.freeNext[head]!;
    this.numFreeDesc--;
    const w = this.descW + 4 * head;
    const u32 = this.u32;
    u32[w] = addr >>> 0;
    u32[w + 1] = addr < TWO_32 ? 0 : Math.floor(addr / TWO_32);
    u32[w + 2] = len;
    this.u16[(w + 3) * 2] = writable ? DescFlag.WRITE : 0;
    this.chain[head] = 1;
    this.u16[this.availRingH + (this.availIdx & this.mask)] = head;
    this.availIdx = (this.availIdx + 1) & 0xffff;
    return head;
  }

  /**
   * Makes a chain of buffers available: an indirect table when negotiated and there is more than one
   * segment (virtio-drivers' choice, §2.7.5.3), else linked descriptors (readable ones first, §2.7.4.2).
   * Returns the head, -1 when the queue is full, or an error for a bad request. Not for hot paths.
   */
  addChain(segs: readonly BufferSegment[]): number | DevError {
    const n = segs.length;
    if (n === 0) return DevError.withDetail("InvalidParam", "empty chain");
    let seenWritable = false;
    for (const s of segs) {
      if (s.writable) seenWritable = true;
      else if (seenWritable)
        return DevError.withDetail("InvalidParam", "readable segment after a writable one");
    }
    if (this.indirect && n > 1 && n <= MAX_INDIRECT) {
      if (this.numFreeDesc === 0) return -1;
      if (this.indirectRegion === undefined) {
        const r = this.hal.dmaAlloc(this.size * MAX_INDIRECT * Desc.SIZE);
        if (r instanceof DevError) return r;
        this.indirectRegion = r;
      }
      const head = this.takeDesc();
      const tablePa = this.indirectRegion.paddr + head * MAX_INDIRECT * Desc.SIZE;
      const tableW = (this.indirectRegion.offset + head * MAX_INDIRECT * Desc.SIZE) >>> 2;
      for (let i = 0; i < n; i++) {
        const s = segs[i]!;
        const f = (s.writable ? DescFlag.WRITE : 0) | (i + 1 < n ? DescFlag.NEXT : 0);
        this.writeDesc(tableW + 4 * i, s.addr, s.len, f, i + 1 < n ? i + 1 : 0);
      }
      this.writeDesc(this.descW + 4 * head, tablePa, n * Desc.SIZE, DescFlag.INDIRECT, 0);
      this.chain[head] = 1;
      return this.finishAdd(head);
    }
    if (n > this.numFreeDesc) return -1;
    const head = this.freeHead;
    for (let i = 0; i < n; i++) {
      const s = segs[i]!;
      const cur = this.takeDesc();
      const next = this.freeHead;
      const last = i + 1 === n;
      const f = (s.writable ? DescFlag.WRITE : 0) | (last ? 0 : DescFlag.NEXT);
      this.writeDesc(this.descW + 4 * cur, s.addr, s.len, f, last ? 0 : next);
      // keep the chain linked in freeNext so it can be given back without reading device memory
      if (!last) this.freeNext[cur] = next;
    }
    this.chain[head] = n;
    return this.finishAdd(head);
  }

  private takeDesc(): number {
    const d = this.freeHead;
    this.freeHead = this.freeNext[d]!;
    this.numFreeDesc--;
    return d;
  }

  private writeDesc(w: number, addr: number, len: number, flags: number, next: number): void {
    const u32 = this.u32;
    u32[w] = addr >>> 0;
    u32[w + 1] = Math.floor(addr / TWO_32);
    u32[w + 2] = len;
    this.u16[(w + 3) * 2] = flags;
    this.u16[(w + 3) * 2 + 1] = next;
  }

  private finishAdd(head: number): number {
    this.u16[this.availRingH + (this.availIdx & this.mask)] = head;
    this.availIdx = (this.availIdx + 1) & 0xffff;
    return head;
  }

  /** Publishes the available index (after the ring entries, §2.7.13.3). */
  publish(): void {
    this.u16[this.availIdxH] = this.availIdx;
  }

  /**
   * Whether the device wants a notification for what was published since the last decision
   * (virtio 1.2 §2.7.10): `avail_event` crossed with event index, else no NO_NOTIFY flag.
   */
  shouldNotify(): boolean {
    const newIdx = this.availIdx;
    const old = this.kickedIdx;
    if (newIdx === old) return false;
    this.kickedIdx = newIdx;
    if (this.eventIdx) return needEvent(this.u16[this.availEventH]!, newIdx, old);
    return (this.u16[this.usedFlagsH]! & Used.F_NO_NOTIFY) === 0;
  }

  /** Whether the device has written a used entry the driver has not read. */
  hasUsed(): boolean {
    return this.u16[this.usedIdxH] !== this.lastUsed;
  }

  /** Gives the descriptors of chain `id` (in flight, now completed) back to the free list. */
  releaseChain(id: number): void {
    const n = this.chain[id]!;
    this.chain[id] = 0;
    let d = id;
    for (let i = 1; i < n; i++) d = this.freeNext[d]!;
    this.freeNext[d] = this.freeHead;
    this.freeHead = id;
    this.numFreeDesc += n;
  }

  /** The used_event value after reading up to `lastUsed` (next entry when interrupts are on). */
  usedEventFor(lastUsed: number): number {
    return this.interruptsOn ? lastUsed : (lastUsed + 0x8000) & 0xffff;
  }

  /**
   * Takes the next used entry (virtio 1.2 §2.7.14): its head id (its length in {@link VirtQueue.lastLen}),
   * {@link POP_EMPTY}, {@link POP_BAD} when the entry's id is out of range or not in flight (the entry is
   * skipped), or {@link POP_CORRUPT} when the used index ran more than the queue size ahead (nothing is
   * consumed: the ring cannot be trusted). Hot path.
   */
  popUsed(): number {
    const usedIdx = this.u16[this.usedIdxH]!;
    const last = this.lastUsed;
    if (usedIdx === last) return POP_EMPTY;
    if (((usedIdx - last) & 0xffff) > this.size) {
      this.badEntries++;
      return POP_CORRUPT;
    }
    const e = this.usedRingW + 2 * (last & this.mask);
    const id = this.u32[e]!;
    this.lastLen = this.u32[e + 1]!;
    this.lastUsed = (last + 1) & 0xffff;
    if (this.eventIdx) {
      this.u16[this.usedEventH] = this.interruptsOn ? this.lastUsed : (this.lastUsed + 0x8000) & 0xffff;
    }
    const n = id < this.size ? this.chain[id]! : 0;
    if (n === 0) {
      this.badEntries++;
      return POP_BAD;
    }
    this.chain[id] = 0;
    // give the chain's descriptors back (LIFO, as virtio-drivers)
    if (n === 1) {
      this.freeNext[id] = this.freeHead;
    } else {
      let d = id;
      for (let i = 1; i < n; i++) d = this.freeNext[d]!;
      this.freeNext[d] = this.freeHead;
    }
    this.freeHead = id;
    this.numFreeDesc += n;
    return id;
  }
}
