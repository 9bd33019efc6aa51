import { DevError, type DevResult } from "../base/dev-error.js";
import type { Hal } from "../hal/hal.js";
import type { MmioRegion } from "../hal/mmio.js";
import {
  CAM_BUS_SHIFT,
  CAM_FUNCTION_SHIFT,
  ECAM_BUS_SHIFT,
  ECAM_FUNCTION_SHIFT,
  PCI_CONFIG_SPACE_CAM,
  PCI_CONFIG_SPACE_ECAM,
  PCI_MAX_BUSES,
} from "../hw/pci/config.js";
import type { ConfigurationAccess, DeviceFunction } from "./types.js";

/** The layout of a memory-mapped configuration region (pci.md §1; virtio-drivers `Cam`). */
export type CamLayout = "ecam" | "cam";

/** Bytes of configuration space per function for a layout. */
export function configSpaceSize(layout: CamLayout): number {
  return layout === "ecam" ? PCI_CONFIG_SPACE_ECAM : PCI_CONFIG_SPACE_CAM;
}

/** Bytes of the region that covers buses 0..`busEnd` in a layout. */
export function camRegionSize(layout: CamLayout, busEnd: number): number {
  return (busEnd + 1) * 2 ** (layout === "ecam" ? ECAM_BUS_SHIFT : CAM_BUS_SHIFT);
}

function checkBdf(bdf: DeviceFunction, busCount: number): void {
  const { bus, device, func } = bdf;
  if (
    !Number.isInteger(bus) ||
    bus < 0 ||
    bus >= busCount ||
    !Number.isInteger(device) ||
    device < 0 ||
    device > 31 ||
    !Number.isInteger(func) ||
    func < 0 ||
    func > 7
  ) {
    throw new RangeError(`PCI address ${bdf.toString()} outside the configuration region`);
  }
}

/**
 * Configuration access through a memory-mapped region: PCIe ECAM (4 KiB per function, address
 * `bus << 20 | dev << 15 | fn << 12 | offset`) or the legacy memory-mapped CAM (256 bytes per function,
 * `bus << 16 | dev << 11 | fn << 8 | offset`), as virtio-drivers' `MmioCam` (pci.md §1). Only aligned 32-bit
 * accesses are made, as there; a misaligned offset or one beyond the function's space is a programming error
 * (`RangeError`).
 */
export class MmioConfigAccess implements ConfigurationAccess {
  /** Bytes of configuration space per function (4096 for ECAM, 256 for CAM). */
  readonly spaceSize: number;
  /** Buses the region covers. */
  readonly busCount: number;
  private readonly busShift: number;
  private readonly fnShift: number;

  /**
   * @param region the mapped configuration region; bus 0 starts at offset 0
   * @param layout ECAM or CAM
   */
  constructor(
    readonly region: MmioRegion,
    readonly layout: CamLayout,
  ) {
    this.spaceSize = configSpaceSize(layout);
    this.busShift = layout === "ecam" ? ECAM_BUS_SHIFT : CAM_BUS_SHIFT;
    this.fnShift = layout === "ecam" ? ECAM_FUNCTION_SHIFT : CAM_FUNCTION_SHIFT;
    this.busCount = Math.min(PCI_MAX_BUSES, Math.floor(region.size / 2 ** this.busShift));
    if (this.busCount < 1) throw new RangeError(`configuration region of ${region.size} bytes holds no bus`);
  }

  /** Offset of (`bdf`, `offset`) in the region (virtio-drivers `cam_offset`). */
  regionOffset(bdf: DeviceFunction, offset: number): number {
    checkBdf(bdf, this.busCount);
    if (!Number.isInteger(offset) || offset < 0 || offset >= this.spaceSize || (offset & 3) !== 0) {
      throw new RangeError(`configuration offset 0x${offset.toString(16)} misaligned or outside the space`);
    }
    const devfn = (bdf.device << 3) | bdf.func;
    return bdf.bus * 2 ** this.busShift + devfn * 2 ** this.fnShift + offset;
  }

  readWord(bdf: DeviceFunction, offset: number): number {
    return this.region.read32(this.regionOffset(bdf, offset)) >>> 0;
  }

  writeWord(bdf: DeviceFunction, offset: number, value: number): void {
    this.region.write32(this.regionOffset(bdf, offset), value >>> 0);
  }

  /**
   * Maps the region at physical `base` for buses 0..`busEnd` through the HAL (PCI_ECAM_BASE,
   * PCI_BUS_END of the platform description).
   */
  static map(
    hal: Hal,
    base: number,
    busEnd: number,
    layout: CamLayout = "ecam",
  ): DevResult<MmioConfigAccess> {
    if (!Number.isInteger(busEnd) || busEnd < 0 || busEnd >= PCI_MAX_BUSES) {
      return DevError.withDetail("InvalidParam", `PCI bus end ${busEnd}`);
    }
    const region = hal.mapMmio(base, camRegionSize(layout, busEnd));
    if (region instanceof DevError) return region;
    return new MmioConfigAccess(region, layout);
  }
}

/** Configuration access through a PCIe ECAM region (pci.md §1; "pci-host-ecam-generic"). */
export class EcamAccess extends MmioConfigAccess {
  constructor(region: MmioRegion) {
    super(region, "ecam");
  }
}

/** Configuration access through a legacy memory-mapped CAM region (pci.md §1; "pci-host-cam-generic"). */
export class CamAccess extends MmioConfigAccess {
  constructor(region: MmioRegion) {
    super(region, "cam");
  }
}

/** Enable bit of the x86 CONFIG_ADDRESS register (pci.md §1). */
export const CONFIG_ADDRESS_ENABLE = 0x8000_0000;

/**
 * Configuration access through x86 configuration mechanism #1 (pci.md §1): the address
 * `0x80000000 | bus << 16 | dev << 11 | fn << 8 | offset & 0xFC` goes to port 0xCF8, the dword comes through
 * port 0xCFC. `ports` is an 8-port I/O window at 0xCF8 (e.g. `hal.mapIo(0xcf8, 8)`).
 */
export class PortCamAccess implements ConfigurationAccess {
  constructor(readonly ports: MmioRegion) {
    if (ports.size < 8) throw new RangeError("configuration mechanism #1 needs ports 0xCF8..0xCFF");
  }

  private select(bdf: DeviceFunction, offset: number): void {
    checkBdf(bdf, PCI_MAX_BUSES);
    if (!Number.isInteger(offset) || offset < 0 || offset >= PCI_CONFIG_SPACE_CAM || (offset & 3) !== 0) {
      throw new RangeError(`configuration offset 0x${offset.toString(16)} misaligned or outside the space`);
    }
    const addr = CONFIG_ADDRESS_ENABLE | (bdf.bus << 16) | (bdf.device << 11) | (bdf.func << 8) | offset;
    this.ports.write32(0, addr >>> 0);
  }

  readWord(bdf: DeviceFunction, offset: number): number {
    this.select(bdf, offset);
    return this.ports.read32(4) >>> 0;
  }

  writeWord(bdf: DeviceFunction, offset: number, value: number): void {
    this.select(bdf, offset);
    this.ports.write32(4, value >>> 0);
  }
}
