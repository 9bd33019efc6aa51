import { closeSync, openSync, readdirSync, readlinkSync, readSync, writeSync } from "node:fs";
import { basename } from "node:path";
import { DevError, type DevResult } from "../base/dev-error.js";
import type { MmioRegion } from "../hal/mmio.js";
import { PhysicalMemory } from "../hal/phys-memory.js";
import { type BarWindow, GuardedConfigAccess, type RawConfigIo } from "./config-access.js";
import type { DmaArena } from "./dma-memory.js";
import {
  lastError,
  libc,
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_POPULATE,
  MAP_SHARED,
  PROT_READ,
  PROT_WRITE,
  viewMemory,
} from "./libc.js";
import { openableAddress, type PciAddress } from "./pci-address.js";
import { FilePortIo } from "./port-io.js";
import type { UserPciDevice } from "./user-device.js";

// ioctl numbers: _IO(';', 100 + n) (Linux include/uapi/linux/vfio.h)
const VFIO_BASE = (0x3b << 8) | 100;
const VFIO_GET_API_VERSION = VFIO_BASE + 0;
const VFIO_CHECK_EXTENSION = VFIO_BASE + 1;
const VFIO_SET_IOMMU = VFIO_BASE + 2;
const VFIO_GROUP_GET_STATUS = VFIO_BASE + 3;
const VFIO_GROUP_SET_CONTAINER = VFIO_BASE + 4;
const VFIO_GROUP_GET_DEVICE_FD = VFIO_BASE + 6;
const VFIO_DEVICE_GET_INFO = VFIO_BASE + 7;
const VFIO_DEVICE_GET_REGION_INFO = VFIO_BASE + 8;
const VFIO_IOMMU_MAP_DMA = VFIO_BASE + 13;
const VFIO_IOMMU_UNMAP_DMA = VFIO_BASE + 14;

const VFIO_API_VERSION = 0;
const VFIO_TYPE1_IOMMU = 1;
const VFIO_TYPE1v2_IOMMU = 3;
const VFIO_GROUP_FLAGS_VIABLE = 1;
const VFIO_DEVICE_FLAGS_PCI = 2;
const VFIO_REGION_INFO_FLAG_MMAP = 4;
const VFIO_PCI_CONFIG_REGION_INDEX = 7;
const VFIO_DMA_MAP_FLAG_READ = 1;
const VFIO_DMA_MAP_FLAG_WRITE = 2;

/** Default I/O virtual address of the first DMA arena: above 4 GiB, so it is never a guest-physical alias. */
export const DEFAULT_IOVA_BASE = 0x1_0000_0000;

interface RegionInfo {
  index: number;
  flags: number;
  size: number;
  offset: number;
}

function fail(kind: "Io" | "InvalidParam" | "ResourceBusy" | "Unsupported", what: string): DevError {
  return DevError.withDetail(kind, `${what}: ${lastError()}`);
}

class VfioConfigIo implements RawConfigIo {
  private readonly buf = Buffer.alloc(4);
  constructor(
    private readonly fd: number,
    private readonly base: number,
    readonly size: number,
  ) {}
  read32(offset: number): number {
    const n = readSync(this.fd, this.buf, 0, 4, this.base + offset);
    return n === 4 ? this.buf.readUInt32LE(0) : 0xffff_ffff;
  }
  writeCommand(value: number): void {
    this.buf.writeUInt16LE(value & 0xffff, 0);
    writeSync(this.fd, this.buf, 0, 2, this.base + 4);
  }
}

/**
 * A PCI function driven through VFIO with an IOMMU: the device is bound to `vfio-pci`, its group is put in
 * a container with the type-1 IOMMU, BARs are mapped from the VFIO regions and configuration space goes
 * through the VFIO config region. DMA memory is mapped at I/O virtual addresses we choose
 * ({@link VfioPciDevice.allocDma}), so no physical address is needed and the device can reach nothing else.
 */
