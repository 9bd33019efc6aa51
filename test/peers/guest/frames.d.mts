// Types of frames.mjs (plain JS so that it runs unchanged inside the guest).
export declare const HOST_MAC: Uint8Array;
export declare const GUEST_MAC: Uint8Array;
export declare const KIND_HOST: number;
export declare const KIND_GUEST: number;
export declare const KIND_NO_MASTER: number;
export declare const ETHERTYPE: number;
export declare const MIN_LEN: number;
export declare const MAX_LEN: number;
export declare function frameLength(kind: number, seq: number): number;
export declare function writeFrame(
  buf: Uint8Array,
  off: number,
  kind: number,
  seq: number,
  dst: Uint8Array,
  src: Uint8Array,
): number;
export declare function frameSeq(buf: Uint8Array, off: number): number;
export declare function checkFrame(
  buf: Uint8Array,
  off: number,
  len: number,
  kind: number,
  seq: number,
  dst: Uint8Array,
  src: Uint8Array,
): string;
