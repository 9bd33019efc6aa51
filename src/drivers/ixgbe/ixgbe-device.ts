import { DevError, type DevResult } from "../../base/dev-error.js";
import { log } from "../../base/log.js";
import type { DmaRegion } from "../../hal/dma.js";
import type { Hal } from "../../hal/hal.js";
import type { MmioRegion } from "../../hal/mmio.js";
import * as descHw from "../../hw/ixgbe/descriptors.js";
import * as regsHw from "../../hw/ixgbe/regs.js";
import type { NetBufPtr } from "../../net/net-buf-ptr.js";
import { type MemPool, PacketState } from "./mem-pool.js";

// The hw/ constants as this module's own `const`s: V8 (Node 20) embeds a module's own constants in optimised
// code, but loads and hole-checks an imported binding at every use.
const RX_RING: PacketState = PacketState.RxRing;
const HELD: PacketState = PacketState.Held;
const TWO32 = 0x1_0000_0000;
const TX_RING: PacketState = PacketState.TxRing;
const {
  IXGBE_AUTOC,
  IXGBE_AUTOC_10G_PMA_PMD_MASK,
  IXGBE_AUTOC_10G_XAUI,
  IXGBE_AUTOC_AN_RESTART,
  IXGBE_AUTOC_LMS_10G_SERIAL,
  IXGBE_AUTOC_LMS_MASK,
  IXGBE_CTRL,
  IXGBE_CTRL_EXT,
  IXGBE_CTRL_EXT_NS_DIS,
  IXGBE_CTRL_RST_MASK,
  IXGBE_DCA_RXCTRL,
  IXGBE_DCA_RXCTRL_BIT12,
  IXGBE_DMATXCTL,
  IXGBE_DMATXCTL_TE,
  IXGBE_DRIVER_MAX_QUEUES,
  IXGBE_DTXMXSZRQ,
  IXGBE_EEC,
  IXGBE_EEC_ARD,
  IXGBE_EICR,
  IXGBE_EIMC,
  IXGBE_FCTRL,
  IXGBE_FCTRL_BAM,
  IXGBE_FCTRL_MPE,
  IXGBE_FCTRL_UPE,
  IXGBE_GORCH,
  IXGBE_GORCL,
  IXGBE_GOTCH,
  IXGBE_GOTCL,
  IXGBE_GPRC,
  IXGBE_GPTC,
  IXGBE_HLREG0,
  IXGBE_HLREG0_RXCRCSTRP,
  IXGBE_HLREG0_TXCRCEN,
  IXGBE_HLREG0_TXPADEN,
  IXGBE_IRQ_CLEAR_MASK,
  IXGBE_LINKS,
  IXGBE_LINKS_SPEED_1G_82599,
  IXGBE_LINKS_SPEED_10G_82599,
  IXGBE_LINKS_SPEED_100_82599,
  IXGBE_LINKS_SPEED_82599,
  IXGBE_LINKS_UP,
  IXGBE_MPC,
  IXGBE_MRQC,
  IXGBE_MRQC_RSS_FIELD_IPV4,
  IXGBE_MRQC_RSS_FIELD_IPV4_TCP,
  IXGBE_MRQC_RSS_FIELD_IPV4_UDP,
  IXGBE_MRQC_RSS_FIELD_IPV6,
  IXGBE_MRQC_RSS_FIELD_IPV6_TCP,
  IXGBE_MRQC_RSS_FIELD_IPV6_UDP,
  IXGBE_MRQC_RSSEN,
  IXGBE_RAH,
  IXGBE_RAH_AV,
  IXGBE_RAL,
  IXGBE_RDBAH,
  IXGBE_RDBAL,
  IXGBE_RDH,
  IXGBE_RDLEN,
  IXGBE_RDRXCTL,
  IXGBE_RDRXCTL_CRCSTRIP,
  IXGBE_RDRXCTL_DMAIDONE,
  IXGBE_RDT,
  IXGBE_RETA,
  IXGBE_RETA_ENTRIES,
  IXGBE_RSS_KEY_LEN,
  IXGBE_RSSRK,
  IXGBE_RTTDCS,
  IXGBE_RTTDCS_ARBDIS,
  IXGBE_RXCSUM,
  IXGBE_RXCSUM_PCSD,
  IXGBE_RXCTRL,
  IXGBE_RXCTRL_RXEN,
  IXGBE_RXDCTL,
  IXGBE_RXDCTL_ENABLE,
  IXGBE_RXPBSIZE,
  IXGBE_RXPBSIZE_128KB,
  IXGBE_SRRCTL,
  IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF,
  IXGBE_SRRCTL_DESCTYPE_MASK,
  IXGBE_SRRCTL_DROP_EN,
  IXGBE_TDBAH,
  IXGBE_TDBAL,
  IXGBE_TDH,
  IXGBE_TDLEN,
  IXGBE_TDT,
  IXGBE_TXDCTL,
  IXGBE_TXDCTL_ENABLE,
  IXGBE_TXDCTL_HTHRESH_SHIFT,
  IXGBE_TXDCTL_PTHRESH_SHIFT,
  IXGBE_TXDCTL_THRESH_MASK,
  IXGBE_TXDCTL_WTHRESH_SHIFT,
  IXGBE_TXPBSIZE,
  IXGBE_TXPBSIZE_40KB,
} = regsHw;
const {
  IXGBE_ADVTXD_CMD_ONE_BUFFER,
  IXGBE_ADVTXD_PAYLEN_SHIFT,
  IXGBE_ADVTXD_STAT_DD,
  IXGBE_DESC_SIZE,
  IXGBE_RING_ALIGN,
  IXGBE_RXDADV_STAT_DD,
  IXGBE_RXDADV_STAT_EOP,
} = descHw;