export class VfioPciDevice implements UserPciDevice {
  readonly kind = "vfio";
  readonly address: PciAddress;
  readonly bars: ReadonlyArray<BarWindow | undefined>;
  readonly config: GuardedConfigAccess;
  /** The IOMMU group number. */
  readonly group: number;
  private readonly regions: RegionInfo[];
  private readonly maps = new Map<number, { addr: bigint; len: number; buffer: ArrayBuffer }>();
  private readonly ports = new Map<number, FilePortIo>();
  private readonly arenas: DmaArena[] = [];
  private nextIova: number;
  private closed = false;

  private constructor(
    address: PciAddress,
    group: number,
    private readonly containerFd: number,
    private readonly groupFd: number,
    private readonly deviceFd: number,
    regions: RegionInfo[],
    iovaBase: number,
  ) {
    this.address = address;
    this.group = group;
    this.regions = regions;
    this.nextIova = iovaBase;
    const cfg = regions[VFIO_PCI_CONFIG_REGION_INDEX]!;
    const io = new VfioConfigIo(deviceFd, cfg.offset, Math.min(cfg.size, 4096));
    const bars: Array<BarWindow | undefined> = [];
    for (let i = 0; i < 6; i++) {
      const r = regions[i];
      const raw = io.read32(0x10 + i * 4);
      if (
        r === undefined ||
        r.size === 0 ||
        (i > 0 && bars[i - 1]?.is64 === true && bars[i - 1]?.index === i - 1)
      ) {
        bars.push(undefined);
        continue;
      }
      if ((raw & 1) === 1) {
        bars.push({ index: i, kind: "io", start: raw & 0xffff_fffc, size: r.size, is64: false });
      } else {
        const is64 = ((raw >>> 1) & 3) === 2;
        const high = is64 ? io.read32(0x10 + (i + 1) * 4) : 0;
        bars.push({
          index: i,
          kind: "memory",
          start: high * 0x1_0000_0000 + ((raw & 0xffff_fff0) >>> 0),
          size: r.size,
          is64,
        });
      }
    }
    this.bars = bars;
    this.config = new GuardedConfigAccess(address.bdf, io, bars);
  }

