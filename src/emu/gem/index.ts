/**
 * The Phytium FXMAC (Cadence GEM) device model and its Motorcomm YT8521 PHY.
 * @packageDocumentation
 */
export { crc32 as gemCrc32 } from "./crc32.js";
export type { GemModelCounters, GemModelOptions } from "./gem-model.js";
export { GemFault, GemModel, gemHashIndex } from "./gem-model.js";
export type { MdioAccess, PhyLinkMode, PhyLinkPartner, Yt8521Options } from "./yt8521-phy.js";
export { PHY_ALL_SPEEDS, PhyAbility, resolveLinkMode, Yt8521Phy } from "./yt8521-phy.js";
