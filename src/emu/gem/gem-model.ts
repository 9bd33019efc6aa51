import type { VirtualClock } from "../../hal/clock.js";
import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import type { PhysicalMemory } from "../../hal/phys-memory.js";
import * as desc from "../../hw/gem/descriptors.js";
import * as phyRegs from "../../hw/gem/phy.js";
import * as regs from "../../hw/gem/registers.js";
import type { FrameSink, NicModel } from "../frame-port.js";
import { NicPort } from "../frame-port.js";
import type { Machine } from "../machine.js";
import { type ModelMode, ProtocolChecker } from "../model-error.js";
import { crc32 } from "./crc32.js";
import { type MdioAccess, type Yt8521Options, Yt8521Phy } from "./yt8521-phy.js";

// The hw/ constants as this module's own `const`s: V8 (Node 20) embeds a module's own constants in optimised
// code, but loads and hole-checks an imported binding at every use, which cost ~45 ns per packet here.
const {
  DCFG1_DBWDEF_128,
  DCFG1_DBWDEF_SHIFT,
  DMACR_ADDR_64B,
  DMACR_RX_EXT_BD,
  DMACR_RXBUF_SHIFT,
  DMACR_RXBUF_UNIT,
  DMACR_TX_EXT_BD,
  FXMAC0_BASE,
  FXMAC0_QUEUE0_IRQ,
  GEM_COMPATIBLE,
  GEM_DCFG1,
  GEM_DCFG2,
  GEM_DMACR,
  GEM_HASHH,
  GEM_HASHL,
  GEM_IDR,
  GEM_IER,
  GEM_IMR,
  GEM_ISR,
  GEM_JUMBOMAXLEN,
  GEM_MSB_RXQBASE,
  GEM_MSB_TXQBASE,
  GEM_NWCFG,
  GEM_NWCTRL,
  GEM_NWSR,
  GEM_PCS_AN_LP,
  GEM_PCS_STATUS,
  GEM_PHYMNTNC,
  GEM_REGION_SIZE,
  GEM_REVISION,
  GEM_RXQBASE,
  GEM_RXSR,
  GEM_SA1B,
  GEM_STATS_COUNT,
  GEM_STATS_FIRST,
  GEM_STATS_LAST,
  GEM_TXQBASE,
  GEM_TXSR,
  IXR_ALL,
  IXR_HRESPNOK,
  IXR_LINKCHANGE,
  IXR_MGMNT,
  IXR_RETRY,
  IXR_RXCOMPL,
  IXR_RXUSED,
  IXR_TXCOMPL,
  IXR_TXEXH,
  IXR_TXUSED,
  NWCFG_100,
  NWCFG_1000,
  NWCFG_1536RXEN,
  NWCFG_BCASTDI,
  NWCFG_COPYALLEN,
  NWCFG_FCS_REMOVE,
  NWCFG_FDEN,
  NWCFG_JUMBO,
  NWCFG_MCASTHASHEN,
  NWCFG_MDCCLKDIV_32,
  NWCFG_RBOF_MASK,
  NWCFG_RBOF_SHIFT,
  NWCFG_UCASTHASHEN,
  NWCTRL_MDEN,
  NWCTRL_RXEN,
  NWCTRL_STARTTX,
  NWCTRL_STATCLR,
  NWCTRL_STROBES,
  NWCTRL_TXEN,
  NWSR_MDIO_IDLE,
  NWSR_PCS_LINK,
  PCS_AN_LP_DUPLEX,
  PCS_AN_LP_LINK,
  PCS_AN_LP_SPEED_SHIFT,
  PCS_STATUS_LINK,
  PHYMNTNC_CODE,
  PHYMNTNC_CODE_MASK,
  PHYMNTNC_OP_MASK,
  PHYMNTNC_OP_READ,
  PHYMNTNC_OP_WRITE,
  PHYMNTNC_PHYA_SHIFT,
  PHYMNTNC_REGA_SHIFT,
  PHYMNTNC_SOF_CL22,
  PHYMNTNC_SOF_MASK,
  REVISION_MODULE_ID_SHIFT,
  RXSR_BUFFNA,
  RXSR_FRAMERX,
  RXSR_HRESP_NOK,
  STAT_OCTRXH,
  STAT_OCTRXL,
  STAT_OCTTXH,
  STAT_OCTTXL,
  STAT_RXOVRCNT,
  STAT_RXRESERRCNT,
  STAT_RXUNDRCNT,
  TXSR_FRAME_CORRUPT,
  TXSR_HRESP_NOK,
  TXSR_RETRY_LIMIT,
  TXSR_TXCOMPL,
  TXSR_TXGO,
  TXSR_USEDREAD,
} = regs;

const { MDIO_NO_PHY } = phyRegs;

const {
  DESC_WORD_ADDR_HI,
  DESC_WORD_CTRL,
  ETH_FCS_LEN,
  ETH_HEADER_LEN,
  ETH_MIN_FRAME,
  GEM_DESC_SIZE_32,
  GEM_DESC_SIZE_64,
  RX_W0_ADDR_MASK,
  RX_W0_USED,
  RX_W0_WRAP,
  RX_W1_BROADCAST,
  RX_W1_EOF,
  RX_W1_MHASH_MATCH,
  RX_W1_SA_MATCH,
  RX_W1_SA_SHIFT,
  RX_W1_SOF,
  RX_W1_UHASH_MATCH,
  TX_W1_FRAME_CORRUPT,
  TX_W1_LAST,
  TX_W1_LEN_MASK,
  TX_W1_NOCRC,
  TX_W1_RETRY_LIMIT,
  TX_W1_USED,
  TX_W1_WRAP,
} = desc;

/** The kinds of misbehaviour a hostile GEM model injects. */
export const GemFault = {
  /** RX: a length field of 0, under 14, or larger than the buffer. */
  RxBadLength: "rxBadLength",
  /** RX: a frame written without the start-of-frame marker. */
  RxNoSof: "rxNoSof",
  /** RX: a frame written without the end-of-frame marker. */
  RxNoEof: "rxNoEof",
  /** RX: a bogus completion: the next descriptor marked used (no SOF/EOF, length 0) and passed over. */
  RxPhantomUsed: "rxPhantomUsed",
  /** TX: a frame marked done (used + retry-limit error) but never sent. */
  TxLost: "txLost",
  /** TX: used bit and garbage written into a descriptor the driver never gave (where the walk stopped). */
  TxUsedNotGiven: "txUsedNotGiven",
} as const;
/** One of the {@link GemFault} values. */
export type GemFault = (typeof GemFault)[keyof typeof GemFault];

const RX_FAULTS: readonly GemFault[] = [
  GemFault.RxBadLength,
  GemFault.RxNoSof,
  GemFault.RxNoEof,
  GemFault.RxPhantomUsed,
];
const TX_FAULTS: readonly GemFault[] = [GemFault.TxLost, GemFault.TxUsedNotGiven];

