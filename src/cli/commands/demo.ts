import type { Command } from "commander";
import type { CliContext } from "../program.js";

/** The demo `npm start` runs. Until the drivers exist it says what it will do and exits 0. */
export function registerDemo(program: Command, ctx: CliContext): void {
  program
    .command("demo")
    .description(
      "the end-to-end demo: one NIC of each kind joined by wires, probed, traffic checked frame by frame",
    )
    .action(() => {
      const out = (line: string) => ctx.io.out(line);
      out("axdriver demo (emulated machine)");
      out("  will build a machine with one NIC of each kind (virtio-net over PCI, legacy PCI and MMIO,");
      out("  an Intel 82599 and a Phytium FXMAC), probe it and print the device tree,");
      out("  join the NICs by wires, send traffic across all of them for a few seconds with live stats,");
      out("  and check every frame for arrival and integrity (sequence number and payload).");
      out("  The drivers are being built; see the README's device table for what works today.");
    });
}