/** The name ixgbe-driver reports (`DRIVER_NAME`). */
export const DRIVER_NAME = "ixgbe";
/** Descriptors per queue by default (ixgbe-driver `NUM_RX_QUEUE_ENTRIES` / `NUM_TX_QUEUE_ENTRIES`). */
export const DEFAULT_QUEUE_SIZE = 1024;
/** TX descriptors are reclaimed in batches of this many (`TX_CLEAN_BATCH`, ixgbe-82599.md §6.2). */
export const TX_CLEAN_BATCH = 32;
/** The Microsoft RSS verification key, used when RSS is enabled without a key of one's own. */
export const DEFAULT_RSS_KEY: readonly number[] = [
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca,
  0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b,
  0xbe, 0xac, 0x01, 0xfa,
];

const MS = 1_000_000;
/** Smallest register window that holds every register the driver uses (EEC at 0x10010). */
const MIN_BAR0_SIZE = 0x20000;

/** Options of {@link IxgbeDevice.init}. */
export interface IxgbeDeviceOptions {
  /** RX queues (1..64). */
  numRxQueues?: number;
  /** TX queues (1..64). */
  numTxQueues?: number;
  /** Descriptors per queue: a power of two, 8..32768 (default 1024, the Rust QS). */
  queueSize?: number;
  /** How long to wait for the link after bring-up (default 10 s, as ixy). A link still down is not an error. */
  linkTimeoutNs?: number;
  /** Pause after the global reset (default 10 ms, as the C ixy). */
  resetSettleNs?: number;
}

/** Statistics of an 82599 (ixgbe-driver's `DeviceStats` plus the missed and driver-dropped counts). */
export interface IxgbeStats {
  /** Good packets received (GPRC). */
  rxPackets: number;
  /** Good packets transmitted (GPTC). */
  txPackets: number;
  /** Good octets received (GORC, frame and FCS). */
  rxBytes: number;
  /** Good octets transmitted (GOTC). */
  txBytes: number;
  /** Packets missed for lack of descriptors (MPC(0..7)). */
  rxMissed: number;
  /** Frames the driver dropped because the device's write-back was not credible (bad length, no EOP). */
  rxErrors: number;
}

/** A fresh, zeroed {@link IxgbeStats}. */
export function emptyStats(): IxgbeStats {
  return { rxPackets: 0, txPackets: 0, rxBytes: 0, txBytes: 0, rxMissed: 0, rxErrors: 0 };
}

class RxQueue {
  /** Entry ids posted to each descriptor. */
  readonly bufs: Int32Array;
  readonly mask: number;
  /** Next descriptor to look at. */
  rxIndex = 0;
  /** The value last written to RDT: hardware owns [RDH, tail), the driver never reads descriptor `tail`. */
  tail: number;
  /** Inside a frame that spans descriptors (DD without EOP): its descriptors are dropped up to EOP. */
  discarding = false;
  constructor(
    readonly id: number,
    readonly ring: DmaRegion,
    /** Index of descriptor 0 in the 32-bit view of memory. */
    readonly descWord: number,
    readonly size: number,
    readonly rdt: number,
  ) {
    this.bufs = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    this.tail = 0;
  }
}

class TxQueue {
  /** Entry id posted to each descriptor (-1: none). */
  readonly bufs: Int32Array;
  readonly mask: number;
  readonly cleanBatch: number;
  txIndex = 0;
  cleanIndex = 0;
  constructor(
    readonly id: number,
    readonly ring: DmaRegion,
    readonly descWord: number,
    readonly size: number,
    readonly tdt: number,
  ) {
    this.bufs = new Int32Array(size).fill(-1);
    this.mask = size - 1;
    // ixy cleans in batches of 32; a queue too small for that cleans half of itself at a time
    this.cleanBatch = Math.min(TX_CLEAN_BATCH, size >> 1);
  }
}

function isPowerOfTwo(n: number): boolean {
  return Number.isInteger(n) && n > 0 && (n & (n - 1)) === 0;
}

/**
 * The Intel 82599 driver of the ixgbe-driver crate (derived from ixy), for one PF: the datasheet bring-up
 * (82599 datasheet 4.6.3 - 4.6.8), queues of advanced descriptors over a shared {@link MemPool}, batch
 * receive and transmit with DD-based clean-up of sent descriptors in batches of 32, statistics.
 *
 * It trusts nothing the device writes: a write-back length beyond the buffer (or 0), or DD without EOP,
 * drops the frame (its buffer goes straight back to the ring) and counts it in `rxErrors`; the descriptor
 * at the tail, which the device does not own, is never read, and is armed again (DD clear) when it is
 * handed over. The data path allocates nothing and throws nothing.
 */
export class IxgbeDevice {
  /** Number of RX queues. */
  readonly numRxQueues: number;
  /** Number of TX queues. */
  readonly numTxQueues: number;
  /** Descriptors per queue. */
  readonly queueSize: number;
  /** The pool every queue takes its buffers from. */
  readonly pool: MemPool;
  /** Frames dropped because the device's write-back was not credible. */
  rxErrors = 0;
  /** Receive batches cut short because the pool was empty. */
  rxNoBuffer = 0;
  private readonly hal: Hal;
  private readonly regs: MmioRegion;
  private readonly u32: Uint32Array;
  private readonly rxQueues: RxQueue[] = [];
  private readonly txQueues: TxQueue[] = [];
  private readonly entrySize: number;
  private readonly memBase: number;
  /** RAM's base address: low half as an int32, high half; whether RAM stays inside one 4 GiB window. */
  private readonly memBaseLoI32: number;
  private readonly memBaseHi: number;
  private readonly memIn4G: boolean;

