import {
  IXGBE_RXDADV_PKTTYPE_IPV4,
  IXGBE_RXDADV_PKTTYPE_IPV6,
  IXGBE_RXDADV_PKTTYPE_TCP,
  IXGBE_RXDADV_PKTTYPE_UDP,
  IXGBE_RXDADV_RSSTYPE_IPV4,
  IXGBE_RXDADV_RSSTYPE_IPV4_TCP,
  IXGBE_RXDADV_RSSTYPE_IPV4_UDP,
  IXGBE_RXDADV_RSSTYPE_IPV6,
  IXGBE_RXDADV_RSSTYPE_IPV6_TCP,
  IXGBE_RXDADV_RSSTYPE_IPV6_UDP,
  IXGBE_RXDADV_RSSTYPE_NONE,
} from "../../hw/ixgbe/descriptors.js";
import {
  IXGBE_MRQC_RSS_FIELD_IPV4,
  IXGBE_MRQC_RSS_FIELD_IPV4_TCP,
  IXGBE_MRQC_RSS_FIELD_IPV4_UDP,
  IXGBE_MRQC_RSS_FIELD_IPV6,
  IXGBE_MRQC_RSS_FIELD_IPV6_TCP,
  IXGBE_MRQC_RSS_FIELD_IPV6_UDP,
  IXGBE_RETA_ENTRIES,
  IXGBE_RETA_INDEX_MASK,
  IXGBE_RSS_KEY_LEN,
} from "../../hw/ixgbe/regs.js";

/**
 * The Microsoft RSS (Toeplitz) hash as Intel's datasheets write it (82598 datasheet 3.5.2.10.1, same on
 * the 82599): for every bit of `input[0..n)`, left to right, when the bit is 1 the result is XORed with
 * the left-most 32 bits of the 320-bit `key`, and the key shifts left by one bit.
 */
export function toeplitzHash(key: Uint8Array, input: Uint8Array, n: number): number {
  let result = 0;
  let window = (key[0]! << 24) | (key[1]! << 16) | (key[2]! << 8) | key[3]!;
  for (let i = 0; i < n; i++) {
    const b = input[i]!;
    const next = i + 4 < key.length ? key[i + 4]! : 0;
    for (let j = 7; j >= 0; j--) {
      if (((b >>> j) & 1) !== 0) result ^= window;
      window = (window << 1) | ((next >>> j) & 1);
    }
  }
  return result >>> 0;
}

const ETHERTYPE_IPV4 = 0x0800;
const ETHERTYPE_IPV6 = 0x86dd;
const ETHERTYPE_VLAN = 0x8100;
const IPPROTO_TCP = 6;
const IPPROTO_UDP = 17;

/**
 * Receive-side scaling of the 82599 (datasheet 7.1.2.8): parse the frame, hash the flow with the key from
 * RSSRK, and look the 7 low bits of the hash up in the 128-entry redirection table (RETA) for the RSS
 * output index (4 bits: up to 16 queues). The hash input per packet type, and the priority when several
 * MRQC field enables match (TCP, then UDP, then plain IP), follow the datasheet's RSS section.
 * Frames that match no enabled type get hash 0, RSS type 0 and index 0.
 */
export class RssEngine {
  /** The 40-byte key (RSSRK(0..9), byte 4i in bits 7:0 of RSSRK(i)). */
  readonly key = new Uint8Array(IXGBE_RSS_KEY_LEN);
  /** The 128 redirection entries (RETA(i) byte k is entry 4i+k). */
  readonly reta = new Uint8Array(IXGBE_RETA_ENTRIES);
  /** Result of the last {@link RssEngine.classify}: the 32-bit hash. */
  hash = 0;
  /** Result: the RSS type for the descriptor (bits 3:0 of the packet-info dword). */
  rssType = IXGBE_RXDADV_RSSTYPE_NONE;
  /** Result: the packet type field (bits 16:4 of the packet-info dword, unshifted). */
  packetType = 0;
  /** Result: the RSS output index (queue). */
  queue = 0;
  private readonly input = new Uint8Array(36);

  /** Sets RSSRK(i) (bytes 4i..4i+3 of the key). */
  setKeyWord(i: number, value: number): void {
    this.key[4 * i] = value & 0xff;
    this.key[4 * i + 1] = (value >>> 8) & 0xff;
    this.key[4 * i + 2] = (value >>> 16) & 0xff;
    this.key[4 * i + 3] = value >>> 24;
  }

