import type { Command } from "commander";
import { NIC_KINDS, type NicKind, type PktgenOptions, parseNicKind } from "../options.js";
import type { CliContext } from "../program.js";
import { notAvailableYet } from "./not-available.js";
import { addTrafficOptions, type RawTrafficOptions, trafficOptions } from "./traffic-options.js";

/** Builds {@link PktgenOptions} from commander's parsed options. */
export function pktgenOptions(raw: RawTrafficOptions & { nic?: NicKind }): PktgenOptions {
  return { nic: raw.nic ?? "virtio-net-pci", ...trafficOptions(raw) };
}

/** `axdriver pktgen`: send frames as fast as the NIC takes them, ixy-style, with a stats line per second. */
export function registerPktgen(program: Command, _ctx: CliContext): void {
  addTrafficOptions(
    program
      .command("pktgen")
      .description("generate traffic on one NIC (ixy-style packet generator) with live stats")
      .option("--nic <kind>", `NIC kind: ${NIC_KINDS.join(", ")} (default virtio-net-pci)`, parseNicKind),
  ).action((raw: RawTrafficOptions & { nic?: NicKind }) => {
    pktgenOptions(raw);
    notAvailableYet("pktgen");
  });
}
