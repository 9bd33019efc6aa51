/**
 * libpcap capture files: a pure encoder (works anywhere) and a reader for both byte orders and both
 * timestamp resolutions. Format: https://wiki.wireshark.org/Development/LibpcapFileFormat (and
 * draft-ietf-opsawg-pcap): a 24-byte file header, then per frame a 16-byte record header and the bytes.
 * The file sink for Node is in `pcap-file.ts`.
 */
import type { FrameSink } from "../emu/frame-port.js";
import type { CaptureDirection, CaptureSink } from "../net/wrappers/capture.js";
import type { WireDirectionId, WireTap } from "./wire.js";

/** Magic of a file with microsecond timestamps. */
export const PCAP_MAGIC_MICROS = 0xa1b2c3d4;
/** Magic of a file with nanosecond timestamps. */
export const PCAP_MAGIC_NANOS = 0xa1b23c4d;
/** File format version written: 2.4. */
export const PCAP_VERSION_MAJOR = 2;
export const PCAP_VERSION_MINOR = 4;
/** LINKTYPE_ETHERNET: frames start with the Ethernet header, no FCS. */
export const LINKTYPE_ETHERNET = 1;
/** Default snapshot length: whole frames. */
export const PCAP_SNAPLEN = 65535;
/** Size of the file header. */
export const PCAP_FILE_HEADER_LEN = 24;
/** Size of a record header. */
export const PCAP_RECORD_HEADER_LEN = 16;

/** Where encoded bytes go. The bytes are valid only during the call: copy what you keep. */
export interface ByteSink {
  write(bytes: Uint8Array, offset: number, length: number): void;
}

/** Options of a {@link PcapWriter}. */
export interface PcapWriterOptions {
  /** Longest part of a frame recorded (longer frames are cut, their original length kept). Default 65535. */
  snaplen?: number;
  /** Link type in the header. Default 1 (Ethernet). */
  linktype?: number;
  /** Write nanosecond timestamps (magic a1b23c4d) instead of microseconds. Default false. */
  nanosecond?: boolean;
  /** Added to every timestamp, in ns (e.g. the epoch time at which a virtual clock started). Default 0. */
  timeOffsetNs?: number;
}

/** The 24-byte file header, little-endian. */
export function encodePcapFileHeader(opts: PcapWriterOptions = {}): Uint8Array {
  const out = new Uint8Array(PCAP_FILE_HEADER_LEN);
  const v = new DataView(out.buffer);
  v.setUint32(0, opts.nanosecond ? PCAP_MAGIC_NANOS : PCAP_MAGIC_MICROS, true);
  v.setUint16(4, PCAP_VERSION_MAJOR, true);
  v.setUint16(6, PCAP_VERSION_MINOR, true);
  v.setInt32(8, 0, true); // thiszone: GMT
  v.setUint32(12, 0, true); // sigfigs
  v.setUint32(16, opts.snaplen ?? PCAP_SNAPLEN, true);
  v.setUint32(20, opts.linktype ?? LINKTYPE_ETHERNET, true);
  return out;
}

/**
 * Writes libpcap records to a {@link ByteSink}: the file header at construction, then one record per
 * {@link PcapWriter.writeFrame}. The record header is built in a buffer made once; nothing is allocated
 * per frame. It is a {@link CaptureSink} (for the driver `PcapTap`) and a {@link WireTap}.
 */
export class PcapWriter implements CaptureSink, WireTap {
  /** Records written. */
  frames = 0;
  /** Bytes written, headers included. */
  bytesWritten = 0;
  /** Snapshot length. */
  readonly snaplen: number;
  /** Whether timestamps are in nanoseconds. */
  readonly nanosecond: boolean;
  /** Added to every timestamp (ns). */
  timeOffsetNs: number;
  private readonly hdr = new Uint8Array(PCAP_RECORD_HEADER_LEN);
  private readonly hdrView = new DataView(this.hdr.buffer);

  constructor(
    /** Where the bytes go. */
    readonly sink: ByteSink,
    opts: PcapWriterOptions = {},
  ) {
    this.snaplen = opts.snaplen ?? PCAP_SNAPLEN;
    if (!Number.isInteger(this.snaplen) || this.snaplen < 1 || this.snaplen > 0x7fffffff) {
      throw new RangeError(`pcap snaplen ${this.snaplen}`);
    }
    this.nanosecond = opts.nanosecond ?? false;
    this.timeOffsetNs = opts.timeOffsetNs ?? 0;
    const h = encodePcapFileHeader(opts);
    sink.write(h, 0, h.length);
    this.bytesWritten = h.length;
  }