  /** Sets RETA(i) (entries 4i..4i+3). */
  setRetaWord(i: number, value: number): void {
    this.reta[4 * i] = value & 0xff;
    this.reta[4 * i + 1] = (value >>> 8) & 0xff;
    this.reta[4 * i + 2] = (value >>> 16) & 0xff;
    this.reta[4 * i + 3] = value >>> 24;
  }

  /**
   * Classifies the frame `bytes[off..off+len)` under the MRQC field enables `mrqc`; sets {@link hash},
   * {@link rssType}, {@link packetType} and {@link queue}.
   */
  classify(bytes: Uint8Array, off: number, len: number, mrqc: number): void {
    this.hash = 0;
    this.rssType = IXGBE_RXDADV_RSSTYPE_NONE;
    this.packetType = 0;
    this.queue = 0;
    if (len < 14) return;
    let l3 = off + 14;
    let type = (bytes[off + 12]! << 8) | bytes[off + 13]!;
    if (type === ETHERTYPE_VLAN && len >= 18) {
      type = (bytes[off + 16]! << 8) | bytes[off + 17]!;
      l3 += 4;
    }
    const end = off + len;
    const input = this.input;
    let n = 0;
    if (type === ETHERTYPE_IPV4) {
      if (l3 + 20 > end || bytes[l3]! >>> 4 !== 4) return;
      const ihl = (bytes[l3]! & 0xf) * 4;
      if (ihl < 20 || l3 + ihl > end) return;
      this.packetType = IXGBE_RXDADV_PKTTYPE_IPV4;
      const proto = bytes[l3 + 9]!;
      const fragmented = (((bytes[l3 + 6]! << 8) | bytes[l3 + 7]!) & 0x3fff) !== 0;
      for (let i = 0; i < 8; i++) input[i] = bytes[l3 + 12 + i]!;
      const l4 = l3 + ihl;
      const ports = !fragmented && l4 + 4 <= end;
      if (proto === IPPROTO_TCP) this.packetType |= IXGBE_RXDADV_PKTTYPE_TCP;
      else if (proto === IPPROTO_UDP) this.packetType |= IXGBE_RXDADV_PKTTYPE_UDP;
      if (ports && proto === IPPROTO_TCP && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV4_TCP) !== 0) {
        this.rssType = IXGBE_RXDADV_RSSTYPE_IPV4_TCP;
        n = 12;
      } else if (ports && proto === IPPROTO_UDP && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV4_UDP) !== 0) {
        this.rssType = IXGBE_RXDADV_RSSTYPE_IPV4_UDP;
        n = 12;
      } else if ((mrqc & IXGBE_MRQC_RSS_FIELD_IPV4) !== 0) {
        this.rssType = IXGBE_RXDADV_RSSTYPE_IPV4;
        n = 8;
      } else {
        return;
      }
      if (n === 12) for (let i = 0; i < 4; i++) input[8 + i] = bytes[l4 + i]!;
    } else if (type === ETHERTYPE_IPV6) {
      // no extension-header parsing: the L4 hash applies when the next header is TCP or UDP itself
      if (l3 + 40 > end || bytes[l3]! >>> 4 !== 6) return;
      this.packetType = IXGBE_RXDADV_PKTTYPE_IPV6;
      const next = bytes[l3 + 6]!;
      for (let i = 0; i < 32; i++) input[i] = bytes[l3 + 8 + i]!;
      const l4 = l3 + 40;
      const ports = l4 + 4 <= end;
      if (next === IPPROTO_TCP) this.packetType |= IXGBE_RXDADV_PKTTYPE_TCP;
      else if (next === IPPROTO_UDP) this.packetType |= IXGBE_RXDADV_PKTTYPE_UDP;
      if (ports && next === IPPROTO_TCP && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV6_TCP) !== 0) {
        this.rssType = IXGBE_RXDADV_RSSTYPE_IPV6_TCP;
        n = 36;
      } else if (ports && next === IPPROTO_UDP && (mrqc & IXGBE_MRQC_RSS_FIELD_IPV6_UDP) !== 0) {
        this.rssType = IXGBE_RXDADV_RSSTYPE_IPV6_UDP;
        n = 36;
      } else if ((mrqc & IXGBE_MRQC_RSS_FIELD_IPV6) !== 0) {
        this.rssType = IXGBE_RXDADV_RSSTYPE_IPV6;
        n = 32;
      } else {
        return;
      }
      if (n === 36) for (let i = 0; i < 4; i++) input[32 + i] = bytes[l4 + i]!;
    } else {
      return;
    }
    const h = toeplitzHash(this.key, input, n);
    this.hash = h;
    this.queue = this.reta[h & (IXGBE_RETA_ENTRIES - 1)]! & IXGBE_RETA_INDEX_MASK;
  }
}
