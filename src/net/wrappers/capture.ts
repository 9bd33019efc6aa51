/** Which way a captured frame went, seen from the driver's user. */
export const CaptureDirection = {
  /** Received by the NIC (handed to the user by `receive`). */
  Rx: 0,
  /** Transmitted by the NIC (queued by `transmit`). */
  Tx: 1,
} as const;
/** One of the {@link CaptureDirection} values. */
export type CaptureDirection = (typeof CaptureDirection)[keyof typeof CaptureDirection];

/**
 * Where a capture goes: a pure interface, so the wrappers stay free of files and Node APIs. The pcap
 * writer in `link/pcap.ts` implements it (over an in-memory or a file sink).
 */
export interface CaptureSink {
  /**
   * Records one frame. The bytes are valid only during the call (they are the NIC's DMA memory): copy
   * what you keep. `timeNs` is nanoseconds since the epoch (or since the start of virtual time).
   */
  capture(
    bytes: Uint8Array,
    offset: number,
    length: number,
    timeNs: number,
    direction: CaptureDirection,
  ): void;
}

/** A source of timestamps in nanoseconds. */
export interface TimeSource {
  now(): number;
}

/** Wall time in nanoseconds since the epoch, from `performance` (available in Node and browsers). */
export const wallTime: TimeSource = {
  now(): number {
    return (performance.timeOrigin + performance.now()) * 1e6;
  },
};
