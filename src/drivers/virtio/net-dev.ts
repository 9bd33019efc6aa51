import { DevError, type DevResult } from "../../base/dev-error.js";
import { DeviceType } from "../../base/device-type.js";
import type { BaseDriverOps } from "../../base/driver-ops.js";
import { log } from "../../base/log.js";
import type { Hal } from "../../hal/hal.js";
import {
  featureBit,
  featureNames,
  featureSet,
  featuresAnd,
  featuresWithout,
  hasFeature,
  NetFeature,
  VirtioFeature,
} from "../../hw/virtio/features.js";
import {
  ETH_HEADER_LEN,
  NET_MAX_FRAME,
  NET_MIN_MTU,
  NET_RX_BUFFER_LEN,
  NetConfig,
  NetHdr,
  NetQueue,
  NetStatus,
} from "../../hw/virtio/net.js";
import { DescFlag, Used } from "../../hw/virtio/ring.js";
import { DeviceStatus, VirtioDeviceId } from "../../hw/virtio/status.js";
import { EthernetAddress } from "../../net/ethernet-address.js";
import { BufState, NetBuf, NetBufPool } from "../../net/net-buf.js";
import type { NetBufPtr } from "../../net/net-buf-ptr.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import type { VirtioTransport } from "./transport.js";
import { POP_BAD, POP_CORRUPT, VirtQueue } from "./virtqueue.js";

/** Size of each pool buffer, as axdriver_virtio's NET_BUF_LEN: 12-byte header + 1514-byte frame. */
export const NET_BUF_LEN = NET_RX_BUFFER_LEN;
/**
 * Distance between pool buffers: NET_BUF_LEN rounded up to 64 bytes. Every buffer then starts on a cache
 * line, so a frame's source and destination in a device-to-device copy have the same alignment and the
 * copy moves whole words (with 1526-byte strides three buffers in four are misaligned against each other
 * and shared-memory copies fall back to bytes). The device is given NET_BUF_LEN bytes of each.
 */
export const NET_BUF_STRIDE = 1536;
/** 1 / NET_BUF_STRIDE: buffer ids from offsets by a multiply (exact after rounding; checked). */
const INV_STRIDE = 1 / NET_BUF_STRIDE;
/** Queue size used when none is given (ArceOS instantiates `VirtIoNetDev<_, _, 64>`). */
export const DEFAULT_QUEUE_SIZE = 64;

/**
 * Features the driver accepts by default: virtio-drivers' net set (MAC, STATUS, RING_EVENT_IDX,
 * RING_INDIRECT_DESC, VERSION_1, ACCESS_PLATFORM) plus MRG_RXBUF and MTU, so frames up to the negotiated
 * MTU arrive whole. No checksum offload: frames go out fully checksummed.
 */
export const DRIVER_FEATURES: number = featureSet(
  NetFeature.MAC,
  NetFeature.STATUS,
  NetFeature.MRG_RXBUF,
  NetFeature.MTU,
  VirtioFeature.RING_EVENT_IDX,
  VirtioFeature.RING_INDIRECT_DESC,
  VirtioFeature.VERSION_1,
  VirtioFeature.ACCESS_PLATFORM,
);

/** Options of {@link VirtIoNetDev.create}. */
export interface VirtIoNetDevOptions {
  /** QS, the number of buffers per direction (a power of two; the Rust generic `QS`). Default 64. */
  queueSize?: number;
  /** Features the driver is willing to accept (default {@link DRIVER_FEATURES}). */
  features?: number;
  /** Interrupt number, reported by {@link VirtIoNetDev.irqNumber}. */
  irq?: number;
}

/** Counters of a {@link VirtIoNetDev}. */
export interface VirtIoNetStats {
  /** Used entries rejected: id out of range or not in flight, used index jumps. */
  badUsedEntries: number;
  /** Receive entries whose length was below the header or beyond the buffer. */
  badLengths: number;
  /** Frames spread over several buffers (MRG_RXBUF) that were gathered. */
  mergedFrames: number;
  /** Frames dropped by the driver (no gathering buffer free). */
  rxDropped: number;
}

// where a buffer is (one byte per buffer)
const LOC_USER = 1;
const LOC_TX_FREE = 2;
const LOC_RX_RING = 3;
const LOC_TX_RING = 4;
const LOC_POOL = 5;

// errors built once: the data path allocates nothing, not even on misuse
const ERR_FOREIGN = DevError.withDetail("InvalidParam", "buffer does not belong to this device");
const ERR_RX_POSTED = DevError.withDetail(
  "BadState",
  "buffer is already posted for receive (recycled twice?)",
);
const ERR_IN_TX_RING = DevError.withDetail("BadState", "buffer is already in the transmit ring");
const ERR_NOT_HELD = DevError.withDetail("BadState", "buffer is not held by the caller");
const ERR_HDR_LEN = DevError.withDetail("InvalidParam", "buffer header length was changed");
const ERR_TOO_BIG = DevError.withDetail("InvalidParam", "packet larger than the buffer or the MTU");
const ERR_USED_ID = DevError.withDetail(
  "BadState",
  "device returned a used id out of range or not in flight",
);
const ERR_USED_IDX = DevError.withDetail("BadState", "device moved the used index beyond the queue size");
const ERR_USED_LEN = DevError.withDetail("BadState", "device returned a used length beyond the buffer");
const ERR_MERGE = DevError.withDetail("BadState", "device returned a bad merged-buffer count");
const ERR_NOT_HANDLE = DevError.withDetail("InvalidParam", "not the buffer's own NetBufPtr");

