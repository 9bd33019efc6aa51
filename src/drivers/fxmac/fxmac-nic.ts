import { DevError, type DevResult } from "../../base/dev-error.js";
import { DeviceType } from "../../base/device-type.js";
import { log } from "../../base/log.js";
import type { DmaRegion } from "../../hal/dma.js";
import type { Hal } from "../../hal/hal.js";
import type { MmioRegion } from "../../hal/mmio.js";
import * as desc from "../../hw/gem/descriptors.js";
import * as gemRegs from "../../hw/gem/registers.js";
import { EthernetAddress } from "../../net/ethernet-address.js";
import { BufState, NetBuf, NetBufPool } from "../../net/net-buf.js";
import type { NetBufPtr } from "../../net/net-buf-ptr.js";
import type { NetDriverOps } from "../../net/net-driver-ops.js";
import {
  configureInterface,
  RX_BUF_UNITS,
  readMacAddress,
  resetController,
  setFilterOptions,
  writeMacAddress,
} from "./fxmac-init.js";
import { Mdio, type PhyLink, phyInit } from "./fxmac-phy.js";

// The hw/ constants as this module's own `const`s: V8 (Node 20) embeds a module's own constants in optimised
// code, but loads and hole-checks an imported binding at every use, which cost ~45 ns per packet here.
const NetBufClass = NetBuf;
const HELD = BufState.Held;
const DEVICE = BufState.Device;
const {
  DMACR_RXBUF_UNIT,
  FXMAC_IRQ_MASK,
  FXMAC0_BASE,
  GEM_COMPATIBLE,
  GEM_IDR,
  GEM_IER,
  GEM_ISR,
  GEM_MSB_RXQBASE,
  GEM_MSB_TXQBASE,
  GEM_NWCTRL,
  GEM_PCS_AN_LP,
  GEM_REGION_SIZE,
  GEM_RXQBASE,
  GEM_RXSR,
  GEM_TXQBASE,
  GEM_TXSR,
  IXR_LINKCHANGE,
  IXR_RXUSED,
  NWCTRL_RXEN,
  NWCTRL_STARTTX,
  NWCTRL_TXEN,
  PCS_AN_LP_LINK,
} = gemRegs;

const {
  ETH_HEADER_LEN,
  ETH_MAX_FRAME,
  ETH_MAX_FRAME_VLAN,
  GEM_DESC_SIZE_64,
  GEM_RING_ALIGN,
  RX_W0_USED,
  RX_W0_WRAP,
  RX_W1_EOF,
  RX_W1_LEN_MASK,
  RX_W1_SOF,
  TX_W1_ERRORS,
  TX_W1_LAST,
  TX_W1_USED,
  TX_W1_WRAP,
} = desc;

const T = "fxmac";
const TWO32 = 0x1_0000_0000;
const SOF_EOF = RX_W1_SOF | RX_W1_EOF;
/** Size of each pool buffer: holds the 1536-byte RX DMA buffer; 2 KiB keeps buffers aligned. */
const BUF_LEN = 2048;
/** The RX DMA buffer size programmed into DMACR. */
const RX_DMA_BUF = RX_BUF_UNITS * DMACR_RXBUF_UNIT;

/** Options of {@link FXmacNic.init}. */
export interface FXmacOptions {
  /** Register base (default FXMAC0, 0x3200C000; the probe passes the description's base). */
  base?: number;
  /** Register window size (default 0x2000). */
  size?: number;
  /** RX and TX ring size (default 64, the queue size axdriver reports). */
  queueSize?: number;
  /** RX pool buffers (default twice the queue size: the ring stays full while the user holds a ring's worth). */
  rxPoolSize?: number;
  /** TX pool buffers for {@link FXmacNic.allocTxBuffer} (default twice the queue size). */
  txPoolSize?: number;
  /** Auto-negotiate the link (default true); false forces `speed`/`fullDuplex` as PhytiumPi's fxmac_rs does. */
  autoNegotiation?: boolean;
  /** Forced speed without auto-negotiation (default 100). */
  speed?: 10 | 100;
  /** Forced duplex without auto-negotiation (default full). */
  fullDuplex?: boolean;
  /** Use this MAC instead of the one firmware left in SA1. */
  mac?: EthernetAddress;
  /** Receive every frame (NWCFG.COPYALLEN). */
  promiscuous?: boolean;
}

