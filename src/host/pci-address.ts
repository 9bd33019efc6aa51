import { existsSync, readlinkSync } from "node:fs";
import { basename } from "node:path";
import { DevError, type DevResult } from "../base/dev-error.js";
import { DeviceFunction } from "../pci/types.js";

/** Where Linux lists PCI functions. */
export const SYSFS_PCI_DEVICES = "/sys/bus/pci/devices";

/** A PCI address as the user named it, in the kernel's `DDDD:BB:DD.F` form. */
export interface PciAddress {
  /** `DDDD:BB:DD.F`, lower case. */
  readonly text: string;
  readonly domain: number;
  readonly bdf: DeviceFunction;
  /** `/sys/bus/pci/devices/DDDD:BB:DD.F`. */
  readonly sysfsPath: string;
}

/**
 * Parses `DDDD:BB:DD.F` or `BB:DD.F` (domain 0). Throws with a one-line reason when malformed: a user-named
 * address is the only way a device gets opened, so nothing is guessed.
 */
export function parsePciAddress(text: string, sysfsRoot = SYSFS_PCI_DEVICES): PciAddress {
  const m = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(text.trim());
  if (m === null) throw new Error(`'${text}' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)`);
  const domain = Number.parseInt(m[1] ?? "0000", 16);
  const bus = Number.parseInt(m[2]!, 16);
  const dev = Number.parseInt(m[3]!, 16);
  const func = Number.parseInt(m[4]!, 16);
  if (dev > 31) throw new Error(`'${text}' is not a PCI address (device ${dev} > 31)`);
  const norm = `${domain.toString(16).padStart(4, "0")}:${m[2]!.toLowerCase()}:${m[3]!.toLowerCase()}.${func}`;
  return { text: norm, domain, bdf: new DeviceFunction(bus, dev, func), sysfsPath: `${sysfsRoot}/${norm}` };
}

/** The name of the kernel driver bound to the function, or undefined when none is. */
export function boundDriver(addr: PciAddress): string | undefined {
  try {
    return basename(readlinkSync(`${addr.sysfsPath}/driver`));
  } catch {
    return undefined;
  }
}

/**
 * Checks that the named function exists and that no kernel driver owns it (or, for VFIO, that exactly
 * `vfio-pci` does). Returns a one-line reason to refuse, or undefined when it may be opened.
 */
export function refusalReason(addr: PciAddress, want: "none" | "vfio-pci"): string | undefined {
  if (!existsSync(addr.sysfsPath)) return `refusing ${addr.text}: no such PCI function in ${addr.sysfsPath}`;
  const drv = boundDriver(addr);
  if (want === "none") {
    if (drv === undefined) return undefined;
    return (
      `refusing ${addr.text}: kernel driver '${drv}' is bound to it ` +
      `(unbind it first: echo ${addr.text} > ${addr.sysfsPath}/driver/unbind)`
    );
  }
  if (drv === "vfio-pci") return undefined;
  if (drv === undefined)
    return (
      `refusing ${addr.text}: not bound to vfio-pci ` +
      `(echo vfio-pci > ${addr.sysfsPath}/driver_override; echo ${addr.text} > /sys/bus/pci/drivers_probe)`
    );
  return `refusing ${addr.text}: kernel driver '${drv}' is bound to it, not vfio-pci`;
}

/**
 * The address the user named, parsed and checked for opening ({@link refusalReason}): `InvalidParam` for a
 * malformed or absent function, `ResourceBusy` when a driver other than `want` holds it; one line each.
 */
export function openableAddress(
  address: string | PciAddress,
  want: "none" | "vfio-pci",
): DevResult<PciAddress> {
  let addr: PciAddress;
  try {
    addr = typeof address === "string" ? parsePciAddress(address) : address;
  } catch (e) {
    return DevError.withDetail("InvalidParam", (e as Error).message);
  }
  const why = refusalReason(addr, want);
  if (why !== undefined)
    return DevError.withDetail(why.includes("driver") ? "ResourceBusy" : "InvalidParam", why);
  return addr;
}