/**
 * The virtio-net driver, as axdriver_virtio's `VirtIoNetDev<H, T, QS>` over virtio-drivers'
 * `VirtIONetRaw`: a pool of 2*QS buffers of 1526 bytes, every receive buffer posted at init, transmit
 * buffers with the virtio-net header prefilled, zero copy (the buffer's DMA address goes in the
 * descriptor), `recycleTxBuffers` polling the used ring and `receive` giving `Again` when nothing arrived.
 *
 * Buffers belong to the driver's pool and are in exactly one place at a time: the transmit free list, a
 * ring, or the caller. Misuse (recycling twice, a foreign buffer, transmitting a buffer already in the
 * ring) is a `DevError` and changes nothing. The device is not trusted: a used id out of range or not in
 * flight, a used index running ahead, a length beyond the buffer are `BadState`, and the driver stays
 * consistent (a buffer with a bad length is re-posted, a bogus entry skipped).
 *
 * With MRG_RXBUF and MTU negotiated and an MTU above 1500, frames that the device spreads over several
 * buffers are gathered (one copy) into a buffer of a second, larger pool; single-buffer frames stay zero
 * copy. Such large buffers can also be had from {@link VirtIoNetDev.allocTxBuffer} for frames up to the MTU.
 */
export class VirtIoNetDev implements NetDriverOps, BaseDriverOps {
  /** Counters. */
  readonly stats: VirtIoNetStats = { badUsedEntries: 0, badLengths: 0, mergedFrames: 0, rxDropped: 0 };
  /** The transport. */
  readonly transport: VirtioTransport;
  /** The negotiated feature set. */
  readonly features: number;
  /** QS. */
  readonly queueSize: number;
  /** Header length in front of every frame (12, or 10 for legacy without MRG_RXBUF). */
  readonly headerLen: number;
  /** Largest frame (without FCS): 1514, or mtu + 14 with MTU negotiated. */
  readonly maxFrameLen: number;
  /** The MTU (1500 unless negotiated). */
  readonly mtu: number;
  private readonly mac: EthernetAddress;
  private readonly irq: number | undefined;
  private readonly rxq: VirtQueue;
  private readonly txq: VirtQueue;
  private readonly pool: NetBufPool;
  private readonly bigPool: NetBufPool | undefined;
  private readonly u8: Uint8Array;
  /** All buffers by id (pool index, then big-pool index + 2*QS). */
  private readonly bufs: NetBuf[];
  private readonly loc: Uint8Array;
  /** 1 while a buffer's header bytes are the zero transmit header. */
  private readonly hdrClean: Uint8Array;
  /** Buffer id posted at each descriptor head (-1: none): the ring-to-buffer map, no objects touched. */
  private readonly rxIds: Int32Array;
  private readonly txIds: Int32Array;
  private readonly txFree: Int32Array;
  private txFreeTop = 0;
  /** Per buffer id: its own NetBufPtr handle, physical address halves, offset in memory, capacity. */
  private readonly ptrs: NetBufPtr[];
  /** Physical address halves of each buffer, low at 2*id and high at 2*id + 1 (one table, one line). */
  private readonly phys: Uint32Array;
  private readonly bufOff: Float64Array;
  private readonly capOf: Uint32Array;
  /** Length (header + packet) each buffer in the transmit ring was posted with. */
  private readonly txLen: Uint32Array;
  /** Receive scratch for {@link VirtIoNetDev.receive}. */
  private readonly one: NetBufPtr[] = new Array<NetBufPtr>(1);
  private readonly poolCap: number;
  /** Offset of pool buffer 0's packet (region start + header length). */
  private readonly packetBase: number;
  private rxPosted = 0;
  private readonly mrg: boolean;
  private readonly hasStatus: boolean;
  private pendingError: DevError | undefined;
  private shut = false;

  private constructor(
    transport: VirtioTransport,
    hal: Hal,
    qs: number,
    features: number,
    mac: EthernetAddress,
    mtu: number,
    rxq: VirtQueue,
    txq: VirtQueue,
    pool: NetBufPool,
    bigPool: NetBufPool | undefined,
    irq: number | undefined,
  ) {
    this.transport = transport;
    this.queueSize = qs;
    this.features = features;
    this.mac = mac;
    this.mtu = mtu;
    this.rxq = rxq;
    this.txq = txq;
    this.pool = pool;
    this.bigPool = bigPool;
    this.irq = irq;
    this.u8 = hal.memory.u8;
    this.mrg = hasFeature(features, NetFeature.MRG_RXBUF);
    this.hasStatus = hasFeature(features, NetFeature.STATUS);
    this.headerLen =
      hasFeature(features, VirtioFeature.VERSION_1) || this.mrg ? NetHdr.SIZE : NetHdr.LEGACY_SIZE;
    this.maxFrameLen = hasFeature(features, NetFeature.MTU) ? mtu + ETH_HEADER_LEN : NET_MAX_FRAME;
    const total = pool.capacity + (bigPool?.capacity ?? 0);
    this.bufs = new Array<NetBuf>(total);
    this.loc = new Uint8Array(total);
    this.hdrClean = new Uint8Array(total);
    this.txFree = new Int32Array(pool.capacity);
    this.poolCap = pool.capacity;
    this.packetBase = pool.region.offset + this.headerLen;
    this.ptrs = new Array<NetBufPtr>(total);
    this.phys = new Uint32Array(2 * total);
    this.bufOff = new Float64Array(total);
    this.capOf = new Uint32Array(total);
    this.txLen = new Uint32Array(total);
    this.rxIds = new Int32Array(rxq.size).fill(-1);
    this.txIds = new Int32Array(txq.size).fill(-1);
  }