/** Options of a {@link GemModel}. */
export interface GemModelOptions {
  /** Register base (default FXMAC0, 0x3200C000). */
  base?: number;
  /** Interrupt number in the description (default 87, FXMAC0 queue 0). */
  irq?: number;
  /** The board MAC address firmware leaves in SA1 (default 02:00:00:00:xx:yy from the base). */
  mac?: ArrayLike<number>;
  /** Strict (throw on driver errors; default true) and hostile (inject device faults; default false). */
  mode?: Partial<ModelMode>;
  /** With `mode.hostile`: inject one fault every this many frames (default 5). */
  hostileEvery?: number;
  /** The PHY's options (MDIO address, link partner, delays). */
  phy?: Yt8521Options;
  /** Physical-address width of the GEM's DMA: the bits of the high base registers beyond it are ignored (default 48). */
  dmaAddressBits?: number;
  /** Largest frame (without FCS) the port carries (default 1514). */
  mtu?: number;
  /** Record every MDIO access in {@link GemModel.mdioLog} (default true; bring-up makes a few hundred). */
  recordMdio?: boolean;
}

/** What the model counts beyond the GEM statistics registers (which clear on read). */
export interface GemModelCounters {
  /** Frames written into the RX ring. */
  rxFrames: number;
  /** Frames arriving while RXEN was clear. */
  rxDisabled: number;
  /** Frames arriving while the PHY link was down. */
  rxNoLink: number;
  /** Frames the address filter rejected. */
  rxFiltered: number;
  /** Frames dropped because the current RX descriptor was used (no buffer). */
  rxNoBuffer: number;
  /** Frames dropped as too short or too long. */
  rxBadSize: number;
  /** Frames sent to the link. */
  txFrames: number;
  /** Frames completed with an error (not sent). */
  txErrors: number;
  /** Frames sent while the PHY link was down (lost on the wire). */
  txNoLink: number;
  /** Faults injected in hostile mode, by kind. */
  faults: Record<GemFault, number>;
}

const TWO32 = 0x1_0000_0000;
/** {@link GemModel} txGeneral results. */
const TX_SENT = 1;
const TX_NOT_SENT = 2;
const TX_STOPPED = 0;
const SEC_REGS = "fxmac-gem 2";
const SEC_NWCTRL = "fxmac-gem 3.1";
const SEC_DESC = "fxmac-gem 4";
const SEC_MDIO = "fxmac-gem 7.1";
const SEC_RINGS = "fxmac-gem 5";
const SEC_INIT = "fxmac-gem 6.2 step 18";
const SEC_STATS = "fxmac-gem 8";
const STAT_WEN = 1 << 7;

/**
 * A register-level model of the Phytium FXMAC (Cadence GEM) with a Motorcomm YT8521 PHY behind MDIO,
 * as a platform device `cdns,phytium-gem-1.0` (fxmac-gem 1-11).
 *
 * Registers: network control/configuration/status, DMA configuration, TX/RX status (write 1 to clear),
 * queue-0 base registers with their upper halves (a read gives the current descriptor, as on Cadence
 * parts), ISR (write 1 to clear: DCFG1.IRQCOR = 0) with IER/IDR/IMR, MDIO maintenance, the four specific
 * addresses (SA1 holds the board MAC at power-on), the hash filter, and the statistics block (clear on
 * read). The rest of the window is plain storage (queue 1..7 registers, clock-select registers...).
 *
 * Receive: a frame from the port lands in the RX descriptor at the current position (16-byte 64-bit
 * descriptors or 8-byte ones as DMACR says), continuing into following descriptors when it is larger than
 * the DMACR buffer size, with SOF/EOF, length and match bits written back and the used bit set; a used
 * descriptor at the current position drops the frame (buffer not available). Transmit: the STARTTX strobe
 * walks the TX ring from the current position until a descriptor with the used bit, sending each frame and
 * setting the used bit in its first descriptor; the position stays on the used descriptor.
 *
 * Strict mode throws a {@link ModelError} naming the rule and section for forbidden driver actions;
 * hostile mode injects {@link GemFault}s.
 */
export class GemModel implements MmioHandler, FrameSink, NicModel {
  /** Device name used in errors. */
  readonly name: string;
  /** Register base. */
  readonly base: number;
  /** Interrupt number. */
  readonly irq: number;
  /** The cable socket: `port.connect(peer)` plugs a link in; frames from the link land in {@link GemModel.receiveFrame}. */
  readonly port: NicPort;
  /** The PHY behind MDIO. */
  readonly phy: Yt8521Phy;
  /** Strictness bookkeeping. */
  readonly checker: ProtocolChecker;
  /** Inject device faults. */
  hostile: boolean;
  /** Every MDIO access, in order (when recording). */
  readonly mdioLog: MdioAccess[] = [];
  /** Whether MDIO accesses are recorded. */
  recordMdio: boolean;
  /** Counters beyond the statistics registers. */
  readonly counters: GemModelCounters;
  /** Times the interrupt line went from idle to asserted. */
  irqRaised = 0;

  private readonly clock: VirtualClock;
  private readonly u8: Uint8Array;
  private readonly u32: Uint32Array;
  private readonly memBase: number;
  /** memBase split into 32-bit halves, so descriptor addresses turn into offsets without large doubles. */
  private readonly memBaseLo: number;
  private readonly memBaseHi: number;
  private readonly memBaseLoI32: number;
  private readonly ramUnder2G: boolean;
  private readonly memSize: number;
  private readonly hiMask: number;
  private readonly hostileEvery: number;
  private readonly regs = new Uint32Array(GEM_REGION_SIZE / 4);
  private readonly stats = new Float64Array(GEM_STATS_COUNT);
  private readonly scratch = new Uint8Array(16384 + 64);

  private nwctrl = 0;
  private nwcfg = NWCFG_MDCCLKDIV_32;
  private dmacr = 0x0002_0704;
  private txsr = 0;
  private rxsr = 0;
  private isr = 0;
  private imr = IXR_ALL;
  private man = 0;
  private rxqLo = 0;
  private rxqHi = 0;
  private txqLo = 0;
  private txqHi = 0;
  /** RAM offset of the current RX / TX descriptor (physical address - RAM base; outside [0, size) when bad). */
  private rxCur = 0;
  private txCur = 0;
  private rxDescSize = GEM_DESC_SIZE_32;
  private txDescSize = GEM_DESC_SIZE_32;
  private desc64 = false;
  /** Specific addresses as (bytes 0..3, bytes 4..5) and whether each filter is on. */
  private readonly saLo = new Int32Array(4);
  private readonly saHi = new Int32Array(4);
  private readonly saOn = new Uint8Array(4);
  private rxSeen = 0;
  private txSeen = 0;
  private scribblePending = false;
  /** The PHY's link state, mirrored on every change (read per frame). */
  private linkUp = false;
  private lastSrc: Uint8Array | undefined;
  private lastSrc32: Uint32Array | undefined;
  /** The MAC firmware leaves in SA1 at power-on. */
  private readonly boardMac: number[];

