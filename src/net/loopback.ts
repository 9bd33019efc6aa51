import { DevError, type DevResult } from "../base/dev-error.js";
import { DeviceType } from "../base/device-type.js";
import type { Hal } from "../hal/hal.js";
import { EthernetAddress } from "./ethernet-address.js";
import { BufState, NetBuf, NetBufPool } from "./net-buf.js";
import type { NetBufPtr } from "./net-buf-ptr.js";
import type { NetDriverOps } from "./net-driver-ops.js";

/**
 * A software NIC whose transmitted frames come back on its receive side (smoltcp's `Loopback`), with
 * zero copy: the transmitted buffer itself is what `receive()` hands out. Useful to test code written
 * against {@link NetDriverOps} without a device.
 */
export class LoopbackNic implements NetDriverOps {
  private readonly pool: NetBufPool;
  private readonly queue: Int32Array;
  private head = 0;
  private count = 0;
  private readonly mac: EthernetAddress;
  private readonly qs: number;

  private constructor(pool: NetBufPool, qs: number, mac: EthernetAddress) {
    this.pool = pool;
    this.qs = qs;
    this.queue = new Int32Array(qs);
    this.mac = mac;
  }

  /** A loopback NIC with a `queueSize`-deep queue and a pool of `2 * queueSize` buffers. */
  static create(
    hal: Hal,
    queueSize = 256,
    mac = new EthernetAddress([2, 0, 0, 0, 0, 1]),
  ): DevResult<LoopbackNic> {
    if (!Number.isInteger(queueSize) || queueSize <= 0)
      return DevError.withDetail("InvalidParam", `queue size ${queueSize}`);
    const pool = NetBufPool.create(hal, queueSize * 2, 1526);
    if (pool instanceof DevError) return pool;
    return new LoopbackNic(pool, queueSize, mac);
  }

  deviceName(): string {
    return "loopback";
  }
  deviceType(): DeviceType {
    return DeviceType.Net;
  }
  macAddress(): EthernetAddress {
    return this.mac;
  }
  canTransmit(): boolean {
    return this.count < this.qs && this.pool.freeCount > 0;
  }
  canReceive(): boolean {
    return this.count > 0;
  }
  rxQueueSize(): number {
    return this.qs;
  }
  txQueueSize(): number {
    return this.qs;
  }

  private own(ptr: NetBufPtr, state: number): DevResult<NetBuf> {
    const buf = ptr.owner;
    if (!(buf instanceof NetBuf) || buf.pool !== this.pool) return DevError.InvalidParam;
    if (buf.state !== state) return DevError.BadState;
    const b = NetBuf.fromBufPtr(ptr);
    return b;
  }

  recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void> {
    const b = this.own(rxBuf, BufState.Held);
    if (b instanceof DevError) return b;
    return this.pool.release(b);
  }
  recycleTxBuffers(): DevResult<void> {
    return undefined;
  }
  transmit(txBuf: NetBufPtr): DevResult<void> {
    if (this.count === this.qs) return DevError.Again;
    const b = this.own(txBuf, BufState.Held);
    if (b instanceof DevError) return b;
    b.state = BufState.Device;
    this.queue[(this.head + this.count) % this.qs] = b.index;
    this.count++;
    return undefined;
  }
  receive(): DevResult<NetBufPtr> {
    if (this.count === 0) return DevError.Again;
    const b = this.pool.get(this.queue[this.head]!)!;
    this.head = (this.head + 1) % this.qs;
    this.count--;
    b.state = BufState.Held;
    return b.intoBufPtr();
  }
  allocTxBuffer(size: number): DevResult<NetBufPtr> {
    if (!(size >= 0 && size <= this.pool.bufferLen)) return DevError.InvalidParam;
    const b = this.pool.alloc();
    if (b === undefined) return DevError.NoMemory;
    b.setPacketLen(size);
    return b.intoBufPtr();
  }
  receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    let n = 0;
    while (n < max && this.count > 0) out[n++] = this.receive() as NetBufPtr;
    return n;
  }
  transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    let n = 0;
    while (n < count) {
      const r = this.transmit(bufs[n]!);
      if (r === DevError.Again) break;
      if (r instanceof DevError) return n > 0 ? n : r;
      n++;
    }
    return n;
  }
}