  /**
   * Initialises the device (virtio 1.2 §3.1.1, in virtio-drivers' order: reset, ACKNOWLEDGE|DRIVER,
   * features, FEATURES_OK and its check, config, transmit then receive queue, DRIVER_OK), then fills
   * every receive buffer and prepares the transmit buffers, as `VirtIoNetDev::try_new`.
   */
  static create(
    transport: VirtioTransport,
    hal: Hal,
    options: VirtIoNetDevOptions = {},
  ): DevResult<VirtIoNetDev> {
    const qs = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (!Number.isInteger(qs) || qs < 1 || qs > 32768 || (qs & (qs - 1)) !== 0) {
      return DevError.withDetail("InvalidParam", `queue size ${qs} is not a power of two in 1..32768`);
    }
    if (transport.deviceId() !== VirtioDeviceId.NETWORK) {
      return DevError.withDetail(
        "InvalidParam",
        `virtio device ${transport.deviceId()} is not a network device`,
      );
    }
    const legacy = transport.isLegacy();
    const t = transport;
    // 1. reset; a PCI device may take a moment to read back 0 (virtio 1.2 §4.1.4.3.2)
    t.setStatus(0);
    const settled = hal.waitUntil(() => t.getStatus() === 0, 1_000_000_000, "virtio device reset");
    if (settled instanceof DevError) return settled;
    // 2, 3. ACKNOWLEDGE | DRIVER
    t.setStatus(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER);
    // 4. features
    const offered = t.readDeviceFeatures();
    let features = featuresAnd(offered, options.features ?? DRIVER_FEATURES);
    if (!legacy && !hasFeature(offered, VirtioFeature.VERSION_1)) {
      t.setStatus(DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FAILED);
      return DevError.withDetail("Unsupported", "modern transport but the device does not offer VERSION_1");
    }
    const hdrLen =
      hasFeature(features, VirtioFeature.VERSION_1) || hasFeature(features, NetFeature.MRG_RXBUF)
        ? NetHdr.SIZE
        : NetHdr.LEGACY_SIZE;
    let mtu = 1500;
    if (hasFeature(features, NetFeature.MTU)) {
      // the config may be read before FEATURES_OK (virtio 1.2 §3.1.1 step 4)
      const m = t.readConfig16(NetConfig.MTU);
      const fits = m + ETH_HEADER_LEN + hdrLen <= NET_BUF_LEN || hasFeature(features, NetFeature.MRG_RXBUF);
      if (m < NET_MIN_MTU || !fits) features = featuresWithout(features, featureBit(NetFeature.MTU));
      else mtu = m;
    }
    t.writeDriverFeatures(features);
    let status = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER;
    if (!legacy) {
      // 5, 6. FEATURES_OK, and check the device kept it
      status |= DeviceStatus.FEATURES_OK;
      t.setStatus(status);
      if ((t.getStatus() & DeviceStatus.FEATURES_OK) === 0) {
        t.setStatus(status | DeviceStatus.FAILED);
        return DevError.withDetail("Unsupported", `device refused features ${featureNames(features)}`);
      }
    }
    // virtio-drivers writes GuestPageSize on legacy MMIO
    t.setGuestPageSize(4096);
    log.debug("virtio-net", `negotiated ${featureNames(features)}`);
    // 7. config: mac, bracketed by config_generation (virtio 1.2 §2.5.1)
    const macBytes = new Uint8Array(6);
    for (let tries = 0; ; tries++) {
      const g1 = t.configGeneration();
      for (let i = 0; i < 6; i++) macBytes[i] = t.readConfig8(NetConfig.MAC + i);
      if (t.configGeneration() === g1) break;
      if (tries >= 16) {
        t.setStatus(status | DeviceStatus.FAILED);
        return DevError.withDetail("BadState", "config_generation never settles");
      }
    }
    // queues: transmit first, then receive (virtio-drivers' order)
    const eventIdx = hasFeature(features, VirtioFeature.RING_EVENT_IDX);
    const indirect = hasFeature(features, VirtioFeature.RING_INDIRECT_DESC);
    const qopts = { legacy, eventIdx, indirect };
    const ringSize = (q: number): number => (t.fixedQueueSize() ? t.maxQueueSize(q) : qs);
    const txSize = ringSize(NetQueue.TX);
    const rxSize = ringSize(NetQueue.RX);
    if (txSize < qs || rxSize < qs) {
      t.setStatus(status | DeviceStatus.FAILED);
      return DevError.withDetail(
        "InvalidParam",
        `device queues (${rxSize}/${txSize}) are smaller than QS ${qs}`,
      );
    }
    const txq = VirtQueue.create(hal, t, NetQueue.TX, txSize, qopts);
    if (txq instanceof DevError) {
      t.setStatus(status | DeviceStatus.FAILED);
      return txq;
    }
    const rxq = VirtQueue.create(hal, t, NetQueue.RX, rxSize, qopts);
    if (rxq instanceof DevError) {
      t.setStatus(0);
      txq.free();
      return rxq;
    }
    const fail = (e: DevError, pools: NetBufPool[] = []): DevError => {
      t.setStatus(0);
      for (const p of pools) p.destroy();
      txq.free();
      rxq.free();
      return e;
    };
    // buffers: 2*QS of 1526 bytes, and a gathering pool when frames can exceed one buffer
    const pool = NetBufPool.create(hal, 2 * qs, NET_BUF_STRIDE);
    if (pool instanceof DevError) return fail(pool);
    const maxFrame = hasFeature(features, NetFeature.MTU) ? mtu + ETH_HEADER_LEN : NET_MAX_FRAME;
    let bigPool: NetBufPool | undefined;
    if (maxFrame + hdrLen > NET_BUF_LEN) {
      const bigLen = maxFrame + hdrLen;
      const big = NetBufPool.create(
        hal,
        Math.min(qs, 32),
        bigLen <= 65472 ? Math.ceil(bigLen / 64) * 64 : 65535,
      );
      if (big instanceof DevError) return fail(big, [pool]);
      bigPool = big;
    }
    // 8. DRIVER_OK
    status |= DeviceStatus.DRIVER_OK;
    t.setStatus(status);
    const dev = new VirtIoNetDev(
      t,
      hal,
      qs,
      features,
      new EthernetAddress(macBytes),
      mtu,
      rxq,
      txq,
      pool,
      bigPool,
      options.irq,
    );
    const r = dev.fillBuffers();
    if (r instanceof DevError) {
      dev.shutdown();
      return r;
    }
    log.info(
      "virtio-net",
      `${t.kind}: mac ${dev.mac}, QS ${qs}, rings ${rxSize}/${txSize}, header ${dev.headerLen}, mtu ${mtu}`,
    );
    return dev;
  }

