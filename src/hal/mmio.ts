/** Width of a register access in bytes. */
export type AccessWidth = 1 | 2 | 4;

/**
 * A device's register window as a driver sees it: 8/16/32-bit reads and writes at byte offsets.
 * Registers are little-endian; offsets must be aligned to the access width.
 */
export interface MmioRegion {
  /** Size of the window in bytes. */
  readonly size: number;
  read8(offset: number): number;
  read16(offset: number): number;
  read32(offset: number): number;
  write8(offset: number, value: number): void;
  write16(offset: number, value: number): void;
  write32(offset: number, value: number): void;
}

/**
 * The register side of a device model: the bus calls it for every access that decodes to the device.
 * `offset` is relative to the start of the region; the value is unsigned and fits `width` bytes.
 */
export interface MmioHandler {
  mmioRead(offset: number, width: AccessWidth): number;
  mmioWrite(offset: number, width: AccessWidth, value: number): void;
}

function checkAccess(size: number, offset: number, width: AccessWidth): void {
  if (offset < 0 || offset + width > size || (offset & (width - 1)) !== 0) {
    throw new RangeError(
      `MMIO access of ${width} bytes at offset 0x${offset.toString(16)} outside or misaligned`,
    );
  }
}

/** An {@link MmioRegion} whose every access is a synchronous call into a register handler (a device model). */
export class HandlerMmio implements MmioRegion {
  constructor(
    private readonly handler: MmioHandler,
    readonly size: number,
  ) {}
  read8(offset: number): number {
    checkAccess(this.size, offset, 1);
    return this.handler.mmioRead(offset, 1) & 0xff;
  }
  read16(offset: number): number {
    checkAccess(this.size, offset, 2);
    return this.handler.mmioRead(offset, 2) & 0xffff;
  }
  read32(offset: number): number {
    checkAccess(this.size, offset, 4);
    return this.handler.mmioRead(offset, 4) >>> 0;
  }
  write8(offset: number, value: number): void {
    checkAccess(this.size, offset, 1);
    this.handler.mmioWrite(offset, 1, value & 0xff);
  }
  write16(offset: number, value: number): void {
    checkAccess(this.size, offset, 2);
    this.handler.mmioWrite(offset, 2, value & 0xffff);
  }
  write32(offset: number, value: number): void {
    checkAccess(this.size, offset, 4);
    this.handler.mmioWrite(offset, 4, value >>> 0);
  }
}

/**
 * An {@link MmioRegion} over plain memory, read and written through `Uint8Array`/`Uint16Array`/`Uint32Array`
 * elements (never `DataView`, which may split an access into bytes). Serves tests, and mapped BARs of real
 * devices.
 */
export class MemoryMmio implements MmioRegion {
  readonly size: number;
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly u32: Uint32Array;

  /** @param buffer the memory; `byteOffset` must be 4-aligned */
  constructor(buffer: ArrayBufferLike, byteOffset = 0, size = buffer.byteLength - byteOffset) {
    if (byteOffset % 4 !== 0 || size % 4 !== 0)
      throw new RangeError("MemoryMmio needs 4-aligned offset and size");
    this.size = size;
    this.u8 = new Uint8Array(buffer, byteOffset, size);
    this.u16 = new Uint16Array(buffer, byteOffset, size >>> 1);
    this.u32 = new Uint32Array(buffer, byteOffset, size >>> 2);
  }
  read8(offset: number): number {
    checkAccess(this.size, offset, 1);
    return this.u8[offset]!;
  }
  read16(offset: number): number {
    checkAccess(this.size, offset, 2);
    return this.u16[offset >>> 1]!;
  }
  read32(offset: number): number {
    checkAccess(this.size, offset, 4);
    return this.u32[offset >>> 2]!;
  }
  write8(offset: number, value: number): void {
    checkAccess(this.size, offset, 1);
    this.u8[offset] = value;
  }
  write16(offset: number, value: number): void {
    checkAccess(this.size, offset, 2);
    this.u16[offset >>> 1] = value;
  }
  write32(offset: number, value: number): void {
    checkAccess(this.size, offset, 4);
    this.u32[offset >>> 2] = value;
  }
}