/** What the driver counts. Plain numbers, updated on the data path. */
export interface FXmacStats {
  /** Frames handed to the user. */
  rxPackets: number;
  /** Their bytes. */
  rxBytes: number;
  /** Descriptors dropped for a length under 14 or over the frame/buffer maximum. */
  rxBadLength: number;
  /** Descriptors dropped for lacking the start- or end-of-frame marker. */
  rxBadMarkers: number;
  /** Frames queued for transmission. */
  txPackets: number;
  /** Their bytes. */
  txBytes: number;
  /** Descriptors the MAC gave back without error. */
  txCompleted: number;
  /** Descriptors the MAC gave back with an error bit (retry limit, late collision, corrupt, underrun). */
  txErrors: number;
  /** RX used-bit-read events seen by {@link FXmacNic.handleInterrupt} (frames lost for lack of buffers). */
  rxNoBufferEvents: number;
  /** Link changes seen by {@link FXmacNic.handleInterrupt}. */
  linkChanges: number;
}

/** log2 of {@link BUF_LEN} (a power of two): a pointer's offset gives its buffer's index in the pool. */
const BUF_SHIFT = 31 - Math.clz32(BUF_LEN);

/**
 * One pool's buffers, their pointers, offsets and physical addresses by index (made once), so that the
 * data path recognises a pointer by identity with the buffer its offset falls in (no `instanceof`, no hop
 * through its owner) and reads offsets from an integer table (`NetBuf.bufOffset` may be held as a boxed
 * double, which costs a conversion at every use).
 */
class PoolIndex {
  readonly bufs: NetBuf[] = [];
  readonly ptrs: NetBufPtr[] = [];
  /** Each buffer's first byte in DMA memory. */
  readonly offs: Int32Array;
  /** Each buffer's physical address, low and high 32 bits (a 2 KiB buffer never crosses a 4 GiB line). */
  readonly physLo: Uint32Array;
  readonly physHi: Uint32Array;
  /**
   * Whether the tables serve (every offset fits 31 bits). Otherwise (RAM of 2 GiB or more) `find` finds
   * nothing and the driver takes its general path.
   */
  readonly usable: boolean;
  private readonly base: number;
  private readonly count: number;

  constructor(pool: NetBufPool) {
    const first = pool.get(0)!.bufOffset;
    this.usable = first + pool.capacity * pool.bufferLen <= 0x7fff_ffff;
    this.count = this.usable ? pool.capacity : 0;
    this.offs = new Int32Array(pool.capacity);
    this.physLo = new Uint32Array(pool.capacity);
    this.physHi = new Uint32Array(pool.capacity);
    this.base = first | 0; // a small integer, not the boxed double bufOffset may be
    for (let i = 0; i < pool.capacity; i++) {
      const b = pool.get(i)!;
      this.bufs.push(b);
      this.ptrs.push(b.intoBufPtr()); // the buffer's one pointer (intoBufPtr always hands out the same)
      this.offs[i] = b.bufOffset;
      this.physLo[i] = b.physAddr % TWO32;
      this.physHi[i] = Math.floor(b.physAddr / TWO32);
    }
  }

  /**
   * The index of the buffer `p` is the pointer of, when the user holds it and `p` still points at its
   * packet (what `NetBuf.fromBufPtr` accepts, for a buffer of this pool); otherwise -1.
   */
  find(p: NetBufPtr): number {
    const rel = p.offset - this.base;
    const i = rel >>> BUF_SHIFT;
    if (!(rel >= 0 && i < this.count) || this.ptrs[i] !== p) return -1;
    const b = this.bufs[i]!;
    const hdr = p.offset - this.offs[i]!;
    const len = p.len;
    if (b.state !== HELD || hdr !== b.headerLen || !(len >= 0 && hdr + len <= BUF_LEN)) return -1;
    return i;
  }
}

function checkSize(name: string, v: number, min: number, max: number): DevError | undefined {
  if (!Number.isInteger(v) || v < min || v > max) {
    return DevError.withDetail("InvalidParam", `${name} ${v} outside [${min}, ${max}]`);
  }
  return undefined;
}

