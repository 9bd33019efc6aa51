/**
 * The run loop shared by `pktgen`, `fwd` and `demo`: test-traffic flows (a generator on one NIC, a
 * checker on the NIC at the other end), a loop that moves frames in wall time and yields to the event loop
 * every few milliseconds (so the stats lines and Ctrl-C are seen), a drain at the end, and the verdicts.
 */
import { setImmediate as yieldNow } from "node:timers/promises";
import type { WireDirection } from "../link/wire.js";
import type { PacketGenerator, TrafficChecker } from "../net/traffic/traffic.js";
import { CommandFailed } from "./io.js";
import { type SignalSource, type StatsReporter, summaryOnInterrupt } from "./stats.js";

/** One stream of test frames: generated on one NIC, checked on another. */
export interface Flow {
  /** `a -> b`. */
  readonly name: string;
  readonly gen: PacketGenerator;
  readonly chk: TrafficChecker;
  /** Stream id the generator writes (the checker's slot). */
  readonly stream: number;
  /** The wire directions the frames cross, in order (for their drop and corruption counters). */
  readonly wires: readonly WireDirection[];
}

/** What a flow ended with. */
export interface FlowVerdict {
  /** Frames the generator's driver accepted. */
  sent: number;
  good: number;
  /** Frames that never arrived (sent, but neither good nor damaged at the other end). */
  lost: number;
  corrupt: number;
  outOfOrder: number;
  foreign: number;
  /** Driver errors on either end (other than a full queue or no buffer). */
  errors: number;
  /** Every frame sent arrived once, in order, intact. */
  intact: boolean;
}

/** The verdict of a flow: intact when every sent frame arrived good, in order, and nothing else came. */
export function flowVerdict(f: Flow): FlowVerdict {
  const sent = f.gen.counters.txPackets;
  const c = f.chk;
  const lost = Math.max(0, sent - c.good - c.corrupt);
  const errors = f.gen.counters.errors + c.counters.errors;
  const intact =
    c.good === sent &&
    c.expectedSeq(f.stream) === sent &&
    c.lost === 0 &&
    c.corrupt === 0 &&
    c.outOfOrder === 0 &&
    c.foreign === 0 &&
    errors === 0;
  return {
    sent,
    good: c.good,
    lost,
    corrupt: c.corrupt,
    outOfOrder: c.outOfOrder,
    foreign: c.foreign,
    errors,
    intact,
  };
}

/**
 * `OK` (every frame arrived intact), `DROPS` (frames were lost — refused by a full receive ring — but
 * none arrived damaged or out of order), `FAILED` (damaged, out of order, foreign frames or driver errors).
 */
export function flowStatus(v: FlowVerdict): "OK" | "DROPS" | "FAILED" {
  if (v.intact) return "OK";
  return damaged(v) ? "FAILED" : "DROPS";
}

/** Whether a frame arrived damaged, out of order or from elsewhere, or a driver reported an error. */
export function damaged(v: FlowVerdict): boolean {
  return v.corrupt > 0 || v.outOfOrder > 0 || v.foreign > 0 || v.errors > 0;
}

/** `a -> b: sent 123, good 123, lost 0, corrupt 0, out of order 0 OK` (see {@link flowStatus}). */
export function flowLine(f: Flow, width = 0): string {
  const v = flowVerdict(f);
  const extra: string[] = [];
  if (v.foreign > 0) extra.push(`foreign ${v.foreign}`);
  if (v.errors > 0) extra.push(`driver errors ${v.errors}`);
  const wireDrops = f.wires.reduce((n, w) => n + w.dropped, 0);
  const wireCorrupted = f.wires.reduce((n, w) => n + w.corrupted, 0);
  if (wireDrops > 0) extra.push(`wire drops ${wireDrops}`);
  if (wireCorrupted > 0) extra.push(`corrupted on the wire ${wireCorrupted}`);
  const last = f.gen.counters.lastError ?? f.chk.counters.lastError;
  if (last !== undefined) extra.push(`last error: ${last.message}`);
  return (
    `  ${f.name.padEnd(width)}  sent ${v.sent}, good ${v.good}, lost ${v.lost}, corrupt ${v.corrupt}, ` +
    `out of order ${v.outOfOrder}${extra.length > 0 ? `, ${extra.join(", ")}` : ""}  ${flowStatus(v)}`
  );
}

/** What {@link runLoop} runs. */
export interface LoopOptions {
  /** Seconds of wall time. */
  seconds: number;
  /** One round: every generator, forwarder and checker steps once. */
  round(): void;
  /** Copies the traffic counters into the reporter's NIC stats (called after every slice). */
  sync(): void;
  /** Prints the per-second lines. */
  reporter: StatsReporter;
  /** Where Ctrl-C comes from (default: the process). */
  signals?: SignalSource;
  /** Milliseconds between yields to the event loop (default 20). */
  sliceMs?: number;
}

/** How a loop ended. */
export interface LoopResult {
  /** Stopped by Ctrl-C (the reporter printed the summary so far). */
  interrupted: boolean;
  /** Rounds run. */
  rounds: number;
}

/**
 * Runs `round` for `seconds` of wall time in slices of `sliceMs`, yielding to the event loop between
 * slices: the reporter's per-second lines come from here, and Ctrl-C stops the loop after the reporter
 * printed the summary so far.
 */
export async function runLoop(o: LoopOptions): Promise<LoopResult> {
  let interrupted = false;
  const remove = summaryOnInterrupt(
    o.reporter,
    () => {
      interrupted = true;
    },
    o.signals,
  );
  const slice = o.sliceMs ?? 20;
  const endAt = performance.now() + o.seconds * 1000;
  let rounds = 0;
  const round = o.round;
  try {
    for (;;) {
      const now = performance.now();
      const sliceEnd = Math.min(now + slice, endAt);
      do {
        for (let i = 0; i < 8; i++) round();
        rounds += 8;
      } while (performance.now() < sliceEnd);
      o.sync();
      o.reporter.tick();
      if (performance.now() >= endAt) break;
      await yieldNow();
      if (interrupted) break;
    }
  } finally {
    remove();
  }
  return { interrupted, rounds };
}

/**
 * After the run: sends what the generators still hold (frames the queue refused earlier) and lets every
 * checker take what is in flight, until nothing moves for a while (or `maxRounds`).
 */
export function drain(flows: readonly Flow[], extraRound?: () => number, maxRounds = 100_000): void {
  let idle = 0;
  for (let r = 0; r < maxRounds && idle < 64; r++) {
    let moved = 0;
    for (const f of flows) {
      if (f.gen.pendingCount > 0) moved += f.gen.step(0);
    }
    if (extraRound !== undefined) moved += extraRound();
    for (const f of flows) moved += f.chk.step();
    idle = moved === 0 ? idle + 1 : 0;
  }
}

/** Turns an `fs` error into a one-line command failure. */
export function fileFailure(path: string, e: unknown, what = "write"): CommandFailed {
  const err = e as NodeJS.ErrnoException;
  return new CommandFailed(`cannot ${what} ${path}: ${err.code ?? err.message}`);
}
