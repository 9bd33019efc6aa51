/** libpcap files on disk (Node only): a buffered file {@link ByteSink} and file helpers. */
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import { type ByteSink, PcapReader, PcapWriter, type PcapWriterOptions } from "./pcap.js";

/**
 * A {@link ByteSink} writing to a file through a buffer (64 KiB by default), so a frame costs a copy,
 * not a system call. {@link PcapFileSink.flush} writes the buffer out; {@link PcapFileSink.close} flushes
 * and closes.
 */
export class PcapFileSink implements ByteSink {
  private fd: number;
  private readonly buf: Uint8Array;
  private used = 0;

  /** Creates (or truncates) `path`. Throws the `fs` error when it cannot be opened. */
  constructor(
    readonly path: string,
    bufferSize = 64 * 1024,
  ) {
    this.fd = openSync(path, "w");
    this.buf = new Uint8Array(Math.max(4096, bufferSize));
  }

  write(bytes: Uint8Array, offset: number, length: number): void {
    if (this.fd < 0) throw new Error(`pcap file ${this.path} is closed`);
    if (this.used + length > this.buf.length) {
      this.flush();
      if (length > this.buf.length) {
        writeSync(this.fd, bytes, offset, length);
        return;
      }
    }
    const b = this.buf;
    const at = this.used;
    for (let i = 0; i < length; i++) b[at + i] = bytes[offset + i]!;
    this.used += length;
  }

  /** Writes the buffered bytes to the file. */
  flush(): void {
    let off = 0;
    while (off < this.used) off += writeSync(this.fd, this.buf, off, this.used - off);
    this.used = 0;
  }

  /** Flushes and closes the file (again: nothing). */
  close(): void {
    if (this.fd < 0) return;
    this.flush();
    closeSync(this.fd);
    this.fd = -1;
  }
}

/** A {@link PcapWriter} on a new file. */
export class PcapFileWriter extends PcapWriter {
  private readonly file: PcapFileSink;

  constructor(path: string, opts: PcapWriterOptions = {}) {
    const file = new PcapFileSink(path);
    super(file, opts);
    this.file = file;
  }

  /** Writes buffered records to the file. */
  flush(): void {
    this.file.flush();
  }

  /** Flushes and closes the file. */
  close(): void {
    this.file.close();
  }
}

/** Reads a whole capture file. Throws the `fs` error, or `PcapFormatError` for a malformed file. */
export function readPcapFile(path: string): PcapReader {
  return new PcapReader(readFileSync(path));
}
