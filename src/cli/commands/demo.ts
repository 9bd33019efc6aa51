import type { Command } from "commander";
import type { BoardNicSpec } from "../../emu/board.js";
import type { PcapFileWriter } from "../../link/pcap-file.js";
import { Wire } from "../../link/wire.js";
import { PacketGenerator, TrafficChecker } from "../../net/traffic/traffic.js";
import { CommandFailed, ExitCode } from "../io.js";
import { parseDuration, parseIntInRange } from "../options.js";
import type { CliContext } from "../program.js";
import { buildRig, type RigNic, rigReport } from "../rig.js";
import { NicStats, StatsReporter } from "../stats.js";
import { drain, type Flow, fileFailure, flowLine, flowVerdict, runLoop } from "../traffic-run.js";
import { openCapture } from "./pktgen.js";

/**
 * The demo's NICs, wired in pairs (0-1, 2-3, 4-5): every family, mixed-family pairs, and all four virtio
 * transports (modern PCI, transitional PCI, virtio-mmio v2 and v1).
 */
export const DEMO_NICS: readonly BoardNicSpec[] = [
  { kind: "virtio-net-pci" },
  { kind: "ixgbe" },
  { kind: "virtio-net-mmio" },
  { kind: "fxmac" },
  { kind: "virtio-net-legacy" },
  { kind: "virtio-net-mmio", mmioVersion: 1 },
];

/** Frame size of each flow (one per direction of each wire), from the smallest to the largest frame. */
export const DEMO_FRAME_SIZES: readonly number[] = [60, 1514, 590, 1024, 128, 1280];

/** Options of `axdriver demo`. */
export interface DemoOptions {
  /** Seconds of traffic. */
  seconds: number;
  /** Frames per batch. */
  batch: number;
  /** Flip a byte in every Nth frame on every wire (0: off). */
  corruptEvery: number;
  /** Capture every frame on every wire. */
  pcap?: string;
}

interface RawDemoOptions {
  seconds?: number;
  batch?: number;
  corruptEvery?: number;
  pcap?: string;
}

/** {@link DemoOptions} with defaults filled in. */
export function demoOptions(raw: RawDemoOptions): DemoOptions {
  const o: DemoOptions = {
    seconds: raw.seconds ?? 3,
    batch: raw.batch ?? 32,
    corruptEvery: raw.corruptEvery ?? 0,
  };
  if (raw.pcap !== undefined) o.pcap = raw.pcap;
  return o;
}

/**
 * The demo: a machine with one NIC of each kind (and a second virtio-mmio, v1, to pair with the legacy
 * PCI one), probed with the platform flow and the default drivers, joined by three wires; test traffic
 * both ways over every wire for a few seconds with a stats line per second per NIC; then every frame is
 * accounted for: it arrived, once, in order, with its header and payload intact. Exit 0 only then.
 */
