/**
 * The output of `axdriver bench`: a table (Markdown, readable in a terminal and pasteable into the
 * README), a JSON document with the conditions, and an SVG chart of Mpps against batch size with one
 * line per NIC — the shape of the ixy-languages batch-size figure — one panel per frame size.
 */
import { cpus, platform, release } from "node:os";

/** One measured point. */
export interface BenchPoint {
  /** NIC kind (or any label: one line per distinct value). */
  nic: string;
  /** Frame size without FCS. */
  frameSize: number;
  /** Frames per batch. */
  batch: number;
  /** Descriptors per queue. */
  queueSize: number;
  /** Million frames per second. */
  mpps: number;
  /** Frames moved while measuring. */
  packets?: number;
  /** GC events while measuring. */
  gcEvents?: number;
  /** Frames lost while measuring (sequence gaps at the receiver, or refused by it). */
  drops?: number;
}

/** Where and how the numbers were taken. */
export interface BenchConditions {
  cpu: string;
  cores: number;
  node: string;
  os: string;
  date: string;
  /** Seconds per point. */
  durationPerPoint: number;
}

/** The conditions of this machine now. */
export function currentConditions(durationPerPoint: number): BenchConditions {
  const c = cpus();
  return {
    cpu: c[0]?.model.trim() ?? "unknown",
    cores: c.length,
    node: process.version,
    os: `${platform()} ${release()}`,
    date: new Date().toISOString(),
    durationPerPoint,
  };
}

/** The JSON document `axdriver bench` writes. */
export function benchJson(points: readonly BenchPoint[], conditions: BenchConditions): string {
  return `${JSON.stringify({ name: "axdriver-bench", conditions, points }, null, 2)}\n`;
}

function uniqueSorted(xs: readonly number[]): number[] {
  return [...new Set(xs)].sort((a, b) => a - b);
}

function uniqueInOrder(xs: readonly string[]): string[] {
  return [...new Set(xs)];
}

/**
 * A Markdown table: a row per NIC and frame size, a column per batch size, cells in Mpps (2 decimals; a
 * dash where nothing was measured).
 */
