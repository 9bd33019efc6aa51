import { DevError, type DevResult } from "../base/dev-error.js";
import { fxmacDriver } from "../drivers/fxmac/index.js";
import { ixgbeDriver } from "../drivers/ixgbe/index.js";
import { virtioNetDriver } from "../drivers/virtio/index.js";
import type { NetDriverEntry } from "./driver.js";

/**
 * Every network driver that exists, in probe order (ArceOS's `for_each_drivers!` with all net features on).
 * Importing this module bundles them all; import single driver entries instead to leave drivers out.
 */
export function defaultDrivers(): NetDriverEntry[] {
  return [virtioNetDriver, ixgbeDriver, fxmacDriver];
}

/**
 * The entries of `available` named in `names`, in the order of `names` (the TypeScript form of choosing Cargo
 * features). An unknown name is `InvalidParam`; a name given twice counts once.
 */
export function selectDrivers(
  names: readonly string[],
  available: readonly NetDriverEntry[] = defaultDrivers(),
): DevResult<NetDriverEntry[]> {
  const out: NetDriverEntry[] = [];
  for (const name of names) {
    const d = available.find((e) => e.name === name);
    if (d === undefined) {
      return DevError.withDetail(
        "InvalidParam",
        `no driver '${name}' (have: ${available.map((e) => e.name).join(", ")})`,
      );
    }
    if (!out.includes(d)) out.push(d);
  }
  return out;
}
