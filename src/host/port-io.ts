import { closeSync, readSync, writeSync } from "node:fs";
import type { MmioRegion } from "../hal/mmio.js";

/**
 * A register window reached by `pread`/`pwrite` of 1, 2 or 4 bytes on a file: a legacy I/O BAR through
 * sysfs `resourceN` (the kernel turns each call into one `in`/`out` of that width) or a VFIO region.
 * Little-endian; one small buffer made once.
 */
export class FilePortIo implements MmioRegion {
  readonly size: number;
  private readonly buf = Buffer.alloc(4);

  constructor(
    private readonly fd: number,
    /** Offset of the window in the file. */
    private readonly base: number,
    size: number,
    private readonly ownsFd: boolean,
  ) {
    this.size = size;
  }

  private check(offset: number, width: number): void {
    if (offset < 0 || offset + width > this.size || (offset & (width - 1)) !== 0)
      throw new RangeError(`port access of ${width} bytes at 0x${offset.toString(16)} outside or misaligned`);
  }

  private read(offset: number, width: number): number {
    this.check(offset, width);
    const n = readSync(this.fd, this.buf, 0, width, this.base + offset);
    if (n !== width) throw new Error(`short port read at 0x${offset.toString(16)} (${n} of ${width})`);
    return width === 1 ? this.buf[0]! : width === 2 ? this.buf.readUInt16LE(0) : this.buf.readUInt32LE(0);
  }

  private write(offset: number, width: number, value: number): void {
    this.check(offset, width);
    if (width === 1) this.buf[0] = value & 0xff;
    else if (width === 2) this.buf.writeUInt16LE(value & 0xffff, 0);
    else this.buf.writeUInt32LE(value >>> 0, 0);
    const n = writeSync(this.fd, this.buf, 0, width, this.base + offset);
    if (n !== width) throw new Error(`short port write at 0x${offset.toString(16)} (${n} of ${width})`);
  }

  read8(offset: number): number {
    return this.read(offset, 1);
  }
  read16(offset: number): number {
    return this.read(offset, 2);
  }
  read32(offset: number): number {
    return this.read(offset, 4);
  }
  write8(offset: number, value: number): void {
    this.write(offset, 1, value);
  }
  write16(offset: number, value: number): void {
    this.write(offset, 2, value);
  }
  write32(offset: number, value: number): void {
    this.write(offset, 4, value);
  }

  /** Closes the file when this window owns it. */
  close(): void {
    if (this.ownsFd) closeSync(this.fd);
  }
}
