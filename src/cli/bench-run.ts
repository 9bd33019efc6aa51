/**
 * The measurement behind `axdriver bench` and `npm run bench -- matrix`: for each NIC kind, two NICs of
 * that kind on one emulated machine joined by a wire; for each frame size and batch size, frames go from
 * the first NIC through the wire into the second as fast as the single thread moves them, ixy-pktgen
 * style (the sender writes each frame's header — addresses, EtherType, sequence number — into a buffer
 * from the driver; the receiver reads the sequence number and recycles the buffer). The figure is frames
 * received per second of wall time.
 */
import { PerformanceObserver } from "node:perf_hooks";
import { setImmediate as yieldNow } from "node:timers/promises";
import { DevError } from "../base/dev-error.js";
import { Wire } from "../link/wire.js";
import type { NetBufPtr } from "../net/net-buf-ptr.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import type { BenchPoint } from "./bench-report.js";
import type { NicKind } from "./options.js";
import { buildRig } from "./rig.js";

/** Warm-up of the first point of each NIC kind, seconds (the JIT compiles the driver and model paths). */
export const FIRST_WARMUP_S = 0.3;

/** EtherType of the benchmark's frames (IEEE 802 local experimental). */
const BENCH_ETHERTYPE = 0x88b5;

/**
 * One NIC sending to another in batches: the sender's header writes and the receiver's sequence check
 * are the only per-frame work besides the drivers and models. Frames the transmit queue refused are kept
 * (in order) and sent first next time.
 */
export class BenchPump {
  /** Frames received. */
  received = 0;
  /** Frames sent (accepted by the transmitting driver). */
  sent = 0;
  /** Sequence numbers that never arrived (seen as gaps). */
  lost = 0;
  /** Driver errors other than a full queue or no buffer. */
  errors = 0;
  private seq = 0;
  private expected = 0;
  private pending = 0;
  private readonly txBufs: NetBufPtr[];
  private readonly rxBufs: NetBufPtr[];
  private readonly src: Uint8Array;
  private readonly dst: Uint8Array;

  constructor(
    readonly tx: NetDriverOps,
    readonly rx: NetDriverOps,
    readonly frameSize: number,
    readonly batch: number,
  ) {
    this.txBufs = new Array<NetBufPtr>(batch);
    this.rxBufs = new Array<NetBufPtr>(batch);
    this.src = tx.macAddress().bytes;
    this.dst = rx.macAddress().bytes;
  }

  /** Sends up to a batch (unless `send` is false) and receives up to a batch; returns frames received. */
  step(send = true): number {
    const tx = this.tx;
    if (send || this.pending > 0) {
      const rc = tx.recycleTxBuffers();
      if (rc instanceof DevError) this.errors++;
      let n = this.pending;
      const len = this.frameSize;
      const dst = this.dst;
      const src = this.src;
      while (send && n < this.batch) {
        const p = tx.allocTxBuffer(len);
        if (p instanceof DevError) {
          if (p !== DevError.Again && p.kind !== "NoMemory") this.errors++;
          break;
        }
        const b = p.bytes;
        const o = p.offset;
        for (let i = 0; i < 6; i++) {
          b[o + i] = dst[i]!;
          b[o + 6 + i] = src[i]!;
        }
        b[o + 12] = BENCH_ETHERTYPE >>> 8;
        b[o + 13] = BENCH_ETHERTYPE & 0xff;
        const s = this.seq;
        b[o + 14] = s >>> 24;
        b[o + 15] = (s >>> 16) & 0xff;
        b[o + 16] = (s >>> 8) & 0xff;
        b[o + 17] = s & 0xff;
        this.seq = (s + 1) >>> 0;
        this.txBufs[n++] = p;
      }
      if (n > 0) {
        const sent = tx.transmitBatch(this.txBufs, n);
        const ok = sent instanceof DevError ? 0 : sent;
        if (sent instanceof DevError && sent !== DevError.Again) this.errors++;
        for (let i = ok; i < n; i++) this.txBufs[i - ok] = this.txBufs[i]!;
        this.pending = n - ok;
        this.sent += ok;
      }
    }
    const rx = this.rx;
    const got = rx.receiveBatch(this.rxBufs, this.batch);
    if (got instanceof DevError) {
      if (got !== DevError.Again) this.errors++;
      return 0;
    }
    for (let i = 0; i < got; i++) {
      const p = this.rxBufs[i]!;
      const b = p.bytes;
      const o = p.offset;
      const s = ((b[o + 14]! << 24) | (b[o + 15]! << 16) | (b[o + 16]! << 8) | b[o + 17]!) >>> 0;
      if (s !== this.expected) this.lost += (s - this.expected) >>> 0;
      this.expected = (s + 1) >>> 0;
      if (rx.recycleRxBuffer(p) instanceof DevError) this.errors++;
    }
    this.received += got;
    return got;
  }

