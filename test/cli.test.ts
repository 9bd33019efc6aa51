import { spawnSync } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { LogLevel, log } from "../src/base/log.js";
import {
  parseBatch,
  parseDuration,
  parseFrameSize,
  parseNicKindList,
  parseQueueSize,
} from "../src/cli/options.js";
import {
  formatRateLine,
  NicStats,
  ratesBetween,
  StatsReporter,
  summaryOnInterrupt,
} from "../src/cli/stats.js";
import { encodePcap } from "../src/link/pcap.js";
import { cli, Recorder } from "./cli-fixture.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "axd-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
afterEach(() => log.setLevel(LogLevel.Off));

describe("axdriver: usage errors give one line and exit code 2", () => {
  const cases: Array<[string[], RegExp]> = [
    [["--frobnicate"], /^axdriver: unknown option '--frobnicate'$/],
    [["frobnicate"], /^axdriver: unknown command 'frobnicate'/],
    [["pktgen", "--frame-size", "59"], /frame size must be 60\.\.1514/],
    [["pktgen", "--frame-size", "1515"], /frame size must be 60\.\.1514/],
    [["pktgen", "--batch", "257"], /batch size must be 1\.\.256/],
    [["pktgen", "--batch", "3x"], /batch size must be a whole number/],
    [["pktgen", "--queue-size", "48"], /queue size must be a power of two/],
    [
      ["pktgen", "--nic", "e1000"],
      /NIC kind must be one of virtio-net-pci, virtio-net-legacy, virtio-net-mmio, ixgbe, fxmac/,
    ],
    [["pktgen", "--duration", "0s"], /duration must be more than 0/],
    [["pktgen", "--duration", "soon"], /duration must look like/],
    [["fwd", "--nics", "ixgbe"], /exactly two NIC kinds/],
    [["bench", "--batches", "1,2,0"], /batch size must be 1\.\.256/],
    [["bench", "--frame-sizes", "64,,1514"], /empty entry/],
    [["probe", "--devices", "ixgbe,virtio"], /NIC kind must be one of/],
    [["--log", "loud", "demo"], /log level must be one of off, error, warn, info, debug, trace/],
    [["pcap-dump"], /missing required argument 'file'/],
    [["pcap-dump", "a", "b"], /too many arguments/],
    [["pcap-dump", "--count", "0", "x.pcap"], /count must be 1\.\./],
    [["demo", "--what"], /unknown option '--what'/],
    [["demo", "--seconds", "soon"], /duration must look like/],
    [["demo", "--corrupt-every", "0"], /corrupt-every must be 1\.\./],
    [["demo", "--batch", "0"], /batch size must be 1\.\.256/],
    [
      ["pktgen", "--nic", "ixgbe", "--queue-size", "4"],
      /^axdriver: queue size 4 is below ixgbe's minimum of 8$/,
    ],
    [["fwd", "--nics", "fxmac,ixgbe", "--queue-size", "2"], /queue size 2 is below ixgbe's minimum of 8/],
    [["bench", "--queue-size", "8192"], /queue size must be 2\.\.4096/],
    [["probe", "--devices", "fxmac,fxmac,fxmac,fxmac,fxmac"], /at most 4 fxmac NICs/],
    [["probe", "--queue-size", "4"], /queue size 4 is below ixgbe's minimum of 8/],
  ];
  for (const [args, msg] of cases) {
    it(args.join(" "), async () => {
      const r = await cli(args);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]).toMatch(/^axdriver: /);
      expect(r.err[0]).toMatch(msg);
      expect(r.out).toEqual([]);
    });
  }

  it("a bad AXDRIVER_LOG is a usage error too", async () => {
    const r = await cli(["demo"], { AXDRIVER_LOG: "chatty" });
    expect(r.code).toBe(2);
    expect(r.err).toEqual([
      "axdriver: AXDRIVER_LOG=chatty: log level must be one of off, error, warn, info, debug, trace",
    ]);
  });
});

