import { type FrameSink, MIN_FRAME_LEN } from "../emu/frame-port.js";
import type { LinkEndpoint } from "./endpoint.js";
import { SeededRandom } from "./prng.js";

/** Default largest frame a wire carries: 1514 bytes (Ethernet without FCS). */
export const DEFAULT_WIRE_MTU = 1514;
/** Default number of frames a delaying wire holds in flight per direction. */
export const DEFAULT_DELAY_RING = 1024;

/** Which way a frame crosses a wire. */
export const WireDirectionId = {
  /** From end `a` to end `b`. */
  AToB: 0,
  /** From end `b` to end `a`. */
  BToA: 1,
} as const;
/** One of the {@link WireDirectionId} values. */
export type WireDirectionId = (typeof WireDirectionId)[keyof typeof WireDirectionId];

/**
 * Time for a wire that delays frames. `now()` is in nanoseconds (virtual or wall). When `schedule` is
 * there (a `VirtualClock`), the wire releases held frames by clock events on its own; otherwise the owner
 * calls {@link Wire.pump} now and then.
 */
export interface WireClock {
  now(): number;
  schedule?(delayNs: number, fire: () => void): unknown;
}

/** Sees every frame a wire delivers (after loss and corruption), e.g. a pcap recorder. */
export interface WireTap {
  /**
   * Called once per frame, just before the frame is handed to the receiving end. The bytes are only
   * valid during the call: copy what you keep.
   */
  wireFrame(
    direction: WireDirectionId,
    bytes: Uint8Array,
    offset: number,
    length: number,
    timeNs: number,
  ): void;
}

/** Knobs of a {@link Wire}. Everything is off by default: a plain wire passes frames through untouched. */
export interface WireOptions {
  /** Largest frame carried; longer ones are dropped and counted. Default: the smaller end's MTU, else 1514. */
  mtu?: number;
  /** Probability in [0, 1] that a frame is lost in flight. Default 0. */
  lossRate?: number;
  /** Seed of the loss generator (each direction derives its own). Default 1. */
  seed?: number;
  /** Time each frame spends on the wire, in the clock's nanoseconds. Default 0 (delivered at once). */
  delayNs?: number;
  /** The clock for the delay (and the tap's timestamps). Default: wall time. */
  clock?: WireClock;
  /** Frames held in flight per direction while delaying; more are dropped and counted. Default 1024. */
  delayRing?: number;
  /** Flip one byte in every Nth frame (per direction); 0 is off. */
  corruptEvery?: number;
  /** Which byte to flip: an offset from the frame's start, or -1 (the default) for its last byte. */
  corruptOffset?: number;
  /** Records every delivered frame. */
  tap?: WireTap;
}

/** Wall time in nanoseconds since the epoch (for timestamps when no clock is given). */
export function wallClockNs(): number {
  return (performance.timeOrigin + performance.now()) * 1e6;
}

/**
 * One direction of a {@link Wire}: a {@link FrameSink} the sending end transmits into, and counters.
 * Counters are plain numbers; `dropped` is the sum of the drop reasons (`runts`, `oversize`, `lost`,
 * `overflow`, `refused`).
 */
export class WireDirection implements FrameSink {
  /** Frames that entered this direction. */
  offered = 0;
  /** Frames delivered to (and accepted by) the receiving end. */
  frames = 0;
  /** Bytes of the delivered frames. */
  bytes = 0;
  /** Frames dropped for any reason. */
  dropped = 0;
  /** Frames shorter than 14 bytes, dropped. */
  runts = 0;
  /** Frames longer than the MTU, dropped. */
  oversize = 0;
  /** Frames lost by the loss knob. */
  lost = 0;
  /** Frames dropped because the delay ring was full. */
  overflow = 0;
  /** Frames the receiving end refused (its `receiveFrame` returned false, or nothing is plugged in). */
  refused = 0;
  /** Frames that had a byte flipped by the corruption knob. */
  corrupted = 0;

