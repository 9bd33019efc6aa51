import { DevError, type DevResult } from "../base/dev-error.js";
import { log } from "../base/log.js";
import {
  PCI_BAR_COUNT,
  PCI_BAR_MEM_PREFETCH,
  PCI_BAR_MEM_TYPE_64,
  PCI_BAR_MEM_TYPE_MASK,
  PCI_BAR_SPACE_IO,
  PCI_BAR0,
  PCI_BRIDGE_BAR_COUNT,
  PCI_CAP_MAX_HOPS,
  PCI_CAP_PTR_MASK,
  PCI_CAPABILITY_LIST,
  PCI_COMMAND,
  PCI_COMMAND_IO,
  PCI_COMMAND_MEMORY,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_HEADER_TYPE_MASK,
  PCI_HEADER_TYPE_MULTIFUNCTION,
  PCI_HEADER_TYPE_NORMAL,
  PCI_MAX_DEVICES,
  PCI_MAX_FUNCTIONS,
  PCI_PRIMARY_BUS,
  PCI_STATUS_CAP_LIST,
  PCI_STD_HEADER_END,
  PCI_VENDOR_NONE,
} from "../hw/pci/config.js";
import {
  type BarInfo,
  type CapabilityInfo,
  type ConfigurationAccess,
  DeviceFunction,
  type DeviceFunctionInfo,
  type PciFunctionAccess,
} from "./types.js";

const TWO32 = 0x1_0000_0000;

/** A (function, what it is) pair from {@link PciRoot.enumerateBus}. */
export type PciFunctionEntry = [DeviceFunction, DeviceFunctionInfo];

/** `8086:10fb (class 02.00)`: how the probe log names a function (ArceOS's `PCI {bdf}: {info}`). */
export function formatFunctionInfo(info: DeviceFunctionInfo): string {
  const h4 = (v: number) => v.toString(16).padStart(4, "0");
  const h2 = (v: number) => v.toString(16).padStart(2, "0");
  return `${h4(info.vendorId)}:${h4(info.deviceId)} (class ${h2(info.classCode)}.${h2(info.subclass)})`;
}

/** Decodes dwords 0x00, 0x08 and 0x0C of configuration space into a {@link DeviceFunctionInfo}. */
export function decodeFunctionInfo(id: number, classRev: number, bistHeader: number): DeviceFunctionInfo {
  const header = (bistHeader >>> 16) & 0xff;
  return {
    vendorId: id & 0xffff,
    deviceId: id >>> 16,
    classCode: classRev >>> 24,
    subclass: (classRev >>> 16) & 0xff,
    progIf: (classRev >>> 8) & 0xff,
    revision: classRev & 0xff,
    headerType: header & PCI_HEADER_TYPE_MASK,
    multifunction: (header & PCI_HEADER_TYPE_MULTIFUNCTION) !== 0,
  };
}

/**
 * The root of a PCI hierarchy over a {@link ConfigurationAccess}, as virtio-drivers' `PciRoot` (re-exported
 * by axdriver_pci): enumeration, sub-word configuration access, BAR sizing and assignment, command/status,
 * capability iteration. Everything it reads from the device is range-checked before use.
 */
export class PciRoot implements PciFunctionAccess {
  constructor(readonly access: ConfigurationAccess) {}

  // ---------------------------------------------------------------- enumeration

  /**
   * The functions on `bus` (pci.md §9): for each device 0..31, function 0 (absent: vendor 0xFFFF ->
   * skip the device); functions 1..7 only when function 0's header type has the multi-function bit.
   */
  *enumerateBus(bus: number): Generator<PciFunctionEntry, void, undefined> {
    for (let device = 0; device < PCI_MAX_DEVICES; device++) {
      const f0 = new DeviceFunction(bus, device, 0);
      const info0 = this.functionInfo(f0);
      if (info0 === undefined) continue;
      yield [f0, info0];
      if (!info0.multifunction) continue;
      for (let func = 1; func < PCI_MAX_FUNCTIONS; func++) {
        const bdf = new DeviceFunction(bus, device, func);
        const info = this.functionInfo(bdf);
        if (info !== undefined) yield [bdf, info];
      }
    }
  }