/**
 * The Phytium FXMAC (Cadence GEM) driver, as axdriver_net's `FXmacNic` over fxmac_rs, but zero copy:
 * received frames are handed out in the RX ring's own pool buffers (their {@link NetBufPtr} handles made
 * once with the pool), and {@link FXmacNic.transmit} puts the caller's buffer itself into the TX ring.
 *
 * Bring-up follows fxmac_rs's `xmac_init` (fxmac-gem 6): reset, options, MAC address, PHY init over MDIO
 * with auto-negotiation and speed detection, SGMII interface set-up at that speed, rings, TX and RX on.
 * It differs where fxmac_rs is wrong: ring bases get the rings' physical addresses (not virtual ones),
 * the unused queues are 1..7 at Linux's offsets, and the 1000 bit is cleared before a slower speed; and
 * it leaves checksum offload off (NetDriverOps has no offload, so frames go out as the caller built them).
 *
 * Rings: one 16-byte descriptor per slot, one frame per descriptor (1536-byte RX buffers hold any
 * 1518-byte frame). A received buffer leaves its slot empty; the next recycled buffer re-arms the oldest
 * empty slot directly, and each receive call refills the rest from the pool, so the steady state makes no
 * pool round trip. Sent buffers come back in {@link FXmacNic.recycleTxBuffers} once the MAC set their
 * used bit, to their own pool (a forwarded RX buffer goes home to its RX pool).
 *
 * Nothing from the device is trusted: a descriptor with a bad length or without both start- and
 * end-of-frame markers is dropped and counted ({@link FXmacNic.stats}); buffer misuse is a `DevError`.
 */
export class FXmacNic implements NetDriverOps {
  /** Counters. */
  readonly stats: FXmacStats = {
    rxPackets: 0,
    rxBytes: 0,
    rxBadLength: 0,
    rxBadMarkers: 0,
    txPackets: 0,
    txBytes: 0,
    txCompleted: 0,
    txErrors: 0,
    rxNoBufferEvents: 0,
    linkChanges: 0,
  };
  /** The link the PHY came up with. */
  readonly link: PhyLink;
  /** Register base. */
  readonly base: number;

  private readonly hal: Hal;
  private readonly regs: MmioRegion;
  private readonly mac: EthernetAddress;
  private readonly u32: Uint32Array;
  private readonly u8: Uint8Array;
  private nwctrl: number;
  private readonly maxRxLen: number;

  // RX ring: slots [rxRefill, rxHead) hold no buffer (rxEmpty of them); the others are armed
  private readonly rxRing: DmaRegion;
  private readonly rxPool: NetBufPool;
  private readonly rxIndex: PoolIndex;
  private readonly rxSize: number;
  private readonly rxLast: number;
  private readonly rxW: number;
  private readonly rxSlots: (NetBuf | null)[];
  private rxHead = 0;
  private rxRefill = 0;
  private rxEmpty = 0;

  // TX ring: slots [txHead, txTail) are in flight (txInFlight of them)
  private readonly txRing: DmaRegion;
  private readonly txPool: NetBufPool;
  private readonly txIndex: PoolIndex;
  private readonly txSize: number;
  private readonly txLast: number;
  private readonly txW: number;
  private readonly txSlots: (NetBuf | null)[];
  private txHead = 0;
  private txTail = 0;
  private txInFlight = 0;
  private stopped = false;
  /** Why the last `checkTxAny` refused a buffer. */
  private txError: DevError | undefined;
  private freed = false;

  private constructor(
    hal: Hal,
    regs: MmioRegion,
    base: number,
    mac: EthernetAddress,
    link: PhyLink,
    rxRing: DmaRegion,
    txRing: DmaRegion,
    rxPool: NetBufPool,
    txPool: NetBufPool,
    queueSize: number,
  ) {
    this.hal = hal;
    this.regs = regs;
    this.base = base;
    this.mac = mac;
    this.link = link;
    this.u32 = hal.memory.u32;
    this.u8 = hal.memory.u8;
    this.nwctrl = 0;
    this.maxRxLen = Math.min(ETH_MAX_FRAME_VLAN, RX_DMA_BUF);
    this.rxRing = rxRing;
    this.txRing = txRing;
    this.rxPool = rxPool;
    this.txPool = txPool;
    this.rxIndex = new PoolIndex(rxPool);
    this.txIndex = new PoolIndex(txPool);
    this.rxSize = queueSize;
    this.txSize = queueSize;
    this.rxLast = queueSize - 1;
    this.txLast = queueSize - 1;
    this.rxW = rxRing.offset >>> 2;
    this.txW = txRing.offset >>> 2;
    this.rxSlots = new Array<NetBuf | null>(queueSize).fill(null);
    this.txSlots = new Array<NetBuf | null>(queueSize).fill(null);
  }

