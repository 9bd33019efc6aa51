import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import type { PhysicalMemory } from "../../hal/phys-memory.js";
import * as descHw from "../../hw/ixgbe/descriptors.js";
import { IXGBE_BAR0_SIZE } from "../../hw/ixgbe/ids.js";
import * as regsHw from "../../hw/ixgbe/regs.js";
import {
  type FrameSink,
  type NicModel,
  NicPort,
  MIN_FRAME_LEN as PORT_MIN_FRAME_LEN,
} from "../frame-port.js";
import { ProtocolChecker } from "../model-error.js";
import { RssEngine } from "./rss.js";

// The hw/ constants as this module's own `const`s: V8 (Node 20) embeds a module's own constants in optimised
// code, but loads and hole-checks an imported binding at every use (the data path uses dozens per frame).
const MIN_FRAME_LEN = PORT_MIN_FRAME_LEN;
const {
  IXGBE_AUTOC,
  IXGBE_AUTOC_10G_KX4,
  IXGBE_AUTOC_AN_RESTART,
  IXGBE_AUTOC_FLU,
  IXGBE_AUTOC_LMS_KX4_KX_KR,
  IXGBE_AUTOC_LMS_MASK,
  IXGBE_AUTOC_LMS_SHIFT,
  IXGBE_BPRC,
  IXGBE_BPTC,
  IXGBE_CRCERRS,
  IXGBE_CTRL,
  IXGBE_CTRL_LNK_RST,
  IXGBE_CTRL_RST,
  IXGBE_CTRL_RST_MASK,
  IXGBE_DCA_RXCTRL_ALIAS_BASE,
  IXGBE_DCA_RXCTRL_BIT12,
  IXGBE_DMATXCTL,
  IXGBE_DMATXCTL_TE,
  IXGBE_DTXMXSZRQ,
  IXGBE_EEC,
  IXGBE_EEC_ARD,
  IXGBE_EEC_PRES,
  IXGBE_EIAC,
  IXGBE_EIAM,
  IXGBE_EICR,
  IXGBE_EICR_LSC,
  IXGBE_EICS,
  IXGBE_EIMC,
  IXGBE_EIMS,
  IXGBE_FCTRL,
  IXGBE_FCTRL_BAM,
  IXGBE_FCTRL_MPE,
  IXGBE_FCTRL_UPE,
  IXGBE_GORCH,
  IXGBE_GORCL,
  IXGBE_GOTCH,
  IXGBE_GOTCL,
  IXGBE_GPIE,
  IXGBE_GPIE_EIAME,
  IXGBE_GPIE_MSIX_MODE,
  IXGBE_GPRC,
  IXGBE_GPTC,
  IXGBE_HLREG0,
  IXGBE_HLREG0_JUMBOEN,
  IXGBE_HLREG0_LPBK,
  IXGBE_HLREG0_RXCRCSTRP,
  IXGBE_HLREG0_TXCRCEN,
  IXGBE_HLREG0_TXPADEN,
  IXGBE_IVAR_ALLOC_VAL,
  IXGBE_IVAR_MISC,
  IXGBE_LINKS,
  IXGBE_LINKS_SPEED_1G_82599,
  IXGBE_LINKS_SPEED_10G_82599,
  IXGBE_LINKS_UP,
  IXGBE_MAX_RX_QUEUES,
  IXGBE_MAX_TX_QUEUES,
  IXGBE_MHADD,
  IXGBE_MHADD_MFS_SHIFT,
  IXGBE_MPRC,
  IXGBE_MPTC,
  IXGBE_MRQC,
  IXGBE_MRQC_MRQE_MASK,
  IXGBE_MRQC_RSSEN,
  IXGBE_NUM_QUEUE_STATS,
  IXGBE_NUM_RAR,
  IXGBE_RAH,
  IXGBE_RAH_AV,
  IXGBE_RAL,
  IXGBE_RDRXCTL,
  IXGBE_RDRXCTL_CRCSTRIP,
  IXGBE_RDRXCTL_DMAIDONE,
  IXGBE_ROC,
  IXGBE_RTTDCS,
  IXGBE_RTTDCS_ARBDIS,
  IXGBE_RUC,
  IXGBE_RXCSUM,
  IXGBE_RXCSUM_PCSD,
  IXGBE_RXCTRL,
  IXGBE_RXCTRL_RXEN,
  IXGBE_RXDCTL_ENABLE,
  IXGBE_RXPBSIZE,
  IXGBE_RXQ_HIGH_BASE,
  IXGBE_RXQ_LOW_BASE,
  IXGBE_SRRCTL_ALIAS_BASE,
  IXGBE_SRRCTL_BSIZEPKT_MASK,
  IXGBE_SRRCTL_BSIZEPKT_SHIFT,
  IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF,
  IXGBE_SRRCTL_DESCTYPE_LEGACY,
  IXGBE_SRRCTL_DESCTYPE_MASK,
  IXGBE_STATUS,
  IXGBE_STATUS_GIO,
  IXGBE_TORH,
  IXGBE_TORL,
  IXGBE_TPR,
  IXGBE_TPT,
  IXGBE_TXDCTL_ENABLE,
  IXGBE_TXPBSIZE,
  IXGBE_TXQ_BASE,
  RXQ_DCA_RXCTRL,
  RXQ_RDBAH,
  RXQ_RDBAL,
  RXQ_RDH,
  RXQ_RDLEN,
  RXQ_RDT,
  RXQ_RXDCTL,
  RXQ_SRRCTL,
  TXQ_TDBAH,
  TXQ_TDBAL,
  TXQ_TDH,
  TXQ_TDLEN,
  TXQ_TDT,
  TXQ_TXDCTL,
} = regsHw;
const {
  ETH_FCS_LEN,
  ETH_MIN_FRAME_LEN,
  IXGBE_ADVTXD_DCMD_DEXT,
  IXGBE_ADVTXD_DCMD_EOP,
  IXGBE_ADVTXD_DCMD_RS,
  IXGBE_ADVTXD_DTALEN_MASK,
  IXGBE_ADVTXD_DTYP_CTXT,
  IXGBE_ADVTXD_DTYP_DATA,
  IXGBE_ADVTXD_DTYP_MASK,
  IXGBE_ADVTXD_STAT_DD,
  IXGBE_DESC_SIZE,
  IXGBE_RING_ALIGN,
  IXGBE_RXDADV_PKTTYPE_SHIFT,
  IXGBE_RXDADV_STAT_DD,
  IXGBE_RXDADV_STAT_EOP,
} = descHw;

/** What the model needs from the machine: its RAM (for DMA) and virtual time (for reset and link events). */
export interface IxgbeModelHost {
  readonly ram: PhysicalMemory;
  readonly clock: {
    now(): number;
    schedule(delayNs: number, fire: () => void): number;
    cancel(handle: number): boolean;
  };
}

/** Options of an {@link Ixgbe82599} model. */
export interface Ixgbe82599Options {
  /** The MAC address in the emulated EEPROM (loaded into RAL(0)/RAH(0)); default 00:1b:21:00:00:NN. */
  mac?: ArrayLike<number>;
  /** Throw {@link ModelError} on a driver's protocol violation (default true); else count it. */
  strict?: boolean;
  /** Write back bad lengths and DD bits on descriptors the driver never posted (default false). */
  hostile?: boolean;
  /** Seed of the hostile mode's pseudo-random choices (default 1). */
  hostileSeed?: number;
  /** In hostile mode, misbehave on about one event in this many (default 8). */
  hostileRate?: number;
  /** Time from CTRL.RST to the end of the reset (default 10 µs). */
  resetDelayNs?: number;
  /** Time from the end of a reset to EEC.ARD (EEPROM auto-read; default 1 ms). */
  eepromReadNs?: number;
  /** Time from EEC.ARD to RDRXCTL.DMAIDONE (default 100 µs). */
  dmaInitNs?: number;
  /** Time from a reset or an AUTOC restart to link up (auto-negotiation; default 100 ms). */
  linkUpDelayNs?: number;
  /** Whether a link partner answers; without one the link never comes up (default true). */
  linkPartner?: boolean;
}

const DEVICE = "82599";
const TWO32 = 0x1_0000_0000;
const RXQ_HIGH_END = IXGBE_RXQ_HIGH_BASE + 64 * 0x40;
const TXQ_END = IXGBE_TXQ_BASE + IXGBE_MAX_TX_QUEUES * 0x40;
const ALIAS_END = 16 * 4;
/** Register reset values the bring-up depends on (82599 datasheet chapter 8 defaults, as far as they matter). */
const DEFAULT_SRRCTL = (4 << 8) | 2; // BSIZEHEADER 256 B, BSIZEPACKET 2 KiB, legacy descriptors
const DEFAULT_DCA_RXCTRL = IXGBE_DCA_RXCTRL_BIT12; // "comes up as 1" (ixgbe-82599.md §3)
const DEFAULT_HLREG0 = IXGBE_HLREG0_TXCRCEN | IXGBE_HLREG0_RXCRCSTRP | IXGBE_HLREG0_TXPADEN;
const DEFAULT_MHADD = 1518 << IXGBE_MHADD_MFS_SHIFT;
const DEFAULT_AUTOC = IXGBE_AUTOC_LMS_KX4_KX_KR | IXGBE_AUTOC_10G_KX4;
const DEFAULT_RXPBSIZE0 = 0x0008_0000; // 512 KiB
const DEFAULT_TXPBSIZE0 = 0x0002_8000; // 160 KiB
const DEFAULT_DTXMXSZRQ = 0x10;
/** Largest frame the TX gather buffer holds (DTALEN is 16 bits; jumbo frames stay far below). */
const TX_GATHER_MAX = 16 * 1024;