describe("axdriver: commands", () => {
  it("--help lists every command and exits 0", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    const text = r.out.join("\n");
    for (const c of ["demo", "probe", "pktgen", "fwd", "bench", "lspci", "pcap-dump", "--log <level>"]) {
      expect(text).toContain(c);
    }
    const sub = await cli(["pktgen", "--help"]);
    expect(sub.code).toBe(0);
    for (const o of ["--nic", "--frame-size", "--batch", "--queue-size", "--duration", "--pcap"]) {
      expect(sub.out.join("\n")).toContain(o);
    }
  });

  it("--log and AXDRIVER_LOG set the library's log level; the flag wins", async () => {
    const lines: string[] = [];
    const sink = log.sink;
    log.sink = (_level, target, msg) => lines.push(`${target}: ${msg}`);
    try {
      const probe = ["probe", "--devices", "virtio-net-mmio"];
      expect((await cli(["--log", "debug", ...probe])).code).toBe(0);
      expect(log.level).toBe(LogLevel.Debug);
      // the probe flow logs at info as ArceOS does
      expect(lines).toContain("axdriver: registered a new Net device at virtio-mmio@0xa000000: virtio-net");
      expect((await cli(probe, { AXDRIVER_LOG: "info" })).code).toBe(0);
      expect(log.level).toBe(LogLevel.Info);
      expect((await cli([...probe, "--log", "TRACE"], { AXDRIVER_LOG: "warn" })).code).toBe(0);
      expect(log.level).toBe(LogLevel.Trace);
      lines.length = 0;
      log.setLevel(LogLevel.Off);
      expect((await cli(probe)).code).toBe(0);
      expect(lines).toEqual([]);
    } finally {
      log.sink = sink;
    }
  });

  it("lspci prints lines in the shape of lspci -n", async () => {
    const r = await cli(["lspci"]);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    for (const l of r.out)
      expect(l).toMatch(
        /^([0-9a-f]{4}:)?[0-9a-f]{2}:[0-9a-f]{2}\.[0-7] [0-9a-f]{4}: [0-9a-f]{4}:[0-9a-f]{4}( \(rev [0-9a-f]{2}\))?$/,
      );
    const real = spawnSync("lspci", ["-n"], { encoding: "utf8" });
    if (real.status === 0) expect(r.out.length).toBe(real.stdout.trim().split("\n").filter(Boolean).length);
  });
});

describe("axdriver pcap-dump", () => {
  function frames(): Uint8Array[] {
    const arp = Uint8Array.from([
      0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x06, 0, 1, 8, 0, 6, 4, 0, 1,
      0x52, 0x54, 0, 0x12, 0x34, 0x56, 10, 0, 0, 1, 0, 0, 0, 0, 0, 0, 10, 0, 0, 2,
    ]);
    const udp = new Uint8Array(60);
    udp.set([2, 0, 0, 0, 0, 2, 0x52, 0x54, 0, 0x12, 0x34, 0x56, 0x08, 0x00], 0);
    udp.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14);
    udp.set([0x9c, 0x40, 0x1e, 0x61, 0, 26, 0, 0], 34);
    const exp = new Uint8Array(1514);
    exp.set([2, 0, 0, 0, 0, 2, 2, 0, 0, 0, 0, 1, 0x88, 0xb5], 0);
    return [arp, udp, exp];
  }

  it("prints a header, one line per frame, and the count", async () => {
    const file = join(dir, "three.pcap");
    writeFileSync(
      file,
      encodePcap(frames(), [1_700_000_000_000_000_000, 1_700_000_000_000_250_000, 1_700_000_001_500_000_000]),
    );
    const r = await cli(["pcap-dump", file]);
    expect(r.code).toBe(0);
    expect(r.err).toEqual([]);
    expect(r.out).toEqual([
      `${file}: pcap 2.4, linktype 1 (Ethernet), microsecond timestamps, snaplen 65535, little-endian`,
      "     1     0.000000 52:54:00:12:34:56 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.0.2 tell 10.0.0.1, length 42",
      "     2     0.000250 52:54:00:12:34:56 > 02:00:00:00:00:02 IPv4 10.0.0.1:40000 > 10.0.0.2:7777 UDP len 18, length 60",
      "     3     1.500000 02:00:00:00:00:01 > 02:00:00:00:00:02 local-exp1, length 1514",
      "3 frames",
    ]);
    const one = await cli(["pcap-dump", "-c", "1", file]);
    expect(one.out).toHaveLength(3);
    expect(one.out[2]).toBe("1 frame");
  });

  it("shows cut frames and nanosecond files", async () => {
    const file = join(dir, "cut.pcap");
    writeFileSync(file, encodePcap([frames()[2]!], [7], { snaplen: 64, nanosecond: true }));
    const r = await cli(["pcap-dump", file]);
    expect(r.out[0]).toContain("nanosecond timestamps, snaplen 64");
    expect(r.out[1]).toBe(
      "     1     0.000000000 02:00:00:00:00:01 > 02:00:00:00:00:02 local-exp1, length 1514 (64 captured)",
    );
  });

  it("a missing or malformed file fails with one line and exit code 1", async () => {
    const missing = await cli(["pcap-dump", join(dir, "nope.pcap")]);
    expect(missing.code).toBe(1);
    expect(missing.err).toEqual([`axdriver: cannot read ${join(dir, "nope.pcap")}: ENOENT`]);
    const junk = join(dir, "junk.pcap");
    writeFileSync(junk, "this is not a capture, not at all");
    const bad = await cli(["pcap-dump", junk]);
    expect(bad.code).toBe(1);
    expect(bad.err).toEqual([`axdriver: ${junk}: not a pcap file: magic 0x74686973`]);
    const cut = join(dir, "cut-short.pcap");
    const b = encodePcap(frames());
    writeFileSync(cut, b.subarray(0, b.length - 3));
    const c = await cli(["pcap-dump", cut]);
    expect(c.code).toBe(1);
    expect(c.out.slice(-1)[0]).toContain("UDP"); // the frames before the cut were printed
    expect(c.err[0]).toMatch(/truncated record at byte 158: 1514 bytes claimed/);
  });
});

