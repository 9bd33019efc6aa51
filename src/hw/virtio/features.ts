/**
 * Feature bits (virtio 1.2 §2.2 "Feature Bits", §6 "Reserved Feature Bits", §5.1.3 net feature bits)
 * and helpers over 64-bit feature sets.
 *
 * A feature set is a JavaScript number holding bits 0..52 (every bit defined here is below 44), so it is
 * exact; bitwise operators work on 32 bits only, hence the helpers. Feature negotiation is a slow path.
 */

/** Device-independent bits (virtio 1.2 §6). */
export const VirtioFeature = {
  /** Legacy: notify when the available ring runs empty. */
  NOTIFY_ON_EMPTY: 24,
  /** Legacy: the device accepts any descriptor layout. */
  ANY_LAYOUT: 27,
  /** VIRTQ_DESC_F_INDIRECT may be used (§2.7.5). */
  RING_INDIRECT_DESC: 28,
  /** used_event / avail_event are active (§2.7.7, §2.7.10). */
  RING_EVENT_IDX: 29,
  /** A virtio 1.x (modern) device: little-endian, 12-byte net header. */
  VERSION_1: 32,
  /** Device DMA goes through the platform's translation. */
  ACCESS_PLATFORM: 33,
  /** Packed virtqueue layout (§2.8). Not offered by the model. */
  RING_PACKED: 34,
  /** Buffers are used in the order made available. */
  IN_ORDER: 35,
  ORDER_PLATFORM: 36,
  SR_IOV: 37,
  /** Notifications carry extra data. */
  NOTIFICATION_DATA: 38,
  NOTIF_CONFIG_DATA: 39,
  /** Per-queue reset. */
  RING_RESET: 40,
  ADMIN_VQ: 41,
  /** The SUSPEND status bit. */
  SUSPEND: 43,
} as const;

/** Network device bits (virtio 1.2 §5.1.3 "Feature bits"). */
export const NetFeature = {
  /** The device takes partially checksummed TX packets. */
  CSUM: 0,
  /** The driver takes partially checksummed RX packets. */
  GUEST_CSUM: 1,
  CTRL_GUEST_OFFLOADS: 2,
  /** Config `mtu` is valid. */
  MTU: 3,
  /** Config `mac` is valid. */
  MAC: 5,
  GSO: 6,
  GUEST_TSO4: 7,
  GUEST_TSO6: 8,
  GUEST_ECN: 9,
  GUEST_UFO: 10,
  HOST_TSO4: 11,
  HOST_TSO6: 12,
  HOST_ECN: 13,
  HOST_UFO: 14,
  /** The driver can merge receive buffers (num_buffers > 1). */
  MRG_RXBUF: 15,
  /** Config `status` is valid. */
  STATUS: 16,
  CTRL_VQ: 17,
  CTRL_RX: 18,
  CTRL_VLAN: 19,
  CTRL_RX_EXTRA: 20,
  GUEST_ANNOUNCE: 21,
  /** Multiqueue; `max_virtqueue_pairs` is valid. */
  MQ: 22,
  CTRL_MAC_ADDR: 23,
} as const;

const TWO_32 = 0x1_0000_0000;

/** The set holding only `bit`. */
export function featureBit(bit: number): number {
  return 2 ** bit;
}

/** The set of all the given bits. */
export function featureSet(...bits: number[]): number {
  let lo = 0;
  let hi = 0;
  for (const b of bits) {
    if (b < 32) lo = (lo | (1 << b)) >>> 0;
    else hi = (hi | (1 << (b - 32))) >>> 0;
  }
  return hi * TWO_32 + lo;
}

/** Bits 0..31 of a set. */
export function featuresLow(set: number): number {
  return (set % TWO_32) >>> 0;
}

/** Bits 32..63 of a set. */
export function featuresHigh(set: number): number {
  return Math.floor(set / TWO_32) >>> 0;
}

/** A set from its two 32-bit words. */
export function featuresFromWords(low: number, high: number): number {
  return (high >>> 0) * TWO_32 + (low >>> 0);
}

/** The 32-bit word `select` (0: bits 0..31, 1: bits 32..63, others: 0), as the transports expose it. */
export function featureWord(set: number, select: number): number {
  return select === 0 ? featuresLow(set) : select === 1 ? featuresHigh(set) : 0;
}

/** `set` with word `select` (0 or 1) replaced by `value`. */
export function withFeatureWord(set: number, select: number, value: number): number {
  if (select === 0) return featuresFromWords(value, featuresHigh(set));
  if (select === 1) return featuresFromWords(featuresLow(set), value);
  return set;
}

/** Whether `bit` is in `set`. */
export function hasFeature(set: number, bit: number): boolean {
  return bit < 32 ? ((featuresLow(set) >>> bit) & 1) === 1 : ((featuresHigh(set) >>> (bit - 32)) & 1) === 1;
}

/** Intersection of two sets. */
export function featuresAnd(a: number, b: number): number {
  return featuresFromWords(
    (featuresLow(a) & featuresLow(b)) >>> 0,
    (featuresHigh(a) & featuresHigh(b)) >>> 0,
  );
}

/** Union of two sets. */
export function featuresOr(a: number, b: number): number {
  return featuresFromWords(
    (featuresLow(a) | featuresLow(b)) >>> 0,
    (featuresHigh(a) | featuresHigh(b)) >>> 0,
  );
}

/** `a` without the bits of `b`. */
export function featuresWithout(a: number, b: number): number {
  return featuresFromWords(
    (featuresLow(a) & ~featuresLow(b)) >>> 0,
    (featuresHigh(a) & ~featuresHigh(b)) >>> 0,
  );
}

const NAMES: Record<number, string> = {};
for (const [k, v] of Object.entries(NetFeature)) NAMES[v] = k;
for (const [k, v] of Object.entries(VirtioFeature)) NAMES[v] = k;

/** Names of the bits in a set ("MAC|STATUS|VERSION_1"), for logs and messages. */
export function featureNames(set: number): string {
  const out: string[] = [];
  for (let b = 0; b < 64; b++) if (hasFeature(set, b)) out.push(NAMES[b] ?? `bit${b}`);
  return out.join("|");
}
