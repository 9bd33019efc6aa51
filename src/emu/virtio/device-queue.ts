import type { PhysicalMemory } from "../../hal/phys-memory.js";
import { Avail, Desc, DescFlag, needEvent, Used } from "../../hw/virtio/ring.js";

/** Who a {@link DeviceQueue} reports a driver's protocol violation to (the device model). */
export interface QueueFaultSink {
  /** Reports a broken rule: throws in strict mode, else marks the device broken. */
  queueFault(queue: number, rule: string, section: string): void;
}

const TWO_32 = 0x1_0000_0000;

/**
 * The device side of one split virtqueue (virtio 1.2 §2.7): reads the driver's available ring and
 * descriptor chains in guest memory, writes the used ring, and applies notification suppression
 * (flags or event index). It keeps the device's own `last_avail` and used index; the driver's memory is
 * never trusted: indices, chain lengths and buffer addresses are checked before use.
 *
 * A walked chain is left in `seg*` scratch arrays (offsets into RAM, lengths, writability), made once.
 */
export class DeviceQueue {
  /** Queue index. */
  readonly index: number;
  /** Largest size the device accepts. */
  readonly maxSize: number;

  // --- configuration as the driver programmed it ---
  /** Size chosen by the driver (modern) or fixed (legacy); 0 before set-up. */
  size = 0;
  /** Guest-physical addresses of the three areas. */
  descAddr = 0;
  driverAddr = 0;
  deviceAddr = 0;
  /**
   * The three addresses as the driver wrote them on a modern interface, as 32-bit halves: descriptor low,
   * high, driver low, high, device low, high (virtio 1.2 4.1.4.3 queue_desc/driver/device, 4.2.2
   * QueueDescLow/High...). Written through {@link DeviceQueue.setAddressWord}.
   */
  readonly addressWords = new Uint32Array(6);
  /** MSI-X vector (PCI), 0xffff = none. */
  msixVector = 0xffff;
  /** Whether the driver enabled the queue (queue_enable / QueueReady / a non-zero PFN). */
  ready = false;

  // --- runtime state ---
  /** Next available-ring position the device will read (free-running, 16 bits). */
  lastAvail = 0;
  /** The device's used index (free-running, 16 bits), published to `used.idx`. */
  usedIdx = 0;
  /** Whether RING_EVENT_IDX was negotiated. */
  eventIdx = false;
  /** Whether RING_INDIRECT_DESC was negotiated. */
  indirect = false;
  /** Available-buffer notifications (kicks) received. */
  notifications = 0;
  /** Used-buffer notifications (interrupts) decided. */
  interrupts = 0;
  /** Used entries written (including injected bogus ones). */
  usedWritten = 0;

  /** RAM offsets of the areas (valid while ready). */
  descOff = 0;
  availOff = 0;
  usedOff = 0;
  /** size - 1. */
  mask = 0;
  // Indices into the RAM views for the model's flat per-packet paths (read-only outside this class).
  /** u16 index of avail.idx (avail.flags is one before). */
  availIdxOff = 0;
  /** u16 index of avail.ring[0]. */
  availRingOff = 0;
  /** u16 index of used_event. */
  usedEventOff = 0;
  /** u16 index of used.idx (used.flags is one before). */
  usedIdxOff = 0;
  /** u32 index of used.ring[0].id. */
  usedRingOff = 0;
  /** u16 index of avail_event. */
  availEventOff = 0;
  /** Used index at the last interrupt decision. */
  signalledUsed = 0;
  /**
   * Entries known to be available and not yet taken: a device may read `avail.idx` lazily, and the
   * driver can only add entries, so this count stays true until it is used up.
   */
  knownAvail = 0;

  // --- chain scratch (slow path) ---
  /** RAM offset of each segment of the last walked chain(s). */
  readonly segOff: Float64Array;
  /** Length of each segment. */
  readonly segLen: Float64Array;
  /** 1 when the segment is device-writable. */
  readonly segWritable: Uint8Array;
  /** Segments in the scratch arrays. */
  segCount = 0;
  /** Readable / writable byte totals of the last walked chain. */
  chainReadable = 0;
  chainWritable = 0;

