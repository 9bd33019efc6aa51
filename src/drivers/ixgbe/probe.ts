import { DevError, type DevResult } from "../../base/dev-error.js";
import { log } from "../../base/log.js";
import { isIxgbe82599 } from "../../hw/ixgbe/ids.js";
import { PCI_COMMAND_MASTER, PCI_COMMAND_MEMORY } from "../../hw/pci/config.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import type { NetDriverEntry, PciProbeContext } from "../../platform/driver.js";
import { IxgbeNic, type IxgbeNicOptions } from "./ixgbe-nic.js";

/**
 * The PCI probe of ArceOS's ixgbe feature: an Intel (0x8086) 82599 function whose BAR0 is memory is
 * brought up as an {@link IxgbeNic}. An I/O BAR0 or a missing BAR0 is reported (error log) and the
 * function skipped (`undefined`), as ArceOS does; a BAR0 that cannot be read or mapped, or a failed
 * bring-up, is the error.
 */
export function probeIxgbePci(
  ctx: PciProbeContext,
  options: IxgbeNicOptions = {},
): DevResult<NetDriverOps> | undefined {
  const { hal, pci, bdf, info } = ctx;
  if (!isIxgbe82599(info.vendorId, info.deviceId)) return undefined;
  log.info("ixgbe", `ixgbe PCI device found at ${bdf.toString()}`);
  const bar = pci.barInfo(bdf, 0);
  if (bar instanceof DevError) {
    log.error("ixgbe", `cannot read BAR0 of ${bdf.toString()}: ${bar.message}`);
    return bar;
  }
  if (bar === undefined) {
    log.error("ixgbe", `BAR0 of ${bdf.toString()} is missing; skipped`);
    return undefined;
  }
  if (bar.kind === "io") {
    log.error("ixgbe", `BAR0 of ${bdf.toString()} is of I/O type; skipped`);
    return undefined;
  }
  if (bar.address === 0) return DevError.withDetail("BadState", `BAR0 of ${bdf.toString()} is not assigned`);
  // the device must decode its registers and may master the bus (ixy's enable_dma)
  const cmd = pci.getCommand(bdf);
  const want = PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER;
  if ((cmd & want) !== want) pci.setCommand(bdf, cmd | want);
  const regs = hal.mapMmio(bar.address, bar.size);
  if (regs instanceof DevError) return regs;
  return IxgbeNic.init(hal, regs, options);
}

/** A driver entry for the probe flow with the given NIC options (queue size and count, RSS). */
export function createIxgbeDriver(options: IxgbeNicOptions = {}): NetDriverEntry {
  return {
    name: "ixgbe",
    probePci(ctx: PciProbeContext): DevResult<NetDriverOps> | undefined {
      return probeIxgbePci(ctx, options);
    },
  };
}
