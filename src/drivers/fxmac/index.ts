import type { NetDriverEntry } from "../../platform/driver.js";
/** Placeholder until the fxmac driver lands: matches nothing. */
export const fxmacDriver: NetDriverEntry = { name: "fxmac" };
