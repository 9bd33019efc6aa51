/**
 * Links compatible with QEMU's socket network backends, so an emulated NIC can be joined to a QEMU
 * guest, to passt, or to another axdriver process:
 *
 * - {@link StreamLink}: QEMU `-netdev stream` (and the older `-netdev socket,connect=/listen=`), TCP or
 *   UNIX stream; every frame is preceded by its length as a 4-byte big-endian number (QEMU
 *   `net/stream.c`, `net_fill_rstate` in `net/net.c`).
 * - {@link DgramLink}: QEMU `-netdev dgram` (and `-netdev socket,udp=`), one Ethernet frame per UDP
 *   datagram.
 *
 * Each is a {@link LinkEndpoint}: its `rx` sends frames out, its `connect` says where frames from the
 * network go. Join one to a NIC port with a {@link Wire} or with `plug`.
 *
 * [Wire]: ./wire.ts
 */
import { createSocket, type Socket as DgramSocket } from "node:dgram";
import { createConnection, createServer, type Server, type Socket } from "node:net";
import type { FrameSink } from "../emu/frame-port.js";
import { LinkCounters } from "./counters.js";
import type { LinkEndpoint } from "./endpoint.js";

/** Largest frame QEMU's stream framing carries (`NET_BUFSIZE`: 4096 + 65536). */
export const MAX_STREAM_FRAME = 69632;
/** Length of the stream framing's prefix. */
export const STREAM_LENGTH_PREFIX = 4;
/** Largest frame in one UDP datagram (IPv4). */
export const MAX_DGRAM_FRAME = 65507;

/** A TCP (`host`, `port`) or UNIX (`path`) stream address. */
export type StreamAddress = { host: string; port: number } | { path: string };

/** Options of a {@link StreamLink}. */
export interface StreamLinkOptions {
  /** Largest frame sent or accepted (default 65535; at most 69632). */
  mtu?: number;
  /** Frames are dropped (and counted) while more than this many bytes wait to be sent. Default 4 MiB. */
  maxPendingBytes?: number;
}

function describe(addr: StreamAddress): string {
  return "path" in addr ? `unix:${addr.path}` : `${addr.host}:${addr.port}`;
}

const STAGING_BYTES = 256 * 1024;

/**
 * A frame link over a connected stream socket with QEMU's 4-byte big-endian length framing.
 * Outgoing frames are copied into a staging buffer and written once per event-loop turn (or when
 * {@link StreamLink.flush} is called); incoming frames that sit whole in a received chunk are handed on
 * without a copy, split ones are reassembled in a buffer made once.
 */
export class StreamLink implements LinkEndpoint {
  /** What went through. */
  readonly counters = new LinkCounters();
  /** Largest frame carried. */
  readonly mtu: number;
  /** Sends frames to the peer. */
  readonly rx: FrameSink;
  /** Resolves when the socket has closed (for any reason). */
  readonly closed: Promise<void>;
  /** The last socket error, if any. */
  lastError: Error | undefined;

  private peer: FrameSink | undefined;
  private readonly socket: Socket;
  private readonly maxPending: number;
  private readonly staging = new Uint8Array(STAGING_BYTES);
  private stagingUsed = 0;
  private flushScheduled = false;
  private readonly flushSoon: () => void;
  private isClosed = false;
  // reassembly of a frame split over chunks
  private readonly lenBytes = new Uint8Array(STREAM_LENGTH_PREFIX);
  private lenGot = 0;
  private frameLen = -1;
  private readonly frameBuf: Uint8Array;
  private frameGot = 0;