  /**
   * Opens the function named `address` through VFIO. It must be bound to `vfio-pci` (and every other device
   * of its IOMMU group to vfio-pci or to nothing); the reason for a refusal comes back in one line.
   * @param iovaBase I/O virtual address of the first DMA arena
   */
  static open(address: string | PciAddress, iovaBase: number = DEFAULT_IOVA_BASE): DevResult<VfioPciDevice> {
    const addr = openableAddress(address, "vfio-pci");
    if (addr instanceof DevError) return addr;
    let group: number;
    try {
      group = Number(basename(readlinkSync(`${addr.sysfsPath}/iommu_group`)));
    } catch {
      return DevError.withDetail(
        "Unsupported",
        `refusing ${addr.text}: it has no IOMMU group (is the IOMMU on? e.g. intel_iommu=on)`,
      );
    }
    const c = libc();
    const fds: number[] = [];
    const cleanup = (): void => {
      for (const fd of fds.reverse()) closeSync(fd);
    };
    try {
      const container = openSync("/dev/vfio/vfio", "r+");
      fds.push(container);
      if (c.ioctlInt(container, VFIO_GET_API_VERSION, 0) !== VFIO_API_VERSION) {
        cleanup();
        return DevError.withDetail("Unsupported", "unknown VFIO API version");
      }
      const type =
        c.ioctlInt(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) > 0
          ? VFIO_TYPE1v2_IOMMU
          : c.ioctlInt(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU) > 0
            ? VFIO_TYPE1_IOMMU
            : 0;
      if (type === 0) {
        cleanup();
        return DevError.withDetail("Unsupported", "VFIO has no type-1 IOMMU (load vfio_iommu_type1)");
      }
      const groupFd = openSync(`/dev/vfio/${group}`, "r+");
      fds.push(groupFd);
      const status = new Uint32Array([8, 0]);
      if (c.ioctlPtr(groupFd, VFIO_GROUP_GET_STATUS, new Uint8Array(status.buffer)) < 0) {
        const e = fail("Io", `VFIO_GROUP_GET_STATUS on group ${group}`);
        cleanup();
        return e;
      }
      if ((status[1]! & VFIO_GROUP_FLAGS_VIABLE) === 0) {
        cleanup();
        const members = readdirSync(`/sys/kernel/iommu_groups/${group}/devices`).join(" ");
        return DevError.withDetail(
          "ResourceBusy",
          `refusing ${addr.text}: IOMMU group ${group} is not viable (bind every member to vfio-pci: ${members})`,
        );
      }
      const fdArg = new Int32Array([container]);
      if (c.ioctlPtr(groupFd, VFIO_GROUP_SET_CONTAINER, new Uint8Array(fdArg.buffer)) < 0) {
        const e = fail("ResourceBusy", `VFIO_GROUP_SET_CONTAINER for group ${group}`);
        cleanup();
        return e;
      }
      if (c.ioctlInt(container, VFIO_SET_IOMMU, type) < 0) {
        const e = fail("Unsupported", "VFIO_SET_IOMMU (is interrupt remapping on? intremap=on)");
        cleanup();
        return e;
      }
      const deviceFd = c.ioctlStr(groupFd, VFIO_GROUP_GET_DEVICE_FD, addr.text);
      if (deviceFd < 0) {
        const e = fail("ResourceBusy", `VFIO_GROUP_GET_DEVICE_FD ${addr.text}`);
        cleanup();
        return e;
      }
      fds.push(deviceFd);
      const info = new Uint32Array([24, 0, 0, 0, 0, 0]);
      if (c.ioctlPtr(deviceFd, VFIO_DEVICE_GET_INFO, new Uint8Array(info.buffer)) < 0) {
        const e = fail("Io", "VFIO_DEVICE_GET_INFO");
        cleanup();
        return e;
      }
      if ((info[1]! & VFIO_DEVICE_FLAGS_PCI) === 0) {
        cleanup();
        return DevError.withDetail("Unsupported", `${addr.text} is not a vfio-pci device`);
      }
      const regions: RegionInfo[] = [];
      const numRegions = Math.min(info[2]!, VFIO_PCI_CONFIG_REGION_INDEX + 1);
      for (let i = 0; i < numRegions; i++) {
        // struct vfio_region_info: argsz, flags, index, cap_offset (u32), size, offset (u64)
        const b = Buffer.alloc(32);
        b.writeUInt32LE(32, 0);
        b.writeUInt32LE(i, 8);
        if (c.ioctlPtr(deviceFd, VFIO_DEVICE_GET_REGION_INFO, b) < 0) {
          const e = fail("Io", `VFIO_DEVICE_GET_REGION_INFO ${i}`);
          cleanup();
          return e;
        }
        regions.push({
          index: i,
          flags: b.readUInt32LE(4),
          size: Number(b.readBigUInt64LE(16)),
          offset: Number(b.readBigUInt64LE(24)),
        });
      }
      if (regions.length <= VFIO_PCI_CONFIG_REGION_INDEX) {
        cleanup();
        return DevError.withDetail("Unsupported", `${addr.text} has no VFIO config region`);
      }
      return new VfioPciDevice(addr, group, container, groupFd, deviceFd, regions, iovaBase);
    } catch (e) {
      cleanup();
      return DevError.withDetail("Io", `VFIO open of ${addr.text}: ${(e as Error).message}`);
    }
  }