  /** Sends what is pending and receives until nothing moves. */
  drain(): void {
    let idle = 0;
    for (let r = 0; r < 100_000 && idle < 32; r++) {
      const moved = this.step(false);
      idle = moved === 0 && this.pending === 0 ? idle + 1 : 0;
    }
  }
}

/** Counts garbage-collection events from the moment it is made until {@link GcTally.close}. */
class GcTally {
  count = 0;
  private readonly obs = new PerformanceObserver((list) => {
    this.count += list.getEntries().length;
  });
  constructor() {
    this.obs.observe({ entryTypes: ["gc"] });
  }
  close(): void {
    this.obs.disconnect();
  }
}

/** The benchmark matrix. */
export interface BenchMatrixOptions {
  nics: readonly NicKind[];
  batches: readonly number[];
  frameSizes: readonly number[];
  queueSize: number;
  /** Seconds measured per point. */
  duration: number;
  /**
   * Seconds run before measuring each point (default: a fifth of `duration`, at least 50 ms; the first
   * point of each NIC kind at least {@link FIRST_WARMUP_S}).
   */
  warmup?: number;
  /** Called with each point as it is measured (progress). */
  onPoint?(p: BenchPoint): void;
  /** Checked between slices: true stops the matrix (Ctrl-C); the points so far are returned. */
  stopped?(): boolean;
}

/** Runs `pump` for `seconds` of wall time in slices with yields; returns frames received and seconds. */
async function runFor(
  pump: BenchPump,
  seconds: number,
  stopped: () => boolean,
): Promise<{ frames: number; seconds: number }> {
  const start = performance.now();
  const end = start + seconds * 1000;
  const before = pump.received;
  for (;;) {
    const sliceEnd = Math.min(performance.now() + 50, end);
    do {
      for (let i = 0; i < 16; i++) pump.step();
    } while (performance.now() < sliceEnd);
    if (performance.now() >= end || stopped()) break;
    await yieldNow();
  }
  return { frames: pump.received - before, seconds: (performance.now() - start) / 1000 };
}

/** Measures the matrix: for each NIC kind (one machine each), frame size and batch size, a point. */
export async function runBenchMatrix(o: BenchMatrixOptions): Promise<BenchPoint[]> {
  const points: BenchPoint[] = [];
  const stopped = o.stopped ?? (() => false);
  const warmup = o.warmup ?? Math.max(0.05, o.duration / 5);
  const gc = new GcTally();
  try {
    for (const kind of o.nics) {
      if (stopped()) break;
      const rig = buildRig([{ kind }, { kind }], { queueSize: o.queueSize });
      const [a, b] = rig.nics as [(typeof rig.nics)[0], (typeof rig.nics)[0]];
      const wire = new Wire(a.board.port, b.board.port);
      // the first point of a machine also warms up the drivers' and models' code (JIT)
      let first = true;
      for (const frameSize of o.frameSizes) {
        for (const batch of o.batches) {
          if (stopped()) break;
          const pump = new BenchPump(a.dev, b.dev, frameSize, batch);
          await runFor(pump, first ? Math.max(warmup, FIRST_WARMUP_S) : warmup, stopped);
          first = false;
          await yieldNow(); // let GC entries of the warm-up arrive before counting
          const gc0 = gc.count;
          const lost0 = pump.lost;
          const dropped0 = wire.aToB.dropped;
          const m = await runFor(pump, o.duration, stopped);
          await yieldNow();
          const point: BenchPoint = {
            nic: kind,
            frameSize,
            batch,
            queueSize: o.queueSize,
            mpps: m.frames / m.seconds / 1e6,
            packets: m.frames,
            gcEvents: gc.count - gc0,
            drops: Math.max(pump.lost - lost0, wire.aToB.dropped - dropped0),
          };
          pump.drain();
          if (stopped()) break;
          points.push(point);
          o.onPoint?.(point);
        }
      }
      wire.detach();
    }
  } finally {
    gc.close();
  }
  return points;
}

/** `virtio-net-pci  64 B  batch  32: 1.23 Mpps (616.0 Mbit/s)  0 drops  0 GC`. */
export function pointLine(p: BenchPoint): string {
  return (
    `${p.nic.padEnd(17)} ${String(p.frameSize).padStart(4)} B  batch ${String(p.batch).padStart(3)}: ` +
    `${p.mpps.toFixed(3)} Mpps (${(p.mpps * p.frameSize * 8).toFixed(1)} Mbit/s)` +
    `  ${p.drops ?? 0} drops  ${p.gcEvents ?? 0} GC`
  );
}
