import { DevError, type DevResult } from "../base/dev-error.js";
import type { AccessWidth, MmioHandler, MmioRegion } from "../hal/mmio.js";

/** One device region decoded by an {@link AddressBus}. Moving or disabling it takes effect at once. */
export class BusMapping {
  constructor(
    /** Who answers (a device model's register handler). */
    readonly handler: MmioHandler,
    /** Base address. */
    public base: number,
    /** Size in bytes. */
    readonly size: number,
    /** Name for messages ("virtio-net BAR4", "fxmac"). */
    readonly name: string,
    /** Whether the region decodes (a PCI BAR decodes only while memory/I/O decoding is enabled). */
    public enabled = true,
  ) {}
}

/**
 * An address space that decodes addresses to device regions: the machine's MMIO bus, or its I/O port
 * space. An access that decodes to nothing reads all ones and drops writes, as a bus master abort does;
 * such accesses are counted.
 */
export class AddressBus {
  private readonly maps: BusMapping[] = [];
  /** Bumped on every change of the map, so cached windows can re-resolve. */
  generation = 0;
  /** Accesses that decoded to no region. */
  unclaimed = 0;

  constructor(readonly name: string) {}

  /** Adds a region; overlapping an enabled region at the same time is allowed only if one is disabled. */
  map(base: number, size: number, handler: MmioHandler, name: string, enabled = true): BusMapping {
    const m = new BusMapping(handler, base, size, name, enabled);
    this.maps.push(m);
    this.generation++;
    return m;
  }

  /** Moves a region (a BAR was written). */
  move(m: BusMapping, base: number): void {
    m.base = base;
    this.generation++;
  }

  /** Enables or disables a region's decoding. */
  setEnabled(m: BusMapping, enabled: boolean): void {
    m.enabled = enabled;
    this.generation++;
  }

  /** Removes a region. */
  unmap(m: BusMapping): void {
    const i = this.maps.indexOf(m);
    if (i >= 0) this.maps.splice(i, 1);
    this.generation++;
  }

  /** The enabled region holding `[addr, addr + len)`, if any. */
  resolve(addr: number, len: number): BusMapping | undefined {
    for (const m of this.maps) {
      if (m.enabled && addr >= m.base && addr + len <= m.base + m.size) return m;
    }
    return undefined;
  }

  /** All regions (for listing). */
  mappings(): readonly BusMapping[] {
    return this.maps;
  }

  read(addr: number, width: AccessWidth): number {
    const m = this.resolve(addr, width);
    if (m === undefined) {
      this.unclaimed++;
      return width === 4 ? 0xffff_ffff : width === 2 ? 0xffff : 0xff;
    }
    return m.handler.mmioRead(addr - m.base, width);
  }

  write(addr: number, width: AccessWidth, value: number): void {
    const m = this.resolve(addr, width);
    if (m === undefined) {
      this.unclaimed++;
      return;
    }
    m.handler.mmioWrite(addr - m.base, width, value);
  }

  /**
   * A window `[base, base + size)` of this bus as a driver's {@link MmioRegion}. The window finds its
   * device region once and again only when the bus map changes, so register accesses cost a call.
   * `NoMemory`-free: mapping an address where nothing decodes yet is allowed (accesses then read ones).
   */
  window(base: number, size: number): DevResult<MmioRegion> {
    if (!(size > 0) || base < 0)
      return DevError.withDetail("InvalidParam", `bad window 0x${base.toString(16)}+${size}`);
    return new BusWindow(this, base, size);
  }
}

class BusWindow implements MmioRegion {
  private gen = -1;
  private target: BusMapping | undefined;
  private delta = 0;

  constructor(
    private readonly bus: AddressBus,
    private readonly base: number,
    readonly size: number,
  ) {}

  private check(offset: number, width: AccessWidth): void {
    if (offset < 0 || offset + width > this.size || (offset & (width - 1)) !== 0) {
      throw new RangeError(
        `${this.bus.name} access of ${width} bytes at window offset 0x${offset.toString(16)} outside or misaligned`,
      );
    }
    if (this.gen !== this.bus.generation) {
      this.gen = this.bus.generation;
      const m = this.bus.resolve(this.base, this.size);
      this.target = m;
      this.delta = m === undefined ? 0 : this.base - m.base;
    }
  }

  private rd(offset: number, width: AccessWidth): number {
    this.check(offset, width);
    const t = this.target;
    if (t === undefined) return this.bus.read(this.base + offset, width);
    return t.handler.mmioRead(this.delta + offset, width);
  }

  private wr(offset: number, width: AccessWidth, value: number): void {
    this.check(offset, width);
    const t = this.target;
    if (t === undefined) this.bus.write(this.base + offset, width, value);
    else t.handler.mmioWrite(this.delta + offset, width, value);
  }

  read8(offset: number): number {
    return this.rd(offset, 1) & 0xff;
  }
  read16(offset: number): number {
    return this.rd(offset, 2) & 0xffff;
  }
  read32(offset: number): number {
    return this.rd(offset, 4) >>> 0;
  }
  write8(offset: number, value: number): void {
    this.wr(offset, 1, value & 0xff);
  }
  write16(offset: number, value: number): void {
    this.wr(offset, 2, value & 0xffff);
  }
  write32(offset: number, value: number): void {
    this.wr(offset, 4, value >>> 0);
  }
}