  private readonly mem: PhysicalMemory;
  /** RAM views (shared with the model's flat paths). */
  readonly u8: Uint8Array;
  readonly u16: Uint16Array;
  readonly u32: Uint32Array;
  private readonly view: DataView;
  private readonly owner: QueueFaultSink;

  constructor(index: number, maxSize: number, memory: PhysicalMemory, owner: QueueFaultSink) {
    this.index = index;
    this.maxSize = maxSize;
    this.mem = memory;
    this.u8 = memory.u8;
    this.u16 = memory.u16;
    this.u32 = memory.u32;
    this.view = memory.view;
    this.owner = owner;
    // with MRG_RXBUF a frame may span several chains: room for 2x the longest chain
    this.segOff = new Float64Array(2 * maxSize + 2);
    this.segLen = new Float64Array(2 * maxSize + 2);
    this.segWritable = new Uint8Array(2 * maxSize + 2);
  }

  /** Sets one half of an area address (index as in {@link DeviceQueue.addressWords}) and the address it makes. */
  setAddressWord(index: number, value: number): void {
    const w = this.addressWords;
    w[index] = value;
    this.descAddr = w[1]! * TWO_32 + w[0]!;
    this.driverAddr = w[3]! * TWO_32 + w[2]!;
    this.deviceAddr = w[5]! * TWO_32 + w[4]!;
  }

  /** Back to the reset state (virtio 1.2 §2.4: reset clears queue configuration). */
  reset(): void {
    this.size = 0;
    this.descAddr = 0;
    this.driverAddr = 0;
    this.deviceAddr = 0;
    this.addressWords.fill(0);
    this.msixVector = 0xffff;
    this.ready = false;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.signalledUsed = 0;
    this.knownAvail = 0;
    this.eventIdx = false;
    this.indirect = false;
  }

  /**
   * Checks the programmed size and addresses and starts using the queue. Returns false (after reporting
   * the fault) when they break a rule.
   */
  activate(eventIdx: boolean, indirect: boolean): boolean {
    const n = this.size;
    const q = this.index;
    if (n === 0 || n > this.maxSize || (n & (n - 1)) !== 0) {
      this.owner.queueFault(
        q,
        `queue size ${n} is not a power of two in 1..${this.maxSize}`,
        "virtio 1.2 §2.7 (Queue Size)",
      );
      return false;
    }
    if (
      this.descAddr % Desc.ALIGN !== 0 ||
      this.driverAddr % Avail.ALIGN !== 0 ||
      this.deviceAddr % Used.ALIGN !== 0
    ) {
      this.owner.queueFault(
        q,
        "virtqueue part misaligned (descriptors 16, available ring 2, used ring 4)",
        "virtio 1.2 §2.7.1",
      );
      return false;
    }
    const d = this.mem.offsetOf(this.descAddr);
    const a = this.mem.offsetOf(this.driverAddr);
    const u = this.mem.offsetOf(this.deviceAddr);
    if (
      d < 0 ||
      a < 0 ||
      u < 0 ||
      !this.mem.contains(this.descAddr, 16 * n) ||
      !this.mem.contains(this.driverAddr, 6 + 2 * n) ||
      !this.mem.contains(this.deviceAddr, 6 + 8 * n)
    ) {
      this.owner.queueFault(q, "virtqueue area outside guest memory", "virtio 1.2 §2.7");
      return false;
    }
    this.descOff = d;
    this.availOff = a;
    this.usedOff = u;
    this.mask = n - 1;
    this.availIdxOff = (a + Avail.IDX) >>> 1;
    this.availRingOff = (a + Avail.RING) >>> 1;
    this.usedEventOff = (a + Avail.RING + 2 * n) >>> 1;
    this.usedIdxOff = (u + Used.IDX) >>> 1;
    this.usedRingOff = (u + Used.RING) >>> 2;
    this.availEventOff = (u + Used.RING + 8 * n) >>> 1;
    this.eventIdx = eventIdx;
    this.indirect = indirect;
    this.lastAvail = 0;
    this.usedIdx = 0;
    this.signalledUsed = 0;
    this.knownAvail = 0;
    this.ready = true;
    return true;
  }

  /** Stops using the queue (QueueReady = 0, PFN = 0). */
  deactivate(): void {
    this.ready = false;
    this.knownAvail = 0;
  }