  /**
   * Appends one frame with its timestamp in nanoseconds. Times since the epoch are exact to about 256 ns
   * as doubles: fine for microsecond files; for exact nanoseconds use small (virtual) times or
   * {@link PcapWriter.writeRecord}.
   */
  writeFrame(bytes: Uint8Array, offset: number, length: number, timeNs: number): void {
    const t = timeNs + this.timeOffsetNs;
    let sec = Math.floor(t / 1e9);
    // rounded, not truncated: an epoch time in ns (~1.7e18) is a double with 256-ns steps, so the
    // microsecond of an exact-µs time could otherwise come out one less
    let frac = this.nanosecond ? Math.round(t - sec * 1e9) : Math.round((t - sec * 1e9) / 1e3);
    const fracMax = this.nanosecond ? 1e9 : 1e6;
    if (frac >= fracMax) {
      sec += 1;
      frac -= fracMax;
    } else if (frac < 0) frac = 0;
    this.writeRecord(bytes, offset, length, sec, frac);
  }

  /** Appends one frame with its timestamp as seconds and micro- (or nano-) seconds. */
  writeRecord(bytes: Uint8Array, offset: number, length: number, sec: number, frac: number): void {
    const incl = Math.min(length, this.snaplen);
    const v = this.hdrView;
    v.setUint32(0, sec >>> 0, true);
    v.setUint32(4, frac >>> 0, true);
    v.setUint32(8, incl, true);
    v.setUint32(12, length, true);
    this.sink.write(this.hdr, 0, PCAP_RECORD_HEADER_LEN);
    this.sink.write(bytes, offset, incl);
    this.frames++;
    this.bytesWritten += PCAP_RECORD_HEADER_LEN + incl;
  }

  /** {@link CaptureSink}: records the frame (pcap has no direction field). */
  capture(
    bytes: Uint8Array,
    offset: number,
    length: number,
    timeNs: number,
    _direction: CaptureDirection,
  ): void {
    this.writeFrame(bytes, offset, length, timeNs);
  }

  /** {@link WireTap}: records the frame crossing a wire (both directions into one file). */
  wireFrame(
    _direction: WireDirectionId,
    bytes: Uint8Array,
    offset: number,
    length: number,
    timeNs: number,
  ): void {
    this.writeFrame(bytes, offset, length, timeNs);
  }
}

/** A {@link ByteSink} that keeps everything in memory (growing by doubling). */
export class MemoryByteSink implements ByteSink {
  private buf: Uint8Array;
  private len = 0;

  constructor(initialCapacity = 64 * 1024) {
    this.buf = new Uint8Array(Math.max(64, initialCapacity));
  }

  write(bytes: Uint8Array, offset: number, length: number): void {
    const need = this.len + length;
    if (need > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < need) cap *= 2;
      const n = new Uint8Array(cap);
      n.set(this.buf.subarray(0, this.len));
      this.buf = n;
    }
    const b = this.buf;
    const at = this.len;
    for (let i = 0; i < length; i++) b[at + i] = bytes[offset + i]!;
    this.len = need;
  }

  /** Bytes written so far. */
  get length(): number {
    return this.len;
  }

  /** A view of the bytes written so far. */
  bytes(): Uint8Array {
    return this.buf.subarray(0, this.len);
  }
}

/** A capture file that does not parse. */
export class PcapFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "PcapFormatError";
  }
}

/** What a capture file's header says. */
export interface PcapHeader {
  /** Whether the file's fields are little-endian. */
  littleEndian: boolean;
  /** Whether timestamps are in nanoseconds (else microseconds). */
  nanosecond: boolean;
  versionMajor: number;
  versionMinor: number;
  /** Time zone offset field (always 0 in practice). */
  thiszone: number;
  snaplen: number;
  linktype: number;
}

/** One record of a capture. `offset` points into the reader's bytes: no copy. */
export interface PcapRecord {
  /** Timestamp, seconds. */
  tsSec: number;
  /** Timestamp, microseconds or nanoseconds (see {@link PcapHeader.nanosecond}). */
  tsFrac: number;
  /** Bytes recorded. */
  inclLen: number;
  /** Length of the frame on the wire. */
  origLen: number;
  /** Where the recorded bytes start in {@link PcapReader.bytes}. */
  offset: number;
}

/** Largest record accepted (libpcap's limit for any link type). */
const MAX_RECORD_LEN = 262144;

/**
 * Reads a libpcap capture held in memory: either byte order, microsecond (a1b2c3d4) or nanosecond
 * (a1b23c4d) timestamps. A malformed header or a record running past the end throws
 * {@link PcapFormatError}.
 */
export class PcapReader {
  /** The file header. */
  readonly header: PcapHeader;
  private readonly view: DataView;
  private pos = PCAP_FILE_HEADER_LEN;