  /** Wraps a connected socket. Prefer {@link StreamLink.connect} and {@link StreamListener}. */
  constructor(socket: Socket, opts: StreamLinkOptions = {}) {
    this.socket = socket;
    this.mtu = opts.mtu ?? 65535;
    if (!Number.isInteger(this.mtu) || this.mtu < 1 || this.mtu > MAX_STREAM_FRAME) {
      throw new RangeError(`stream link MTU ${this.mtu} outside [1, ${MAX_STREAM_FRAME}]`);
    }
    this.maxPending = opts.maxPendingBytes ?? 4 * 1024 * 1024;
    this.frameBuf = new Uint8Array(this.mtu);
    this.flushSoon = () => {
      this.flushScheduled = false;
      this.flush();
    };
    const self = this;
    this.rx = {
      receiveFrame(bytes: Uint8Array, offset: number, length: number): boolean {
        return self.send(bytes, offset, length);
      },
    };
    socket.setNoDelay(true); // a no-op on UNIX sockets
    socket.on("data", (chunk: Buffer) => this.onData(chunk));
    socket.on("error", (err) => {
      this.counters.errors++;
      this.lastError = err;
    });
    this.closed = new Promise((resolve) => {
      socket.once("close", () => {
        this.isClosed = true;
        resolve();
      });
    });
  }

  /** Connects to a stream server (QEMU `-netdev stream,server=on`, passt's UNIX socket, a {@link StreamListener}). */
  static connect(addr: StreamAddress, opts: StreamLinkOptions = {}): Promise<StreamLink> {
    return new Promise((resolve, reject) => {
      const s =
        "path" in addr ? createConnection({ path: addr.path }) : createConnection(addr.port, addr.host);
      const onError = (err: Error) =>
        reject(new Error(`cannot connect to ${describe(addr)}: ${err.message}`));
      s.once("error", onError);
      s.once("connect", () => {
        s.off("error", onError);
        resolve(new StreamLink(s, opts));
      });
    });
  }

  /** Whether the socket has closed. */
  get isOpen(): boolean {
    return !this.isClosed && !this.socket.destroyed;
  }

  /** Plugs the end that takes incoming frames in (or unplugs). */
  connect(peer: FrameSink | undefined): void {
    this.peer = peer;
  }

  /** Queues one frame for the peer; false (and counted) when it cannot be sent. */
  send(bytes: Uint8Array, offset: number, length: number): boolean {
    const c = this.counters;
    if (this.isClosed || this.socket.destroyed || length > this.mtu || length < 0) {
      c.txDropped++;
      return false;
    }
    if (this.socket.writableLength + this.stagingUsed > this.maxPending) {
      c.txDropped++;
      return false;
    }
    const need = STREAM_LENGTH_PREFIX + length;
    if (this.stagingUsed + need > this.staging.length) this.flush();
    const s = this.staging;
    let at = this.stagingUsed;
    s[at] = length >>> 24;
    s[at + 1] = (length >>> 16) & 0xff;
    s[at + 2] = (length >>> 8) & 0xff;
    s[at + 3] = length & 0xff;
    at += STREAM_LENGTH_PREFIX;
    for (let i = 0; i < length; i++) s[at + i] = bytes[offset + i]!;
    this.stagingUsed = at + length;
    c.txFrames++;
    c.txBytes += length;
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(this.flushSoon);
    }
    return true;
  }

  /** Writes the staged frames to the socket now. */
  flush(): void {
    if (this.stagingUsed === 0) return;
    if (!this.socket.destroyed) this.socket.write(Buffer.from(this.staging.subarray(0, this.stagingUsed)));
    this.stagingUsed = 0;
  }

  /** Flushes, ends the stream and waits for the socket to close. */
  async close(): Promise<void> {
    if (!this.isClosed) {
      this.flush();
      this.socket.end();
      const t = setTimeout(() => this.socket.destroy(), 1000);
      await this.closed;
      clearTimeout(t);
    }
  }

  private deliver(bytes: Uint8Array, offset: number, length: number): void {
    const c = this.counters;
    c.rxFrames++;
    c.rxBytes += length;
    const p = this.peer;
    if (p === undefined || !p.receiveFrame(bytes, offset, length)) c.rxDropped++;
  }

  private onData(chunk: Buffer): void {
    const n = chunk.length;
    let p = 0;
    while (p < n) {
      if (this.frameLen < 0) {
        // the length prefix, possibly split over chunks
        if (this.lenGot === 0 && n - p >= STREAM_LENGTH_PREFIX) {
          this.frameLen = chunk.readUInt32BE(p);
          p += STREAM_LENGTH_PREFIX;
        } else {
          this.lenBytes[this.lenGot++] = chunk[p++]!;
          if (this.lenGot < STREAM_LENGTH_PREFIX) continue;
          const b = this.lenBytes;
          this.frameLen = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
          this.lenGot = 0;
        }
        if (this.frameLen > MAX_STREAM_FRAME) {
          // no QEMU peer sends this: the stream is out of step, give up on it
          this.counters.errors++;
          this.lastError = new Error(`stream frame length ${this.frameLen} exceeds ${MAX_STREAM_FRAME}`);
          this.socket.destroy();
          return;
        }
        this.frameGot = 0;
      }
      const len = this.frameLen;
      if (len > this.mtu) {
        // longer than we carry: skip its bytes, count it as dropped
        const take = Math.min(len - this.frameGot, n - p);
        this.frameGot += take;
        p += take;
        if (this.frameGot === len) {
          this.counters.rxFrames++;
          this.counters.rxBytes += len;
          this.counters.rxDropped++;
          this.frameLen = -1;
        }
        continue;
      }
      if (this.frameGot === 0 && n - p >= len) {
        this.deliver(chunk, p, len);
        p += len;
        this.frameLen = -1;
        continue;
      }
      const take = Math.min(len - this.frameGot, n - p);
      const f = this.frameBuf;
      const at = this.frameGot;
      for (let i = 0; i < take; i++) f[at + i] = chunk[p + i]!;
      this.frameGot += take;
      p += take;
      if (this.frameGot === len) {
        this.deliver(f, 0, len);
        this.frameLen = -1;
      }
    }
  }
}

