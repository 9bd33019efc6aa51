import type { Command } from "commander";
import { SYSFS_PCI_DEVICES } from "../../pci/sysfs.js";
import { CommandFailed } from "../io.js";
import { lspciSysfs } from "../lspci.js";
import type { CliContext } from "../program.js";

/** `axdriver lspci`: the host's PCI functions in the shape of `lspci -n`, from sysfs, read-only. */
export function registerLspci(program: Command, ctx: CliContext): void {
  program
    .command("lspci")
    .description("list this machine's PCI functions like `lspci -n` (read-only, from sysfs)")
    .option("--sysfs <dir>", `sysfs PCI devices directory (default ${SYSFS_PCI_DEVICES})`)
    .action((opts: { sysfs?: string }) => {
      let lines: string[];
      try {
        lines = lspciSysfs(opts.sysfs ?? SYSFS_PCI_DEVICES);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new CommandFailed(`cannot read ${opts.sysfs ?? SYSFS_PCI_DEVICES}: ${err.code ?? err.message}`);
      }
      for (const l of lines) ctx.io.out(l);
    });
}