  private constructor(hal: Hal, regs: MmioRegion, pool: MemPool, rx: number, tx: number, qs: number) {
    this.hal = hal;
    this.regs = regs;
    this.pool = pool;
    this.numRxQueues = rx;
    this.numTxQueues = tx;
    this.queueSize = qs;
    this.u32 = hal.memory.u32;
    this.memBase = hal.memory.base;
    this.memBaseLoI32 = (hal.memory.base % TWO32) | 0;
    this.memBaseHi = Math.floor(hal.memory.base / TWO32);
    // then a buffer's physical address is (high half, low half + offset) in 32-bit integer arithmetic
    this.memIn4G = (hal.memory.base % TWO32) + hal.memory.size <= TWO32;
    this.entrySize = pool.entrySize;
  }

  /**
   * Resets and brings up the device behind the register window `regs` (BAR0), as `IxgbeDevice::init`.
   * Queue counts outside 1..64, a queue size that is not a power of two, or a window too small are
   * `InvalidParam`; a reset, EEPROM or DMA-init that never completes is `Again` (timed out); an exhausted
   * pool or DMA memory is `NoMemory`.
   */
  static init(
    hal: Hal,
    regs: MmioRegion,
    pool: MemPool,
    options: IxgbeDeviceOptions = {},
  ): DevResult<IxgbeDevice> {
    const rx = options.numRxQueues ?? 1;
    const tx = options.numTxQueues ?? 1;
    const qs = options.queueSize ?? DEFAULT_QUEUE_SIZE;
    if (
      !Number.isInteger(rx) ||
      !Number.isInteger(tx) ||
      rx < 1 ||
      tx < 1 ||
      rx > IXGBE_DRIVER_MAX_QUEUES ||
      tx > IXGBE_DRIVER_MAX_QUEUES
    ) {
      return DevError.withDetail(
        "InvalidParam",
        `queue counts ${rx}/${tx} outside 1..${IXGBE_DRIVER_MAX_QUEUES}`,
      );
    }
    // ixgbe-driver: "number of queue entries must be a power of 2"; 8 descriptors make the 128-byte minimum
    if (!isPowerOfTwo(qs) || qs < 8 || qs > 32768) {
      return DevError.withDetail("InvalidParam", `queue size ${qs} is not a power of two in 8..32768`);
    }
    if (regs.size < MIN_BAR0_SIZE) {
      return DevError.withDetail(
        "InvalidParam",
        `register window of ${regs.size} bytes is too small for an 82599`,
      );
    }
    log.info(
      "ixgbe",
      `initializing ixgbe device: ${rx} rx queues, ${tx} tx queues of ${qs} descriptors, pool of ${pool.entries}`,
    );
    const dev = new IxgbeDevice(hal, regs, pool, rx, tx, qs);
    const r = dev.resetAndInit(options);
    if (r instanceof DevError) {
      dev.release();
      return r;
    }
    return dev;
  }

  // ====================================================================== registers

  private get(reg: number): number {
    return this.regs.read32(reg);
  }
  private set(reg: number, value: number): void {
    this.regs.write32(reg, value >>> 0);
  }
  private setFlags(reg: number, flags: number): void {
    this.set(reg, this.get(reg) | flags);
  }
  private clearFlags(reg: number, flags: number): void {
    this.set(reg, this.get(reg) & ~flags);
  }
  private waitSet(reg: number, mask: number, what: string, timeoutNs = 1000 * MS): DevResult<void> {
    return this.hal.waitUntil(() => (this.get(reg) & mask) === mask, timeoutNs, what);
  }
  private waitClear(reg: number, mask: number, what: string, timeoutNs = 1000 * MS): DevResult<void> {
    return this.hal.waitUntil(() => (this.get(reg) & mask) === 0, timeoutNs, what);
  }

  // ====================================================================== bring-up