  mapBar(index: number): DevResult<ArrayBuffer> {
    if (this.closed) return DevError.withDetail("BadState", `${this.address.text} is closed`);
    const have = this.maps.get(index);
    if (have !== undefined) return have.buffer;
    const bar = this.bars[index];
    const r = this.regions[index];
    if (bar === undefined || bar.kind !== "memory" || r === undefined)
      return DevError.withDetail("InvalidParam", `BAR${index} of ${this.address.text} is not a memory BAR`);
    if ((r.flags & VFIO_REGION_INFO_FLAG_MMAP) === 0)
      return DevError.withDetail("Unsupported", `VFIO region of BAR${index} cannot be mapped`);
    const len = Math.ceil(r.size / 4096) * 4096;
    const addr = libc().mmap(null, len, PROT_READ | PROT_WRITE, MAP_SHARED, this.deviceFd, r.offset);
    if (addr === MAP_FAILED) return fail("Io", `mmap of VFIO BAR${index}`);
    const buffer = viewMemory(addr, len);
    this.maps.set(index, { addr, len, buffer });
    return buffer;
  }

  ioBar(index: number): DevResult<MmioRegion> {
    if (this.closed) return DevError.withDetail("BadState", `${this.address.text} is closed`);
    const have = this.ports.get(index);
    if (have !== undefined) return have;
    const bar = this.bars[index];
    const r = this.regions[index];
    if (bar === undefined || bar.kind !== "io" || r === undefined)
      return DevError.withDetail("InvalidParam", `BAR${index} of ${this.address.text} is not an I/O BAR`);
    const io = new FilePortIo(this.deviceFd, r.offset, r.size, false);
    this.ports.set(index, io);
    return io;
  }

  /**
   * Allocates `size` bytes of DMA memory (anonymous shared pages, pinned by VFIO) and maps it in the
   * IOMMU at the next free I/O virtual address; the arena's {@link PhysicalMemory} base is that address.
   */
  allocDma(size: number): DevResult<DmaArena> {
    if (this.closed) return DevError.withDetail("BadState", `${this.address.text} is closed`);
    const len = Math.max(4096, Math.ceil(size / 4096) * 4096);
    const c = libc();
    const addr = c.mmap(null, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (addr === MAP_FAILED) return fail("Io", `mmap of ${len} bytes of DMA memory`);
    const iova = this.nextIova;
    // struct vfio_iommu_type1_dma_map: argsz, flags (u32), vaddr, iova, size (u64)
    const m = Buffer.alloc(32);
    m.writeUInt32LE(32, 0);
    m.writeUInt32LE(VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE, 4);
    m.writeBigUInt64LE(addr, 8);
    m.writeBigUInt64LE(BigInt(iova), 16);
    m.writeBigUInt64LE(BigInt(len), 24);
    if (c.ioctlPtr(this.containerFd, VFIO_IOMMU_MAP_DMA, m) < 0) {
      const e = fail("Io", `VFIO_IOMMU_MAP_DMA of ${len} bytes at IOVA 0x${iova.toString(16)}`);
      c.munmap(addr, len);
      return e;
    }
    this.nextIova += Math.ceil(len / 0x20_0000) * 0x20_0000;
    const memory = new PhysicalMemory(viewMemory(addr, len), iova);
    const containerFd = this.containerFd;
    let live = true;
    const arena: DmaArena = {
      memory,
      address: addr,
      kind: "vfio",
      movedPages: () => 0,
      release: () => {
        if (!live) return;
        live = false;
        // struct vfio_iommu_type1_dma_unmap: argsz, flags (u32), iova, size (u64)
        const u = Buffer.alloc(24);
        u.writeUInt32LE(24, 0);
        u.writeBigUInt64LE(BigInt(iova), 8);
        u.writeBigUInt64LE(BigInt(len), 16);
        if (!this.closed) c.ioctlPtr(containerFd, VFIO_IOMMU_UNMAP_DMA, u);
        c.munmap(addr, len);
      },
    };
    this.arenas.push(arena);
    return arena;
  }

  close(): void {
    if (this.closed) return;
    for (const a of this.arenas) a.release();
    this.closed = true;
    const c = this.maps.size > 0 ? libc() : undefined;
    for (const m of this.maps.values()) c?.munmap(m.addr, m.len);
    this.maps.clear();
    this.ports.clear();
    closeSync(this.deviceFd);
    closeSync(this.groupFd);
    closeSync(this.containerFd);
  }
}