  /** Largest frame carried. */
  readonly mtu: number;
  /** Frames held in flight at most while delaying. */
  readonly ringSize: number;
  /** Every Nth frame gets a byte flipped; 0 is off. */
  corruptEvery: number;
  /** Byte to flip (offset from the frame start; -1: the last byte). */
  corruptOffset: number;
  /** Records delivered frames. */
  tap: WireTap | undefined;

  private target: FrameSink | undefined;
  private readonly rng: SeededRandom;
  private lossThreshold = 0;
  private lossRateValue = 0;
  private sinceCorrupt = 0;
  private delay = 0;
  private readonly clock: WireClock | undefined;
  private readonly autoRelease: boolean;
  private readonly scratch: Uint8Array;
  // the delay ring, made when a delay is first set
  private ring: Uint8Array | undefined;
  private ringLens: Int32Array | undefined;
  private ringDue: Float64Array | undefined;
  private head = 0;
  private count = 0;
  private pumping = false;
  private timerPending = false;
  private readonly onTimer: () => void;

  /** @internal made by {@link Wire} */
  constructor(
    /** Which way this direction carries frames. */
    readonly id: WireDirectionId,
    target: FrameSink | undefined,
    mtu: number,
    seed: number,
    opts: WireOptions,
  ) {
    this.target = target;
    this.mtu = mtu;
    this.ringSize = opts.delayRing ?? DEFAULT_DELAY_RING;
    if (!Number.isInteger(this.ringSize) || this.ringSize < 1) {
      throw new RangeError(`delay ring of ${this.ringSize} frames`);
    }
    this.rng = new SeededRandom(seed);
    this.clock = opts.clock;
    this.autoRelease = typeof opts.clock?.schedule === "function";
    this.scratch = new Uint8Array(mtu);
    this.corruptEvery = 0;
    this.corruptOffset = -1;
    this.setCorruption(opts.corruptEvery ?? 0, opts.corruptOffset ?? -1);
    this.tap = opts.tap;
    this.setLossRate(opts.lossRate ?? 0);
    this.setDelay(opts.delayNs ?? 0);
    this.onTimer = () => this.timerFired();
  }

  /** The loss probability. */
  get lossRate(): number {
    return this.lossRateValue;
  }
  /** The delay in nanoseconds. */
  get delayNs(): number {
    return this.delay;
  }
  /** Frames held on the wire now (delaying only). */
  get inFlight(): number {
    return this.count;
  }

  /** Sets the probability in [0, 1] that a frame is lost. */
  setLossRate(rate: number): void {
    if (!(rate >= 0 && rate <= 1)) throw new RangeError(`loss rate ${rate} outside [0, 1]`);
    this.lossRateValue = rate;
    // compared with a uniform u32: rate 1 loses everything, 0 nothing
    this.lossThreshold = Math.round(rate * 4294967296);
  }

  /** Flips a byte (at `offset`, -1 for the last) in every `every`th frame; 0 turns it off. */
  setCorruption(every: number, offset = -1): void {
    if (!Number.isInteger(every) || every < 0) throw new RangeError(`corrupt every ${every} frames`);
    if (!Number.isInteger(offset) || offset < -1) throw new RangeError(`corrupt offset ${offset}`);
    this.corruptEvery = every;
    this.corruptOffset = offset;
    this.sinceCorrupt = 0;
  }

  /** Sets the time each frame spends on the wire. Frames already in flight keep their release time. */
  setDelay(ns: number): void {
    if (!(ns >= 0) || !Number.isFinite(ns)) throw new RangeError(`delay ${ns} ns`);
    if (ns > 0 && this.ring === undefined) {
      this.ring = new Uint8Array(this.ringSize * this.mtu);
      this.ringLens = new Int32Array(this.ringSize);
      this.ringDue = new Float64Array(this.ringSize);
    }
    this.delay = ns;
  }

  /** @internal where frames go */
  setTarget(target: FrameSink | undefined): void {
    this.target = target;
  }

