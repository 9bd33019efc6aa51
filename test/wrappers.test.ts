import fc from "fast-check";
import { beforeEach, describe, expect, it } from "vitest";
import { DevError, DeviceType, type DevResult, isDevError, unwrap } from "../src/base/index.js";
import { Logger, LogLevel } from "../src/base/log.js";
import { VirtualClock } from "../src/hal/clock.js";
import { BasicHal } from "../src/hal/hal.js";
import { PhysicalMemory } from "../src/hal/phys-memory.js";
import { MemoryByteSink, PcapReader, PcapWriter } from "../src/link/pcap.js";
import { EthernetAddress } from "../src/net/ethernet-address.js";
import { BufState, NetBuf, NetBufPool } from "../src/net/net-buf.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";
import type { NetDriverOps } from "../src/net/net-driver-ops.js";
import {
  CaptureDirection,
  type CaptureSink,
  FaultInjector,
  formatFrame,
  NetDriverWrapper,
  PcapTap,
  Tracer,
} from "../src/net/wrappers/index.js";

/**
 * A loopback NIC for the tests: what is transmitted is recorded (as "the wire") and comes back as a
 * received frame in a buffer of the same pool. The TX queue holds `txQueue` frames until
 * `recycleTxBuffers`.
 */
class LoopbackNic implements NetDriverOps {
  readonly pool: NetBufPool;
  readonly wire: Uint8Array[] = [];
  rxMissed = 0;
  private readonly rxq: NetBufPtr[] = [];
  private readonly txq: NetBuf[] = [];

  constructor(
    hal: BasicHal,
    private readonly txQueue = 8,
    capacity = 64,
  ) {
    this.pool = unwrap(NetBufPool.create(hal, capacity, 2048));
  }
  deviceName(): string {
    return "loopback";
  }
  deviceType(): DeviceType {
    return DeviceType.Net;
  }
  macAddress(): EthernetAddress {
    return new EthernetAddress([2, 0, 0, 0, 0, 1]);
  }
  canTransmit(): boolean {
    return this.txq.length < this.txQueue;
  }
  canReceive(): boolean {
    return this.rxq.length > 0;
  }
  rxQueueSize(): number {
    return 16;
  }
  txQueueSize(): number {
    return this.txQueue;
  }
  recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void> {
    const b = NetBuf.fromBufPtr(rxBuf);
    if (isDevError(b)) return b;
    if (b.pool !== this.pool) return DevError.InvalidParam;
    return b.release();
  }
  recycleTxBuffers(): DevResult<void> {
    for (const b of this.txq.splice(0)) {
      b.state = BufState.Held;
      b.release();
    }
    return undefined;
  }
  transmit(txBuf: NetBufPtr): DevResult<void> {
    if (this.txq.length >= this.txQueue) return DevError.Again;
    const b = NetBuf.fromBufPtr(txBuf);
    if (isDevError(b)) return b;
    if (b.pool !== this.pool || b.state !== BufState.Held) return DevError.BadState;
    const frame = txBuf.bytes.slice(txBuf.offset, txBuf.offset + txBuf.len);
    this.wire.push(frame);
    b.state = BufState.Device;
    this.txq.push(b);
    const r = this.pool.alloc();
    if (r === undefined) {
      this.rxMissed++;
      return undefined;
    }
    r.setPacketLen(frame.length);
    r.bytes.set(frame, r.packetOffset);
    this.rxq.push(r.intoBufPtr());
    return undefined;
  }
  receive(): DevResult<NetBufPtr> {
    return this.rxq.shift() ?? DevError.Again;
  }
  allocTxBuffer(size: number): DevResult<NetBufPtr> {
    if (size > this.pool.bufferLen) return DevError.InvalidParam;
    const b = this.pool.alloc();
    if (b === undefined) return DevError.NoMemory;
    b.setPacketLen(size);
    return b.intoBufPtr();
  }
  receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    let n = 0;
    while (n < max && this.rxq.length > 0) out[n++] = this.rxq.shift()!;
    return n;
  }
  transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    for (let i = 0; i < count; i++) {
      const r = this.transmit(bufs[i]!);
      if (isDevError(r)) return r.kind === "Again" || i > 0 ? i : r;
    }
    return count;
  }
}

function makeHal(): BasicHal {
  return new BasicHal(new PhysicalMemory(2 << 20), new VirtualClock(), {
    mapMmio: () => DevError.Unsupported,
  });
}