export function benchTable(points: readonly BenchPoint[]): string[] {
  const batches = uniqueSorted(points.map((p) => p.batch));
  const sizes = uniqueSorted(points.map((p) => p.frameSize));
  const nics = uniqueInOrder(points.map((p) => p.nic));
  const header = ["NIC", "frame (B)", "queue", ...batches.map((b) => `batch ${b}`)];
  const rows: string[][] = [];
  for (const nic of nics) {
    for (const size of sizes) {
      const mine = points.filter((p) => p.nic === nic && p.frameSize === size);
      if (mine.length === 0) continue;
      const queues = uniqueSorted(mine.map((p) => p.queueSize)).join("/");
      rows.push([
        nic,
        String(size),
        queues,
        ...batches.map((b) => {
          const p = mine.find((x) => x.batch === b);
          return p === undefined ? "-" : p.mpps.toFixed(2);
        }),
      ]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    `| ${cells.map((c, i) => (i < 3 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`;
  const rule = `|${widths.map((w, i) => (i < 3 ? "-".repeat(w + 2) : `${"-".repeat(w + 1)}:`)).join("|")}|`;
  return [line(header), rule, ...rows.map(line)];
}

const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"];

function esc(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** A round upper bound for an axis: 1, 2 or 5 times a power of ten, at least `max`. */
export function niceCeiling(max: number): number {
  if (!(max > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(max));
  for (const m of [1, 2, 5, 10]) if (m * p >= max) return m * p;
  return 10 * p;
}

/** Layout of {@link batchChartSvg}. */
export interface ChartOptions {
  /** Width of one panel in pixels. Default 460. */
  panelWidth?: number;
  /** Height in pixels. Default 340. */
  height?: number;
  /** Title above the panels. */
  title?: string;
}

/**
 * An SVG chart: one panel per frame size, x = batch size on a log2 axis, y = Mpps from 0, one line (with
 * point markers) per NIC, and a legend. Pure text; nothing is measured here.
 */
export function batchChartSvg(points: readonly BenchPoint[], opts: ChartOptions = {}): string {
  const sizes = uniqueSorted(points.map((p) => p.frameSize));
  const nics = uniqueInOrder(points.map((p) => p.nic));
  const batches = uniqueSorted(points.map((p) => p.batch));
  const pw = opts.panelWidth ?? 460;
  const h = opts.height ?? 340;
  const legendH = 22 * Math.ceil(nics.length / 3) + 10;
  const top = opts.title === undefined ? 30 : 56;
  const width = pw * Math.max(1, sizes.length);
  const height = h + legendH + top - 30;
  const left = 56;
  const right = 16;
  const bottom = 44;
  const plotH = h - 30 - bottom;
  const plotW = pw - left - right;
  const lo = Math.log2(batches[0] ?? 1);
  const hi = Math.log2(batches[batches.length - 1] ?? 1);
  const xOf = (b: number, x0: number) =>
    x0 + left + (hi === lo ? plotW / 2 : ((Math.log2(b) - lo) / (hi - lo)) * plotW);
  const out: string[] = [];
  out.push(
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="12">`,
  );
  out.push(`<rect width="${width}" height="${height}" fill="white"/>`);
  if (opts.title !== undefined) {
    out.push(`<text x="${width / 2}" y="22" text-anchor="middle" font-size="15">${esc(opts.title)}</text>`);
  }
  sizes.forEach((size, k) => {
    const x0 = k * pw;
    const y0 = top;
    const mine = points.filter((p) => p.frameSize === size);
    const yMax = niceCeiling(Math.max(0, ...mine.map((p) => p.mpps)));
    const yOf = (v: number) => y0 + plotH - (v / yMax) * plotH;
    out.push(`<g class="panel" data-frame-size="${size}">`);
    out.push(
      `<text x="${x0 + left + plotW / 2}" y="${y0 - 8}" text-anchor="middle" font-size="13">${size}-byte frames</text>`,
    );
    // axes and grid
    for (let i = 0; i <= 5; i++) {
      const v = (yMax * i) / 5;
      const y = yOf(v);
      out.push(`<line x1="${x0 + left}" y1="${y}" x2="${x0 + left + plotW}" y2="${y}" stroke="#ddd"/>`);
      out.push(
        `<text x="${x0 + left - 6}" y="${y + 4}" text-anchor="end">${Number(v.toPrecision(3))}</text>`,
      );
    }
    for (const b of batches) {
      const x = xOf(b, x0);
      out.push(`<line x1="${x}" y1="${y0 + plotH}" x2="${x}" y2="${y0 + plotH + 4}" stroke="#333"/>`);
      out.push(`<text x="${x}" y="${y0 + plotH + 17}" text-anchor="middle">${b}</text>`);
    }
    out.push(
      `<line x1="${x0 + left}" y1="${y0 + plotH}" x2="${x0 + left + plotW}" y2="${y0 + plotH}" stroke="#333"/>`,
      `<line x1="${x0 + left}" y1="${y0}" x2="${x0 + left}" y2="${y0 + plotH}" stroke="#333"/>`,
      `<text x="${x0 + left + plotW / 2}" y="${y0 + plotH + 34}" text-anchor="middle">batch size</text>`,
      `<text transform="translate(${x0 + 14} ${y0 + plotH / 2}) rotate(-90)" text-anchor="middle">Mpps</text>`,
    );
    nics.forEach((nic, n) => {
      const line = mine.filter((p) => p.nic === nic).sort((a, b) => a.batch - b.batch);
      if (line.length === 0) return;
      const color = PALETTE[n % PALETTE.length]!;
      const pts = line.map((p) => `${xOf(p.batch, x0).toFixed(1)},${yOf(p.mpps).toFixed(1)}`).join(" ");
      out.push(
        `<polyline class="nic" data-nic="${esc(nic)}" fill="none" stroke="${color}" stroke-width="2" points="${pts}"/>`,
      );
      for (const p of line) {
        out.push(
          `<circle cx="${xOf(p.batch, x0).toFixed(1)}" cy="${yOf(p.mpps).toFixed(1)}" r="2.5" fill="${color}"/>`,
        );
      }
    });
    out.push("</g>");
  });
  nics.forEach((nic, n) => {
    const x = 20 + (n % 3) * 200;
    const y = top + h - 30 + 22 * Math.floor(n / 3) + 4;
    const color = PALETTE[n % PALETTE.length]!;
    out.push(`<line x1="${x}" y1="${y}" x2="${x + 24}" y2="${y}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${x + 30}" y="${y + 4}">${esc(nic)}</text>`);
  });
  out.push("</svg>");
  return `${out.join("\n")}\n`;
}
