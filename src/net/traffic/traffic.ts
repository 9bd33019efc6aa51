import { DevError } from "../../base/dev-error.js";
import type { NetBufPtr } from "../net-buf-ptr.js";
import type { NetDriverOps } from "../net-driver-ops.js";
import { FrameVerdict, ParsedFrame, parseTestFrame, writeTestFrame } from "./test-frame.js";

/** Packet and byte counters of one traffic endpoint. Plain numbers, updated per batch. */
export class TrafficCounters {
  txPackets = 0;
  txBytes = 0;
  rxPackets = 0;
  rxBytes = 0;
  /** Transmit attempts refused because the queue was full (`Again`). */
  txFull = 0;
  /** Transmit buffers not available (`NoMemory`). */
  txNoBuffer = 0;
  /** Errors other than `Again` / `NoMemory` returned by the driver. */
  errors = 0;
  /** The last such error. */
  lastError: DevError | undefined;

  /** Copies the counters (for per-second deltas). */
  snapshot(): TrafficCounters {
    const c = new TrafficCounters();
    c.txPackets = this.txPackets;
    c.txBytes = this.txBytes;
    c.rxPackets = this.rxPackets;
    c.rxBytes = this.rxBytes;
    c.txFull = this.txFull;
    c.txNoBuffer = this.txNoBuffer;
    c.errors = this.errors;
    return c;
  }
}

function noteError(c: TrafficCounters, e: DevError): void {
  if (e === DevError.Again) c.txFull++;
  else if (e === DevError.NoMemory || e.kind === "NoMemory") c.txNoBuffer++;
  else {
    c.errors++;
    c.lastError = e;
  }
}

/**
 * A packet generator in the style of ixy's pktgen: fills transmit buffers with test frames (stream id,
 * sequence number, pattern) and sends them in batches. Buffers that did not fit into the queue are kept
 * and sent first next time, so sequence numbers go out in order and no buffer is lost.
 */
export class PacketGenerator {
  /** Next sequence number. */
  seq = 0;
  readonly counters = new TrafficCounters();
  private readonly bufs: NetBufPtr[];
  private pending = 0;

  /**
   * @param nic where to send
   * @param frameSize frame length without FCS (60..1514 for the test format)
   * @param batch frames per step
   * @param dst destination MAC
   * @param stream stream id written into each frame
   */
  constructor(
    readonly nic: NetDriverOps,
    readonly frameSize: number,
    readonly batch: number,
    readonly dst: Uint8Array,
    readonly stream = 0,
  ) {
    this.bufs = new Array<NetBufPtr>(batch);
  }

  /** Frames filled but not yet accepted by the driver. */
  get pendingCount(): number {
    return this.pending;
  }

  /**
   * Sends up to `limit` (default: a batch of) new frames; returns how many frames the driver accepted
   * in this step (including ones pending from earlier steps).
   */
  step(limit = this.batch): number {
    const nic = this.nic;
    const c = this.counters;
    const r = nic.recycleTxBuffers();
    if (r instanceof DevError) noteError(c, r);
    const src = nic.macAddress().bytes;
    let n = this.pending;
    const want = Math.min(this.batch, n + limit);
    while (n < want) {
      const p = nic.allocTxBuffer(this.frameSize);
      if (p instanceof DevError) {
        noteError(c, p);
        break;
      }
      writeTestFrame(p.bytes, p.offset, this.frameSize, this.dst, src, this.stream, this.seq);
      this.seq = (this.seq + 1) >>> 0;
      this.bufs[n++] = p;
    }
    if (n === 0) return 0;
    const sent = nic.transmitBatch(this.bufs, n);
    if (sent instanceof DevError) {
      noteError(c, sent);
      this.pending = n;
      return 0;
    }
    if (sent < n) {
      c.txFull++;
      // keep the rest, in order, at the front
      for (let i = sent; i < n; i++) this.bufs[i - sent] = this.bufs[i]!;
    }
    this.pending = n - sent;
    c.txPackets += sent;
    c.txBytes += sent * this.frameSize;
    return sent;
  }
}

/**
 * The receiving end of test traffic: takes frames from a NIC in batches, checks each one (header,
 * length, pattern, sequence per stream) and recycles it.
 */
export class TrafficChecker {
  readonly counters = new TrafficCounters();
  /** Good test frames. */
  good = 0;
  /** Damaged test frames. */
  corrupt = 0;
  /** Frames that are not test frames. */
  foreign = 0;
  /** Sequence numbers skipped (frames lost on the way). */
  lost = 0;
  /** Frames with a sequence number lower than expected (duplicated or reordered). */
  outOfOrder = 0;
  private readonly expected: Uint32Array;
  private readonly bufs: NetBufPtr[];
  private readonly parsed = new ParsedFrame();

