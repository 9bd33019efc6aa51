// `npm run bench -- matrix [--nics a,b,...] [--batches 1,2,...] [--frame-sizes 64,1514] [--queue 256]
//   [--duration 0.5]`: the `axdriver bench` matrix — for each NIC kind two NICs on one emulated machine
// joined by a wire, frames sent from one into the other (ixy-pktgen style: the sender writes each frame's
// header, the receiver reads the sequence number) for every frame size and batch size, measured in wall
// time after a warm-up. Prints a line per point, the Markdown table, and last the JSON line with every
// point and the conditions.

import { benchTable, currentConditions } from "../src/cli/bench-report.js";
import { pointLine, runBenchMatrix } from "../src/cli/bench-run.js";
import {
  DEFAULT_BENCH_BATCHES,
  DEFAULT_BENCH_FRAME_SIZES,
  NIC_KINDS,
  type NicKind,
  parseBatch,
  parseDuration,
  parseFrameSize,
  parseList,
  parseNicKindList,
  parseQueueSize,
} from "../src/cli/options.js";
import { report } from "./harness.js";

function arg(args: string[], name: string): string | undefined {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : undefined;
}

export async function main(args: string[]): Promise<void> {
  const nicsArg = arg(args, "nics");
  const batchesArg = arg(args, "batches");
  const sizesArg = arg(args, "frame-sizes");
  const nics: NicKind[] = nicsArg !== undefined ? [...new Set(parseNicKindList(nicsArg))] : [...NIC_KINDS];
  const batches =
    batchesArg !== undefined ? parseList(batchesArg, parseBatch, "batch") : [...DEFAULT_BENCH_BATCHES];
  const frameSizes =
    sizesArg !== undefined
      ? parseList(sizesArg, parseFrameSize, "frame size")
      : [...DEFAULT_BENCH_FRAME_SIZES];
  const queueSize = parseQueueSize(arg(args, "queue") ?? "256");
  const duration = parseDuration(arg(args, "duration") ?? "0.5");

  const t0 = performance.now();
  const points = await runBenchMatrix({
    nics,
    batches,
    frameSizes,
    queueSize,
    duration,
    onPoint: (p) => console.log(pointLine(p)),
  });
  const seconds = (performance.now() - t0) / 1000;
  const conditions = currentConditions(duration);
  const lines = [
    "",
    `${conditions.cpu}, ${conditions.cores} cores, Node ${conditions.node}; Mpps (frame sizes without FCS), queue ${queueSize}, ${duration} s per point, matrix took ${seconds.toFixed(1)} s:`,
    ...benchTable(points),
  ];
  const best = points.reduce((b, p) => (p.mpps > b.mpps ? p : b), points[0]!);
  const packets = points.reduce((s, p) => s + (p.packets ?? 0), 0);
  report(
    {
      name: "matrix",
      frameSize: best.frameSize,
      batch: best.batch,
      queueSize,
      packets,
      mpps: best.mpps,
      nsPerPacket: 1000 / best.mpps,
      gcEvents: points.reduce((s, p) => s + (p.gcEvents ?? 0), 0),
      bestNic: best.nic,
      seconds,
      conditions,
      points,
    },
    lines,
  );
}
