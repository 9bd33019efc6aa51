import type { Command } from "commander";
import {
  checkQueueSizeFor,
  NIC_KINDS,
  type NicKind,
  type ProbeOptions,
  parseNicKindList,
  parseQueueSize,
} from "../options.js";
import type { CliContext } from "../program.js";
import { buildRig, rigReport } from "../rig.js";

interface RawProbeOptions {
  devices?: NicKind[];
  queueSize?: number;
}

/** Builds {@link ProbeOptions} from commander's parsed options. */
export function probeOptions(raw: RawProbeOptions): ProbeOptions {
  const o: ProbeOptions = { devices: raw.devices ?? [...NIC_KINDS] };
  if (raw.queueSize !== undefined) o.queueSize = raw.queueSize;
  return o;
}

/**
 * `axdriver probe`: builds the emulated machine with the NICs asked for, probes it with the platform flow
 * (platform devices, virtio-mmio slots, PCI enumeration with BAR assignment; the default drivers, or all
 * three with `--queue-size`), and prints the tree and every registered device with MAC, queue sizes and
 * link state.
 */
export function runProbe(o: ProbeOptions, ctx: CliContext): void {
  if (o.queueSize !== undefined) checkQueueSizeFor(o.devices, o.queueSize);
  const opts = o.queueSize !== undefined ? { queueSize: o.queueSize } : {};
  const rig = buildRig(
    o.devices.map((kind) => ({ kind })),
    opts,
  );
  ctx.io.out(
    `emulated machine with ${o.devices.length} NIC${o.devices.length === 1 ? "" : "s"}: ${o.devices.join(", ")}`,
  );
  for (const l of rigReport(rig)) ctx.io.out(l);
}

/** `axdriver probe`: build the emulated machine, probe, print the bus tree and every device. */
export function registerProbe(program: Command, ctx: CliContext): void {
  program
    .command("probe")
    .description(
      "build the emulated machine, probe it, print the PCI/MMIO tree and every NIC (MAC, queues, link)",
    )
    .option(
      "--devices <kinds>",
      `comma-separated NIC kinds, repeats allowed (default: ${NIC_KINDS.join(",")})`,
      parseNicKindList,
    )
    .option("--queue-size <n>", "queue size for every driver (default: each driver's own)", parseQueueSize)
    .action((raw: RawProbeOptions) => {
      runProbe(probeOptions(raw), ctx);
    });
}