  /**
   * @param nic where to receive
   * @param batch frames per step
   * @param streams number of stream ids expected (0..streams-1)
   * @param expectDst when given, frames must be addressed to this MAC
   */
  constructor(
    readonly nic: NetDriverOps,
    readonly batch: number,
    streams = 1,
    readonly expectDst?: Uint8Array,
  ) {
    this.expected = new Uint32Array(streams);
    this.bufs = new Array<NetBufPtr>(batch);
  }

  /** Next sequence number expected on `stream`. */
  expectedSeq(stream = 0): number {
    return this.expected[stream] ?? 0;
  }

  /** Receives and checks up to one batch; returns how many frames arrived. */
  step(): number {
    const nic = this.nic;
    const c = this.counters;
    const n = nic.receiveBatch(this.bufs, this.batch);
    if (n instanceof DevError) {
      if (n !== DevError.Again) noteError(c, n);
      return 0;
    }
    const parsed = this.parsed;
    const dst = this.expectDst;
    for (let i = 0; i < n; i++) {
      const p = this.bufs[i]!;
      c.rxBytes += p.len;
      let v = parseTestFrame(p.bytes, p.offset, p.len, parsed);
      if (v === FrameVerdict.Good && dst !== undefined) {
        for (let k = 0; k < 6; k++) {
          if (p.bytes[p.offset + k] !== dst[k]) {
            v = FrameVerdict.Corrupt;
            break;
          }
        }
      }
      if (v === FrameVerdict.Good && parsed.stream < this.expected.length) {
        this.good++;
        const want = this.expected[parsed.stream]!;
        if (parsed.seq === want) this.expected[parsed.stream] = (want + 1) >>> 0;
        else if (parsed.seq > want) {
          this.lost += parsed.seq - want;
          this.expected[parsed.stream] = (parsed.seq + 1) >>> 0;
        } else this.outOfOrder++;
      } else if (v === FrameVerdict.Foreign) this.foreign++;
      else this.corrupt++;
      const r = nic.recycleRxBuffer(p);
      if (r instanceof DevError) noteError(c, r);
    }
    c.rxPackets += n;
    return n;
  }
}

/**
 * An ixy-style forwarder: receives a batch on one NIC, touches every frame (rewrites the MAC addresses,
 * as an L2 forward does) while copying it into a transmit buffer of the other NIC, and sends the batch.
 * When the output queue is full the copies wait (in order) and the input is read only as far as there is
 * room: back-pressure, not loss. A frame with no output buffer is dropped and counted.
 */
export class Forwarder {
  readonly counters = new TrafficCounters();
  /** Frames received but not sent (no output buffer). */
  dropped = 0;
  private readonly rx: NetBufPtr[];
  private readonly tx: NetBufPtr[];
  private pending = 0;

  constructor(
    readonly from: NetDriverOps,
    readonly to: NetDriverOps,
    readonly batch: number,
    /** Destination MAC written into forwarded frames. */
    readonly nextHop: Uint8Array,
  ) {
    this.rx = new Array<NetBufPtr>(batch);
    this.tx = new Array<NetBufPtr>(batch);
  }

  /** Forwards up to one batch; returns how many frames went out. */
  step(): number {
    const c = this.counters;
    const to = this.to;
    const r = to.recycleTxBuffers();
    if (r instanceof DevError) noteError(c, r);
    let m = this.pending;
    const room = this.batch - m;
    const n = room === 0 ? 0 : this.from.receiveBatch(this.rx, room);
    if (n instanceof DevError) noteError(c, n);
    else if (n > 0) {
      const src = to.macAddress().bytes;
      const hop = this.nextHop;
      for (let i = 0; i < n; i++) {
        const p = this.rx[i]!;
        c.rxPackets++;
        c.rxBytes += p.len;
        const t = to.allocTxBuffer(p.len);
        if (t instanceof DevError) {
          noteError(c, t);
          this.dropped++;
        } else {
          const tb = t.bytes;
          const pb = p.bytes;
          if (tb === pb) tb.copyWithin(t.offset + 12, p.offset + 12, p.offset + p.len);
          else for (let k = 12; k < p.len; k++) tb[t.offset + k] = pb[p.offset + k]!;
          for (let k = 0; k < 6; k++) {
            tb[t.offset + k] = hop[k]!;
            tb[t.offset + 6 + k] = src[k]!;
          }
          this.tx[m++] = t;
        }
        const rr = this.from.recycleRxBuffer(p);
        if (rr instanceof DevError) noteError(c, rr);
      }
    }
    if (m === 0) return 0;
    const sent = to.transmitBatch(this.tx, m);
    const ok = sent instanceof DevError ? 0 : sent;
    if (sent instanceof DevError) noteError(c, sent);
    for (let i = 0; i < ok; i++) c.txBytes += this.tx[i]!.len;
    if (ok < m) {
      c.txFull++;
      for (let i = ok; i < m; i++) this.tx[i - ok] = this.tx[i]!;
    }
    this.pending = m - ok;
    c.txPackets += ok;
    return ok;
  }
}