describe("axdriver as a process", () => {
  function axdriver(args: string[], env: Record<string, string> = {}) {
    return spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), ...args], {
      cwd: root,
      encoding: "utf8",
      env: { ...process.env, ...env },
    });
  }

  it("a bad flag: exit code 2, one line on stderr, no stack trace", () => {
    const r = axdriver(["pktgen", "--batch", "1000"]);
    expect(r.status).toBe(2);
    expect(r.stdout).toBe("");
    expect(r.stderr.trim().split("\n")).toEqual([
      "axdriver: option '--batch <n>' argument '1000' is invalid. batch size must be 1..256",
    ]);
  });
});

describe("option parsers", () => {
  it("accept the edges and refuse beyond", () => {
    expect(parseFrameSize("60")).toBe(60);
    expect(parseFrameSize("1514")).toBe(1514);
    expect(() => parseFrameSize("-1")).toThrow();
    expect(parseBatch("1")).toBe(1);
    expect(parseBatch("256")).toBe(256);
    expect(parseQueueSize("2")).toBe(2);
    expect(parseQueueSize("4096")).toBe(4096);
    expect(() => parseQueueSize("8192")).toThrow(/2\.\.4096/);
    expect(() => parseQueueSize("65536")).toThrow();
    expect(() => parseQueueSize("1")).toThrow();
    expect(parseDuration("500ms")).toBe(0.5);
    expect(parseDuration("2m")).toBe(120);
    expect(parseDuration("1.5")).toBe(1.5);
    expect(parseDuration("1h")).toBe(3600);
    expect(() => parseDuration("25h")).toThrow();
    expect(parseNicKindList("ixgbe, ixgbe,fxmac")).toEqual(["ixgbe", "ixgbe", "fxmac"]);
  });
});

describe("stats", () => {
  it("computes Mpps and Mbit/s between snapshots", () => {
    const prev = { rxPackets: 0, rxBytes: 0, txPackets: 100, txBytes: 6000, drops: 1 };
    const cur = {
      rxPackets: 2_000_000,
      rxBytes: 120_000_000,
      txPackets: 500_100,
      txBytes: 757_006_000,
      drops: 4,
    };
    const r = ratesBetween(prev, cur, 2);
    expect(r).toEqual({ rxMpps: 1, rxMbits: 480, txMpps: 0.25, txMbits: 3028, drops: 3 });
    expect(formatRateLine("   2.0s", "ixgbe0", r, 8)).toBe(
      "   2.0s ixgbe0   RX 1.000 Mpps 480.0 Mbit/s  TX 0.250 Mpps 3028.0 Mbit/s  drops 3",
    );
  });

  it("prints a line per NIC per interval and a summary; Ctrl-C prints the summary so far", () => {
    let t = 0;
    const io = new Recorder();
    const a = new NicStats("virtio0");
    const b = new NicStats("ixgbe0");
    const rep = new StatsReporter(io, [a, b], () => t);
    a.txPackets = 1_000_000;
    a.txBytes = 60_000_000;
    t = 0.5e9;
    expect(rep.tick()).toBe(false);
    t = 1e9;
    expect(rep.tick()).toBe(true);
    expect(io.outLines).toEqual([
      "   1.0s virtio0  RX 0.000 Mpps 0.0 Mbit/s  TX 1.000 Mpps 480.0 Mbit/s  drops 0",
      "   1.0s ixgbe0   RX 0.000 Mpps 0.0 Mbit/s  TX 0.000 Mpps 0.0 Mbit/s  drops 0",
    ]);
    b.rxPackets = 500_000;
    b.rxBytes = 757_000_000;
    b.drops = 7;
    t = 2e9;
    rep.tick();
    expect(io.outLines[3]).toBe(
      "   2.0s ixgbe0   RX 0.500 Mpps 6056.0 Mbit/s  TX 0.000 Mpps 0.0 Mbit/s  drops 7",
    );
    expect(io.outLines[2]).toContain("TX 0.000 Mpps"); // nothing new on virtio0 in the 2nd second
    io.outLines.length = 0;
    const signals = new EventEmitter();
    let stopped = 0;
    const remove = summaryOnInterrupt(rep, () => stopped++, signals as unknown as NodeJS.Process);
    t = 4e9;
    signals.emit("SIGINT");
    expect(stopped).toBe(1);
    expect(io.outLines).toEqual([
      "interrupted after 4.00 s:",
      "  virtio0  RX 0 frames 0 bytes (0.000 Mpps 0.0 Mbit/s)  TX 1000000 frames 60000000 bytes (0.250 Mpps 120.0 Mbit/s)  drops 0",
      "  ixgbe0   RX 500000 frames 757000000 bytes (0.125 Mpps 1514.0 Mbit/s)  TX 0 frames 0 bytes (0.000 Mpps 0.0 Mbit/s)  drops 7",
    ]);
    remove();
    expect(signals.listenerCount("SIGINT")).toBe(0);
  });
});
