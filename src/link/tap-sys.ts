/**
 * The libc calls a TAP device needs, through koffi (Linux only). Constants from `<linux/if_tun.h>`,
 * `<fcntl.h>`, `<poll.h>` and `<errno.h>` on x86-64 and arm64.
 */

/** `TUNSETIFF = _IOW('T', 202, int)`. */
export const TUNSETIFF = 0x400454ca;
/** `IFF_TAP`: Ethernet frames (not IP packets). */
export const IFF_TAP = 0x0002;
/** `IFF_NO_PI`: no 4-byte packet-information prefix on each frame. */
export const IFF_NO_PI = 0x1000;
/** `struct ifreq` size, and where its `ifr_flags` lie. */
export const IFREQ_SIZE = 40;
export const IFREQ_FLAGS_OFFSET = 16;
/** Longest interface name (IFNAMSIZ - 1). */
export const IFNAME_MAX = 15;
export const O_RDWR = 0o2;
export const O_NONBLOCK = 0o4000;
export const O_CLOEXEC = 0o2000000;
export const POLLIN = 0x1;
export const EINTR = 4;
export const EAGAIN = 11;

/** The libc functions used, bound once per thread. */
export interface TapLibc {
  open(path: string, flags: number): number;
  ioctl(fd: number, request: number, arg: Uint8Array): number;
  read(fd: number, buf: Uint8Array, count: number): number;
  write(fd: number, buf: Uint8Array, count: number): number;
  poll(fds: Uint8Array, nfds: number, timeoutMs: number): number;
  close(fd: number): number;
  /** errno of the last failed call on this thread. */
  errno(): number;
  /** `strerror(errno)`. */
  strerror(errno: number): string;
}

/** Binds libc with koffi. Throws when koffi or libc cannot be loaded. */
export async function loadTapLibc(): Promise<TapLibc> {
  const koffi = (await import("koffi")).default;
  const lib = koffi.load("libc.so.6");
  const open = lib.func("int open(const char *path, int flags)");
  // ioctl is variadic; with integer and pointer arguments the plain call is the same on x86-64 and arm64
  const ioctl = lib.func("int ioctl(int fd, unsigned long request, void *arg)");
  const read = lib.func("long read(int fd, void *buf, size_t count)");
  const write = lib.func("long write(int fd, const void *buf, size_t count)");
  const poll = lib.func("int poll(void *fds, unsigned long nfds, int timeout)");
  const close = lib.func("int close(int fd)");
  const strerror = lib.func("const char *strerror(int errnum)");
  return {
    open: (path, flags) => open(path, flags) as number,
    ioctl: (fd, request, arg) => ioctl(fd, request, arg) as number,
    read: (fd, buf, count) => Number(read(fd, buf, count)),
    write: (fd, buf, count) => Number(write(fd, buf, count)),
    poll: (fds, nfds, timeoutMs) => poll(fds, nfds, timeoutMs) as number,
    close: (fd) => close(fd) as number,
    errno: () => koffi.errno(),
    strerror: (e) => strerror(e) as string,
  };
}

/**
 * Opens `/dev/net/tun` non-blocking and attaches a TAP interface named `name` (`%d` lets the kernel
 * number it). Returns the fd and the name the kernel chose, or an error message.
 */
export function openTapDevice(libc: TapLibc, name: string): { fd: number; name: string } | string {
  const nameBytes = new TextEncoder().encode(name);
  if (nameBytes.length === 0 || nameBytes.length > IFNAME_MAX) {
    return `interface name "${name}" must have 1 to ${IFNAME_MAX} bytes`;
  }
  const fd = libc.open("/dev/net/tun", O_RDWR | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    const e = libc.errno();
    return `open /dev/net/tun: ${libc.strerror(e)} (errno ${e})`;
  }
  const ifr = new Uint8Array(IFREQ_SIZE);
  ifr.set(nameBytes, 0);
  const flags = IFF_TAP | IFF_NO_PI;
  ifr[IFREQ_FLAGS_OFFSET] = flags & 0xff;
  ifr[IFREQ_FLAGS_OFFSET + 1] = flags >>> 8;
  if (libc.ioctl(fd, TUNSETIFF, ifr) < 0) {
    const e = libc.errno();
    libc.close(fd);
    return `TUNSETIFF ${name}: ${libc.strerror(e)} (errno ${e})`;
  }
  let end = 0;
  while (end < IFNAME_MAX + 1 && ifr[end] !== 0) end++;
  return { fd, name: new TextDecoder().decode(ifr.subarray(0, end)) };
}