/**
 * A stream server (QEMU `-netdev stream,server=off` or `-netdev socket,connect=` connects to it). Start
 * it before QEMU: with `server=off` QEMU does not retry.
 */
export class StreamListener {
  private readonly waiting: StreamLink[] = [];
  private readonly waiters: Array<(l: StreamLink) => void> = [];

  private constructor(
    private readonly server: Server,
    private readonly opts: StreamLinkOptions,
  ) {
    server.on("connection", (s: Socket) => {
      const link = new StreamLink(s, this.opts);
      const w = this.waiters.shift();
      if (w !== undefined) w(link);
      else this.waiting.push(link);
    });
  }

  /** Listens on a TCP address (port 0: any free port) or a UNIX path. */
  static listen(addr: StreamAddress, opts: StreamLinkOptions = {}): Promise<StreamListener> {
    return new Promise((resolve, reject) => {
      const server = createServer();
      server.once("error", (err) => reject(new Error(`cannot listen on ${describe(addr)}: ${err.message}`)));
      const ready = () => resolve(new StreamListener(server, opts));
      if ("path" in addr) server.listen(addr.path, ready);
      else server.listen(addr.port, addr.host, ready);
    });
  }

  /** Where it listens. */
  get address(): StreamAddress {
    const a = this.server.address();
    if (a === null) throw new Error("listener is closed");
    if (typeof a === "string") return { path: a };
    return { host: a.address, port: a.port };
  }