  /** Takes every pool buffer: QS posted for receive (token i = head i), QS on the transmit free list. */
  private fillBuffers(): DevResult<void> {
    const qs = this.queueSize;
    const hdr = this.headerLen;
    for (let i = 0; i < this.pool.capacity; i++) {
      const b = this.pool.alloc();
      if (b === undefined) return DevError.NoMemory;
      this.bufs[b.index] = b;
      b.setHeaderLen(hdr);
    }
    if (this.bigPool !== undefined) {
      for (let i = 0; i < this.bigPool.capacity; i++) {
        const b = this.bigPool.get(i)!;
        this.bufs[this.pool.capacity + i] = b;
        this.loc[this.pool.capacity + i] = LOC_POOL;
      }
    }
    for (let id = 0; id < this.bufs.length; id++) {
      const b = this.bufs[id]!;
      this.ptrs[id] = b.intoBufPtr(); // each buffer's one handle, made by the pool
      this.phys[2 * id] = b.physAddr >>> 0;
      this.phys[2 * id + 1] = Math.floor(b.physAddr / 0x1_0000_0000);
      this.bufOff[id] = b.bufOffset;
      this.capOf[id] = b.capacity;
    }
    for (let i = 0; i < qs; i++) {
      const b = this.bufs[i]!;
      const head = this.rxq.addBuffer(b.physAddr, NET_BUF_LEN, true);
      if (head !== i) return DevError.withDetail("BadState", `receive token ${head} for buffer ${i}`);
      this.rxIds[head] = i;
      this.loc[i] = LOC_RX_RING;
    }
    this.rxPosted = qs;
    this.rxq.publish();
    if (this.rxq.shouldNotify()) this.transport.notify(NetQueue.RX);
    const u8 = this.u8;
    for (let i = qs; i < 2 * qs; i++) {
      const b = this.bufs[i]!;
      // the zero header: no checksum offload, gso NONE, num_buffers 0 (virtio 1.2 §5.1.6.2.1)
      u8.fill(0, b.bufOffset, b.bufOffset + hdr);
      this.hdrClean[i] = 1;
      this.loc[i] = LOC_TX_FREE;
      this.txFree[this.txFreeTop++] = i;
    }
    return undefined;
  }

  // ---------------------------------------------------------------- BaseDriverOps

  deviceName(): string {
    return "virtio-net";
  }
  deviceType(): DeviceType {
    return DeviceType.Net;
  }
  /** The interrupt number given at creation, if any. */
  irqNumber(): number | undefined {
    return this.irq;
  }

  // ---------------------------------------------------------------- NetDriverOps

  macAddress(): EthernetAddress {
    return this.mac;
  }
  canTransmit(): boolean {
    return this.txFreeTop > 0 && this.txq.numFree > 0;
  }
  canReceive(): boolean {
    return this.pendingError !== undefined || this.rxq.hasUsed();
  }
  rxQueueSize(): number {
    return this.queueSize;
  }
  txQueueSize(): number {
    return this.queueSize;
  }

  /** The link state from the config `status` field (virtio 1.2 §5.1.4); up when STATUS is not negotiated. */
  linkUp(): boolean {
    if (!this.hasStatus) return true;
    return (this.transport.readConfig16(NetConfig.STATUS) & NetStatus.LINK_UP) !== 0;
  }

  /** Reads and acknowledges the device's interrupt status (bit 0 queue, bit 1 config). */
  ackInterrupt(): number {
    return this.transport.ackInterrupt();
  }

  /** Asks the device for used-buffer notifications on both queues or not (default: not, polling). */
  setInterrupts(on: boolean): void {
    this.rxq.setInterrupts(on);
    this.txq.setInterrupts(on);
  }

  /** Buffers the driver itself holds or has posted, by place (for consistency checks). */
  bufferCensus(): { user: number; txFree: number; rxRing: number; txRing: number; pool: number } {
    const c = { user: 0, txFree: 0, rxRing: 0, txRing: 0, pool: 0 };
    for (const l of this.loc) {
      if (l === LOC_USER) c.user++;
      else if (l === LOC_TX_FREE) c.txFree++;
      else if (l === LOC_RX_RING) c.rxRing++;
      else if (l === LOC_TX_RING) c.txRing++;
      else if (l === LOC_POOL) c.pool++;
    }
    return c;
  }

