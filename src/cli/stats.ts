/**
 * Live statistics for the traffic tools: a line per second per NIC (Mpps, Mbit/s, drops, as ixy prints
 * them) and a final summary; Ctrl-C prints the summary so far.
 */
import type { CliIo } from "./io.js";

/** Cumulative counters of one NIC, updated by the tool as frames move. */
export class NicStats {
  rxPackets = 0;
  rxBytes = 0;
  txPackets = 0;
  txBytes = 0;
  /** Frames lost or refused (ring full, no buffer, dropped by a link). */
  drops = 0;

  constructor(
    /** Shown at the start of each line, e.g. `ixgbe0`. */
    readonly name: string,
  ) {}

  /** A copy of the counters. */
  snapshot(): NicStatsSnapshot {
    return {
      rxPackets: this.rxPackets,
      rxBytes: this.rxBytes,
      txPackets: this.txPackets,
      txBytes: this.txBytes,
      drops: this.drops,
    };
  }
}

/** Counters at one moment. */
export interface NicStatsSnapshot {
  rxPackets: number;
  rxBytes: number;
  txPackets: number;
  txBytes: number;
  drops: number;
}

const ZERO: NicStatsSnapshot = { rxPackets: 0, rxBytes: 0, txPackets: 0, txBytes: 0, drops: 0 };

/** Rates between two snapshots. Mbit/s counts frame bytes (no preamble, gap or FCS). */
export interface Rates {
  rxMpps: number;
  rxMbits: number;
  txMpps: number;
  txMbits: number;
  drops: number;
}

/** Rates from `prev` to `cur` over `seconds`. */
export function ratesBetween(prev: NicStatsSnapshot, cur: NicStatsSnapshot, seconds: number): Rates {
  const s = seconds > 0 ? seconds : Number.POSITIVE_INFINITY;
  return {
    rxMpps: (cur.rxPackets - prev.rxPackets) / s / 1e6,
    rxMbits: ((cur.rxBytes - prev.rxBytes) * 8) / s / 1e6,
    txMpps: (cur.txPackets - prev.txPackets) / s / 1e6,
    txMbits: ((cur.txBytes - prev.txBytes) * 8) / s / 1e6,
    drops: cur.drops - prev.drops,
  };
}

/** `name  RX 1.234 Mpps 592.3 Mbit/s  TX … drops N` (`label` is the time column). */
export function formatRateLine(label: string, name: string, r: Rates, nameWidth = 16): string {
  return (
    `${label} ${name.padEnd(nameWidth)} RX ${r.rxMpps.toFixed(3)} Mpps ${r.rxMbits.toFixed(1)} Mbit/s` +
    `  TX ${r.txMpps.toFixed(3)} Mpps ${r.txMbits.toFixed(1)} Mbit/s  drops ${r.drops}`
  );
}

/** A source of nanoseconds (wall time by default). */
export type NowNs = () => number;

const wallNs: NowNs = () => performance.now() * 1e6;

/**
 * Prints a line per NIC every interval and a summary at the end. The tool updates the {@link NicStats};
 * the reporter reads them, either from its own timer ({@link StatsReporter.start}) or when the tool calls
 * {@link StatsReporter.tick} from its loop. A tool's loop must yield to the event loop now and then for
 * the timer and Ctrl-C to be seen.
 */
export class StatsReporter {
  private readonly prev: NicStatsSnapshot[];
  private readonly startNs: number;
  private lastNs: number;
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly nameWidth: number;

  constructor(
    private readonly io: CliIo,
    /** The NICs reported on. */
    readonly nics: readonly NicStats[],
    private readonly now: NowNs = wallNs,
    /** Nanoseconds between lines. */
    readonly intervalNs = 1e9,
  ) {
    this.prev = nics.map(() => ZERO);
    this.startNs = now();
    this.lastNs = this.startNs;
    this.nameWidth = Math.max(8, ...nics.map((n) => n.name.length));
  }

  /** Seconds since the reporter was made. */
  get elapsedSeconds(): number {
    return (this.now() - this.startNs) / 1e9;
  }

  /** Prints the per-NIC lines when an interval has passed since the last ones; returns whether it printed. */
  tick(): boolean {
    const t = this.now();
    if (t - this.lastNs < this.intervalNs) return false;
    this.printLines(t);
    return true;
  }

  /** Prints the per-NIC lines for the time since the last ones, now. */
  printLines(t: number = this.now()): void {
    const secs = (t - this.lastNs) / 1e9;
    const label = `${((t - this.startNs) / 1e9).toFixed(1).padStart(6)}s`;
    this.nics.forEach((nic, i) => {
      const cur = nic.snapshot();
      this.io.out(formatRateLine(label, nic.name, ratesBetween(this.prev[i]!, cur, secs), this.nameWidth));
      this.prev[i] = cur;
    });
    this.lastNs = t;
  }

  /** Prints a line per NIC every interval from a timer, until {@link StatsReporter.stop}. */
  start(): void {
    if (this.timer !== undefined) return;
    this.timer = setInterval(() => this.tick(), Math.max(10, this.intervalNs / 1e6 / 4));
  }

  /** Stops the timer. */
  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The summary lines: totals and average rates per NIC since the start. */
  summary(title = "summary"): string[] {
    const secs = this.elapsedSeconds;
    const lines = [`${title} after ${secs.toFixed(2)} s:`];
    for (const nic of this.nics) {
      const cur = nic.snapshot();
      const r = ratesBetween(ZERO, cur, secs);
      lines.push(
        `  ${nic.name.padEnd(this.nameWidth)} RX ${cur.rxPackets} frames ${cur.rxBytes} bytes (${r.rxMpps.toFixed(3)} Mpps ${r.rxMbits.toFixed(1)} Mbit/s)` +
          `  TX ${cur.txPackets} frames ${cur.txBytes} bytes (${r.txMpps.toFixed(3)} Mpps ${r.txMbits.toFixed(1)} Mbit/s)  drops ${cur.drops}`,
      );
    }
    return lines;
  }

  /** Prints {@link StatsReporter.summary}. */
  printSummary(title?: string): void {
    for (const l of this.summary(title)) this.io.out(l);
  }
}

/** What can deliver SIGINT (the process, or a stand-in in tests). */
export interface SignalSource {
  once(event: "SIGINT", listener: () => void): unknown;
  off(event: "SIGINT", listener: () => void): unknown;
}

/**
 * On Ctrl-C: stops the reporter, prints the summary so far (titled "interrupted") and calls `onStop`
 * (which should end the run, e.g. set a flag the tool's loop checks, or exit with code 130).
 * Returns a function that removes the handler.
 */
export function summaryOnInterrupt(
  reporter: StatsReporter,
  onStop: () => void,
  signals: SignalSource = process,
): () => void {
  const handler = () => {
    reporter.stop();
    reporter.printSummary("interrupted");
    onStop();
  };
  signals.once("SIGINT", handler);
  return () => {
    signals.off("SIGINT", handler);
  };
}
