// A minimal writer of "newc" cpio archives (the format the Linux kernel unpacks as an initramfs).
// Entries are owned by root (uid/gid 0) with a fixed mtime, so the bytes depend only on the content.
import { closeSync, openSync, writeSync } from "node:fs";

const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;
const S_IFLNK = 0o120000;

function hex8(n: number): string {
  return (n >>> 0).toString(16).padStart(8, "0");
}

/** Writes a newc cpio archive entry by entry; `finish()` writes the trailer and closes the file. */
export class CpioWriter {
  private readonly fd: number;
  private ino = 1;
  private pos = 0;
  private readonly dirs = new Set<string>();

  constructor(path: string) {
    this.fd = openSync(path, "w");
  }

  private write(buf: Uint8Array): void {
    let off = 0;
    while (off < buf.length) off += writeSync(this.fd, buf, off, buf.length - off);
    this.pos += buf.length;
  }

  private pad(): void {
    const n = (4 - (this.pos % 4)) % 4;
    if (n > 0) this.write(new Uint8Array(n));
  }

  private header(name: string, mode: number, size: number, nlink: number): void {
    const nameBytes = Buffer.from(`${name}\0`, "utf8");
    const fields = [
      this.ino++,
      mode,
      0, // uid
      0, // gid
      nlink,
      0, // mtime
      size,
      0, // devmajor
      0, // devminor
      0, // rdevmajor
      0, // rdevminor
      nameBytes.length,
      0, // check
    ];
    this.write(Buffer.from(`070701${fields.map(hex8).join("")}`, "ascii"));
    this.write(nameBytes);
    this.pad();
  }

  /** Adds a directory (and its missing parents). `path` has no leading slash. */
  dir(path: string, perm = 0o755): void {
    const clean = path.replace(/^\/+|\/+$/g, "");
    if (clean === "" || this.dirs.has(clean)) return;
    const parent = clean.includes("/") ? clean.slice(0, clean.lastIndexOf("/")) : "";
    if (parent !== "") this.dir(parent);
    this.dirs.add(clean);
    this.header(clean, S_IFDIR | perm, 0, 2);
  }

  /** Adds a regular file with `data` (parents are created). */
  file(path: string, data: Uint8Array, perm = 0o644): void {
    const clean = path.replace(/^\/+/, "");
    const parent = clean.includes("/") ? clean.slice(0, clean.lastIndexOf("/")) : "";
    if (parent !== "") this.dir(parent);
    this.header(clean, S_IFREG | perm, data.length, 1);
    this.write(data);
    this.pad();
  }

  /** Adds a symbolic link `path` -> `target`. */
  symlink(path: string, target: string): void {
    const clean = path.replace(/^\/+/, "");
    const parent = clean.includes("/") ? clean.slice(0, clean.lastIndexOf("/")) : "";
    if (parent !== "") this.dir(parent);
    const data = Buffer.from(target, "utf8");
    this.header(clean, S_IFLNK | 0o777, data.length, 1);
    this.write(data);
    this.pad();
  }

  /** Writes the trailer and closes the file. */
  finish(): void {
    this.header("TRAILER!!!", 0, 0, 1);
    // the kernel reads archives in 512-byte blocks; pad like cpio does
    const n = (512 - (this.pos % 512)) % 512;
    if (n > 0) this.write(new Uint8Array(n));
    closeSync(this.fd);
  }
}
