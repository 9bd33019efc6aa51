import { DevError, type DevResult } from "../base/dev-error.js";
import type { RegionMapper } from "../hal/hal.js";
import { MemoryMmio, type MmioRegion } from "../hal/mmio.js";
import type { BarWindow, GuardedConfigAccess } from "./config-access.js";
import type { PciAddress } from "./pci-address.js";

/** A PCI function opened from user space (through sysfs or VFIO). */
export interface UserPciDevice {
  /** How it was opened. */
  readonly kind: "sysfs" | "vfio";
  readonly address: PciAddress;
  /** BAR0..5 as the kernel placed them (undefined: absent, or the upper half of a 64-bit BAR). */
  readonly bars: ReadonlyArray<BarWindow | undefined>;
  /** Its configuration space, with only the writes a driver may make (see {@link GuardedConfigAccess}). */
  readonly config: GuardedConfigAccess;
  /** The whole of memory BAR `index`, mapped (once) into this process. */
  mapBar(index: number): DevResult<ArrayBuffer>;
  /** I/O BAR `index` as a register window. */
  ioBar(index: number): DevResult<MmioRegion>;
  /** Unmaps and closes everything; mapped windows must not be used afterwards. */
  close(): void;
}

function hex(n: number): string {
  return `0x${n.toString(16)}`;
}

/**
 * The HAL's register-window mapper for one user-space device: a driver asks for `mapMmio(paddr, size)`
 * with the bus address it read from a BAR, and gets a typed-array window on the mapped BAR (registers
 * through `Uint32Array`/`Uint16Array` elements, never `DataView`); `mapIo(port, size)` gives the I/O BAR
 * window. Addresses outside the device's BARs are refused.
 */
export class BarMapper implements RegionMapper {
  constructor(private readonly device: UserPciDevice) {}

  mapMmio(paddr: number, size: number): DevResult<MmioRegion> {
    for (const bar of this.device.bars) {
      if (bar === undefined || bar.kind !== "memory") continue;
      if (paddr < bar.start || paddr + size > bar.start + bar.size) continue;
      const buffer = this.device.mapBar(bar.index);
      if (buffer instanceof DevError) return buffer;
      const off = paddr - bar.start;
      if (off % 4 !== 0)
        return DevError.withDetail("InvalidParam", `MMIO window at ${hex(paddr)} is not 4-byte aligned`);
      // round the window up to whole dwords (a 1-byte ISR window still reads through the byte view)
      const len = Math.min(Math.ceil(size / 4) * 4, buffer.byteLength - off);
      return new MemoryMmio(buffer, off, len);
    }
    return DevError.withDetail(
      "InvalidParam",
      `${hex(paddr)}+${hex(size)} is not inside a memory BAR of ${this.device.address.text}`,
    );
  }

  mapIo(port: number, size: number): DevResult<MmioRegion> {
    for (const bar of this.device.bars) {
      if (bar === undefined || bar.kind !== "io") continue;
      if (port < bar.start || port + size > bar.start + bar.size) continue;
      const io = this.device.ioBar(bar.index);
      if (io instanceof DevError) return io;
      if (port === bar.start && size === io.size) return io;
      return new SubRegion(io, port - bar.start, size);
    }
    return DevError.withDetail(
      "InvalidParam",
      `port ${hex(port)}+${hex(size)} is not inside an I/O BAR of ${this.device.address.text}`,
    );
  }
}

/** A window inside another register window. */
class SubRegion implements MmioRegion {
  constructor(
    private readonly inner: MmioRegion,
    private readonly base: number,
    readonly size: number,
  ) {}
  private at(offset: number, width: number): number {
    if (offset < 0 || offset + width > this.size)
      throw new RangeError(`access at 0x${offset.toString(16)} outside`);
    return this.base + offset;
  }
  read8(o: number): number {
    return this.inner.read8(this.at(o, 1));
  }
  read16(o: number): number {
    return this.inner.read16(this.at(o, 2));
  }
  read32(o: number): number {
    return this.inner.read32(this.at(o, 4));
  }
  write8(o: number, v: number): void {
    this.inner.write8(this.at(o, 1), v);
  }
  write16(o: number, v: number): void {
    this.inner.write16(this.at(o, 2), v);
  }
  write32(o: number, v: number): void {
    this.inner.write32(this.at(o, 4), v);
  }
}
