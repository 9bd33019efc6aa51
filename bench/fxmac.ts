// `npm run bench -- fxmac [packets] [--two-machines]`: 64-byte frames, batch 32, queue 64, between two
// FXMAC models (FXMAC0 -> FXMAC1) driven by two FXmacNic drivers in one thread. Each step: allocate 32 TX
// buffers, transmit them as one batch (one STARTTX), receive the 32 frames on the other side, recycle them,
// and reclaim the sent buffers. Reports Mpps, ns/packet and GC events while measuring, and the process's
// CPU time per packet (on a shared machine the wall clock also counts time spent waiting for a core).
import v8 from "node:v8";
import vm from "node:vm";
import { unwrap } from "../src/base/index.js";
import { FXmacNic } from "../src/drivers/fxmac/index.js";
import { GemModel } from "../src/emu/gem/index.js";
import { Machine } from "../src/emu/machine.js";
import { FXMAC0_BASE, FXMAC1_BASE } from "../src/hw/gem/index.js";
import { NetBufPtr } from "../src/net/index.js";
import { measure, report } from "./harness.js";

const FRAME = 64;
const BATCH = 32;
const QUEUE = 64;
const WARMUP = 2_000_000;
/**
 * What a good `allocTxBuffer` returns. The loop tests `instanceof NetBufPtr` (a plain class, which V8 folds
 * to a map check) rather than `instanceof DevError`: `DevError` extends `Error` and carries static fields,
 * and V8 (Node 20) runs that test as a generic `InstanceOf` call (~7% of this benchmark's time).
 */
const NetBufPtrClass = NetBufPtr;

/** The two NICs and one step of the benchmark loop (moves BATCH frames A -> B; returns how many arrived). */
export function createFxmacBench(twoMachines = false): { step: () => number; a: FXmacNic; b: FXmacNic } {
  const m0 = new Machine();
  const m1 = twoMachines ? new Machine() : m0;
  const macA = [0x02, 0, 0, 0, 0, 0xa];
  const macB = [0x02, 0, 0, 0, 0, 0xb];
  const gemA = GemModel.attach(m0, { base: FXMAC0_BASE, mac: macA, recordMdio: false });
  const gemB = GemModel.attach(m1, { base: FXMAC1_BASE, mac: macB, recordMdio: false });
  gemA.port.connect(gemB.port.rx);
  gemB.port.connect(gemA.port.rx);
  const a = unwrap(FXmacNic.init(m0.hal, { base: FXMAC0_BASE, queueSize: QUEUE }));
  const b = unwrap(FXmacNic.init(m1.hal, { base: FXMAC1_BASE, queueSize: QUEUE }));

  // the frame template goes into every TX pool buffer once; buffers keep their bytes across reuse
  const pool = a.txBufferPool;
  for (let i = 0; i < pool.capacity; i++) {
    const buf = pool.get(i)!;
    const o = buf.bufOffset;
    buf.bytes.set(macB, o);
    buf.bytes.set(macA, o + 6);
    buf.bytes[o + 12] = 0x88;
    buf.bytes[o + 13] = 0xb5; // local experimental ethertype
    for (let k = 14; k < FRAME; k++) buf.bytes[o + k] = k;
  }

  const tx: NetBufPtr[] = new Array(BATCH);
  const rx: NetBufPtr[] = new Array(BATCH);
  const step = (): number => {
    for (let i = 0; i < BATCH; i++) {
      const p = a.allocTxBuffer(FRAME);
      if (!(p instanceof NetBufPtrClass)) throw p;
      tx[i] = p;
    }
    const sent = a.transmitBatch(tx, BATCH);
    if (sent !== BATCH) throw new Error(`transmitBatch gave ${String(sent)}`);
    const got = b.receiveBatch(rx, BATCH);
    if (got !== BATCH) throw new Error(`receiveBatch gave ${String(got)}`);
    for (let i = 0; i < got; i++) b.recycleRxBuffer(rx[i]!);
    a.recycleTxBuffers();
    return got;
  };
  return { step, a, b };
}

/** A full, synchronous collection (V8's gc(), exposed for the moment). */
function collectSetupGarbage(): void {
  v8.setFlagsFromString("--expose-gc");
  const gc = vm.runInNewContext("gc") as (() => void) | undefined;
  if (typeof gc === "function") gc();
}

export async function main(args: string[]): Promise<void> {
  const packets = Number(args.find((x) => /^\d+$/.test(x)) ?? 20_000_000);
  const twoMachines = args.includes("--two-machines");
  const { step, a } = createFxmacBench(twoMachines);

  // warm up (the code gets optimised), then a full collection of what set-up and warming up left behind
  // (an explicit gc(), as bench/ixgbe.ts does), so that the GC events counted while measuring are the
  // steady state's own
  for (let n = 0; n < WARMUP; ) n += step();
  collectSetupGarbage();

  const cpu0 = process.cpuUsage();
  const r = await measure(step, packets, 0);
  const cpu = process.cpuUsage(cpu0);
  const cpuNsPerPacket = ((cpu.user + cpu.system) * 1000) / r.packets;
  report(
    {
      name: "fxmac",
      frameSize: FRAME,
      batch: BATCH,
      queueSize: QUEUE,
      packets: r.packets,
      mpps: r.mpps,
      nsPerPacket: r.nsPerPacket,
      gcEvents: r.gcEvents,
      cpuNsPerPacket: Number(cpuNsPerPacket.toFixed(1)),
      cpuMpps: Number((1000 / cpuNsPerPacket).toFixed(2)),
      machines: twoMachines ? 2 : 1,
      path: "FXmacNic tx -> GEM model -> NicPort -> GEM model -> FXmacNic rx",
    },
    [
      `${twoMachines ? "two machines" : "one machine"}, link ${a.link.speed} Mb/s; ${r.seconds.toFixed(2)} s wall; ` +
        `CPU time ${cpuNsPerPacket.toFixed(1)} ns/packet (${(1000 / cpuNsPerPacket).toFixed(2)} Mpps per busy core)`,
    ],
  );
}
