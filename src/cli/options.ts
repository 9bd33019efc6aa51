/**
 * Option parsing and validation shared by the `axdriver` commands. Each parser takes the option's text and
 * returns the value or throws commander's `InvalidArgumentError`, which becomes a one-line message and
 * exit code 2.
 */
import { InvalidArgumentError } from "commander";
import type { LogLevel } from "../base/log.js";
import { BOARD_MAX_FXMAC, BOARD_MAX_PCI, BOARD_NIC_KINDS, type BoardNicKind } from "../emu/board.js";
import { UsageError } from "./io.js";

/** The NIC kinds the emulated machine can carry (the board's). */
export const NIC_KINDS = BOARD_NIC_KINDS;
/** One of {@link NIC_KINDS}. */
export type NicKind = BoardNicKind;

/** Smallest frame the traffic tools send (Ethernet minimum without FCS). */
export const MIN_FRAME_SIZE = 60;
/** Largest frame the traffic tools send (Ethernet maximum without FCS). */
export const MAX_FRAME_SIZE = 1514;
export const MIN_BATCH = 1;
export const MAX_BATCH = 256;
/** Queue sizes: powers of two in this range (each driver may narrow it, see {@link checkQueueSizeFor}). */
export const MIN_QUEUE_SIZE = 2;
/** Largest queue size the commands accept: the emulated machine's RAM holds every driver's buffers. */
export const MAX_QUEUE_SIZE = 4096;
/** Smallest queue size per NIC kind: the ixgbe driver takes at least 8 descriptors (a 128-byte ring). */
export const MIN_QUEUE_SIZE_OF: Readonly<Record<NicKind, number>> = {
  "virtio-net-pci": MIN_QUEUE_SIZE,
  "virtio-net-legacy": MIN_QUEUE_SIZE,
  "virtio-net-mmio": MIN_QUEUE_SIZE,
  ixgbe: 8,
  fxmac: MIN_QUEUE_SIZE,
};
/** Longest run accepted. */
export const MAX_DURATION_S = 24 * 3600;

/** Log level names accepted by `--log` and `AXDRIVER_LOG`. */
export const LOG_LEVEL_NAMES = ["off", "error", "warn", "info", "debug", "trace"] as const;

/** A log level name to its {@link LogLevel}. */
export function parseLogLevel(text: string): LogLevel {
  const i = LOG_LEVEL_NAMES.indexOf(text.toLowerCase() as (typeof LOG_LEVEL_NAMES)[number]);
  if (i < 0) throw new InvalidArgumentError(`log level must be one of ${LOG_LEVEL_NAMES.join(", ")}`);
  return i as LogLevel;
}

/** A whole number in `[min, max]` (decimal digits only). */
export function parseIntInRange(text: string, min: number, max: number, what: string): number {
  if (!/^\d+$/.test(text.trim())) throw new InvalidArgumentError(`${what} must be a whole number`);
  const v = Number(text.trim());
  if (v < min || v > max) throw new InvalidArgumentError(`${what} must be ${min}..${max}`);
  return v;
}

/** A NIC kind. */
export function parseNicKind(text: string): NicKind {
  const t = text.trim();
  if (!(NIC_KINDS as readonly string[]).includes(t)) {
    throw new InvalidArgumentError(`NIC kind must be one of ${NIC_KINDS.join(", ")}`);
  }
  return t as NicKind;
}

/** A comma-separated list of NIC kinds (repeats kept: two `ixgbe` are two NICs). */
export function parseNicKindList(text: string): NicKind[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.length === 0 || parts.some((p) => p === ""))
    throw new InvalidArgumentError("empty NIC kind in the list");
  const kinds = parts.map(parseNicKind);
  if (kinds.filter((k) => k === "fxmac").length > BOARD_MAX_FXMAC)
    throw new InvalidArgumentError(`at most ${BOARD_MAX_FXMAC} fxmac NICs (FXMAC0..3)`);
  if (kinds.filter((k) => k !== "fxmac" && k !== "virtio-net-mmio").length > BOARD_MAX_PCI)
    throw new InvalidArgumentError(`at most ${BOARD_MAX_PCI} PCI NICs`);
  return kinds;
}

