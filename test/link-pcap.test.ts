import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { type FrameSink, NicPort } from "../src/emu/frame-port.js";
import { VirtualClock } from "../src/hal/clock.js";
import {
  encodePcap,
  encodePcapFileHeader,
  MemoryByteSink,
  PcapFormatError,
  PcapReader,
  type PcapRecord,
  PcapWriter,
  replayPcap,
} from "../src/link/pcap.js";
import { PcapFileWriter, readPcapFile } from "../src/link/pcap-file.js";
import { Wire } from "../src/link/wire.js";

const dir = mkdtempSync(join(tmpdir(), "axd-pcap-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// ---- frame builders (RFC 791 / 768 / 792 / 826), with real checksums so tshark can verify them ----

function mac(s: string): number[] {
  return s.split(":").map((h) => Number.parseInt(h, 16));
}
function ip(s: string): number[] {
  return s.split(".").map(Number);
}
function checksum(b: Uint8Array, off: number, len: number, init = 0): number {
  let sum = init;
  for (let i = 0; i + 1 < len; i += 2) sum += (b[off + i]! << 8) | b[off + i + 1]!;
  if (len & 1) sum += b[off + len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}
function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v & 0xff;
}
function ethernet(dst: string, src: string, type: number, payload: Uint8Array): Uint8Array {
  const f = new Uint8Array(14 + payload.length);
  f.set(mac(dst), 0);
  f.set(mac(src), 6);
  put16(f, 12, type);
  f.set(payload, 14);
  return f;
}
function ipv4(src: string, dst: string, proto: number, l4: Uint8Array): Uint8Array {
  const p = new Uint8Array(20 + l4.length);
  p[0] = 0x45;
  put16(p, 2, p.length);
  put16(p, 4, 0x1234);
  p[8] = 64;
  p[9] = proto;
  p.set(ip(src), 12);
  p.set(ip(dst), 16);
  put16(p, 10, checksum(p, 0, 20));
  p.set(l4, 20);
  return p;
}
function udp(src: string, dst: string, sport: number, dport: number, data: Uint8Array): Uint8Array {
  const u = new Uint8Array(8 + data.length);
  put16(u, 0, sport);
  put16(u, 2, dport);
  put16(u, 4, u.length);
  u.set(data, 8);
  // pseudo header sum: addresses, protocol, UDP length
  const s = ip(src);
  const d = ip(dst);
  const pseudo =
    ((s[0]! << 8) | s[1]!) +
    ((s[2]! << 8) | s[3]!) +
    ((d[0]! << 8) | d[1]!) +
    ((d[2]! << 8) | d[3]!) +
    17 +
    u.length;
  let c = checksum(u, 0, u.length, pseudo);
  if (c === 0) c = 0xffff;
  put16(u, 6, c);
  return ipv4(src, dst, 17, u);
}
function icmpEcho(src: string, dst: string, id: number, seq: number): Uint8Array {
  const m = new Uint8Array(8 + 32);
  m[0] = 8;
  put16(m, 4, id);
  put16(m, 6, seq);
  for (let i = 8; i < m.length; i++) m[i] = i;
  put16(m, 2, checksum(m, 0, m.length));
  return ipv4(src, dst, 1, m);
}
function arpRequest(srcMac: string, srcIp: string, dstIp: string): Uint8Array {
  const a = new Uint8Array(28);
  put16(a, 0, 1);
  put16(a, 2, 0x0800);
  a[4] = 6;
  a[5] = 4;
  put16(a, 6, 1);
  a.set(mac(srcMac), 8);
  a.set(ip(srcIp), 14);
  a.set(ip(dstIp), 24);
  return a;
}

const A = "52:54:00:12:34:56";
const B = "02:00:00:ab:cd:ef";
const BCAST = "ff:ff:ff:ff:ff:ff";

function sampleFrames(): Uint8Array[] {
  const big = new Uint8Array(1500);
  for (let i = 0; i < big.length; i++) big[i] = (i * 7) & 0xff;
  return [
    ethernet(BCAST, A, 0x0806, arpRequest(A, "10.0.0.1", "10.0.0.2")),
    ethernet(B, A, 0x0800, udp("10.0.0.1", "10.0.0.2", 40000, 7777, new TextEncoder().encode("hello, pcap"))),
    ethernet(A, B, 0x0800, icmpEcho("10.0.0.2", "10.0.0.1", 0x77, 3)),
    ethernet(B, A, 0x88b5, big),
  ];
}

function tshark(args: string[]): { stdout: string; stderr: string; status: number | null } {
  const r = spawnSync("tshark", args, { encoding: "utf8" });
  if (r.error) throw new Error(`tshark is needed for this test (Debian package tshark): ${r.error.message}`);
  return { stdout: r.stdout, stderr: r.stderr, status: r.status };
}

function tsharkFields(file: string, fields: string[], extra: string[] = []): string[][] {
  const r = tshark(["-r", file, ...extra, "-T", "fields", ...fields.flatMap((f) => ["-e", f])]);
  expect(r.status, r.stderr).toBe(0);
  // tshark warns about running as root on stderr; anything else is a problem with the file
  const problems = r.stderr.split("\n").filter((l) => l.trim() !== "" && !/Running as user "root"/.test(l));
  expect(problems).toEqual([]);
  return r.stdout
    .trim()
    .split("\n")
    .map((l) => l.split("\t"));
}

describe("pcap encoder", () => {
  it("writes the libpcap file header: magic a1b2c3d4, v2.4, snaplen 65535, Ethernet", () => {
    expect(Array.from(encodePcapFileHeader())).toEqual([
      0xd4, 0xc3, 0xb2, 0xa1, 2, 0, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 0, 0,
    ]);
    expect(Array.from(encodePcapFileHeader({ nanosecond: true }).subarray(0, 4))).toEqual([
      0x4d, 0x3c, 0xb2, 0xa1,
    ]);
  });

  it("writes record headers with seconds, microseconds, captured and original lengths", () => {
    const sink = new MemoryByteSink(64);
    const w = new PcapWriter(sink);
    const mem = new Uint8Array(200);
    for (let i = 0; i < 200; i++) mem[i] = i;
    w.writeFrame(mem, 50, 60, 1_700_000_000_123_456_800); // exact as a double
    const b = sink.bytes();
    expect(b.length).toBe(24 + 16 + 60);
    const v = new DataView(b.buffer, b.byteOffset);
    expect(v.getUint32(24, true)).toBe(1_700_000_000);
    expect(v.getUint32(28, true)).toBe(123_457); // 123456.8 µs, rounded
    expect(v.getUint32(32, true)).toBe(60);
    expect(v.getUint32(36, true)).toBe(60);
    expect(Array.from(b.subarray(40, 100))).toEqual(Array.from(mem.subarray(50, 110)));
    expect(w.frames).toBe(1);
    expect(w.bytesWritten).toBe(100);
  });

  it("a time just below a whole second rounds up into the next second, not to 1000000 µs", () => {
    const r = new PcapReader(
      encodePcap([new Uint8Array(60), new Uint8Array(60)], [1_999_999_700, 1_999_999_400]),
    );
    const [a, b] = [...r.records()];
    expect([a!.tsSec, a!.tsFrac]).toEqual([2, 0]);
    expect([b!.tsSec, b!.tsFrac]).toEqual([1, 999_999]);
  });

  it("cuts frames at the snaplen and keeps their original length", () => {
    const bytes = encodePcap([new Uint8Array(300)], [0], { snaplen: 128 });
    const r = new PcapReader(bytes);
    const rec: PcapRecord = { tsSec: 0, tsFrac: 0, inclLen: 0, origLen: 0, offset: 0 };
    expect(r.header.snaplen).toBe(128);
    expect(r.next(rec)).toBe(true);
    expect(rec).toMatchObject({ inclLen: 128, origLen: 300 });
  });

  it("nanosecond files carry nanoseconds", () => {
    const bytes = encodePcap([new Uint8Array(60)], [5_000_000_123], { nanosecond: true });
    const r = new PcapReader(bytes);
    const [rec] = [...r.records()];
    expect(r.header.nanosecond).toBe(true);
    expect(rec).toMatchObject({ tsSec: 5, tsFrac: 123 });
    expect(r.timeNs(rec!)).toBe(5_000_000_123);
  });
});

describe("pcap reader", () => {
  it("round-trips frames, lengths and timestamps", () => {
    const frames = sampleFrames();
    const times = [0, 1_000, 2_500_000, 3_000_000_001_000];
    const r = new PcapReader(encodePcap(frames, times));
    expect(r.header).toEqual({
      littleEndian: true,
      nanosecond: false,
      versionMajor: 2,
      versionMinor: 4,
      thiszone: 0,
      snaplen: 65535,
      linktype: 1,
    });
    const recs = [...r.records()];
    expect(recs).toHaveLength(4);
    recs.forEach((rec, i) => {
      expect(r.frame(rec)).toEqual(frames[i]);
      expect(rec.origLen).toBe(frames[i]!.length);
      expect(r.timeNs(rec)).toBe(times[i]);
    });
    r.rewind();
    expect([...r.records()]).toHaveLength(4);
  });

  it("reads big-endian files (microsecond and nanosecond magic)", () => {
    for (const nano of [false, true]) {
      const frame = sampleFrames()[1]!;
      const le = encodePcap([frame], [7_000_000_009_000], { nanosecond: nano });
      // the same file as a big-endian host writes it: every header field byte-swapped
      const be = le.slice();
      const swap = (off: number, n: number) => be.subarray(off, off + n).reverse();
      swap(0, 4);
      swap(4, 2);
      swap(6, 2);
      swap(8, 4);
      swap(12, 4);
      swap(16, 4);
      swap(20, 4);
      for (let o = 24; o < 40; o += 4) swap(o, 4);
      const r = new PcapReader(be);
      expect(r.header).toMatchObject({ littleEndian: false, nanosecond: nano, versionMajor: 2, linktype: 1 });
      const [rec] = [...r.records()];
      expect(rec!.tsSec).toBe(7000);
      expect(rec!.tsFrac).toBe(nano ? 9000 : 9);
      expect(r.frame(rec!)).toEqual(frame);
    }
  });

  it("refuses what is not a capture, and truncated records", () => {
    expect(() => new PcapReader(new Uint8Array(10))).toThrow(PcapFormatError);
    expect(() => new PcapReader(new Uint8Array(24))).toThrow(/magic/);
    const good = encodePcap(sampleFrames());
    const cut = new PcapReader(good.subarray(0, good.length - 5));
    expect(() => [...cut.records()]).toThrow(/truncated record/);
    const cutHeader = new PcapReader(good.subarray(0, 24 + 10));
    expect(() => [...cutHeader.records()]).toThrow(/truncated record header/);
    const lying = good.slice();
    new DataView(lying.buffer).setUint32(24 + 8, 0x7fffffff, true);
    expect(() => [...new PcapReader(lying).records()]).toThrow(PcapFormatError);
  });

  it("replays a capture into a frame sink", () => {
    const frames = sampleFrames();
    const got: Uint8Array[] = [];
    const sink: FrameSink = {
      receiveFrame(b, o, l) {
        got.push(b.slice(o, o + l));
        return l < 1000;
      },
    };
    const res = replayPcap(new PcapReader(encodePcap(frames)), sink);
    expect(res).toEqual({ frames: 4, accepted: 3, refused: 1, truncated: 0 });
    expect(got).toEqual(frames);
    expect(replayPcap(new PcapReader(encodePcap(frames)), sink, 2).frames).toBe(2);
  });
});

describe("pcap files read by tshark", () => {
  it("tshark reads our file without complaint and sees every frame and field", () => {
    const file = join(dir, "sample.pcap");
    const w = new PcapFileWriter(file);
    const frames = sampleFrames();
    const base = 1_700_000_000_000_000_000;
    frames.forEach((f, i) => {
      w.writeFrame(f, 0, f.length, base + i * 1_001_000);
    });
    w.close();
    expect(readFileSync(file).length).toBe(24 + frames.reduce((s, f) => s + 16 + f.length, 0));
    const rows = tsharkFields(file, ["frame.len", "eth.src", "eth.dst", "eth.type", "frame.time_epoch"]);
    expect(rows.map((r) => r.slice(0, 4))).toEqual([
      ["42", A, BCAST, "0x0806"],
      ["53", A, B, "0x0800"],
      ["74", B, A, "0x0800"],
      ["1514", A, B, "0x88b5"],
    ]);
    // microsecond timestamps, exact although epoch nanoseconds are not exact as doubles
    expect(rows.map((r) => r[4])).toEqual([
      "1700000000.000000000",
      "1700000000.001001000",
      "1700000000.002002000",
      "1700000000.003003000",
    ]);
    // the upper layers, with checksum verification on
    const upper = tsharkFields(
      file,
      [
        "arp.dst.proto_ipv4",
        "ip.src",
        "ip.dst",
        "ip.checksum.status",
        "udp.dstport",
        "udp.checksum.status",
        "icmp.type",
        "icmp.checksum.status",
      ],
      ["-o", "ip.check_checksum:TRUE", "-o", "udp.check_checksum:TRUE"],
    );
    expect(upper[0]![0]).toBe("10.0.0.2");
    expect(upper[1]!.slice(1, 6)).toEqual(["10.0.0.1", "10.0.0.2", "1", "7777", "1"]); // 1 = good
    expect(upper[2]!.slice(1, 4)).toEqual(["10.0.0.2", "10.0.0.1", "1"]);
    expect(upper[2]!.slice(6, 8)).toEqual(["8", "1"]);
    // and tshark's own reader agrees with ours
    const ours = [...readPcapFile(file).records()].map((r) => r.origLen);
    expect(ours).toEqual([42, 53, 74, 1514]);
  });

  it("tshark reads nanosecond and snaplen-cut files", () => {
    const file = join(dir, "nano-cut.pcap");
    writeFileSync(
      file,
      encodePcap([sampleFrames()[3]!], [1_234_567_891], { nanosecond: true, snaplen: 100 }),
    );
    const rows = tsharkFields(file, ["frame.len", "frame.cap_len", "frame.time_epoch", "eth.type"]);
    expect(rows).toEqual([["1514", "100", "1.234567891", "0x88b5"]]);
  });

  it("a wire tap records the frames crossing a wire, in both directions", () => {
    const file = join(dir, "wire.pcap");
    const clock = new VirtualClock();
    const w = new PcapFileWriter(file, { timeOffsetNs: 1_600_000_000_000_000_000 });
    const sinkA: FrameSink = { receiveFrame: () => true };
    const sinkB: FrameSink = { receiveFrame: () => true };
    const a = new NicPort(sinkA);
    const b = new NicPort(sinkB);
    new Wire(a, b, { clock, tap: w, corruptEvery: 4 });
    const frames = sampleFrames();
    for (let i = 0; i < 8; i++) {
      const f = frames[i % 4]!;
      (i % 2 === 0 ? a : b).transmit(f, 0, f.length);
      clock.advance(250_000);
    }
    w.close();
    expect(w.frames).toBe(8);
    const rows = tsharkFields(file, ["frame.len", "eth.type", "frame.time_relative"]);
    expect(rows.map((r) => r[0])).toEqual(["42", "53", "74", "1514", "42", "53", "74", "1514"]);
    expect(rows[7]![2]).toBe("0.001750000");
    // the fourth frame of each direction was corrupted on the wire: the capture shows what arrived
    const r = readPcapFile(file);
    const recs = [...r.records()];
    const last = recs[7]!;
    expect(r.bytes[last.offset + last.inclLen - 1]).toBe(frames[3]![1513]! ^ 0xff);
    expect(new Uint8Array(r.frame(recs[3]!))).toEqual(frames[3]); // b's 2nd frame: intact
  });

  it("tshark rejects a file we break (the check can fail)", () => {
    const file = join(dir, "broken.pcap");
    const bytes = encodePcap(sampleFrames());
    writeFileSync(file, bytes.subarray(0, bytes.length - 7));
    const r = tshark(["-r", file, "-T", "fields", "-e", "frame.len"]);
    expect(`${r.stderr}`).toMatch(/cut short|appears to have been cut|truncated/i);
  });
});

describe("tshark itself", () => {
  it("is installed (Debian tshark, installed by .ci/run)", () => {
    expect(execFileSync("tshark", ["--version"], { encoding: "utf8" })).toMatch(/TShark/);
  });
});