  /**
   * A frame enters the wire. Returns false when the wire refuses it (runt, oversize, delay ring full) or,
   * without delay, when the receiving end drops it; a frame lost in flight returns true, as the sender
   * cannot tell.
   */
  receiveFrame(buf: Uint8Array, offset: number, length: number): boolean {
    this.offered++;
    if (length < MIN_FRAME_LEN) {
      this.runts++;
      this.dropped++;
      return false;
    }
    if (length > this.mtu) {
      this.oversize++;
      this.dropped++;
      return false;
    }
    if (this.lossThreshold !== 0 && this.rng.nextU32() < this.lossThreshold) {
      this.lost++;
      this.dropped++;
      return true;
    }
    let corrupt = false;
    if (this.corruptEvery !== 0 && ++this.sinceCorrupt >= this.corruptEvery) {
      this.sinceCorrupt = 0;
      corrupt = true;
    }
    if (this.delay > 0) return this.enqueue(buf, offset, length, corrupt);
    if (corrupt) {
      // never touch the sender's memory: flip the byte in a copy
      const s = this.scratch;
      for (let i = 0; i < length; i++) s[i] = buf[offset + i]!;
      this.flip(s, 0, length);
      return this.deliver(s, 0, length);
    }
    return this.deliver(buf, offset, length);
  }

  /** Delivers every held frame whose time has come by `now`; returns how many were handed on. */
  pump(now: number): number {
    const ring = this.ring;
    if (ring === undefined || this.pumping) return 0;
    const lens = this.ringLens!;
    const due = this.ringDue!;
    const mtu = this.mtu;
    this.pumping = true;
    let n = 0;
    while (this.count > 0) {
      const slot = this.head;
      if (due[slot]! > now) break;
      // deliver first, then free the slot: a frame sent back from inside the delivery cannot land on it
      this.deliver(ring, slot * mtu, lens[slot]!);
      this.head = slot + 1 === this.ringSize ? 0 : slot + 1;
      this.count--;
      n++;
    }
    this.pumping = false;
    return n;
  }

  /** Release time of the oldest frame in flight, or `Infinity`. */
  nextDueAt(): number {
    return this.count > 0 ? this.ringDue![this.head]! : Number.POSITIVE_INFINITY;
  }

  /** Zeroes the counters. */
  resetCounters(): void {
    this.offered = 0;
    this.frames = 0;
    this.bytes = 0;
    this.dropped = 0;
    this.runts = 0;
    this.oversize = 0;
    this.lost = 0;
    this.overflow = 0;
    this.refused = 0;
    this.corrupted = 0;
  }

  private now(): number {
    return this.clock !== undefined ? this.clock.now() : wallClockNs();
  }

  private flip(buf: Uint8Array, offset: number, length: number): void {
    const at = this.corruptOffset < 0 || this.corruptOffset >= length ? length - 1 : this.corruptOffset;
    buf[offset + at] = buf[offset + at]! ^ 0xff;
    this.corrupted++;
  }

  private deliver(buf: Uint8Array, offset: number, length: number): boolean {
    if (this.tap !== undefined) this.tap.wireFrame(this.id, buf, offset, length, this.now());
    const t = this.target;
    if (t === undefined || !t.receiveFrame(buf, offset, length)) {
      this.refused++;
      this.dropped++;
      return false;
    }
    this.frames++;
    this.bytes += length;
    return true;
  }

  private enqueue(buf: Uint8Array, offset: number, length: number, corrupt: boolean): boolean {
    if (this.count === this.ringSize) {
      this.overflow++;
      this.dropped++;
      return false;
    }
    const ring = this.ring!;
    let slot = this.head + this.count;
    if (slot >= this.ringSize) slot -= this.ringSize;
    const base = slot * this.mtu;
    for (let i = 0; i < length; i++) ring[base + i] = buf[offset + i]!;
    if (corrupt) this.flip(ring, base, length);
    this.ringLens![slot] = length;
    this.ringDue![slot] = this.now() + this.delay;
    this.count++;
    if (this.autoRelease && !this.timerPending) {
      this.timerPending = true;
      this.clock!.schedule!(this.delay, this.onTimer);
    }
    return true;
  }