  /**
   * Brings the FXMAC at `options.base` up (fxmac-gem 6) and returns the driver, or the error that stopped
   * bring-up (no PHY, auto-negotiation timeout, no DMA memory...). Resources are given back on failure.
   */
  static init(hal: Hal, options: FXmacOptions = {}): DevResult<FXmacNic> {
    const base = options.base ?? FXMAC0_BASE;
    const size = options.size ?? GEM_REGION_SIZE;
    const queueSize = options.queueSize ?? 64;
    const bad =
      checkSize("queue size", queueSize, 2, 4096) ??
      checkSize("RX pool size", options.rxPoolSize ?? 2 * queueSize, queueSize, 65536) ??
      checkSize("TX pool size", options.txPoolSize ?? 2 * queueSize, 1, 65536);
    if (bad !== undefined) return bad;
    const regs = hal.mapMmio(base, size);
    if (regs instanceof DevError) return regs;
    log.info(T, `FXMAC at 0x${base.toString(16)}: bring-up`);

    // axdriver reads the MAC firmware left in SA1 before the reset zeroes it (fxmac-gem 9)
    let mac = options.mac;
    if (mac === undefined) {
      const m = new EthernetAddress(readMacAddress(regs));
      if (m.isUnicast()) mac = m;
      else {
        // an unusable address: a locally administered one from the base, as Linux falls back to a random one
        mac = new EthernetAddress([0x02, 0x46, 0x58, (base >>> 16) & 0xff, (base >>> 8) & 0xff, base & 0xff]);
        log.warn(T, `SA1 holds no unicast address (${m}); using ${mac}`);
      }
    }

    // 6.1 reset, 6.2 steps 13-15 options and MAC
    resetController(regs);
    setFilterOptions(regs, options.promiscuous ?? false);
    writeMacAddress(regs, 1, mac.bytes);

    // 6.2 step 16 PHY, 17-19 interface at the detected speed
    const link = phyInit(new Mdio(regs, hal), hal, {
      autoNegotiation: options.autoNegotiation ?? true,
      speed: options.speed ?? 100,
      fullDuplex: options.fullDuplex ?? true,
    });
    if (link instanceof DevError) return link;
    configureInterface(regs, link.speed, link.fullDuplex);

    // 6.2 step 20 DMA: rings (128-byte aligned, 16-byte descriptors) and buffer pools
    const held: DmaRegion[] = [];
    const pools: NetBufPool[] = [];
    const fail = (e: DevError): DevError => {
      for (const p of pools) p.destroy();
      for (const r of held) hal.dmaDealloc(r);
      return e;
    };
    const rxRing = hal.dmaAlloc(queueSize * GEM_DESC_SIZE_64, GEM_RING_ALIGN);
    if (rxRing instanceof DevError) return fail(rxRing);
    held.push(rxRing);
    const txRing = hal.dmaAlloc(queueSize * GEM_DESC_SIZE_64, GEM_RING_ALIGN);
    if (txRing instanceof DevError) return fail(txRing);
    held.push(txRing);
    const rxPool = NetBufPool.create(hal, options.rxPoolSize ?? 2 * queueSize, BUF_LEN);
    if (rxPool instanceof DevError) return fail(rxPool);
    pools.push(rxPool);
    const txPool = NetBufPool.create(hal, options.txPoolSize ?? 2 * queueSize, BUF_LEN);
    if (txPool instanceof DevError) return fail(txPool);
    pools.push(txPool);

    const nic = new FXmacNic(hal, regs, base, mac, link, rxRing, txRing, rxPool, txPool, queueSize);
    nic.setUpRings();
    nic.start();
    log.info(T, `FXMAC at 0x${base.toString(16)} up: ${mac}, ${link.speed} Mb/s, queue ${queueSize}`);
    return nic;
  }

  /** Builds both rings and programs the queue base registers with their physical addresses (fxmac-gem 5). */
  private setUpRings(): void {
    const u32 = this.u32;
    // TX: every descriptor software-owned (USED), WRAP on the last (FXmacBdRingCreate's TX template)
    for (let i = 0; i < this.txSize; i++) {
      const w = this.txW + (i << 2);
      u32[w] = 0;
      u32[w + 1] = TX_W1_USED | (i === this.txLast ? TX_W1_WRAP : 0);
      u32[w + 2] = 0;
      u32[w + 3] = 0;
    }
    // RX: every descriptor gets a pool buffer and is owned by the MAC (USED = 0)
    this.rxEmpty = this.rxSize;
    this.rxRefill = 0;
    this.rxHead = 0;
    this.refillRx();
    const rx = this.rxRing.paddr;
    const tx = this.txRing.paddr;
    const regs = this.regs;
    regs.write32(GEM_MSB_RXQBASE, Math.floor(rx / TWO32));
    regs.write32(GEM_RXQBASE, rx >>> 0);
    regs.write32(GEM_MSB_TXQBASE, Math.floor(tx / TWO32));
    regs.write32(GEM_TXQBASE, tx >>> 0);
  }

