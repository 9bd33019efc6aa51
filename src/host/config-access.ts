import type { ConfigurationAccess, DeviceFunction } from "../pci/types.js";

/** Offset of the command register (PCI Local Bus 6.2.2; ../shared/reference/pci.md section 5). */
const COMMAND = 0x04;
/** First and last BAR dwords of a type-0 header (pci.md section 3). */
const BAR0 = 0x10;
const BAR5 = 0x24;

/** One BAR of a device opened from user space, as the kernel (sysfs `resource`) or VFIO describes it. */
export interface BarWindow {
  /** BAR number 0..5. */
  index: number;
  kind: "memory" | "io";
  /** Bus address (memory) or port (I/O) of its first byte. */
  start: number;
  /** Size in bytes (a power of two). */
  size: number;
  /** Memory BAR taking this and the next BAR register. */
  is64: boolean;
}

/** Dword access to one function's configuration space (a sysfs `config` file or a VFIO config region). */
export interface RawConfigIo {
  read32(offset: number): number;
  /** Writes the 16-bit command register only. */
  writeCommand(value: number): void;
  /** Size of configuration space (256 or 4096). */
  readonly size: number;
}

/**
 * The configuration space of the one device the user named, with the writes a driver may make:
 * - reads pass through (other functions read all ones, as absent functions do);
 * - the command register (memory/I/O decoding, bus master) is written through, 16 bits only;
 * - BAR registers are virtualised: writing all ones reads back the size mask computed from the kernel's
 *   record of the BAR, writing the original value back ends the sizing. Moving a BAR is refused: the kernel
 *   placed it and owns the address map;
 * - every other write throws, naming the offset.
 */
export class GuardedConfigAccess implements ConfigurationAccess {
  private readonly shadow = new Map<number, number>();
  private readonly original = new Map<number, number>();
  /** Writes seen to the command register, in order (for checks such as "the driver set bus mastering"). */
  readonly commandWrites: number[] = [];

  constructor(
    /** The function this access serves. */
    readonly bdf: DeviceFunction,
    private readonly raw: RawConfigIo,
    private readonly bars: ReadonlyArray<BarWindow | undefined>,
  ) {}

  private mine(bdf: DeviceFunction): boolean {
    return bdf.bus === this.bdf.bus && bdf.device === this.bdf.device && bdf.func === this.bdf.func;
  }

  readWord(bdf: DeviceFunction, offset: number): number {
    if (!this.mine(bdf)) return 0xffff_ffff;
    if (offset < 0 || offset + 4 > this.raw.size || (offset & 3) !== 0) return 0xffff_ffff;
    const s = this.shadow.get(offset);
    if (s !== undefined) return s;
    return this.raw.read32(offset) >>> 0;
  }

  writeWord(bdf: DeviceFunction, offset: number, value: number): void {
    if (!this.mine(bdf)) throw new Error(`refusing config write to ${bdf}: only ${this.bdf} was opened`);
    value >>>= 0;
    if (offset === COMMAND) {
      this.commandWrites.push(value & 0xffff);
      this.raw.writeCommand(value & 0xffff);
      return;
    }
    if (offset >= BAR0 && offset <= BAR5 && (offset & 3) === 0) {
      this.writeBar(offset, value);
      return;
    }
    throw new Error(
      `refusing config write of 0x${value.toString(16)} at 0x${offset.toString(16)} of ${this.bdf}: ` +
        "only the command register and BAR sizing are allowed",
    );
  }

  private writeBar(offset: number, value: number): void {
    let orig = this.original.get(offset);
    if (orig === undefined) {
      orig = this.raw.read32(offset) >>> 0;
      this.original.set(offset, orig);
    }
    if (value === 0xffff_ffff) {
      this.shadow.set(offset, this.sizeMask(offset, orig));
      return;
    }
    if (value === orig) {
      this.shadow.delete(offset);
      return;
    }
    throw new Error(
      `refusing to move BAR at config 0x${offset.toString(16)} of ${this.bdf} to 0x${value.toString(16)}: ` +
        "the kernel assigned it",
    );
  }

  /** What a BAR dword reads after all ones were written (pci.md 7.2): address bits below the size read 0. */
  private sizeMask(offset: number, orig: number): number {
    const n = (offset - BAR0) >>> 2;
    const bar = this.bars[n];
    if (bar !== undefined) {
      if (bar.kind === "io") return ((~(bar.size - 1) & 0xffff_fffc) | (orig & 0x3)) >>> 0;
      const low = bar.size >= 0x1_0000_0000 ? 0 : ~(bar.size - 1) >>> 0;
      return ((low & 0xffff_fff0) | (orig & 0xf)) >>> 0;
    }
    // the upper half of a 64-bit BAR
    const lower = n > 0 ? this.bars[n - 1] : undefined;
    if (lower !== undefined && lower.kind === "memory" && lower.is64) {
      const high = Math.floor((2 ** 64 - lower.size) / 0x1_0000_0000);
      return lower.size >= 0x1_0000_0000 ? high >>> 0 : 0xffff_ffff;
    }
    return 0; // unimplemented BAR
  }
}
