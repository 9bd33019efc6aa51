// Smoke tests of the axdriver commands on the emulated machine: probe, pktgen, fwd (with captures read back
// by tshark and by our reader), bench with a tiny matrix (JSON and SVG).
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { PcapRecord } from "../src/link/pcap.js";
import { readPcapFile } from "../src/link/pcap-file.js";
import { FrameVerdict, ParsedFrame, parseTestFrame } from "../src/net/traffic/test-frame.js";
import { cli } from "./cli-fixture.js";

const dir = mkdtempSync(join(tmpdir(), "axd-cmd-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const tshark = spawnSync("tshark", ["-v"], { encoding: "utf8" }).status === 0;

/** tshark's fields of every frame of a capture (tab-separated), or undefined without tshark. */
function tsharkFields(file: string, fields: string[]): string[][] | undefined {
  if (!tshark) return undefined;
  const r = spawnSync("tshark", ["-r", file, "-T", "fields", ...fields.flatMap((f) => ["-e", f])], {
    encoding: "utf8",
    maxBuffer: 1 << 30,
  });
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).not.toMatch(/appears to be damaged|cut short|isn't a capture file|error/i);
  return r.stdout
    .trim()
    .split("\n")
    .filter((l) => l !== "")
    .map((l) => l.split("\t"));
}

/** A number printed after `label` in `text`. */
function num(text: string, re: RegExp): number {
  const m = re.exec(text);
  expect(m, `${re} in\n${text}`).not.toBeNull();
  return Number(m![1]);
}

describe("axdriver probe", () => {
  it("lists all five NIC kinds with the tree, MACs, queue sizes and link state", async () => {
    const r = await cli(["probe"]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const t = r.text;
    // the tree: platform, virtio-mmio, PCI with assigned BARs
    expect(t).toMatch(/^platform\n {2}cdns,phytium-gem-1\.0@0x3200c000 -> fxmac/m);
    expect(t).toMatch(/^virtio-mmio\n {2}virtio-mmio@0xa000000 -> virtio-net/m);
    expect(t).toMatch(/ {2}00:01\.0 1af4:1041 \(class 02\.00\) -> virtio-net\n {4}BAR 1: MEM \[0x40000000, /);
    expect(t).toMatch(
      / {2}00:02\.0 1af4:1000 \(class 02\.00\) -> virtio-net\n {4}BAR 0: IO {2}\[0x1000, 0x1040\)/,
    );
    expect(t).toMatch(
      / {2}00:03\.0 8086:10fb \(class 02\.00\) -> ixgbe\n {4}BAR 0: MEM \[0x[0-9a-f]+, 0x[0-9a-f]+\) 64bit/,
    );
    const devices = r.out.slice(r.out.indexOf("devices (5):") + 1);
    expect(devices).toHaveLength(5);
    const want: [string, string, string, string, string][] = [
      ["virtio-net-pci", "00:01.0", "52:54:00:12:34:00", "rx 64 tx 64", "link up"],
      ["virtio-net-legacy", "00:02.0", "52:54:00:12:34:01", "rx 64 tx 64", "link up"],
      ["virtio-net-mmio", "virtio-mmio@0xa000000", "52:54:00:12:34:02", "rx 64 tx 64", "link up"],
      ["ixgbe", "00:03.0", "02:1b:21:00:00:03", "rx 1024 tx 1024", "link up 10000 Mbit/s"],
      [
        "fxmac",
        "cdns,phytium-gem-1.0@0x3200c000",
        "02:fa:c0:00:00:04",
        "rx 64 tx 64",
        "link up 1000 Mbit/s full duplex",
      ],
    ];
    want.forEach(([kind, where, mac, queues, link], i) => {
      const cols = devices[i]!.trim().split(/ {2,}/);
      expect(cols[0]).toBe(`net${i}`);
      expect(cols[1]).toBe(kind);
      expect(cols[2]).toBe(where);
      expect(cols[4]).toBe(mac);
      expect(cols[5]).toBe(queues);
      expect(cols[6]).toBe(link);
    });
  });

  it("--devices picks the NICs (repeats allowed) and --queue-size reaches every driver", async () => {
    const r = await cli(["probe", "--devices", "fxmac,ixgbe,fxmac,virtio-net-mmio", "--queue-size", "128"]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("emulated machine with 4 NICs: fxmac, ixgbe, fxmac, virtio-net-mmio");
    const devices = r.out.slice(r.out.indexOf("devices (4):") + 1);
    expect(devices.map((l) => l.trim().split(/ {2,}/)[1])).toEqual([
      "fxmac",
      "ixgbe",
      "fxmac#2",
      "virtio-net-mmio",
    ]);
    expect(devices[2]).toContain("cdns,phytium-gem-1.0@0x3200e000");
    for (const l of devices) expect(l).toContain("rx 128 tx 128");
  });
});

describe("axdriver pktgen", () => {
  for (const nic of ["virtio-net-pci", "virtio-net-legacy", "virtio-net-mmio", "ixgbe", "fxmac"] as const) {
    it(`${nic}: stats lines, a summary and every frame checked`, async () => {
      const r = await cli([
        "pktgen",
        "--nic",
        nic,
        "--duration",
        "300ms",
        "--batch",
        "16",
        "--queue-size",
        "64",
      ]);
      expect(r.err).toEqual([]);
      expect(r.code).toBe(0);
      expect(r.out[0]).toBe(`pktgen: 60-byte frames, batch 16, queue 64, 0.3 s (${nic} -> wire -> ${nic}#2)`);
      expect(r.text).toMatch(/^summary after 0\.\d\d s:$/m);
      const sent = num(r.text, new RegExp(`^ {2}${nic} +RX 0 frames 0 bytes .* TX (\\d+) frames`, "m"));
      expect(sent).toBeGreaterThan(0);
      expect(num(r.text, new RegExp(`^ {2}${nic}#2 +RX (\\d+) frames ${sent * 60} bytes`, "m"))).toBe(sent);
      expect(r.text).toContain(
        `  ${nic} -> ${nic}#2  sent ${sent}, good ${sent}, lost 0, corrupt 0, out of order 0  OK`,
      );
    });
  }

  it("--pcap: the capture holds every frame sent, and tshark reads it with the expected fields", async () => {
    const file = join(dir, "pktgen.pcap");
    const r = await cli([
      "pktgen",
      "--nic",
      "ixgbe",
      "--frame-size",
      "128",
      "--batch",
      "4",
      "--duration",
      "150ms",
      "--pcap",
      file,
    ]);
    expect(r.code).toBe(0);
    const sent = num(r.text, /sent (\d+), good/);
    expect(r.text).toContain(`capture: ${sent} frames written to ${file}`);
    // our reader: every record a good test frame of stream 0, sequence numbers 0..sent-1 in order
    const reader = readPcapFile(file);
    const rec: PcapRecord = { tsSec: 0, tsFrac: 0, inclLen: 0, origLen: 0, offset: 0 };
    const parsed = new ParsedFrame();
    let n = 0;
    while (reader.next(rec)) {
      expect(rec.origLen).toBe(128);
      expect(parseTestFrame(reader.bytes, rec.offset, rec.inclLen, parsed)).toBe(FrameVerdict.Good);
      expect(parsed.seq).toBe(n);
      n++;
    }
    expect(n).toBe(sent);
    const rows = tsharkFields(file, ["frame.len", "eth.src", "eth.dst", "eth.type", "data.data"]);
    if (rows === undefined) return;
    expect(rows).toHaveLength(sent);
    expect(rows[0]!.slice(0, 4)).toEqual(["128", "02:1b:21:00:00:00", "02:1b:21:00:00:01", "0x88b5"]);
    // "AXDT", stream 0, sequence number, length 128
    expect(rows[0]![4]!.slice(0, 24)).toBe("415844540000000000000080");
    expect(rows[sent - 1]![4]!.slice(0, 20)).toBe(`415844540000${(sent - 1).toString(16).padStart(8, "0")}`);
    for (const row of rows) expect(row.slice(0, 4)).toEqual(rows[0]!.slice(0, 4));
  });

  it("--corrupt-every: damaged frames are caught, exit 1 with one line", async () => {
    const r = await cli(["pktgen", "--nic", "fxmac", "--duration", "150ms", "--corrupt-every", "25"]);
    expect(r.code).toBe(1);
    const m =
      /sent (\d+), good (\d+), lost 0, corrupt (\d+), out of order 0, corrupted on the wire (\d+) {2}FAILED$/m.exec(
        r.text,
      );
    expect(m, r.text).not.toBeNull();
    const [sent, good, corrupt, onWire] = [m![1], m![2], m![3], m![4]].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    expect(corrupt).toBe(Math.floor(sent / 25));
    expect(onWire).toBe(corrupt);
    expect(good + corrupt).toBe(sent);
    expect(r.err).toEqual([
      `axdriver: pktgen: integrity check FAILED: ${corrupt} corrupt, 0 out of order, 0 driver errors`,
    ]);
  });

  it("a capture file that cannot be written: one line, exit code 1", async () => {
    const file = join(dir, "no", "such", "dir.pcap");
    const r = await cli(["pktgen", "--duration", "100ms", "--pcap", file]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`axdriver: cannot write ${file}: ENOENT`]);
  });
});

describe("axdriver fwd", () => {
  it("forwards both ways between mixed NICs, touching each frame; every frame checked", async () => {
    const r = await cli([
      "fwd",
      "--nics",
      "virtio-net-pci,fxmac",
      "--duration",
      "300ms",
      "--frame-size",
      "256",
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe("fwd: virtio-net-pci <-> fxmac, 256-byte frames, batch 32, queue 256, 0.3 s");
    const ab = num(r.text, /^forwarded: (\d+) virtio-net-pci => fxmac/m);
    const ba = num(r.text, /, (\d+) fxmac => virtio-net-pci;/);
    expect(ab).toBeGreaterThan(0);
    expect(ba).toBeGreaterThan(0);
    expect(r.text).toContain(
      `virtio-net-pci#2 -> virtio-net-pci => fxmac -> fxmac#2  sent ${ab}, good ${ab}, lost 0, corrupt 0, out of order 0  OK`,
    );
    expect(r.text).toContain(
      `fxmac#2 -> fxmac => virtio-net-pci -> virtio-net-pci#2  sent ${ba}, good ${ba}, lost 0, corrupt 0, out of order 0  OK`,
    );
    // the forwarding NICs: what one receives the other sends
    expect(num(r.text, /^ {2}virtio-net-pci +RX (\d+) frames/m)).toBe(ab);
    expect(num(r.text, /^ {2}fxmac +RX \d+ frames \d+ bytes .* TX (\d+) frames/m)).toBe(ab);
  });

  it("overload: frames a full receive ring refuses are counted as drops, status DROPS, exit 0", async () => {
    const r = await cli([
      "fwd",
      "--nics",
      "ixgbe,fxmac",
      "--queue-size",
      "8",
      "--batch",
      "256",
      "--duration",
      "200ms",
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const m =
      /^ {2}fxmac#2 -> fxmac => ixgbe -> ixgbe#2 {2}sent (\d+), good (\d+), lost (\d+), corrupt 0, out of order 0, wire drops (\d+) {2}DROPS$/m.exec(
        r.text,
      );
    expect(m, r.text).not.toBeNull();
    const [sent, good, lost, wireDrops] = [m![1], m![2], m![3], m![4]].map(Number) as [
      number,
      number,
      number,
      number,
    ];
    expect(lost).toBeGreaterThan(0);
    expect(good + lost).toBe(sent);
    // every lost frame was refused by fxmac's receive ring, and fxmac's summary line says so
    expect(wireDrops).toBe(lost);
    expect(num(r.text, /^ {2}fxmac +RX .* drops (\d+)$/m)).toBe(lost);
  });

  it("--corrupt-every: frames damaged on the way into the forwarder are caught at the far end, exit 1", async () => {
    const r = await cli([
      "fwd",
      "--nics",
      "virtio-net-legacy,ixgbe",
      "--duration",
      "150ms",
      "--corrupt-every",
      "10",
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(
      /^axdriver: fwd: integrity check FAILED: \d+ corrupt, 0 out of order, 0 driver errors$/,
    );
    const lines = r.out.filter((l) => / {2}FAILED$/.test(l));
    expect(lines).toHaveLength(2);
    for (const l of lines) {
      const [sent, corrupt, onWire] = [/sent (\d+)/, /corrupt (\d+)/, /corrupted on the wire (\d+)/].map(
        (re) => Number(re.exec(l)![1]),
      ) as [number, number, number];
      expect(corrupt).toBe(Math.floor(sent / 10));
      expect(onWire).toBe(corrupt);
    }
  });

  it("--pcap records the forwarded frames with rewritten MAC addresses", async () => {
    const file = join(dir, "fwd.pcap");
    const r = await cli([
      "fwd",
      "--nics",
      "ixgbe,virtio-net-mmio",
      "--duration",
      "150ms",
      "--batch",
      "8",
      "--frame-size",
      "60",
      "--pcap",
      file,
    ]);
    expect(r.code).toBe(0);
    const ab = num(r.text, /^forwarded: (\d+) ixgbe => virtio-net-mmio/m);
    const ba = num(r.text, /, (\d+) virtio-net-mmio => ixgbe;/);
    expect(r.text).toContain(`capture: ${ab + ba} frames written to ${file}`);
    const rows = tsharkFields(file, ["frame.len", "eth.src", "eth.dst", "eth.type"]);
    if (rows === undefined) return;
    expect(rows).toHaveLength(ab + ba);
    // A = ixgbe (net0), B = virtio-net-mmio (net1), beside A: ixgbe#2 (net2), beside B: virtio-net-mmio#2 (net3)
    const outOfB = rows.filter((x) => x[1] === "52:54:00:12:34:01");
    const outOfA = rows.filter((x) => x[1] === "02:1b:21:00:00:00");
    expect(outOfB).toHaveLength(ab);
    expect(outOfA).toHaveLength(ba);
    for (const x of outOfB) expect(x).toEqual(["60", "52:54:00:12:34:01", "52:54:00:12:34:03", "0x88b5"]);
    for (const x of outOfA) expect(x).toEqual(["60", "02:1b:21:00:00:00", "02:1b:21:00:00:02", "0x88b5"]);
  });
});

describe("axdriver bench", () => {
  it("a tiny matrix: progress lines, the table, valid JSON and an SVG with a line per NIC", async () => {
    const json = join(dir, "bench.json");
    const svg = join(dir, "bench.svg");
    const r = await cli([
      "bench",
      "--nics",
      "virtio-net-legacy,ixgbe,fxmac",
      "--batches",
      "1,16",
      "--frame-sizes",
      "64,1514",
      "--duration",
      "30ms",
      "--queue-size",
      "64",
      "--json",
      json,
      "--svg",
      svg,
    ]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    expect(r.out[0]).toBe(
      "bench: virtio-net-legacy, ixgbe, fxmac x batch 1,16 x 64,1514 bytes, queue 64, 0.03 s per point (12 points)",
    );
    expect(r.out.filter((l) => /^\[ ?\d+\/12\] /.test(l))).toHaveLength(12);
    expect(r.text).toMatch(/^\| NIC +\| frame \(B\) \| queue \| batch 1 \| batch 16 \|$/m);
    expect(r.text).toMatch(/^\| ixgbe +\| 1514 +\| 64 +\| +\d+\.\d\d \| +\d+\.\d\d \|$/m);
    expect(r.out.at(-1)).toBe(`wrote ${json} and ${svg}`);
    const doc = JSON.parse(readFileSync(json, "utf8")) as {
      name: string;
      conditions: { node: string; cores: number; durationPerPoint: number };
      points: {
        nic: string;
        frameSize: number;
        batch: number;
        queueSize: number;
        mpps: number;
        packets: number;
        drops: number;
      }[];
    };
    expect(doc.name).toBe("axdriver-bench");
    expect(doc.conditions.node).toBe(process.version);
    expect(doc.conditions.durationPerPoint).toBe(0.03);
    expect(doc.points).toHaveLength(12);
    for (const p of doc.points) {
      expect(["virtio-net-legacy", "ixgbe", "fxmac"]).toContain(p.nic);
      expect([64, 1514]).toContain(p.frameSize);
      expect([1, 16]).toContain(p.batch);
      expect(p.queueSize).toBe(64);
      expect(p.mpps).toBeGreaterThan(0);
      expect(p.packets).toBeGreaterThan(0);
      expect(p.drops).toBe(0);
    }
    const s = readFileSync(svg, "utf8");
    expect(s.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(s.trim().endsWith("</svg>")).toBe(true);
    expect(s.match(/<g class="panel"/g)).toHaveLength(2);
    for (const nic of ["virtio-net-legacy", "ixgbe", "fxmac"]) {
      expect(s.match(new RegExp(`<polyline class="nic" data-nic="${nic}"`, "g"))).toHaveLength(2);
    }
    if (spawnSync("xmllint", ["--version"]).status === 0) {
      expect(spawnSync("xmllint", ["--noout", svg]).status).toBe(0);
    }
  });

  it("an output file that cannot be written: one line, exit code 1", async () => {
    const json = join(dir, "missing", "b.json");
    const r = await cli([
      "bench",
      "--nics",
      "virtio-net-mmio",
      "--batches",
      "8",
      "--frame-sizes",
      "64",
      "--duration",
      "10ms",
      "--json",
      json,
      "--svg",
      join(dir, "x.svg"),
    ]);
    expect(r.code).toBe(1);
    expect(r.err).toEqual([`axdriver: cannot write ${json}: ENOENT`]);
    expect(existsSync(join(dir, "x.svg"))).toBe(false);
  });
});
