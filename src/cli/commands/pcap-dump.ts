import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { LINKTYPE_ETHERNET, PcapFormatError, PcapReader, type PcapRecord } from "../../link/pcap.js";
import { formatFrame } from "../../net/wrappers/frame-format.js";
import { CommandFailed } from "../io.js";
import { parseIntInRange } from "../options.js";
import type { CliContext } from "../program.js";

/**
 * `axdriver pcap-dump FILE`: a header line, then one line per frame (number, seconds since the first
 * frame, the tracer's one-line description), then the frame count.
 */
export function registerPcapDump(program: Command, ctx: CliContext): void {
  program
    .command("pcap-dump")
    .description("print the frames of a libpcap capture, one line each")
    .argument("<file>", "capture file (libpcap, either byte order, µs or ns timestamps)")
    .option("-c, --count <n>", "stop after n frames", (t) => parseIntInRange(t, 1, 2 ** 31, "count"))
    .action((file: string, opts: { count?: number }) => {
      let data: Uint8Array;
      try {
        data = readFileSync(file);
      } catch (e) {
        throw new CommandFailed(
          `cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        );
      }
      try {
        dumpPcap(data, file, ctx, opts.count ?? Number.POSITIVE_INFINITY);
      } catch (e) {
        if (e instanceof PcapFormatError) throw new CommandFailed(`${file}: ${e.message}`);
        throw e;
      }
    });
}

function dumpPcap(data: Uint8Array, file: string, ctx: CliContext, limit: number): void {
  const r = new PcapReader(data);
  const h = r.header;
  const out = (line: string) => ctx.io.out(line);
  out(
    `${file}: pcap ${h.versionMajor}.${h.versionMinor}, linktype ${h.linktype}${h.linktype === LINKTYPE_ETHERNET ? " (Ethernet)" : ""}, ` +
      `${h.nanosecond ? "nanosecond" : "microsecond"} timestamps, snaplen ${h.snaplen}, ${h.littleEndian ? "little" : "big"}-endian`,
  );
  const rec: PcapRecord = { tsSec: 0, tsFrac: 0, inclLen: 0, origLen: 0, offset: 0 };
  const fracDigits = h.nanosecond ? 9 : 6;
  const fracScale = h.nanosecond ? 1e9 : 1e6;
  let n = 0;
  let firstSec = 0;
  let firstFrac = 0;
  while (n < limit && r.next(rec)) {
    if (n === 0) {
      firstSec = rec.tsSec;
      firstFrac = rec.tsFrac;
    }
    n++;
    // seconds since the first frame, from the integer fields (no float drift on epoch times)
    let ds = rec.tsSec - firstSec;
    let df = rec.tsFrac - firstFrac;
    if (df < 0) {
      ds -= 1;
      df += fracScale;
    }
    const t = `${ds}.${String(df).padStart(fracDigits, "0")}`;
    const what =
      h.linktype === LINKTYPE_ETHERNET
        ? formatFrame(r.bytes, rec.offset, rec.inclLen, rec.origLen)
        : `length ${rec.origLen}`;
    out(`${String(n).padStart(6)} ${t.padStart(fracDigits + 6)} ${what}`);
  }
  out(`${n} frame${n === 1 ? "" : "s"}`);
}
