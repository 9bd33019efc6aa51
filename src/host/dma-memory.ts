import { closeSync, openSync, readSync } from "node:fs";
import { DevError, type DevResult } from "../base/dev-error.js";
import { PhysicalMemory } from "../hal/phys-memory.js";
import {
  lastError,
  libc,
  MADV_NOHUGEPAGE,
  MAP_ANONYMOUS,
  MAP_FAILED,
  MAP_HUGETLB,
  MAP_LOCKED,
  MAP_NORESERVE,
  MAP_POPULATE,
  MAP_PRIVATE,
  MAP_SHARED,
  MREMAP_FIXED,
  MREMAP_MAYMOVE,
  PROT_NONE,
  PROT_READ,
  PROT_WRITE,
} from "./libc.js";

/** Size of a small page and of an x86-64 / arm64 huge page. */
export const SMALL_PAGE = 4096;
export const HUGE_PAGE = 2 * 1024 * 1024;

/**
 * DMA memory for a device driven from user space: one virtually and physically (or IOVA-) contiguous
 * range, presented as a {@link PhysicalMemory} whose base is the bus address of its first byte, so the
 * driver's address arithmetic stays `base + offset`.
 */
export interface DmaArena {
  readonly memory: PhysicalMemory;
  /** Its virtual address in this process. */
  readonly address: bigint;
  /** Where it came from. */
  readonly kind: "hugepage" | "locked" | "vfio";
  /**
   * Pages whose physical address is no longer `memory.base + offset` (read again from /proc/self/pagemap): must
   * stay 0 while a device uses the arena. Always 0 for VFIO, where the IOMMU maps pinned pages.
   */
  movedPages(): number;
  /** Unmaps it (and, for VFIO, unmaps it from the IOMMU). The memory must not be used afterwards. */
  release(): void;
}

const PAGEMAP_PRESENT = 1n << 63n;
const PAGEMAP_PFN_MASK = (1n << 55n) - 1n;

/**
 * Physical addresses of the pages at `addr`, `addr + step`, ... (`count` of them) from
 * `/proc/self/pagemap` (one 8-byte entry per 4 KiB page: frame number in bits 0..54, present in bit 63).
 * Needs CAP_SYS_ADMIN, else the kernel reports frame 0. A page that is not present gives -1.
 */
