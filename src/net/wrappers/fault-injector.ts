import { DevError, type DevResult } from "../../base/dev-error.js";
import { NetBuf, type NetBufPool } from "../net-buf.js";
import type { NetBufPtr } from "../net-buf-ptr.js";
import type { NetDriverOps } from "../net-driver-ops.js";
import { NetDriverWrapper } from "./wrapper.js";

/** Which faults to inject in one direction. Each knob counts frames: "every Nth" means frames N, 2N, 3N… */
export interface FaultPlan {
  /** Drop every Nth frame (0 or absent: never). */
  dropEvery?: number;
  /** Flip one byte of every Nth frame. */
  corruptEvery?: number;
  /** Deliver (RX) or send (TX) every Nth frame twice. */
  duplicateEvery?: number;
  /** Which byte to flip: offset from the frame start, or -1 (default) for the last byte. */
  corruptOffset?: number;
}

/** Options of a {@link FaultInjector}. */
export interface FaultInjectorOptions {
  /** Faults on frames received from the wrapped driver. */
  rx?: FaultPlan;
  /** Faults on frames transmitted through the wrapped driver. */
  tx?: FaultPlan;
  /**
   * Buffers for RX duplicates (the copy needs a buffer the wrapped driver does not own). Required when
   * `rx.duplicateEvery` is set; the copies come back through `recycleRxBuffer` like any RX buffer.
   */
  pool?: NetBufPool;
  /**
   * Gives a dropped transmit buffer back to where it came from. Default: a `NetBuf` goes back to its
   * pool; an owner with a `release()` method is released; anything else cannot be dropped and is sent.
   */
  releaseTx?: (buf: NetBufPtr) => DevResult<void>;
}

/** What a {@link FaultInjector} did in one direction. */
export class FaultCounters {
  /** Frames that passed the injector (dropped ones included). */
  seen = 0;
  /** Frames dropped. */
  dropped = 0;
  /** Frames with a byte flipped. */
  corrupted = 0;
  /** Frames delivered or sent twice. */
  duplicated = 0;
  /** Faults that could not be applied (no buffer for a duplicate, a TX buffer that cannot be released). */
  failed = 0;
}

interface Plan {
  drop: number;
  corrupt: number;
  duplicate: number;
  offset: number;
}

function checkPlan(p: FaultPlan | undefined, dir: string): Plan {
  const plan = {
    drop: p?.dropEvery ?? 0,
    corrupt: p?.corruptEvery ?? 0,
    duplicate: p?.duplicateEvery ?? 0,
    offset: p?.corruptOffset ?? -1,
  };
  for (const [k, v] of [
    ["dropEvery", plan.drop],
    ["corruptEvery", plan.corrupt],
    ["duplicateEvery", plan.duplicate],
  ] as const) {
    if (!Number.isInteger(v) || v < 0) throw DevError.withDetail("InvalidParam", `${dir}.${k} = ${v}`);
  }
  if (!Number.isInteger(plan.offset) || plan.offset < -1) {
    throw DevError.withDetail("InvalidParam", `${dir}.corruptOffset = ${plan.offset}`);
  }
  return plan;
}

function flipAt(b: NetBufPtr, offset: number): number {
  if (b.len <= 0) return -1;
  const at = offset < 0 || offset >= b.len ? b.len - 1 : offset;
  const i = b.offset + at;
  b.bytes[i] = b.bytes[i]! ^ 0xff;
  return i;
}

function copyPacket(src: NetBufPtr, dst: Uint8Array, dstOffset: number): void {
  const s = src.bytes;
  const o = src.offset;
  for (let i = 0; i < src.len; i++) dst[dstOffset + i] = s[o + i]!;
}

/** The default way to give back a dropped transmit buffer. */
export function releaseTxBuffer(buf: NetBufPtr): DevResult<void> {
  const owner = buf.owner;
  if (owner instanceof NetBuf) {
    const nb = NetBuf.fromBufPtr(buf);
    if (nb instanceof DevError) return nb;
    return nb.release();
  }
  if (
    owner !== null &&
    typeof owner === "object" &&
    typeof (owner as { release?: unknown }).release === "function"
  ) {
    const r = (owner as { release(): unknown }).release();
    return r instanceof DevError ? r : undefined;
  }
  return DevError.withDetail("Unsupported", "cannot release a transmit buffer of this driver");
}

/**
 * Drops, corrupts or duplicates every Nth frame on receive or transmit, and counts what it did
 * (smoltcp's `FaultInjector`, deterministic: the same traffic gets the same faults). A dropped received
 * frame is recycled to the wrapped driver; a dropped transmitted frame is released, never sent; a
 * corrupted frame has one byte inverted; a duplicate is a copy in a second buffer.
 *
 * With no faults in a direction, that direction passes straight through (batches stay batches).
 */
