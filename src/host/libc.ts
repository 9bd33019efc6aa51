/**
 * The few libc calls the user-space HAL needs (mmap, mremap, munmap, ioctl, pread/pwrite), bound through
 * koffi. Loaded on first use, so importing `host/` costs nothing until a device is opened.
 * Pointers are `bigint` (koffi's `void *`); none of this is on a data path.
 */
import { createRequire } from "node:module";

type Koffi = typeof import("koffi");

/** `PROT_*`, `MAP_*`, `MREMAP_*` values of Linux x86-64 / arm64 (asm-generic). */
export const PROT_NONE = 0;
export const PROT_READ = 1;
export const PROT_WRITE = 2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_FIXED = 0x10;
export const MAP_ANONYMOUS = 0x20;
export const MAP_NORESERVE = 0x4000;
export const MAP_LOCKED = 0x2000;
export const MAP_POPULATE = 0x8000;
export const MAP_HUGETLB = 0x40000;
export const MADV_NOHUGEPAGE = 15;
export const MREMAP_MAYMOVE = 1;
export const MREMAP_FIXED = 2;
/** `(void *)-1`. */
export const MAP_FAILED = 0xffff_ffff_ffff_ffffn;

/** The bound functions. */
export interface Libc {
  koffi: Koffi;
  mmap(addr: bigint | null, len: number, prot: number, flags: number, fd: number, off: number): bigint;
  munmap(addr: bigint, len: number): number;
  mremap(oldAddr: bigint, oldLen: number, newLen: number, flags: number, newAddr: bigint): bigint;
  madvise(addr: bigint, len: number, advice: number): number;
  /** Locks (and faults in) the pages. */
  mlock(addr: bigint, len: number): number;
  /** `ioctl(fd, req, void *arg)`: the buffer is passed by pointer and written back. */
  ioctlPtr(fd: number, req: number, arg: Uint8Array): number;
  /** `ioctl(fd, req, int arg)`. */
  ioctlInt(fd: number, req: number, arg: number): number;
  /** `ioctl(fd, req, const char *arg)`. */
  ioctlStr(fd: number, req: number, arg: string): number;
  /** Last `errno`. */
  errno(): number;
  /** `strerror(errno)`. */
  strerror(err: number): string;
}

let bound: Libc | undefined;

/** The libc bindings (throws when koffi cannot load, e.g. not on Linux). */
export function libc(): Libc {
  if (bound !== undefined) return bound;
  const require = createRequire(import.meta.url);
  const koffi = require("koffi") as Koffi;
  const lib = koffi.load("libc.so.6");
  const mmap = lib.func("void *mmap(void *addr, size_t len, int prot, int flags, int fd, intptr_t off)");
  const munmap = lib.func("int munmap(void *addr, size_t len)");
  const mremap = lib.func("void *mremap(void *old, size_t oldLen, size_t newLen, int flags, ...)");
  const madvise = lib.func("int madvise(void *addr, size_t len, int advice)");
  const mlock = lib.func("int mlock(void *addr, size_t len)");
  const ioctl = lib.func("int ioctl(int fd, unsigned long req, ...)");
  const strerror = lib.func("const char *strerror(int err)");
  bound = {
    koffi,
    mmap: (addr, len, prot, flags, fd, off) =>
      BigInt.asUintN(64, BigInt(mmap(addr, len, prot, flags, fd, off))),
    munmap: (addr, len) => munmap(addr, len) as number,
    mremap: (oldAddr, oldLen, newLen, flags, newAddr) =>
      BigInt.asUintN(64, BigInt(mremap(oldAddr, oldLen, newLen, flags, "void *", newAddr))),
    madvise: (addr, len, advice) => madvise(addr, len, advice) as number,
    mlock: (addr, len) => mlock(addr, len) as number,
    ioctlPtr: (fd, req, arg) => ioctl(fd, req, "void *", arg) as number,
    ioctlInt: (fd, req, arg) => ioctl(fd, req, "int", arg) as number,
    ioctlStr: (fd, req, arg) => ioctl(fd, req, "const char *", arg) as number,
    errno: () => koffi.errno(),
    strerror: (err) => strerror(err) as string,
  };
  return bound;
}

/** Memory at `addr` as an `ArrayBuffer` (no copy). */
export function viewMemory(addr: bigint, len: number): ArrayBuffer {
  return libc().koffi.view(addr, len);
}

/** A readable `errno` text for error messages. */
export function lastError(): string {
  const c = libc();
  const e = c.errno();
  return `${c.strerror(e)} (errno ${e})`;
}
