/**
 * A raw buffer handle, as `axdriver_net::NetBufPtr`: the owner (the seed's `raw_ptr`), where the packet
 * lies in DMA memory (the seed's `buf_ptr`, here an offset into {@link NetBufPtr.bytes}) and its length.
 *
 * Drivers make one handle per buffer when they create their pools and reuse it, so passing buffers
 * around allocates nothing. Hot paths read and write `bytes[offset + i]` directly; {@link NetBufPtr.packet}
 * makes a view (an allocation) for convenience.
 */
export class NetBufPtr {
  /** The object that owns the buffer (a `NetBuf`, an ixgbe packet, an FXMAC ring slot...). */
  owner: unknown;
  /** The memory the packet lies in (the whole DMA memory). */
  readonly bytes: Uint8Array;
  /** Offset of the first packet byte in {@link NetBufPtr.bytes}. */
  offset: number;
  /** Packet length in bytes. */
  len: number;

  constructor(owner: unknown, bytes: Uint8Array, offset: number, len: number) {
    this.owner = owner;
    this.bytes = bytes;
    this.offset = offset;
    this.len = len;
  }

  /** The owner, as the seed's `raw_ptr()`. */
  rawPtr(): unknown {
    return this.owner;
  }
  /** Packet length. */
  packetLen(): number {
    return this.len;
  }
  /** A view of the packet bytes. */
  packet(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + this.len);
  }
  /** A writable view of the packet bytes (the same view: typed arrays are always writable). */
  packetMut(): Uint8Array {
    return this.bytes.subarray(this.offset, this.offset + this.len);
  }
}