export class FaultInjector extends NetDriverWrapper {
  /** What was done to received frames. */
  readonly rxCounters = new FaultCounters();
  /** What was done to transmitted frames. */
  readonly txCounters = new FaultCounters();
  private readonly rxPlan: Plan;
  private readonly txPlan: Plan;
  private readonly rxActive: boolean;
  private readonly txActive: boolean;
  private readonly pool: NetBufPool | undefined;
  private readonly releaseTx: (buf: NetBufPtr) => DevResult<void>;
  private pendingDup: NetBufPtr | undefined;

  /** Throws an `InvalidParam` {@link DevError} for a bad plan. */
  constructor(inner: NetDriverOps, opts: FaultInjectorOptions = {}) {
    super(inner);
    this.rxPlan = checkPlan(opts.rx, "rx");
    this.txPlan = checkPlan(opts.tx, "tx");
    this.rxActive = this.rxPlan.drop + this.rxPlan.corrupt + this.rxPlan.duplicate > 0;
    this.txActive = this.txPlan.drop + this.txPlan.corrupt + this.txPlan.duplicate > 0;
    this.pool = opts.pool;
    if (this.rxPlan.duplicate > 0 && this.pool === undefined) {
      throw DevError.withDetail("InvalidParam", "rx.duplicateEvery needs a pool for the copies");
    }
    this.releaseTx = opts.releaseTx ?? releaseTxBuffer;
  }

  override recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void> {
    const owner = rxBuf.owner;
    if (this.pool !== undefined && owner instanceof NetBuf && owner.pool === this.pool) {
      const nb = NetBuf.fromBufPtr(rxBuf);
      if (nb instanceof DevError) return nb;
      return nb.release();
    }
    return this.inner.recycleRxBuffer(rxBuf);
  }

  override receive(): DevResult<NetBufPtr> {
    const dup = this.pendingDup;
    if (dup !== undefined) {
      this.pendingDup = undefined;
      return dup;
    }
    if (!this.rxActive) return this.inner.receive();
    const plan = this.rxPlan;
    const c = this.rxCounters;
    for (;;) {
      const r = this.inner.receive();
      if (r instanceof DevError) return r;
      const k = ++c.seen;
      if (plan.drop !== 0 && k % plan.drop === 0) {
        c.dropped++;
        const back = this.inner.recycleRxBuffer(r);
        if (back instanceof DevError) return back;
        continue;
      }
      if (plan.corrupt !== 0 && k % plan.corrupt === 0 && flipAt(r, plan.offset) >= 0) c.corrupted++;
      if (plan.duplicate !== 0 && k % plan.duplicate === 0) this.duplicateRx(r);
      return r;
    }
  }

  override receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    if (!this.rxActive && this.pendingDup === undefined) return this.inner.receiveBatch(out, max);
    let n = 0;
    while (n < max) {
      const r = this.receive();
      if (r instanceof DevError) {
        if (r.kind === "Again" || n > 0) break;
        return r;
      }
      out[n++] = r;
    }
    return n;
  }

  override transmit(txBuf: NetBufPtr): DevResult<void> {
    if (!this.txActive) return this.inner.transmit(txBuf);
    const plan = this.txPlan;
    const c = this.txCounters;
    // the frame counts only once it is gone (a retry after Again is the same frame)
    const k = c.seen + 1;
    if (plan.drop !== 0 && k % plan.drop === 0) {
      if (this.releaseTx(txBuf) === undefined) {
        c.seen = k;
        c.dropped++;
        return undefined;
      }
      c.failed++;
    }
    let flipped = -1;
    if (plan.corrupt !== 0 && k % plan.corrupt === 0) flipped = flipAt(txBuf, plan.offset);
    const r = this.inner.transmit(txBuf);
    if (r instanceof DevError) {
      if (flipped >= 0) txBuf.bytes[flipped] = txBuf.bytes[flipped]! ^ 0xff;
      return r;
    }
    c.seen = k;
    if (flipped >= 0) c.corrupted++;
    if (plan.duplicate !== 0 && k % plan.duplicate === 0) this.duplicateTx(txBuf);
    return undefined;
  }

  override transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    if (!this.txActive) return this.inner.transmitBatch(bufs, count);
    for (let i = 0; i < count; i++) {
      const r = this.transmit(bufs[i]!);
      if (r instanceof DevError) return r.kind === "Again" || i > 0 ? i : r;
    }
    return count;
  }

  private duplicateRx(src: NetBufPtr): void {
    const buf = this.pool!.alloc();
    if (buf === undefined || buf.setPacketLen(src.len) !== undefined) {
      if (buf !== undefined) buf.release();
      this.rxCounters.failed++;
      return;
    }
    copyPacket(src, buf.bytes, buf.packetOffset);
    this.pendingDup = buf.intoBufPtr();
    this.rxCounters.duplicated++;
  }

  private duplicateTx(src: NetBufPtr): void {
    const d = this.inner.allocTxBuffer(src.len);
    if (d instanceof DevError) {
      this.txCounters.failed++;
      return;
    }
    copyPacket(src, d.bytes, d.offset);
    d.len = src.len;
    if (this.inner.transmit(d) instanceof DevError) {
      this.releaseTx(d);
      this.txCounters.failed++;
      return;
    }
    this.txCounters.duplicated++;
  }
}
