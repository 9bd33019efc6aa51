// Runs the axdriver command in-process and records what it prints (shared by the CLI tests).
import type { CliIo } from "../src/cli/io.js";
import { runCli } from "../src/cli/program.js";

/** A CliIo that keeps every line. */
export class Recorder implements CliIo {
  outLines: string[] = [];
  errLines: string[] = [];
  out(line: string): void {
    this.outLines.push(...line.split("\n"));
  }
  err(line: string): void {
    this.errLines.push(...line.split("\n"));
  }
}

/** Runs `axdriver ARGS` in-process: exit code, stdout and stderr lines, stdout as one text. */
export async function cli(args: string[], env: Record<string, string> = {}) {
  const io = new Recorder();
  const code = await runCli(args, io, env);
  return { code, out: io.outLines, err: io.errLines, text: io.outLines.join("\n") };
}