  /** The driver's available index. */
  availIdx(): number {
    return this.u16[this.availIdxOff]!;
  }

  /** The driver's available-ring flags. */
  availFlags(): number {
    return this.u16[this.availIdxOff - 1]!;
  }

  /**
   * Entries the driver has made available and the device has not taken, or -1 (after reporting) when the
   * available index moved further than the queue size (virtio 1.2 §2.7.13.3).
   */
  pending(): number {
    const n = (this.u16[this.availIdxOff]! - this.lastAvail) & 0xffff;
    this.knownAvail = n <= this.size ? n : 0;
    if (n > this.size) {
      this.owner.queueFault(
        this.index,
        `available index moved ${n} entries ahead of the device, more than the queue size ${this.size}`,
        "virtio 1.2 §2.7.13.3",
      );
      return -1;
    }
    return n;
  }

  /** Head descriptor index at available position `pos` (free-running), or -1 when out of range. */
  headAt(pos: number): number {
    const head = this.u16[this.availRingOff + (pos & this.mask)]!;
    if (head >= this.size) {
      this.owner.queueFault(
        this.index,
        `available ring entry names descriptor ${head}, outside the table of ${this.size}`,
        "virtio 1.2 §2.7.6",
      );
      return -1;
    }
    return head;
  }

  /** Flags of descriptor `i` of the main table. */
  descFlags(i: number): number {
    return this.u16[(this.descOff + 16 * i + Desc.FLAGS) >>> 1]!;
  }
  /** Length of descriptor `i`. */
  descLen(i: number): number {
    return this.u32[(this.descOff + 16 * i + Desc.LEN) >>> 2]!;
  }
  /** Buffer address of descriptor `i` as a RAM offset, or -1 when `[addr, addr+len)` is not RAM. */
  descBufOffset(i: number, len: number): number {
    const w = (this.descOff + 16 * i) >>> 2;
    const pa = this.u32[w]! + this.u32[w + 1]! * TWO_32;
    const off = pa - this.mem.base;
    return off >= 0 && off + len <= this.mem.size ? off : -1;
  }

  /**
   * Walks the chain at `head` (following NEXT, expanding one INDIRECT table) into the scratch arrays,
   * appending from position `start`. Returns the new segment count, -1 after reporting a fault, or -2
   * when the scratch arrays are full (nothing reported).
   * Checks: indices in range, no loops (at most `size` descriptors, §2.7.5.3.1), readable before writable
   * (§2.7.4.2), INDIRECT only when negotiated, never with NEXT nor nested (§2.7.5.3.1), buffers in RAM.
   */
  walkChain(head: number, start: number): number {
    const q = this.index;
    let count = start;
    let walked = 0;
    let table = this.descOff;
    let tableSize = this.size;
    let inIndirect = false;
    let seenWritable = false;
    let idx = head;
    this.chainReadable = 0;
    this.chainWritable = 0;
    const view = this.view;
    for (;;) {
      if (idx >= tableSize) {
        this.owner.queueFault(
          q,
          `descriptor index ${idx} outside the ${inIndirect ? "indirect " : ""}table of ${tableSize}`,
          "virtio 1.2 §2.7.5",
        );
        return -1;
      }
      const d = table + 16 * idx;
      const pa = view.getUint32(d, true) + view.getUint32(d + 4, true) * TWO_32;
      const len = view.getUint32(d + Desc.LEN, true);
      const flags = view.getUint16(d + Desc.FLAGS, true);
      const next = view.getUint16(d + Desc.NEXT, true);
      if ((flags & DescFlag.INDIRECT) !== 0) {
        if (!this.indirect) {
          this.owner.queueFault(
            q,
            "INDIRECT descriptor without RING_INDIRECT_DESC negotiated",
            "virtio 1.2 §2.7.5.3.1",
          );
          return -1;
        }
        if (inIndirect) {
          this.owner.queueFault(q, "INDIRECT flag inside an indirect table", "virtio 1.2 §2.7.5.3.1");
          return -1;
        }
        if ((flags & DescFlag.NEXT) !== 0) {
          this.owner.queueFault(q, "descriptor has both INDIRECT and NEXT set", "virtio 1.2 §2.7.5.3.1");
          return -1;
        }
        if (len === 0 || len % Desc.SIZE !== 0) {
          this.owner.queueFault(
            q,
            `indirect table length ${len} is not a non-zero multiple of 16`,
            "virtio 1.2 §2.7.5.3",
          );
          return -1;
        }
        const off = pa - this.mem.base;
        if (off < 0 || off + len > this.mem.size) {
          this.owner.queueFault(q, "indirect table outside guest memory", "virtio 1.2 §2.7.5.3");
          return -1;
        }
        table = off;
        tableSize = len / Desc.SIZE;
        inIndirect = true;
        idx = 0;
        continue;
      }
      if (++walked > this.size) {
        this.owner.queueFault(
          q,
          `descriptor chain longer than the queue size ${this.size} (a loop)`,
          "virtio 1.2 §2.7.5.2, §2.7.5.3.1",
        );
        return -1;
      }
      const writable = (flags & DescFlag.WRITE) !== 0;
      if (writable) seenWritable = true;
      else if (seenWritable) {
        this.owner.queueFault(
          q,
          "device-readable descriptor after a device-writable one",
          "virtio 1.2 §2.7.4.2",
        );
        return -1;
      }
      const off = pa - this.mem.base;
      if (off < 0 || off + len > this.mem.size) {
        this.owner.queueFault(
          q,
          `buffer 0x${pa.toString(16)}+${len} outside guest memory`,
          "virtio 1.2 §2.7.5",
        );
        return -1;
      }
      // more segments than the scratch holds: the caller drops the packet (virtio 1.2 §2.7.4.1 lets a
      // device limit descriptors per chain)
      if (count >= this.segOff.length) return -2;
      this.segOff[count] = off;
      this.segLen[count] = len;
      this.segWritable[count] = writable ? 1 : 0;
      count++;
      if (writable) this.chainWritable += len;
      else this.chainReadable += len;
      if ((flags & DescFlag.NEXT) === 0) break;
      idx = next;
    }
    this.segCount = count;
    return count;
  }

