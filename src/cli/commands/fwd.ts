import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { Wire } from "../../link/wire.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import { Forwarder, PacketGenerator, TrafficChecker } from "../../net/traffic/traffic.js";
import { PcapTap } from "../../net/wrappers/pcap-tap.js";
import { CommandFailed, ExitCode } from "../io.js";
import { checkQueueSizeFor, type FwdOptions, NIC_KINDS, type NicKind, parseNicKindList } from "../options.js";
import type { CliContext } from "../program.js";
import { buildRig, deviceLines } from "../rig.js";
import { NicStats, StatsReporter } from "../stats.js";
import { damaged, drain, type Flow, fileFailure, flowLine, flowVerdict, runLoop } from "../traffic-run.js";
import { openCapture } from "./pktgen.js";
import { addTrafficOptions, type RawTrafficOptions, trafficOptions } from "./traffic-options.js";

/** Two NIC kinds, `a,b`. */
export function parseNicPair(text: string): [NicKind, NicKind] {
  const l = parseNicKindList(text);
  if (l.length !== 2) throw new InvalidArgumentError("give exactly two NIC kinds, e.g. ixgbe,ixgbe");
  return [l[0]!, l[1]!];
}

/** Builds {@link FwdOptions} from commander's parsed options. */
export function fwdOptions(raw: RawTrafficOptions & { nics?: [NicKind, NicKind] }): FwdOptions {
  return { nics: raw.nics ?? ["ixgbe", "ixgbe"], ...trafficOptions(raw) };
}

/**
 * `axdriver fwd`: ixy's forwarder between NICs A and B, both ways — every frame received on one is copied
 * into a transmit buffer of the other with its MAC addresses rewritten (the forwarder touches each
 * frame). Two more NICs feed it: a generator beside A (wired to A) sends into A, whose frames leave B
 * towards the NIC beside B, where they are checked; and the same the other way. A stats line per second
 * per NIC, a summary and the integrity check; `--pcap` records the frames the forwarder sends (A's and B's
 * transmissions). Exit 1 when a frame arrived damaged or out of order.
 */
