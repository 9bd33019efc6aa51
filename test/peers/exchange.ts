// The host side of the frame exchange with the guest's echo program: sends frames 0..N-1 (60..1514 bytes)
// over the UDP link with a bounded window, and checks every byte of each frame that comes back — the echo of
// each host frame and the guest's own frame of the same number.
import type { Socket } from "node:dgram";
import {
  checkFrame,
  ETHERTYPE,
  frameSeq,
  GUEST_MAC,
  HOST_MAC,
  KIND_GUEST,
  KIND_HOST,
  writeFrame,
} from "./guest/frames.mjs";
import type { GuestRun } from "./qemu.js";

export interface ExchangeResult {
  sent: number;
  echoes: number;
  generated: number;
  /** Frames that came back wrong (first few described in `errors`). */
  bad: number;
  /** Frames that were not test frames. */
  foreign: number;
  errors: string[];
  /** Milliseconds from the first frame sent to the last frame back. */
  ms: number;
  /** Why the exchange stopped early, if it did. */
  stalled?: string;
}

/**
 * Runs the exchange on `sock` (the NIC's remote end) with the guest of `run`, which must already be READY.
 * @param window frames sent but not yet echoed, at most (kept below the guest's receive queue)
 */
export async function exchangeFrames(
  sock: Socket,
  run: GuestRun,
  frames: number,
  window = 32,
  stallMs = 60_000,
): Promise<ExchangeResult> {
  const r: ExchangeResult = { sent: 0, echoes: 0, generated: 0, bad: 0, foreign: 0, errors: [], ms: 0 };
  const echoSeen = new Uint8Array(frames);
  const genSeen = new Uint8Array(frames);
  let nextEcho = 0;
  const note = (msg: string) => {
    r.bad++;
    if (r.errors.length < 10) r.errors.push(msg);
  };
  const t0 = performance.now();
  return await new Promise<ExchangeResult>((resolve) => {
    let last = performance.now();
    let finished = false;
    const finish = (stalled?: string) => {
      if (finished) return;
      finished = true;
      clearInterval(watchdog);
      sock.off("message", onMessage);
      r.ms = Math.round(performance.now() - t0);
      if (stalled !== undefined) r.stalled = stalled;
      resolve(r);
    };
    const pump = () => {
      while (r.sent < frames && r.sent - r.echoes < window) {
        const buf = Buffer.allocUnsafe(1514);
        const len = writeFrame(buf, 0, KIND_HOST, r.sent, GUEST_MAC, HOST_MAC);
        sock.send(buf, 0, len, run.guestPort, "127.0.0.1");
        r.sent++;
      }
    };
    const onMessage = (msg: Buffer) => {
      last = performance.now();
      if (msg.length < 19 || msg.readUInt16BE(12) !== ETHERTYPE) {
        r.foreign++;
        return;
      }
      const seq = frameSeq(msg, 0);
      const kind = msg[18]!;
      if (seq >= frames || (kind !== KIND_HOST && kind !== KIND_GUEST)) {
        note(`frame with seq ${seq} kind ${kind}`);
        return;
      }
      const seen = kind === KIND_HOST ? echoSeen : genSeen;
      if (seen[seq] !== 0) {
        note(`duplicate ${kind === KIND_HOST ? "echo" : "guest frame"} ${seq}`);
        return;
      }
      seen[seq] = 1;
      // echo: the host frame with destination = its source (us) and source = the guest NIC
      const why = checkFrame(msg, 0, msg.length, kind, seq, HOST_MAC, GUEST_MAC);
      if (why !== "") note(`${kind === KIND_HOST ? "echo" : "guest frame"} ${seq}: ${why}`);
      if (kind === KIND_HOST) {
        if (seq !== nextEcho) note(`echo ${seq} out of order (expected ${nextEcho})`);
        nextEcho = seq + 1;
        r.echoes++;
      } else r.generated++;
      if (r.echoes === frames && r.generated === frames) finish();
      else pump();
    };
    const watchdog = setInterval(() => {
      if (performance.now() - last > stallMs)
        finish(
          `no frame for ${stallMs} ms (sent ${r.sent}, echoes ${r.echoes}, guest frames ${r.generated})`,
        );
    }, 1000);
    sock.on("message", onMessage);
    void run.exited.then(() => setTimeout(() => finish("guest exited"), 500));
    pump();
  });
}
