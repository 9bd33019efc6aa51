// The demo (npm start): every NIC family on one machine, wired in mixed pairs, every frame checked; it
// passes with exit 0 and fails (exit 1, a clear message) when a wire corrupts frames. Also: Ctrl-C on a
// long run prints the summary so far and exits 130.
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { DEMO_FRAME_SIZES, DEMO_NICS } from "../src/cli/commands/demo.js";
import type { PcapRecord } from "../src/link/pcap.js";
import { readPcapFile } from "../src/link/pcap-file.js";
import { cli } from "./cli-fixture.js";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "axd-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const FLOWS = [
  "virtio-net-pci -> ixgbe",
  "ixgbe -> virtio-net-pci",
  "virtio-net-mmio -> fxmac",
  "fxmac -> virtio-net-mmio",
  "virtio-net-legacy -> virtio-net-mmio-v1",
  "virtio-net-mmio-v1 -> virtio-net-legacy",
];

describe("axdriver demo", () => {
  it("covers every family and all four virtio transports, in mixed pairs", () => {
    expect(DEMO_NICS.map((n) => n.kind)).toEqual([
      "virtio-net-pci",
      "ixgbe",
      "virtio-net-mmio",
      "fxmac",
      "virtio-net-legacy",
      "virtio-net-mmio",
    ]);
    expect(DEMO_NICS[5]!.mmioVersion).toBe(1);
    expect(DEMO_FRAME_SIZES).toContain(60);
    expect(DEMO_FRAME_SIZES).toContain(1514);
  });

  it("probes, runs traffic both ways on every wire, and passes with every frame intact", async () => {
    const r = await cli(["demo", "--seconds", "600ms"]);
    expect(r.err).toEqual([]);
    expect(r.code).toBe(0);
    const t = r.text;
    // probed through the platform flow: all six devices claimed
    expect(t).toContain("devices (6):");
    for (const k of ["fxmac", "virtio-net-mmio-v1", "virtio-net-legacy", "ixgbe", "virtio-net-pci"])
      expect(t).toMatch(new RegExp(`^ {4}net\\d {2}${k} `, "m"));
    expect(t).toContain("wire 1: virtio-net-pci <-> ixgbe");
    expect(t).toContain("wire 2: virtio-net-mmio <-> fxmac");
    expect(t).toContain("wire 3: virtio-net-legacy <-> virtio-net-mmio-v1");
    let total = 0;
    FLOWS.forEach((f, i) => {
      const m = new RegExp(
        `^ {2}${f} \\(${DEMO_FRAME_SIZES[i]} B\\) +sent (\\d+), good (\\d+), lost 0, corrupt 0, out of order 0 {2}OK$`,
        "m",
      ).exec(t);
      expect(m, f).not.toBeNull();
      expect(m![1]).toBe(m![2]);
      expect(Number(m![1])).toBeGreaterThan(0);
      total += Number(m![1]);
    });
    expect(r.out.at(-1)).toBe(`demo passed: all ${total} frames arrived intact over 3 wires (6 flows)`);
    // every NIC both sent and received
    for (const nic of [
      "virtio-net-pci",
      "ixgbe",
      "virtio-net-mmio",
      "fxmac",
      "virtio-net-legacy",
      "virtio-net-mmio-v1",
    ]) {
      const m = new RegExp(`^ {2}${nic} +RX (\\d+) frames .* TX (\\d+) frames .* drops 0$`, "m").exec(t);
      expect(m, nic).not.toBeNull();
      expect(Number(m![1])).toBeGreaterThan(0);
      expect(Number(m![2])).toBeGreaterThan(0);
    }
  });

  it("--corrupt-every: the integrity check fails, exit 1 with a clear one-line message", async () => {
    const r = await cli(["demo", "--seconds", "400ms", "--corrupt-every", "50"]);
    expect(r.code).toBe(1);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(
      /^axdriver: demo FAILED: integrity check failed on 6 of 6 flows \((\d+) corrupt, 0 lost, 0 out of order of \d+ frames sent\); corruption was injected on every wire \(--corrupt-every 50\)$/,
    );
    expect(r.text).toContain("corruption injected: one byte flipped in every 50th frame on every wire");
    for (const f of FLOWS) {
      const m = new RegExp(
        `^ {2}${f} .*sent (\\d+), good (\\d+), lost 0, corrupt (\\d+), .*corrupted on the wire (\\d+) {2}FAILED$`,
        "m",
      ).exec(r.text);
      expect(m, f).not.toBeNull();
      const [sent, good, corrupt, onWire] = [m![1], m![2], m![3], m![4]].map(Number) as [
        number,
        number,
        number,
        number,
      ];
      // every 50th frame was damaged on the wire and caught by the checker, no more, no less
      expect(corrupt).toBe(Math.floor(sent / 50));
      expect(onWire).toBe(corrupt);
      expect(good + corrupt).toBe(sent);
    }
    expect(r.text).not.toContain("demo passed");
  });

  it("--pcap captures every frame on every wire", async () => {
    const file = join(dir, "demo.pcap");
    const r = await cli(["demo", "--seconds", "200ms", "--batch", "4", "--pcap", file]);
    expect(r.code).toBe(0);
    const sent = Number(/demo passed: all (\d+) frames/.exec(r.text)![1]);
    expect(r.text).toContain(`capture: ${sent} frames written to ${file}`);
    const reader = readPcapFile(file);
    const rec: PcapRecord = { tsSec: 0, tsFrac: 0, inclLen: 0, origLen: 0, offset: 0 };
    const sizes = new Map<number, number>();
    let n = 0;
    while (reader.next(rec)) {
      n++;
      sizes.set(rec.origLen, (sizes.get(rec.origLen) ?? 0) + 1);
    }
    expect(n).toBe(sent);
    expect([...sizes.keys()].sort((a, b) => a - b)).toEqual([...DEMO_FRAME_SIZES].sort((a, b) => a - b));
  });
});

