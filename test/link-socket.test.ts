import { createSocket } from "node:dgram";
import { mkdtempSync, rmSync } from "node:fs";
import { createConnection, createServer, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FrameSink, NicPort } from "../src/emu/frame-port.js";
import { DgramLink, StreamLink, StreamListener } from "../src/link/socket.js";
import { Wire } from "../src/link/wire.js";

// Loopback only: every socket here binds or connects to 127.0.0.1 or a UNIX path in a temp directory.
const HOST = "127.0.0.1";
const dir = mkdtempSync(join(tmpdir(), "axd-sock-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

class Collector implements FrameSink {
  frames: Uint8Array[] = [];
  accept = true;
  private waiters: Array<{ n: number; resolve: () => void }> = [];
  receiveFrame(bytes: Uint8Array, offset: number, length: number): boolean {
    if (!this.accept) return false;
    const copy = new Uint8Array(length); // a plain Uint8Array, also when the bytes are a Buffer
    copy.set(bytes.subarray(offset, offset + length));
    this.frames.push(copy);
    this.waiters = this.waiters.filter((w) => {
      if (this.frames.length >= w.n) w.resolve();
      return this.frames.length < w.n;
    });
    return true;
  }
  /** Resolves once `n` frames have arrived (fails the test after 5 s). */
  waitFor(n: number): Promise<void> {
    if (this.frames.length >= n) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const t = setTimeout(
        () => reject(new Error(`only ${this.frames.length} of ${n} frames arrived`)),
        5000,
      );
      this.waiters.push({
        n,
        resolve: () => {
          clearTimeout(t);
          resolve();
        },
      });
    });
  }
}

function frame(len: number, seq: number): Uint8Array {
  const f = new Uint8Array(len);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5], 0);
  f[14] = seq & 0xff;
  for (let i = 15; i < len; i++) f[i] = (seq * 31 + i) & 0xff;
  return f;
}

function tick(ms = 20): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

async function streamPair(addr: { host: string; port: number } | { path: string }) {
  const listener = await StreamListener.listen(addr);
  const accepted = listener.accept();
  const client = await StreamLink.connect(listener.address);
  const server = await accepted;
  return { listener, client, server };
}