  /** Writes used element {id, len} at the device's used index and advances it (not yet published). */
  pushUsed(id: number, len: number): void {
    const e = this.usedRingOff + 2 * (this.usedIdx & this.mask);
    this.u32[e] = id;
    this.u32[e + 1] = len;
    this.usedIdx = (this.usedIdx + 1) & 0xffff;
    this.usedWritten++;
  }

  /** Replaces the length of the entry last pushed (hostile mode). */
  patchLastUsedLen(len: number): void {
    const e = this.usedRingOff + 2 * ((this.usedIdx - 1) & this.mask);
    this.u32[e + 1] = len;
  }

  /**
   * Publishes the used index (after the elements, §2.7.8.2), writes avail_event with event index, and
   * decides whether the driver wants a used-buffer notification (§2.7.7.2). Returns that decision.
   * `availEvent` is the available index after which the device wants to be notified again.
   */
  publishUsed(availEvent: number): boolean {
    const newIdx = this.usedIdx;
    this.u16[this.usedIdxOff] = newIdx;
    const old = this.signalledUsed;
    if (this.eventIdx) {
      this.u16[this.availEventOff] = availEvent & 0xffff;
      if (newIdx === old) return false;
      this.signalledUsed = newIdx;
      if (needEvent(this.u16[this.usedEventOff]!, newIdx, old)) {
        this.interrupts++;
        return true;
      }
      return false;
    }
    if (newIdx === old) return false;
    this.signalledUsed = newIdx;
    if ((this.u16[this.availIdxOff - 1]! & Avail.F_NO_INTERRUPT) === 0) {
      this.interrupts++;
      return true;
    }
    return false;
  }

  /** Sets the used-ring flags (VIRTQ_USED_F_NO_NOTIFY without event index, §2.7.10). */
  setUsedFlags(flags: number): void {
    this.u16[this.usedIdxOff - 1] = flags;
  }

  /** Writes avail_event without touching the used index (event index only). */
  setAvailEvent(value: number): void {
    if (this.eventIdx) this.u16[this.availEventOff] = value & 0xffff;
  }

  /** The RAM bytes (for the net model's copies). */
  get bytes(): Uint8Array {
    return this.u8;
  }
}