  /** What the function at `bdf` is, or undefined when nothing answers there. */
  functionInfo(bdf: DeviceFunction): DeviceFunctionInfo | undefined {
    const id = this.access.readWord(bdf, 0);
    if ((id & 0xffff) === PCI_VENDOR_NONE) return undefined;
    return decodeFunctionInfo(id, this.access.readWord(bdf, 8), this.access.readWord(bdf, 0x0c));
  }

  /**
   * Gives every PCI-to-PCI bridge reachable from `bus` its bus numbers, depth first, as firmware does:
   * primary = its bus, secondary = the next free number, subordinate = the highest number behind it. Returns
   * the highest bus number used. Bridges are found with the multi-function rule of {@link enumerateBus}.
   */
  assignBusNumbers(bus = 0, next = bus + 1, busEnd = 0xff): number {
    let last = bus;
    for (const [bdf, info] of [...this.enumerateBus(bus)]) {
      if (info.headerType !== PCI_HEADER_TYPE_BRIDGE || next > busEnd) continue;
      const secondary = next;
      // open the range fully while scanning behind the bridge, then close it (pci.md §4)
      this.writeBusNumbers(bdf, bus, secondary, busEnd);
      const sub = this.assignBusNumbers(secondary, secondary + 1, busEnd);
      this.writeBusNumbers(bdf, bus, secondary, sub);
      last = Math.max(last, sub);
      next = sub + 1;
    }
    return last;
  }

  private writeBusNumbers(
    bdf: DeviceFunction,
    primary: number,
    secondary: number,
    subordinate: number,
  ): void {
    const old = this.access.readWord(bdf, PCI_PRIMARY_BUS);
    const v = (old & 0xff00_0000) | (subordinate << 16) | (secondary << 8) | primary;
    this.access.writeWord(bdf, PCI_PRIMARY_BUS, v >>> 0);
  }

  // ---------------------------------------------------------------- sub-word access

  configRead32(bdf: DeviceFunction, offset: number): number {
    return this.access.readWord(bdf, offset) >>> 0;
  }

  configRead16(bdf: DeviceFunction, offset: number): number {
    if ((offset & 1) !== 0) throw new RangeError(`16-bit config read at odd offset 0x${offset.toString(16)}`);
    return (this.access.readWord(bdf, offset & ~3) >>> ((offset & 2) * 8)) & 0xffff;
  }

  configRead8(bdf: DeviceFunction, offset: number): number {
    return (this.access.readWord(bdf, offset & ~3) >>> ((offset & 3) * 8)) & 0xff;
  }

  configWrite32(bdf: DeviceFunction, offset: number, value: number): void {
    this.access.writeWord(bdf, offset, value >>> 0);
  }

  /**
   * Writes a 16-bit field by read-modify-write of its dword. The command/status dword is special: the
   * status half is written as 0 when the command is written (status error bits are write-1-to-clear), and
   * the command half keeps its value when the status is written.
   */
  configWrite16(bdf: DeviceFunction, offset: number, value: number): void {
    if ((offset & 1) !== 0)
      throw new RangeError(`16-bit config write at odd offset 0x${offset.toString(16)}`);
    const base = offset & ~3;
    const shift = (offset & 2) * 8;
    let old = this.access.readWord(bdf, base);
    if (base === PCI_COMMAND) old &= 0xffff; // never write status bits back
    const v = (old & ~(0xffff << shift)) | ((value & 0xffff) << shift);
    this.access.writeWord(bdf, base, v >>> 0);
  }

  /** Writes an 8-bit field by read-modify-write of its dword (status bits are never written back). */
  configWrite8(bdf: DeviceFunction, offset: number, value: number): void {
    const base = offset & ~3;
    const shift = (offset & 3) * 8;
    let old = this.access.readWord(bdf, base);
    if (base === PCI_COMMAND) old &= 0xffff;
    const v = (old & ~(0xff << shift)) | ((value & 0xff) << shift);
    this.access.writeWord(bdf, base, v >>> 0);
  }

  // ---------------------------------------------------------------- command / status

