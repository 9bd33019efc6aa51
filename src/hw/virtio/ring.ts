/**
 * Split virtqueue layout (virtio 1.2 §2.7 "Split Virtqueues"). Offsets in bytes, little-endian fields.
 */

/** Largest queue size (§2.7: "Queue Size ... maximum 32768"). */
export const MAX_QUEUE_SIZE = 32768;

/** Descriptor table entry (§2.7.5 "The Virtqueue Descriptor Table"): 16 bytes. */
export const Desc = {
  SIZE: 16,
  /** le64 guest-physical address (written as two 32-bit halves). */
  ADDR: 0,
  ADDR_HI: 4,
  /** le32 length. */
  LEN: 8,
  /** le16 flags. */
  FLAGS: 12,
  /** le16 next descriptor index (valid with NEXT). */
  NEXT: 14,
  /** Descriptor table alignment (§2.7 table "Virtqueue Part Alignment"). */
  ALIGN: 16,
} as const;

/** Descriptor flags (§2.7.5). */
export const DescFlag = {
  /** The chain continues at `next`. */
  NEXT: 1,
  /** The buffer is device-writable (else device-readable). */
  WRITE: 2,
  /** The buffer holds a table of indirect descriptors (§2.7.5.3). */
  INDIRECT: 4,
} as const;

/** Available ring ("driver area", §2.7.6). */
export const Avail = {
  /** le16 flags. */
  FLAGS: 0,
  /** le16 idx: where the driver puts the next entry (free-running). */
  IDX: 2,
  /** le16 ring[i] at RING + 2*i. */
  RING: 4,
  /** Alignment (§2.7). */
  ALIGN: 2,
  /** VIRTQ_AVAIL_F_NO_INTERRUPT: the driver asks for no used-buffer notifications (§2.7.7). */
  F_NO_INTERRUPT: 1,
} as const;

/** Used ring ("device area", §2.7.8). */
export const Used = {
  /** le16 flags. */
  FLAGS: 0,
  /** le16 idx. */
  IDX: 2,
  /** Elements {le32 id, le32 len} at RING + 8*i. */
  RING: 4,
  ELEM_SIZE: 8,
  /** Alignment (§2.7). */
  ALIGN: 4,
  /** VIRTQ_USED_F_NO_NOTIFY: the device asks for no available-buffer notifications (§2.7.10). */
  F_NO_NOTIFY: 1,
} as const;

/** Size of the descriptor table of a queue of `n` entries. */
export function descTableSize(n: number): number {
  return Desc.SIZE * n;
}
/** Size of the available ring including used_event. */
export function availRingSize(n: number): number {
  return 6 + 2 * n;
}
/** Size of the used ring including avail_event. */
export function usedRingSize(n: number): number {
  return 6 + Used.ELEM_SIZE * n;
}
/** Offset of used_event in the available ring (valid with RING_EVENT_IDX, §2.7.10). */
export function usedEventOffset(n: number): number {
  return Avail.RING + 2 * n;
}
/** Offset of avail_event in the used ring (valid with RING_EVENT_IDX, §2.7.7). */
export function availEventOffset(n: number): number {
  return Used.RING + Used.ELEM_SIZE * n;
}

/** Legacy Queue Align of the PCI transport and virtio-drivers' MMIO v1 (§2.7.2 "Legacy Interfaces"). */
export const LEGACY_QUEUE_ALIGN = 4096;

function alignUp(x: number, a: number): number {
  return Math.ceil(x / a) * a;
}

/**
 * The legacy contiguous layout (§2.7.2): descriptors, available ring, padding to `align`, used ring.
 * Offsets relative to the queue's start.
 */
export function legacyLayout(
  n: number,
  align: number = LEGACY_QUEUE_ALIGN,
): { avail: number; used: number; size: number } {
  const avail = descTableSize(n);
  const used = alignUp(avail + availRingSize(n), align);
  return { avail, used, size: used + alignUp(usedRingSize(n), align) };
}

/**
 * The event-index test (§2.7.7.2 / virtio_ring.h `vring_need_event`): true when moving an index from
 * `oldIdx` to `newIdx` crosses `eventIdx`, all modulo 2^16.
 */
export function needEvent(eventIdx: number, newIdx: number, oldIdx: number): boolean {
  return ((newIdx - eventIdx - 1) & 0xffff) < ((newIdx - oldIdx) & 0xffff);
}
