import { DevError } from "../base/dev-error.js";
import type { NetBufPtr } from "../net/net-buf-ptr.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";

/** Counters of a traffic job. */
export interface TrafficStats {
  rxFrames: number;
  rxBytes: number;
  txFrames: number;
  txBytes: number;
  /** Frames not sent because the queue was full or no buffer was free (echo: dropped). */
  txDropped: number;
  /** Errors other than `Again` from the driver. */
  errors: number;
}

/** Fresh zeroed counters. */
export function newTrafficStats(): TrafficStats {
  return { rxFrames: 0, rxBytes: 0, txFrames: 0, txBytes: 0, txDropped: 0, errors: 0 };
}

/**
 * One round of an echo: takes up to `rx.length` received frames, sends each back with source and destination
 * addresses swapped (the source becomes `mac`), and recycles both queues. Returns how many frames came in.
 * `rx` is a caller-owned array reused across rounds, so a round allocates nothing.
 */
export function echoRound(ops: NetDriverOps, mac: Uint8Array, rx: NetBufPtr[], stats: TrafficStats): number {
  const r = ops.receiveBatch(rx, rx.length);
  if (r instanceof DevError) {
    if (r.kind !== "Again") stats.errors++;
    return 0;
  }
  for (let i = 0; i < r; i++) {
    const p = rx[i]!;
    const len = p.len;
    stats.rxFrames++;
    stats.rxBytes += len;
    if (!ops.canTransmit() && ops.recycleTxBuffers() instanceof DevError) stats.errors++;
    const tx = ops.canTransmit() ? ops.allocTxBuffer(len) : DevError.Again;
    if (tx instanceof DevError) {
      stats.txDropped++;
    } else {
      const s = p.bytes;
      const so = p.offset;
      const d = tx.bytes;
      const o = tx.offset;
      // destination <- received source; source <- our address; rest copied
      for (let k = 0; k < 6; k++) d[o + k] = s[so + 6 + k]!;
      for (let k = 0; k < 6; k++) d[o + 6 + k] = mac[k]!;
      d.set(s.subarray(so + 12, so + len), o + 12);
      tx.len = len;
      const t = ops.transmit(tx);
      if (t instanceof DevError) {
        stats.txDropped++;
        if (t.kind !== "Again") stats.errors++;
      } else {
        stats.txFrames++;
        stats.txBytes += len;
      }
    }
    if (ops.recycleRxBuffer(p) instanceof DevError) stats.errors++;
  }
  if (ops.recycleTxBuffers() instanceof DevError) stats.errors++;
  return r;
}

/** Options of {@link runEcho}. */
export interface EchoOptions {
  /** Stop after this many frames came in. */
  frames?: number;
  /** Stop after this many milliseconds (default: no limit when `frames` is set, else 10 s). */
  durationMs?: number;
  /** Frames taken per round (default 32). */
  batch?: number;
  /** Called about once a second with the counters so far. */
  onTick?: (stats: TrafficStats) => void;
}

/** Echoes frames back to their sender until a frame count or a time limit is reached. */
export async function runEcho(ops: NetDriverOps, opts: EchoOptions = {}): Promise<TrafficStats> {
  const stats = newTrafficStats();
  const mac = Uint8Array.from(ops.macAddress().bytes);
  const rx = new Array<NetBufPtr>(opts.batch ?? 32);
  const limitMs = opts.durationMs ?? (opts.frames === undefined ? 10_000 : Number.POSITIVE_INFINITY);
  const t0 = performance.now();
  let tick = t0 + 1000;
  for (;;) {
    echoRound(ops, mac, rx, stats);
    if (opts.frames !== undefined && stats.rxFrames >= opts.frames) break;
    const now = performance.now();
    if (now - t0 >= limitMs) break;
    if (now >= tick) {
      tick = now + 1000;
      opts.onTick?.(stats);
      await new Promise((r) => setImmediate(r)); // let signals and timers run
    }
  }
  return stats;
}

/** Options of {@link runPktgen}. */
export interface PktgenOptions {
  /** Frames to send. */
  count: number;
  /** Frame length (60..1514; default 60). */
  size?: number;
  /** Destination address (default broadcast). */
  dst?: Uint8Array;
  /** EtherType (default 0x88B5, local experimental). */
  etherType?: number;
  onTick?: (stats: TrafficStats) => void;
}

/**
 * Sends `count` frames of `size` bytes as fast as the queue takes them: destination, our address, the
 * EtherType, a 32-bit sequence number, then a byte pattern of the sequence number.
 */
export async function runPktgen(ops: NetDriverOps, opts: PktgenOptions): Promise<TrafficStats> {
  const stats = newTrafficStats();
  const size = Math.min(1514, Math.max(60, opts.size ?? 60));
  const dst = opts.dst ?? new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
  const src = ops.macAddress().bytes;
  const type = opts.etherType ?? 0x88b5;
  let tick = performance.now() + 1000;
  let seq = 0;
  let stalledSince = -1;
  while (seq < opts.count) {
    if (!ops.canTransmit()) {
      if (ops.recycleTxBuffers() instanceof DevError) stats.errors++;
      // the device stopped completing transmissions: give up rather than spin forever
      const now = performance.now();
      if (stalledSince < 0) stalledSince = now;
      else if (now - stalledSince > 5000) {
        stats.errors++;
        break;
      }
      continue;
    }
    stalledSince = -1;
    const tx = ops.allocTxBuffer(size);
    if (tx instanceof DevError) {
      if (tx.kind !== "NoMemory" && tx.kind !== "Again") stats.errors++;
      if (ops.recycleTxBuffers() instanceof DevError) stats.errors++;
      continue;
    }
    const d = tx.bytes;
    const o = tx.offset;
    for (let k = 0; k < 6; k++) d[o + k] = dst[k]!;
    for (let k = 0; k < 6; k++) d[o + 6 + k] = src[k]!;
    d[o + 12] = type >>> 8;
    d[o + 13] = type & 0xff;
    d[o + 14] = seq >>> 24;
    d[o + 15] = (seq >>> 16) & 0xff;
    d[o + 16] = (seq >>> 8) & 0xff;
    d[o + 17] = seq & 0xff;
    for (let k = 18; k < size; k++) d[o + k] = (seq + k) & 0xff;
    tx.len = size;
    // canTransmit() said there is room: a failure here is the driver's error, counted, frame lost
    const t = ops.transmit(tx);
    if (t instanceof DevError) {
      stats.errors++;
      stats.txDropped++;
    } else {
      stats.txFrames++;
      stats.txBytes += size;
    }
    seq++;
    if ((seq & 255) === 0) {
      if (ops.recycleTxBuffers() instanceof DevError) stats.errors++;
      const now = performance.now();
      if (now >= tick) {
        tick = now + 1000;
        opts.onTick?.(stats);
        await new Promise((r) => setImmediate(r));
      }
    }
  }
  if (ops.recycleTxBuffers() instanceof DevError) stats.errors++;
  return stats;
}
