/**
 * The test-traffic frame: an Ethernet frame whose payload says which stream and sequence number it is and
 * carries a pattern derived from both, so a receiver can tell a lost, duplicated, reordered or corrupted
 * frame from a good one. Layout (big-endian fields, as on the wire):
 *
 * | offset | size | field |
 * |---|---|---|
 * | 0 | 6 | destination MAC |
 * | 6 | 6 | source MAC |
 * | 12 | 2 | EtherType 0x88B5 (IEEE 802 local experimental) |
 * | 14 | 4 | magic "AXDT" |
 * | 18 | 2 | stream id |
 * | 20 | 4 | sequence number |
 * | 24 | 2 | frame length |
 * | 26 | 2 | header check: XOR of stream, both halves of seq, length and 0xA5A5 (any damaged header byte shows) |
 * | 28.. | | pattern: byte i = PATTERN[(i + seq + stream) & 255] |
 */

/** EtherType of test frames. */
export const TEST_ETHERTYPE = 0x88b5;
/** "AXDT". */
export const TEST_MAGIC = 0x41584454;
/** Smallest test frame (an Ethernet minimum frame without FCS). */
export const TEST_MIN_LEN = 60;
const PAYLOAD_START = 28;

/** A fixed byte permutation: every byte value once, so a pattern shift or a flipped byte is seen. */
const PATTERN = (() => {
  const p = new Uint8Array(512);
  let x = 0x5a;
  for (let i = 0; i < 256; i++) {
    x = (x * 167 + 13) & 0xff; // full-period LCG over bytes
    p[i] = x;
  }
  p.copyWithin(256, 0, 256);
  return p;
})();

/**
 * The pattern as little-endian words, one table per byte shift: `PATTERN_WORDS[s][j]` holds pattern bytes
 * `s + 4j .. s + 4j + 3` (mod 256). The payload is written and checked a word at a time when it is 4-aligned.
 */
const PATTERN_WORDS = [0, 1, 2, 3].map((s) => {
  const w = new Uint32Array(64);
  for (let j = 0; j < 64; j++) {
    const b = s + 4 * j;
    w[j] =
      (PATTERN[b & 255]! |
        (PATTERN[(b + 1) & 255]! << 8) |
        (PATTERN[(b + 2) & 255]! << 16) |
        (PATTERN[(b + 3) & 255]! << 24)) >>>
      0;
  }
  return w;
});

let lastBytes: Uint8Array | undefined;
let lastWords: Uint32Array | undefined;

/** A 32-bit view of `bytes`' memory when it starts 4-aligned (cached: one view per memory, not per frame). */
function wordsOf(bytes: Uint8Array): Uint32Array | undefined {
  if (bytes === lastBytes) return lastWords;
  lastBytes = bytes;
  lastWords =
    (bytes.byteOffset & 3) === 0 && (bytes.buffer.byteLength & 3) === 0
      ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >>> 2)
      : undefined;
  return lastWords;
}

function headerCheck(stream: number, seq: number, length: number): number {
  return (stream ^ (seq >>> 16) ^ (seq & 0xffff) ^ length ^ 0xa5a5) & 0xffff;
}

