import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import {
  type BenchPoint,
  batchChartSvg,
  benchJson,
  benchTable,
  currentConditions,
  niceCeiling,
} from "../src/cli/bench-report.js";

const dir = mkdtempSync(join(tmpdir(), "axd-bench-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BATCHES = [1, 2, 4, 8, 16, 32, 64, 128, 256];

function points(): BenchPoint[] {
  const out: BenchPoint[] = [];
  for (const [nic, scale] of [
    ["virtio-net-pci", 1],
    ["ixgbe", 2],
    ["fxmac", 0.5],
  ] as const) {
    for (const frameSize of [64, 1514]) {
      for (const batch of BATCHES) {
        // saturating like the ixy figure
        const mpps = (scale * 10 * batch) / (batch + 8) / (frameSize === 64 ? 1 : 4);
        out.push({ nic, frameSize, batch, queueSize: 512, mpps });
      }
    }
  }
  return out;
}

describe("bench table", () => {
  it("has a row per NIC and frame size, a column per batch size, Mpps with two decimals", () => {
    const t = benchTable(points());
    expect(t).toHaveLength(2 + 6);
    expect(t[0]).toMatch(/^\| NIC +\| frame \(B\) \| queue \| batch 1 \| batch 2 \|.*\| batch 256 \|$/);
    expect(t[1]).toMatch(/^\|-+\|-+\|-+\|-+:\|/);
    const row = t[4]!.split("|").map((c) => c.trim());
    // ixgbe, 64 bytes: 20 * b / (b + 8)
    expect(row.slice(1, 4)).toEqual(["ixgbe", "64", "512"]);
    expect(row.slice(4, 13)).toEqual(BATCHES.map((b) => ((20 * b) / (b + 8)).toFixed(2)));
    // every line the same width
    expect(new Set(t.map((l) => l.length)).size).toBe(1);
  });

  it("marks what was not measured with a dash", () => {
    const t = benchTable([
      { nic: "a", frameSize: 64, batch: 1, queueSize: 256, mpps: 1 },
      { nic: "b", frameSize: 64, batch: 2, queueSize: 256, mpps: 2 },
    ]);
    expect(t[2]!.split("|").map((c) => c.trim())).toEqual(["", "a", "64", "256", "1.00", "-", ""]);
  });
});

describe("bench JSON", () => {
  it("carries the conditions and every point", () => {
    const c = currentConditions(0.25);
    expect(c.node).toBe(process.version);
    expect(c.cores).toBeGreaterThan(0);
    const doc = JSON.parse(benchJson(points(), c));
    expect(doc.name).toBe("axdriver-bench");
    expect(doc.conditions.durationPerPoint).toBe(0.25);
    expect(doc.points).toHaveLength(54);
    expect(doc.points[0]).toEqual({
      nic: "virtio-net-pci",
      frameSize: 64,
      batch: 1,
      queueSize: 512,
      mpps: 10 / 9,
    });
  });
});

describe("batch-size chart", () => {
  it("has a panel per frame size and a line per NIC through every batch size, Mpps rising upwards", () => {
    const svg = batchChartSvg(points(), { title: "Mpps vs batch size <queue 512>" });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain("&lt;queue 512&gt;");
    expect(svg.match(/<g class="panel"/g)).toHaveLength(2);
    const lines = [...svg.matchAll(/<polyline class="nic" data-nic="([^"]+)"[^>]* points="([^"]+)"/g)];
    expect(lines.map((m) => m[1])).toEqual([
      "virtio-net-pci",
      "ixgbe",
      "fxmac",
      "virtio-net-pci",
      "ixgbe",
      "fxmac",
    ]);
    for (const m of lines) {
      const xy = m[2]!.split(" ").map((p) => p.split(",").map(Number) as [number, number]);
      expect(xy).toHaveLength(9);
      // log2 x axis: equal steps between batch sizes
      const dx = xy.slice(1).map((p, i) => p[0] - xy[i]![0]);
      for (const d of dx) expect(d).toBeCloseTo(dx[0]!, 0);
      // Mpps grows with the batch: y (downwards in SVG) shrinks
      for (let i = 1; i < xy.length; i++) expect(xy[i]![1]).toBeLessThan(xy[i - 1]![1]);
    }
    // ixgbe at 64 bytes peaks at 20*256/264 = 19.4 Mpps: the axis goes to 20
    expect(svg).toMatch(/>20<\/text>/);
    for (const b of BATCHES) expect(svg).toContain(`>${b}</text>`);
  });

  it("is well-formed XML (checked by Python's parser when there is one)", () => {
    const file = join(dir, "chart.svg");
    writeFileSync(file, batchChartSvg(points()));
    const py = spawnSync(
      "python3",
      ["-c", "import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1]); print('ok')", file],
      {
        encoding: "utf8",
      },
    );
    if (py.error) return; // no python3: the structure test above still holds
    expect(py.stdout.trim(), py.stderr).toBe("ok");
  });

  it("rounds axis maxima to 1, 2 or 5 times a power of ten", () => {
    expect([0.3, 1, 1.2, 3, 7, 19.4, 21, 450].map(niceCeiling)).toEqual([0.5, 1, 2, 5, 10, 20, 50, 500]);
    expect(niceCeiling(0)).toBe(1);
  });
});
