import { DevError, type DevResult } from "../../base/dev-error.js";
import { DeviceType } from "../../base/device-type.js";
import { log } from "../../base/log.js";
import type { Hal } from "../../hal/hal.js";
import type { MmioRegion } from "../../hal/mmio.js";
import { EthernetAddress } from "../../net/ethernet-address.js";
import type { NetBufPtr } from "../../net/net-buf-ptr.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import { DEFAULT_QUEUE_SIZE, emptyStats, IxgbeDevice, type IxgbeStats } from "./ixgbe-device.js";
import { MemPool } from "./mem-pool.js";

/** Packets taken from the device per receive when the buffer queue is empty (`RECV_BATCH_SIZE`). */
export const RECV_BATCH_SIZE = 64;
/** Entries of the NIC's memory pool (`MEM_POOL`). */
export const MEM_POOL = 4096;
/** Bytes per pool entry (`MEM_POOL_ENTRY_SIZE`). */
export const MEM_POOL_ENTRY_SIZE = 2048;

/** Options of {@link IxgbeNic.init}: the Rust const generics and a little more. */
export interface IxgbeNicOptions {
  /** Descriptors per queue, the Rust `QS` (default 1024). */
  queueSize?: number;
  /** Number of RX and of TX queues, the Rust `QN` (default 1). */
  queueCount?: number;
  /** Pool entries (default 4096). */
  poolEntries?: number;
  /** Pool entry size (default 2048). */
  poolEntrySize?: number;
  /**
   * Spread received flows over the `queueCount` RX queues with RSS and receive from all of them in turn
   * (default false: as the Rust wrapper, everything goes through queue 0).
   */
  rss?: boolean;
  /** How long bring-up waits for the link (default 10 s). */
  linkTimeoutNs?: number;
}

/**
 * The 82599 as axdriver's `IxgbeNic<H, QS, QN>`: an {@link IxgbeDevice} with one shared pool of 4096 x
 * 2048-byte buffers, receiving in batches of 64 into a buffer queue, transmitting on queue 0.
 * `receive` gives `Again` when nothing has arrived, `transmit` gives `Again` when the ring is full.
 *
 * Buffers handed out (`receive`, `allocTxBuffer`) are the pool's own handles: give them back with
 * `recycleRxBuffer` or `transmit`. Handing in a buffer the NIC does not hold for you is an error
 * (`InvalidParam` for another pool's, `BadState` for one recycled twice or already sent).
 */
export class IxgbeNic implements NetDriverOps {
  /** The driver underneath (its queues, RSS, register access). */
  readonly device: IxgbeDevice;
  /** The NIC's pool. */
  readonly pool: MemPool;
  private readonly rxBuffer: NetBufPtr[];
  private rxHead = 0;
  private rxCount = 0;
  private readonly rxQueues: number;
  private rxCursor = 0;
  private readonly totals: IxgbeStats = emptyStats();

  private constructor(device: IxgbeDevice, pool: MemPool, rxQueues: number) {
    this.device = device;
    this.pool = pool;
    this.rxQueues = rxQueues;
    this.rxBuffer = new Array<NetBufPtr>(RECV_BATCH_SIZE);
  }

  /**
   * Brings up the 82599 whose BAR0 is `regs` (`IxgbeNic::init`): allocates the pool, then
   * {@link IxgbeDevice.init} with `queueCount` RX and TX queues of `queueSize` descriptors.
   */
  static init(hal: Hal, regs: MmioRegion, options: IxgbeNicOptions = {}): DevResult<IxgbeNic> {
    const qn = options.queueCount ?? 1;
    const pool = MemPool.allocate(
      hal,
      options.poolEntries ?? MEM_POOL,
      options.poolEntrySize ?? MEM_POOL_ENTRY_SIZE,
    );
    if (pool instanceof DevError) return pool;
    const dev = IxgbeDevice.init(hal, regs, pool, {
      numRxQueues: qn,
      numTxQueues: qn,
      queueSize: options.queueSize ?? DEFAULT_QUEUE_SIZE,
      ...(options.linkTimeoutNs !== undefined ? { linkTimeoutNs: options.linkTimeoutNs } : {}),
    });
    if (dev instanceof DevError) {
      log.error("ixgbe", `failed to initialize ixgbe device: ${dev.message}`);
      pool.destroy();
      return dev;
    }
    let rxQueues = 1;
    if (options.rss === true && qn > 1) {
      const r = dev.enableRss(Math.min(qn, 16));
      if (r instanceof DevError) return r;
      rxQueues = Math.min(qn, 16);
    }
    return new IxgbeNic(dev, pool, rxQueues);
  }

  deviceName(): string {
    return this.device.driverName();
  }

  deviceType(): DeviceType {
    return DeviceType.Net;
  }

  macAddress(): EthernetAddress {
    return new EthernetAddress(this.device.macAddr());
  }

  rxQueueSize(): number {
    return this.device.queueSize;
  }

  txQueueSize(): number {
    return this.device.queueSize;
  }

  canReceive(): boolean {
    if (this.rxCount > 0) return true;
    for (let i = 0; i < this.rxQueues; i++) if (this.device.canReceive(i)) return true;
    return false;
  }

  canTransmit(): boolean {
    return this.device.canSend(0);
  }

  recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void> {
    return this.pool.freePacket(rxBuf);
  }

  recycleTxBuffers(): DevResult<void> {
    return this.device.recycleTxBuffers(0);
  }

  transmit(txBuf: NetBufPtr): DevResult<void> {
    const r = this.device.send(0, txBuf);
    return r === DevError.ResourceBusy ? DevError.Again : r;
  }

  receive(): DevResult<NetBufPtr> {
    if (this.rxCount === 0) {
      const n = this.fill(this.rxBuffer, 0, RECV_BATCH_SIZE);
      if (n instanceof DevError) return n;
      if (n === 0) return DevError.Again;
      this.rxHead = 0;
      this.rxCount = n;
    }
    const p = this.rxBuffer[this.rxHead]!;
    this.rxHead++;
    this.rxCount--;
    return p;
  }

  /** Up to `max` packets from the device's RX queue(s), round-robin over them when RSS is on. */
  private fill(out: NetBufPtr[], start: number, max: number): DevResult<number> {
    if (this.rxQueues === 1) return this.device.receivePackets(0, out, start, max);
    let n = 0;
    for (let k = 0; k < this.rxQueues && n < max; k++) {
      const q = this.rxCursor;
      this.rxCursor = q + 1 === this.rxQueues ? 0 : q + 1;
      const got = this.device.receivePackets(q, out, start + n, max - n);
      if (got instanceof DevError) return got;
      n += got;
    }
    return n;
  }

  allocTxBuffer(size: number): DevResult<NetBufPtr> {
    return this.pool.allocPacket(size);
  }

  receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    let n = 0;
    // what an earlier receive() took from the device comes first
    while (this.rxCount > 0 && n < max) {
      out[n++] = this.rxBuffer[this.rxHead++]!;
      this.rxCount--;
    }
    if (n === max) return n;
    const got = this.fill(out, n, max - n);
    if (got instanceof DevError) return n > 0 ? n : got;
    return n + got;
  }

  transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    return this.device.sendPackets(0, bufs, 0, count);
  }

  /**
   * Statistics since bring-up: the device's clear-on-read counters are read and added to the running
   * totals, which are returned (a copy).
   */
  readStats(): IxgbeStats {
    this.device.readStats(this.totals);
    return { ...this.totals };
  }

  /** Link speed in Mbit/s (0: down). */
  linkSpeed(): number {
    return this.device.linkSpeed();
  }
}
