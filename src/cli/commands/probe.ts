import type { Command } from "commander";
import { NIC_KINDS, type NicKind, type ProbeOptions, parseNicKindList } from "../options.js";
import type { CliContext } from "../program.js";
import { notAvailableYet } from "./not-available.js";

/** Builds {@link ProbeOptions} from commander's parsed options. */
export function probeOptions(raw: { devices?: NicKind[] }): ProbeOptions {
  return { devices: raw.devices ?? [...NIC_KINDS] };
}

/** `axdriver probe`: build the emulated machine, probe, print the bus tree and every device. */
export function registerProbe(program: Command, _ctx: CliContext): void {
  program
    .command("probe")
    .description(
      "build the emulated machine, probe it, print the PCI/MMIO tree and every NIC (MAC, queues, link)",
    )
    .option(
      "--devices <kinds>",
      `comma-separated NIC kinds (default: all of ${NIC_KINDS.join(",")})`,
      parseNicKindList,
    )
    .action((raw: { devices?: NicKind[] }) => {
      probeOptions(raw);
      notAvailableYet("probe");
    });
}
