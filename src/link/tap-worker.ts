/**
 * The TAP link's reader thread. It owns the non-blocking TAP fd: reads frames until EAGAIN, hands them
 * to the main thread in batches (a transferred buffer of `[u16 little-endian length][frame]…`), then
 * polls for 100 ms and checks the stop flag in shared memory. Messages to the main thread:
 * `{type: "ready", fd, name}`, `{type: "frames", buffer, used, count}`, `{type: "error", message}`,
 * `{type: "closed"}`.
 */
import { parentPort, workerData } from "node:worker_threads";
import { EAGAIN, EINTR, loadTapLibc, openTapDevice, POLLIN } from "./tap-sys.js";

interface TapWorkerData {
  name: string;
  stop: SharedArrayBuffer;
  batchBytes: number;
}

const BATCH_MAX_FRAMES = 512;
const POLL_MS = 100;

async function run(): Promise<void> {
  const port = parentPort;
  if (port === null) throw new Error("tap-worker runs as a worker thread");
  const data = workerData as TapWorkerData;
  const stop = new Int32Array(data.stop);
  let libc: Awaited<ReturnType<typeof loadTapLibc>>;
  try {
    libc = await loadTapLibc();
  } catch (e) {
    port.postMessage({ type: "error", message: `cannot load koffi/libc: ${(e as Error).message}` });
    return;
  }
  const opened = openTapDevice(libc, data.name);
  if (typeof opened === "string") {
    port.postMessage({ type: "error", message: opened });
    return;
  }
  const fd = opened.fd;
  port.postMessage({ type: "ready", fd, name: opened.name });

  const readBuf = new Uint8Array(65536);
  const pfd = new Uint8Array(8); // struct pollfd { int fd; short events; short revents; }
  const pfdView = new DataView(pfd.buffer);
  pfdView.setInt32(0, fd, true);
  pfdView.setInt16(4, POLLIN, true);
  let batch = new Uint8Array(data.batchBytes);
  let used = 0;
  let count = 0;
  const flush = () => {
    if (count === 0) return;
    const buffer = batch.buffer;
    port.postMessage({ type: "frames", buffer, used, count }, [buffer]);
    batch = new Uint8Array(data.batchBytes);
    used = 0;
    count = 0;
  };

  while (Atomics.load(stop, 0) === 0) {
    const n = libc.read(fd, readBuf, readBuf.length);
    if (n > 0) {
      if (n > 0xffff) continue;
      if (used + 2 + n > batch.length) flush();
      batch[used] = n & 0xff;
      batch[used + 1] = n >>> 8;
      batch.set(readBuf.subarray(0, n), used + 2);
      used += 2 + n;
      if (++count >= BATCH_MAX_FRAMES) flush();
      continue;
    }
    const e = n < 0 ? libc.errno() : EAGAIN;
    if (e === EINTR) continue;
    if (e !== EAGAIN) {
      flush();
      port.postMessage({ type: "error", message: `read: ${libc.strerror(e)} (errno ${e})` });
      break;
    }
    flush();
    pfdView.setInt16(6, 0, true);
    libc.poll(pfd, 1, POLL_MS);
  }
  flush();
  // the fd is closed only once the main thread has stopped writing to it and raised the stop flag
  while (Atomics.load(stop, 0) === 0) Atomics.wait(stop, 0, 0, 1000);
  libc.close(fd);
  port.postMessage({ type: "closed" });
}

void run();