  private resetAndInit(options: IxgbeDeviceOptions): DevResult<void> {
    log.info("ixgbe", "resetting device");
    // 82599 datasheet 4.6.3.1: disable all interrupts
    this.disableInterrupts();
    // 4.6.3.2: global reset (link reset too), then wait for it to clear and settle
    this.set(IXGBE_CTRL, IXGBE_CTRL_RST_MASK);
    let r = this.waitClear(IXGBE_CTRL, IXGBE_CTRL_RST_MASK, "CTRL.RST to clear after the global reset");
    if (r instanceof DevError) return r;
    this.hal.sleep(options.resetSettleNs ?? 10 * MS);
    // 4.6.3.1: disable interrupts again after the reset
    this.disableInterrupts();
    // 4.6.3: wait for the EEPROM auto-read (it loads RAL/RAH(0)) and for DMA init
    r = this.waitSet(IXGBE_EEC, IXGBE_EEC_ARD, "EEC.ARD (EEPROM auto-read done)");
    if (r instanceof DevError) return r;
    r = this.waitSet(IXGBE_RDRXCTL, IXGBE_RDRXCTL_DMAIDONE, "RDRXCTL.DMAIDONE (DMA init done)");
    if (r instanceof DevError) return r;
    // (ixgbe-driver reads the MAC before these waits; after the auto-read it is the EEPROM's for sure)
    if (log.debugOn) log.debug("ixgbe", `mac address: ${formatMac(this.macAddr())}`);
    // skip the last step of 4.6.3 (interrupt enable): polling mode, as ixy
    // 4.6.4: link setup (auto-negotiation); the link is awaited at the end
    this.initLink();
    // 4.6.5: statistics are clear-on-read: read them once
    this.resetStats();
    // 4.6.7 / 4.6.8: receive and transmit
    r = this.initRx();
    if (r instanceof DevError) return r;
    r = this.initTx();
    if (r instanceof DevError) return r;
    for (let i = 0; i < this.numRxQueues; i++) {
      r = this.startRxQueue(i);
      if (r instanceof DevError) return r;
    }
    for (let i = 0; i < this.numTxQueues; i++) {
      r = this.startTxQueue(i);
      if (r instanceof DevError) return r;
    }
    // promiscuous by default, as ixy ("to make testing easier")
    this.setPromisc(true);
    this.waitForLink(options.linkTimeoutNs ?? 10_000 * MS);
    log.info("ixgbe", "success to initialize and reset Intel 10G NIC regs");
    return undefined;
  }

  /** Masks every interrupt cause (EIMC) and clears pending causes (read EICR) — 82599 datasheet 4.6.3.1. */
  private disableInterrupts(): void {
    this.set(IXGBE_EIMC, IXGBE_IRQ_CLEAR_MASK);
    this.get(IXGBE_EICR);
  }

  /** 82599 datasheet 4.6.4: 10G serial link mode, XAUI PMA/PMD, restart auto-negotiation. */
  private initLink(): void {
    this.set(IXGBE_AUTOC, (this.get(IXGBE_AUTOC) & ~IXGBE_AUTOC_LMS_MASK) | IXGBE_AUTOC_LMS_10G_SERIAL);
    this.set(IXGBE_AUTOC, (this.get(IXGBE_AUTOC) & ~IXGBE_AUTOC_10G_PMA_PMD_MASK) | IXGBE_AUTOC_10G_XAUI);
    this.setFlags(IXGBE_AUTOC, IXGBE_AUTOC_AN_RESTART);
  }

  /** Reads the clear-on-read counters once (82599 datasheet 4.6.5). */
  resetStats(): void {
    this.get(IXGBE_GPRC);
    this.get(IXGBE_GPTC);
    this.get(IXGBE_GORCL);
    this.get(IXGBE_GORCH);
    this.get(IXGBE_GOTCL);
    this.get(IXGBE_GOTCH);
    for (let i = 0; i < 8; i++) this.get(IXGBE_MPC(i));
  }

