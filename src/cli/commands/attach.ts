import type { Command } from "commander";
import { DevError } from "../../base/dev-error.js";
import { attach } from "../../host/attach.js";
import { runEcho, runPktgen, type TrafficStats } from "../../host/jobs.js";
import type { DmaSource } from "../../host/user-hal.js";
import { defaultDrivers, selectDrivers } from "../../platform/default-drivers.js";
import { CommandFailed, UsageError } from "../io.js";
import { parseDuration, parseFrameSize, parseIntInRange, parseList } from "../options.js";
import type { CliContext } from "../program.js";
import { NicStats, StatsReporter, summaryOnInterrupt } from "../stats.js";

const JOBS = ["echo", "pktgen"] as const;
type Job = (typeof JOBS)[number];
const DMA_SOURCES: readonly DmaSource[] = ["auto", "hugepage", "locked"];

interface RawAttachOptions {
  vfio?: boolean;
  dma: string;
  dmaMib: number;
  job: string;
  count: number;
  frameSize: number;
  duration: number;
  drivers?: string;
}

function oneOf<T extends string>(text: string, allowed: readonly T[], what: string): T {
  if (!(allowed as readonly string[]).includes(text)) {
    throw new UsageError(`${what} must be one of ${allowed.join(", ")} (got '${text}')`);
  }
  return text as T;
}

/**
 * `axdriver attach BDF [--vfio]`: binds our driver to one real PCI device from user space (the Linux
 * user-space HAL in src/host) and runs a traffic job on it, with the same stats lines as on the emulated
 * machine. Only the named device is opened; one with a kernel driver bound is refused.
 */
export function registerAttach(program: Command, ctx: CliContext): void {
  program
    .command("attach")
    .description("drive one real PCI NIC from user space (sysfs or VFIO) and run a traffic job on it")
    .argument("<bdf>", "the PCI function to drive, e.g. 0000:00:03.0 (nothing else is opened)")
    .option("--vfio", "go through VFIO (device bound to vfio-pci, IOMMU on)")
    .option("--dma <source>", `DMA memory on the sysfs path: ${DMA_SOURCES.join(", ")}`, "auto")
    .option("--dma-mib <n>", "DMA arena size in MiB", (t) => parseIntInRange(t, 1, 1024, "--dma-mib"), 4)
    .option("--job <job>", `traffic job: ${JOBS.join(", ")}`, "echo")
    .option(
      "--count <n>",
      "frames to send (pktgen) or to echo before stopping (echo; 0 = until --duration)",
      (t) => parseIntInRange(t, 0, 2 ** 31, "--count"),
      0,
    )
    .option("--frame-size <n>", "pktgen frame size (60..1514)", parseFrameSize, 60)
    .option("--duration <s>", "stop after this many seconds", parseDuration, 10)
    .option("--drivers <names>", "drivers offered the device, in order (default: all)")
    .action(async (bdf: string, raw: RawAttachOptions) => {
      const job = oneOf<Job>(raw.job, JOBS, "--job");
      const dma = oneOf(raw.dma, DMA_SOURCES, "--dma");
      const { dmaMib, count, frameSize, duration } = raw;
      if (job === "pktgen" && count === 0)
        throw new UsageError("--job pktgen needs --count N (frames to send)");
      const names = raw.drivers === undefined ? undefined : parseList(raw.drivers, (s) => s, "--drivers");
      const drivers = names === undefined ? defaultDrivers() : selectDrivers(names);
      if (drivers instanceof DevError) throw new UsageError(drivers.detail);

      const nic = attach({ address: bdf, vfio: raw.vfio === true, dma, dmaBytes: dmaMib << 20, drivers });
      if (nic instanceof DevError) throw new CommandFailed(`attach ${bdf}: ${nic.message}`);
      const out = (l: string) => ctx.io.out(l);
      try {
        out(
          `attached ${bdf}: ${nic.driver} (${nic.ops.deviceName()}) ${nic.ops.macAddress().toString()}, ` +
            `rx ${nic.ops.rxQueueSize()} tx ${nic.ops.txQueueSize()}, DMA ${nic.arena.kind} ` +
            `${nic.arena.memory.size >> 20} MiB at 0x${nic.arena.memory.base.toString(16)}`,
        );
        const stats = new NicStats(nic.driver);
        const sync = (s: TrafficStats) => {
          stats.rxPackets = s.rxFrames;
          stats.rxBytes = s.rxBytes;
          stats.txPackets = s.txFrames;
          stats.txBytes = s.txBytes;
          stats.drops = s.txDropped + s.errors;
        };
        const reporter = new StatsReporter(ctx.io, [stats]);
        let stop = false;
        const off = summaryOnInterrupt(reporter, () => {
          stop = true;
        });
        const onTick = (s: TrafficStats) => {
          sync(s);
          reporter.tick();
          if (stop) throw new CommandFailed("interrupted");
        };
        const durationMs = duration * 1000;
        const result =
          job === "echo"
            ? await runEcho(
                nic.ops,
                count > 0 ? { frames: count, durationMs, onTick } : { durationMs, onTick },
              )
            : await runPktgen(nic.ops, { count, size: frameSize, onTick });
        off();
        sync(result);
        reporter.printSummary();
        if (result.errors > 0)
          throw new CommandFailed(`${result.errors} driver errors during the ${job} job`);
      } finally {
        nic.close();
      }
    });
}