  /**
   * @param memory the machine's RAM (what the GEM's DMA reaches)
   * @param clock the machine's virtual clock (the PHY's delays run on it)
   */
  constructor(memory: PhysicalMemory, clock: VirtualClock, options: GemModelOptions = {}) {
    this.clock = clock;
    this.u8 = memory.u8;
    this.u32 = memory.u32;
    this.memBase = memory.base;
    this.memBaseLo = memory.base % TWO32;
    this.memBaseHi = Math.floor(memory.base / TWO32);
    this.memBaseLoI32 = this.memBaseLo | 0;
    // (and not across a 4 GiB boundary: there a wrapped low half could pass for an address in RAM)
    this.ramUnder2G = memory.size <= 0x8000_0000 && this.memBaseLo + memory.size <= TWO32;
    this.memSize = memory.size;
    this.base = options.base ?? FXMAC0_BASE;
    this.irq = options.irq ?? FXMAC0_QUEUE0_IRQ;
    this.name = `gem@${this.base.toString(16)}`;
    const bits = options.dmaAddressBits ?? 48;
    this.hiMask = bits >= 64 ? 0xffff_ffff : 2 ** Math.max(0, Math.min(32, bits - 32)) - 1;
    const mode = options.mode ?? {};
    this.checker = new ProtocolChecker(this.name, mode.strict ?? true);
    this.hostile = mode.hostile ?? false;
    this.hostileEvery = Math.max(1, options.hostileEvery ?? 5);
    this.recordMdio = options.recordMdio ?? true;
    this.port = new NicPort(this, options.mtu ?? 1514);
    this.phy = new Yt8521Phy(clock, options.phy);
    this.phy.onLinkChange = (up) => {
      this.linkUp = up;
      this.raise(IXR_LINKCHANGE);
    };
    this.counters = {
      rxFrames: 0,
      rxDisabled: 0,
      rxNoLink: 0,
      rxFiltered: 0,
      rxNoBuffer: 0,
      rxBadSize: 0,
      txFrames: 0,
      txErrors: 0,
      txNoLink: 0,
      faults: { rxBadLength: 0, rxNoSof: 0, rxNoEof: 0, rxPhantomUsed: 0, txLost: 0, txUsedNotGiven: 0 },
    };
    const mac = options.mac ?? [0x02, 0, 0, 0, (this.base >>> 21) & 0xff, (this.base >>> 13) & 0xff];
    if (mac.length !== 6) throw new RangeError("a MAC address has 6 bytes");
    this.boardMac = Array.from(mac);
    this.powerOnRegisters();
  }

  /** Power-on values (fxmac-gem 2, 9): SA1 holds the board MAC that firmware left there. */
  private powerOnRegisters(): void {
    const mac = this.boardMac;
    this.regs[GEM_SA1B >> 2] = (mac[0]! | (mac[1]! << 8) | (mac[2]! << 16) | (mac[3]! << 24)) >>> 0;
    this.regs[(GEM_SA1B + 4) >> 2] = mac[4]! | (mac[5]! << 8);
    this.saOn[0] = 1;
    this.refreshSa(0);
    this.regs[GEM_REVISION >> 2] = (12 << REVISION_MODULE_ID_SHIFT) | 0x0107;
    this.regs[GEM_DCFG1 >> 2] = DCFG1_DBWDEF_128 << DCFG1_DBWDEF_SHIFT;
    this.regs[GEM_DCFG2 >> 2] = 0x2ff3_ffff;
    this.regs[GEM_JUMBOMAXLEN >> 2] = 0x3fff;
  }

  /**
   * A power-on reset of the MAC, as the board's reset line gives it: every register back to its power-on
   * value (SA1 again holds the board MAC), statistics cleared, both rings stopped at their first
   * descriptor. The PHY keeps its state (it has its own reset, BMCR bit 15); diagnostic counters stay.
   */
  reset(): void {
    this.nwctrl = 0;
    this.nwcfg = NWCFG_MDCCLKDIV_32;
    this.dmacr = 0x0002_0704;
    this.txsr = 0;
    this.rxsr = 0;
    this.isr = 0;
    this.imr = IXR_ALL;
    this.man = 0;
    this.rxqLo = 0;
    this.rxqHi = 0;
    this.txqLo = 0;
    this.txqHi = 0;
    this.rxCur = 0;
    this.txCur = 0;
    this.rxDescSize = GEM_DESC_SIZE_32;
    this.txDescSize = GEM_DESC_SIZE_32;
    this.desc64 = false;
    this.rxSeen = 0;
    this.txSeen = 0;
    this.scribblePending = false;
    this.regs.fill(0);
    this.stats.fill(0);
    this.saLo.fill(0);
    this.saHi.fill(0);
    this.saOn.fill(0);
    this.powerOnRegisters();
  }

  /** Creates a model and adds it to `machine` as the platform device `cdns,phytium-gem-1.0`. */
  static attach(machine: Machine, options: GemModelOptions = {}): GemModel {
    const gem = new GemModel(machine.ram, machine.clock, options);
    machine.addPlatformDevice(
      { compatible: GEM_COMPATIBLE, base: gem.base, size: GEM_REGION_SIZE, irq: gem.irq },
      gem,
    );
    return gem;
  }

  /** Whether the interrupt line is asserted (an ISR bit is set whose IMR bit is clear; fxmac-gem 3.6). */
  get irqAsserted(): boolean {
    return (this.isr & ~this.imr & IXR_ALL) !== 0;
  }

  /** Physical address of the current RX descriptor. */
  get rxQueuePointer(): number {
    return this.memBase + this.rxCur;
  }
  /** Physical address of the current TX descriptor. */
  get txQueuePointer(): number {
    return this.memBase + this.txCur;
  }
  /** The network control register (without strobes). */
  get networkControl(): number {
    return this.nwctrl;
  }
  /** The network configuration register. */
  get networkConfig(): number {
    return this.nwcfg;
  }
  /** The DMA configuration register. */
  get dmaConfig(): number {
    return this.dmacr;
  }
  /** The interrupt status register (without clearing anything). */
  get interruptStatus(): number {
    return this.isr;
  }
  /** The interrupt mask register. */
  get interruptMask(): number {
    return this.imr;
  }
  /**
   * The stored word of a plain-storage register (HSMAC, clock-select, queue 1..7, PCS control, SA and hash
   * registers...), without read side effects; registers with behaviour have their own getters.
   */
  peek(offset: number): number {
    return this.regs[offset >>> 2]!;
  }

  // ------------------------------------------------------------------ registers

