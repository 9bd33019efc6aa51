import type { NetDriverEntry } from "../../platform/driver.js";
/** Placeholder until the virtio-net driver lands: matches nothing. */
export const virtioNetDriver: NetDriverEntry = { name: "virtio-net" };
