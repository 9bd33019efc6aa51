// Guest program (VFIO run): shows that bus mastering is what lets the device reach memory behind the IOMMU.
// Attaches the driver, switches bus mastering off again, transmits one frame (KIND_NO_MASTER) and waits; the
// host must never see it. The echo program that runs next attaches afresh (device reset) and must work.
import { virtioNetDriver } from "/app/dist/src/drivers/virtio/index.js";
import { attach } from "/app/dist/src/host/index.js";
import { HOST_MAC, KIND_NO_MASTER, writeFrame } from "./frames.mjs";

const env = process.env;
const out = { program: "no-master" };
const nic = attach({
  address: env.AXPEER_BDF ?? "0000:00:03.0",
  vfio: env.AXPEER_VFIO === "1",
  drivers: [virtioNetDriver],
});
if (nic instanceof Error) {
  out.error = nic.message;
} else {
  const ops = nic.ops;
  const bdf = nic.device.address.bdf;
  out.commandAttached = nic.command();
  nic.root.setCommand(bdf, nic.command() & ~0x4);
  out.commandCleared = nic.command();
  const mac = Uint8Array.from(ops.macAddress().bytes);
  const tx = ops.allocTxBuffer(60);
  if (tx instanceof Error) out.error = tx.message;
  else {
    tx.len = writeFrame(tx.bytes, tx.offset, KIND_NO_MASTER, 0, HOST_MAC, mac);
    const r = ops.transmit(tx);
    out.transmit = r instanceof Error ? r.message : "queued";
    const until = performance.now() + 3000;
    while (performance.now() < until) ops.recycleTxBuffers();
    out.deviceStatus = ops.transport?.getStatus();
  }
  nic.close();
}
console.log(`AXPEER-RESULT ${JSON.stringify(out)}`);