  getCommand(bdf: DeviceFunction): number {
    return this.access.readWord(bdf, PCI_COMMAND) & 0xffff;
  }

  /** Sets the command register (status half written as 0, so no error bit is cleared by accident). */
  setCommand(bdf: DeviceFunction, command: number): void {
    this.access.writeWord(bdf, PCI_COMMAND, command & 0xffff);
  }

  getStatus(bdf: DeviceFunction): number {
    return this.access.readWord(bdf, PCI_COMMAND) >>> 16;
  }

  /** Clears write-1-to-clear status bits (`bits` set to 1 are cleared) without changing the command. */
  clearStatus(bdf: DeviceFunction, bits: number): void {
    const cmd = this.getCommand(bdf);
    this.access.writeWord(bdf, PCI_COMMAND, (((bits & 0xffff) << 16) | cmd) >>> 0);
  }

  // ---------------------------------------------------------------- BARs

  /** BARs the function's header has: 6 for an endpoint, 2 for a bridge, 0 for anything else. */
  barCount(bdf: DeviceFunction): number {
    const header = (this.access.readWord(bdf, 0x0c) >>> 16) & PCI_HEADER_TYPE_MASK;
    if (header === PCI_HEADER_TYPE_NORMAL) return PCI_BAR_COUNT;
    if (header === PCI_HEADER_TYPE_BRIDGE) return PCI_BRIDGE_BAR_COUNT;
    return 0;
  }

  /**
   * BAR `n`, sized by the write-all-ones protocol (pci.md §7.2): decoding is switched off while sizing and
   * the BAR and command register are restored. `undefined` when the BAR is absent (size 0). `InvalidParam`
   * when `n` is outside the header's BARs or is the upper half of a 64-bit BAR; `BadState` when the device
   * claims a 64-bit BAR in its last slot or a reserved memory type.
   */
  barInfo(bdf: DeviceFunction, n: number): DevResult<BarInfo | undefined> {
    const count = this.barCount(bdf);
    if (!Number.isInteger(n) || n < 0 || n >= count) {
      return DevError.withDetail("InvalidParam", `BAR ${n} of ${bdf.toString()} (header has ${count})`);
    }
    // walk from BAR0 so the upper half of a 64-bit BAR is recognised as such
    for (let i = 0; i < n; i++) {
      const v = this.access.readWord(bdf, PCI_BAR0 + 4 * i);
      if ((v & PCI_BAR_SPACE_IO) === 0 && (v & PCI_BAR_MEM_TYPE_MASK) === PCI_BAR_MEM_TYPE_64) {
        if (i + 1 === n) {
          return DevError.withDetail(
            "InvalidParam",
            `BAR ${n} of ${bdf.toString()} is the upper half of BAR ${i}`,
          );
        }
        i++;
      }
    }
    const off = PCI_BAR0 + 4 * n;
    const orig = this.access.readWord(bdf, off);
    const isIo = (orig & PCI_BAR_SPACE_IO) !== 0;
    const memType = orig & PCI_BAR_MEM_TYPE_MASK;
    const is64 = !isIo && memType === PCI_BAR_MEM_TYPE_64;
    if (!isIo && memType !== 0 && !is64) {
      return DevError.withDetail("BadState", `BAR ${n} of ${bdf.toString()} has memory type ${memType >> 1}`);
    }
    if (is64 && n + 1 >= count) {
      return DevError.withDetail("BadState", `64-bit BAR ${n} of ${bdf.toString()} in the last slot`);
    }

    // pci.md §7.2 step 1: no decoding while the BAR holds the sizing pattern
    const cmd = this.getCommand(bdf);
    const decoding = cmd & (PCI_COMMAND_IO | PCI_COMMAND_MEMORY);
    if (decoding !== 0) this.setCommand(bdf, cmd & ~decoding);
    this.access.writeWord(bdf, off, 0xffff_ffff);
    const lowMask = this.access.readWord(bdf, off) >>> 0;
    this.access.writeWord(bdf, off, orig);
    let high = 0;
    let highMask = 0;
    if (is64) {
      high = this.access.readWord(bdf, off + 4) >>> 0;
      this.access.writeWord(bdf, off + 4, 0xffff_ffff);
      highMask = this.access.readWord(bdf, off + 4) >>> 0;
      this.access.writeWord(bdf, off + 4, high);
    }
    if (decoding !== 0) this.setCommand(bdf, cmd);

    // size = lowest writable address bit (= ~mask + 1 for a well-formed mask)
    const low = (lowMask & (isIo ? ~0x3 : ~0xf)) >>> 0;
    let size: number;
    if (low !== 0) size = (low & -low) >>> 0;
    else if (is64 && highMask !== 0) size = ((highMask & -highMask) >>> 0) * TWO32;
    else size = 0;
    if (size === 0) return undefined;
    if (isIo) return { kind: "io", port: (orig & ~0x3) >>> 0, size };
    const address = ((orig & ~0xf) >>> 0) + (is64 ? high * TWO32 : 0);
    return { kind: "memory", address, size, prefetchable: (orig & PCI_BAR_MEM_PREFETCH) !== 0, is64 };
  }

