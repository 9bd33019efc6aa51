import { writeFileSync } from "node:fs";
import type { Command } from "commander";
import { batchChartSvg, benchJson, benchTable, currentConditions } from "../bench-report.js";
import { pointLine, runBenchMatrix } from "../bench-run.js";
import { ExitCode } from "../io.js";
import {
  type BenchOptions,
  checkQueueSizeFor,
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
} from "../options.js";
import type { CliContext } from "../program.js";
import { fileFailure } from "../traffic-run.js";

interface RawBenchOptions {
  nics?: NicKind[];
  batches?: number[];
  frameSizes?: number[];
  queueSize?: number;
  duration?: number;
  json?: string;
  svg?: string;
}

/** Builds {@link BenchOptions} from commander's parsed options. */
export function benchOptions(raw: RawBenchOptions): BenchOptions {
  return {
    nics: raw.nics ?? [...NIC_KINDS],
    batches: raw.batches ?? [...DEFAULT_BENCH_BATCHES],
    frameSizes: raw.frameSizes ?? [...DEFAULT_BENCH_FRAME_SIZES],
    queueSize: raw.queueSize ?? 256,
    duration: raw.duration ?? 0.5,
    json: raw.json ?? "bench-results.json",
    svg: raw.svg ?? "bench-batch.svg",
  };
}

/**
 * `axdriver bench`: every (NIC kind, frame size, batch size) point measured after a warm-up, a progress
 * line per point, then the table, the JSON file and the SVG chart. Ctrl-C stops after the current point
 * and writes what was measured (exit 130).
 */
export async function runBench(o: BenchOptions, ctx: CliContext): Promise<void> {
  checkQueueSizeFor(o.nics, o.queueSize);
  const out = (l: string) => ctx.io.out(l);
  const names = [...new Set(o.nics)];
  const total = names.length * o.frameSizes.length * o.batches.length;
  out(
    `bench: ${names.join(", ")} x batch ${o.batches.join(",")} x ${o.frameSizes.join(",")} bytes, ` +
      `queue ${o.queueSize}, ${o.duration} s per point (${total} points)`,
  );
  let interrupted = false;
  const onSigint = () => {
    interrupted = true;
  };
  process.once("SIGINT", onSigint);
  let n = 0;
  let points: Awaited<ReturnType<typeof runBenchMatrix>>;
  try {
    points = await runBenchMatrix({
      nics: names,
      batches: o.batches,
      frameSizes: o.frameSizes,
      queueSize: o.queueSize,
      duration: o.duration,
      onPoint: (p) => out(`[${String(++n).padStart(String(total).length)}/${total}] ${pointLine(p)}`),
      stopped: () => interrupted,
    });
  } finally {
    process.off("SIGINT", onSigint);
  }
  if (interrupted) out(`interrupted after ${points.length} of ${total} points`);
  const cond = currentConditions(o.duration);
  out("");
  out(
    `${cond.cpu}, ${cond.cores} cores, Node ${cond.node}; Mpps, frame sizes without FCS, queue ${o.queueSize}:`,
  );
  for (const l of benchTable(points)) out(l);
  try {
    writeFileSync(o.json, benchJson(points, cond));
  } catch (e) {
    throw fileFailure(o.json, e);
  }
  try {
    writeFileSync(
      o.svg,
      batchChartSvg(points, {
        title: `axdriver on the emulated machine: Mpps by batch size (queue ${o.queueSize})`,
      }),
    );
  } catch (e) {
    throw fileFailure(o.svg, e);
  }
  out(`wrote ${o.json} and ${o.svg}`);
  if (interrupted) ctx.exitCode = ExitCode.Interrupted;
}

/** `axdriver bench`: NIC kind x batch size at two frame sizes; a table, JSON and an SVG chart. */
export function registerBench(program: Command, ctx: CliContext): void {
  program
    .command("bench")
    .description(
      "benchmark every NIC kind over batch sizes 1..256 at 64 and 1514 bytes: table, JSON and SVG chart",
    )
    .option("--nics <kinds>", "comma-separated NIC kinds (default: all)", parseNicKindList)
    .option("--batches <list>", "batch sizes (default 1,2,4,...,256)", (t) =>
      parseList(t, parseBatch, "batch"),
    )
    .option("--frame-sizes <list>", "frame sizes (default 64,1514)", (t) =>
      parseList(t, parseFrameSize, "frame size"),
    )
    .option("--queue-size <n>", "descriptors per queue, a power of two (default 256)", parseQueueSize)
    .option(
      "--duration <time>",
      "time measured per point, after a warm-up of a fifth of it (default 500ms)",
      parseDuration,
    )
    .option("--json <file>", "where the results go (default bench-results.json)")
    .option("--svg <file>", "where the chart goes (default bench-batch.svg)")
    .action(async (raw: RawBenchOptions) => {
      await runBench(benchOptions(raw), ctx);
    });
}
