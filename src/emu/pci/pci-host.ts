import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import {
  CAM_BUS_SHIFT,
  CAM_FUNCTION_SHIFT,
  ECAM_BUS_SHIFT,
  ECAM_FUNCTION_SHIFT,
  PCI_CONFIG_SPACE_CAM,
  PCI_CONFIG_SPACE_ECAM,
} from "../../hw/pci/config.js";
import type { DeviceFunction } from "../../pci/types.js";
import { PciBridgeModel } from "./pci-bridge.js";
import type { PciBuses, PciConfigModel } from "./pci-function.js";

const ONES = [0, 0xff, 0xffff, 0, 0xffff_ffff] as const;

/** x86 configuration mechanism #1 address port (pci.md §1). */
export const PCI_CONFIG_ADDRESS_PORT = 0xcf8;
/** x86 configuration mechanism #1 data port. */
export const PCI_CONFIG_DATA_PORT = 0xcfc;

/**
 * The machine's PCI host bridge: the root bus (bus 0) with its functions, bridges leading to further buses,
 * and configuration-space decoding for ECAM (pci.md §1), memory-mapped CAM and x86 port CAM. A configuration
 * access that reaches no function reads all ones and drops writes (master abort).
 */
export class PciHost {
  private readonly root = new Map<number, PciConfigModel>();
  /** Configuration accesses that reached no function. */
  masterAborts = 0;
  /** The ECAM decoder, for the machine's MMIO bus. */
  readonly ecam: MmioHandler;
  /** The memory-mapped CAM decoder (256 bytes per function). */
  readonly cam: MmioHandler;
  /** The x86 port decoder for 8 ports at 0xCF8 (address register) and 0xCFC (data window). */
  readonly portCam: MmioHandler;
  private cf8 = 0;

  constructor(private readonly buses: PciBuses) {
    this.ecam = {
      mmioRead: (offset, width) =>
        this.read(
          offset >>> ECAM_BUS_SHIFT,
          (offset >>> ECAM_FUNCTION_SHIFT) & 0xff,
          offset & (PCI_CONFIG_SPACE_ECAM - 1),
          width,
        ),
      mmioWrite: (offset, width, value) =>
        this.write(
          offset >>> ECAM_BUS_SHIFT,
          (offset >>> ECAM_FUNCTION_SHIFT) & 0xff,
          offset & (PCI_CONFIG_SPACE_ECAM - 1),
          width,
          value,
        ),
    };
    this.cam = {
      mmioRead: (offset, width) =>
        this.read(
          offset >>> CAM_BUS_SHIFT,
          (offset >>> CAM_FUNCTION_SHIFT) & 0xff,
          offset & (PCI_CONFIG_SPACE_CAM - 1),
          width,
        ),
      mmioWrite: (offset, width, value) =>
        this.write(
          offset >>> CAM_BUS_SHIFT,
          (offset >>> CAM_FUNCTION_SHIFT) & 0xff,
          offset & (PCI_CONFIG_SPACE_CAM - 1),
          width,
          value,
        ),
    };
    this.portCam = {
      mmioRead: (offset, width) => {
        if (offset < 4) return offset === 0 && width === 4 ? this.cf8 >>> 0 : ONES[width];
        if ((this.cf8 & 0x8000_0000) === 0) return ONES[width];
        const a = this.cf8;
        return this.read((a >>> 16) & 0xff, (a >>> 8) & 0xff, (a & 0xfc) + (offset - 4), width);
      },
      mmioWrite: (offset, width, value) => {
        if (offset < 4) {
          if (offset === 0 && width === 4) this.cf8 = value >>> 0;
          return;
        }
        if ((this.cf8 & 0x8000_0000) === 0) return;
        const a = this.cf8;
        this.write((a >>> 16) & 0xff, (a >>> 8) & 0xff, (a & 0xfc) + (offset - 4), width, value);
      },
    };
  }

  /**
   * Adds function `fn` at `bdf`. On bus 0 it sits on the root bus; on another bus it goes behind the bridge
   * whose secondary bus number is that bus (add the bridge first). Its BARs are put on the machine's buses.
   */
  add(bdf: DeviceFunction, fn: PciConfigModel): void {
    const { bus, device, func } = bdf;
    if (
      !Number.isInteger(device) ||
      device < 0 ||
      device > 31 ||
      !Number.isInteger(func) ||
      func < 0 ||
      func > 7
    ) {
      throw new RangeError(`bad PCI address ${bdf.toString()}`);
    }
    if (bus === 0) {
      const devfn = (device << 3) | func;
      if (this.root.has(devfn)) throw new RangeError(`PCI slot ${bdf.toString()} is taken`);
      this.root.set(devfn, fn);
      fn.attach(this.buses);
      return;
    }
    const bridge = this.bridgeFor(bus);
    if (bridge === undefined)
      throw new RangeError(`no PCI bridge leads to bus ${bus} (for ${bdf.toString()})`);
    bridge.addDevice(device, func, fn);
  }

  /** The bridge whose secondary bus number is `bus`. */
  bridgeFor(bus: number): PciBridgeModel | undefined {
    for (const fn of this.root.values()) {
      if (fn instanceof PciBridgeModel) {
        const b = fn.bridgeFor(bus);
        if (b !== undefined) return b;
      }
    }
    return undefined;
  }

  /** The function a configuration access for `bus`, `devfn` (device << 3 | function) reaches. */
  lookup(bus: number, devfn: number): PciConfigModel | undefined {
    if (bus === 0) return this.root.get(devfn);
    for (const fn of this.root.values()) {
      if (fn instanceof PciBridgeModel) {
        const f = fn.route(bus, devfn);
        if (f !== undefined) return f;
      }
    }
    return undefined;
  }

  /** Functions on the root bus, by devfn. */
  get rootFunctions(): ReadonlyMap<number, PciConfigModel> {
    return this.root;
  }

  /** A configuration read of `width` bytes at `reg` of (`bus`, `devfn`); all ones where nothing answers. */
  read(bus: number, devfn: number, reg: number, width: AccessWidth): number {
    const fn = this.lookup(bus, devfn);
    if (fn === undefined) {
      this.masterAborts++;
      return ONES[width];
    }
    return fn.configRead(reg, width);
  }

  /** A configuration write; dropped where nothing answers. */
  write(bus: number, devfn: number, reg: number, width: AccessWidth, value: number): void {
    const fn = this.lookup(bus, devfn);
    if (fn === undefined) {
      this.masterAborts++;
      return;
    }
    fn.configWrite(reg, width, value);
  }
}
