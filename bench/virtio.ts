// `npm run bench -- virtio [--packets N] [--frame 64] [--batch 32] [--queue 256]
//   [--transport mmio|pci|mmio-legacy|pci-legacy|pci-transitional|pci-transitional-legacy]`
// (pci-transitional: QEMU's default virtio-net-pci, driven through its modern interface; -legacy: through
// its legacy I/O BAR0, as `preferLegacy` does)
// Two virtio-net NICs on one emulated machine, their models' ports joined by a Wire (src/link). Each step:
// NIC A recycles its transmit ring, allocates and transmits a batch (one kick), the model sends the frames
// over the wire into NIC B's model, which copies them into B's receive buffers; NIC B receives the batch
// and recycles every buffer. Everything runs in one thread; the figure is frames through per second.

import { DevError, unwrap } from "../src/base/dev-error.js";
import {
  MmioTransport,
  probePciDevice,
  VirtIoNetDev,
  type VirtioTransport,
} from "../src/drivers/virtio/index.js";
import { Machine } from "../src/emu/machine.js";
import {
  VirtioLegacyPciDevice,
  VirtioMmioTransport,
  VirtioNetModel,
  VirtioPciDevice,
  VirtioTransitionalPciDevice,
} from "../src/emu/virtio/index.js";
import { Wire } from "../src/link/wire.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";
import { MmioConfigAccess } from "../src/pci/config-access.js";
import { PciRoot } from "../src/pci/root.js";
import { DeviceFunction } from "../src/pci/types.js";
import { allocatorsFor, configurePciFunction } from "../src/platform/probe.js";
import { measure, report } from "./harness.js";

function arg(args: string[], name: string, dflt: string): string {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1]! : dflt;
}

type Kind = "mmio" | "mmio-legacy" | "pci" | "pci-legacy" | "pci-transitional" | "pci-transitional-legacy";

function buildNic(
  machine: Machine,
  kind: Kind,
  n: number,
  qs: number,
): { model: VirtioNetModel; dev: VirtIoNetDev } {
  const model = new VirtioNetModel(machine.ram, {
    name: `virtio-net${n}`,
    mac: [0x52, 0x54, 0, 0x12, 0x34, 0x10 + n],
    queueSize: Math.max(qs, 256),
  });
  let transport: VirtioTransport;
  if (kind === "mmio" || kind === "mmio-legacy") {
    const base = 0x0a00_0000 + n * 0x200;
    machine.addVirtioMmioDevice(
      base,
      0x200,
      new VirtioMmioTransport(model, { version: kind === "mmio" ? 2 : 1 }),
    );
    transport = unwrap(MmioTransport.create(unwrap(machine.hal.mapMmio(base, 0x200))));
  } else {
    const bdf = new DeviceFunction(0, 1 + n, 0);
    const transitional = kind === "pci-transitional" || kind === "pci-transitional-legacy";
    machine.addPciDevice(
      bdf,
      transitional
        ? new VirtioTransitionalPciDevice(model).fn
        : kind === "pci"
          ? new VirtioPciDevice(model).fn
          : new VirtioLegacyPciDevice(model).fn,
    );
    const c = machine.config;
    const root = new PciRoot(unwrap(MmioConfigAccess.map(machine.hal, c.pciEcamBase, c.pciBusEnd, "ecam")));
    unwrap(
      configurePciFunction(
        root,
        bdf,
        allocs.get(machine) ?? allocs.set(machine, allocatorsFor(c)).get(machine)!,
      ),
    );
    const p = probePciDevice(machine.hal, root, bdf, root.functionInfo(bdf)!, {
      preferLegacy: kind === "pci-transitional-legacy",
    });
    if (p === undefined) throw new Error("no virtio PCI device");
    transport = unwrap(p).transport;
  }
  return { model, dev: unwrap(VirtIoNetDev.create(transport, machine.hal, { queueSize: qs })) };
}
const allocs = new Map<Machine, ReturnType<typeof allocatorsFor>>();

