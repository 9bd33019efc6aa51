/** How the `axdriver` commands talk to the user, and the errors that end a command. */

/** Output lines (without a trailing newline). Tests pass a recorder; the command line writes to stdout/stderr. */
export interface CliIo {
  /** A line of results (stdout). */
  out(line: string): void;
  /** A line of diagnostics (stderr). */
  err(line: string): void;
}

/** The process's stdout and stderr. */
export const processIo: CliIo = {
  out(line: string): void {
    process.stdout.write(`${line}\n`);
  },
  err(line: string): void {
    process.stderr.write(`${line}\n`);
  },
};

/** Exit codes of the `axdriver` command. */
export const ExitCode = {
  Ok: 0,
  /** The command ran and failed (I/O, a device error, a check that did not pass, not available yet). */
  Failure: 1,
  /** A bad flag, a bad value, a missing argument. */
  Usage: 2,
  /** Stopped by Ctrl-C (128 + SIGINT). */
  Interrupted: 130,
} as const;

/** A bad flag or value: reported on one line, exit code 2. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** A command that ran and failed: reported on one line, with its exit code (default 1). */
export class CommandFailed extends Error {
  constructor(
    message: string,
    readonly exitCode: number = ExitCode.Failure,
  ) {
    super(message);
    this.name = "CommandFailed";
  }
}

/** Joins a possibly multi-line message into one line. */
export function oneLine(text: string): string {
  return text.trim().replace(/\s*\n\s*/g, " ");
}