describe("axdriver as a process", () => {
  it("npm start (tsx src/cli/main.ts demo) with no flags passes and exits 0", () => {
    const r = spawnSync(process.execPath, ["--import", "tsx", join(root, "src/cli/main.ts"), "demo"], {
      cwd: root,
      encoding: "utf8",
    });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("traffic: 6 flows, batch 32, 3 s");
    expect(r.stdout).toMatch(/^ {3}[123]\.0s virtio-net-pci /m); // live stats lines
    expect(r.stdout).toMatch(/demo passed: all \d+ frames arrived intact over 3 wires \(6 flows\)\n$/);
  });

  it("Ctrl-C during pktgen prints the summary so far and exits 130", async () => {
    const child = spawn(
      process.execPath,
      [
        "--import",
        "tsx",
        join(root, "src/cli/main.ts"),
        "pktgen",
        "--nic",
        "virtio-net-mmio",
        "--duration",
        "60s",
      ],
      { cwd: root },
    );
    let out = "";
    let sent = false;
    child.stdout.setEncoding("utf8");
    child.stdout.on("data", (s: string) => {
      out += s;
      // after the first stats line
      if (!sent && /^ {3}1\.0s /m.test(out)) {
        sent = true;
        child.kill("SIGINT");
      }
    });
    const code = await new Promise<number | null>((res) => child.on("exit", (c) => res(c)));
    expect(sent).toBe(true);
    expect(code).toBe(130);
    expect(out).toMatch(/^interrupted after \d+\.\d\d s:$/m);
    expect(out).not.toMatch(/^summary after/m);
    expect(out).toMatch(
      /virtio-net-mmio -> virtio-net-mmio#2 {2}sent (\d+), good \1, lost 0, corrupt 0, out of order 0 {2}OK/,
    );
  });
});