describe("StreamLink (QEMU -netdev stream framing)", () => {
  it("carries frames both ways over TCP on 127.0.0.1, whole and in order", async () => {
    const { listener, client, server } = await streamPair({ host: HOST, port: 0 });
    const atServer = new Collector();
    const atClient = new Collector();
    server.connect(atServer);
    client.connect(atClient);
    const sizes = [60, 61, 1514, 9000, 14, 65535];
    const sent = sizes.map((n, i) => frame(n, i));
    // a frame in the middle of a bigger buffer (as DMA memory is)
    const mem = new Uint8Array(100_000);
    sent.forEach((f, i) => {
      mem.set(f, 1000);
      expect(client.rx.receiveFrame(mem, 1000, f.length)).toBe(true);
      expect(server.send(f, 0, f.length)).toBe(true);
      mem.fill(i); // the link copied it at once
    });
    await Promise.all([atServer.waitFor(sizes.length), atClient.waitFor(sizes.length)]);
    expect(atServer.frames).toEqual(sent);
    expect(atClient.frames).toEqual(sent);
    const bytes = sizes.reduce((a, b) => a + b, 0);
    expect(client.counters).toMatchObject({
      txFrames: 6,
      txBytes: bytes,
      rxFrames: 6,
      rxBytes: bytes,
      rxDropped: 0,
    });
    expect(server.counters).toMatchObject({ txFrames: 6, rxFrames: 6, errors: 0 });
    await client.close();
    await server.closed;
    expect(server.isOpen).toBe(false);
    expect(server.send(frame(60, 0), 0, 60)).toBe(false);
    expect(server.counters.txDropped).toBe(1);
    await listener.close();
  });

  it("puts a 4-byte big-endian length before every frame on the wire", async () => {
    const chunks: Buffer[] = [];
    const server = createServer((s) => s.on("data", (d) => chunks.push(d)));
    await new Promise<void>((r) => server.listen(0, HOST, r));
    const port = (server.address() as { port: number }).port;
    const link = await StreamLink.connect({ host: HOST, port });
    link.send(frame(60, 1), 0, 60);
    link.send(frame(300, 2), 0, 300);
    link.flush();
    await tick(100);
    const all = Buffer.concat(chunks);
    expect(all.length).toBe(4 + 60 + 4 + 300);
    expect([...all.subarray(0, 4)]).toEqual([0, 0, 0, 60]);
    expect(new Uint8Array(all.subarray(4, 64))).toEqual(frame(60, 1));
    expect([...all.subarray(64, 68)]).toEqual([0, 0, 1, 0x2c]);
    expect(new Uint8Array(all.subarray(68))).toEqual(frame(300, 2));
    await link.close();
    await new Promise<void>((r) => server.close(() => r()));
  });

  it("reassembles frames split anywhere, even byte by byte, and skips frames over its MTU", async () => {
    const listener = await StreamListener.listen({ host: HOST, port: 0 }, { mtu: 1514 });
    const addr = listener.address as { host: string; port: number };
    const raw: Socket = createConnection(addr.port, addr.host);
    await new Promise<void>((r) => raw.once("connect", () => r()));
    const link = await listener.accept();
    const got = new Collector();
    link.connect(got);
    const frames = [frame(60, 1), frame(2000, 2), frame(1514, 3), frame(100, 4)];
    const stream = Buffer.concat(
      frames.flatMap((f) => {
        const h = Buffer.alloc(4);
        h.writeUInt32BE(f.length);
        return [h, Buffer.from(f)];
      }),
    );
    // byte by byte for the first 70 bytes, then in odd pieces
    for (let i = 0; i < 70; i++) {
      raw.write(stream.subarray(i, i + 1));
      await tick(1);
    }
    for (let p = 70; p < stream.length; p += 333) {
      raw.write(stream.subarray(p, Math.min(p + 333, stream.length)));
      await tick(2);
    }
    await got.waitFor(3);
    expect(got.frames).toEqual([frames[0], frames[2], frames[3]]);
    expect(link.counters).toMatchObject({ rxFrames: 4, rxDropped: 1, errors: 0 });
    raw.destroy();
    await link.closed;
    await listener.close();
  });

  it("drops the connection when the length is impossible (stream out of step)", async () => {
    const listener = await StreamListener.listen({ host: HOST, port: 0 });
    const addr = listener.address as { host: string; port: number };
    const raw = createConnection(addr.port, addr.host);
    const link = await listener.accept();
    raw.write(Buffer.from([0x7f, 0, 0, 0, 1, 2, 3]));
    await link.closed;
    expect(link.counters.errors).toBe(1);
    expect(link.lastError?.message).toMatch(/exceeds 69632/);
    raw.destroy();
    await listener.close();
  });

  it("counts frames nobody takes", async () => {
    const { listener, client, server } = await streamPair({ host: HOST, port: 0 });
    const refuse = new Collector();
    refuse.accept = false;
    server.connect(refuse);
    client.send(frame(60, 1), 0, 60);
    client.send(frame(60, 2), 0, 60);
    await tick(100);
    expect(server.counters).toMatchObject({ rxFrames: 2, rxDropped: 2 });
    expect(client.send(frame(70000, 0), 0, 70000)).toBe(false); // over the MTU
    expect(client.counters.txDropped).toBe(1);
    await client.close();
    await listener.close();
  });

  it("works over a UNIX stream socket (QEMU addr.type=unix, passt)", async () => {
    const { listener, client, server } = await streamPair({ path: join(dir, "link.sock") });
    const got = new Collector();
    server.connect(got);
    for (let i = 0; i < 100; i++) client.send(frame(60 + i, i), 0, 60 + i);
    await got.waitFor(100);
    expect(got.frames.map((f) => f.length)).toEqual(Array.from({ length: 100 }, (_, i) => 60 + i));
    expect(got.frames[57]).toEqual(frame(117, 57));
    await client.close();
    await listener.close();
  });

  it("joins two emulated NIC ports through wires and a socket", async () => {
    // NIC port A --wire-- StreamLink client ==TCP== StreamLink server --wire-- NIC port B
    const { listener, client, server } = await streamPair({ host: HOST, port: 0 });
    const atA = new Collector();
    const atB = new Collector();
    const portA = new NicPort(atA);
    const portB = new NicPort(atB);
    const w1 = new Wire(portA, client);
    const w2 = new Wire(portB, server);
    expect(w1.mtu).toBe(1514);
    for (let i = 0; i < 50; i++) {
      expect(portA.transmit(frame(64, i), 0, 64)).toBe(true);
      expect(portB.transmit(frame(1514, i), 0, 1514)).toBe(true);
    }
    await Promise.all([atA.waitFor(50), atB.waitFor(50)]);
    expect(atB.frames[49]).toEqual(frame(64, 49));
    expect(atA.frames[49]).toEqual(frame(1514, 49));
    expect(w1.aToB.frames).toBe(50);
    expect(w2.bToA.frames).toBe(50); // server -> port B
    await client.close();
    await listener.close();
  });
});

