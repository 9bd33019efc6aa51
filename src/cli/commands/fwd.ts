import type { Command } from "commander";
import { InvalidArgumentError } from "commander";
import { type FwdOptions, NIC_KINDS, type NicKind, parseNicKindList } from "../options.js";
import type { CliContext } from "../program.js";
import { notAvailableYet } from "./not-available.js";
import { addTrafficOptions, type RawTrafficOptions, trafficOptions } from "./traffic-options.js";

/** Two NIC kinds, `a,b`. */
export function parseNicPair(text: string): [NicKind, NicKind] {
  const l = parseNicKindList(text);
  if (l.length !== 2) throw new InvalidArgumentError("give exactly two NIC kinds, e.g. ixgbe,ixgbe");
  return [l[0]!, l[1]!];
}

/** Builds {@link FwdOptions} from commander's parsed options. */
export function fwdOptions(raw: RawTrafficOptions & { nics?: [NicKind, NicKind] }): FwdOptions {
  return { nics: raw.nics ?? ["ixgbe", "ixgbe"], ...trafficOptions(raw) };
}

/** `axdriver fwd`: forward between two NICs, touching each frame (ixy's forwarder). */
export function registerFwd(program: Command, _ctx: CliContext): void {
  addTrafficOptions(
    program
      .command("fwd")
      .description("forward frames between two NICs, touching each frame (ixy-style), with live stats")
      .option(
        "--nics <a,b>",
        `the two NIC kinds (${NIC_KINDS.join(", ")}; default ixgbe,ixgbe)`,
        parseNicPair,
      ),
  ).action((raw: RawTrafficOptions & { nics?: [NicKind, NicKind] }) => {
    fwdOptions(raw);
    notAvailableYet("fwd");
  });
}
