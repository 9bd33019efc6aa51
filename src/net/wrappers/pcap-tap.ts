import { DevError, type DevResult } from "../../base/dev-error.js";
import type { NetBufPtr } from "../net-buf-ptr.js";
import type { NetDriverOps } from "../net-driver-ops.js";
import { CaptureDirection, type CaptureSink, type TimeSource, wallTime } from "./capture.js";
import { NetDriverWrapper } from "./wrapper.js";

/** Options of a {@link PcapTap}. */
export interface PcapTapOptions {
  /** Timestamps (nanoseconds). Default: wall time since the epoch. */
  clock?: TimeSource;
  /** Record received frames (default true). */
  rx?: boolean;
  /** Record transmitted frames (default true). */
  tx?: boolean;
}

/**
 * Records every frame a driver transmits and receives into a {@link CaptureSink} (smoltcp's `PcapWriter`
 * device). A frame is recorded once the wrapped driver has accepted it (`transmit` succeeded) or handed
 * it out (`receive`); one timestamp per batch. The sink is a pure interface: `link/pcap.ts` writes
 * libpcap files.
 */
export class PcapTap extends NetDriverWrapper {
  /** Received frames recorded. */
  rxCaptured = 0;
  /** Transmitted frames recorded. */
  txCaptured = 0;
  private readonly clock: TimeSource;
  private readonly rx: boolean;
  private readonly tx: boolean;

  constructor(
    inner: NetDriverOps,
    /** Where frames go. */
    readonly sink: CaptureSink,
    opts: PcapTapOptions = {},
  ) {
    super(inner);
    this.clock = opts.clock ?? wallTime;
    this.rx = opts.rx ?? true;
    this.tx = opts.tx ?? true;
  }

  override transmit(txBuf: NetBufPtr): DevResult<void> {
    const r = this.inner.transmit(txBuf);
    if (r instanceof DevError || !this.tx) return r;
    this.sink.capture(txBuf.bytes, txBuf.offset, txBuf.len, this.clock.now(), CaptureDirection.Tx);
    this.txCaptured++;
    return r;
  }

  override transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    const n = this.inner.transmitBatch(bufs, count);
    if (n instanceof DevError || n === 0 || !this.tx) return n;
    const t = this.clock.now();
    for (let i = 0; i < n; i++) {
      const b = bufs[i]!;
      this.sink.capture(b.bytes, b.offset, b.len, t, CaptureDirection.Tx);
    }
    this.txCaptured += n;
    return n;
  }

  override receive(): DevResult<NetBufPtr> {
    const r = this.inner.receive();
    if (r instanceof DevError || !this.rx) return r;
    this.sink.capture(r.bytes, r.offset, r.len, this.clock.now(), CaptureDirection.Rx);
    this.rxCaptured++;
    return r;
  }

  override receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    const n = this.inner.receiveBatch(out, max);
    if (n instanceof DevError || n === 0 || !this.rx) return n;
    const t = this.clock.now();
    for (let i = 0; i < n; i++) {
      const b = out[i]!;
      this.sink.capture(b.bytes, b.offset, b.len, t, CaptureDirection.Rx);
    }
    this.rxCaptured += n;
    return n;
  }
}
