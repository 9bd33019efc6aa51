import { DevError, type DevResult } from "../../base/dev-error.js";
import { type Logger, LogLevel, log } from "../../base/log.js";
import type { NetBufPtr } from "../net-buf-ptr.js";
import type { NetDriverOps } from "../net-driver-ops.js";
import { formatFrame } from "./frame-format.js";
import { NetDriverWrapper } from "./wrapper.js";

/** Options of a {@link Tracer}. */
export interface TracerOptions {
  /** Name at the start of each line. Default: the wrapped driver's `deviceName()`. */
  name?: string;
  /** Logger to write to. Default: the library's `log`. */
  logger?: Logger;
  /** Level of the lines. Default: trace. */
  level?: LogLevel;
  /** Log target. Default: "net::tracer". */
  target?: string;
}

/**
 * Logs one line per frame the wrapped driver transmits or receives (smoltcp's `Tracer`):
 * `NAME TX|RX SRC > DST TYPE details, length N`, through the leveled logger. The level is checked once
 * per call (once per batch): when it is off the tracer costs one comparison.
 */
export class Tracer extends NetDriverWrapper {
  private readonly name: string;
  private readonly logger: Logger;
  private readonly level: LogLevel;
  private readonly target: string;

  constructor(inner: NetDriverOps, opts: TracerOptions = {}) {
    super(inner);
    this.name = opts.name ?? inner.deviceName();
    this.logger = opts.logger ?? log;
    this.level = opts.level ?? LogLevel.Trace;
    this.target = opts.target ?? "net::tracer";
  }

  private line(dir: string, b: NetBufPtr): void {
    this.logger.sink(this.level, this.target, `${this.name} ${dir} ${formatFrame(b.bytes, b.offset, b.len)}`);
  }

  override transmit(txBuf: NetBufPtr): DevResult<void> {
    if (!this.logger.enabled(this.level)) return this.inner.transmit(txBuf);
    const r = this.inner.transmit(txBuf);
    if (r instanceof DevError) {
      // a full queue (Again) is normal back-pressure, not worth a line per poll
      if (r.kind !== "Again")
        this.logger.sink(this.level, this.target, `${this.name} TX refused: ${r.message}`);
      return r;
    }
    this.line("TX", txBuf);
    return r;
  }

  override transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    const n = this.inner.transmitBatch(bufs, count);
    if (n instanceof DevError || !this.logger.enabled(this.level)) return n;
    for (let i = 0; i < n; i++) this.line("TX", bufs[i]!);
    return n;
  }

  override receive(): DevResult<NetBufPtr> {
    const r = this.inner.receive();
    if (r instanceof DevError || !this.logger.enabled(this.level)) return r;
    this.line("RX", r);
    return r;
  }

  override receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    const n = this.inner.receiveBatch(out, max);
    if (n instanceof DevError || !this.logger.enabled(this.level)) return n;
    for (let i = 0; i < n; i++) this.line("RX", out[i]!);
    return n;
  }
}