/** Writes a test frame of `length` bytes at `bytes[offset..]`. */
export function writeTestFrame(
  bytes: Uint8Array,
  offset: number,
  length: number,
  dst: Uint8Array,
  src: Uint8Array,
  stream: number,
  seq: number,
): void {
  for (let i = 0; i < 6; i++) {
    bytes[offset + i] = dst[i]!;
    bytes[offset + 6 + i] = src[i]!;
  }
  bytes[offset + 12] = 0x88;
  bytes[offset + 13] = 0xb5;
  bytes[offset + 14] = 0x41;
  bytes[offset + 15] = 0x58;
  bytes[offset + 16] = 0x44;
  bytes[offset + 17] = 0x54;
  bytes[offset + 18] = (stream >>> 8) & 0xff;
  bytes[offset + 19] = stream & 0xff;
  bytes[offset + 20] = (seq >>> 24) & 0xff;
  bytes[offset + 21] = (seq >>> 16) & 0xff;
  bytes[offset + 22] = (seq >>> 8) & 0xff;
  bytes[offset + 23] = seq & 0xff;
  bytes[offset + 24] = (length >>> 8) & 0xff;
  bytes[offset + 25] = length & 0xff;
  const check = headerCheck(stream, seq, length);
  bytes[offset + 26] = check >>> 8;
  bytes[offset + 27] = check & 0xff;
  let k = (PAYLOAD_START + seq + stream) & 0xff;
  let i = offset + PAYLOAD_START;
  const end = offset + length;
  const u32 = (i & 3) === 0 ? wordsOf(bytes) : undefined;
  if (u32 !== undefined) {
    const w = PATTERN_WORDS[k & 3]!;
    let j = k >>> 2;
    for (; i + 4 <= end; i += 4) {
      u32[i >>> 2] = w[j]!;
      j = (j + 1) & 63;
    }
    k = (k + ((length - PAYLOAD_START) & ~3)) & 0xff;
  }
  for (; i < end; i++) {
    bytes[i] = PATTERN[k]!;
    k = (k + 1) & 0xff;
  }
}

/** What {@link parseTestFrame} found. */
export const FrameVerdict = {
  /** A good test frame; stream and seq are in the result. */
  Good: 0,
  /** Not a test frame (other EtherType or magic). */
  Foreign: 1,
  /** A test frame whose header or payload is damaged. */
  Corrupt: 2,
} as const;
export type FrameVerdict = (typeof FrameVerdict)[keyof typeof FrameVerdict];

/** Result holder for {@link parseTestFrame} (reused: no allocation per frame). */
export class ParsedFrame {
  stream = 0;
  seq = 0;
}

/** Checks a received frame; fills `out` with its stream and sequence number when good. */
export function parseTestFrame(
  bytes: Uint8Array,
  offset: number,
  length: number,
  out: ParsedFrame,
): FrameVerdict {
  if (length < PAYLOAD_START) return FrameVerdict.Foreign;
  if (bytes[offset + 12] !== 0x88 || bytes[offset + 13] !== 0xb5) return FrameVerdict.Foreign;
  const magic =
    ((bytes[offset + 14]! << 24) |
      (bytes[offset + 15]! << 16) |
      (bytes[offset + 16]! << 8) |
      bytes[offset + 17]!) >>>
    0;
  if (magic !== TEST_MAGIC) return FrameVerdict.Corrupt;
  const stream = (bytes[offset + 18]! << 8) | bytes[offset + 19]!;
  const seq =
    ((bytes[offset + 20]! << 24) |
      (bytes[offset + 21]! << 16) |
      (bytes[offset + 22]! << 8) |
      bytes[offset + 23]!) >>>
    0;
  const len = (bytes[offset + 24]! << 8) | bytes[offset + 25]!;
  const check = (bytes[offset + 26]! << 8) | bytes[offset + 27]!;
  if (len !== length || check !== headerCheck(stream, seq, len)) return FrameVerdict.Corrupt;
  let k = (PAYLOAD_START + seq + stream) & 0xff;
  let i = offset + PAYLOAD_START;
  const end = offset + length;
  const u32 = (i & 3) === 0 ? wordsOf(bytes) : undefined;
  if (u32 !== undefined) {
    const w = PATTERN_WORDS[k & 3]!;
    let j = k >>> 2;
    for (; i + 4 <= end; i += 4) {
      if (u32[i >>> 2] !== w[j]) return FrameVerdict.Corrupt;
      j = (j + 1) & 63;
    }
    k = (k + ((length - PAYLOAD_START) & ~3)) & 0xff;
  }
  for (; i < end; i++) {
    if (bytes[i] !== PATTERN[k]) return FrameVerdict.Corrupt;
    k = (k + 1) & 0xff;
  }
  out.stream = stream;
  out.seq = seq;
  return FrameVerdict.Good;
}