describe("DgramLink (QEMU -netdev dgram framing)", () => {
  it("sends one frame per datagram and receives datagrams as frames", async () => {
    const a = await DgramLink.open({ local: { host: HOST, port: 0 }, remote: { host: HOST, port: 9 } });
    const b = await DgramLink.open({ local: { host: HOST, port: 0 }, remote: a.localAddress });
    a.setRemote(b.localAddress);
    const atA = new Collector();
    const atB = new Collector();
    a.connect(atA);
    b.connect(atB);
    const sent = [60, 1514, 14, 100].map((n, i) => frame(n, i));
    for (const f of sent) {
      expect(a.send(f, 0, f.length)).toBe(true);
      expect(b.rx.receiveFrame(f, 0, f.length)).toBe(true);
    }
    await Promise.all([atA.waitFor(4), atB.waitFor(4)]);
    // UDP on loopback keeps order in practice; compare as sets of frames to be safe
    const key = (f: Uint8Array) => Buffer.from(f).toString("hex");
    expect(atB.frames.map(key).sort()).toEqual(sent.map(key).sort());
    expect(atA.frames.map(key).sort()).toEqual(sent.map(key).sort());
    expect(a.counters).toMatchObject({ txFrames: 4, rxFrames: 4, txBytes: 1688, errors: 0 });
    expect(a.send(frame(1515, 0), 0, 1515)).toBe(false); // over the MTU
    expect(a.counters.txDropped).toBe(1);
    await a.close();
    await b.close();
  });

  it("each frame is exactly one datagram with the frame's bytes", async () => {
    const raw = createSocket("udp4");
    const msgs: Buffer[] = [];
    raw.on("message", (m) => msgs.push(m));
    await new Promise<void>((r) => raw.bind(0, HOST, () => r()));
    const link = await DgramLink.open({
      local: { host: HOST, port: 0 },
      remote: { host: HOST, port: raw.address().port },
    });
    const mem = new Uint8Array(4000);
    mem.set(frame(77, 5), 123);
    link.send(mem, 123, 77);
    link.send(frame(1514, 6), 0, 1514);
    for (let i = 0; i < 50 && msgs.length < 2; i++) await tick(10);
    expect(msgs.map((m) => m.length)).toEqual([77, 1514]);
    expect(new Uint8Array(msgs[0]!)).toEqual(frame(77, 5));
    expect(new Uint8Array(msgs[1]!)).toEqual(frame(1514, 6));
    // and a datagram from outside arrives as one frame
    const got = new Collector();
    link.connect(got);
    raw.send(Buffer.from(frame(90, 7)), link.localAddress.port, HOST);
    await got.waitFor(1);
    expect(got.frames[0]).toEqual(frame(90, 7));
    await link.close();
    raw.close();
  });

  it("drops and counts when every send slot is waiting", async () => {
    const link = await DgramLink.open({
      local: { host: HOST, port: 0 },
      remote: { host: HOST, port: 9 },
      sendSlots: 4,
    });
    // all in one turn of the event loop: no completion can come back in between
    const results = Array.from({ length: 6 }, (_, i) => link.send(frame(60, i), 0, 60));
    expect(results).toEqual([true, true, true, true, false, false]);
    expect(link.counters.txDropped).toBe(2);
    await tick(50);
    expect(link.send(frame(60, 9), 0, 60)).toBe(true); // slots came back
    await link.close();
  });
});
