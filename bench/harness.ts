// Shared benchmark plumbing: GC event counting, timing, and the closing JSON line every benchmark prints.
import { PerformanceObserver } from "node:perf_hooks";

/** Counts garbage-collection events while it is started. */
export class GcCounter {
  private count = 0;
  private byKind = new Map<number, number>();
  private readonly obs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      this.count++;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind ?? 0;
      this.byKind.set(kind, (this.byKind.get(kind) ?? 0) + 1);
    }
  });
  start(): void {
    this.count = 0;
    this.byKind.clear();
    this.obs.observe({ entryTypes: ["gc"] });
  }
  /** Stops observing and returns the count (GC entries are delivered asynchronously: await this). */
  async stop(): Promise<number> {
    // let pending entries arrive
    await new Promise((r) => setTimeout(r, 50));
    this.obs.disconnect();
    return this.count;
  }
}

/** The figures every benchmark reports last, as one JSON line. */
export interface BenchResult {
  name: string;
  frameSize?: number;
  batch?: number;
  queueSize?: number;
  packets: number;
  mpps: number;
  nsPerPacket: number;
  gcEvents: number;
  [extra: string]: unknown;
}

/** Prints the human-readable summary and, last, the JSON line. */
export function report(r: BenchResult, lines: string[] = []): void {
  for (const l of lines) console.log(l);
  console.log(
    `${r.name}: ${r.mpps.toFixed(2)} Mpps, ${r.nsPerPacket.toFixed(1)} ns/packet, ${r.gcEvents} GC events` +
      ` (${r.packets} packets${r.frameSize !== undefined ? `, ${r.frameSize}-byte frames` : ""}` +
      `${r.batch !== undefined ? `, batch ${r.batch}` : ""}${r.queueSize !== undefined ? `, queue ${r.queueSize}` : ""})`,
  );
  console.log(JSON.stringify(r));
}

/** Nanoseconds from a monotonic clock. */
export function nowNs(): number {
  return Number(process.hrtime.bigint());
}

/**
 * Runs `step` (which moves `perStep` packets and returns how many it moved) first for `warmupNs` untimed,
 * then for `packets` packets while counting GC events; returns the measured figures.
 */
export async function measure(
  step: () => number,
  packets: number,
  warmupPackets = Math.min(packets / 10, 1_000_000),
): Promise<{ packets: number; seconds: number; mpps: number; nsPerPacket: number; gcEvents: number }> {
  let n = 0;
  while (n < warmupPackets) n += step();
  const gc = new GcCounter();
  gc.start();
  const t0 = nowNs();
  n = 0;
  while (n < packets) n += step();
  const t1 = nowNs();
  const gcEvents = await gc.stop();
  const seconds = (t1 - t0) / 1e9;
  return { packets: n, seconds, mpps: n / seconds / 1e6, nsPerPacket: (t1 - t0) / n, gcEvents };
}