  /** 82599 datasheet 4.6.7: receive init. */
  private initRx(): DevResult<void> {
    // disable RX while re-configuring it
    this.clearFlags(IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
    // 4.6.11.3.4: all queues and traffic to packet buffer 0
    this.set(IXGBE_RXPBSIZE(0), IXGBE_RXPBSIZE_128KB);
    for (let i = 1; i < 8; i++) this.set(IXGBE_RXPBSIZE(i), 0);
    // CRC offload: strip in the MAC and in DMA (the two must agree)
    this.setFlags(IXGBE_HLREG0, IXGBE_HLREG0_RXCRCSTRP);
    this.setFlags(IXGBE_RDRXCTL, IXGBE_RDRXCTL_CRCSTRIP);
    // accept broadcast
    this.setFlags(IXGBE_FCTRL, IXGBE_FCTRL_BAM);
    const ringBytes = this.queueSize * IXGBE_DESC_SIZE;
    for (let i = 0; i < this.numRxQueues; i++) {
      log.debug("ixgbe", `initializing rx queue ${i}`);
      // advanced descriptors, one buffer; drop when no descriptor is free instead of buffering
      this.set(
        IXGBE_SRRCTL(i),
        (this.get(IXGBE_SRRCTL(i)) & ~IXGBE_SRRCTL_DESCTYPE_MASK) | IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF,
      );
      this.setFlags(IXGBE_SRRCTL(i), IXGBE_SRRCTL_DROP_EN);
      // 7.1.9: the descriptor ring (zeroed DMA memory)
      const ring = this.hal.dmaAlloc(ringBytes, IXGBE_RING_ALIGN);
      if (ring instanceof DevError) return ring;
      const q = new RxQueue(i, ring, ring.offset >>> 2, this.queueSize, IXGBE_RDT(i));
      this.rxQueues.push(q);
      this.set(IXGBE_RDBAL(i), ring.paddr >>> 0);
      this.set(IXGBE_RDBAH(i), Math.floor(ring.paddr / 0x1_0000_0000));
      this.set(IXGBE_RDLEN(i), ringBytes);
      if (log.debugOn) log.debug("ixgbe", `rx ring ${i} phys addr: 0x${ring.paddr.toString(16)}`);
      // the ring starts empty
      this.set(IXGBE_RDH(i), 0);
      this.set(IXGBE_RDT(i), 0);
    }
    // last sentence of 4.6.7: set some magic bits
    this.setFlags(IXGBE_CTRL_EXT, IXGBE_CTRL_EXT_NS_DIS);
    // probably a broken feature: this bit comes up as 1 but has to be 0 (ixy)
    for (let i = 0; i < this.numRxQueues; i++) this.clearFlags(IXGBE_DCA_RXCTRL(i), IXGBE_DCA_RXCTRL_BIT12);
    // start RX
    this.setFlags(IXGBE_RXCTRL, IXGBE_RXCTRL_RXEN);
    return undefined;
  }

  /** 82599 datasheet 4.6.8: transmit init. */
  private initTx(): DevResult<void> {
    // CRC offload and small-packet padding
    this.setFlags(IXGBE_HLREG0, IXGBE_HLREG0_TXCRCEN | IXGBE_HLREG0_TXPADEN);
    // 4.6.11.3.4: default buffer size allocations
    this.set(IXGBE_TXPBSIZE(0), IXGBE_TXPBSIZE_40KB);
    for (let i = 1; i < 8; i++) this.set(IXGBE_TXPBSIZE(i), 0);
    // required when not using DCB/VTd
    this.set(IXGBE_DTXMXSZRQ, 0xffff);
    this.clearFlags(IXGBE_RTTDCS, IXGBE_RTTDCS_ARBDIS);
    const ringBytes = this.queueSize * IXGBE_DESC_SIZE;
    for (let i = 0; i < this.numTxQueues; i++) {
      log.debug("ixgbe", `initializing tx queue ${i}`);
      // 7.1.9: the descriptor ring
      const ring = this.hal.dmaAlloc(ringBytes, IXGBE_RING_ALIGN);
      if (ring instanceof DevError) return ring;
      this.txQueues.push(new TxQueue(i, ring, ring.offset >>> 2, this.queueSize, IXGBE_TDT(i)));
      this.set(IXGBE_TDBAL(i), ring.paddr >>> 0);
      this.set(IXGBE_TDBAH(i), Math.floor(ring.paddr / 0x1_0000_0000));
      this.set(IXGBE_TDLEN(i), ringBytes);
      // write-back thresholds (7.2.3.4.1, 7.2.3.5): DPDK's PTHRESH 36, HTHRESH 8, WTHRESH 4
      let txdctl = this.get(IXGBE_TXDCTL(i)) & ~IXGBE_TXDCTL_THRESH_MASK;
      txdctl |=
        (36 << IXGBE_TXDCTL_PTHRESH_SHIFT) |
        (8 << IXGBE_TXDCTL_HTHRESH_SHIFT) |
        (4 << IXGBE_TXDCTL_WTHRESH_SHIFT);
      this.set(IXGBE_TXDCTL(i), txdctl);
    }
    // final step: enable DMA
    this.set(IXGBE_DMATXCTL, IXGBE_DMATXCTL_TE);
    return undefined;
  }

  /** Fills RX queue `i` with buffers and enables it; RDT = N-1: the ring starts full (ixy). */
  private startRxQueue(i: number): DevResult<void> {
    log.debug("ixgbe", `starting rx queue ${i}`);
    const q = this.rxQueues[i]!;
    const pool = this.pool;
    const u32 = this.u32;
    for (let d = 0; d < q.size; d++) {
      const id = pool.allocBuf(PacketState.RxRing);
      if (id < 0) return DevError.withDetail("NoMemory", `mempool exhausted filling rx queue ${i}`);
      q.bufs[d] = id;
      const w = q.descWord + d * 4;
      u32[w] = pool.physLo[id]!;
      u32[w + 1] = pool.physHi[id]!;
      u32[w + 2] = 0;
      u32[w + 3] = 0;
    }
    this.setFlags(IXGBE_RXDCTL(i), IXGBE_RXDCTL_ENABLE);
    const r = this.waitSet(IXGBE_RXDCTL(i), IXGBE_RXDCTL_ENABLE, `RXDCTL(${i}).ENABLE`);
    if (r instanceof DevError) return r;
    this.set(IXGBE_RDH(i), 0);
    this.set(IXGBE_RDT(i), q.size - 1);
    q.tail = q.size - 1;
    q.rxIndex = 0;
    return undefined;
  }

  /** Enables TX queue `i`: it starts empty (TDH = TDT = 0). */
  private startTxQueue(i: number): DevResult<void> {
    log.debug("ixgbe", `starting tx queue ${i}`);
    this.set(IXGBE_TDH(i), 0);
    this.set(IXGBE_TDT(i), 0);
    this.setFlags(IXGBE_TXDCTL(i), IXGBE_TXDCTL_ENABLE);
    return this.waitSet(IXGBE_TXDCTL(i), IXGBE_TXDCTL_ENABLE, `TXDCTL(${i}).ENABLE`);
  }

  /** Polls LINKS until the link is up or `timeoutNs` passed (a link still down is logged, not an error). */
  private waitForLink(timeoutNs: number): void {
    log.info("ixgbe", "waiting for link");
    const r = this.hal.waitUntil(() => this.linkSpeed() !== 0, timeoutNs, "link up");
    if (r instanceof DevError) log.warn("ixgbe", `link is still down after ${timeoutNs / MS} ms`);
    log.info("ixgbe", `link speed is ${this.linkSpeed()} Mbit/s`);
  }

  /** After a failed bring-up: stop the device's DMA (global reset), then give rings and buffers back. */
  private release(): void {
    this.set(IXGBE_CTRL, IXGBE_CTRL_RST_MASK);
    for (const q of this.rxQueues) {
      for (let d = 0; d < q.size; d++) if (q.bufs[d]! >= 0) this.pool.releaseFromRing(q.bufs[d]!);
      this.hal.dmaDealloc(q.ring);
    }
    for (const q of this.txQueues) this.hal.dmaDealloc(q.ring);
    this.rxQueues.length = 0;
    this.txQueues.length = 0;
  }

  // ====================================================================== control

  /** The driver's name, as ixgbe-driver reports it. */
  driverName(): string {
    return DRIVER_NAME;
  }

  /** Link speed in Mbit/s from LINKS; 0 when the link is down. */
  linkSpeed(): number {
    const links = this.get(IXGBE_LINKS);
    if ((links & IXGBE_LINKS_UP) === 0) return 0;
    switch (links & IXGBE_LINKS_SPEED_82599) {
      case IXGBE_LINKS_SPEED_100_82599:
        return 100;
      case IXGBE_LINKS_SPEED_1G_82599:
        return 1000;
      case IXGBE_LINKS_SPEED_10G_82599:
        return 10000;
      default:
        return 0;
    }
  }

  /** The MAC address in RAL(0)/RAH(0). */
  macAddr(): Uint8Array {
    const low = this.get(IXGBE_RAL(0));
    const high = this.get(IXGBE_RAH(0));
    return Uint8Array.of(
      low & 0xff,
      (low >>> 8) & 0xff,
      (low >>> 16) & 0xff,
      low >>> 24,
      high & 0xff,
      (high >>> 8) & 0xff,
    );
  }

  /** Sets RAL(0)/RAH(0) (with the address-valid bit, which the Rust driver leaves out). */
  setMacAddr(mac: ArrayLike<number>): DevResult<void> {
    if (mac.length !== 6) return DevError.withDetail("InvalidParam", "a MAC address has 6 bytes");
    this.set(IXGBE_RAL(0), mac[0]! | (mac[1]! << 8) | (mac[2]! << 16) | (mac[3]! << 24));
    this.set(IXGBE_RAH(0), mac[4]! | (mac[5]! << 8) | IXGBE_RAH_AV);
    return undefined;
  }

  /** Promiscuous mode on (FCTRL.MPE | UPE) or off. */
  setPromisc(enabled: boolean): void {
    log.info("ixgbe", enabled ? "enabling promisc mode" : "disabling promisc mode");
    if (enabled) this.setFlags(IXGBE_FCTRL, IXGBE_FCTRL_MPE | IXGBE_FCTRL_UPE);
    else this.clearFlags(IXGBE_FCTRL, IXGBE_FCTRL_MPE | IXGBE_FCTRL_UPE);
  }

  /**
   * Spreads received flows over RX queues `0..queues-1` with receive-side scaling (82599 datasheet 7.1.2.8;
   * not part of ixy): the 40-byte `key` (default: the Microsoft verification key) into RSSRK, a redirection
   * table that deals the queues round-robin, MRQC with RSS and the IPv4/IPv6 TCP/UDP hash fields, and
   * RXCSUM.PCSD so descriptors carry the hash. At most 16 queues (the RETA index has 4 bits).
   */
  enableRss(queues: number = this.numRxQueues, key: ArrayLike<number> = DEFAULT_RSS_KEY): DevResult<void> {
    if (!Number.isInteger(queues) || queues < 1 || queues > Math.min(16, this.numRxQueues)) {
      return DevError.withDetail(
        "InvalidParam",
        `RSS over ${queues} queues (this device has ${this.numRxQueues})`,
      );
    }
    if (key.length !== IXGBE_RSS_KEY_LEN)
      return DevError.withDetail("InvalidParam", "an RSS key has 40 bytes");
    for (let i = 0; i < IXGBE_RSS_KEY_LEN / 4; i++) {
      this.set(
        IXGBE_RSSRK(i),
        key[4 * i]! | (key[4 * i + 1]! << 8) | (key[4 * i + 2]! << 16) | (key[4 * i + 3]! << 24),
      );
    }
    for (let i = 0; i < IXGBE_RETA_ENTRIES / 4; i++) {
      let w = 0;
      for (let k = 0; k < 4; k++) w |= ((4 * i + k) % queues) << (8 * k);
      this.set(IXGBE_RETA(i), w);
    }
    this.setFlags(IXGBE_RXCSUM, IXGBE_RXCSUM_PCSD);
    this.set(
      IXGBE_MRQC,
      IXGBE_MRQC_RSSEN |
        IXGBE_MRQC_RSS_FIELD_IPV4 |
        IXGBE_MRQC_RSS_FIELD_IPV4_TCP |
        IXGBE_MRQC_RSS_FIELD_IPV4_UDP |
        IXGBE_MRQC_RSS_FIELD_IPV6 |
        IXGBE_MRQC_RSS_FIELD_IPV6_TCP |
        IXGBE_MRQC_RSS_FIELD_IPV6_UDP,
    );
    return undefined;
  }

  /**
   * Adds the clear-on-read counters to `stats` (as ixgbe-driver's `read_stats`, which accumulates) and
   * the driver's own drop count since the last call.
   */
  readStats(stats: IxgbeStats): void {
    stats.rxPackets += this.get(IXGBE_GPRC);
    stats.txPackets += this.get(IXGBE_GPTC);
    stats.rxBytes += this.get(IXGBE_GORCL) + this.get(IXGBE_GORCH) * 0x1_0000_0000;
    stats.txBytes += this.get(IXGBE_GOTCL) + this.get(IXGBE_GOTCH) * 0x1_0000_0000;
    for (let i = 0; i < 8; i++) stats.rxMissed += this.get(IXGBE_MPC(i));
    stats.rxErrors += this.rxErrors;
    this.rxErrors = 0;
  }

  // ====================================================================== data path

  /** Whether RX queue `q` has a received descriptor waiting. */
  canReceive(q: number): boolean {
    const rq = this.rxQueues[q];
    if (rq === undefined || rq.rxIndex === rq.tail) return false;
    return (this.u32[rq.descWord + rq.rxIndex * 4 + 2]! & IXGBE_RXDADV_STAT_DD) !== 0;
  }

  /** Whether TX queue `q` has a free descriptor (after reclaiming what the device has sent). */
  canSend(q: number): boolean {
    const tq = this.txQueues[q];
    if (tq === undefined) return false;
    this.cleanTx(tq);
    return ((tq.txIndex + 1) & tq.mask) !== tq.cleanIndex;
  }

  /**
   * Receives up to `max` packets from RX queue `queueId` into `out[outStart..]` (ixy `rx_batch`,
   * ixgbe-82599.md §6.1); returns how many (0 when nothing has arrived). Each received buffer is replaced
   * in its descriptor by a fresh one from the pool; RDT is written once, to the last descriptor processed.
   * An unknown queue is `InvalidParam`.
   */
  receivePackets(queueId: number, out: NetBufPtr[], outStart: number, max: number): DevResult<number> {
    const rq = this.rxQueues[queueId];
    if (rq === undefined) return DevError.InvalidParam;
    const u32 = this.u32;
    const pool = this.pool;
    const physLo = pool.physLo;
    const physHi = pool.physHi;
    const bufs = rq.bufs;
    const mask = rq.mask;
    const base = rq.descWord;
    const tail = rq.tail;
    const entrySize = this.entrySize;
    let idx = rq.rxIndex;
    let last = -1;
    let n = 0;
    let discarding = rq.discarding;
    while (n < max && idx !== tail) {
      const d = base + idx * 4;
      const status = u32[d + 2]!;
      if ((status & IXGBE_RXDADV_STAT_DD) === 0) break;
      const len = u32[d + 3]! & 0xffff;
      let id = bufs[idx]!;
      if ((status & IXGBE_RXDADV_STAT_EOP) !== 0 && !discarding && len !== 0 && len <= entrySize) {
        // a whole frame with a credible length: to the user, a fresh buffer into the descriptor
        const fresh = pool.allocBuf(RX_RING);
        if (fresh < 0) {
          this.rxNoBuffer++;
          break;
        }
        out[outStart + n] = pool.handOut(id, len);
        n++;
        bufs[idx] = fresh;
        id = fresh;
      } else if ((status & IXGBE_RXDADV_STAT_EOP) === 0) {
        // a frame over several descriptors: ixy refuses them ("increase buffer size or decrease MTU");
        // here it is dropped, descriptor by descriptor, up to its EOP, and counted once
        if (!discarding) this.rxErrors++;
        discarding = true;
      } else if (discarding) {
        discarding = false; // the EOP descriptor of a dropped frame
      } else {
        this.rxErrors++; // length 0 or beyond the buffer
      }
      // (re)arm the descriptor: packet address, and hdr_addr 0 which clears DD
      u32[d] = physLo[id]!;
      u32[d + 1] = physHi[id]!;
      u32[d + 2] = 0;
      u32[d + 3] = 0;
      last = idx;
      idx = (idx + 1) & mask;
    }
    rq.discarding = discarding;
    if (last >= 0) {
      // The old tail descriptor passes to the device with this RDT write. It was re-armed when it was
      // processed, but it has been the driver's since: arm it again, so that every descriptor the device
      // gets has DD clear and a DD seen later was really written by the device.
      const t = tail;
      const dt = base + t * 4;
      const idT = bufs[t]!;
      u32[dt] = physLo[idT]!;
      u32[dt + 1] = physHi[idT]!;
      u32[dt + 2] = 0;
      u32[dt + 3] = 0;
      this.regs.write32(rq.rdt, last);
      rq.tail = last;
      rq.rxIndex = idx;
    }
    return n;
  }

  /**
   * Queues `bufs[start..start+count)` on TX queue `queueId` (ixy `tx_batch`, ixgbe-82599.md §6.2): first
   * reclaims sent descriptors in batches of 32, then fills one advanced data descriptor per packet and
   * writes TDT once. Returns how many were queued (fewer when the ring fills). A buffer that is not a held
   * buffer of this device's pool stops the batch; it is reported (`InvalidParam`/`BadState`) when it is the
   * first, else on the next call.
   */
  sendPackets(queueId: number, bufs: readonly NetBufPtr[], start: number, count: number): DevResult<number> {
    const tq = this.txQueues[queueId];
    if (tq === undefined) return DevError.InvalidParam;
    this.cleanTx(tq);
    const pool = this.pool;
    const mask = tq.mask;
    const clean = tq.cleanIndex;
    // MemPool.checkHeld and fillTxDescriptor written out in the loop (no call per packet)
    const state = pool.state;
    const ptrs = pool.ptrTable;
    const poolBase = pool.base;
    const shift = pool.shift;
    const entries = pool.entries;
    const entrySize = this.entrySize;
    const u32 = this.u32;
    const memBase = this.memBase;
    const memIn4G = this.memIn4G;
    const baseLo = this.memBaseLoI32;
    const baseHi = this.memBaseHi;
    const descWord = tq.descWord;
    const txBufs = tq.bufs;
    let idx = tq.txIndex;
    let i = 0;
    let err = 0;
    for (; i < count; i++) {
      const next = (idx + 1) & mask;
      if (next === clean) break;
      const ptr = bufs[start + i]!;
      // the user's buffer: this pool's own pointer (identity with the entry its offset falls in), held by
      // the user, its bytes inside the entry, not empty
      const off = ptr.offset;
      const len = ptr.len;
      const rel = off - poolBase;
      const id = rel >>> shift;
      if (
        !(rel >= 0 && id < entries && ptrs[id] === ptr && state[id] === HELD) ||
        !(len > 0 && rel + len <= (id + 1) * entrySize)
      ) {
        const code = pool.checkHeld(ptr); // the exact reason (slow path)
        err = code < 0 ? code : 1;
        break;
      }
      // advanced data descriptor (ixgbe-82599.md §5.3): address, EOP | IFCS | RS | DEXT | DTYP data | len,
      // PAYLEN = len and STA 0 (clears a DD left from the last round)
      const d = descWord + idx * 4;
      if (memIn4G) {
        u32[d] = (baseLo + off) | 0;
        u32[d + 1] = baseHi;
      } else {
        const pa = memBase + off;
        u32[d] = pa >>> 0;
        u32[d + 1] = pa < TWO32 ? 0 : Math.floor(pa / TWO32);
      }
      u32[d + 2] = IXGBE_ADVTXD_CMD_ONE_BUFFER | len;
      u32[d + 3] = len << IXGBE_ADVTXD_PAYLEN_SHIFT;
      txBufs[idx] = id;
      state[id] = TX_RING;
      idx = next;
    }
    if (i > 0) {
      tq.txIndex = idx;
      this.regs.write32(tq.tdt, idx);
      return i;
    }
    if (err !== 0) {
      const ptr = bufs[start]!;
      return err === 1 ? DevError.withDetail("InvalidParam", "empty packet") : pool.errorFor(err, ptr);
    }
    return 0;
  }

  /**
   * Queues one packet on TX queue `queueId` and writes TDT (ixgbe-driver `send`). A full ring is
   * `ResourceBusy` (the Rust `QueueFull`); a buffer the driver does not own is `InvalidParam`/`BadState`.
   */
  send(queueId: number, ptr: NetBufPtr): DevResult<void> {
    const tq = this.txQueues[queueId];
    if (tq === undefined) return DevError.InvalidParam;
    this.cleanTx(tq);
    const pool = this.pool;
    const id = pool.checkHeld(ptr);
    if (id < 0) return pool.errorFor(id, ptr);
    if (ptr.len === 0) return DevError.withDetail("InvalidParam", "empty packet");
    const next = (tq.txIndex + 1) & tq.mask;
    if (next === tq.cleanIndex) return DevError.ResourceBusy;
    this.fillTxDescriptor(tq, tq.txIndex, id, ptr);
    tq.txIndex = next;
    this.regs.write32(tq.tdt, next);
    return undefined;
  }

  /** Advanced data descriptor (ixgbe-82599.md §5.3): EOP | IFCS | RS | DEXT | DTYP data | len; PAYLEN = len. */
  private fillTxDescriptor(tq: TxQueue, idx: number, id: number, ptr: NetBufPtr): void {
    const u32 = this.u32;
    const len = ptr.len;
    // the pointer's offset is into the whole DMA memory: its physical address is the memory's base plus it
    const pa = this.memBase + ptr.offset;
    const d = tq.descWord + idx * 4;
    u32[d] = pa >>> 0;
    u32[d + 1] = pa < 0x1_0000_0000 ? 0 : Math.floor(pa / 0x1_0000_0000);
    u32[d + 2] = IXGBE_ADVTXD_CMD_ONE_BUFFER | len;
    u32[d + 3] = len << IXGBE_ADVTXD_PAYLEN_SHIFT; // STA 0: clears a DD left from the last round
    tq.bufs[idx] = id;
    this.pool.state[id] = TX_RING;
  }

  /** Reclaims the buffers of sent descriptors of TX queue `queueId` (ixgbe-driver `recycle_tx_buffers`). */
  recycleTxBuffers(queueId: number): DevResult<void> {
    const tq = this.txQueues[queueId];
    if (tq === undefined) return DevError.InvalidParam;
    this.cleanTx(tq);
    return undefined;
  }

  /**
   * ixy's clean-up (ixgbe-82599.md §6.2): while at least a batch is outstanding, look at DD of the batch's
   * last descriptor only; if set, the whole batch goes back to the pool.
   */
  private cleanTx(tq: TxQueue): void {
    const u32 = this.u32;
    const pool = this.pool;
    const mask = tq.mask;
    const batch = tq.cleanBatch;
    const bufs = tq.bufs;
    let clean = tq.cleanIndex;
    for (;;) {
      const cleanable = (tq.txIndex - clean) & mask;
      if (cleanable < batch) break;
      const to = (clean + batch - 1) & mask;
      if ((u32[tq.descWord + to * 4 + 3]! & IXGBE_ADVTXD_STAT_DD) === 0) break;
      for (let k = 0; k < batch; k++) {
        const i = (clean + k) & mask;
        const id = bufs[i]!;
        if (id >= 0) {
          pool.releaseFromRing(id);
          bufs[i] = -1;
        }
      }
      clean = (to + 1) & mask;
    }
    tq.cleanIndex = clean;
  }

  /** Descriptors of TX queue `q` not yet reclaimed. */
  txInFlight(q: number): number {
    const tq = this.txQueues[q];
    return tq === undefined ? 0 : (tq.txIndex - tq.cleanIndex) & tq.mask;
  }
}

function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join(":");
}