  private idOf(buf: NetBuf): number {
    if (buf.pool === this.pool) return buf.index;
    if (this.bigPool !== undefined && buf.pool === this.bigPool) return this.poolCap + buf.index;
    return -1;
  }

  /** The error for giving the driver a buffer it does not expect in place `loc`. */
  private misuse(loc: number): DevError {
    if (loc === LOC_RX_RING) return ERR_RX_POSTED;
    if (loc === LOC_TX_RING) return ERR_IN_TX_RING;
    return ERR_NOT_HELD;
  }

  /**
   * The id of a buffer the caller hands back, or -1 with {@link VirtIoNetDev.lastMisuse} set: not one of
   * ours, not held by the caller, or not the buffer's own handle.
   */
  private heldId(p: NetBufPtr): number {
    // fast path: a pool buffer's own handle at its usual offset (the identity check proves it is ours)
    const rel = p.offset - this.packetBase;
    const fast = (rel * INV_STRIDE + 0.5) | 0;
    if (
      rel >= 0 &&
      fast < this.poolCap &&
      this.ptrs[fast] === p &&
      this.loc[fast] === LOC_USER &&
      fast * NET_BUF_STRIDE === rel
    ) {
      return fast;
    }
    const buf = p.owner;
    if (!(buf instanceof NetBuf)) {
      this.lastMisuse = ERR_FOREIGN;
      return -1;
    }
    const id = buf.pool === this.pool ? buf.index : this.idOf(buf);
    if (id < 0) {
      this.lastMisuse = ERR_FOREIGN;
      return -1;
    }
    const l = this.loc[id]!;
    if (l !== LOC_USER) {
      this.lastMisuse = this.misuse(l);
      return -1;
    }
    if (this.ptrs[id] !== p) {
      this.lastMisuse = ERR_NOT_HANDLE;
      return -1;
    }
    return id;
  }
  private lastMisuse: DevError = ERR_FOREIGN;

  recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void> {
    // fast path (as heldId): a pool buffer's own handle at its usual offset, held by the caller
    const rel = rxBuf.offset - this.packetBase;
    let id = (rel * INV_STRIDE + 0.5) | 0;
    if (
      !(
        rel >= 0 &&
        id < this.poolCap &&
        this.ptrs[id] === rxBuf &&
        this.loc[id] === LOC_USER &&
        id * NET_BUF_STRIDE === rel
      )
    ) {
      id = this.heldId(rxBuf);
      if (id < 0) return this.lastMisuse;
    }
    if (id >= this.poolCap) {
      this.loc[id] = LOC_POOL;
      return this.bigPool!.release(this.bufs[id]!);
    }
    this.hdrClean[id] = 0;
    this.repost(id);
    return undefined;
  }

  /**
   * Puts pool buffer `id` back to work: into the receive ring while it holds fewer than QS buffers (made
   * available and published at once, with a notification if the device asks for one), else on the
   * transmit free list. The descriptor is written inline (what VirtQueue.addBuffer does). While the driver
   * runs, its buffers stay `Held` in the pool's eyes; where each one is, is tracked here in `loc`.
   */
  private repost(id: number): void {
    const q = this.rxq;
    if (this.rxPosted < this.queueSize && q.numFreeDesc > 0) {
      const u16 = q.u16;
      const u32 = q.u32;
      const head = q.freeHead;
      q.freeHead = q.freeNext[head]!;
      q.numFreeDesc--;
      const w = q.descW + 4 * head;
      const phys = this.phys;
      u32[w] = phys[2 * id]!;
      u32[w + 1] = phys[2 * id + 1]!;
      u32[w + 2] = NET_BUF_LEN;
      u16[(w + 3) * 2] = DescFlag.WRITE;
      q.chain[head] = 1;
      const ai = q.availIdx;
      u16[q.availRingH + (ai & q.mask)] = head;
      const ni = (ai + 1) & 0xffff;
      q.availIdx = ni;
      u16[q.availIdxH] = ni; // publish (virtio 1.2 §2.7.13.3)
      this.rxIds[head] = id;
      this.loc[id] = LOC_RX_RING;
      this.hdrClean[id] = 0; // the device writes its header there
      this.rxPosted++;
      // notify only if the device asks (virtio 1.2 §2.7.10)
      const old = q.kickedIdx;
      q.kickedIdx = ni;
      if (
        q.eventIdx
          ? ((ni - u16[q.availEventH]! - 1) & 0xffff) < ((ni - old) & 0xffff)
          : (u16[q.usedFlagsH]! & Used.F_NO_NOTIFY) === 0
      ) {
        q.kicks++;
        this.transport.notify(NetQueue.RX);
      }
      return;
    }
    this.loc[id] = LOC_TX_FREE;
    this.txFree[this.txFreeTop++] = id;
  }

