import type { Command } from "commander";
import {
  parseBatch,
  parseDuration,
  parseFrameSize,
  parseIntInRange,
  parseQueueSize,
  type TrafficOptions,
} from "../options.js";

/** Defaults of the traffic tools. */
export const TRAFFIC_DEFAULTS = { frameSize: 60, batch: 32, queueSize: 256, duration: 10 } as const;

/** Adds the options every traffic tool has: frame size, batch, queue size, duration, capture file. */
export function addTrafficOptions(cmd: Command): Command {
  return cmd
    .option(
      "--frame-size <bytes>",
      `frame size without FCS, 60..1514 (default ${TRAFFIC_DEFAULTS.frameSize})`,
      parseFrameSize,
    )
    .option("--batch <n>", `frames per batch, 1..256 (default ${TRAFFIC_DEFAULTS.batch})`, parseBatch)
    .option(
      "--queue-size <n>",
      `descriptors per queue, a power of two (default ${TRAFFIC_DEFAULTS.queueSize})`,
      parseQueueSize,
    )
    .option(
      "--duration <time>",
      `how long to run: 500ms, 10s, 2m (default ${TRAFFIC_DEFAULTS.duration}s)`,
      parseDuration,
    )
    .option("--pcap <file>", "capture every frame to a libpcap file")
    .option(
      "--corrupt-every <n>",
      "flip a byte in every Nth frame on its way (fault injection: the integrity check then fails)",
      (t) => parseIntInRange(t, 1, 2 ** 31, "corrupt-every"),
    );
}

/** The raw values commander gives for {@link addTrafficOptions}. */
export interface RawTrafficOptions {
  frameSize?: number;
  batch?: number;
  queueSize?: number;
  duration?: number;
  pcap?: string;
  corruptEvery?: number;
}

/** {@link TrafficOptions} with defaults filled in. */
export function trafficOptions(raw: RawTrafficOptions): TrafficOptions {
  const o: TrafficOptions = {
    frameSize: raw.frameSize ?? TRAFFIC_DEFAULTS.frameSize,
    batch: raw.batch ?? TRAFFIC_DEFAULTS.batch,
    queueSize: raw.queueSize ?? TRAFFIC_DEFAULTS.queueSize,
    duration: raw.duration ?? TRAFFIC_DEFAULTS.duration,
  };
  if (raw.pcap !== undefined) o.pcap = raw.pcap;
  if (raw.corruptEvery !== undefined) o.corruptEvery = raw.corruptEvery;
  return o;
}