// counters kept as such (clear-on-read registers, §7)
const S_BPRC = 0;
const S_MPRC = 1;
const S_BPTC = 2;
const S_MPTC = 3;
const S_RUC = 4;
const S_ROC = 5;
const S_CRCERRS = 6;
const S_COUNT = 7;
// counters derived from the per-queue totals: what a read returns is the total minus its base
const B_GPRC = 0;
const B_GORC = 1;
const B_GPTC = 2;
const B_GOTC = 3;
const B_TPR = 4;
const B_TOR = 5;
const B_TPT = 6;
const B_COUNT = 7;

let instances = 0;

const CRC_TABLE = (() => {
  const t = new Int32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c;
  }
  return t;
})();

/** IEEE 802.3 CRC-32 of `bytes[off..off+len)` (the FCS the model appends when CRC stripping is off). */
export function ethernetFcs(bytes: Uint8Array, off: number, len: number): number {
  let c = -1;
  for (let i = off; i < off + len; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/**
 * A register-level model of an Intel 82599 10 GbE physical function: the BAR0 registers (as an
 * {@link MmioHandler}), 128 RX and 128 TX descriptor queues with advanced (and legacy) descriptors, DMA
 * into and out of the machine's RAM, a link (a {@link NicPort}) that comes up after emulated
 * auto-negotiation, receive-side scaling, clear-on-read statistics and interrupt causes.
 *
 * It moves traffic on doorbells: a TDT write sends the descriptors from TDH to TDT to the link at once
 * (write-back DD, TDH advances); a frame from the link lands in the descriptor at RDH of the queue RSS
 * picks (write-back DD, EOP, length; RDH advances) or is counted as missed when no descriptor is free.
 *
 * Strict mode (the default) throws {@link ModelError} naming the datasheet rule a driver breaks; hostile
 * mode writes back bad lengths and DD bits on descriptors the driver never posted.
 */
export class Ixgbe82599 implements MmioHandler, FrameSink, NicModel {
  /** The cable socket: frames it sends go out here, frames from the link come in through `port.rx`. */
  readonly port: NicPort;
  /** Protocol violations (raised in strict mode, counted otherwise). */
  readonly checker: ProtocolChecker;
  /** The MAC address in the emulated EEPROM. */
  readonly eepromMac: Uint8Array;
  /** Whether the model misbehaves on purpose. */
  hostile: boolean;
  /**
   * DMA permission: false while the PCI command register's bus-master bit is clear (kept in step by the
   * PCI function wrapper; a bare MMIO model may always master).
   */
  busMaster = true;
  /** Called with the vector of an interrupt that fires (an enabled cause; MSI-X vector or 0). */
  onInterrupt: ((vector: number) => void) | undefined;
  /** Whether a link partner answers auto-negotiation. */
  linkPartner: boolean;

  // ---- model-side counters (not registers) ----
  /** Frames from the link dropped while the link was down or receive was disabled (RXCTRL.RXEN = 0). */
  rxDroppedDisabled = 0;
  /** Frames from the link refused by the address filter (FCTRL, RAL/RAH). */
  rxFiltered = 0;
  /** Frames dropped because the chosen queue had no free descriptor or was disabled (missed packets). */
  rxMissed = 0;
  /** Frames dropped as runts or oversize. */
  rxBadSize = 0;
  /** DMA the model refused because bus mastering was disabled. */
  dmaBlocked = 0;
  /** Frames sent to the link (including those the link refused). */
  txFrames = 0;
  /** Hostile actions taken. */
  hostileActions = 0;
  /** Link state changes seen. */
  linkChanges = 0;

  private readonly ram: PhysicalMemory;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly memBuffer: ArrayBufferLike;
  private readonly memBase: number;
  /** High half of RAM's base address, and its low half as an int32. */
  private readonly memBaseHi: number;
  private readonly memBaseLoI32: number;
  /**
   * RAM is under 2 GiB and does not cross a 4 GiB boundary: a DMA address whose high half is RAM's then
   * maps to its RAM offset in 32-bit integer arithmetic (out-of-RAM addresses come out negative or too big).
   */
  private readonly dmaInt32: boolean;
  private readonly memSize: number;
  private readonly host: IxgbeModelHost;
  private readonly regs = new Uint32Array(IXGBE_BAR0_SIZE >>> 2);

  // live queue state (descriptor counts, RAM offsets of the rings, head/tail)
  private readonly rxq: QueueState[] = Array.from({ length: IXGBE_MAX_RX_QUEUES }, () => new QueueState());
  private readonly txq: QueueState[] = Array.from({ length: IXGBE_MAX_TX_QUEUES }, () => new QueueState());
  private txGatherLen = 0;
  /** The last frame source view seen, and whether it lies in this machine's RAM (and where). */
  private srcView: Uint8Array | undefined;
  private srcSameMemory = false;
  private srcByteOffset = 0;
  private readonly txGather = new Uint8Array(TX_GATHER_MAX + ETH_MIN_FRAME_LEN);

  // decoded global state
  private rxEnabled = false;
  /** Link up and RXCTRL.RXEN: frames are taken. */
  private rxActive = false;
  private txEnabled = false;
  private fctrl = 0;
  private hlreg0 = DEFAULT_HLREG0;
  private mrqc = 0;
  private rxcsum = 0;
  private maxFrame = 1514;
  private resetting = false;
  /** Bumped by every reset, so events of an earlier reset do nothing. */
  private resetGen = 0;
  /** Bumped by every (re)negotiation, so a stale link-up event does nothing. */
  private linkGen = 0;
  private linkUp = false;
  private linkSpeed = 0;
  private readonly rss = new RssEngine();
  /** RAR entries with AV set: their MAC bytes, 6 per entry, and how many. */
  private readonly rarMacs = new Uint8Array(IXGBE_NUM_RAR * 6);
  private rarCount = 0;

  // interrupts
  private eicr = 0;
  private eims = 0;
  private eiac = 0;
  private eiam = 0;
  private gpie = 0;

  // statistics
  // statistics: the data path adds packets and octets per queue only; GPRC, GORC, TPR, QPRC... are
  // derived when read (total minus what earlier reads took), which keeps their clear-on-read behaviour
  private readonly rxqPkts = new Float64Array(IXGBE_MAX_RX_QUEUES);
  private readonly rxqOctets = new Float64Array(IXGBE_MAX_RX_QUEUES);
  private readonly txqPkts = new Float64Array(IXGBE_MAX_TX_QUEUES);
  private readonly txqOctets = new Float64Array(IXGBE_MAX_TX_QUEUES);
  /** Frames (and octets) received but not delivered: filtered or missed (they count in TPR/TOR). */
  private rxDropPkts = 0;
  private rxDropOctets = 0;
  private readonly bases = new Float64Array(B_COUNT);
  private readonly qprcBase = new Float64Array(IXGBE_NUM_QUEUE_STATS);
  private readonly qbrcBase = new Float64Array(IXGBE_NUM_QUEUE_STATS);
  private readonly qptcBase = new Float64Array(IXGBE_NUM_QUEUE_STATS);
  private readonly stats = new Float64Array(S_COUNT);
  private readonly mpc = new Float64Array(8);
  private readonly rnbc = new Float64Array(8);
  private readonly qprdc = new Float64Array(IXGBE_NUM_QUEUE_STATS);

  private seed: number;
  private readonly hostileRate: number;
  private readonly resetDelayNs: number;
  private readonly eepromReadNs: number;
  private readonly dmaInitNs: number;
  private readonly linkUpDelayNs: number;

  /**
   * @param host the machine (its RAM and clock)
   * @param options EEPROM MAC, strictness, hostility, emulated delays
   */
  constructor(host: IxgbeModelHost, options: Ixgbe82599Options = {}) {
    this.host = host;
    this.ram = host.ram;
    this.u8 = host.ram.u8;
    this.u32 = host.ram.u32;
    this.memBuffer = host.ram.buffer;
    this.memBase = host.ram.base;
    this.memSize = host.ram.size;
    this.memBaseHi = Math.floor(host.ram.base / TWO32);
    this.memBaseLoI32 = (host.ram.base % TWO32) | 0;
    this.dmaInt32 = host.ram.size <= 0x8000_0000 && (host.ram.base % TWO32) + host.ram.size <= TWO32;
    const n = ++instances;
    const mac = options.mac ?? [0x00, 0x1b, 0x21, 0x00, (n >>> 8) & 0xff, n & 0xff];
    if (mac.length !== 6) throw new RangeError("an EEPROM MAC address has 6 bytes");
    this.eepromMac = Uint8Array.from(mac);
    this.checker = new ProtocolChecker(DEVICE, options.strict ?? true);
    this.hostile = options.hostile ?? false;
    this.seed = (options.hostileSeed ?? 1) >>> 0 || 1;
    this.hostileRate = Math.max(1, options.hostileRate ?? 8);
    this.resetDelayNs = options.resetDelayNs ?? 10_000;
    this.eepromReadNs = options.eepromReadNs ?? 1_000_000;
    this.dmaInitNs = options.dmaInitNs ?? 100_000;
    this.linkUpDelayNs = options.linkUpDelayNs ?? 100_000_000;
    this.linkPartner = options.linkPartner ?? true;
    this.port = new NicPort(this, 9728);
    // power-on: registers at their defaults, the EEPROM already read, auto-negotiation under way
    this.loadDefaults();
    this.eepromLoaded();
    this.regs[IXGBE_RDRXCTL >>> 2] = this.regs[IXGBE_RDRXCTL >>> 2]! | IXGBE_RDRXCTL_DMAIDONE;
    this.startAutoNegotiation();
  }

  // ====================================================================== state for tests and tools

  /** Whether the link is up. */
  get isLinkUp(): boolean {
    return this.linkUp;
  }

  /** Whether a global reset is in progress. */
  get isResetting(): boolean {
    return this.resetting;
  }

  /** A register's value without the side effects of a read (statistics and EICR are not cleared). */
  peekRegister(offset: number): number {
    return this.read32(offset & ~3, false);
  }

  /** Live state of RX queue `q`: whether it is enabled, its size, head and tail. */
  rxQueueState(q: number): { enabled: boolean; size: number; head: number; tail: number } {
    return {
      enabled: this.rxq[q]!.live === 1,
      size: this.rxq[q]!.size,
      head: this.rxq[q]!.head,
      tail: this.rxq[q]!.tail,
    };
  }

  /** Live state of TX queue `q`. */
  txQueueState(q: number): { enabled: boolean; size: number; head: number; tail: number } {
    return {
      enabled: this.txq[q]!.live === 1,
      size: this.txq[q]!.size,
      head: this.txq[q]!.head,
      tail: this.txq[q]!.tail,
    };
  }

  // ====================================================================== reset and link

  private loadDefaults(): void {
    const r = this.regs;
    r.fill(0);
    r[IXGBE_STATUS >>> 2] = IXGBE_STATUS_GIO;
    r[IXGBE_EEC >>> 2] = IXGBE_EEC_PRES;
    r[IXGBE_HLREG0 >>> 2] = DEFAULT_HLREG0;
    r[IXGBE_MHADD >>> 2] = DEFAULT_MHADD;
    r[IXGBE_AUTOC >>> 2] = DEFAULT_AUTOC;
    r[IXGBE_RXPBSIZE(0) >>> 2] = DEFAULT_RXPBSIZE0;
    r[IXGBE_TXPBSIZE(0) >>> 2] = DEFAULT_TXPBSIZE0;
    r[IXGBE_DTXMXSZRQ >>> 2] = DEFAULT_DTXMXSZRQ;
    r[IXGBE_RTTDCS >>> 2] = IXGBE_RTTDCS_ARBDIS;
    for (let q = 0; q < IXGBE_MAX_RX_QUEUES; q++) {
      r[(rxQueueBase(q) + RXQ_SRRCTL) >>> 2] = DEFAULT_SRRCTL;
      r[(rxQueueBase(q) + RXQ_DCA_RXCTRL) >>> 2] = DEFAULT_DCA_RXCTRL;
    }
    for (const q of this.rxq) q.reset();
    for (const q of this.txq) q.reset();
    this.txGatherLen = 0;
    this.rxEnabled = false;
    this.rxActive = false;
    this.txEnabled = false;
    this.fctrl = 0;
    this.hlreg0 = DEFAULT_HLREG0;
    this.mrqc = 0;
    this.rxcsum = 0;
    this.maxFrame = 1514;
    this.rss.key.fill(0);
    this.rss.reta.fill(0);
    this.rarCount = 0;
    this.eicr = 0;
    this.eims = 0;
    this.eiac = 0;
    this.eiam = 0;
    this.gpie = 0;
    this.rxqPkts.fill(0);
    this.rxqOctets.fill(0);
    this.txqPkts.fill(0);
    this.txqOctets.fill(0);
    this.rxDropPkts = 0;
    this.rxDropOctets = 0;
    this.bases.fill(0);
    this.qprcBase.fill(0);
    this.qbrcBase.fill(0);
    this.qptcBase.fill(0);
    this.stats.fill(0);
    this.mpc.fill(0);
    this.rnbc.fill(0);
    this.qprdc.fill(0);
  }

  /** The EEPROM auto-read finished: RAL(0)/RAH(0) hold the MAC with AV, EEC.ARD is set (82599 datasheet 4.6.3). */
  private eepromLoaded(): void {
    const m = this.eepromMac;
    this.regs[IXGBE_RAL(0) >>> 2] = m[0]! | (m[1]! << 8) | (m[2]! << 16) | (m[3]! << 24);
    this.regs[IXGBE_RAH(0) >>> 2] = (m[4]! | (m[5]! << 8) | IXGBE_RAH_AV) >>> 0;
    this.refreshRar();
    this.regs[IXGBE_EEC >>> 2] = this.regs[IXGBE_EEC >>> 2]! | IXGBE_EEC_ARD;
  }

  /**
   * Global reset (CTRL.RST, 82599 datasheet 4.6.3.2): every register back to its default, queues off, DMA
   * stopped, link down. CTRL.RST reads 1 until the reset completes; then the EEPROM is read again (EEC.ARD,
   * the MAC in RAL/RAH(0)), DMA initialises (RDRXCTL.DMAIDONE) and auto-negotiation starts.
   */
  private globalReset(): void {
    const gen = ++this.resetGen;
    this.linkGen++;
    this.setLink(false);
    this.loadDefaults();
    this.resetting = true;
    this.regs[IXGBE_CTRL >>> 2] = IXGBE_CTRL_RST_MASK;
    const clock = this.host.clock;
    clock.schedule(this.resetDelayNs, () => {
      if (gen !== this.resetGen) return;
      this.resetting = false;
      this.regs[IXGBE_CTRL >>> 2] = this.regs[IXGBE_CTRL >>> 2]! & ~IXGBE_CTRL_RST_MASK;
      this.startAutoNegotiation();
      clock.schedule(this.eepromReadNs, () => {
        if (gen !== this.resetGen) return;
        this.eepromLoaded();
        clock.schedule(this.dmaInitNs, () => {
          if (gen !== this.resetGen) return;
          this.regs[IXGBE_RDRXCTL >>> 2] = this.regs[IXGBE_RDRXCTL >>> 2]! | IXGBE_RDRXCTL_DMAIDONE;
        });
      });
    });
  }

  /**
   * A device reset from outside (power-on / PCI reset): the same sequence as a global reset through
   * CTRL.RST (82599 datasheet 4.6.3.2) — defaults, queues off, link down, then EEPROM auto-read and DMA init.
   */
  reset(): void {
    this.globalReset();
  }

  /** Link down, then up after the auto-negotiation delay in the mode AUTOC selects (82599 datasheet 4.6.4). */
  private startAutoNegotiation(): void {
    this.setLink(false);
    const gen = ++this.linkGen;
    this.host.clock.schedule(this.linkUpDelayNs, () => {
      if (gen !== this.linkGen || !this.linkPartner) return;
      this.linkSpeed = linkSpeedOf(this.regs[IXGBE_AUTOC >>> 2]!);
      this.setLink(true);
    });
  }

  private setLink(up: boolean): void {
    if (this.linkUp === up) return;
    this.linkUp = up;
    this.rxActive = up && this.rxEnabled;
    this.linkChanges++;
    this.raiseCause(IXGBE_EICR_LSC, miscVector(this.regs[IXGBE_IVAR_MISC >>> 2]!));
    if (up) this.kickAllTx();
  }

  // ====================================================================== MMIO

  mmioRead(offset: number, width: AccessWidth): number {
    if (width === 4 && (offset & 3) === 0) return this.read32(offset, true);
    const word = this.read32(offset & ~3, true);
    return (word >>> ((offset & 3) * 8)) & (width === 2 ? 0xffff : 0xff);
  }

  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    if (width === 4 && (offset & 3) === 0) {
      this.write32(offset, value >>> 0);
      return;
    }
    // narrower writes merge into the 32-bit register
    const aligned = offset & ~3;
    const shift = (offset & 3) * 8;
    const mask = (width === 2 ? 0xffff : 0xff) << shift;
    this.write32(aligned, ((this.peekRegister(aligned) & ~mask) | ((value << shift) & mask)) >>> 0);
  }

  private read32(off: number, consume: boolean): number {
    if (off >= IXGBE_TXQ_BASE && off < TXQ_END) return this.readTxQueueReg(off, consume);
    if (off >= IXGBE_RXQ_LOW_BASE && off < IXGBE_RXQ_LOW_BASE + 64 * 0x40)
      return this.readRxQueueReg(off, consume);
    if (off >= IXGBE_RXQ_HIGH_BASE && off < RXQ_HIGH_END) return this.readRxQueueReg(off, consume);
    if (off >= IXGBE_SRRCTL_ALIAS_BASE && off < IXGBE_SRRCTL_ALIAS_BASE + ALIAS_END)
      return this.regs[(rxQueueBase((off - IXGBE_SRRCTL_ALIAS_BASE) >>> 2) + RXQ_SRRCTL) >>> 2]! >>> 0;
    if (off >= IXGBE_DCA_RXCTRL_ALIAS_BASE && off < IXGBE_DCA_RXCTRL_ALIAS_BASE + ALIAS_END)
      return (
        this.regs[(rxQueueBase((off - IXGBE_DCA_RXCTRL_ALIAS_BASE) >>> 2) + RXQ_DCA_RXCTRL) >>> 2]! >>> 0
      );
    if (off >= 0x03fa0 && off < 0x03fc0) return takeCounter(this.mpc, (off - 0x03fa0) >>> 2, consume);
    if (off >= 0x03fc0 && off < 0x03fe0) return takeCounter(this.rnbc, (off - 0x03fc0) >>> 2, consume);
    switch (off) {
      case IXGBE_EICR: {
        // read to clear (82599 datasheet 7.3.1.4, as the drivers use it)
        const v = this.eicr;
        if (consume) this.eicr = 0;
        return v >>> 0;
      }
      case IXGBE_EICS:
        return this.eicr >>> 0;
      case IXGBE_EIMS:
        return this.eims >>> 0;
      case IXGBE_EIMC:
        return 0;
      case IXGBE_LINKS:
        return this.linkUp ? (IXGBE_LINKS_UP | this.linkSpeed) >>> 0 : 0;
      case IXGBE_GPRC:
        return this.derived(B_GPRC, sum(this.rxqPkts), 0, consume);
      case IXGBE_GPTC:
        return this.derived(B_GPTC, sum(this.txqPkts), 0, consume);
      case IXGBE_GORCL:
        return this.derived(B_GORC, sum(this.rxqOctets), 1, consume);
      case IXGBE_GORCH:
        return this.derived(B_GORC, sum(this.rxqOctets), 2, consume);
      case IXGBE_GOTCL:
        return this.derived(B_GOTC, sum(this.txqOctets), 1, consume);
      case IXGBE_GOTCH:
        return this.derived(B_GOTC, sum(this.txqOctets), 2, consume);
      case IXGBE_TORL:
        return this.derived(B_TOR, sum(this.rxqOctets) + this.rxDropOctets, 1, consume);
      case IXGBE_TORH:
        return this.derived(B_TOR, sum(this.rxqOctets) + this.rxDropOctets, 2, consume);
      case IXGBE_BPRC:
        return takeCounter(this.stats, S_BPRC, consume);
      case IXGBE_MPRC:
        return takeCounter(this.stats, S_MPRC, consume);
      case IXGBE_BPTC:
        return takeCounter(this.stats, S_BPTC, consume);
      case IXGBE_MPTC:
        return takeCounter(this.stats, S_MPTC, consume);
      case IXGBE_TPR:
        return this.derived(B_TPR, sum(this.rxqPkts) + this.rxDropPkts, 0, consume);
      case IXGBE_TPT:
        return this.derived(B_TPT, sum(this.txqPkts), 0, consume);
      case IXGBE_RUC:
        return takeCounter(this.stats, S_RUC, consume);
      case IXGBE_ROC:
        return takeCounter(this.stats, S_ROC, consume);
      case IXGBE_CRCERRS:
        return takeCounter(this.stats, S_CRCERRS, consume);
      default:
        return this.regs[off >>> 2]! >>> 0;
    }
  }

  private readRxQueueReg(off: number, consume: boolean): number {
    const high = off >= IXGBE_RXQ_HIGH_BASE;
    const q = high ? 64 + ((off - IXGBE_RXQ_HIGH_BASE) >>> 6) : (off - IXGBE_RXQ_LOW_BASE) >>> 6;
    const reg = off & 0x3f;
    if (reg === RXQ_RDH) return this.rxq[q]!.head;
    if (reg === RXQ_RDT) return this.rxq[q]!.tail;
    if (!high && q < 16) {
      if (reg === 0x30) return derivedQueue(this.qprcBase, q, this.rxqPkts[q]!, 0, consume);
      if (reg === 0x34) return derivedQueue(this.qbrcBase, q, this.rxqOctets[q]!, 1, consume);
      if (reg === 0x38) return derivedQueue(this.qbrcBase, q, this.rxqOctets[q]!, 2, consume);
    } else if (!high && q < 32 && reg === 0x30) {
      return takeCounter(this.qprdc, q - 16, consume); // QPRDC(0..15) at 0x01430 + 0x40 i
    }
    return this.regs[off >>> 2]! >>> 0;
  }

  private readTxQueueReg(off: number, consume: boolean): number {
    const q = (off - IXGBE_TXQ_BASE) >>> 6;
    const reg = off & 0x3f;
    if (reg === TXQ_TDH) return this.txq[q]!.head;
    if (reg === TXQ_TDT) return this.txq[q]!.tail;
    if (reg === 0x30 && q < 16) return derivedQueue(this.qptcBase, q, this.txqPkts[q]!, 0, consume);
    return this.regs[off >>> 2]! >>> 0;
  }

  private write32(off: number, v: number): void {
    if (this.resetting && off !== IXGBE_CTRL) {
      this.checker.violation(
        `register 0x${off.toString(16)} written before the global reset completed (CTRL.RST still set)`,
        "82599 datasheet 4.6.3.2",
      );
      return;
    }
    if (off >= IXGBE_TXQ_BASE && off < TXQ_END) {
      this.writeTxQueueReg((off - IXGBE_TXQ_BASE) >>> 6, off & 0x3f, off, v);
      return;
    }
    if (off >= IXGBE_RXQ_LOW_BASE && off < IXGBE_RXQ_LOW_BASE + 64 * 0x40) {
      this.writeRxQueueReg((off - IXGBE_RXQ_LOW_BASE) >>> 6, off & 0x3f, off, v);
      return;
    }
    if (off >= IXGBE_RXQ_HIGH_BASE && off < RXQ_HIGH_END) {
      this.writeRxQueueReg(64 + ((off - IXGBE_RXQ_HIGH_BASE) >>> 6), off & 0x3f, off, v);
      return;
    }
    if (off >= IXGBE_SRRCTL_ALIAS_BASE && off < IXGBE_SRRCTL_ALIAS_BASE + ALIAS_END) {
      const q = (off - IXGBE_SRRCTL_ALIAS_BASE) >>> 2;
      this.writeRxQueueReg(q, RXQ_SRRCTL, rxQueueBase(q) + RXQ_SRRCTL, v);
      return;
    }
    if (off >= IXGBE_DCA_RXCTRL_ALIAS_BASE && off < IXGBE_DCA_RXCTRL_ALIAS_BASE + ALIAS_END) {
      const q = (off - IXGBE_DCA_RXCTRL_ALIAS_BASE) >>> 2;
      this.writeRxQueueReg(q, RXQ_DCA_RXCTRL, rxQueueBase(q) + RXQ_DCA_RXCTRL, v);
      return;
    }
    if (off >= 0x05c00 && off < 0x05c80) {
      this.regs[off >>> 2] = v;
      this.rss.setRetaWord((off - 0x05c00) >>> 2, v);
      return;
    }
    if (off >= 0x05c80 && off < 0x05ca8) {
      this.regs[off >>> 2] = v;
      this.rss.setKeyWord((off - 0x05c80) >>> 2, v);
      return;
    }
    if ((off >= 0x05400 && off < 0x05480) || (off >= 0x0a280 && off < 0x0a600)) {
      this.regs[off >>> 2] = v;
      this.refreshRar();
      return;
    }
    if (off >= 0x00900 && off < 0x00a00) {
      this.regs[off >>> 2] = v;
      this.decodeIvar((off - 0x00900) >>> 2, v);
      return;
    }
    switch (off) {
      case IXGBE_CTRL:
        if ((v & IXGBE_CTRL_RST) !== 0) {
          this.globalReset();
        } else {
          this.regs[off >>> 2] = v & ~IXGBE_CTRL_LNK_RST;
          if ((v & IXGBE_CTRL_LNK_RST) !== 0) this.startAutoNegotiation();
        }
        return;
      case IXGBE_STATUS:
      case IXGBE_LINKS:
        return; // read-only
      case IXGBE_EEC:
        // ARD and PRES are read-only status (writing them, as ixy.js' wait helper does, changes nothing)
        this.regs[off >>> 2] =
          (v & ~(IXGBE_EEC_ARD | IXGBE_EEC_PRES)) |
          (this.regs[off >>> 2]! & (IXGBE_EEC_ARD | IXGBE_EEC_PRES));
        return;
      case IXGBE_RDRXCTL:
        this.regs[off >>> 2] =
          (v & ~IXGBE_RDRXCTL_DMAIDONE) | (this.regs[off >>> 2]! & IXGBE_RDRXCTL_DMAIDONE);
        return;
      case IXGBE_EICR:
        this.eicr &= ~v; // write 1 to clear
        return;
      case IXGBE_EICS:
        this.raiseCause(v, 0);
        return;
      case IXGBE_EIMS:
        this.eims |= v;
        if ((this.eicr & v) !== 0) this.raiseCause(0, 0);
        return;
      case IXGBE_EIMC:
        this.eims &= ~v;
        return;
      case IXGBE_EIAC:
        this.eiac = v;
        this.regs[off >>> 2] = v;
        return;
      case IXGBE_EIAM:
        this.eiam = v;
        this.regs[off >>> 2] = v;
        return;
      case IXGBE_GPIE:
        this.gpie = v;
        this.regs[off >>> 2] = v;
        return;
      case IXGBE_RXCTRL:
        this.writeRxctrl(v);
        return;
      case IXGBE_FCTRL:
        this.fctrl = v;
        this.regs[off >>> 2] = v;
        return;
      case IXGBE_HLREG0:
        this.hlreg0 = v;
        this.regs[off >>> 2] = v;
        this.refreshMaxFrame();
        return;
      case IXGBE_MHADD:
        this.regs[off >>> 2] = v;
        this.refreshMaxFrame();
        return;
      case IXGBE_MRQC:
        this.mrqc = v;
        this.regs[off >>> 2] = v;
        return;
      case IXGBE_RXCSUM:
        this.rxcsum = v;
        this.regs[off >>> 2] = v;
        return;
      case IXGBE_AUTOC:
        // AN_RESTART self-clears; a restart (re)negotiates in the selected mode (82599 datasheet 4.6.4)
        this.regs[off >>> 2] = v & ~IXGBE_AUTOC_AN_RESTART;
        if ((v & IXGBE_AUTOC_AN_RESTART) !== 0) this.startAutoNegotiation();
        return;
      case IXGBE_DMATXCTL: {
        this.regs[off >>> 2] = v;
        const was = this.txEnabled;
        this.txEnabled = (v & IXGBE_DMATXCTL_TE) !== 0;
        if (this.txEnabled && !was) this.kickAllTx();
        return;
      }
      default:
        if (isStatisticsRegister(off)) return; // read-only counters
        this.regs[off >>> 2] = v;
    }
  }

  private writeRxctrl(v: number): void {
    this.regs[IXGBE_RXCTRL >>> 2] = v;
    const on = (v & IXGBE_RXCTRL_RXEN) !== 0;
    if (on && !this.rxEnabled) {
      const hlStrip = (this.hlreg0 & IXGBE_HLREG0_RXCRCSTRP) !== 0;
      const dmaStrip = (this.regs[IXGBE_RDRXCTL >>> 2]! & IXGBE_RDRXCTL_CRCSTRIP) !== 0;
      if (hlStrip !== dmaStrip) {
        this.checker.violation(
          "receive enabled while RDRXCTL.CRCSTRIP and HLREG0.RXCRCSTRP disagree (they must match)",
          "82599 datasheet 4.6.7",
        );
      }
    }
    this.rxEnabled = on;
    this.rxActive = on && this.linkUp;
  }

  /**
   * RDT/TDT: the tail moves unless it lies beyond the ring (the ring's RDLEN/TDLEN at `lenOff` while the queue
   * is off). Returns whether it was taken.
   */
  private writeTail(
    qs: QueueState,
    name: string,
    q: number,
    lenOff: number,
    off: number,
    v: number,
    section: string,
  ): boolean {
    const size = qs.live === 1 ? qs.size : (this.regs[lenOff >>> 2]! / IXGBE_DESC_SIZE) | 0;
    if (size > 0 && v >= size) {
      this.checker.violation(`${name}(${q}) = ${v} is beyond the ring of ${size} descriptors`, section);
      return false;
    }
    qs.tail = v;
    this.regs[off >>> 2] = v;
    return true;
  }

  /** RDH/TDH: software may set the head only while the queue is off (it belongs to hardware then). */
  private writeHead(qs: QueueState, name: string, q: number, off: number, v: number, section: string): void {
    if (qs.live === 1 && v !== qs.head) {
      this.checker.violation(
        `${name}(${q}) written while the queue is enabled (the head belongs to hardware)`,
        section,
      );
      return;
    }
    qs.head = v;
    this.regs[off >>> 2] = v;
  }

  /** Ring base and length registers: fixed while the queue is enabled. */
  private writeRingRegister(
    live: boolean,
    dir: string,
    q: number,
    off: number,
    v: number,
    section: string,
  ): void {
    if (live) {
      this.checker.violation(
        `${dir} ring registers of queue ${q} changed while the queue is enabled`,
        section,
      );
      return;
    }
    this.regs[off >>> 2] = v;
  }

  private writeRxQueueReg(q: number, reg: number, off: number, v: number): void {
    const live = this.rxq[q]!.live === 1;
    switch (reg) {
      case RXQ_RDT:
        this.writeTail(this.rxq[q]!, "RDT", q, off - RXQ_RDT + RXQ_RDLEN, off, v, "82599 datasheet 7.1.9");
        return;
      case RXQ_RDH:
        this.writeHead(this.rxq[q]!, "RDH", q, off, v, "82599 datasheet 7.1.9");
        return;
      case RXQ_RDBAL:
      case RXQ_RDBAH:
      case RXQ_RDLEN:
        this.writeRingRegister(live, "RX", q, off, v, "82599 datasheet 4.6.7.1");
        return;
      case RXQ_RXDCTL: {
        const enable = (v & IXGBE_RXDCTL_ENABLE) !== 0;
        if (enable && !live) {
          if (!this.enableRxQueue(q, off - RXQ_RXDCTL)) {
            this.regs[off >>> 2] = v & ~IXGBE_RXDCTL_ENABLE;
            return;
          }
        } else if (!enable && live) {
          this.rxq[q]!.live = 0;
        }
        this.regs[off >>> 2] = v;
        return;
      }
      default:
        if (!(off < IXGBE_RXQ_HIGH_BASE && q < 32 && reg >= 0x30 && reg < 0x3c)) this.regs[off >>> 2] = v;
    }
  }

  /** Checks and starts RX queue `q` (RXDCTL.ENABLE 0 -> 1); false when refused. */
  private enableRxQueue(q: number, block: number): boolean {
    const r = this.regs;
    const lo = r[(block + RXQ_RDBAL) >>> 2]!;
    const hi = r[(block + RXQ_RDBAH) >>> 2]!;
    const len = r[(block + RXQ_RDLEN) >>> 2]!;
    const srrctl = r[(block + RXQ_SRRCTL) >>> 2]!;
    const base = lo + hi * TWO32;
    if (!this.checkRing("RX", q, base, len, "RDBA", "RDLEN", "82599 datasheet 7.1.9")) return false;
    const type = srrctl & IXGBE_SRRCTL_DESCTYPE_MASK;
    if (type !== IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF && type !== IXGBE_SRRCTL_DESCTYPE_LEGACY) {
      this.checker.violation(
        `SRRCTL(${q}).DESCTYPE 0x${(type >>> 25).toString(16)}: header split is not modelled (legacy or advanced one-buffer only)`,
        "82599 datasheet 7.1.5",
      );
      return false;
    }
    const bsize = (srrctl & IXGBE_SRRCTL_BSIZEPKT_MASK) << IXGBE_SRRCTL_BSIZEPKT_SHIFT;
    if (bsize === 0) {
      this.checker.violation(`SRRCTL(${q}).BSIZEPACKET is 0`, "82599 datasheet 7.1.5");
      return false;
    }
    const size = len / IXGBE_DESC_SIZE;
    if (this.rxq[q]!.head >= size || this.rxq[q]!.tail >= size) {
      this.checker.violation(`RDH/RDT of queue ${q} lie beyond its ring of ${size}`, "82599 datasheet 7.1.9");
      return false;
    }
    if (!this.busMaster) {
      this.checker.violation(
        `RX queue ${q} enabled while PCI bus mastering is disabled (the device cannot DMA)`,
        "PCI Local Bus 3.0 6.2.2 (Command register, Bus Master)",
      );
    }
    this.rxq[q]!.ring = smallInt(base - this.memBase);
    this.rxq[q]!.size = size;
    this.rxq[q]!.bufSize = bsize;
    this.rxq[q]!.legacy = type === IXGBE_SRRCTL_DESCTYPE_LEGACY ? 1 : 0;
    this.rxq[q]!.live = 1;
    return true;
  }

  private writeTxQueueReg(q: number, reg: number, off: number, v: number): void {
    const live = this.txq[q]!.live === 1;
    switch (reg) {
      case TXQ_TDT:
        if (
          this.writeTail(
            this.txq[q]!,
            "TDT",
            q,
            off - TXQ_TDT + TXQ_TDLEN,
            off,
            v,
            "82599 datasheet 7.2.3",
          ) &&
          live
        ) {
          this.txProcess(q);
        }
        return;
      case TXQ_TDH:
        this.writeHead(this.txq[q]!, "TDH", q, off, v, "82599 datasheet 7.2.3");
        return;
      case TXQ_TDBAL:
      case TXQ_TDBAH:
      case TXQ_TDLEN:
        this.writeRingRegister(live, "TX", q, off, v, "82599 datasheet 4.6.8");
        return;
      case TXQ_TXDCTL: {
        const enable = (v & IXGBE_TXDCTL_ENABLE) !== 0;
        if (enable && !live) {
          if (!this.enableTxQueue(q, off - TXQ_TXDCTL)) {
            this.regs[off >>> 2] = v & ~IXGBE_TXDCTL_ENABLE;
            return;
          }
          this.regs[off >>> 2] = v;
          this.txProcess(q);
          return;
        }
        if (!enable && live) this.txq[q]!.live = 0;
        this.regs[off >>> 2] = v;
        return;
      }
      default:
        if (!(q < 16 && reg === 0x30)) this.regs[off >>> 2] = v;
    }
  }

  /** Checks and starts TX queue `q` (TXDCTL.ENABLE 0 -> 1); false when refused. */
  private enableTxQueue(q: number, block: number): boolean {
    const r = this.regs;
    const base = r[(block + TXQ_TDBAL) >>> 2]! + r[(block + TXQ_TDBAH) >>> 2]! * TWO32;
    const len = r[(block + TXQ_TDLEN) >>> 2]!;
    if (!this.checkRing("TX", q, base, len, "TDBA", "TDLEN", "82599 datasheet 7.2.3")) return false;
    const size = len / IXGBE_DESC_SIZE;
    if (this.txq[q]!.head >= size || this.txq[q]!.tail >= size) {
      this.checker.violation(`TDH/TDT of queue ${q} lie beyond its ring of ${size}`, "82599 datasheet 7.2.3");
      return false;
    }
    if (!this.busMaster) {
      this.checker.violation(
        `TX queue ${q} enabled while PCI bus mastering is disabled (the device cannot DMA)`,
        "PCI Local Bus 3.0 6.2.2 (Command register, Bus Master)",
      );
    }
    this.txq[q]!.ring = smallInt(base - this.memBase);
    this.txq[q]!.size = size;
    this.txq[q]!.live = 1;
    return true;
  }

  /** The ring rules both directions share: programmed, 128-byte aligned, a multiple of 128 bytes, in RAM. */
  private checkRing(
    dir: string,
    q: number,
    base: number,
    len: number,
    baName: string,
    lenName: string,
    section: string,
  ): boolean {
    if (base === 0 || len === 0) {
      this.checker.violation(
        `${dir} queue ${q} enabled without a descriptor ring (${baName}/${lenName} not programmed)`,
        section,
      );
      return false;
    }
    if (len % IXGBE_RING_ALIGN !== 0) {
      this.checker.violation(`${lenName}(${q}) = ${len} is not a multiple of 128 bytes`, section);
      return false;
    }
    if (base % IXGBE_RING_ALIGN !== 0) {
      this.checker.violation(`${baName}(${q}) = 0x${base.toString(16)} is not 128-byte aligned`, section);
      return false;
    }
    if (!this.ram.contains(base, len)) {
      this.checker.violation(
        `${dir} descriptor ring of queue ${q} at 0x${base.toString(16)}+${len} lies outside host memory`,
        section,
      );
      return false;
    }
    return true;
  }

  private refreshMaxFrame(): void {
    const mfs = this.regs[IXGBE_MHADD >>> 2]! >>> IXGBE_MHADD_MFS_SHIFT;
    this.maxFrame = (this.hlreg0 & IXGBE_HLREG0_JUMBOEN) !== 0 ? Math.max(mfs, 1518) - ETH_FCS_LEN : 1514;
  }

  private refreshRar(): void {
    let n = 0;
    for (let i = 0; i < IXGBE_NUM_RAR; i++) {
      const hi = this.regs[IXGBE_RAH(i) >>> 2]!;
      if ((hi & IXGBE_RAH_AV) === 0) continue;
      const lo = this.regs[IXGBE_RAL(i) >>> 2]!;
      const o = n * 6;
      this.rarMacs[o] = lo & 0xff;
      this.rarMacs[o + 1] = (lo >>> 8) & 0xff;
      this.rarMacs[o + 2] = (lo >>> 16) & 0xff;
      this.rarMacs[o + 3] = lo >>> 24;
      this.rarMacs[o + 4] = hi & 0xff;
      this.rarMacs[o + 5] = (hi >>> 8) & 0xff;
      n++;
    }
    this.rarCount = n;
  }

  private decodeIvar(i: number, v: number): void {
    // IVAR(i): byte 0 RX queue 2i, byte 1 TX queue 2i, byte 2 RX queue 2i+1, byte 3 TX queue 2i+1 (§8)
    for (let k = 0; k < 2; k++) {
      const q = 2 * i + k;
      const rx = (v >>> (16 * k)) & 0xff;
      const tx = (v >>> (16 * k + 8)) & 0xff;
      this.rxq[q]!.vector = (rx & IXGBE_IVAR_ALLOC_VAL) !== 0 ? rx & 0x3f : -1;
      this.txq[q]!.vector = (tx & IXGBE_IVAR_ALLOC_VAL) !== 0 ? tx & 0x3f : -1;
    }
  }

  // ====================================================================== interrupts

  /**
   * Sets cause bits in EICR; causes enabled in EIMS fire: in MSI-X mode (GPIE.MSIX_MODE) on `vector`,
   * else on vector 0. EIAC auto-clears and, with GPIE.EIAME, EIAM auto-masks what fired (82599 datasheet 7.3).
   */
  private raiseCause(bits: number, vector: number): void {
    this.eicr |= bits;
    const fire = this.eicr & this.eims;
    if (fire === 0) return;
    this.eicr &= ~(fire & this.eiac);
    if ((this.gpie & IXGBE_GPIE_EIAME) !== 0) this.eims &= ~(fire & this.eiam);
    this.onInterrupt?.((this.gpie & IXGBE_GPIE_MSIX_MODE) !== 0 ? vector : 0);
  }

  // ====================================================================== transmit

  private kickAllTx(): void {
    for (let q = 0; q < IXGBE_MAX_TX_QUEUES; q++) {
      if (this.txq[q]!.live === 1 && this.txq[q]!.head !== this.txq[q]!.tail) this.txProcess(q);
    }
  }

  /**
   * Sends the descriptors of queue `q` from TDH up to TDT (82599 datasheet 7.2.3): reads each advanced data
   * (or legacy) descriptor, gathers the frame up to EOP, sends it to the link (padded to 60 bytes when
   * HLREG0.TXPADEN), writes DD back where RS is set and advances TDH. Nothing moves while the link is down,
   * DMATXCTL.TE is clear, or bus mastering is off.
   */
  private txProcess(q: number): void {
    const tq = this.txq[q]!;
    if (!this.linkUp || !this.txEnabled || tq.live !== 1) return;
    let head = tq.head;
    const tail = tq.tail;
    if (head === tail) return;
    if (!this.busMaster) {
      this.dmaBlocked++;
      this.checker.violation(
        `TDT(${q}) written with descriptors pending while PCI bus mastering is disabled`,
        "PCI Local Bus 3.0 6.2.2 (Command register, Bus Master)",
      );
      return;
    }
    const u32 = this.u32;
    const u8 = this.u8;
    const size = tq.size;
    const ring = tq.ring;
    const memBase = this.memBase;
    const memSize = this.memSize;
    const port = this.port;
    // the common case goes straight from RAM to the link: one unicast descriptor long enough not to need
    // padding, no loopback
    const hl = this.hlreg0;
    const fastMin =
      (hl & IXGBE_HLREG0_LPBK) !== 0 ? 0x10000 : (hl & IXGBE_HLREG0_TXPADEN) !== 0 ? ETH_MIN_FRAME_LEN : 0;
    let frames = 0;
    let octets = 0;
    while (head !== tail) {
      const d = (ring + head * IXGBE_DESC_SIZE) >>> 2;
      const ctl = u32[d + 2]!;
      let data = true;
      if ((ctl & IXGBE_ADVTXD_DCMD_DEXT) !== 0) {
        const dtyp = ctl & IXGBE_ADVTXD_DTYP_MASK;
        if (dtyp === IXGBE_ADVTXD_DTYP_CTXT) {
          data = false; // a context descriptor carries offload parameters, no data
        } else if (dtyp !== IXGBE_ADVTXD_DTYP_DATA) {
          this.txCommit(q, head, frames, octets);
          frames = 0;
          octets = 0;
          this.checker.violation(
            `TX descriptor ${head} of queue ${q} has DTYP 0x${(dtyp >>> 20).toString(16)} (neither data nor context)`,
            "82599 datasheet 7.2.3.2.4",
          );
          data = false;
        }
      }
      if (data) {
        const len = ctl & IXGBE_ADVTXD_DTALEN_MASK;
        const srcHi = u32[d + 1]!;
        const src =
          srcHi === this.memBaseHi && this.dmaInt32
            ? ((u32[d]! | 0) - this.memBaseLoI32) | 0
            : u32[d]! + srcHi * TWO32 - memBase;
        if (len === 0 || src < 0 || src + len > memSize) {
          // what was sent so far stays sent; in strict mode the refused descriptor is not consumed
          this.txCommit(q, head, frames, octets);
          frames = 0;
          octets = 0;
          this.txGatherLen = 0;
          this.checker.violation(
            len === 0
              ? `TX descriptor ${head} of queue ${q} has DTALEN 0`
              : `TX descriptor ${head} of queue ${q} points outside host memory (0x${(src + memBase).toString(16)}+${len})`,
            "82599 datasheet 7.2.3.2.4",
          );
        } else if ((ctl & IXGBE_ADVTXD_DCMD_EOP) !== 0 && this.txGatherLen === 0) {
          if (len >= fastMin && (u8[src]! & 1) === 0) {
            frames++;
            octets += len;
            port.transmit(u8, src, len);
          } else {
            octets += this.emit(u8, src, len);
            frames++;
          }
        } else {
          const n = this.gather(q, src, len, (ctl & IXGBE_ADVTXD_DCMD_EOP) !== 0);
          if (n > 0) {
            frames++;
            octets += n;
          }
        }
      }
      if ((ctl & IXGBE_ADVTXD_DCMD_RS) !== 0) u32[d + 3] = (u32[d + 3]! & ~0xf) | IXGBE_ADVTXD_STAT_DD;
      head = head + 1 === size ? 0 : head + 1;
    }
    this.txCommit(q, head, frames, octets);
    const vec = tq.vector;
    if (vec >= 0) this.raiseCause(1 << (vec & 15), vec);
    if (this.hostile) this.hostileTx(q);
  }

  /** Records TX progress: the head and the frames and octets sent since the last commit. */
  private txCommit(q: number, head: number, frames: number, octets: number): void {
    this.txq[q]!.head = head;
    this.txqPkts[q]! += frames;
    this.txqOctets[q]! += octets + frames * ETH_FCS_LEN;
    this.txFrames += frames;
  }

  /** Adds a descriptor's bytes to the frame being gathered; at EOP sends it. Returns the length sent, or 0. */
  private gather(q: number, src: number, len: number, eop: boolean): number {
    const at = this.txGatherLen;
    if (at + len > TX_GATHER_MAX) {
      this.checker.violation(
        `TX frame of queue ${q} longer than ${TX_GATHER_MAX} bytes (no EOP)`,
        "82599 datasheet 7.2.3.2.4",
      );
      this.txGatherLen = 0;
      return 0;
    }
    const g = this.txGather;
    const u8 = this.u8;
    for (let i = 0; i < len; i++) g[at + i] = u8[src + i]!;
    this.txGatherLen = at + len;
    if (!eop) return 0;
    const n = this.txGatherLen;
    this.txGatherLen = 0;
    return this.emit(this.txGather, 0, n);
  }

  /**
   * One frame leaves the MAC the slow way (padding, multicast counts, MAC loopback); returns its length on
   * the wire without FCS. The caller counts it.
   */
  private emit(bytes: Uint8Array, off: number, len: number): number {
    if (len < ETH_MIN_FRAME_LEN && (this.hlreg0 & IXGBE_HLREG0_TXPADEN) !== 0) {
      const pad = this.txGather;
      if (bytes !== pad) for (let i = 0; i < len; i++) pad[i] = bytes[off + i]!;
      else if (off !== 0) pad.copyWithin(0, off, off + len);
      pad.fill(0, len, ETH_MIN_FRAME_LEN);
      bytes = pad;
      off = 0;
      len = ETH_MIN_FRAME_LEN;
    }
    if ((bytes[off]! & 1) !== 0) {
      if (isBroadcast(bytes, off)) this.stats[S_BPTC]! += 1;
      else this.stats[S_MPTC]! += 1;
    }
    if ((this.hlreg0 & IXGBE_HLREG0_LPBK) !== 0) this.receiveFrame(bytes, off, len);
    else this.port.transmit(bytes, off, len);
    return len;
  }

  // ====================================================================== receive

  /**
   * A frame from the link (without FCS). It is taken when the link is up and RXCTRL.RXEN is set, passes
   * the size checks and the address filter (FCTRL.UPE/MPE/BAM, RAL/RAH with AV), and its queue (RSS, else
   * 0) is enabled with free descriptors; otherwise it is dropped and counted (false).
   */
  receiveFrame(bytes: Uint8Array, off: number, len: number): boolean {
    if (!this.rxActive) {
      this.rxDroppedDisabled++;
      return false;
    }
    if (len < MIN_FRAME_LEN || len > this.maxFrame) {
      this.stats[len < MIN_FRAME_LEN ? S_RUC : S_ROC]! += 1;
      this.rxBadSize++;
      return false;
    }
    // address filter (82599 datasheet 7.1.1)
    const fctrl = this.fctrl;
    const group = (bytes[off]! & 1) !== 0;
    if (group) {
      const broadcast = isBroadcast(bytes, off);
      if (broadcast ? (fctrl & (IXGBE_FCTRL_BAM | IXGBE_FCTRL_MPE)) === 0 : (fctrl & IXGBE_FCTRL_MPE) === 0) {
        return this.rxDrop(len, true);
      }
      this.stats[broadcast ? S_BPRC : S_MPRC]! += 1;
    } else if ((fctrl & IXGBE_FCTRL_UPE) === 0 && !this.matchRar(bytes, off)) {
      return this.rxDrop(len, true);
    }
    // queue selection (82599 datasheet 7.1.2): RSS when MRQC says so, else queue 0
    if ((this.mrqc & IXGBE_MRQC_MRQE_MASK) !== IXGBE_MRQC_RSSEN)
      return this.deliver(0, bytes, off, len, 0, 0);
    const rss = this.rss;
    rss.classify(bytes, off, len, this.mrqc);
    return this.deliver(
      rss.queue,
      bytes,
      off,
      len,
      rss.rssType | (rss.packetType << IXGBE_RXDADV_PKTTYPE_SHIFT),
      (this.rxcsum & IXGBE_RXCSUM_PCSD) !== 0 ? rss.hash : 0,
    );
  }

  private derived(b: number, total: number, part: 0 | 1 | 2, consume: boolean): number {
    return derivedQueue(this.bases, b, total, part, consume);
  }

  private matchRar(bytes: Uint8Array, off: number): boolean {
    const macs = this.rarMacs;
    for (let i = 0; i < this.rarCount; i++) {
      const o = i * 6;
      if (
        macs[o] === bytes[off] &&
        macs[o + 1] === bytes[off + 1] &&
        macs[o + 2] === bytes[off + 2] &&
        macs[o + 3] === bytes[off + 3] &&
        macs[o + 4] === bytes[off + 4] &&
        macs[o + 5] === bytes[off + 5]
      )
        return true;
    }
    return false;
  }

  /** A frame received but not delivered: counted in TPR/TOR only. */
  private rxDrop(len: number, filtered: boolean): false {
    if (filtered) this.rxFiltered++;
    this.rxDropPkts++;
    this.rxDropOctets += len + ETH_FCS_LEN;
    return false;
  }

  private missed(q: number, len: number): false {
    this.rxMissed++;
    this.mpc[0]! += 1; // all queues map to packet buffer 0 (ixy: RXPBSIZE(0) only)
    this.rnbc[0]! += 1;
    if (q < IXGBE_NUM_QUEUE_STATS) this.qprdc[q]! += 1;
    return this.rxDrop(len, false);
  }

  /**
   * DMAs a frame into the descriptors of RX queue `q` from RDH (82599 datasheet 7.1.9): one descriptor per
   * SRRCTL.BSIZEPACKET bytes, write-back with DD on each and EOP on the last, RDH advances. No free
   * descriptor (RDH == RDT), a disabled queue or bus mastering off: the frame is missed.
   */
  private deliver(
    q: number,
    bytes: Uint8Array,
    off: number,
    len: number,
    info: number,
    hash: number,
  ): boolean {
    const rq = this.rxq[q]!;
    if (rq.live !== 1 || !this.busMaster || rq.head === rq.tail)
      return this.deliverGeneral(q, bytes, off, len, info, hash);
    if (bytes !== this.srcView) this.noteSource(bytes);
    if (
      len <= rq.bufSize &&
      (this.hlreg0 & IXGBE_HLREG0_RXCRCSTRP) !== 0 &&
      this.srcSameMemory &&
      rq.legacy === 0
    ) {
      // the common frame: one advanced descriptor, FCS stripped, sent from this machine's RAM (82599
      // datasheet 7.1.6: write-back of length, DD and EOP); deliverGeneral does the same for the rest
      const u32 = this.u32;
      const head = rq.head;
      const d = (rq.ring + head * IXGBE_DESC_SIZE) >>> 2;
      const dst =
        this.dmaInt32 && u32[d + 1]! === this.memBaseHi ? ((u32[d]! | 0) - this.memBaseLoI32) | 0 : -1;
      if (dst >= 0 && dst + len <= this.memSize) {
        copyInMemory(this.u8, u32, dst, this.srcByteOffset + off, len);
        u32[d] = info;
        u32[d + 1] = hash;
        u32[d + 3] = len; // PKT_LEN 15:0, VLAN 31:16 = 0
        u32[d + 2] = IXGBE_RXDADV_STAT_DD | IXGBE_RXDADV_STAT_EOP; // status last: DD hands it over
        rq.head = head + 1 === rq.size ? 0 : head + 1;
        this.rxqPkts[q]! += 1;
        this.rxqOctets[q]! += len + ETH_FCS_LEN;
        if (rq.vector >= 0 || this.hostile) this.afterRx(q, d);
        return true;
      }
    }
    return this.deliverGeneral(q, bytes, off, len, info, hash);
  }

  /** Reading .buffer/.byteOffset of a view on shared memory is slow: done once per source view. */
  private noteSource(bytes: Uint8Array): void {
    this.srcView = bytes;
    this.srcSameMemory = bytes.buffer === this.memBuffer;
    this.srcByteOffset = bytes.byteOffset;
  }

  /** After a write-back at descriptor word `d` of queue `q`: its interrupt cause, hostile mode's lies. */
  private afterRx(q: number, d: number): void {
    const vec = this.rxq[q]!.vector;
    if (vec >= 0) this.raiseCause(1 << (vec & 15), vec);
    if (this.hostile) this.hostileRx(q, d);
  }

  /** {@link Ixgbe82599.deliver} for every case: misses, several descriptors, FCS kept, legacy, foreign bytes. */
  private deliverGeneral(
    q: number,
    bytes: Uint8Array,
    off: number,
    len: number,
    info: number,
    hash: number,
  ): boolean {
    const rq = this.rxq[q]!;
    if (rq.live !== 1) return this.missed(q, len);
    if (!this.busMaster) {
      this.dmaBlocked++;
      return this.missed(q, len);
    }
    const strip = (this.hlreg0 & IXGBE_HLREG0_RXCRCSTRP) !== 0;
    const total = strip ? len : len + ETH_FCS_LEN;
    const size = rq.size;
    let head = rq.head;
    const tail = rq.tail;
    const bsize = rq.bufSize;
    if (head === tail) return this.missed(q, len);
    const u32 = this.u32;
    const u8 = this.u8;
    const ring = rq.ring;
    const memBase = this.memBase;
    const legacy = rq.legacy === 1;
    if (bytes !== this.srcView) this.noteSource(bytes);
    const sameMemory = this.srcSameMemory;
    const srcBase = sameMemory ? this.srcByteOffset + off : off;
    const free = tail >= head ? tail - head : tail + size - head;
    if (total > bsize && free < Math.ceil(total / bsize)) return this.missed(q, len);
    const fcs = strip ? 0 : ethernetFcs(bytes, off, len);
    let done = 0;
    while (done < total) {
      const d = (ring + head * IXGBE_DESC_SIZE) >>> 2;
      const dst = u32[d]! + u32[d + 1]! * TWO32 - memBase;
      const chunk = Math.min(total - done, bsize);
      if (dst < 0 || dst + chunk > this.memSize) {
        this.checker.violation(
          `RX descriptor ${head} of queue ${q} points outside host memory (0x${(dst + memBase).toString(16)})`,
          "82599 datasheet 7.1.6",
        );
        rq.head = head;
        return this.missed(q, len);
      }
      // the frame's bytes, then the FCS bytes that fall into this chunk
      const dataEnd = Math.min(done + chunk, len);
      if (dataEnd > done) {
        if (sameMemory) copyInMemory(u8, u32, dst, srcBase + done, dataEnd - done);
        else for (let i = done; i < dataEnd; i++) u8[dst + i - done] = bytes[off + i]!;
      }
      for (let i = Math.max(done, len); i < done + chunk; i++) {
        u8[dst + i - done] = (fcs >>> (8 * (i - len))) & 0xff;
      }
      done += chunk;
      const status = done === total ? IXGBE_RXDADV_STAT_DD | IXGBE_RXDADV_STAT_EOP : IXGBE_RXDADV_STAT_DD;
      if (legacy) {
        // legacy write-back: length 15:0 at byte 8, status at byte 12 (address left in place)
        u32[d + 2] = chunk;
        u32[d + 3] = status;
      } else {
        u32[d] = info;
        u32[d + 1] = hash;
        u32[d + 3] = chunk; // PKT_LEN 15:0, VLAN 31:16 = 0
        u32[d + 2] = status; // status last: DD makes the descriptor the driver's
      }
      head = head + 1 === size ? 0 : head + 1;
    }
    rq.head = head;
    this.rxqPkts[q]! += 1;
    this.rxqOctets[q]! += len + ETH_FCS_LEN;
    const vec = rq.vector;
    if (vec >= 0) this.raiseCause(1 << (vec & 15), vec);
    if (this.hostile) this.hostileRx(q, (ring + (head === 0 ? size - 1 : head - 1) * IXGBE_DESC_SIZE) >>> 2);
    return true;
  }

  // ====================================================================== hostile mode

  private random(): number {
    let x = this.seed;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.seed = x >>> 0;
    return this.seed;
  }

  /** After a write-back at descriptor word `d`: sometimes lie about it, or mark a descriptor never posted. */
  private hostileRx(q: number, d: number): void {
    const r = this.random();
    if (r % this.hostileRate !== 0) return;
    this.hostileActions++;
    const u32 = this.u32;
    const legacy = this.rxq[q]!.legacy === 1;
    const lenWord = legacy ? d + 2 : d + 3;
    switch ((r >>> 8) % 4) {
      case 0: // a length beyond the buffer
        u32[lenWord] = (this.rxq[q]!.bufSize + 1 + ((r >>> 12) & 0x3fff)) & 0xffff || 0xffff;
        break;
      case 1: // DD without EOP on a single-descriptor frame
        u32[legacy ? d + 3 : d + 2] = IXGBE_RXDADV_STAT_DD;
        break;
      case 2: {
        // DD|EOP and a plausible length on the descriptor at RDT, which the driver never gave to hardware
        const t = this.rxq[q]!.tail;
        const dt = (this.rxq[q]!.ring + t * IXGBE_DESC_SIZE) >>> 2;
        u32[legacy ? dt + 2 : dt + 3] = 64;
        u32[legacy ? dt + 3 : dt + 2] = IXGBE_RXDADV_STAT_DD | IXGBE_RXDADV_STAT_EOP;
        break;
      }
      default: // length 0
        u32[lenWord] = 0;
    }
  }

  /** After sending: sometimes write DD on descriptors at and after TDT, which the driver never posted. */
  private hostileTx(q: number): void {
    const r = this.random();
    if (r % this.hostileRate !== 0) return;
    this.hostileActions++;
    const size = this.txq[q]!.size;
    const n = 1 + ((r >>> 8) % 40);
    for (let k = 0; k < n && k < size - 1; k++) {
      const i = (this.txq[q]!.tail + k) % size;
      const d = (this.txq[q]!.ring + i * IXGBE_DESC_SIZE) >>> 2;
      this.u32[d + 3] = this.u32[d + 3]! | IXGBE_ADVTXD_STAT_DD;
    }
  }
}

// ====================================================================== helpers

/** The live state of one descriptor queue (numbers only: one monomorphic shape for the data path). */
class QueueState {
  /** 1 while enabled (RXDCTL/TXDCTL.ENABLE accepted). */
  live = 0;
  /** Offset of the ring in RAM (-1: none). */
  ring = -1;
  /** Descriptors in the ring. */
  size = 0;
  head = 0;
  tail = 0;
  /** RX: bytes per packet buffer (SRRCTL.BSIZEPACKET). */
  bufSize = 0;
  /** RX: 1 for legacy descriptors. */
  legacy = 0;
  /** Interrupt vector from IVAR (-1: none). */
  vector = -1;
  reset(): void {
    this.live = 0;
    this.ring = -1;
    this.size = 0;
    this.head = 0;
    this.tail = 0;
    this.bufSize = 0;
    this.legacy = 0;
    this.vector = -1;
  }
}

/**
 * Copies `n` bytes inside RAM from `src` to `dst`. Small aligned copies go word by word (cheaper than a
 * `copyWithin` call on shared memory); the rest uses `copyWithin` (a memmove).
 */
function copyInMemory(u8: Uint8Array, u32: Uint32Array, dst: number, src: number, n: number): void {
  if (n <= 256 && ((dst | src) & 3) === 0) {
    const words = n >>> 2;
    const dw = dst >>> 2;
    const sw = src >>> 2;
    let k = 0;
    // four words per iteration: V8 re-checks the view on every loop turn, not on every element
    for (; k + 4 <= words; k += 4) {
      u32[dw + k] = u32[sw + k]!;
      u32[dw + k + 1] = u32[sw + k + 1]!;
      u32[dw + k + 2] = u32[sw + k + 2]!;
      u32[dw + k + 3] = u32[sw + k + 3]!;
    }
    for (; k < words; k++) u32[dw + k] = u32[sw + k]!;
    for (k = words << 2; k < n; k++) u8[dst + k] = u8[src + k]!;
  } else {
    u8.copyWithin(dst, src, src + n);
  }
}

/**
 * `n` as a small integer (a Smi for V8) when it is one in value. A difference of two boxed doubles (RAM sits
 * above 2^31) stays a boxed double even when small, and a field holding one makes the data path's offset
 * arithmetic floating-point.
 */
function smallInt(n: number): number {
  return n >= 0 && n <= 0x3fff_ffff ? n | 0 : n;
}

function rxQueueBase(q: number): number {
  return q < 64 ? IXGBE_RXQ_LOW_BASE + q * 0x40 : IXGBE_RXQ_HIGH_BASE + (q - 64) * 0x40;
}

function isBroadcast(bytes: Uint8Array, off: number): boolean {
  return (
    bytes[off] === 0xff &&
    bytes[off + 1] === 0xff &&
    bytes[off + 2] === 0xff &&
    bytes[off + 3] === 0xff &&
    bytes[off + 4] === 0xff &&
    bytes[off + 5] === 0xff
  );
}

/** Link speed bits of LINKS for the mode AUTOC selects: the 1 Gb/s modes give 1G, the others 10G. */
function linkSpeedOf(autoc: number): number {
  if ((autoc & IXGBE_AUTOC_FLU) !== 0) return IXGBE_LINKS_SPEED_10G_82599;
  const lms = (autoc & IXGBE_AUTOC_LMS_MASK) >>> IXGBE_AUTOC_LMS_SHIFT;
  // 000 1G no AN, 010 1G AN, 101 SGMII 1G/100M; the rest are 10G modes (ixgbe-82599.md §3)
  return lms === 0 || lms === 2 || lms === 5 ? IXGBE_LINKS_SPEED_1G_82599 : IXGBE_LINKS_SPEED_10G_82599;
}

/** The "other causes" vector of IVAR_MISC (byte 1, valid bit 7), or 0. */
function miscVector(ivarMisc: number): number {
  const e = (ivarMisc >>> 8) & 0xff;
  return (e & IXGBE_IVAR_ALLOC_VAL) !== 0 ? e & 0x3f : 0;
}

function isStatisticsRegister(off: number): boolean {
  return (off >= 0x04000 && off < 0x04100) || (off >= 0x03fa0 && off < 0x03fe0);
}

function sum(a: Float64Array): number {
  let t = 0;
  for (let i = 0; i < a.length; i++) t += a[i]!;
  return t;
}

/**
 * A clear-on-read counter derived from a running `total`: the value is `total - bases[i]`; `part` 0 reads
 * it as a 32-bit counter (clearing it), 1 reads and clears its low 32 bits, 2 its high bits.
 */
function derivedQueue(
  bases: Float64Array,
  i: number,
  total: number,
  part: 0 | 1 | 2,
  consume: boolean,
): number {
  const v = total - bases[i]!;
  if (part === 0) {
    if (consume) bases[i] = total;
    return v % TWO32;
  }
  if (part === 1) {
    const lo = v % TWO32;
    if (consume) bases[i] = bases[i]! + lo;
    return lo;
  }
  const hi = Math.floor(v / TWO32);
  if (consume) bases[i] = bases[i]! + hi * TWO32;
  return hi >>> 0;
}

/** Reads a 32-bit clear-on-read counter. */
function takeCounter(a: Float64Array, i: number, consume: boolean): number {
  const v = a[i]!;
  if (consume) a[i] = 0;
  return v % TWO32;
}