  recycleTxBuffers(): DevResult<void> {
    const q = this.txq;
    const u16 = q.u16;
    const u32 = q.u32;
    const usedIdx = u16[q.usedIdxH]!;
    let last = q.lastUsed;
    if (usedIdx === last) return undefined;
    if (((usedIdx - last) & 0xffff) > q.size) {
      q.badEntries++;
      this.stats.badUsedEntries++;
      return ERR_USED_IDX;
    }
    const mask = q.mask;
    const size = q.size;
    const ringW = q.usedRingW;
    const chain = q.chain;
    const freeNext = q.freeNext;
    const txIds = this.txIds;
    let err: DevError | undefined;
    while (last !== usedIdx) {
      const e = ringW + 2 * (last & mask);
      const head = u32[e]!;
      const len = u32[e + 1]!;
      last = (last + 1) & 0xffff;
      // an id out of range or not heading a chain in flight: skipped and reported (never trusted)
      const n = head < size ? chain[head]! : 0;
      if (n === 0) {
        q.badEntries++;
        this.stats.badUsedEntries++;
        err = ERR_USED_ID;
        continue;
      }
      if (n === 1) {
        chain[head] = 0;
        freeNext[head] = q.freeHead;
        q.freeHead = head;
        q.numFreeDesc++;
      } else q.releaseChain(head);
      const id = txIds[head]!;
      txIds[head] = -1;
      // nothing is written into a transmit chain (len 0); some devices report the chain length (virtio 1.2
      // §5.1.6.1), but more than what was posted cannot be right
      if (len > this.txLen[id]!) {
        this.stats.badLengths++;
        err = ERR_USED_LEN;
      }
      if (id >= this.poolCap) {
        this.bufs[id]!.state = BufState.Held;
        this.loc[id] = LOC_POOL;
        this.bigPool!.release(this.bufs[id]!);
      } else if (this.rxPosted < this.queueSize) {
        this.repost(id);
      } else {
        this.loc[id] = LOC_TX_FREE;
        this.txFree[this.txFreeTop++] = id;
      }
    }
    q.lastUsed = last;
    if (q.eventIdx) u16[q.usedEventH] = q.usedEventFor(last);
    return err;
  }

  transmit(txBuf: NetBufPtr): DevResult<void> {
    const r = this.queueTx(txBuf);
    if (r !== undefined) return r;
    this.kickTx();
    return undefined;
  }

  /** Publishes the transmit ring and notifies the device if it asks for it (virtio 1.2 §2.7.13). */
  private kickTx(): void {
    const q = this.txq;
    const u16 = q.u16;
    const ni = q.availIdx;
    u16[q.availIdxH] = ni;
    const old = q.kickedIdx;
    if (ni === old) return;
    q.kickedIdx = ni;
    if (
      q.eventIdx
        ? ((ni - u16[q.availEventH]! - 1) & 0xffff) < ((ni - old) & 0xffff)
        : (u16[q.usedFlagsH]! & Used.F_NO_NOTIFY) === 0
    ) {
      q.kicks++;
      this.transport.notify(NetQueue.TX);
    }
  }

  /** Checks a transmit buffer and adds it to the ring (not yet published). */
  private queueTx(txBuf: NetBufPtr): DevError | undefined {
    const rel = txBuf.offset - this.packetBase;
    let id = (rel * INV_STRIDE + 0.5) | 0;
    if (
      !(
        rel >= 0 &&
        id < this.poolCap &&
        this.ptrs[id] === txBuf &&
        this.loc[id] === LOC_USER &&
        id * NET_BUF_STRIDE === rel
      )
    ) {
      id = this.heldId(txBuf);
      if (id < 0) return this.lastMisuse;
    }
    const hdr = this.headerLen;
    const off = this.bufOff[id]!;
    if (txBuf.offset !== off + hdr) return ERR_HDR_LEN;
    const len = txBuf.len;
    if (!(len >= 0 && len <= this.maxFrameLen && hdr + len <= this.capOf[id]!) || (len | 0) !== len) {
      return ERR_TOO_BIG;
    }
    const q = this.txq;
    if (q.numFreeDesc === 0) return DevError.Again;
    const u8 = this.u8;
    if (this.hdrClean[id] === 0) {
      for (let i = 0; i < hdr; i++) u8[off + i] = 0;
      this.hdrClean[id] = 1;
    }
    // one device-readable descriptor: header + frame, zero copy (what VirtQueue.addBuffer does)
    const u16 = q.u16;
    const u32 = q.u32;
    const head = q.freeHead;
    q.freeHead = q.freeNext[head]!;
    q.numFreeDesc--;
    const w = q.descW + 4 * head;
    u32[w] = this.phys[2 * id]!;
    u32[w + 1] = this.phys[2 * id + 1]!;
    u32[w + 2] = hdr + len;
    u16[(w + 3) * 2] = 0;
    q.chain[head] = 1;
    const ai = q.availIdx;
    u16[q.availRingH + (ai & q.mask)] = head;
    q.availIdx = (ai + 1) & 0xffff;
    this.txIds[head] = id;
    this.txLen[id] = hdr + len;
    this.loc[id] = LOC_TX_RING;
    return undefined;
  }