/** An IPv4/UDP frame 10.0.0.1:1000 -> 10.0.0.2:2000 whose payload starts with `seq`. */
function udpFrame(seq: number, len = 64): Uint8Array {
  const f = new Uint8Array(len);
  f.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x08, 0x00], 0);
  f.set([0x45, 0, 0, len - 14, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
  f.set([0x03, 0xe8, 0x07, 0xd0, 0, len - 34, 0, 0], 34);
  f[42] = seq;
  for (let i = 43; i < len; i++) f[i] = (seq + i) & 0xff;
  return f;
}

function send(nic: NetDriverOps, frame: Uint8Array): DevResult<void> {
  const p = nic.allocTxBuffer(frame.length);
  if (isDevError(p)) return p;
  p.bytes.set(frame, p.offset);
  const r = nic.transmit(p);
  if (isDevError(r)) {
    // not sent: the buffer goes back to its pool
    const b = NetBuf.fromBufPtr(p);
    if (b instanceof NetBuf) b.release();
  }
  return r;
}

function receiveAll(nic: NetDriverOps): Uint8Array[] {
  const got: Uint8Array[] = [];
  for (;;) {
    const r = nic.receive();
    if (isDevError(r)) {
      expect(r.kind).toBe("Again");
      return got;
    }
    got.push(r.bytes.slice(r.offset, r.offset + r.len));
    unwrap(nic.recycleRxBuffer(r));
  }
}

let hal: BasicHal;
let nic: LoopbackNic;
beforeEach(() => {
  hal = makeHal();
  nic = new LoopbackNic(hal);
});

describe("NetDriverWrapper", () => {
  it("passes every call through", () => {
    const w = new NetDriverWrapper(nic);
    expect(w.deviceName()).toBe("loopback");
    expect(w.deviceType()).toBe(DeviceType.Net);
    expect(w.macAddress().toString()).toBe("02:00:00:00:00:01");
    expect([w.rxQueueSize(), w.txQueueSize(), w.canTransmit(), w.canReceive()]).toEqual([16, 8, true, false]);
    unwrap(send(w, udpFrame(1)));
    expect(w.canReceive()).toBe(true);
    expect(receiveAll(w)).toEqual([udpFrame(1)]);
    unwrap(w.recycleTxBuffers());
    expect(nic.pool.freeCount).toBe(64);
  });
});

describe("PcapTap", () => {
  it("records every transmitted and received frame, with one timestamp per call", () => {
    const clock = { t: 5_000_000_000, now: () => clock.t };
    const mem = new MemoryByteSink();
    const tap = new PcapTap(nic, new PcapWriter(mem), { clock });
    for (let i = 0; i < 3; i++) {
      unwrap(send(tap, udpFrame(i)));
      clock.t += 1000;
    }
    const got = receiveAll(tap);
    expect(got).toEqual([udpFrame(0), udpFrame(1), udpFrame(2)]);
    expect([tap.txCaptured, tap.rxCaptured]).toEqual([3, 3]);
    const r = new PcapReader(mem.bytes());
    const recs = [...r.records()];
    expect(recs).toHaveLength(6);
    expect(recs.map((x) => r.frame(x)[42])).toEqual([0, 1, 2, 0, 1, 2]);
    expect(recs.map((x) => r.timeNs(x))).toEqual([
      5e9,
      5e9 + 1000,
      5e9 + 2000,
      5e9 + 3000,
      5e9 + 3000,
      5e9 + 3000,
    ]);
    recs.forEach((x, i) => {
      expect(r.frame(x)).toEqual(udpFrame(i % 3));
    });
  });

  it("does not record a frame the driver refused", () => {
    const small = new LoopbackNic(hal, 2);
    const seen: number[] = [];
    const sink: CaptureSink = {
      capture(b, o, l, _t, dir) {
        seen.push(dir * 1000 + b[o + 42]!);
        expect(l).toBe(64);
      },
    };
    const tap = new PcapTap(small, sink);
    unwrap(send(tap, udpFrame(1)));
    unwrap(send(tap, udpFrame(2)));
    const r = send(tap, udpFrame(3));
    expect(r).toBe(DevError.Again);
    expect(seen).toEqual([CaptureDirection.Tx * 1000 + 1, CaptureDirection.Tx * 1000 + 2]);
    expect(tap.txCaptured).toBe(2);
  });

  it("records batches, and can leave a direction out", () => {
    const seen: Array<[number, number]> = [];
    const sink: CaptureSink = {
      capture(b, o, _l, _t, dir) {
        seen.push([dir, b[o + 42]!]);
      },
    };
    const tap = new PcapTap(nic, sink, { rx: false });
    const bufs = [1, 2, 3].map((i) => {
      const p = unwrap(tap.allocTxBuffer(64));
      p.bytes.set(udpFrame(i), p.offset);
      return p;
    });
    expect(tap.transmitBatch(bufs, 3)).toBe(3);
    const out: NetBufPtr[] = [];
    expect(tap.receiveBatch(out, 8)).toBe(3);
    expect(seen).toEqual([
      [CaptureDirection.Tx, 1],
      [CaptureDirection.Tx, 2],
      [CaptureDirection.Tx, 3],
    ]);
    const both = new PcapTap(nic, sink);
    seen.length = 0;
    for (const p of out) unwrap(nic.recycleRxBuffer(p));
    unwrap(send(both, udpFrame(9)));
    expect(both.receiveBatch(out, 8)).toBe(1);
    expect(seen).toEqual([
      [CaptureDirection.Tx, 9],
      [CaptureDirection.Rx, 9],
    ]);
  });
});

describe("Tracer", () => {
  function logger(level: LogLevel) {
    const lines: string[] = [];
    const l = new Logger();
    l.setLevel(level);
    l.sink = (lv, target, msg) => lines.push(`${lv} ${target} ${msg}`);
    return { l, lines };
  }

  it("logs one line per frame at trace level: direction, MACs, EtherType, IPv4 protocol and addresses", () => {
    const { l, lines } = logger(LogLevel.Trace);
    const t = new Tracer(nic, { logger: l });
    unwrap(send(t, udpFrame(7)));
    receiveAll(t);
    expect(lines).toEqual([
      `${LogLevel.Trace} net::tracer loopback TX 02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 10.0.0.1:1000 > 10.0.0.2:2000 UDP len 22, length 64`,
      `${LogLevel.Trace} net::tracer loopback RX 02:00:00:00:00:01 > 02:00:00:00:00:02 IPv4 10.0.0.1:1000 > 10.0.0.2:2000 UDP len 22, length 64`,
    ]);
  });

  it("logs batches, and nothing when its level is off", () => {
    const { l, lines } = logger(LogLevel.Debug);
    const quiet = new Tracer(nic, { logger: l, name: "nic0" }); // trace lines, logger at debug
    unwrap(send(quiet, udpFrame(1)));
    receiveAll(quiet);
    expect(lines).toEqual([]);
    const loud = new Tracer(nic, { logger: l, name: "nic0", level: LogLevel.Debug, target: "t" });
    const bufs = [1, 2].map((i) => {
      const p = unwrap(loud.allocTxBuffer(64));
      p.bytes.set(udpFrame(i), p.offset);
      return p;
    });
    expect(loud.transmitBatch(bufs, 2)).toBe(2);
    const out: NetBufPtr[] = [];
    expect(loud.receiveBatch(out, 4)).toBe(2);
    expect(lines.map((x) => x.split(" ").slice(0, 4).join(" "))).toEqual([
      `${LogLevel.Debug} t nic0 TX`,
      `${LogLevel.Debug} t nic0 TX`,
      `${LogLevel.Debug} t nic0 RX`,
      `${LogLevel.Debug} t nic0 RX`,
    ]);
  });
});

describe("formatFrame", () => {
  function eth(type: number, payload: number[], dst = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]): Uint8Array {
    return Uint8Array.from([...dst, 0x52, 0x54, 0, 0x12, 0x34, 0x56, type >> 8, type & 0xff, ...payload]);
  }

  it("describes ARP, ICMP, TCP, IPv6, VLAN, unknown types and runts", () => {
    const arp = eth(
      0x0806,
      [0, 1, 8, 0, 6, 4, 0, 1, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2],
    );
    expect(formatFrame(arp, 0, arp.length)).toBe(
      "52:54:00:12:34:56 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.0.2 tell 10.0.0.1, length 42",
    );
    const reply = arp.slice();
    reply[21] = 2;
    expect(formatFrame(reply, 0, reply.length)).toContain("ARP reply 10.0.0.1 is-at 52:54:00:12:34:56");
    const icmp = eth(
      0x0800,
      [0x45, 0, 0, 28, 0, 0, 0, 0, 64, 1, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2, 8, 0, 0, 0, 0, 7, 0, 3],
    );
    expect(formatFrame(icmp, 0, icmp.length)).toContain(
      "IPv4 10.0.0.1 > 10.0.0.2 ICMP echo-request id 7 seq 3, length 42",
    );
    const tcp = eth(
      0x0800,
      [0x45, 0, 0, 40, 0, 0, 0, 0, 64, 6, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 0, 80, 0x1f, 0x90],
    );
    expect(formatFrame(tcp, 0, tcp.length)).toContain("IPv4 1.2.3.4:80 > 5.6.7.8:8080 TCP");
    const v6 = eth(0x86dd, [0x60, 0, 0, 0, 0, 8, 58, 255, ...new Array(32).fill(0)]);
    expect(formatFrame(v6, 0, v6.length)).toContain("IPv6 ICMPv6");
    const vlan = eth(0x8100, [0x00, 0x05, 0x08, 0x06]);
    expect(formatFrame(vlan, 0, vlan.length)).toContain("vlan 5 ARP");
    const exp = eth(0x88b5, [1, 2, 3]);
    expect(formatFrame(exp, 0, exp.length)).toContain("local-exp1, length 17");
    const odd = eth(0x1234, []);
    expect(formatFrame(odd, 0, 14)).toContain(" 0x1234, length 14");
    expect(formatFrame(odd, 0, 10)).toBe("runt, length 10");
    expect(formatFrame(icmp, 0, 20)).toContain("IPv4 (truncated)");
    expect(formatFrame(icmp, 0, 20, 42)).toContain("length 42 (20 captured)");
  });

  it("never throws and never reads outside the frame, whatever the bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), fc.nat(130), fc.nat(130), (bytes, off, len) => {
        const s = formatFrame(bytes, Math.min(off, bytes.length), len);
        expect(typeof s).toBe("string");
        // the same frame placed elsewhere, with junk around it, reads the same
        const start = Math.min(off, bytes.length);
        const n = Math.min(len, bytes.length - start);
        const padded = new Uint8Array(n + 20).fill(0xee);
        padded.set(bytes.subarray(start, start + n), 10);
        expect(formatFrame(padded, 10, n)).toBe(formatFrame(bytes.slice(start, start + n), 0, n));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("FaultInjector", () => {
  it("drops every Nth transmitted frame, gives its buffer back, and counts", () => {
    const f = new FaultInjector(nic, { tx: { dropEvery: 3 } });
    for (let i = 1; i <= 9; i++) unwrap(send(f, udpFrame(i)));
    expect(nic.wire.map((x) => x[42])).toEqual([1, 2, 4, 5, 7, 8]);
    expect(f.txCounters).toMatchObject({ seen: 9, dropped: 3, failed: 0 });
    receiveAll(f);
    unwrap(f.recycleTxBuffers());
    expect(nic.pool.freeCount).toBe(nic.pool.capacity); // nothing leaked
  });

  it("corrupts every Nth transmitted frame (one byte inverted) and duplicates every Mth", () => {
    const f = new FaultInjector(nic, { tx: { corruptEvery: 2, duplicateEvery: 3, corruptOffset: 50 } });
    for (let i = 1; i <= 6; i++) unwrap(send(f, udpFrame(i)));
    const seqs = nic.wire.map((x) => x[42]);
    expect(seqs).toEqual([1, 2, 3, 3, 4, 5, 6, 6]);
    nic.wire.forEach((got, k) => {
      const want = udpFrame(seqs[k]!);
      if (seqs[k]! % 2 === 0) {
        expect(got[50]).toBe(want[50]! ^ 0xff);
        got[50] = want[50]!;
      }
      expect(got).toEqual(want);
    });
    expect(f.txCounters).toMatchObject({ seen: 6, corrupted: 3, duplicated: 2 });
  });

  it("a frame refused with Again is not counted twice and keeps its bytes", () => {
    const small = new LoopbackNic(hal, 2);
    const f = new FaultInjector(small, { tx: { corruptEvery: 3 } });
    unwrap(send(f, udpFrame(1)));
    unwrap(send(f, udpFrame(2)));
    const p = unwrap(f.allocTxBuffer(64));
    p.bytes.set(udpFrame(3), p.offset);
    expect(f.transmit(p)).toBe(DevError.Again); // the 3rd frame would be corrupted, but was not sent
    expect(p.bytes.slice(p.offset, p.offset + 64)).toEqual(udpFrame(3)); // flip undone
    expect(f.txCounters.seen).toBe(2);
    unwrap(f.recycleTxBuffers());
    unwrap(f.transmit(p)); // the retry is the 3rd frame: corrupted now, once
    expect(small.wire[2]![63]).toBe(udpFrame(3)[63]! ^ 0xff);
    expect(f.txCounters).toMatchObject({ seen: 3, corrupted: 1 });
  });

  it("drops every Nth received frame (recycled to the driver) and corrupts every Mth", () => {
    const f = new FaultInjector(nic, { rx: { dropEvery: 2, corruptEvery: 3 } });
    for (let i = 1; i <= 8; i++) unwrap(send(nic, udpFrame(i)));
    const got = receiveAll(f);
    expect(got.map((x) => x[42])).toEqual([1, 3, 5, 7]);
    // frames 3 (and 6, 9 …) are corrupted; 6 was dropped first
    expect(got[1]![63]).toBe(udpFrame(3)[63]! ^ 0xff);
    expect(got[0]).toEqual(udpFrame(1));
    expect(got[2]).toEqual(udpFrame(5));
    expect(f.rxCounters).toMatchObject({ seen: 8, dropped: 4, corrupted: 1 });
    unwrap(nic.recycleTxBuffers());
    expect(nic.pool.freeCount).toBe(nic.pool.capacity);
  });

  it("duplicates every Nth received frame into its own pool; the copies come back through recycleRxBuffer", () => {
    const dupPool = unwrap(NetBufPool.create(hal, 4, 2048));
    const f = new FaultInjector(nic, { rx: { duplicateEvery: 2 }, pool: dupPool });
    for (let i = 1; i <= 4; i++) unwrap(send(nic, udpFrame(i)));
    const out: NetBufPtr[] = [];
    const n = unwrap(f.receiveBatch(out, 16));
    expect(n).toBe(6);
    expect(out.slice(0, n).map((p) => p.bytes[p.offset + 42])).toEqual([1, 2, 2, 3, 4, 4]);
    expect(out[2]!.owner).toBeInstanceOf(NetBuf);
    expect((out[2]!.owner as NetBuf).pool).toBe(dupPool);
    expect(dupPool.freeCount).toBe(2);
    for (const p of out.slice(0, n)) unwrap(f.recycleRxBuffer(p));
    expect(dupPool.freeCount).toBe(4);
    unwrap(nic.recycleTxBuffers());
    expect(nic.pool.freeCount).toBe(nic.pool.capacity);
    expect(f.rxCounters).toMatchObject({ seen: 4, duplicated: 2, failed: 0 });
  });

  it("counts a duplicate it cannot make", () => {
    const dupPool = unwrap(NetBufPool.create(hal, 1, 2048));
    const f = new FaultInjector(nic, { rx: { duplicateEvery: 1 }, pool: dupPool });
    for (let i = 1; i <= 3; i++) unwrap(send(nic, udpFrame(i)));
    const got: NetBufPtr[] = [];
    for (let i = 0; i < 4; i++) got.push(unwrap(f.receive()));
    // 1, its copy (the only dup buffer), 2 (no buffer for its copy), 3 (still none)
    expect(got.map((p) => p.bytes[p.offset + 42])).toEqual([1, 1, 2, 3]);
    expect(f.rxCounters).toMatchObject({ duplicated: 1, failed: 2 });
  });

  it("refuses bad plans", () => {
    expect(() => new FaultInjector(nic, { rx: { dropEvery: -1 } })).toThrow(DevError);
    expect(() => new FaultInjector(nic, { tx: { corruptEvery: 1.5 } })).toThrow(/tx.corruptEvery/);
    expect(() => new FaultInjector(nic, { rx: { duplicateEvery: 2 } })).toThrow(/needs a pool/);
  });

  it("with no faults it passes batches straight through", () => {
    const f = new FaultInjector(nic);
    const bufs = [1, 2, 3].map((i) => {
      const p = unwrap(f.allocTxBuffer(64));
      p.bytes.set(udpFrame(i), p.offset);
      return p;
    });
    expect(f.transmitBatch(bufs, 3)).toBe(3);
    const out: NetBufPtr[] = [];
    expect(f.receiveBatch(out, 2)).toBe(2);
    expect(f.receiveBatch(out, 2)).toBe(1);
    expect(f.txCounters.seen).toBe(0);
  });
});

describe("stacked wrappers", () => {
  it("a tracer over a pcap tap over a fault injector sees what the injector lets through", () => {
    const lines: string[] = [];
    const l = new Logger();
    l.setLevel("trace");
    l.sink = (_lv, _t, msg) => lines.push(msg);
    const mem = new MemoryByteSink();
    const faults = new FaultInjector(nic, { rx: { dropEvery: 2 } });
    const stack = new Tracer(new PcapTap(faults, new PcapWriter(mem), { clock: { now: () => 0 } }), {
      logger: l,
    });
    for (let i = 1; i <= 4; i++) unwrap(send(stack, udpFrame(i)));
    const got = receiveAll(stack);
    expect(got.map((x) => x[42])).toEqual([1, 3]);
    expect(lines.filter((x) => x.includes(" TX ")).length).toBe(4);
    expect(lines.filter((x) => x.includes(" RX ")).length).toBe(2);
    expect([...new PcapReader(mem.bytes()).records()]).toHaveLength(6);
    expect(stack.deviceName()).toBe("loopback");
  });
});