  constructor(
    /** The whole file. */
    readonly bytes: Uint8Array,
  ) {
    if (bytes.length < PCAP_FILE_HEADER_LEN) {
      throw new PcapFormatError(`not a pcap file: ${bytes.length} bytes, the header alone has 24`);
    }
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const magicLe = this.view.getUint32(0, true);
    let le: boolean;
    let nano: boolean;
    if (magicLe === PCAP_MAGIC_MICROS || magicLe === PCAP_MAGIC_NANOS) {
      le = true;
      nano = magicLe === PCAP_MAGIC_NANOS;
    } else {
      const magicBe = this.view.getUint32(0, false);
      if (magicBe !== PCAP_MAGIC_MICROS && magicBe !== PCAP_MAGIC_NANOS) {
        throw new PcapFormatError(`not a pcap file: magic 0x${magicBe.toString(16).padStart(8, "0")}`);
      }
      le = false;
      nano = magicBe === PCAP_MAGIC_NANOS;
    }
    const v = this.view;
    this.header = {
      littleEndian: le,
      nanosecond: nano,
      versionMajor: v.getUint16(4, le),
      versionMinor: v.getUint16(6, le),
      thiszone: v.getInt32(8, le),
      snaplen: v.getUint32(16, le),
      linktype: v.getUint32(20, le),
    };
    if (this.header.versionMajor !== 2) {
      throw new PcapFormatError(
        `unsupported pcap version ${this.header.versionMajor}.${this.header.versionMinor}`,
      );
    }
  }

  /** Starts again from the first record. */
  rewind(): void {
    this.pos = PCAP_FILE_HEADER_LEN;
  }

  /**
   * Reads the next record into `into` (reused, so reading allocates nothing); returns false at the end of
   * the file.
   */
  next(into: PcapRecord): boolean {
    const p = this.pos;
    const total = this.bytes.length;
    if (p === total) return false;
    if (total - p < PCAP_RECORD_HEADER_LEN) {
      throw new PcapFormatError(`truncated record header at byte ${p}`);
    }
    const v = this.view;
    const le = this.header.littleEndian;
    const incl = v.getUint32(p + 8, le);
    if (incl > MAX_RECORD_LEN) throw new PcapFormatError(`record at byte ${p} claims ${incl} bytes`);
    if (total - p - PCAP_RECORD_HEADER_LEN < incl) {
      throw new PcapFormatError(`truncated record at byte ${p}: ${incl} bytes claimed`);
    }
    into.tsSec = v.getUint32(p, le);
    into.tsFrac = v.getUint32(p + 4, le);
    into.inclLen = incl;
    into.origLen = v.getUint32(p + 12, le);
    into.offset = p + PCAP_RECORD_HEADER_LEN;
    this.pos = p + PCAP_RECORD_HEADER_LEN + incl;
    return true;
  }

  /** Every remaining record, each a fresh object (convenient; use {@link PcapReader.next} on hot loops). */
  *records(): IterableIterator<PcapRecord> {
    for (;;) {
      const r: PcapRecord = { tsSec: 0, tsFrac: 0, inclLen: 0, origLen: 0, offset: 0 };
      if (!this.next(r)) return;
      yield r;
    }
  }

  /** A record's timestamp in nanoseconds (exact below 2^53 ns, about 104 days; rounded beyond). */
  timeNs(r: PcapRecord): number {
    return r.tsSec * 1e9 + (this.header.nanosecond ? r.tsFrac : r.tsFrac * 1e3);
  }

  /** The recorded bytes of a record (a view, no copy). */
  frame(r: PcapRecord): Uint8Array {
    return this.bytes.subarray(r.offset, r.offset + r.inclLen);
  }
}

/** What a replay did. */
export interface ReplayResult {
  /** Records read. */
  frames: number;
  /** Frames the sink accepted. */
  accepted: number;
  /** Frames the sink refused. */
  refused: number;
  /** Records cut short by the capture's snaplen (replayed as recorded). */
  truncated: number;
}

/**
 * Replays a capture into a {@link FrameSink} (a NIC model's port `rx`, a wire direction, a link), in file
 * order and as fast as the sink takes them. `limit` caps the number of frames.
 */
export function replayPcap(
  reader: PcapReader,
  sink: FrameSink,
  limit = Number.POSITIVE_INFINITY,
): ReplayResult {
  const rec: PcapRecord = { tsSec: 0, tsFrac: 0, inclLen: 0, origLen: 0, offset: 0 };
  const res: ReplayResult = { frames: 0, accepted: 0, refused: 0, truncated: 0 };
  while (res.frames < limit && reader.next(rec)) {
    res.frames++;
    if (rec.inclLen < rec.origLen) res.truncated++;
    if (sink.receiveFrame(reader.bytes, rec.offset, rec.inclLen)) res.accepted++;
    else res.refused++;
  }
  return res;
}

/** Encodes frames into a whole capture file in memory, timestamps `timeNs[i]` (default 1 µs apart). */
export function encodePcap(
  frames: readonly Uint8Array[],
  timeNs?: readonly number[],
  opts?: PcapWriterOptions,
): Uint8Array {
  const sink = new MemoryByteSink();
  const w = new PcapWriter(sink, opts);
  frames.forEach((f, i) => {
    w.writeFrame(f, 0, f.length, timeNs?.[i] ?? i * 1000);
  });
  return sink.bytes().slice();
}
