/**
 * The Phytium FXMAC (Cadence GEM) driver: `FXmacNic` and its probe entry.
 * @packageDocumentation
 */
import type { DevResult } from "../../base/dev-error.js";
import { GEM_COMPATIBLE } from "../../hw/gem/registers.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import type { NetDriverEntry, PlatformProbeContext } from "../../platform/driver.js";
import { FXmacNic } from "./fxmac-nic.js";

export type { FXmacOptions, FXmacStats } from "./fxmac-nic.js";
export { FXmacNic } from "./fxmac-nic.js";
export type { PhyConfig, PhyLink } from "./fxmac-phy.js";
export { Mdio, phyInit } from "./fxmac-phy.js";

/**
 * The fxmac driver as the probe flow sees it: a platform device whose compatible string is
 * `cdns,phytium-gem-1.0` is brought up at the description's register base; anything else is not ours.
 */
export const fxmacDriver: NetDriverEntry = {
  name: "fxmac",
  probePlatform(ctx: PlatformProbeContext): DevResult<NetDriverOps> | undefined {
    if (ctx.device.compatible !== GEM_COMPATIBLE) return undefined;
    return FXmacNic.init(ctx.hal, { base: ctx.device.base, size: ctx.device.size });
  },
};
