/**
 * A Linux TAP device as a link (root or CAP_NET_ADMIN): frames an emulated NIC sends come out of a
 * kernel network interface, and the kernel's frames arrive at the NIC. See TOOLCHAIN.md: a worker thread
 * owns the non-blocking fd and reads with koffi until EAGAIN, then polls; the main thread writes frames
 * with koffi `write`, one frame per call.
 */
import { Worker } from "node:worker_threads";
import type { FrameSink } from "../emu/frame-port.js";
import { LinkCounters } from "./counters.js";
import type { LinkEndpoint } from "./endpoint.js";
import { EAGAIN, IFNAME_MAX, loadTapLibc, type TapLibc } from "./tap-sys.js";

/** Options of {@link TapLink.open}. */
export interface TapLinkOptions {
  /** Interface name (at most 15 bytes; `%d` lets the kernel number it). Default `axd%d`. */
  name?: string;
  /** Largest frame sent (default 1514). */
  mtu?: number;
  /** Size of the batches the reader hands over. Default 256 KiB. */
  batchBytes?: number;
}

type WorkerMessage =
  | { type: "ready"; fd: number; name: string }
  | { type: "frames"; buffer: ArrayBuffer; used: number; count: number }
  | { type: "error"; message: string }
  | { type: "closed" };

function workerUrl(): URL {
  // from the TypeScript sources a small .mjs registers tsx first; compiled code starts the .js directly
  return import.meta.url.endsWith(".ts")
    ? new URL("./tap-worker-boot.mjs", import.meta.url)
    : new URL("./tap-worker.js", import.meta.url);
}

/**
 * A TAP interface as a {@link LinkEndpoint}: its `rx` writes frames to the kernel, its `connect` says
 * where the kernel's frames go. The interface exists while the link is open; {@link TapLink.close}
 * removes it.
 */
export class TapLink implements LinkEndpoint {
  /** What went through. */
  readonly counters = new LinkCounters();
  /** Largest frame sent. */
  readonly mtu: number;
  /** Writes frames to the kernel. */
  readonly rx: FrameSink;
  /** The interface name the kernel gave. */
  readonly name: string;
  /** Resolves when the reader has stopped. */
  readonly closed: Promise<void>;
  /** The last error, if any. */
  lastError: string | undefined;

  private peer: FrameSink | undefined;
  private readonly staging: Uint8Array;
  private writable = true;

  private constructor(
    worker: Worker,
    private readonly libc: TapLibc,
    private readonly fd: number,
    name: string,
    private readonly stop: Int32Array,
    mtu: number,
  ) {
    this.name = name;
    this.mtu = mtu;
    this.staging = new Uint8Array(mtu);
    const self = this;
    this.rx = {
      receiveFrame(bytes: Uint8Array, offset: number, length: number): boolean {
        return self.send(bytes, offset, length);
      },
    };
    worker.on("message", (m: WorkerMessage) => this.onMessage(m));
    this.closed = new Promise((resolve) => {
      worker.once("exit", () => {
        this.writable = false;
        resolve();
      });
    });
  }

  /**
   * Creates the TAP interface (down, no address: configure it with `ip`) and starts reading. Rejects with
   * the reason when it cannot (no /dev/net/tun, no permission, name taken).
   */
  static async open(opts: TapLinkOptions = {}): Promise<TapLink> {
    const name = opts.name ?? "axd%d";
    if (Buffer.byteLength(name) > IFNAME_MAX)
      throw new RangeError(`TAP name "${name}" is longer than 15 bytes`);
    const mtu = opts.mtu ?? 1514;
    if (!Number.isInteger(mtu) || mtu < 14 || mtu > 65535) throw new RangeError(`TAP MTU ${mtu}`);
    const libc = await loadTapLibc();
    const stopBuf = new SharedArrayBuffer(4);
    const worker = new Worker(workerUrl(), {
      workerData: { name, stop: stopBuf, batchBytes: opts.batchBytes ?? 256 * 1024 },
      // not the parent's flags: `--input-type` or `--eval` there would stop the worker from starting
      execArgv: [],
    });
    const stop = new Int32Array(stopBuf);
    const ready = await new Promise<{ fd: number; name: string }>((resolve, reject) => {
      const onMessage = (m: WorkerMessage) => {
        if (m.type === "ready") {
          cleanup();
          resolve({ fd: m.fd, name: m.name });
        } else if (m.type === "error") {
          cleanup();
          reject(new Error(`TAP ${name}: ${m.message}`));
        }
      };
      const onError = (e: Error) => {
        cleanup();
        reject(e);
      };
      const onExit = (code: number) => {
        cleanup();
        reject(new Error(`TAP ${name}: reader thread exited (${code}) before the device was ready`));
      };
      const cleanup = () => {
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
      };
      worker.on("message", onMessage);
      worker.once("error", onError);
      worker.once("exit", onExit);
    }).catch(async (e: unknown) => {
      Atomics.store(stop, 0, 1);
      Atomics.notify(stop, 0);
      await worker.terminate();
      throw e;
    });
    return new TapLink(worker, libc, ready.fd, ready.name, stop, mtu);
  }

  /** Plugs the end that takes the kernel's frames in (or unplugs). */
  connect(peer: FrameSink | undefined): void {
    this.peer = peer;
  }

  /** Writes one frame to the kernel; false (and counted) when it cannot. */
  send(bytes: Uint8Array, offset: number, length: number): boolean {
    const c = this.counters;
    if (!this.writable || length > this.mtu || length < 14) {
      c.txDropped++;
      return false;
    }
    const s = this.staging;
    for (let i = 0; i < length; i++) s[i] = bytes[offset + i]!;
    const n = this.libc.write(this.fd, s, length);
    if (n !== length) {
      c.txDropped++;
      if (n < 0) {
        const e = this.libc.errno();
        if (e !== EAGAIN) {
          c.errors++;
          this.lastError = `write: ${this.libc.strerror(e)} (errno ${e})`;
        }
      }
      return false;
    }
    c.txFrames++;
    c.txBytes += length;
    return true;
  }

  /** Stops reading, closes the fd (the interface disappears) and waits for the reader to end. */
  async close(): Promise<void> {
    this.writable = false;
    Atomics.store(this.stop, 0, 1);
    Atomics.notify(this.stop, 0);
    await this.closed;
  }

  private onMessage(m: WorkerMessage): void {
    if (m.type === "frames") {
      const b = new Uint8Array(m.buffer);
      const c = this.counters;
      let p = 0;
      for (let i = 0; i < m.count && p + 2 <= m.used; i++) {
        const len = b[p]! | (b[p + 1]! << 8);
        p += 2;
        c.rxFrames++;
        c.rxBytes += len;
        const peer = this.peer;
        if (peer === undefined || !peer.receiveFrame(b, p, len)) c.rxDropped++;
        p += len;
      }
    } else if (m.type === "error") {
      this.counters.errors++;
      this.lastError = m.message;
      this.writable = false;
    }
  }
}
