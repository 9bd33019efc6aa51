/** The `axdriver` command line: global options, error handling and the subcommands. */
import { Command, CommanderError } from "commander";
import { log } from "../base/log.js";
import { registerAttach } from "./commands/attach.js";
import { registerBench } from "./commands/bench.js";
import { registerDemo } from "./commands/demo.js";
import { registerFwd } from "./commands/fwd.js";
import { registerLspci } from "./commands/lspci.js";
import { registerPcapDump } from "./commands/pcap-dump.js";
import { registerPktgen } from "./commands/pktgen.js";
import { registerProbe } from "./commands/probe.js";
import { type CliIo, CommandFailed, ExitCode, oneLine, processIo, UsageError } from "./io.js";
import { LOG_LEVEL_NAMES, parseLogLevel } from "./options.js";

/** What a subcommand gets: where to print, and a place for its exit code. */
export interface CliContext {
  io: CliIo;
  /** Exit code the command asks for (default 0). */
  exitCode: number;
}

/** A subcommand's registration function (one per file in `commands/`). */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

const COMMANDS: readonly RegisterCommand[] = [
  registerDemo,
  registerProbe,
  registerPktgen,
  registerFwd,
  registerBench,
  registerLspci,
  registerPcapDump,
  registerAttach,
];

function stripNewline(s: string): string {
  return s.endsWith("\n") ? s.slice(0, -1) : s;
}

/** Builds the command tree. Errors surface as exceptions (commander's `exitOverride`), never as exits. */
export function buildProgram(ctx: CliContext): Command {
  const io = ctx.io;
  const program = new Command("axdriver")
    .description(
      "ArceOS axdriver network drivers (virtio-net, Intel 82599, Phytium FXMAC) on an emulated machine",
    )
    .option(
      "--log <level>",
      `log level: ${LOG_LEVEL_NAMES.join(", ")} (default: AXDRIVER_LOG, else off)`,
      parseLogLevel,
    )
    .configureOutput({
      writeOut: (s) => io.out(stripNewline(s)),
      writeErr: (s) => io.err(stripNewline(s)),
      outputError: (s, write) => write(`axdriver: ${oneLine(s.replace(/^error: /, ""))}\n`),
    })
    .exitOverride()
    .showSuggestionAfterError(true);
  program.hook("preAction", (cmd) => {
    const level = cmd.opts().log as number | undefined;
    if (level !== undefined) log.setLevel(level as Parameters<typeof log.setLevel>[0]);
  });
  for (const register of COMMANDS) register(program, ctx);
  return program;
}

/**
 * Runs the command line `argv` (without `node` and the script) and returns the exit code: 0 done,
 * 1 failed, 2 bad usage (one-line message, no stack trace), 130 interrupted.
 */
export async function runCli(
  argv: readonly string[],
  io: CliIo = processIo,
  env: Readonly<Record<string, string | undefined>> = process.env,
): Promise<number> {
  const envLevel = env.AXDRIVER_LOG;
  if (envLevel !== undefined && envLevel !== "") {
    try {
      log.setLevel(parseLogLevel(envLevel));
    } catch (e) {
      io.err(`axdriver: AXDRIVER_LOG=${envLevel}: ${(e as Error).message}`);
      return ExitCode.Usage;
    }
  }
  const ctx: CliContext = { io, exitCode: ExitCode.Ok };
  const program = buildProgram(ctx);
  try {
    await program.parseAsync([...argv], { from: "user" });
    return ctx.exitCode;
  } catch (e) {
    if (e instanceof CommanderError) {
      // commander printed its one-line message already (outputError)
      return e.exitCode === 0 ? ExitCode.Ok : ExitCode.Usage;
    }
    if (e instanceof UsageError) {
      io.err(`axdriver: ${oneLine(e.message)}`);
      return ExitCode.Usage;
    }
    if (e instanceof CommandFailed) {
      io.err(`axdriver: ${oneLine(e.message)}`);
      return e.exitCode;
    }
    const err = e instanceof Error ? e : new Error(String(e));
    io.err(`axdriver: ${oneLine(err.message)}`);
    if (log.debugOn && err.stack !== undefined) io.err(err.stack);
    return ExitCode.Failure;
  }
}
