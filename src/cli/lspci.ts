import { PCI_VENDOR_NONE } from "../hw/pci/config.js";
import { PciRoot } from "../pci/root.js";
import { listSysfsFunctions, SYSFS_PCI_DEVICES, SysfsConfigAccess } from "../pci/sysfs.js";
import type { ConfigurationAccess, DeviceFunction } from "../pci/types.js";

const hex = (v: number, w: number) => v.toString(16).padStart(w, "0");

/**
 * One line in the shape of `lspci -n` (pciutils `show_terse` with numeric names):
 * `[dddd:]bb:dd.f cccc: vvvv:dddd[ (rev rr)]`, where `cccc` is class and subclass and the revision is shown
 * only when it is not zero. `domain` prefixes the line when given. Undefined when nothing answers at `bdf`.
 */
export function lspciLine(
  access: ConfigurationAccess,
  bdf: DeviceFunction,
  domain?: number,
): string | undefined {
  const id = access.readWord(bdf, 0);
  if ((id & 0xffff) === PCI_VENDOR_NONE) return undefined;
  const classRev = access.readWord(bdf, 8);
  const cls = classRev >>> 16;
  const rev = classRev & 0xff;
  const slot = `${domain === undefined ? "" : `${hex(domain, 4)}:`}${hex(bdf.bus, 2)}:${hex(bdf.device, 2)}.${bdf.func}`;
  return `${slot} ${hex(cls, 4)}: ${hex(id & 0xffff, 4)}:${hex(id >>> 16, 4)}${rev !== 0 ? ` (rev ${hex(rev, 2)})` : ""}`;
}

/**
 * `lspci -n` lines for the functions reachable through `access`: the given functions (in order), or, when
 * none are given, every function found by enumerating buses 0..`busEnd` with the multi-function rule.
 */
export function lspciLines(
  access: ConfigurationAccess,
  functions?: Iterable<DeviceFunction>,
  opts: { busEnd?: number; domain?: number } = {},
): string[] {
  const out: string[] = [];
  if (functions === undefined) {
    const root = new PciRoot(access);
    const busEnd = opts.busEnd ?? 0xff;
    for (let bus = 0; bus <= busEnd; bus++) {
      for (const [bdf] of root.enumerateBus(bus)) {
        const line = lspciLine(access, bdf, opts.domain);
        if (line !== undefined) out.push(line);
      }
    }
    return out;
  }
  for (const bdf of functions) {
    const line = lspciLine(access, bdf, opts.domain);
    if (line !== undefined) out.push(line);
  }
  return out;
}

/**
 * `lspci -n` of this Linux machine from sysfs (Node-only; read-only): every function sysfs lists, sorted by
 * domain, bus, device, function, with the kernel's view of the identity fields as lspci shows them. As lspci,
 * every line carries the domain once any function lies outside domain 0.
 */
export function lspciSysfs(root: string = SYSFS_PCI_DEVICES): string[] {
  const all = listSysfsFunctions(root);
  const showDomain = all.some((f) => f.domain !== 0);
  const byDomain = new Map<number, SysfsConfigAccess>();
  const out: string[] = [];
  for (const f of all) {
    let access = byDomain.get(f.domain);
    if (access === undefined) {
      access = new SysfsConfigAccess({ root, domain: f.domain, kernelView: true });
      byDomain.set(f.domain, access);
    }
    const line = lspciLine(access, f.bdf, showDomain ? f.domain : undefined);
    if (line !== undefined) out.push(line);
  }
  return out;
}
