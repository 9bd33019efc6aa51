import type { NetDriverEntry } from "../../platform/driver.js";
/** Placeholder until the ixgbe driver lands: matches nothing. */
export const ixgbeDriver: NetDriverEntry = { name: "ixgbe" };