  /**
   * All BARs of the function: index -> info; the upper half of a 64-bit BAR and absent BARs are
   * `undefined` (virtio-drivers `bars()`).
   */
  bars(bdf: DeviceFunction): DevResult<(BarInfo | undefined)[]> {
    const count = this.barCount(bdf);
    const out: (BarInfo | undefined)[] = new Array<BarInfo | undefined>(count).fill(undefined);
    for (let n = 0; n < count; n++) {
      const info = this.barInfo(bdf, n);
      if (info instanceof DevError) return info;
      out[n] = info;
      if (info !== undefined && info.kind === "memory" && info.is64) n++;
    }
    return out;
  }

  /** Writes a 32-bit BAR (memory or I/O); the flag bits are read-only in the device. */
  setBar32(bdf: DeviceFunction, n: number, address: number): void {
    this.access.writeWord(bdf, PCI_BAR0 + 4 * n, address >>> 0);
  }

  /** Writes a 64-bit memory BAR: low dword, then high dword (pci.md §7.2). */
  setBar64(bdf: DeviceFunction, n: number, address: number): void {
    this.access.writeWord(bdf, PCI_BAR0 + 4 * n, address >>> 0);
    this.access.writeWord(bdf, PCI_BAR0 + 4 * n + 4, Math.floor(address / TWO32) >>> 0);
  }

  // ---------------------------------------------------------------- capabilities

  /**
   * The capability list (pci.md §8), present when status bit 4 is set: pointers are masked to dwords, a
   * pointer into the standard header ends the walk (with a warning), and at most 48 capabilities are
   * visited so a looping list ends.
   */
  *capabilityIterator(bdf: DeviceFunction): Generator<CapabilityInfo, void, undefined> {
    if ((this.getStatus(bdf) & PCI_STATUS_CAP_LIST) === 0) return;
    let ptr = this.configRead8(bdf, PCI_CAPABILITY_LIST) & PCI_CAP_PTR_MASK;
    for (let hops = 0; ptr !== 0; hops++) {
      if (hops >= PCI_CAP_MAX_HOPS) {
        log.warn("pci", `${bdf.toString()}: capability list longer than ${PCI_CAP_MAX_HOPS}, stopped`);
        return;
      }
      if (ptr < PCI_STD_HEADER_END) {
        log.warn(
          "pci",
          `${bdf.toString()}: capability pointer 0x${ptr.toString(16)} into the header, stopped`,
        );
        return;
      }
      const dword = this.access.readWord(bdf, ptr);
      yield { offset: ptr, id: dword & 0xff, privateHeader: dword >>> 16 };
      ptr = (dword >>> 8) & PCI_CAP_PTR_MASK;
    }
  }

  capabilities(bdf: DeviceFunction): CapabilityInfo[] {
    return [...this.capabilityIterator(bdf)];
  }

  /** The first capability with `id`, or undefined. */
  findCapability(bdf: DeviceFunction, id: number): CapabilityInfo | undefined {
    for (const cap of this.capabilityIterator(bdf)) if (cap.id === id) return cap;
    return undefined;
  }
}
