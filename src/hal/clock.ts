/** A source of time in nanoseconds. */
export interface Clock {
  /** Current time in nanoseconds. */
  now(): number;
  /**
   * Lets time pass until `deadline` (ns) or until the next thing that may change the world, whichever is
   * first; returns the new time. A virtual clock jumps and fires due events; a wall clock waits a little.
   */
  passUntil(deadline: number): number;
}

interface TimedEvent {
  at: number;
  seq: number;
  fire: () => void;
}

/**
 * Virtual time for the emulated machine. Device models schedule events (link up after
 * auto-negotiation, a reset that settles); waiting advances the clock and fires them in order of time,
 * and of scheduling for equal times. Nothing here takes real time.
 */
export class VirtualClock implements Clock {
  private t = 0;
  private seq = 0;
  private readonly events: TimedEvent[] = [];

  now(): number {
    return this.t;
  }

  /** Number of events not yet fired. */
  get pending(): number {
    return this.events.length;
  }

  /** Time of the next event, or `Infinity`. */
  nextEventAt(): number {
    return this.events.length > 0 ? this.events[0]!.at : Number.POSITIVE_INFINITY;
  }

  /**
   * Runs `fire` when the clock reaches `now() + delayNs`. Returns a handle for {@link VirtualClock.cancel}.
   */
  schedule(delayNs: number, fire: () => void): number {
    if (!(delayNs >= 0)) throw new RangeError(`negative delay ${delayNs}`);
    const ev: TimedEvent = { at: this.t + delayNs, seq: ++this.seq, fire };
    // insertion keeps the array sorted by (at, seq); event counts are small
    let i = this.events.length;
    while (i > 0 && this.events[i - 1]!.at > ev.at) i--;
    this.events.splice(i, 0, ev);
    return ev.seq;
  }

  /** Cancels a scheduled event; returns whether it was pending. */
  cancel(handle: number): boolean {
    const i = this.events.findIndex((e) => e.seq === handle);
    if (i < 0) return false;
    this.events.splice(i, 1);
    return true;
  }

  /** Advances to `t` (never backwards), firing every event due by then in order. */
  advanceTo(t: number): void {
    while (this.events.length > 0 && this.events[0]!.at <= t) {
      const ev = this.events.shift()!;
      if (ev.at > this.t) this.t = ev.at;
      ev.fire();
    }
    if (t > this.t) this.t = t;
  }

  /** Advances by `ns`. */
  advance(ns: number): void {
    this.advanceTo(this.t + ns);
  }

  passUntil(deadline: number): number {
    const next = this.nextEventAt();
    this.advanceTo(Math.min(next, deadline));
    return this.t;
  }
}

/** Wall-clock time from `performance.now()`; waiting polls. For real links and real devices. */
export class WallClock implements Clock {
  now(): number {
    return Math.round(performance.now() * 1e6);
  }
  passUntil(deadline: number): number {
    // short busy wait: callers poll device state between calls
    const stop = Math.min(deadline, this.now() + 10_000);
    let t = this.now();
    while (t < stop) t = this.now();
    return t;
  }
}