/** A frame size, 60..1514 bytes (without FCS). */
export function parseFrameSize(text: string): number {
  return parseIntInRange(text, MIN_FRAME_SIZE, MAX_FRAME_SIZE, "frame size");
}

/** A batch size, 1..256. */
export function parseBatch(text: string): number {
  return parseIntInRange(text, MIN_BATCH, MAX_BATCH, "batch size");
}

/** A queue size: a power of two, 2..32768. */
export function parseQueueSize(text: string): number {
  const v = parseIntInRange(text, MIN_QUEUE_SIZE, MAX_QUEUE_SIZE, "queue size");
  if ((v & (v - 1)) !== 0) throw new InvalidArgumentError("queue size must be a power of two");
  return v;
}

/**
 * Throws a {@link UsageError} when `queueSize` is below what one of `kinds` accepts (checked once the
 * option values are all known).
 */
export function checkQueueSizeFor(kinds: readonly NicKind[], queueSize: number): void {
  for (const k of kinds) {
    const min = MIN_QUEUE_SIZE_OF[k];
    if (queueSize < min) throw new UsageError(`queue size ${queueSize} is below ${k}'s minimum of ${min}`);
  }
}

/** A comma-separated list parsed by `one`. */
export function parseList<T>(text: string, one: (s: string) => T, what: string): T[] {
  const parts = text.split(",").map((s) => s.trim());
  if (parts.some((p) => p === "")) throw new InvalidArgumentError(`empty entry in the ${what} list`);
  return parts.map(one);
}

const DURATION_RE = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/;

/** A duration: `500ms`, `10s`, `2m`, `1h` or plain seconds; more than 0 and at most a day. Returns seconds. */
export function parseDuration(text: string): number {
  const m = DURATION_RE.exec(text.trim());
  if (m === null) throw new InvalidArgumentError("duration must look like 500ms, 10s, 2m or 1h");
  const scale = { ms: 1e-3, s: 1, m: 60, h: 3600 }[(m[2] ?? "s") as "ms" | "s" | "m" | "h"];
  const s = Number(m[1]) * scale;
  if (!(s > 0) || s > MAX_DURATION_S)
    throw new InvalidArgumentError(`duration must be more than 0 and at most 24h`);
  return s;
}

/** Options of `axdriver probe`. */
export interface ProbeOptions {
  devices: NicKind[];
  /** Queue size for every driver; default: each driver's own. */
  queueSize?: number;
}

/** Options shared by the traffic tools. */
export interface TrafficOptions {
  /** Frame size without FCS, 60..1514. */
  frameSize: number;
  /** Frames per receive/transmit batch, 1..256. */
  batch: number;
  /** Descriptors per queue, a power of two. */
  queueSize: number;
  /** How long to run, seconds. */
  duration: number;
  /** Capture file, if any. */
  pcap?: string;
  /** Flip a byte in every Nth frame on every wire (fault injection); absent: off. */
  corruptEvery?: number;
}

/** Options of `axdriver pktgen`. */
export interface PktgenOptions extends TrafficOptions {
  nic: NicKind;
}

/** Options of `axdriver fwd`: two NICs, frames received on one are sent out of the other. */
export interface FwdOptions extends TrafficOptions {
  nics: [NicKind, NicKind];
}

/** Options of `axdriver bench`. */
export interface BenchOptions {
  nics: NicKind[];
  batches: number[];
  frameSizes: number[];
  queueSize: number;
  /** Seconds per measured point. */
  duration: number;
  /** Where the JSON results go. */
  json: string;
  /** Where the SVG chart goes. */
  svg: string;
}

/** The default batch sizes of `axdriver bench`: 1, 2, 4, …, 256. */
export const DEFAULT_BENCH_BATCHES: readonly number[] = [1, 2, 4, 8, 16, 32, 64, 128, 256];
/** The default frame sizes of `axdriver bench`. */
export const DEFAULT_BENCH_FRAME_SIZES: readonly number[] = [64, 1514];
