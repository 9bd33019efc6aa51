/** Log levels of the `log` crate, from most to least severe; `Off` silences everything. */
export const LogLevel = { Off: 0, Error: 1, Warn: 2, Info: 3, Debug: 4, Trace: 5 } as const;
/** One of the {@link LogLevel} values. */
export type LogLevel = (typeof LogLevel)[keyof typeof LogLevel];

const NAMES = ["OFF", "ERROR", "WARN", "INFO", "DEBUG", "TRACE"] as const;

/** Where log lines go. The default writes to `console.error`. */
export type LogSink = (level: LogLevel, target: string, message: string) => void;

const defaultSink: LogSink = (level, target, message) => {
  console.error(`[${NAMES[level]} ${target}] ${message}`);
};

/**
 * A leveled logger, silent by default. Call sites check `enabled(level)` (or use the level getters
 * such as {@link Logger.debugOn}) before building a message, so a disabled level costs one comparison.
 */
export class Logger {
  /** The current maximum level; messages above it are dropped. */
  level: LogLevel = LogLevel.Off;
  /** Where lines go. */
  sink: LogSink = defaultSink;

  /** Sets the level from a name ("info", "debug", ...) or a {@link LogLevel}; returns false for a bad name. */
  setLevel(level: LogLevel | string): boolean {
    if (typeof level === "number") {
      this.level = level;
      return true;
    }
    const i = NAMES.indexOf(level.toUpperCase() as (typeof NAMES)[number]);
    if (i < 0) return false;
    this.level = i as LogLevel;
    return true;
  }

  /** True when messages of `level` are written. */
  enabled(level: LogLevel): boolean {
    return level <= this.level && level !== LogLevel.Off;
  }

  /** True when trace is on (check once per batch on data paths). */
  get traceOn(): boolean {
    return this.level >= LogLevel.Trace;
  }
  /** True when debug is on. */
  get debugOn(): boolean {
    return this.level >= LogLevel.Debug;
  }

  error(target: string, message: string): void {
    if (this.level >= LogLevel.Error) this.sink(LogLevel.Error, target, message);
  }
  warn(target: string, message: string): void {
    if (this.level >= LogLevel.Warn) this.sink(LogLevel.Warn, target, message);
  }
  info(target: string, message: string): void {
    if (this.level >= LogLevel.Info) this.sink(LogLevel.Info, target, message);
  }
  debug(target: string, message: string): void {
    if (this.level >= LogLevel.Debug) this.sink(LogLevel.Debug, target, message);
  }
  trace(target: string, message: string): void {
    if (this.level >= LogLevel.Trace) this.sink(LogLevel.Trace, target, message);
  }
}

/** The library's logger. Silent until the CLI (or the user) sets a level. */
export const log: Logger = new Logger();