  private timerFired(): void {
    this.timerPending = false;
    const now = this.clock!.now();
    this.pump(now);
    if (this.count > 0 && !this.timerPending) {
      this.timerPending = true;
      this.clock!.schedule!(Math.max(0, this.ringDue![this.head]! - now), this.onTimer);
    }
  }
}

/**
 * A cable between two link ends (two NIC ports, or a port and a socket or TAP link), with a counter set
 * per direction and optional knobs: loss (a seeded, repeatable generator), delay (frames held in a
 * preallocated ring and released by clock events or {@link Wire.pump}) and corruption (one byte flipped
 * in every Nth frame). Frames shorter than 14 bytes or longer than the MTU are dropped and counted.
 *
 * The plain path (no knobs) hands the sender's bytes straight to the receiver and allocates nothing;
 * the receiver copies what it keeps, as a real wire's receiver does.
 */
export class Wire {
  /** Frames from `a` to `b`. */
  readonly aToB: WireDirection;
  /** Frames from `b` to `a`. */
  readonly bToA: WireDirection;
  /** Largest frame carried. */
  readonly mtu: number;
  private readonly clock: WireClock | undefined;
  private attached = true;

  constructor(
    /** One end. */
    readonly a: LinkEndpoint,
    /** The other end. */
    readonly b: LinkEndpoint,
    opts: WireOptions = {},
  ) {
    const mtu = opts.mtu ?? Math.min(a.mtu ?? DEFAULT_WIRE_MTU, b.mtu ?? DEFAULT_WIRE_MTU);
    if (!Number.isInteger(mtu) || mtu < MIN_FRAME_LEN || mtu > 65535) {
      throw new RangeError(`wire MTU ${mtu} outside [${MIN_FRAME_LEN}, 65535]`);
    }
    this.mtu = mtu;
    this.clock = opts.clock;
    const seed = opts.seed ?? 1;
    this.aToB = new WireDirection(WireDirectionId.AToB, b.rx, mtu, seed, opts);
    this.bToA = new WireDirection(WireDirectionId.BToA, a.rx, mtu, seed ^ 0x5bd1e995, opts);
    a.connect(this.aToB);
    b.connect(this.bToA);
  }

  /** The direction with id `dir`. */
  direction(dir: WireDirectionId): WireDirection {
    return dir === WireDirectionId.AToB ? this.aToB : this.bToA;
  }

  /** Sets the loss probability of both directions. */
  setLossRate(rate: number): void {
    this.aToB.setLossRate(rate);
    this.bToA.setLossRate(rate);
  }
  /** Sets the delay of both directions. */
  setDelay(ns: number): void {
    this.aToB.setDelay(ns);
    this.bToA.setDelay(ns);
  }
  /** Sets the corruption knob of both directions. */
  setCorruption(every: number, offset = -1): void {
    this.aToB.setCorruption(every, offset);
    this.bToA.setCorruption(every, offset);
  }
  /** Sets (or removes) the tap of both directions. */
  setTap(tap: WireTap | undefined): void {
    this.aToB.tap = tap;
    this.bToA.tap = tap;
  }

  /**
   * Delivers the held frames whose time has come (delaying wires); `now` defaults to the wire's clock.
   * Returns the number delivered.
   */
  pump(now: number = this.clock !== undefined ? this.clock.now() : wallClockNs()): number {
    return this.aToB.pump(now) + this.bToA.pump(now);
  }

  /** Frames held in flight in both directions. */
  get inFlight(): number {
    return this.aToB.inFlight + this.bToA.inFlight;
  }

  /** Unplugs both ends; frames still in flight stay held. */
  detach(): void {
    if (!this.attached) return;
    this.attached = false;
    this.a.connect(undefined);
    this.b.connect(undefined);
    this.aToB.setTarget(undefined);
    this.bToA.setTarget(undefined);
  }
}