  /** FXmacStart (fxmac-gem 6.3): clear ISR, TX on, RX on, unmask fxmac's interrupt set. */
  private start(): void {
    const regs = this.regs;
    regs.write32(GEM_ISR, 0xffff_ffff);
    let ctrl = regs.read32(GEM_NWCTRL);
    ctrl |= NWCTRL_TXEN;
    regs.write32(GEM_NWCTRL, ctrl);
    ctrl |= NWCTRL_RXEN;
    regs.write32(GEM_NWCTRL, ctrl);
    regs.write32(GEM_IER, FXMAC_IRQ_MASK);
    this.nwctrl = ctrl;
  }

  // ------------------------------------------------------------------ BaseDriverOps

  deviceName(): string {
    return GEM_COMPATIBLE;
  }
  deviceType(): DeviceType {
    return DeviceType.Net;
  }

  // ------------------------------------------------------------------ NetDriverOps

  macAddress(): EthernetAddress {
    return this.mac;
  }
  rxQueueSize(): number {
    return this.rxSize;
  }
  txQueueSize(): number {
    return this.txSize;
  }

  canTransmit(): boolean {
    if (this.stopped) return false;
    if (this.txInFlight < this.txSize) return true;
    return (this.u32[this.txW + (this.txHead << 2) + 1]! & TX_W1_USED) !== 0;
  }

  canReceive(): boolean {
    if (this.stopped) return false;
    const i = this.rxHead;
    return this.rxSlots[i] !== null && (this.u32[this.rxW + (i << 2)]! & RX_W0_USED) !== 0;
  }

  receive(): DevResult<NetBufPtr> {
    if (this.stopped) return DevError.BadState;
    if (this.rxEmpty > 0) this.refillRx();
    const p = this.receiveOne();
    if (p === null) return DevError.Again;
    this.stats.rxPackets++;
    this.stats.rxBytes += p.len;
    return p;
  }

  receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    if (this.stopped) return DevError.BadState;
    if (this.rxEmpty > 0) this.refillRx();
    let n = 0;
    let bytes = 0;
    while (n < max) {
      const p = this.receiveOne();
      if (p === null) break;
      out[n++] = p;
      bytes += p.len;
    }
    // the counters once per batch (plain numbers, no object hop per frame)
    this.stats.rxPackets += n;
    this.stats.rxBytes += bytes;
    return n;
  }

  /**
   * The next good frame from the RX ring, or null. Bad descriptors on the way are dropped, counted and
   * re-armed at once; a good one's buffer goes to the user and its slot waits for a buffer (a recycled
   * one, or one from the pool at the next receive call).
   */
  private receiveOne(): NetBufPtr | null {
    const u32 = this.u32;
    const slots = this.rxSlots;
    for (;;) {
      const i = this.rxHead;
      const buf = slots[i] as NetBuf | null;
      if (buf === null) return null; // every slot is empty (the user holds the pool)
      const w = this.rxW + (i << 2);
      if ((u32[w]! & RX_W0_USED) === 0) return null;
      const w1 = u32[w + 1]!;
      slots[i] = null;
      this.rxHead = i === this.rxLast ? 0 : i + 1;
      this.rxEmpty++;
      const len = w1 & RX_W1_LEN_MASK;
      if ((w1 & SOF_EOF) !== SOF_EOF || len < ETH_HEADER_LEN || len > this.maxRxLen) {
        this.dropRx(buf, w1);
        continue;
      }
      // the slot stays empty for now: the buffer the user recycles next re-arms it directly, and the
      // next receive call refills what is still empty from the pool (no pool round trip per frame)
      buf.state = HELD;
      // buf.setPacketLen(len) + buf.intoBufPtr(), from the integer tables (header length 0 on RX buffers)
      const ix = this.rxIndex;
      if (!ix.usable) {
        buf.setPacketLen(len);
        return buf.intoBufPtr();
      }
      const k = buf.index;
      const p = ix.ptrs[k]!;
      p.offset = ix.offs[k]!;
      p.len = len;
      return p;
    }
  }

  /** A descriptor the device filled wrongly: counted, and its buffer re-armed at once (cold path). */
  private dropRx(buf: NetBuf, w1: number): void {
    if ((w1 & SOF_EOF) !== SOF_EOF) this.stats.rxBadMarkers++;
    else this.stats.rxBadLength++;
    this.giveBackRx(buf);
  }

  /** Arms the oldest empty slot with `buf` (which must have header length 0). */
  private armNextEmpty(buf: NetBuf): void {
    const i = this.rxRefill;
    buf.state = DEVICE;
    this.rxSlots[i] = buf;
    const pa = buf.physAddr;
    const w = this.rxW + (i << 2);
    const u32 = this.u32;
    const lo = pa >>> 0;
    u32[w + 2] = pa < TWO32 ? 0 : (pa - lo) / TWO32;
    u32[w + 1] = 0;
    // word 0 last: clearing USED hands the buffer to the MAC (fxmac-gem 4.1)
    u32[w] = lo | (i === this.rxLast ? RX_W0_WRAP : 0);
    this.rxRefill = i === this.rxLast ? 0 : i + 1;
    this.rxEmpty--;
  }

  /** A receive buffer comes back: into the oldest empty slot, or to the pool when none is empty. */
  private giveBackRx(buf: NetBuf): void {
    if (buf.headerLen !== 0) buf.setHeaderLen(0);
    if (this.rxEmpty > 0 && !this.stopped) this.armNextEmpty(buf);
    else {
      buf.state = HELD;
      this.rxPool.release(buf);
    }
  }

  /** Arms empty slots from the pool while both last. */
  private refillRx(): void {
    while (this.rxEmpty > 0) {
      const nb = this.rxPool.alloc();
      if (nb === undefined) return;
      this.armNextEmpty(nb);
    }
  }

  recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void> {
    const i = this.rxIndex.find(rxBuf);
    if (i >= 0 && !this.freed) {
      this.giveBackRx(this.rxIndex.bufs[i]!);
      return undefined;
    }
    // the general check (also what serves when the index tables do not)
    const buf = rxBuf.owner;
    if (
      buf instanceof NetBufClass &&
      buf.pool === this.rxPool &&
      buf.state === HELD &&
      !this.freed &&
      NetBufClass.fromBufPtr(rxBuf) === buf
    ) {
      this.giveBackRx(buf);
      return undefined;
    }
    return this.recycleRxError(rxBuf);
  }

  /** Why a buffer cannot be recycled (cold path). */
  private recycleRxError(rxBuf: NetBufPtr): DevError {
    if (this.freed) return DevError.withDetail("BadState", "device is shut down");
    const buf = rxBuf.owner;
    if (!(buf instanceof NetBufClass) || buf.pool !== this.rxPool) {
      return DevError.withDetail("InvalidParam", "not a receive buffer of this device");
    }
    const r = NetBufClass.fromBufPtr(rxBuf);
    if (r !== buf) return r as DevError;
    return DevError.withDetail("BadState", "buffer is posted to the device");
  }

  allocTxBuffer(size: number): DevResult<NetBufPtr> {
    if (this.stopped) return DevError.BadState;
    // `(size | 0) === size`: the integer test V8 keeps in 32-bit registers (Number.isInteger goes by double)
    if (!((size | 0) === size && size >= 0 && size <= ETH_MAX_FRAME)) return DevError.InvalidParam;
    const buf = this.txPool.alloc() ?? this.reclaimAndAlloc();
    if (buf === undefined) return DevError.NoMemory;
    // buf.setPacketLen(size) + buf.intoBufPtr() from the integer tables (alloc cleared the header length)
    const ix = this.txIndex;
    if (!ix.usable) {
      buf.setPacketLen(size);
      return buf.intoBufPtr();
    }
    const i = buf.index;
    const p = ix.ptrs[i]!;
    p.offset = ix.offs[i]!;
    p.len = size;
    return p;
  }

  /** The TX pool is empty: take back what the MAC has sent, then try again (cold path). */
  private reclaimAndAlloc(): NetBuf | undefined {
    this.recycleTxBuffers();
    return this.txPool.alloc();
  }

  transmit(txBuf: NetBufPtr): DevResult<void> {
    if (this.stopped) return DevError.BadState;
    const buf = this.checkTxAny(txBuf);
    if (buf === null) return this.txError!;
    if (this.txInFlight === this.txSize) {
      this.recycleTxBuffers();
      if (this.txInFlight === this.txSize) return DevError.Again;
    }
    const pa = buf.physAddr + (txBuf.offset - buf.bufOffset);
    this.post(buf, txBuf, pa >>> 0, Math.floor(pa / TWO32));
    this.stats.txPackets++;
    this.stats.txBytes += txBuf.len;
    this.regs.write32(GEM_NWCTRL, this.nwctrl | NWCTRL_STARTTX);
    return undefined;
  }

  transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    if (this.stopped) return DevError.BadState;
    if (this.txSize - this.txInFlight < count) this.recycleTxBuffers();
    let n = 0;
    let bytes = 0;
    while (n < count && this.txInFlight < this.txSize) {
      const p = bufs[n]!;
      // the common cases by identity: a buffer of the TX pool, or a received one being forwarded
      let ix = this.txIndex;
      let i = ix.find(p);
      if (i < 0) {
        ix = this.rxIndex;
        i = ix.find(p);
      }
      if (i >= 0 && p.len >= ETH_HEADER_LEN && p.len <= ETH_MAX_FRAME) {
        // the packet's physical address in two 32-bit halves: no carry, the buffer is inside a 4 GiB window
        this.post(ix.bufs[i]!, p, ix.physLo[i]! + (p.offset - ix.offs[i]!), ix.physHi[i]!);
      } else {
        const buf = this.checkTxAny(p);
        if (buf === null) {
          if (n === 0) return this.txError!;
          break; // the bad one and the rest stay with the caller; the next call reports it
        }
        const pa = buf.physAddr + (p.offset - buf.bufOffset);
        this.post(buf, p, pa >>> 0, Math.floor(pa / TWO32));
      }
      bytes += p.len;
      n++;
    }
    this.stats.txPackets += n;
    this.stats.txBytes += bytes;
    // one start strobe for the whole batch: the MAC walks the ring to the first used descriptor
    if (n > 0) this.regs.write32(GEM_NWCTRL, this.nwctrl | NWCTRL_STARTTX);
    return n;
  }

  /**
   * The buffer behind a transmit pointer, or null with the reason in `txError` (so the data path tests
   * for null instead of running `instanceof` on every packet).
   */
  /**
   * The buffer behind a transmit pointer (any NetBuf in this machine's DMA memory, e.g. another pool's), or
   * null with the reason in `txError` (so the data path tests for null instead of running `instanceof`).
   */
  private checkTxAny(p: NetBufPtr): NetBuf | null {
    const buf = p.owner;
    if (
      buf instanceof NetBufClass &&
      buf.bytes === this.u8 &&
      buf.state === HELD &&
      NetBufClass.fromBufPtr(p) === buf &&
      p.len >= ETH_HEADER_LEN &&
      p.len <= ETH_MAX_FRAME
    ) {
      return buf;
    }
    this.txError = this.txBufferError(p);
    return null;
  }

  /** Why a buffer cannot be transmitted (cold path). */
  private txBufferError(p: NetBufPtr): DevError {
    const buf = p.owner;
    let e: DevError;
    if (!(buf instanceof NetBufClass)) e = DevError.withDetail("InvalidParam", "not a NetBuf pointer");
    else if (buf.bytes !== this.u8) {
      e = DevError.withDetail("InvalidParam", "buffer is not in this machine's DMA memory");
    } else if (buf.state === DEVICE) {
      e = DevError.withDetail("BadState", "buffer is already posted to a device");
    } else {
      const r = NetBufClass.fromBufPtr(p);
      if (r !== buf) e = r as DevError;
      else if (p.len < ETH_HEADER_LEN || p.len > ETH_MAX_FRAME) {
        e = DevError.withDetail("InvalidParam", `frame length ${p.len} outside [14, 1514]`);
      } else e = DevError.withDetail("BadState", "buffer is not held by the caller");
    }
    return e;
  }

  /**
   * Puts `buf` (the caller's own buffer) into the next TX descriptor, its packet at physical address
   * `hi:lo`: no copy.
   */
  private post(buf: NetBuf, p: NetBufPtr, lo: number, hi: number): void {
    const i = this.txTail;
    const w = this.txW + (i << 2);
    const u32 = this.u32;
    u32[w] = lo;
    u32[w + 2] = hi;
    // (int32 expressions only: a ternary between constants above 2^30 makes V8 box a number per packet)
    // one store sets length and LAST and clears USED: the MAC may send it from now on (fxmac-gem 4.3, 5.1)
    u32[w + 1] = p.len | TX_W1_LAST | (i === this.txLast ? TX_W1_WRAP : 0);
    buf.state = DEVICE;
    this.txSlots[i] = buf;
    this.txTail = i === this.txLast ? 0 : i + 1;
    this.txInFlight++;
  }

  recycleTxBuffers(): DevResult<void> {
    const u32 = this.u32;
    const slots = this.txSlots;
    const last = this.txLast;
    const txW = this.txW;
    let i = this.txHead;
    let left = this.txInFlight;
    let done = 0;
    let errors = 0;
    // only descriptors the driver gave are looked at; used bits elsewhere mean nothing (fxmac-gem 5.2)
    while (left > 0) {
      const w = txW + (i << 2) + 1;
      const w1 = u32[w]!;
      if ((w1 & TX_W1_USED) === 0) break;
      if (w1 & TX_W1_ERRORS) errors++;
      u32[w] = TX_W1_USED | (i === last ? TX_W1_WRAP : 0);
      const buf = slots[i]!;
      slots[i] = null;
      buf.state = HELD;
      buf.pool.release(buf);
      i = i === last ? 0 : i + 1;
      left--;
      done++;
    }
    this.txHead = i;
    this.txInFlight = left;
    this.stats.txErrors += errors;
    this.stats.txCompleted += done - errors;
    return undefined;
  }

  // ------------------------------------------------------------------ beyond NetDriverOps

  /** Frames in the TX ring not yet given back by the MAC. */
  get txPending(): number {
    return this.txInFlight;
  }
  /** RX slots waiting for a buffer (the pool was empty when they were refilled). */
  get rxUnarmed(): number {
    return this.rxEmpty;
  }
  /** The receive pool (for inspection: free count, capacity). */
  get rxBufferPool(): NetBufPool {
    return this.rxPool;
  }
  /** The transmit pool. */
  get txBufferPool(): NetBufPool {
    return this.txPool;
  }

  /** Whether the SGMII link is up (PCS_AN_LP bit 15, as fxmac_rs's link-change handler reads it). */
  linkUp(): boolean {
    return (this.regs.read32(GEM_PCS_AN_LP) & PCS_AN_LP_LINK) !== 0;
  }

  /**
   * The queue-0 interrupt handler's work (fxmac-gem 10) for a polling driver: reads ISR, acknowledges RX
   * and TX status, counts no-buffer events and link changes, clears the handled bits, and reclaims sent
   * buffers. Returns the ISR bits seen.
   */
  handleInterrupt(): number {
    const regs = this.regs;
    const isr = regs.read32(GEM_ISR);
    if (isr === 0) return 0;
    if (isr & IXR_RXUSED) this.stats.rxNoBufferEvents++;
    if (isr & IXR_LINKCHANGE) this.stats.linkChanges++;
    regs.write32(GEM_RXSR, regs.read32(GEM_RXSR));
    regs.write32(GEM_TXSR, regs.read32(GEM_TXSR));
    regs.write32(GEM_ISR, isr);
    this.recycleTxBuffers();
    return isr;
  }

  /**
   * Stops the MAC (FXmacStop: interrupts masked, RX and TX off), takes the ring buffers back into their
   * pools and, when the user holds no buffer any more, frees the pools and rings. `ResourceBusy` when
   * buffers are still out (the MAC is stopped all the same; call again after giving them back).
   */
  shutdown(): DevResult<void> {
    const regs = this.regs;
    if (!this.stopped) {
      regs.write32(GEM_IDR, 0xffff_ffff);
      this.nwctrl &= ~(NWCTRL_RXEN | NWCTRL_TXEN);
      regs.write32(GEM_NWCTRL, this.nwctrl);
      this.stopped = true;
      for (let i = 0; i < this.rxSize; i++) {
        const b = this.rxSlots[i];
        if (b) {
          this.rxSlots[i] = null;
          b.state = HELD;
          this.rxPool.release(b);
        }
      }
      for (let i = 0; i < this.txSize; i++) {
        const b = this.txSlots[i];
        if (b) {
          this.txSlots[i] = null;
          b.state = HELD;
          b.pool.release(b);
        }
      }
      this.txInFlight = 0;
    }
    if (this.rxPool.outstanding > 0 || this.txPool.outstanding > 0) {
      return DevError.withDetail(
        "ResourceBusy",
        `${this.rxPool.outstanding + this.txPool.outstanding} buffers are still held by the user`,
      );
    }
    if (this.freed) return undefined;
    this.freed = true;
    const r1 = this.rxPool.destroy();
    if (r1 instanceof DevError) return r1;
    const r2 = this.txPool.destroy();
    if (r2 instanceof DevError) return r2;
    const r3 = this.hal.dmaDealloc(this.rxRing);
    if (r3 instanceof DevError) return r3;
    return this.hal.dmaDealloc(this.txRing);
  }
}
