/** The Ethernet FCS: CRC-32 (IEEE 802.3 3.2.9), reflected, polynomial 0xEDB88320. Table made once. */
const TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

/** CRC-32 of `bytes[off, off + len)`, as transmitted in the FCS field (least significant byte first). */
export function crc32(bytes: Uint8Array, off: number, len: number): number {
  let c = 0xffffffff;
  for (let i = off, end = off + len; i < end; i++) c = TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