export async function main(args: string[]): Promise<void> {
  const packets = Number(arg(args, "packets", "10000000"));
  const frame = Number(arg(args, "frame", "64"));
  const batch = Number(arg(args, "batch", "32"));
  const qs = Number(arg(args, "queue", "256"));
  const kind = arg(args, "transport", "mmio") as Kind;

  const machine = new Machine({ ramSize: 64 * 1024 * 1024 });
  const a = buildNic(machine, kind, 0, qs);
  const b = buildNic(machine, kind, 1, qs);
  // the real link: a Wire with its per-direction counters and MTU/runt checks
  const wire = new Wire(a.model.port, b.model.port);
  const tx = a.dev;
  const rx = b.dev;

  // frame contents are written once per buffer (a pattern with the sequence number at 14..17)
  const bufs: NetBufPtr[] = new Array(batch);
  const out: NetBufPtr[] = new Array(batch);
  for (let i = 0; i < 2 * qs; i++) {
    const p = tx.allocTxBuffer(frame);
    if (p instanceof DevError) break;
    for (let j = 0; j < frame; j++) p.bytes[p.offset + j] = (i + j) & 0xff;
    unwrap(tx.transmit(p));
    unwrap(tx.recycleTxBuffers());
    const r = rx.receive();
    if (!(r instanceof DevError)) unwrap(rx.recycleRxBuffer(r));
  }

  let errors = 0;
  const step = (): number => {
    if (tx.recycleTxBuffers() !== undefined) errors++;
    let k = 0;
    while (k < batch) {
      const p = tx.allocTxBuffer(frame);
      if (p instanceof DevError) break;
      bufs[k++] = p;
    }
    const sent = tx.transmitBatch(bufs, k);
    if (sent !== k) errors++;
    const n = rx.receiveBatch(out, batch);
    if (typeof n !== "number") {
      errors++;
      return 0;
    }
    for (let i = 0; i < n; i++) rx.recycleRxBuffer(out[i]!);
    return n;
  };

  // CPU time as well as wall time: on a shared machine the wall figure includes waiting for a core. The
  // warm-up (and the JIT compiling it triggers on helper threads) runs before the CPU clock starts.
  const warmup = Math.min(packets / 10, 1_000_000);
  for (let w = 0; w < warmup; ) w += step();
  const kicksA0 = a.model.queues[1].notifications;
  const kicksB0 = b.model.queues[0].notifications;
  const cpu0 = process.cpuUsage();
  const r = await measure(step, packets, 0);
  const cpu = process.cpuUsage(cpu0);
  const cpuNsPerPacket = ((cpu.user + cpu.system) * 1000) / r.packets;
  const txKicks = a.model.queues[1].notifications - kicksA0;
  const rxKicks = b.model.queues[0].notifications - kicksB0;
  const lines = [
    `virtio-net ${kind}: A -> wire -> B, ${frame}-byte frames, batch ${batch}, QS ${qs}`,
    `  model A: ${a.model.counters.txFrames} frames sent; wire: ${wire.aToB.frames} carried, ${wire.aToB.dropped} dropped; ` +
      `model B: ${b.model.counters.rxFrames} received, ` +
      `${b.model.counters.rxNoBuffer} dropped (no buffer)`,
    `  doorbells while timed: ${txKicks} transmit kicks (${(r.packets / Math.max(1, txKicks)).toFixed(1)} frames each), ` +
      `${rxKicks} receive kicks (event index suppresses them)`,
    `  errors: ${errors}; CPU time ${cpuNsPerPacket.toFixed(1)} ns/packet (${(1000 / cpuNsPerPacket).toFixed(2)} Mpps if not sharing a core)`,
  ];
  report(
    {
      name: `virtio-${kind}`,
      frameSize: frame,
      batch,
      queueSize: qs,
      packets: r.packets,
      mpps: r.mpps,
      nsPerPacket: r.nsPerPacket,
      gcEvents: r.gcEvents,
      errors,
      dropped: b.model.counters.rxNoBuffer,
      cpuNsPerPacket,
      txKicks,
      rxKicks,
    },
    lines,
  );
}