export function physicalAddresses(addr: bigint, step: number, count: number): number[] {
  const fd = openSync("/proc/self/pagemap", "r");
  const out: number[] = [];
  const buf = Buffer.alloc(8);
  try {
    for (let i = 0; i < count; i++) {
      const va = addr + BigInt(i * step);
      const n = readSync(fd, buf, 0, 8, Number((va / 4096n) * 8n));
      const e = n === 8 ? buf.readBigUInt64LE(0) : 0n;
      if ((e & PAGEMAP_PRESENT) === 0n) {
        out.push(-1);
        continue;
      }
      const pfn = e & PAGEMAP_PFN_MASK;
      out.push(Number(pfn) * 4096 + Number(va % 4096n));
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

function mapPages(len: number, flags: number, pageSize: number): bigint | undefined {
  const c = libc();
  const a = c.mmap(null, len, PROT_READ | PROT_WRITE, flags, -1, 0);
  if (a === MAP_FAILED) return undefined;
  if (pageSize === SMALL_PAGE) {
    // no transparent huge pages: khugepaged would copy 512 of our pages into a new huge page (new physical
    // addresses under a running device; seen in the QEMU peer test). mlock then faults in and pins.
    if (c.madvise(a, len, MADV_NOHUGEPAGE) !== 0 || c.mlock(a, len) !== 0) {
      c.munmap(a, len);
      return undefined;
    }
  }
  return a;
}

/**
 * Builds a physically contiguous arena of `count` pages of `pageSize` bytes out of a pool of such pages:
 * reads each page's physical address, looks for `count` frames that follow each other, and moves those pages
 * (with `mremap`) into one virtual range in physical order. This is how DPDK builds contiguous memory out of
 * pages the kernel hands out in any order.
 */
function contiguousPages(
  count: number,
  pageSize: number,
  flags: number,
  poolPages: number[],
): DevResult<{ addr: bigint; phys: number }> {
  const c = libc();
  const len = count * pageSize;
  let lastWhy = "";
  for (const poolCount of poolPages) {
    const poolLen = poolCount * pageSize;
    const pool = mapPages(poolLen, flags, pageSize);
    if (pool === undefined) {
      lastWhy = `mmap of ${poolCount} pages of ${pageSize} bytes: ${lastError()}`;
      continue;
    }
    const phys = physicalAddresses(pool, pageSize, poolCount);
    if (phys.some((p) => p <= 0)) {
      c.munmap(pool, poolLen);
      return DevError.withDetail(
        "Io",
        "/proc/self/pagemap gives no frame numbers: physical addresses need root (CAP_SYS_ADMIN)",
      );
    }
    // already in order? (the common case for huge pages reserved at boot)
    let inOrder = true;
    for (let i = 1; i < count && inOrder; i++) if (phys[i] !== phys[0]! + i * pageSize) inOrder = false;
    if (inOrder) {
      if (poolLen > len) c.munmap(pool + BigInt(len), poolLen - len);
      return { addr: pool, phys: phys[0]! };
    }
    const order = phys.map((p, i) => [p, i] as const).sort((a, b) => a[0] - b[0]);
    let runStart = -1;
    for (let i = 0, run = 1; i < order.length; i++) {
      run = i > 0 && order[i]![0] === order[i - 1]![0] + pageSize ? run + 1 : 1;
      if (run >= count) {
        runStart = i - count + 1;
        break;
      }
    }
    if (runStart < 0) {
      c.munmap(pool, poolLen);
      lastWhy = `no ${count} physically contiguous pages of ${pageSize} bytes among ${poolCount}`;
      continue;
    }
    // reserve an aligned virtual range and move the run into it, in physical order
    const resLen = len + pageSize;
    const res = c.mmap(null, resLen, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (res === MAP_FAILED) {
      c.munmap(pool, poolLen);
      return DevError.withDetail(
        "NoMemory",
        `cannot reserve ${resLen} bytes of address space: ${lastError()}`,
      );
    }
    const ps = BigInt(pageSize);
    const target = ((res + ps - 1n) / ps) * ps;
    let failed = "";
    for (let k = 0; k < count && failed === ""; k++) {
      const from = pool + BigInt(order[runStart + k]![1] * pageSize);
      const to = target + BigInt(k * pageSize);
      const r = c.mremap(from, pageSize, pageSize, MREMAP_MAYMOVE | MREMAP_FIXED, to);
      if (r !== to) failed = `mremap: ${lastError()}`;
    }
    c.munmap(pool, poolLen); // what is left of the pool (moved pages left holes)
    if (target > res) c.munmap(res, Number(target - res));
    const tail = res + BigInt(resLen) - (target + BigInt(len));
    if (tail > 0n) c.munmap(target + BigInt(len), Number(tail));
    if (failed !== "") {
      c.munmap(target, len);
      return DevError.withDetail("NoMemory", failed);
    }
    if (pageSize === SMALL_PAGE) c.madvise(target, len, MADV_NOHUGEPAGE); // (carried over by mremap too)
    const check = physicalAddresses(target, pageSize, count);
    for (let k = 0; k < count; k++) {
      if (check[k] !== check[0]! + k * pageSize) {
        c.munmap(target, len);
        return DevError.withDetail("BadState", "pages moved while building a contiguous DMA arena");
      }
    }
    return { addr: target, phys: check[0]! };
  }
  return DevError.withDetail("NoMemory", lastWhy);
}

function arenaOf(addr: bigint, len: number, phys: number, kind: DmaArena["kind"]): DmaArena {
  const memory = new PhysicalMemory(libc().koffi.view(addr, len), phys);
  let live = true;
  return {
    memory,
    address: addr,
    kind,
    movedPages() {
      if (!live) return 0;
      const phys = physicalAddresses(addr, SMALL_PAGE, len / SMALL_PAGE);
      let moved = 0;
      for (let i = 0; i < phys.length; i++) if (phys[i] !== memory.base + i * SMALL_PAGE) moved++;
      return moved;
    },
    release() {
      if (!live) return;
      live = false;
      libc().munmap(addr, len);
    },
  };
}

/**
 * DMA memory from 2 MiB huge pages (`MAP_HUGETLB`; reserve them first, e.g.
 * `echo 16 > /proc/sys/vm/nr_hugepages`). Huge pages are physically contiguous and never move, which is
 * why ixy and DPDK use them. `size` is rounded up to whole huge pages; several are arranged in physical
 * order, and `NoMemory` comes back when no contiguous run of them exists.
 */
export function allocHugePageArena(size: number): DevResult<DmaArena> {
  const count = Math.max(1, Math.ceil(size / HUGE_PAGE));
  const flags = MAP_SHARED | MAP_ANONYMOUS | MAP_HUGETLB | MAP_POPULATE | MAP_LOCKED;
  const r = contiguousPages(count, HUGE_PAGE, flags, count > 1 ? [count, count * 2] : [1]);
  if (r instanceof DevError) {
    return DevError.withDetail(
      "NoMemory",
      `${r.detail} (reserve huge pages: echo ${count * 2} > /proc/sys/vm/nr_hugepages)`,
    );
  }
  return arenaOf(r.addr, count * HUGE_PAGE, r.phys, "hugepage");
}

/**
 * DMA memory from locked 4 KiB pages (`MADV_NOHUGEPAGE`, then `mlock`), arranged into a physically
 * contiguous run. Caveat: the kernel may still migrate locked small pages (compaction, unless
 * `/proc/sys/vm/compact_unevictable_allowed` is 0); check {@link DmaArena.movedPages}, and prefer huge pages or
 * VFIO for long runs.
 */
export function allocLockedArena(size: number): DevResult<DmaArena> {
  const count = Math.max(1, Math.ceil(size / SMALL_PAGE));
  const flags = MAP_PRIVATE | MAP_ANONYMOUS; // then MADV_NOHUGEPAGE and mlock (mapPages)
  const r = contiguousPages(count, SMALL_PAGE, flags, [count, count * 4, count * 16]);
  if (r instanceof DevError) return r;
  return arenaOf(r.addr, count * SMALL_PAGE, r.phys, "locked");
}