  /** The next peer that connects. */
  accept(): Promise<StreamLink> {
    const l = this.waiting.shift();
    if (l !== undefined) return Promise.resolve(l);
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Stops listening (links already accepted stay open). */
  close(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

/** A UDP address. */
export interface DgramAddress {
  host: string;
  port: number;
}

/** Options of a {@link DgramLink}. */
export interface DgramLinkOptions {
  /** Local address to bind (port 0: any free port). */
  local: DgramAddress;
  /** Where frames are sent. */
  remote: DgramAddress;
  /** Largest frame sent (default 1514, at most 65507). */
  mtu?: number;
  /** Frames that may wait for the kernel at once; more are dropped and counted. Default 256. */
  sendSlots?: number;
}

/**
 * A frame link over UDP, one frame per datagram (QEMU `-netdev dgram` / `-netdev socket,udp=`).
 * Outgoing frames are copied into a ring of buffers made once; a slot is reused when the kernel has
 * taken its datagram (send completions come back in order).
 */
export class DgramLink implements LinkEndpoint {
  /** What went through. */
  readonly counters = new LinkCounters();
  /** Largest frame sent. */
  readonly mtu: number;
  /** Sends frames to the remote address. */
  readonly rx: FrameSink;
  /** The last socket error, if any. */
  lastError: Error | undefined;

  private peer: FrameSink | undefined;
  private readonly socket: DgramSocket;
  private remote: DgramAddress;
  private readonly slots: Buffer[];
  private nextSlot = 0;
  private inFlight = 0;
  private isClosed = false;
  private readonly onSent: (err: Error | null) => void;

  private constructor(socket: DgramSocket, opts: DgramLinkOptions) {
    this.socket = socket;
    this.remote = { ...opts.remote };
    this.mtu = opts.mtu ?? 1514;
    if (!Number.isInteger(this.mtu) || this.mtu < 1 || this.mtu > MAX_DGRAM_FRAME) {
      throw new RangeError(`datagram link MTU ${this.mtu} outside [1, ${MAX_DGRAM_FRAME}]`);
    }
    const n = opts.sendSlots ?? 256;
    this.slots = Array.from({ length: n }, () => Buffer.alloc(this.mtu));
    this.onSent = (err) => {
      this.inFlight--;
      if (err) {
        this.counters.errors++;
        this.lastError = err;
      }
    };
    const self = this;
    this.rx = {
      receiveFrame(bytes: Uint8Array, offset: number, length: number): boolean {
        return self.send(bytes, offset, length);
      },
    };
    socket.on("message", (msg: Buffer) => {
      const c = this.counters;
      c.rxFrames++;
      c.rxBytes += msg.length;
      const p = this.peer;
      if (p === undefined || !p.receiveFrame(msg, 0, msg.length)) c.rxDropped++;
    });
    socket.on("error", (err) => {
      this.counters.errors++;
      this.lastError = err;
    });
  }

  /** Binds the local address and returns the link. */
  static open(opts: DgramLinkOptions): Promise<DgramLink> {
    return new Promise((resolve, reject) => {
      const type = opts.local.host.includes(":") ? "udp6" : "udp4";
      const s = createSocket({ type });
      const onError = (err: Error) =>
        reject(new Error(`cannot bind ${opts.local.host}:${opts.local.port}: ${err.message}`));
      s.once("error", onError);
      s.bind(opts.local.port, opts.local.host, () => {
        s.off("error", onError);
        try {
          resolve(new DgramLink(s, opts));
        } catch (e) {
          s.close();
          reject(e);
        }
      });
    });
  }

  /** The bound local address. */
  get localAddress(): DgramAddress {
    const a = this.socket.address();
    return { host: a.address, port: a.port };
  }

  /** Where frames are sent. */
  get remoteAddress(): DgramAddress {
    return { ...this.remote };
  }

  /** Changes where frames are sent. */
  setRemote(remote: DgramAddress): void {
    this.remote = { ...remote };
  }

  /** Plugs the end that takes incoming frames in (or unplugs). */
  connect(peer: FrameSink | undefined): void {
    this.peer = peer;
  }

  /** Sends one frame as one datagram; false (and counted) when it cannot be sent. */
  send(bytes: Uint8Array, offset: number, length: number): boolean {
    const c = this.counters;
    if (this.isClosed || length > this.mtu || length < 0 || this.inFlight === this.slots.length) {
      c.txDropped++;
      return false;
    }
    const slot = this.slots[this.nextSlot]!;
    this.nextSlot = this.nextSlot + 1 === this.slots.length ? 0 : this.nextSlot + 1;
    for (let i = 0; i < length; i++) slot[i] = bytes[offset + i]!;
    this.inFlight++;
    this.socket.send(slot, 0, length, this.remote.port, this.remote.host, this.onSent);
    c.txFrames++;
    c.txBytes += length;
    return true;
  }

  /** Closes the socket. */
  close(): Promise<void> {
    if (this.isClosed) return Promise.resolve();
    this.isClosed = true;
    return new Promise((resolve) => this.socket.close(() => resolve()));
  }
}