  /**
   * Queues up to `count` buffers and publishes them with one notification decision (virtio 1.2 §2.7.13).
   * The common case — a pool buffer's own handle, header untouched, clean header — runs flat with the ring
   * and the per-buffer tables in locals, doing every check {@link VirtIoNetDev.queueTx} does; anything else
   * goes through queueTx. Hot path.
   */
  transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    let n = 0;
    const max = Math.min(count, bufs.length);
    let err: DevError | undefined;
    const q = this.txq;
    const u16 = q.u16;
    const u32 = q.u32;
    const freeNext = q.freeNext;
    const chain = q.chain;
    const mask = q.mask;
    const ringH = q.availRingH;
    const descW = q.descW;
    const ptrs = this.ptrs;
    const loc = this.loc;
    const capOf = this.capOf;
    const hdrClean = this.hdrClean;
    const phys = this.phys;
    const txIds = this.txIds;
    const txLen = this.txLen;
    const packetBase = this.packetBase;
    const poolCap = this.poolCap;
    const hdr = this.headerLen;
    const maxFrame = this.maxFrameLen;
    let freeHead = q.freeHead;
    let numFree = q.numFreeDesc;
    let ai = q.availIdx;
    for (; n < max; n++) {
      const b = bufs[n]!;
      const boff = b.offset;
      const rel = boff - packetBase;
      const id = (rel * INV_STRIDE + 0.5) | 0;
      const len = b.len;
      if (
        rel >= 0 &&
        id < poolCap &&
        ptrs[id] === b &&
        loc[id] === LOC_USER &&
        id * NET_BUF_STRIDE === rel &&
        hdrClean[id] === 1 &&
        len >= 0 &&
        len <= maxFrame &&
        hdr + len <= capOf[id]! &&
        (len | 0) === len &&
        numFree > 0
      ) {
        // rel === id * stride proves boff === bufOff[id] + hdr (the header length was not changed)
        const head = freeHead;
        freeHead = freeNext[head]!;
        numFree--;
        const w = descW + 4 * head;
        u32[w] = phys[2 * id]!;
        u32[w + 1] = phys[2 * id + 1]!;
        u32[w + 2] = hdr + len;
        u16[(w + 3) * 2] = 0;
        chain[head] = 1;
        u16[ringH + (ai & mask)] = head;
        ai = (ai + 1) & 0xffff;
        txIds[head] = id;
        txLen[id] = hdr + len;
        loc[id] = LOC_TX_RING;
        continue;
      }
      // anything else: the general path, with the ring state written back first
      q.freeHead = freeHead;
      q.numFreeDesc = numFree;
      q.availIdx = ai;
      err = this.queueTx(b);
      freeHead = q.freeHead;
      numFree = q.numFreeDesc;
      ai = q.availIdx;
      if (err !== undefined) break;
    }
    q.freeHead = freeHead;
    q.numFreeDesc = numFree;
    q.availIdx = ai;
    if (n > 0) {
      this.kickTx();
      return n;
    }
    return err === undefined || err === DevError.Again ? 0 : err;
  }

  receive(): DevResult<NetBufPtr> {
    const p = this.pendingError;
    if (p !== undefined) {
      this.pendingError = undefined;
      return p;
    }
    const r = this.receiveInto(this.one, 1);
    if (r === 1) return this.one[0]!;
    return r === 0 ? DevError.Again : (r as DevError);
  }

  receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    const p = this.pendingError;
    if (p !== undefined) {
      this.pendingError = undefined;
      return p;
    }
    return this.receiveInto(out, Math.min(max, out.length));
  }

  /**
   * Takes up to `lim` frames from the receive ring into `out` (virtio 1.2 §2.7.14, §5.1.6.4): each used
   * entry is checked (id in range and in flight, length within the buffer) before its buffer is touched.
   * A bad entry ends the batch: with frames already taken it is kept for the next call. Hot path.
   */
  private receiveInto(out: NetBufPtr[], lim: number): number | DevError {
    const q = this.rxq;
    const u16 = q.u16;
    const u32 = q.u32;
    let usedIdx = u16[q.usedIdxH]!;
    let last = q.lastUsed;
    if (usedIdx === last) return 0;
    if (((usedIdx - last) & 0xffff) > q.size) {
      q.badEntries++;
      this.stats.badUsedEntries++;
      return ERR_USED_IDX;
    }
    const mask = q.mask;
    const size = q.size;
    const ringW = q.usedRingW;
    const chain = q.chain;
    const hdr = this.headerLen;
    const u8 = this.u8;
    const freeNext = q.freeNext;
    const rxIds = this.rxIds;
    const loc = this.loc;
    const hdrClean = this.hdrClean;
    const ptrs = this.ptrs;
    const bufOff = this.bufOff;
    const mrg = this.mrg;
    let freeHead = q.freeHead;
    let freed = 0;
    let n = 0;
    let err: DevError | undefined;
    while (n < lim && last !== usedIdx) {
      const e = ringW + 2 * (last & mask);
      const head = u32[e]!;
      const len = u32[e + 1]!;
      last = (last + 1) & 0xffff;
      // an id out of range or not heading a chain in flight is never followed
      const cn = head < size ? chain[head]! : 0;
      if (cn === 0) {
        q.badEntries++;
        this.stats.badUsedEntries++;
        err = ERR_USED_ID;
        break;
      }
      if (cn === 1) {
        chain[head] = 0;
        freeNext[head] = freeHead;
        freeHead = head;
        freed++;
      } else {
        q.freeHead = freeHead;
        q.releaseChain(head);
        freeHead = q.freeHead;
      }
      const id = rxIds[head]!;
      rxIds[head] = -1;
      this.rxPosted--;
      if (len < hdr || len > NET_BUF_LEN) {
        this.stats.badLengths++;
        q.freeHead = freeHead;
        q.numFreeDesc += freed;
        freed = 0;
        this.repost(id);
        freeHead = q.freeHead;
        err = ERR_USED_LEN;
        break;
      }
      if (mrg) {
        const o = bufOff[id]! + NetHdr.NUM_BUFFERS;
        const nb = u8[o]! | (u8[o + 1]! << 8);
        if (nb !== 1) {
          q.freeHead = freeHead;
          q.numFreeDesc += freed;
          freed = 0;
          q.lastUsed = last;
          const m = this.receiveMerged(id, len, nb);
          freeHead = q.freeHead;
          last = q.lastUsed;
          usedIdx = u16[q.usedIdxH]!;
          if (m === null) continue; // dropped: look for the next frame
          if (m instanceof DevError) {
            err = m;
            break;
          }
          out[n++] = m;
          continue;
        }
      }
      loc[id] = LOC_USER;
      hdrClean[id] = 0;
      const p = ptrs[id]!;
      p.offset = bufOff[id]! + hdr;
      p.len = len - hdr;
      out[n++] = p;
    }
    q.freeHead = freeHead;
    q.numFreeDesc += freed;
    q.lastUsed = last;
    if (q.eventIdx) u16[q.usedEventH] = q.usedEventFor(last);
    if (err !== undefined) {
      if (n === 0) return err;
      this.pendingError = err; // reported by the next call; the frames got so far are the caller's
    }
    return n;
  }

  /**
   * A frame spread over `nb` buffers (MRG_RXBUF, virtio 1.2 §5.1.6.4): gathered into a big buffer, the
   * pieces re-posted. Returns the frame, an error, or null when it was dropped (no big buffer free).
   */
  private receiveMerged(first: number, firstLen: number, nb: number): NetBufPtr | DevError | null {
    const rxq = this.rxq;
    const hdr = this.headerLen;
    const big = this.bigPool?.alloc();
    if (nb === 0 || nb > this.queueSize) {
      if (big !== undefined) this.bigPool!.release(big);
      this.stats.badLengths++;
      this.repost(first);
      return ERR_MERGE;
    }
    const u8 = this.u8;
    let room = big === undefined ? 0 : big.capacity - hdr;
    let p = 0;
    let err: DevError | undefined;
    const firstOff = this.bufOff[first]!;
    if (big !== undefined) {
      u8.copyWithin(big.bufOffset, firstOff, firstOff + hdr);
      const n = firstLen - hdr;
      if (n > room) err = ERR_USED_LEN;
      else {
        u8.copyWithin(big.bufOffset + hdr, firstOff + hdr, firstOff + firstLen);
        p = n;
        room -= n;
      }
    }
    this.repost(first);
    for (let k = 1; k < nb; k++) {
      const head = rxq.popUsed();
      if (head < 0) {
        // the device must publish all buffers of a packet together (§5.1.6.4.1)
        this.stats.badUsedEntries++;
        err = head === POP_CORRUPT ? ERR_USED_IDX : head === POP_BAD ? ERR_USED_ID : ERR_MERGE;
        break;
      }
      const piece = this.rxIds[head]!;
      this.rxIds[head] = -1;
      this.rxPosted--;
      const pieceOff = this.bufOff[piece]!;
      const len = rxq.lastLen;
      if (len > NET_BUF_LEN) {
        this.stats.badLengths++;
        err = ERR_USED_LEN;
      } else if (err === undefined && big !== undefined) {
        if (len > room) err = ERR_USED_LEN;
        else {
          u8.copyWithin(big.bufOffset + hdr + p, pieceOff, pieceOff + len);
          p += len;
          room -= len;
        }
      }
      this.repost(piece);
    }
    if (big === undefined) {
      this.stats.rxDropped++;
      return err ?? null;
    }
    const bid = this.poolCap + big.index;
    if (err !== undefined) {
      this.bigPool!.release(big);
      this.loc[bid] = LOC_POOL;
      return err;
    }
    this.stats.mergedFrames++;
    this.loc[bid] = LOC_USER;
    this.hdrClean[bid] = 0;
    big.setHeaderLen(hdr);
    big.setPacketLen(p);
    return big.intoBufPtr();
  }

  allocTxBuffer(size: number): DevResult<NetBufPtr> {
    if (!(size >= 0) || (size | 0) !== size) return DevError.InvalidParam;
    const hdr = this.headerLen;
    if (hdr + size <= NET_BUF_LEN) {
      if (this.txFreeTop === 0) return DevError.NoMemory;
      const id = this.txFree[--this.txFreeTop]!;
      this.loc[id] = LOC_USER;
      const p = this.ptrs[id]!;
      p.offset = this.bufOff[id]! + hdr;
      p.len = size;
      return p;
    }
    if (size > this.maxFrameLen || this.bigPool === undefined) return ERR_TOO_BIG;
    const big = this.bigPool.alloc();
    if (big === undefined) return DevError.NoMemory;
    const id = this.poolCap + big.index;
    this.loc[id] = LOC_USER;
    this.hdrClean[id] = 0;
    big.setHeaderLen(hdr);
    big.setPacketLen(size);
    return big.intoBufPtr();
  }

  /**
   * Resets the device (virtio-drivers does so on drop), unsets the queues where the transport can, and
   * frees the rings. Buffers the caller still holds stay valid memory until the pools are destroyed,
   * which happens here only when every buffer is back.
   */
  shutdown(): void {
    if (this.shut) return;
    this.shut = true;
    this.transport.setStatus(0);
    this.transport.queueUnset(NetQueue.RX);
    this.transport.queueUnset(NetQueue.TX);
    this.rxq.free();
    this.txq.free();
    let userHeld = 0;
    for (let id = 0; id < this.loc.length; id++) if (this.loc[id] === LOC_USER) userHeld++;
    if (userHeld === 0) {
      for (let i = 0; i < this.pool.capacity; i++) {
        const b = this.bufs[i]!;
        b.state = BufState.Held;
        this.pool.release(b);
      }
      this.pool.destroy();
      this.bigPool?.destroy();
    }
  }
}