export async function runDemo(o: DemoOptions, ctx: CliContext): Promise<void> {
  const out = (l: string) => ctx.io.out(l);
  out("axdriver demo: NICs of every family on an emulated machine, joined by wires, every frame checked");
  out("");
  const rig = buildRig(DEMO_NICS);
  out("probe (platform flow: platform devices, virtio-mmio slots, PCI with BAR assignment):");
  for (const l of rigReport(rig)) out(`  ${l}`);
  const pairs: [RigNic, RigNic][] = [];
  for (let i = 0; i + 1 < rig.nics.length; i += 2) pairs.push([rig.nics[i]!, rig.nics[i + 1]!]);
  const capture: PcapFileWriter | undefined = o.pcap !== undefined ? openCapture(o.pcap) : undefined;
  const wires = pairs.map(([a, b]) => {
    const w = new Wire(a.board.port, b.board.port);
    if (o.corruptEvery > 0) w.setCorruption(o.corruptEvery);
    if (capture !== undefined) w.setTap(capture);
    return w;
  });
  out("");
  out("wires:");
  pairs.forEach(([a, b], i) => {
    out(`  wire ${i + 1}: ${a.board.label} <-> ${b.board.label}`);
  });
  if (o.corruptEvery > 0)
    out(`  corruption injected: one byte flipped in every ${o.corruptEvery}th frame on every wire`);
  const flows: Flow[] = [];
  pairs.forEach(([a, b], i) => {
    const w = wires[i]!;
    for (const [from, to, dir] of [
      [a, b, w.aToB],
      [b, a, w.bToA],
    ] as const) {
      const stream = flows.length;
      const size = DEMO_FRAME_SIZES[stream % DEMO_FRAME_SIZES.length]!;
      flows.push({
        name: `${from.board.label} -> ${to.board.label} (${size} B)`,
        gen: new PacketGenerator(from.dev, size, o.batch, to.board.mac, stream),
        chk: new TrafficChecker(to.dev, o.batch, stream + 1, to.board.mac),
        stream,
        wires: [dir],
      });
    }
  });
  out("");
  out(`traffic: ${flows.length} flows, batch ${o.batch}, ${o.seconds} s`);
  const stats = rig.nics.map((n) => new NicStats(n.board.label));
  // flow k goes out of the NIC it is generated on and into the NIC it is checked on
  const txOf = rig.nics.map((n) => flows.filter((f) => f.gen.nic === n.dev));
  const rxOf = rig.nics.map((n) => flows.filter((f) => f.chk.nic === n.dev));
  const sync = () => {
    stats.forEach((s, i) => {
      s.txPackets = 0;
      s.txBytes = 0;
      s.rxPackets = 0;
      s.rxBytes = 0;
      s.drops = 0;
      for (const f of txOf[i]!) {
        s.txPackets += f.gen.counters.txPackets;
        s.txBytes += f.gen.counters.txBytes;
        s.drops += f.gen.counters.errors;
      }
      for (const f of rxOf[i]!) {
        s.rxPackets += f.chk.counters.rxPackets;
        s.rxBytes += f.chk.counters.rxBytes;
        s.drops += f.chk.counters.errors + (f.wires[0]?.dropped ?? 0);
      }
    });
  };
  const reporter = new StatsReporter(ctx.io, stats);
  const r = await runLoop({
    seconds: o.seconds,
    reporter,
    sync,
    round: () => {
      for (const f of flows) f.gen.step();
      for (const f of flows) f.chk.step();
    },
  });
  drain(flows);
  sync();
  if (!r.interrupted) reporter.printSummary();
  out("check (every frame: arrived, once, in order, header and payload intact):");
  const width = Math.max(...flows.map((f) => f.name.length));
  for (const f of flows) out(flowLine(f, width));
  if (capture !== undefined) {
    try {
      capture.close();
    } catch (e) {
      throw fileFailure(o.pcap!, e);
    }
    out(`capture: ${capture.frames} frames written to ${o.pcap}`);
  }
  if (r.interrupted) {
    ctx.exitCode = ExitCode.Interrupted;
    return;
  }
  const verdicts = flows.map(flowVerdict);
  const sent = verdicts.reduce((s, v) => s + v.sent, 0);
  const failed = flows.filter((_, i) => !verdicts[i]!.intact);
  if (sent === 0) throw new CommandFailed("demo FAILED: no frame was sent");
  if (failed.length > 0) {
    const corrupt = verdicts.reduce((s, v) => s + v.corrupt, 0);
    const lost = verdicts.reduce((s, v) => s + v.lost, 0);
    const disorder = verdicts.reduce((s, v) => s + v.outOfOrder, 0);
    throw new CommandFailed(
      `demo FAILED: integrity check failed on ${failed.length} of ${flows.length} flows ` +
        `(${corrupt} corrupt, ${lost} lost, ${disorder} out of order of ${sent} frames sent)` +
        (o.corruptEvery > 0
          ? `; corruption was injected on every wire (--corrupt-every ${o.corruptEvery})`
          : ""),
    );
  }
  out(`demo passed: all ${sent} frames arrived intact over ${wires.length} wires (${flows.length} flows)`);
}

/** The demo `npm start` runs. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description(
      "the end-to-end demo: NICs of every kind joined by wires, probed, traffic both ways checked frame by frame",
    )
    .option("--seconds <time>", "how long the traffic runs: 3, 500ms, 10s (default 3s)", parseDuration)
    .option("--batch <n>", "frames per batch, 1..256 (default 32)", (t) =>
      parseIntInRange(t, 1, 256, "batch size"),
    )
    .option("--corrupt-every <n>", "flip a byte in every Nth frame on every wire: the check must fail", (t) =>
      parseIntInRange(t, 1, 2 ** 31, "corrupt-every"),
    )
    .option("--pcap <file>", "capture every frame on every wire to a libpcap file")
    .action(async (raw: RawDemoOptions) => {
      await runDemo(demoOptions(raw), ctx);
    });
}
