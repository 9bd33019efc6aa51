import type { Command } from "commander";
import { PcapFileWriter } from "../../link/pcap-file.js";
import { Wire } from "../../link/wire.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import { PacketGenerator, TrafficChecker } from "../../net/traffic/traffic.js";
import { PcapTap } from "../../net/wrappers/pcap-tap.js";
import { CommandFailed, ExitCode } from "../io.js";
import { checkQueueSizeFor, NIC_KINDS, type NicKind, type PktgenOptions, parseNicKind } from "../options.js";
import type { CliContext } from "../program.js";
import { buildRig, deviceLines } from "../rig.js";
import { NicStats, StatsReporter } from "../stats.js";
import { damaged, drain, type Flow, fileFailure, flowLine, flowVerdict, runLoop } from "../traffic-run.js";
import { addTrafficOptions, type RawTrafficOptions, trafficOptions } from "./traffic-options.js";

/** Builds {@link PktgenOptions} from commander's parsed options. */
export function pktgenOptions(raw: RawTrafficOptions & { nic?: NicKind }): PktgenOptions {
  return { nic: raw.nic ?? "virtio-net-pci", ...trafficOptions(raw) };
}

/** Opens a capture file, or ends the command with a one-line message. */
export function openCapture(path: string): PcapFileWriter {
  try {
    return new PcapFileWriter(path);
  } catch (e) {
    throw fileFailure(path, e);
  }
}

/**
 * `axdriver pktgen`: two NICs of one kind joined by a wire; a packet generator (ixy's pktgen: test frames
 * with a sequence number and a pattern, sent in batches) on the first, a checker on the second. A stats
 * line per second per NIC, a summary and the integrity check at the end; `--pcap` records what the
 * generator's NIC transmits. Exit 1 when a frame arrived damaged or out of order.
 */
export async function runPktgen(o: PktgenOptions, ctx: CliContext): Promise<void> {
  checkQueueSizeFor([o.nic], o.queueSize);
  const out = (l: string) => ctx.io.out(l);
  const rig = buildRig([{ kind: o.nic }, { kind: o.nic }], { queueSize: o.queueSize });
  const [a, b] = rig.nics as [(typeof rig.nics)[0], (typeof rig.nics)[0]];
  const wire = new Wire(a.board.port, b.board.port, { corruptEvery: o.corruptEvery ?? 0 });
  const capture = o.pcap !== undefined ? openCapture(o.pcap) : undefined;
  let tx: NetDriverOps = a.dev;
  let tap: PcapTap | undefined;
  if (capture !== undefined) {
    tap = new PcapTap(a.dev, capture, { rx: false });
    tx = tap;
  }
  out(
    `pktgen: ${o.frameSize}-byte frames, batch ${o.batch}, queue ${o.queueSize}, ${o.duration} s ` +
      `(${a.board.label} -> wire -> ${b.board.label})`,
  );
  for (const l of deviceLines(rig)) out(l);
  const gen = new PacketGenerator(tx, o.frameSize, o.batch, b.board.mac, 0);
  const chk = new TrafficChecker(b.dev, o.batch, 1, b.board.mac);
  const flow: Flow = {
    name: `${a.board.label} -> ${b.board.label}`,
    gen,
    chk,
    stream: 0,
    wires: [wire.aToB],
  };
  const sa = new NicStats(a.board.label);
  const sb = new NicStats(b.board.label);
  const sync = () => {
    sa.txPackets = gen.counters.txPackets;
    sa.txBytes = gen.counters.txBytes;
    sa.drops = gen.counters.errors;
    sb.rxPackets = chk.counters.rxPackets;
    sb.rxBytes = chk.counters.rxBytes;
    sb.drops = wire.aToB.dropped + chk.counters.errors;
  };
  const reporter = new StatsReporter(ctx.io, [sa, sb]);
  const r = await runLoop({
    seconds: o.duration,
    reporter,
    sync,
    round: () => {
      gen.step();
      chk.step();
    },
  });
  drain([flow]);
  sync();
  if (!r.interrupted) reporter.printSummary();
  out("check:");
  out(flowLine(flow));
  if (capture !== undefined) {
    try {
      capture.close();
    } catch (e) {
      throw fileFailure(o.pcap!, e);
    }
    out(`capture: ${tap!.txCaptured} frames written to ${o.pcap}`);
  }
  if (r.interrupted) {
    ctx.exitCode = ExitCode.Interrupted;
    return;
  }
  const v = flowVerdict(flow);
  if (damaged(v)) {
    throw new CommandFailed(
      `pktgen: integrity check FAILED: ${v.corrupt} corrupt, ${v.outOfOrder} out of order, ${v.errors} driver errors`,
    );
  }
}

/** `axdriver pktgen`: send frames as fast as the NIC takes them, ixy-style, with a stats line per second. */
export function registerPktgen(program: Command, ctx: CliContext): void {
  addTrafficOptions(
    program
      .command("pktgen")
      .description(
        "generate traffic on one NIC (ixy-style packet generator) into a second one over a wire, with live stats",
      )
      .option("--nic <kind>", `NIC kind: ${NIC_KINDS.join(", ")} (default virtio-net-pci)`, parseNicKind),
  ).action(async (raw: RawTrafficOptions & { nic?: NicKind }) => {
    await runPktgen(pktgenOptions(raw), ctx);
  });
}
