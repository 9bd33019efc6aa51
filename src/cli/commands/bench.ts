import type { Command } from "commander";
import {
  type BenchOptions,
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
import { notAvailableYet } from "./not-available.js";

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
    duration: raw.duration ?? 0.25,
    json: raw.json ?? "bench-results.json",
    svg: raw.svg ?? "bench-batch.svg",
  };
}

/** `axdriver bench`: NIC kind x batch size at two frame sizes; a table, JSON and an SVG chart. */
export function registerBench(program: Command, _ctx: CliContext): void {
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
    .option("--duration <time>", "time per measured point (default 250ms)", parseDuration)
    .option("--json <file>", "where the results go (default bench-results.json)")
    .option("--svg <file>", "where the chart goes (default bench-batch.svg)")
    .action((raw: RawBenchOptions) => {
      benchOptions(raw);
      notAvailableYet("bench");
    });
}
