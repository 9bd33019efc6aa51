import { closeSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import { DevError, type DevResult } from "../base/dev-error.js";
import type { MmioRegion } from "../hal/mmio.js";
import { type BarWindow, GuardedConfigAccess, type RawConfigIo } from "./config-access.js";
import { lastError, libc, MAP_FAILED, MAP_SHARED, PROT_READ, PROT_WRITE, viewMemory } from "./libc.js";
import { openableAddress, type PciAddress } from "./pci-address.js";
import { FilePortIo } from "./port-io.js";
import type { UserPciDevice } from "./user-device.js";

/** `IORESOURCE_*` flags of the sysfs `resource` file (Linux include/linux/ioport.h; pci.md section 11). */
const IORESOURCE_IO = 0x100;
const IORESOURCE_MEM = 0x200;
const IORESOURCE_MEM_64 = 0x0010_0000;
const IORESOURCE_UNSET = 0x2000_0000;
const IORESOURCE_DISABLED = 0x1000_0000;

/** Parses the sysfs `resource` file: lines 0..5 are BAR0..5 (`0xstart 0xend 0xflags`). */
export function parseResourceFile(text: string): Array<BarWindow | undefined> {
  const bars: Array<BarWindow | undefined> = [];
  const lines = text.split("\n");
  for (let i = 0; i < 6; i++) {
    const f = (lines[i] ?? "").trim().split(/\s+/);
    if (f.length < 3) {
      bars.push(undefined);
      continue;
    }
    const start = Number(BigInt(f[0]!));
    const end = Number(BigInt(f[1]!));
    const flags = Number(BigInt(f[2]!));
    if ((flags & (IORESOURCE_IO | IORESOURCE_MEM)) === 0 || end <= start) {
      bars.push(undefined);
      continue;
    }
    if ((flags & (IORESOURCE_UNSET | IORESOURCE_DISABLED)) !== 0) {
      bars.push(undefined);
      continue;
    }
    bars.push({
      index: i,
      kind: (flags & IORESOURCE_IO) !== 0 ? "io" : "memory",
      start,
      size: end - start + 1,
      is64: (flags & IORESOURCE_MEM_64) !== 0,
    });
  }
  return bars;
}

class SysfsConfigIo implements RawConfigIo {
  readonly size: number;
  private readonly buf = Buffer.alloc(4);
  constructor(
    private readonly fd: number,
    size: number,
  ) {
    this.size = size;
  }
  read32(offset: number): number {
    const n = readSync(this.fd, this.buf, 0, 4, offset);
    return n === 4 ? this.buf.readUInt32LE(0) : 0xffff_ffff;
  }
  writeCommand(value: number): void {
    this.buf.writeUInt16LE(value & 0xffff, 0);
    writeSync(this.fd, this.buf, 0, 2, 4);
  }
}

/**
 * A PCI function reached through sysfs, as ixy does: configuration space through `config`, memory BARs
 * mapped from `resourceN` with `mmap(MAP_SHARED)`, I/O BARs through `pread`/`pwrite` on `resourceN`.
 * Only the function the user named is opened, and only when no kernel driver is bound to it.
 */
export class SysfsPciDevice implements UserPciDevice {
  readonly address: PciAddress;
  readonly bars: ReadonlyArray<BarWindow | undefined>;
  readonly config: GuardedConfigAccess;
  readonly kind = "sysfs";
  private readonly configFd: number;
  private readonly maps = new Map<number, { addr: bigint; len: number; buffer: ArrayBuffer }>();
  private readonly ports = new Map<number, FilePortIo>();
  private closed = false;

  private constructor(address: PciAddress, configFd: number, configSize: number) {
    this.address = address;
    this.configFd = configFd;
    this.bars = parseResourceFile(readFileSync(`${address.sysfsPath}/resource`, "utf8"));
    this.config = new GuardedConfigAccess(address.bdf, new SysfsConfigIo(configFd, configSize), this.bars);
  }

  /**
   * Opens the function named `address` (`DDDD:BB:DD.F` or `BB:DD.F`). Gives `ResourceBusy` with a one-line
   * reason when a kernel driver is bound to it, `InvalidParam` when there is no such function.
   */
  static open(address: string | PciAddress): DevResult<SysfsPciDevice> {
    const addr = openableAddress(address, "none");
    if (addr instanceof DevError) return addr;
    let fd: number;
    try {
      fd = openSync(`${addr.sysfsPath}/config`, "r+");
    } catch (e) {
      return DevError.withDetail("Io", `cannot open ${addr.sysfsPath}/config: ${(e as Error).message}`);
    }
    const size = readFileSync(`${addr.sysfsPath}/config`).length;
    if (size < 64) {
      closeSync(fd);
      return DevError.withDetail(
        "Io",
        `${addr.sysfsPath}/config gives ${size} bytes: need root (CAP_SYS_ADMIN)`,
      );
    }
    return new SysfsPciDevice(addr, fd, size);
  }

  /** The whole of memory BAR `index`, mapped with `mmap(MAP_SHARED)` on `resourceN` (mapped once). */
  mapBar(index: number): DevResult<ArrayBuffer> {
    if (this.closed) return DevError.withDetail("BadState", `${this.address.text} is closed`);
    const have = this.maps.get(index);
    if (have !== undefined) return have.buffer;
    const bar = this.bars[index];
    if (bar === undefined || bar.kind !== "memory")
      return DevError.withDetail("InvalidParam", `BAR${index} of ${this.address.text} is not a memory BAR`);
    const path = `${this.address.sysfsPath}/resource${index}`;
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch (e) {
      return DevError.withDetail("Io", `cannot open ${path}: ${(e as Error).message}`);
    }
    const len = Math.ceil(bar.size / 4096) * 4096;
    const c = libc();
    const addr = c.mmap(null, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    const why = addr === MAP_FAILED ? lastError() : "";
    closeSync(fd); // the mapping keeps the resource
    if (addr === MAP_FAILED) return DevError.withDetail("Io", `mmap ${path}: ${why}`);
    const buffer = viewMemory(addr, len);
    this.maps.set(index, { addr, len, buffer });
    return buffer;
  }

  /** I/O BAR `index` as a register window (each access one `pread`/`pwrite` on `resourceN`). */
  ioBar(index: number): DevResult<MmioRegion> {
    if (this.closed) return DevError.withDetail("BadState", `${this.address.text} is closed`);
    const have = this.ports.get(index);
    if (have !== undefined) return have;
    const bar = this.bars[index];
    if (bar === undefined || bar.kind !== "io")
      return DevError.withDetail("InvalidParam", `BAR${index} of ${this.address.text} is not an I/O BAR`);
    const path = `${this.address.sysfsPath}/resource${index}`;
    let fd: number;
    try {
      fd = openSync(path, "r+");
    } catch (e) {
      return DevError.withDetail("Io", `cannot open ${path}: ${(e as Error).message}`);
    }
    const io = new FilePortIo(fd, 0, bar.size, true);
    this.ports.set(index, io);
    return io;
  }

  /** Unmaps the BARs and closes the files. The device is left as the driver left it. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    const c = this.maps.size > 0 ? libc() : undefined;
    for (const m of this.maps.values()) c?.munmap(m.addr, m.len);
    this.maps.clear();
    for (const p of this.ports.values()) p.close();
    this.ports.clear();
    closeSync(this.configFd);
  }
}
