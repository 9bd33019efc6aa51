// Node-only: reads Linux sysfs. Never opens a file for writing and never touches `resource*` files.
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { DevError } from "../base/dev-error.js";
import { PCI_VENDOR_NONE } from "../hw/pci/config.js";
import { type ConfigurationAccess, DeviceFunction } from "./types.js";

/** Where Linux lists PCI functions (pci.md §11). */
export const SYSFS_PCI_DEVICES = "/sys/bus/pci/devices";

/** A PCI function as sysfs names it: `DDDD:BB:DD.F`. */
export interface SysfsFunction {
  /** PCI domain (segment). */
  domain: number;
  bdf: DeviceFunction;
  /** The directory name, e.g. `0000:00:03.0`. */
  name: string;
}

const NAME = /^([0-9a-fA-F]{4,}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/;

/** The functions sysfs lists under `root`, sorted by domain, bus, device, function (as lspci sorts). */
export function listSysfsFunctions(root: string = SYSFS_PCI_DEVICES): SysfsFunction[] {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return []; // no PCI in this system (or no sysfs)
  }
  const out: SysfsFunction[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (m === null) continue;
    const dev = Number.parseInt(m[3]!, 16);
    if (dev > 31) continue;
    out.push({
      domain: Number.parseInt(m[1]!, 16),
      bdf: new DeviceFunction(Number.parseInt(m[2]!, 16), dev, Number.parseInt(m[4]!, 16)),
      name,
    });
  }
  out.sort(
    (a, b) =>
      a.domain - b.domain || a.bdf.bus - b.bdf.bus || a.bdf.device - b.bdf.device || a.bdf.func - b.bdf.func,
  );
  return out;
}

/** Options of a {@link SysfsConfigAccess}. */
export interface SysfsConfigOptions {
  /** The sysfs directory (default `/sys/bus/pci/devices`; tests point it at a fake tree). */
  root?: string;
  /** PCI domain to serve (default 0). */
  domain?: number;
  /**
   * Show the kernel's view of the identity fields, as lspci does: vendor, device, class/prog-if and revision
   * come from the sysfs attribute files (which carry the kernel's quirk fixes) instead of the raw config
   * bytes. Default false (raw configuration space).
   */
  kernelView?: boolean;
}

function readHexAttr(dir: string, attr: string): number | undefined {
  try {
    const text = readFileSync(join(dir, attr), { encoding: "latin1", flag: "r" }).trim();
    const v = Number.parseInt(text, 16);
    return Number.isNaN(v) ? undefined : v;
  } catch {
    return undefined;
  }
}

/**
 * A read-only {@link ConfigurationAccess} over Linux sysfs: each function's `config` file is read once
 * (opened read-only) and served from memory; {@link SysfsConfigAccess.refresh} reads again. Absent functions
 * read all ones. Without CAP_SYS_ADMIN the kernel gives only the first 64 bytes of `config`; dwords beyond
 * what was readable read as 0 (so a capability walk ends). Writing is refused (`Unsupported` is thrown):
 * this access never changes a device.
 */
export class SysfsConfigAccess implements ConfigurationAccess {
  readonly root: string;
  readonly domain: number;
  readonly kernelView: boolean;
  private readonly cache = new Map<number, Uint8Array | null>();
  private listed: DeviceFunction[] | undefined;

  constructor(opts: SysfsConfigOptions = {}) {
    this.root = opts.root ?? SYSFS_PCI_DEVICES;
    this.domain = opts.domain ?? 0;
    this.kernelView = opts.kernelView ?? false;
  }

  /** The functions of this domain that sysfs lists, sorted. */
  functions(): DeviceFunction[] {
    if (this.listed === undefined) {
      this.listed = listSysfsFunctions(this.root)
        .filter((f) => f.domain === this.domain)
        .map((f) => f.bdf);
    }
    return this.listed;
  }

  /** Forgets what was read; the next access reads sysfs again. */
  refresh(): void {
    this.cache.clear();
    this.listed = undefined;
  }

  /** The sysfs directory of `bdf` in this domain. */
  directoryOf(bdf: DeviceFunction): string {
    return join(this.root, `${this.domain.toString(16).padStart(4, "0")}:${bdf.toString()}`);
  }

  /** Bytes of configuration space that could be read for `bdf` (0 when absent). */
  readableLength(bdf: DeviceFunction): number {
    return this.load(bdf)?.length ?? 0;
  }

  private load(bdf: DeviceFunction): Uint8Array | null {
    const key = (bdf.bus << 8) | (bdf.device << 3) | bdf.func;
    const hit = this.cache.get(key);
    if (hit !== undefined) return hit;
    const dir = this.directoryOf(bdf);
    let bytes: Uint8Array | null;
    try {
      const buf = readFileSync(join(dir, "config"), { flag: "r" });
      bytes = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength & ~3);
    } catch {
      bytes = null;
    }
    if (bytes !== null && this.kernelView) bytes = this.overlayKernelView(dir, bytes);
    this.cache.set(key, bytes);
    return bytes;
  }

  private overlayKernelView(dir: string, raw: Uint8Array): Uint8Array {
    const bytes = new Uint8Array(Math.max(raw.length, 12));
    bytes.set(raw);
    const dv = new DataView(bytes.buffer);
    const vendor = readHexAttr(dir, "vendor");
    const device = readHexAttr(dir, "device");
    const cls = readHexAttr(dir, "class");
    const rev = readHexAttr(dir, "revision");
    if (vendor !== undefined) dv.setUint16(0, vendor & 0xffff, true);
    if (device !== undefined) dv.setUint16(2, device & 0xffff, true);
    if (rev !== undefined) bytes[8] = rev & 0xff;
    if (cls !== undefined) {
      bytes[9] = cls & 0xff;
      bytes[10] = (cls >>> 8) & 0xff;
      bytes[11] = (cls >>> 16) & 0xff;
    }
    return bytes;
  }

  readWord(bdf: DeviceFunction, offset: number): number {
    if (!Number.isInteger(offset) || offset < 0 || offset >= 0x1000 || (offset & 3) !== 0) {
      throw new RangeError(`configuration offset 0x${offset.toString(16)} misaligned or outside the space`);
    }
    const bytes = this.load(bdf);
    if (bytes === null) return offset === 0 ? (PCI_VENDOR_NONE | (0xffff << 16)) >>> 0 : 0xffff_ffff;
    if (offset + 4 > bytes.length) return 0;
    return (
      (bytes[offset]! |
        (bytes[offset + 1]! << 8) |
        (bytes[offset + 2]! << 16) |
        (bytes[offset + 3]! << 24)) >>>
      0
    );
  }

  writeWord(bdf: DeviceFunction, offset: number, _value: number): void {
    throw DevError.withDetail(
      "Unsupported",
      `sysfs configuration access is read-only (write to ${bdf.toString()} +0x${offset.toString(16)})`,
    );
  }
}