  mmioRead(offset: number, width: AccessWidth): number {
    if (width !== 4 || (offset & 3) !== 0) {
      this.checker.violation(
        `${width}-byte register read at 0x${offset.toString(16)}: registers take aligned 32-bit accesses`,
        SEC_REGS,
      );
      return 0;
    }
    switch (offset) {
      case GEM_NWCTRL:
        return this.nwctrl >>> 0;
      case GEM_NWCFG:
        return this.nwcfg >>> 0;
      case GEM_NWSR:
        return NWSR_MDIO_IDLE | (this.phy.linkUp ? NWSR_PCS_LINK : 0);
      case GEM_DMACR:
        return this.dmacr >>> 0;
      case GEM_TXSR:
        return this.txsr >>> 0;
      case GEM_RXSR:
        return this.rxsr >>> 0;
      case GEM_RXQBASE:
        return (((this.memBase + this.rxCur) % TWO32) | (this.rxqLo & 3)) >>> 0;
      case GEM_TXQBASE:
        return (((this.memBase + this.txCur) % TWO32) | (this.txqLo & 3)) >>> 0;
      case GEM_MSB_RXQBASE:
        return this.rxqHi >>> 0;
      case GEM_MSB_TXQBASE:
        return this.txqHi >>> 0;
      case GEM_ISR:
        return this.isr >>> 0;
      case GEM_IMR:
        return this.imr >>> 0;
      case GEM_IER:
      case GEM_IDR:
        return 0; // write only
      case GEM_PHYMNTNC:
        return this.man >>> 0;
      case GEM_PCS_STATUS:
        return this.phy.linkUp ? PCS_STATUS_LINK : 0;
      case GEM_PCS_AN_LP:
        return this.pcsAnLp();
    }
    if (offset >= GEM_STATS_FIRST && offset <= GEM_STATS_LAST) return this.readStat(offset);
    return this.regs[offset >>> 2]!;
  }

  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    if (width !== 4 || (offset & 3) !== 0) {
      this.checker.violation(
        `${width}-byte register write at 0x${offset.toString(16)}: registers take aligned 32-bit accesses`,
        SEC_REGS,
      );
      return;
    }
    value >>>= 0;
    switch (offset) {
      case GEM_NWCTRL:
        this.writeNwctrl(value);
        return;
      case GEM_NWCFG:
        this.nwcfg = value;
        return;
      case GEM_DMACR:
        this.dmacr = value;
        this.updateDescSizes();
        return;
      case GEM_TXSR:
        this.txsr &= ~value;
        return;
      case GEM_RXSR:
        this.rxsr &= ~value;
        return;
      case GEM_ISR:
        this.isr &= ~value; // IRQCOR = 0: write 1 to clear (fxmac-gem 3.6)
        return;
      case GEM_IER:
        this.imr &= ~value;
        return;
      case GEM_IDR:
        this.imr = (this.imr | value) & IXR_ALL;
        return;
      case GEM_RXQBASE:
        if (this.nwctrl & NWCTRL_RXEN) {
          this.checker.violation("RX queue base written while receive is enabled", SEC_RINGS);
        }
        this.rxqLo = value;
        this.rxCur = this.rxBase();
        return;
      case GEM_TXQBASE:
        if (this.nwctrl & NWCTRL_TXEN) {
          this.checker.violation("TX queue base written while transmit is enabled", SEC_RINGS);
        }
        this.txqLo = value;
        this.txCur = this.txBase();
        return;
      case GEM_MSB_RXQBASE:
        if (this.nwctrl & NWCTRL_RXEN) {
          this.checker.violation("RX queue base (bits 63:32) written while receive is enabled", SEC_RINGS);
        }
        this.rxqHi = value;
        this.rxCur = this.rxBase();
        return;
      case GEM_MSB_TXQBASE:
        if (this.nwctrl & NWCTRL_TXEN) {
          this.checker.violation("TX queue base (bits 63:32) written while transmit is enabled", SEC_RINGS);
        }
        this.txqHi = value;
        this.txCur = this.txBase();
        return;
      case GEM_PHYMNTNC:
        this.mdio(value);
        return;
      case GEM_NWSR:
      case GEM_IMR:
      case GEM_REVISION:
      case GEM_DCFG1:
      case GEM_DCFG2:
      case GEM_PCS_STATUS:
      case GEM_PCS_AN_LP:
        this.checker.violation(`write to read-only register 0x${offset.toString(16)}`, SEC_REGS);
        return;
    }
    if (offset >= GEM_SA1B && offset < GEM_SA1B + 32) {
      this.regs[offset >>> 2] = value;
      const n = (offset - GEM_SA1B) >>> 3;
      // Cadence: writing the bottom half disables the filter, writing the top half enables it (fxmac-gem 3.7)
      this.saOn[n] = (offset - GEM_SA1B) & 4 ? 1 : 0;
      this.refreshSa(n);
      return;
    }
    if (offset >= GEM_STATS_FIRST && offset <= GEM_STATS_LAST) {
      if (!(this.nwctrl & STAT_WEN)) {
        this.checker.violation("statistics register written without NWCTRL.STATWEN", SEC_STATS);
        return;
      }
      this.stats[(offset - GEM_STATS_FIRST) >>> 2] = value;
      return;
    }
    this.regs[offset >>> 2] = value;
  }

  private writeNwctrl(value: number): void {
    const old = this.nwctrl;
    const rxOn = (value & NWCTRL_RXEN) !== 0 && (old & NWCTRL_RXEN) === 0;
    const txOn = (value & NWCTRL_TXEN) !== 0 && (old & NWCTRL_TXEN) === 0;
    if (rxOn) this.checkRxStart();
    if (txOn) this.checkTxStart();
    if ((rxOn || txOn) && this.phy.linkUp) this.checkMacMode();
    this.nwctrl = value & ~NWCTRL_STROBES;
    // clearing TXEN puts the TX position back to the queue base (fxmac-gem 11, transmit 3)
    if ((old & NWCTRL_TXEN) !== 0 && (value & NWCTRL_TXEN) === 0) this.txCur = this.txBase();
    if (value & NWCTRL_STATCLR) this.stats.fill(0);
    if (value & NWCTRL_STARTTX) {
      if ((value & NWCTRL_TXEN) === 0) {
        this.checker.violation("STARTTX written while transmit is disabled (NWCTRL.TXEN = 0)", SEC_NWCTRL);
        return;
      }
      this.transmitRing();
    }
  }

  private checkRxStart(): void {
    const size = ((this.dmacr >>> DMACR_RXBUF_SHIFT) & 0xff) * DMACR_RXBUF_UNIT;
    if (size === 0)
      this.checker.violation("receive enabled with a DMACR RX buffer size of 0", "fxmac-gem 3.4");
    if (this.rxqLo & 1)
      this.checker.violation("receive enabled while the RX queue is marked unused (base bit 0)", SEC_RINGS);
    if (!this.ringInRam(this.rxCur, this.rxDescSize)) {
      this.checker.violation(
        `receive enabled with the RX queue base 0x${(this.memBase + this.rxCur).toString(16)} outside memory or misaligned`,
        SEC_RINGS,
      );
    }
  }

  private checkTxStart(): void {
    if (this.txqLo & 1)
      this.checker.violation("transmit enabled while the TX queue is marked unused (base bit 0)", SEC_RINGS);
    if (!this.ringInRam(this.txCur, this.txDescSize)) {
      this.checker.violation(
        `transmit enabled with the TX queue base 0x${(this.memBase + this.txCur).toString(16)} outside memory or misaligned`,
        SEC_RINGS,
      );
    }
  }

  /** NWCFG speed and duplex must match what the PHY resolved before the MAC is enabled. */
  private checkMacMode(): void {
    const m = this.phy.linkMode;
    if (m === undefined) return;
    const cfg = this.nwcfg;
    const speed = cfg & NWCFG_1000 ? 1000 : cfg & NWCFG_100 ? 100 : 10;
    const full = (cfg & NWCFG_FDEN) !== 0;
    if (speed !== m.speed || full !== m.fullDuplex) {
      this.checker.violation(
        `MAC configured for ${speed} Mb/s ${full ? "full" : "half"} duplex but the PHY resolved ${m.speed} Mb/s ` +
          `${m.fullDuplex ? "full" : "half"} duplex`,
        SEC_INIT,
      );
    }
  }

  /** Whether a descriptor at RAM offset `off` lies in RAM and is 8-aligned (RAM bases are page aligned). */
  private ringInRam(off: number, descSize: number): boolean {
    return off >= 0 && off + descSize <= this.memSize && (off & 7) === 0;
  }

  /** RAM offset of a DMA address given as its two 32-bit halves (the high half masked to the DMA width). */
  private offsetOf(lo: number, hi: number): number {
    // common case in 32-bit integer arithmetic: same high half as RAM, and RAM under 2 GiB
    if ((hi & this.hiMask) === this.memBaseHi && this.ramUnder2G) return ((lo | 0) - this.memBaseLoI32) | 0;
    return (lo >>> 0) - this.memBaseLo + ((hi & this.hiMask) - this.memBaseHi) * TWO32;
  }

  /** RAM offset of the RX queue base. */
  private rxBase(): number {
    return this.offsetOf(this.rxqLo & ~3, this.rxqHi);
  }
  /** RAM offset of the TX queue base. */
  private txBase(): number {
    return this.offsetOf(this.txqLo & ~3, this.txqHi);
  }

  private updateDescSizes(): void {
    this.desc64 = (this.dmacr & DMACR_ADDR_64B) !== 0;
    const base = this.desc64 ? GEM_DESC_SIZE_64 : GEM_DESC_SIZE_32;
    this.rxDescSize = base + (this.dmacr & DMACR_RX_EXT_BD ? 8 : 0);
    this.txDescSize = base + (this.dmacr & DMACR_TX_EXT_BD ? 8 : 0);
  }

  private refreshSa(n: number): void {
    this.saLo[n] = this.regs[(GEM_SA1B + 8 * n) >>> 2]! | 0;
    this.saHi[n] = this.regs[(GEM_SA1B + 8 * n + 4) >>> 2]! & 0xffff;
  }

  private pcsAnLp(): number {
    const m = this.phy.linkMode;
    if (m === undefined) return 0;
    const code = m.speed === 1000 ? 2 : m.speed === 100 ? 1 : 0;
    // SGMII link-partner word (bit 0 = 1 marks the SGMII format): link, speed, duplex
    return PCS_AN_LP_LINK | (code << PCS_AN_LP_SPEED_SHIFT) | (m.fullDuplex ? PCS_AN_LP_DUPLEX : 0) | 1;
  }

  private raise(bits: number): void {
    const before = this.isr & ~this.imr & IXR_ALL;
    this.isr |= bits;
    if (before === 0 && (this.isr & ~this.imr & IXR_ALL) !== 0) this.irqRaised++;
  }

  // ------------------------------------------------------------------ statistics (fxmac-gem 8)

  private readStat(offset: number): number {
    const i = (offset - GEM_STATS_FIRST) >>> 2;
    if (offset === STAT_OCTTXH || offset === STAT_OCTRXH) {
      // bits 47:32 of the 48-bit octet counter kept in the low register's slot
      const lo = (offset - 4 - GEM_STATS_FIRST) >>> 2;
      const v = Math.floor(this.stats[lo]! / TWO32) & 0xffff;
      this.stats[lo] = this.stats[lo]! % TWO32;
      return v;
    }
    const s = this.stats[i]!;
    if (offset === STAT_OCTTXL || offset === STAT_OCTRXL) {
      const v = s % TWO32;
      this.stats[i] = s - v;
      return v;
    }
    this.stats[i] = 0;
    return Math.min(s, 0xffff_ffff);
  }

  private countFrame(first: number, bytes: Uint8Array, off: number, wireLen: number): void {
    const st = this.stats;
    const base = (first - GEM_STATS_FIRST) >>> 2; // octets low
    st[base] = st[base]! + wireLen;
    st[base + 2] = st[base + 2]! + 1; // frames
    if (bytes[off]! & 1) {
      if (
        (bytes[off]! &
          bytes[off + 1]! &
          bytes[off + 2]! &
          bytes[off + 3]! &
          bytes[off + 4]! &
          bytes[off + 5]!) ===
        0xff
      ) {
        st[base + 3] = st[base + 3]! + 1; // broadcast
      } else {
        st[base + 4] = st[base + 4]! + 1; // multicast
      }
    }
    // size bins 64, 65-127, 128-255, 256-511, 512-1023, 1024-1518, 1519+
    const bin =
      wireLen <= 64
        ? 0
        : wireLen < 128
          ? 1
          : wireLen < 256
            ? 2
            : wireLen < 512
              ? 3
              : wireLen < 1024
                ? 4
                : wireLen <= 1518
                  ? 5
                  : 6;
    const b = base + 6 + bin;
    st[b] = st[b]! + 1;
  }

  // ------------------------------------------------------------------ MDIO (fxmac-gem 7.1)

  private mdio(value: number): void {
    if ((this.nwctrl & NWCTRL_MDEN) === 0) {
      this.checker.violation(
        "PHY maintenance frame written while the management port is disabled (NWCTRL.MDEN)",
        SEC_MDIO,
      );
      return;
    }
    if (
      (value & PHYMNTNC_SOF_MASK) >>> 0 !== PHYMNTNC_SOF_CL22 ||
      (value & PHYMNTNC_CODE_MASK) !== PHYMNTNC_CODE
    ) {
      this.checker.violation(
        `PHY maintenance frame 0x${value.toString(16)} is not clause 22 (SOF must be 01, CODE 10)`,
        SEC_MDIO,
      );
      return;
    }
    const op = value & PHYMNTNC_OP_MASK;
    const phya = (value >>> PHYMNTNC_PHYA_SHIFT) & 0x1f;
    const rega = (value >>> PHYMNTNC_REGA_SHIFT) & 0x1f;
    const here = phya === this.phy.address;
    let data: number;
    if (op === PHYMNTNC_OP_READ) {
      data = here ? this.phy.read(rega) : MDIO_NO_PHY;
      this.man = ((value & ~0xffff) | data) >>> 0;
    } else if (op === PHYMNTNC_OP_WRITE) {
      data = value & 0xffff;
      if (here) this.phy.write(rega, data);
      this.man = value;
    } else {
      this.checker.violation(
        `PHY maintenance frame with operation ${op >>> 28} (10 = read, 01 = write)`,
        SEC_MDIO,
      );
      return;
    }
    if (this.recordMdio) {
      this.mdioLog.push({
        at: this.clock.now(),
        op: op === PHYMNTNC_OP_READ ? "read" : "write",
        phy: phya,
        reg: rega,
        data,
      });
    }
    // the frame completes at once: NSR.MDIO_IDLE stays 1; management-done interrupt
    this.raise(IXR_MGMNT);
  }

  // ------------------------------------------------------------------ receive (fxmac-gem 11)

  /**
   * A frame from the link (without FCS). Returns false when the MAC dropped it (disabled, no link, filtered,
   * bad size, no buffer), true when it was written to the RX ring.
   */
  receiveFrame(bytes: Uint8Array, off: number, len: number): boolean {
    const cfg = this.nwcfg;
    // receive off, no link, or a size outside 14..1514: the careful way (counts, VLAN/jumbo limits)
    if ((this.nwctrl & NWCTRL_RXEN) === 0 || !this.linkUp || len < ETH_HEADER_LEN || len > 1514) {
      if (!this.rxAdmit(bytes, off, len, cfg)) return false;
    }
    // address filter (fxmac-gem 3.7, 11 receive step 1): the station address first, the rest aside
    let lo: number;
    let hi: number;
    if (bytes === this.u8 && (off & 3) === 0) {
      // a frame from this machine's RAM, 4-aligned (the usual case): two word loads instead of six bytes
      const w = off >>> 2;
      lo = this.u32[w]! | 0;
      hi = this.u32[w + 1]! & 0xffff;
    } else {
      lo = bytes[off]! | (bytes[off + 1]! << 8) | (bytes[off + 2]! << 16) | (bytes[off + 3]! << 24);
      hi = bytes[off + 4]! | (bytes[off + 5]! << 8);
    }
    let match: number;
    if (this.saOn[0] === 1 && this.saLo[0] === lo && this.saHi[0] === hi) match = RX_W1_SA_MATCH;
    else {
      match = this.rxFilter(bytes, off, lo, hi, cfg);
      if (match === -1) return false;
    }
    const bufSize = ((this.dmacr >>> DMACR_RXBUF_SHIFT) & 0xff) * DMACR_RXBUF_UNIT;
    // FCS kept, a buffer offset, a frame over several buffers, hostile mode: the general way
    if ((cfg & (NWCFG_FCS_REMOVE | NWCFG_RBOF_MASK)) !== NWCFG_FCS_REMOVE || len > bufSize || this.hostile) {
      return this.rxGeneral(bytes, off, len, match, cfg);
    }
    const u32 = this.u32;
    const memSize = this.memSize;
    const descSize = this.rxDescSize;
    const d = this.rxCur;
    if (!(d >= 0 && d + descSize <= memSize)) return this.rxHresp("RX descriptor outside memory");
    const wi = d >>> 2;
    const w0 = u32[wi]!;
    if (w0 & RX_W0_USED) return this.rxNoBuffer();
    const b = this.offsetOf(
      w0 & RX_W0_ADDR_MASK,
      this.desc64 ? u32[wi + DESC_WORD_ADDR_HI]! : this.memBaseHi,
    );
    if (!(b >= 0 && b + len <= memSize)) return this.rxHresp("RX buffer outside memory");
    this.copyIn(bytes, off, len, b | 0);
    // status, then the used bit (fxmac-gem 11 receive 4), then on to the next descriptor (5)
    u32[wi + DESC_WORD_CTRL] = match | len | RX_W1_SOF | RX_W1_EOF;
    u32[wi] = w0 | RX_W0_USED;
    this.rxCur = w0 & RX_W0_WRAP ? this.rxBase() : d + descSize;
    this.rxsr |= RXSR_FRAMERX;
    this.raise(IXR_RXCOMPL);
    this.countFrame(STAT_OCTRXL, bytes, off, len + ETH_FCS_LEN);
    this.counters.rxFrames++;
    return true;
  }

  /** The checks a frame outside the common case goes through: receive on, link up, size (cold path). */
  private rxAdmit(bytes: Uint8Array, off: number, len: number, cfg: number): boolean {
    if ((this.nwctrl & NWCTRL_RXEN) === 0) {
      this.counters.rxDisabled++;
      return false;
    }
    if (!this.linkUp) {
      this.counters.rxNoLink++;
      return false;
    }
    // size on the wire (with FCS): 802.3 max 1518 (1522 tagged), 1536 with 1536RXEN, jumbo max with JUMBO
    const wire = len + ETH_FCS_LEN;
    if (len < ETH_HEADER_LEN || (wire > 1518 && wire > this.maxWire(bytes, off, len, cfg))) {
      this.counters.rxBadSize++;
      const st = this.stats;
      const i = ((len < ETH_HEADER_LEN ? STAT_RXUNDRCNT : STAT_RXOVRCNT) - GEM_STATS_FIRST) >>> 2;
      st[i] = st[i]! + 1;
      return false;
    }
    return true;
  }

  /**
   * The whole address filter (fxmac-gem 3.7): broadcast, the four specific addresses, the hash, copy-all.
   * Returns the RX status match bits, or -1 when the frame is not for this station.
   */
  private rxFilter(bytes: Uint8Array, off: number, lo: number, hi: number, cfg: number): number {
    let match = 0;
    if (lo === -1 && hi === 0xffff) {
      if ((cfg & NWCFG_BCASTDI) === 0) match = RX_W1_BROADCAST | 0;
    } else {
      for (let n = 0; n < 4; n++) {
        if (this.saOn[n] === 1 && this.saLo[n] === lo && this.saHi[n] === hi) {
          match = RX_W1_SA_MATCH | (n << RX_W1_SA_SHIFT);
          break;
        }
      }
      if (match === 0 && (cfg & (NWCFG_MCASTHASHEN | NWCFG_UCASTHASHEN)) !== 0) {
        const multicast = (lo & 1) !== 0;
        if (multicast ? cfg & NWCFG_MCASTHASHEN : cfg & NWCFG_UCASTHASHEN) {
          const h = gemHashIndex(bytes, off);
          const set =
            h < 32 ? (this.regs[GEM_HASHL >> 2]! >>> h) & 1 : (this.regs[GEM_HASHH >> 2]! >>> (h - 32)) & 1;
          if (set) match = multicast ? RX_W1_MHASH_MATCH : RX_W1_UHASH_MATCH;
        }
      }
    }
    if (match === 0 && (cfg & NWCFG_COPYALLEN) === 0) {
      this.counters.rxFiltered++;
      return -1;
    }
    return match;
  }

  /** No buffer at the current position: drop (DMACR bit 24 discard), buffer-not-available (fxmac-gem 11 receive 2). */
  private rxNoBuffer(): false {
    this.rxsr |= RXSR_BUFFNA;
    this.raise(IXR_RXUSED);
    const i = (STAT_RXRESERRCNT - GEM_STATS_FIRST) >>> 2;
    this.stats[i] = this.stats[i]! + 1;
    this.counters.rxNoBuffer++;
    return false;
  }

  /** Receive in general: FCS kept, buffer offset, several buffers per frame, hostile faults. */
  private rxGeneral(bytes: Uint8Array, off: number, len: number, match: number, cfg: number): boolean {
    const wire = len + ETH_FCS_LEN;
    const u32 = this.u32;
    const fcs = (cfg & NWCFG_FCS_REMOVE) === 0;
    const total = fcs ? wire : len;
    const bufSize = ((this.dmacr >>> DMACR_RXBUF_SHIFT) & 0xff) * DMACR_RXBUF_UNIT;
    const rbof = (cfg & NWCFG_RBOF_MASK) >>> NWCFG_RBOF_SHIFT;
    const descSize = this.rxDescSize;
    const memSize = this.memSize;
    let d = this.rxCur;
    if (!(d >= 0 && d + descSize <= memSize)) return this.rxHresp("RX descriptor outside memory");
    let wi = d >>> 2;
    let w0 = u32[wi]!;
    if (w0 & RX_W0_USED) return this.rxNoBuffer();
    let status = match;
    let fault: GemFault | undefined;
    if (this.hostile && ++this.rxSeen % this.hostileEvery === 0) {
      fault = RX_FAULTS[(this.rxSeen / this.hostileEvery) % RX_FAULTS.length]!;
      this.counters.faults[fault]++;
    }

    if (total + rbof <= bufSize) {
      // the whole frame fits in one buffer (fxmac's 1536-byte buffers hold any 1518-byte frame)
      const b =
        this.offsetOf(w0 & RX_W0_ADDR_MASK, this.desc64 ? u32[wi + DESC_WORD_ADDR_HI]! : this.memBaseHi) +
        rbof;
      if (!(b >= 0 && b + total <= memSize)) return this.rxHresp("RX buffer outside memory");
      const bOff = b | 0;
      this.copyIn(bytes, off, len, bOff);
      if (fcs) this.writeFcs(bOff, len);
      status |= total | RX_W1_SOF | RX_W1_EOF;
    } else {
      // spread over several descriptors: SOF in the first, EOF and the frame length in the last
      let done = 0;
      let first = true;
      for (;;) {
        const skip = first ? rbof : 0;
        const n = Math.min(bufSize - skip, total - done);
        const b =
          this.offsetOf(w0 & RX_W0_ADDR_MASK, this.desc64 ? u32[wi + DESC_WORD_ADDR_HI]! : this.memBaseHi) +
          skip;
        if (!(b >= 0 && b + n <= memSize)) return this.rxHresp("RX buffer outside memory");
        this.copyPart(bytes, off, len, done, n, b | 0);
        done += n;
        if (done === total) {
          status |= total | RX_W1_EOF | (first ? RX_W1_SOF : 0);
          break;
        }
        u32[wi + DESC_WORD_CTRL] = (first ? RX_W1_SOF : 0) | n;
        u32[wi] = w0 | RX_W0_USED;
        first = false;
        d = w0 & RX_W0_WRAP ? this.rxBase() : d + descSize;
        if (!(d >= 0 && d + descSize <= memSize)) return this.rxHresp("RX descriptor outside memory");
        wi = d >>> 2;
        w0 = u32[wi]!;
        if (w0 & RX_W0_USED) {
          // ran out of buffers mid-frame: the frame is lost, the MAC stays here
          this.rxCur = d;
          this.rxsr |= RXSR_BUFFNA;
          this.raise(IXR_RXUSED);
          this.counters.rxNoBuffer++;
          return false;
        }
      }
    }
    if (fault !== undefined) status = this.rxFault(fault, status, bufSize);
    u32[wi + DESC_WORD_CTRL] = status >>> 0;
    u32[wi] = w0 | RX_W0_USED;
    const next = w0 & RX_W0_WRAP ? this.rxBase() : d + descSize;
    this.rxCur = next;
    if (fault === GemFault.RxPhantomUsed && next >= 0 && next + descSize <= memSize) {
      // a bogus completion: the next descriptor marked used with no frame markers, and passed over
      const ni = next >>> 2;
      const nw0 = u32[ni]!;
      if ((nw0 & RX_W0_USED) === 0) {
        u32[ni + DESC_WORD_CTRL] = 0;
        u32[ni] = nw0 | RX_W0_USED;
        this.rxCur = nw0 & RX_W0_WRAP ? this.rxBase() : next + descSize;
      }
    }
    this.rxsr |= RXSR_FRAMERX;
    this.raise(IXR_RXCOMPL);
    this.countFrame(STAT_OCTRXL, bytes, off, wire);
    this.counters.rxFrames++;
    return true;
  }

  /** Largest accepted wire length (with FCS) for a frame over 1518 bytes. */
  private maxWire(bytes: Uint8Array, off: number, len: number, cfg: number): number {
    if (cfg & NWCFG_JUMBO) return this.regs[GEM_JUMBOMAXLEN >> 2]! & 0x3fff;
    if (cfg & NWCFG_1536RXEN) return 1536;
    return len >= 18 && bytes[off + 12] === 0x81 && bytes[off + 13] === 0x00 ? 1522 : 1518;
  }

  private rxFault(fault: GemFault, status: number, bufSize: number): number {
    switch (fault) {
      case GemFault.RxBadLength: {
        const bad = [0, 7, bufSize + 1, 0x1fff][(this.rxSeen / this.hostileEvery) % 4]! & 0x1fff;
        return (status & ~0x1fff) | bad;
      }
      case GemFault.RxNoSof:
        return status & ~RX_W1_SOF;
      case GemFault.RxNoEof:
        return status & ~RX_W1_EOF;
      default:
        return status;
    }
  }

  private rxHresp(what: string): false {
    this.rxsr |= RXSR_HRESP_NOK;
    this.raise(IXR_HRESPNOK);
    this.checker.violation(`${what} (receive DMA would fault: hresp not OK)`, SEC_DESC);
    return false;
  }

  /**
   * Copies a frame into RAM at `dst` (the one copy a wire makes): 32-bit words when both ends are 4-aligned,
   * bytes otherwise. (`copyWithin`/`set` on shared memory cost more than this loop for short frames and
   * allocate inside V8.)
   */
  private copyIn(bytes: Uint8Array, off: number, len: number, dst: number): void {
    const d32 = this.u32;
    let s32: Uint32Array | undefined;
    if (bytes === this.u8) {
      // the sender is on this machine: both ends in the same RAM
      if (((off | dst) & 3) === 0) s32 = d32;
    } else if (((bytes.byteOffset + off) & 3) === 0 && (dst & 3) === 0) {
      if (bytes !== this.lastSrc) {
        this.lastSrc = bytes;
        this.lastSrc32 =
          (bytes.byteOffset & 3) === 0
            ? new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength >>> 2)
            : undefined;
      }
      s32 = this.lastSrc32;
    }
    let i = 0;
    if (s32 !== undefined) {
      const words = len >>> 2;
      const si = off >>> 2;
      const di = dst >>> 2;
      let w = 0;
      for (; w + 4 <= words; w += 4) {
        d32[di + w] = s32[si + w]!;
        d32[di + w + 1] = s32[si + w + 1]!;
        d32[di + w + 2] = s32[si + w + 2]!;
        d32[di + w + 3] = s32[si + w + 3]!;
      }
      for (; w < words; w++) d32[di + w] = s32[si + w]!;
      i = words << 2;
    }
    const u8 = this.u8;
    for (; i < len; i++) u8[dst + i] = bytes[off + i]!;
  }

  /** Copies bytes `[from, from + n)` of the frame (with its FCS appended when kept) to RAM at `dst`. */
  private copyPart(bytes: Uint8Array, off: number, len: number, from: number, n: number, dst: number): void {
    const u8 = this.u8;
    let fcs = -1;
    for (let i = 0; i < n; i++) {
      const k = from + i;
      if (k < len) u8[dst + i] = bytes[off + k]!;
      else {
        if (fcs < 0) fcs = crc32(bytes, off, len);
        u8[dst + i] = (fcs >>> (8 * (k - len))) & 0xff;
      }
    }
  }

  private writeFcs(dst: number, len: number): void {
    const c = crc32(this.u8, dst, len);
    const u8 = this.u8;
    u8[dst + len] = c & 0xff;
    u8[dst + len + 1] = (c >>> 8) & 0xff;
    u8[dst + len + 2] = (c >>> 16) & 0xff;
    u8[dst + len + 3] = c >>> 24;
  }

  // ------------------------------------------------------------------ transmit (fxmac-gem 11)

  private transmitRing(): void {
    const u32 = this.u32;
    const u8 = this.u8;
    const memSize = this.memSize;
    const descSize = this.txDescSize;
    const desc64 = this.desc64;
    const baseHi = this.memBaseHi;
    this.txsr |= TXSR_TXGO;
    let sent = false;
    for (;;) {
      const first = this.txCur;
      if (!(first >= 0 && first + descSize <= memSize) || (first & 7) !== 0) {
        this.txsr &= ~TXSR_TXGO;
        this.checker.violation(this.txHresp("TX descriptor outside memory"), SEC_DESC);
        return;
      }
      const fi = first >>> 2;
      const w1 = u32[fi + DESC_WORD_CTRL]!;
      if (w1 & TX_W1_USED) {
        // stop here; the next STARTTX resumes at this descriptor (fxmac-gem 11 transmit 1)
        this.txStop(fi, w1);
        break;
      }
      // the common frame: one buffer, the MAC appends the FCS, no padding, no faults to inject
      const blen = w1 & TX_W1_LEN_MASK;
      if ((w1 & (TX_W1_LAST | TX_W1_NOCRC)) === TX_W1_LAST && blen >= ETH_MIN_FRAME && !this.hostile) {
        const b = this.offsetOf(u32[fi]!, desc64 ? u32[fi + DESC_WORD_ADDR_HI]! : baseHi);
        if (b >= 0 && b + blen <= memSize) {
          this.txCur = w1 & TX_W1_WRAP ? this.txBase() : first + descSize;
          if (this.linkUp) this.port.transmit(u8, b | 0, blen);
          else this.counters.txNoLink++;
          // the used bit in the frame's first descriptor says it is sent (fxmac-gem 4.3)
          u32[fi + DESC_WORD_CTRL] = w1 | TX_W1_USED;
          this.countFrame(STAT_OCTTXL, u8, b | 0, blen + ETH_FCS_LEN);
          this.counters.txFrames++;
          sent = true;
          continue;
        }
      }
      const r = this.txGeneral(first);
      if (r === TX_STOPPED) return;
      if (r === TX_SENT) sent = true;
    }
    if (sent) {
      this.txsr |= TXSR_TXCOMPL;
      this.raise(IXR_TXCOMPL);
    }
    this.txsr &= ~TXSR_TXGO;
  }

  /** Transmission rests on a used descriptor: status, and in hostile mode maybe a scribble on it. */
  private txStop(fi: number, w1: number): void {
    this.txsr |= TXSR_USEDREAD;
    this.raise(IXR_TXUSED);
    if (this.scribblePending) {
      this.scribblePending = false;
      // scribble on a descriptor the driver never gave: used + garbage, keeping its WRAP bit
      this.u32[fi + DESC_WORD_CTRL] =
        (w1 & TX_W1_WRAP) | TX_W1_USED | TX_W1_RETRY_LIMIT | TX_W1_LAST | TX_W1_LEN_MASK;
      this.counters.faults.txUsedNotGiven++;
    }
  }

  /**
   * Sends the frame starting at descriptor offset `first` in general: several buffers, NOCRC, padding,
   * hostile faults, bad descriptors. Returns {@link TX_SENT}, {@link TX_NOT_SENT} (a fault) or
   * {@link TX_STOPPED} (a corrupt frame stopped transmission; the violation has been reported).
   */
  private txGeneral(first: number): number {
    const u32 = this.u32;
    const memSize = this.memSize;
    const descSize = this.txDescSize;
    const desc64 = this.desc64;
    const baseHi = this.memBaseHi;
    const fi = first >>> 2;
    let w1 = u32[fi + DESC_WORD_CTRL]!;
    // gather the frame: buffers up to LAST (fxmac-gem 4.3)
    let d = first;
    let wi = fi;
    let frameOff = -1;
    let total = 0;
    let bad = "";
    let multi = false;
    for (;;) {
      const blen = w1 & TX_W1_LEN_MASK;
      const b = this.offsetOf(u32[wi]!, desc64 ? u32[wi + DESC_WORD_ADDR_HI]! : baseHi);
      if (blen === 0) {
        bad = "TX descriptor with buffer length 0";
        break;
      }
      if (!(b >= 0 && b + blen <= memSize)) {
        bad = this.txHresp(`TX buffer 0x${(this.memBase + b).toString(16)}+${blen} outside memory`);
        break;
      }
      const bOff = b | 0;
      if (!multi && (w1 & TX_W1_LAST) !== 0) {
        frameOff = bOff;
        total = blen;
      } else {
        if (!multi) multi = true;
        if (total + blen > this.scratch.length - 64) {
          bad = "TX frame longer than the model's gather buffer";
          break;
        }
        this.gather(bOff, blen, total);
        total += blen;
      }
      if (w1 & TX_W1_LAST) break;
      d = w1 & TX_W1_WRAP ? this.txBase() : d + descSize;
      if (!(d >= 0 && d + descSize <= memSize)) {
        bad = this.txHresp("TX descriptor outside memory");
        break;
      }
      wi = d >>> 2;
      w1 = u32[wi + DESC_WORD_CTRL]!;
      if (w1 & TX_W1_USED) {
        bad = "TX frame has no LAST buffer before a used descriptor (buffers exhausted mid-frame)";
        break;
      }
    }
    if (bad !== "") {
      // frame corrupted: written back into the first descriptor (now used, so TX rests there); TX stops
      // (fxmac-gem 3.5, 4.3). The state is updated before a strict-mode throw, as in non-strict mode.
      u32[fi + DESC_WORD_CTRL] = (u32[fi + DESC_WORD_CTRL]! | TX_W1_USED | TX_W1_FRAME_CORRUPT) >>> 0;
      this.txsr |= TXSR_FRAME_CORRUPT;
      this.raise(IXR_TXEXH);
      this.counters.txErrors++;
      this.txCur = first;
      this.txsr &= ~TXSR_TXGO;
      this.checker.violation(bad, SEC_DESC);
      return TX_STOPPED;
    }
    this.txCur = w1 & TX_W1_WRAP ? this.txBase() : d + descSize;
    const firstW1 = u32[fi + DESC_WORD_CTRL]!;
    if (this.hostile && ++this.txSeen % this.hostileEvery === 0) {
      const kind = TX_FAULTS[(this.txSeen / this.hostileEvery) % TX_FAULTS.length]!;
      if (kind === GemFault.TxLost) {
        // marked done with a retry-limit error, never sent
        this.counters.faults.txLost++;
        u32[fi + DESC_WORD_CTRL] = (firstW1 | TX_W1_USED | TX_W1_RETRY_LIMIT) >>> 0;
        this.txsr |= TXSR_RETRY_LIMIT;
        this.raise(IXR_RETRY);
        this.counters.txErrors++;
        return TX_NOT_SENT;
      }
      this.scribblePending = true;
    }
    let src = this.u8;
    if (firstW1 & TX_W1_NOCRC) total = total >= ETH_FCS_LEN ? total - ETH_FCS_LEN : 0; // the buffer carries the FCS
    if (multi) {
      src = this.scratch;
      frameOff = 0;
    }
    if (total < ETH_MIN_FRAME) {
      // the MAC pads short frames to 60 bytes + FCS (IEEE 802.3 4.2.3.3)
      if (!multi) this.gather(frameOff, total, 0);
      this.scratch.fill(0, total, ETH_MIN_FRAME);
      src = this.scratch;
      frameOff = 0;
      total = ETH_MIN_FRAME;
    }
    if (this.linkUp) this.port.transmit(src, frameOff, total);
    else this.counters.txNoLink++;
    u32[fi + DESC_WORD_CTRL] = (firstW1 | TX_W1_USED) >>> 0;
    this.countFrame(STAT_OCTTXL, src, frameOff, total + ETH_FCS_LEN);
    this.counters.txFrames++;
    return TX_SENT;
  }

  /** Copies `n` bytes of RAM at `from` into the gather buffer at `to`. */
  private gather(from: number, n: number, to: number): void {
    const s = this.scratch;
    const u8 = this.u8;
    for (let i = 0; i < n; i++) s[to + i] = u8[from + i]!;
  }

  /** Sets the hresp-not-OK status of a transmit DMA fault and returns the rule text. */
  private txHresp(what: string): string {
    this.txsr |= TXSR_HRESP_NOK;
    this.raise(IXR_HRESPNOK);
    return `${what} (transmit DMA would fault: hresp not OK)`;
  }
}

/**
 * The 6-bit hash index of a destination address (fxmac-gem 3.7): bit j is the XOR of address bits
 * j, j+6, ..., j+42, counting bit 0 as the least significant bit of byte 0.
 */
export function gemHashIndex(bytes: Uint8Array, off: number): number {
  let h = 0;
  for (let j = 0; j < 6; j++) {
    let x = 0;
    for (let k = j; k < 48; k += 6) x ^= (bytes[off + (k >>> 3)]! >>> (k & 7)) & 1;
    h |= x << j;
  }
  return h;
}
