// Test frames shared by the host side of the peer tests and the guest program (plain JS: it runs inside the
// guest as it is). Every byte of a frame follows from (kind, seq), so either side can check a frame alone.
//
// Layout: dst(6) src(6) EtherType(2) seq(u32 BE) kind(1) pattern...; length 60..1514 from (kind, seq).

/** The host side's Ethernet address (locally administered). */
export const HOST_MAC = Uint8Array.from([0x02, 0x00, 0x00, 0x00, 0x00, 0x01]);
/** The guest NIC's address, set on QEMU's command line (`mac=`). */
export const GUEST_MAC = Uint8Array.from([0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
/** Host -> guest frames (echoed back by the guest with addresses swapped). */
export const KIND_HOST = 1;
/** Frames the guest generates itself, one per host frame. */
export const KIND_GUEST = 2;
/** Frames sent while bus mastering is off (must never arrive). */
export const KIND_NO_MASTER = 3;
/** EtherType of every test frame (IEEE 802 local experimental). */
export const ETHERTYPE = 0x88b5;
export const MIN_LEN = 60;
export const MAX_LEN = 1514;

/** Length of frame `seq` of `kind`: the first two of each kind are 60 and 1514, the rest spread between. */
export function frameLength(kind, seq) {
  if (seq === 0) return kind === KIND_HOST ? MIN_LEN : MAX_LEN;
  if (seq === 1) return kind === KIND_HOST ? MAX_LEN : MIN_LEN;
  const h = Math.imul(seq ^ (kind * 0x9e3779b1), 0x85ebca6b) >>> 0;
  return MIN_LEN + (h % (MAX_LEN - MIN_LEN + 1));
}

function patternByte(kind, seq, j) {
  return (Math.imul(seq, 131) + Math.imul(j, 29) + (j >>> 7) + kind * 17) & 0xff;
}

/** Writes frame (kind, seq) at `buf[off..]`; returns its length. */
export function writeFrame(buf, off, kind, seq, dst, src) {
  const len = frameLength(kind, seq);
  for (let i = 0; i < 6; i++) buf[off + i] = dst[i];
  for (let i = 0; i < 6; i++) buf[off + 6 + i] = src[i];
  buf[off + 12] = ETHERTYPE >>> 8;
  buf[off + 13] = ETHERTYPE & 0xff;
  buf[off + 14] = seq >>> 24;
  buf[off + 15] = (seq >>> 16) & 0xff;
  buf[off + 16] = (seq >>> 8) & 0xff;
  buf[off + 17] = seq & 0xff;
  buf[off + 18] = kind;
  for (let j = 19; j < len; j++) buf[off + j] = patternByte(kind, seq, j);
  return len;
}

/** The sequence number in a frame at `buf[off..]` (no checks). */
export function frameSeq(buf, off) {
  return ((buf[off + 14] << 24) | (buf[off + 15] << 16) | (buf[off + 16] << 8) | buf[off + 17]) >>> 0;
}

/**
 * Checks a frame against (kind, seq, dst, src): returns "" when every byte is as expected, else a short
 * description of the first difference.
 */
export function checkFrame(buf, off, len, kind, seq, dst, src) {
  const want = frameLength(kind, seq);
  if (len !== want) return `length ${len}, expected ${want}`;
  for (let i = 0; i < 6; i++) if (buf[off + i] !== dst[i]) return `dst byte ${i} is ${buf[off + i]}`;
  for (let i = 0; i < 6; i++) if (buf[off + 6 + i] !== src[i]) return `src byte ${i} is ${buf[off + 6 + i]}`;
  if (buf[off + 12] !== ETHERTYPE >>> 8 || buf[off + 13] !== (ETHERTYPE & 0xff)) return "ethertype";
  if (frameSeq(buf, off) !== seq) return `seq ${frameSeq(buf, off)}, expected ${seq}`;
  if (buf[off + 18] !== kind) return `kind ${buf[off + 18]}, expected ${kind}`;
  for (let j = 19; j < len; j++) {
    if (buf[off + j] !== patternByte(kind, seq, j))
      return `byte ${j} is ${buf[off + j]}, expected ${patternByte(kind, seq, j)}`;
  }
  return "";
}
