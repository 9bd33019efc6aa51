// Guest program: binds our virtio-net driver to QEMU's NIC through the user-space HAL (`attach`) and, for each
// frame the host sends, checks every byte, echoes it back with the addresses swapped and sends one frame of its
// own (KIND_GUEST, same sequence number). Prints one `AXPEER-RESULT {json}` line.
// Knobs: AXPEER_BDF, AXPEER_VFIO=1, AXPEER_DMA, AXPEER_FRAMES (frames to take), AXPEER_IDLE_MS.
import { log } from "/app/dist/src/base/log.js";
import { probePciDevice, VirtIoNetDev, virtioNetDriver } from "/app/dist/src/drivers/virtio/index.js";
import { attach } from "/app/dist/src/host/index.js";
import { checkFrame, frameLength, frameSeq, HOST_MAC, KIND_GUEST, KIND_HOST, writeFrame } from "./frames.mjs";

const env = process.env;
const address = env.AXPEER_BDF ?? "0000:00:03.0";
const frames = Number(env.AXPEER_FRAMES ?? 10000);
const idleMs = Number(env.AXPEER_IDLE_MS ?? 60000);
if (env.AXPEER_LOG) log.setLevel(env.AXPEER_LOG);
const out = { program: "echo", address };
const finish = (code) => {
  console.log(`AXPEER-RESULT ${JSON.stringify(out)}`);
  process.exit(code);
};

// AXPEER_PREFER_LEGACY=1: the transitional device through its legacy I/O BAR although it has the modern
// capabilities too (the driver's preferLegacy probe option)
const legacyEntry = {
  name: "virtio-net",
  probePci(ctx) {
    const p = probePciDevice(ctx.hal, ctx.pci, ctx.bdf, ctx.info, { preferLegacy: true });
    if (p === undefined || p instanceof Error) return p;
    return VirtIoNetDev.create(p.transport, ctx.hal);
  },
};
const t0 = performance.now();
const nic = attach({
  address,
  vfio: env.AXPEER_VFIO === "1",
  dma: env.AXPEER_DMA ?? "auto",
  drivers: [env.AXPEER_PREFER_LEGACY === "1" ? legacyEntry : virtioNetDriver],
});
if (nic instanceof Error) {
  out.error = nic.message;
  finish(1);
}
const ops = nic.ops;
const mac = Uint8Array.from(ops.macAddress().bytes);
out.attachMs = Math.round(performance.now() - t0);
out.driver = nic.driver;
out.deviceName = ops.deviceName();
out.mac = ops.macAddress().toString();
out.commandBefore = nic.commandBefore;
out.commandAfter = nic.command();
out.dma = { kind: nic.arena.kind, base: nic.arena.memory.base, size: nic.arena.memory.size };
out.transport = ops.transport?.kind;
out.features = ops.features;
out.headerLen = ops.headerLen;
out.rxQueueSize = ops.rxQueueSize();
out.arenaMovedAtStart = nic.arena.movedPages();
out.txQueueSize = ops.txQueueSize();
console.log(`AXPEER-READY ${JSON.stringify({ mac: out.mac, rx: out.rxQueueSize, tx: out.txQueueSize })}`);

let received = 0;
let nextSeq = 0;
let mismatches = 0;
const firstMismatches = [];
let echoed = 0;
let generated = 0;
let txFailures = 0;
let rxErrors = 0;
const rx = new Array(32);
let lastFrame = performance.now();
const tStart = performance.now();

/** Waits (bounded) until the driver can take one more frame. */
function roomToSend() {
  if (ops.canTransmit()) return true;
  const until = performance.now() + 5000;
  while (performance.now() < until) {
    ops.recycleTxBuffers();
    if (ops.canTransmit()) return true;
  }
  return false;
}

function send(len, fill) {
  if (!roomToSend()) {
    txFailures++;
    return false;
  }
  const tx = ops.allocTxBuffer(len);
  if (tx instanceof Error) {
    txFailures++;
    if (firstMismatches.length < 5) firstMismatches.push(`allocTxBuffer(${len}): ${tx.message}`);
    return false;
  }
  fill(tx.bytes, tx.offset);
  tx.len = len;
  const r = ops.transmit(tx);
  if (r instanceof Error) {
    txFailures++;
    if (firstMismatches.length < 5) firstMismatches.push(`transmit: ${r.message}`);
    return false;
  }
  return true;
}

while (received < frames) {
  const n = ops.receiveBatch(rx, rx.length);
  if (n instanceof Error) {
    if (n.kind !== "Again") {
      rxErrors++;
      if (firstMismatches.length < 5) firstMismatches.push(`receiveBatch: ${n.message}`);
    }
  } else if (n > 0) {
    lastFrame = performance.now();
    for (let i = 0; i < n; i++) {
      const p = rx[i];
      const seq = frameSeq(p.bytes, p.offset);
      const why =
        seq !== nextSeq
          ? `seq ${seq}, expected ${nextSeq}`
          : checkFrame(p.bytes, p.offset, p.len, KIND_HOST, seq, mac, HOST_MAC);
      if (why !== "") {
        mismatches++;
        if (firstMismatches.length < 5) firstMismatches.push(`host frame ${nextSeq}: ${why}`);
      }
      received++;
      nextSeq = seq + 1;
      const len = p.len;
      const s = p.bytes;
      const so = p.offset;
      if (
        send(len, (d, o) => {
          for (let k = 0; k < 6; k++) d[o + k] = s[so + 6 + k];
          for (let k = 0; k < 6; k++) d[o + 6 + k] = mac[k];
          d.set(s.subarray(so + 12, so + len), o + 12);
        })
      )
        echoed++;
      if (send(frameLength(KIND_GUEST, seq), (d, o) => writeFrame(d, o, KIND_GUEST, seq, HOST_MAC, mac)))
        generated++;
      const rr = ops.recycleRxBuffer(p);
      if (rr instanceof Error) rxErrors++;
    }
    ops.recycleTxBuffers();
  } else if (performance.now() - lastFrame > idleMs) {
    out.error = `no frame for ${idleMs} ms after ${received}`;
    break;
  }
}
// let the last transmissions complete
const drainUntil = performance.now() + 2000;
while (performance.now() < drainUntil) {
  ops.recycleTxBuffers();
  if (ops.canTransmit() && performance.now() > drainUntil - 1500) break;
}
out.runMs = Math.round(performance.now() - tStart);
Object.assign(out, { received, mismatches, firstMismatches, echoed, generated, txFailures, rxErrors });
out.commandAtEnd = nic.command();
out.arenaMovedPages = nic.arena.movedPages();
out.deviceStatusAtEnd = ops.transport?.getStatus();
out.driverStats = ops.stats;
nic.close();
finish(out.error === undefined && mismatches === 0 && txFailures === 0 && rxErrors === 0 ? 0 : 1);