export async function runFwd(o: FwdOptions, ctx: CliContext): Promise<void> {
  checkQueueSizeFor(o.nics, o.queueSize);
  const out = (l: string) => ctx.io.out(l);
  const [ka, kb] = o.nics;
  const rig = buildRig([{ kind: ka }, { kind: kb }, { kind: ka }, { kind: kb }], {
    queueSize: o.queueSize,
  });
  const [a, b, pa, pb] = rig.nics as [
    (typeof rig.nics)[0],
    (typeof rig.nics)[0],
    (typeof rig.nics)[0],
    (typeof rig.nics)[0],
  ];
  const wireA = new Wire(pa.board.port, a.board.port);
  const wireB = new Wire(b.board.port, pb.board.port);
  // corrupt only on the way into the forwarder: a frame flipped on both of its wires would be restored
  wireA.aToB.setCorruption(o.corruptEvery ?? 0);
  wireB.bToA.setCorruption(o.corruptEvery ?? 0);
  const capture = o.pcap !== undefined ? openCapture(o.pcap) : undefined;
  let outA: NetDriverOps = a.dev;
  let outB: NetDriverOps = b.dev;
  const taps: PcapTap[] = [];
  if (capture !== undefined) {
    const tapA = new PcapTap(a.dev, capture, { rx: false });
    const tapB = new PcapTap(b.dev, capture, { rx: false });
    taps.push(tapA, tapB);
    outA = tapA;
    outB = tapB;
  }
  out(
    `fwd: ${a.board.label} <-> ${b.board.label}, ${o.frameSize}-byte frames, batch ${o.batch}, ` +
      `queue ${o.queueSize}, ${o.duration} s`,
  );
  out(
    `  traffic: ${pa.board.label} -> ${a.board.label} => ${b.board.label} -> ${pb.board.label} ` +
      `and ${pb.board.label} -> ${b.board.label} => ${a.board.label} -> ${pa.board.label}`,
  );
  for (const l of deviceLines(rig)) out(l);
  // A and B read through the plain drivers and send through the taps (when capturing)
  const fwdAB = new Forwarder(a.dev, outB, o.batch, pb.board.mac);
  const fwdBA = new Forwarder(b.dev, outA, o.batch, pa.board.mac);
  const flowAB: Flow = {
    name: `${pa.board.label} -> ${a.board.label} => ${b.board.label} -> ${pb.board.label}`,
    gen: new PacketGenerator(pa.dev, o.frameSize, o.batch, a.board.mac, 0),
    chk: new TrafficChecker(pb.dev, o.batch, 1, pb.board.mac),
    stream: 0,
    wires: [wireA.aToB, wireB.aToB],
  };
  const flowBA: Flow = {
    name: `${pb.board.label} -> ${b.board.label} => ${a.board.label} -> ${pa.board.label}`,
    gen: new PacketGenerator(pb.dev, o.frameSize, o.batch, b.board.mac, 0),
    chk: new TrafficChecker(pa.dev, o.batch, 1, pa.board.mac),
    stream: 0,
    wires: [wireB.bToA, wireA.bToA],
  };
  const flows = [flowAB, flowBA];
  const sa = new NicStats(a.board.label);
  const sb = new NicStats(b.board.label);
  const spa = new NicStats(pa.board.label);
  const spb = new NicStats(pb.board.label);
  const sync = () => {
    sa.rxPackets = fwdAB.counters.rxPackets;
    sa.rxBytes = fwdAB.counters.rxBytes;
    sa.txPackets = fwdBA.counters.txPackets;
    sa.txBytes = fwdBA.counters.txBytes;
    sa.drops = wireA.aToB.dropped + fwdAB.dropped + fwdBA.counters.errors;
    sb.rxPackets = fwdBA.counters.rxPackets;
    sb.rxBytes = fwdBA.counters.rxBytes;
    sb.txPackets = fwdAB.counters.txPackets;
    sb.txBytes = fwdAB.counters.txBytes;
    sb.drops = wireB.bToA.dropped + fwdBA.dropped + fwdAB.counters.errors;
    for (const [s, gen, chk, w] of [
      [spa, flowAB.gen, flowBA.chk, wireA.bToA],
      [spb, flowBA.gen, flowAB.chk, wireB.aToB],
    ] as const) {
      s.txPackets = gen.counters.txPackets;
      s.txBytes = gen.counters.txBytes;
      s.rxPackets = chk.counters.rxPackets;
      s.rxBytes = chk.counters.rxBytes;
      s.drops = w.dropped + gen.counters.errors + chk.counters.errors;
    }
  };
  const reporter = new StatsReporter(ctx.io, [sa, sb, spa, spb]);
  const forward = () => fwdAB.step() + fwdBA.step();
  const r = await runLoop({
    seconds: o.duration,
    reporter,
    sync,
    round: () => {
      flowAB.gen.step();
      flowBA.gen.step();
      forward();
      flowAB.chk.step();
      flowBA.chk.step();
    },
  });
  drain(flows, forward);
  sync();
  if (!r.interrupted) reporter.printSummary();
  out(
    `forwarded: ${fwdAB.counters.txPackets} ${a.board.label} => ${b.board.label}, ${fwdBA.counters.txPackets} ${b.board.label} => ${a.board.label}; dropped (no buffer) ${fwdAB.dropped + fwdBA.dropped}`,
  );
  out("check:");
  const width = Math.max(...flows.map((f) => f.name.length));
  for (const f of flows) out(flowLine(f, width));
  if (capture !== undefined) {
    try {
      capture.close();
    } catch (e) {
      throw fileFailure(o.pcap!, e);
    }
    out(`capture: ${taps.reduce((s, t) => s + t.txCaptured, 0)} frames written to ${o.pcap}`);
  }
  if (r.interrupted) {
    ctx.exitCode = ExitCode.Interrupted;
    return;
  }
  const bad = flows.map(flowVerdict).filter(damaged);
  if (bad.length > 0) {
    throw new CommandFailed(
      `fwd: integrity check FAILED: ${bad.reduce((s, v) => s + v.corrupt, 0)} corrupt, ` +
        `${bad.reduce((s, v) => s + v.outOfOrder, 0)} out of order, ${bad.reduce((s, v) => s + v.errors, 0)} driver errors`,
    );
  }
}

/** `axdriver fwd`: forward between two NICs, touching each frame (ixy's forwarder). */
export function registerFwd(program: Command, ctx: CliContext): void {
  addTrafficOptions(
    program
      .command("fwd")
      .description(
        "forward frames between two NICs both ways, touching each frame (ixy-style), fed and checked by two more, with live stats",
      )
      .option(
        "--nics <a,b>",
        `the two forwarding NIC kinds (${NIC_KINDS.join(", ")}; default ixgbe,ixgbe)`,
        parseNicPair,
      ),
  ).action(async (raw: RawTrafficOptions & { nics?: [NicKind, NicKind] }) => {
    await runFwd(fwdOptions(raw), ctx);
  });
}
