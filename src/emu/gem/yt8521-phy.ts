import type { VirtualClock } from "../../hal/clock.js";
import {
  ADVERTISE_10FULL,
  ADVERTISE_10HALF,
  ADVERTISE_100FULL,
  ADVERTISE_100HALF,
  ADVERTISE_ASYM_PAUSE,
  ADVERTISE_PAUSE,
  ADVERTISE_SELECTOR_8023,
  BMCR_ANENABLE,
  BMCR_ANRESTART,
  BMCR_FULLDPLX,
  BMCR_ISOLATE,
  BMCR_LOOPBACK,
  BMCR_PDOWN,
  BMCR_RESET,
  BMCR_SPEED100,
  BMCR_SPEED1000,
  BMSR_10FULL,
  BMSR_10HALF,
  BMSR_100FULL,
  BMSR_100HALF,
  BMSR_ANEGCAPABLE,
  BMSR_ANEGCOMPLETE,
  BMSR_ERCAP,
  BMSR_ESTATEN,
  BMSR_LSTATUS,
  BMSR_MFPRESUPP,
  CTRL1000_ADV_1000FULL,
  CTRL1000_ADV_1000HALF,
  ESTATUS_1000T_FULL,
  ESTATUS_1000T_HALF,
  LPA_ACK,
  MII_ANAR,
  MII_ANER,
  MII_ANLPAR,
  MII_BMCR,
  MII_BMSR,
  MII_CTRL1000,
  MII_ESTATUS,
  MII_PHYID1,
  MII_PHYID2,
  MII_STAT1000,
  STAT1000_LOCAL_RX_OK,
  STAT1000_LP_1000FULL,
  STAT1000_LP_1000HALF,
  STAT1000_REMOTE_RX_OK,
  YT_EXT_ADDR,
  YT_EXT_DATA,
  YT_INT_DUPLEX_CHANGED,
  YT_INT_ENABLE,
  YT_INT_LINK_FAILED,
  YT_INT_LINK_SUCCESS,
  YT_INT_SPEED_CHANGED,
  YT_INT_STATUS,
  YT_SPEC_CTRL,
  YT_SPEC_STATUS,
  YT_SPEC_STATUS_FULL_DUPLEX,
  YT_SPEC_STATUS_LINK,
  YT_SPEC_STATUS_PAGE_RECEIVED,
  YT_SPEC_STATUS_RESOLVED,
  YT_SPEC_STATUS_RX_PAUSE,
  YT_SPEC_STATUS_SPEED_SHIFT,
  YT_SPEC_STATUS_TX_PAUSE,
  YT_SPEED_10,
  YT_SPEED_100,
  YT_SPEED_1000,
  YT8521_PHYID1,
  YT8521_PHYID2,
} from "../../hw/gem/phy.js";

/** Link abilities as bits, for the local PHY and its link partner. */
export const PhyAbility = {
  Full1000: 1 << 0,
  Half1000: 1 << 1,
  Full100: 1 << 2,
  Half100: 1 << 3,
  Full10: 1 << 4,
  Half10: 1 << 5,
  /** Symmetric pause. */
  Pause: 1 << 6,
  /** Asymmetric pause. */
  AsymPause: 1 << 7,
} as const;

/** Every speed/duplex the YT8521 copper side supports. */
export const PHY_ALL_SPEEDS = 0x3f;

/** What the other end of the cable offers. */
export interface PhyLinkPartner {
  /** {@link PhyAbility} bits the partner advertises (or, when not negotiating, can run). */
  abilities: number;
  /** Whether the partner auto-negotiates (true) or runs a forced mode (parallel detection). */
  autoneg: boolean;
}

/** The speed and duplex a link runs at. */
export interface PhyLinkMode {
  /** 10, 100 or 1000. */
  speed: 10 | 100 | 1000;
  fullDuplex: boolean;
}

/** Options of the PHY model. */
export interface Yt8521Options {
  /** MDIO address the PHY answers at (0..31; default 0). */
  address?: number;
  /** The link partner, or `null` for no cable (default: an auto-negotiating partner with all speeds and pause). */
  partner?: PhyLinkPartner | null;
  /** Time from (re)starting auto-negotiation to link up, ns (default 1.2 s, a typical 1000BASE-T figure). */
  autonegDelayNs?: number;
  /** Time from a forced-mode BMCR write to link up, ns (default 0.8 s). */
  forcedLinkDelayNs?: number;
  /** Time a BMCR soft reset takes before bit 15 clears, ns (default 50 µs). */
  resetDelayNs?: number;
}

/** One MDIO access, as the bring-up log records it. */
export interface MdioAccess {
  /** Virtual time of the access. */
  at: number;
  op: "read" | "write";
  /** PHY address. */
  phy: number;
  /** Register number. */
  reg: number;
  /** Data read or written. */
  data: number;
}

const BMCR_DEFAULT = BMCR_ANENABLE | BMCR_FULLDPLX | BMCR_SPEED1000; // 0x1140
const BMSR_STATIC =
  BMSR_100FULL |
  BMSR_100HALF |
  BMSR_10FULL |
  BMSR_10HALF |
  BMSR_ESTATEN |
  BMSR_MFPRESUPP |
  BMSR_ANEGCAPABLE |
  BMSR_ERCAP;
const ANAR_DEFAULT =
  ADVERTISE_100FULL | ADVERTISE_100HALF | ADVERTISE_10FULL | ADVERTISE_10HALF | ADVERTISE_SELECTOR_8023;
const CTRL1000_DEFAULT = CTRL1000_ADV_1000FULL | CTRL1000_ADV_1000HALF;
const SPEC_CTRL_DEFAULT = 0x0060; // automatic MDI crossover (motorcomm.c YTPHY_SFCR_MDI_CROSSOVER_MODE)
/** YT8521 extended register 0xA001 (chip config): mode 011 = UTP_TO_SGMII, as the PhytiumPi wires it. */
const EXT_CHIP_CONFIG = 0xa001;
const EXT_CHIP_CONFIG_DEFAULT = 0x0003;
const EXT_SW_RESET = 0x8000;

/**
 * A Motorcomm YT8521 copper PHY behind clause-22 MDIO (IEEE 802.3 22.2.4, fxmac-gem 7): BMCR reset and
 * auto-negotiation restart (both self-clearing, after an emulated delay on the machine's virtual clock),
 * BMSR with link status (latching low, 22.2.4.2.13) and auto-negotiation complete, ANAR/ANLPAR, 1000BASE-T
 * control/status, the YT8521 specific status register 0x11 and its extended-register window.
 *
 * Auto-negotiation resolves the highest common mode (28B.3 priority: 1000FD, 1000HD, 100FD, 100HD, 10FD,
 * 10HD) between what the local registers advertise and what the configured {@link PhyLinkPartner} offers.
 */
export class Yt8521Phy {
  /** MDIO address. */
  readonly address: number;
  private readonly clock: VirtualClock;
  private partnerCfg: PhyLinkPartner | null;
  private readonly anDelay: number;
  private readonly forcedDelay: number;
  private readonly resetDelay: number;

  private bmcr = BMCR_DEFAULT;
  private anar = ANAR_DEFAULT;
  private ctrl1000 = CTRL1000_DEFAULT;
  private specCtrl = SPEC_CTRL_DEFAULT;
  private intEnable = 0;
  private intStatus = 0;
  private extAddr = 0;
  private readonly ext = new Map<number, number>();
  private readonly plain = new Uint16Array(32);

  private resetting = false;
  private anComplete = false;
  /** The partner's base page arrived (its abilities are in ANLPAR even when no common mode exists). */
  private pageReceived = false;
  private linked = false;
  /** BMSR link bit latches low until read (22.2.4.2.13). */
  private linkLatchedLow = true;
  private mode: PhyLinkMode | undefined;
  private lpAnlpar = 0;
  private lpStat1000 = 0;
  /** Bumped whenever a pending link event must be forgotten (reset, restart, cable change). */
  private epoch = 0;
  /** Called when the link goes up or down (the MAC mirrors it into NWSR/PCS registers). */
  onLinkChange: ((up: boolean) => void) | undefined;

  constructor(clock: VirtualClock, options: Yt8521Options = {}) {
    this.clock = clock;
    this.address = options.address ?? 0;
    if (!(this.address >= 0 && this.address < 32)) throw new RangeError(`MDIO address ${this.address}`);
    this.partnerCfg =
      options.partner === undefined
        ? {
            abilities: PHY_ALL_SPEEDS | PhyAbility.Pause | PhyAbility.AsymPause,
            autoneg: true,
          }
        : options.partner;
    this.anDelay = options.autonegDelayNs ?? 1_200_000_000;
    this.forcedDelay = options.forcedLinkDelayNs ?? 800_000_000;
    this.resetDelay = options.resetDelayNs ?? 50_000;
    this.ext.set(EXT_CHIP_CONFIG, EXT_CHIP_CONFIG_DEFAULT);
    // power-on: auto-negotiation starts by itself (BMCR default has AN enabled)
    this.startLinkUp();
  }

  /** Whether the link is up. */
  get linkUp(): boolean {
    return this.linked;
  }

  /** The negotiated (or forced) mode while the link is up. */
  get linkMode(): PhyLinkMode | undefined {
    return this.linked ? this.mode : undefined;
  }

  /** The configured link partner (`null`: no cable). */
  get partner(): PhyLinkPartner | null {
    return this.partnerCfg;
  }

  /**
   * Plugs in a different partner (or unplugs with `null`): the link drops and, if the PHY is negotiating
   * or forced, comes back after the emulated delay with the newly resolved mode.
   */
  setPartner(partner: PhyLinkPartner | null): void {
    this.partnerCfg = partner;
    this.linkDown();
    this.startLinkUp();
  }

  /** Reads register `reg` (0..31) as the MDIO read frame would. */
  read(reg: number): number {
    switch (reg) {
      case MII_BMCR:
        return this.resetting ? this.bmcr | BMCR_RESET : this.bmcr;
      case MII_BMSR: {
        let v = BMSR_STATIC;
        if (this.linked && !this.linkLatchedLow) v |= BMSR_LSTATUS;
        if (this.anComplete) v |= BMSR_ANEGCOMPLETE;
        // reading clears the latch: the next read shows the current state
        this.linkLatchedLow = !this.linked;
        return v;
      }
      case MII_PHYID1:
        return YT8521_PHYID1;
      case MII_PHYID2:
        return YT8521_PHYID2;
      case MII_ANAR:
        return this.anar;
      case MII_ANLPAR:
        return this.pageReceived ? this.lpAnlpar : 0;
      case MII_ANER:
        return this.anComplete && this.partnerCfg?.autoneg ? 0x0001 : 0; // link partner AN able
      case MII_CTRL1000:
        return this.ctrl1000;
      case MII_STAT1000:
        return this.pageReceived ? this.lpStat1000 : 0;
      case MII_ESTATUS:
        return ESTATUS_1000T_FULL | ESTATUS_1000T_HALF;
      case YT_SPEC_CTRL:
        return this.specCtrl;
      case YT_SPEC_STATUS:
        return this.specificStatus();
      case YT_INT_STATUS: {
        const v = this.intStatus;
        this.intStatus = 0; // clear on read
        return v;
      }
      case YT_EXT_ADDR:
        return this.extAddr;
      case YT_EXT_DATA:
        return this.ext.get(this.extAddr) ?? 0;
      default:
        return this.plain[reg & 31]!;
    }
  }

  /** Writes register `reg` (0..31) as the MDIO write frame would. */
  write(reg: number, value: number): void {
    value &= 0xffff;
    switch (reg) {
      case MII_BMCR:
        this.writeBmcr(value);
        return;
      case MII_BMSR:
      case MII_PHYID1:
      case MII_PHYID2:
      case MII_ANLPAR:
      case MII_ANER:
      case MII_STAT1000:
      case MII_ESTATUS:
      case YT_SPEC_STATUS:
      case YT_INT_STATUS:
        return; // read only
      case MII_ANAR:
        this.anar = (value & 0x2fe0) | ADVERTISE_SELECTOR_8023;
        return;
      case MII_CTRL1000:
        this.ctrl1000 = value & 0x1f00;
        return;
      case YT_SPEC_CTRL:
        this.specCtrl = value;
        return;
      case YT_INT_ENABLE:
        this.intEnable = value;
        return;
      case YT_EXT_ADDR:
        this.extAddr = value;
        return;
      case YT_EXT_DATA:
        // chip-config software reset self-clears at once
        this.ext.set(this.extAddr, this.extAddr === EXT_CHIP_CONFIG ? value & ~EXT_SW_RESET : value);
        return;
      default:
        this.plain[reg & 31] = value;
    }
  }

  /** YT8521 interrupt enable register value (for tests). */
  get interruptEnable(): number {
    return this.intEnable;
  }

  private writeBmcr(value: number): void {
    if (value & BMCR_RESET) {
      // 22.2.4.1.1: reset returns the registers to their defaults; bit 15 reads 1 until it completes
      this.linkDown();
      this.resetting = true;
      this.bmcr = BMCR_DEFAULT;
      this.anar = ANAR_DEFAULT;
      this.ctrl1000 = CTRL1000_DEFAULT;
      this.specCtrl = SPEC_CTRL_DEFAULT;
      this.intEnable = 0;
      const epoch = ++this.epoch;
      this.clock.schedule(this.resetDelay, () => {
        if (epoch !== this.epoch) return;
        this.resetting = false;
        this.startLinkUp();
      });
      return;
    }
    const old = this.bmcr;
    // restart AN (bit 9) self-clears; keep the rest
    this.bmcr = value & ~BMCR_ANRESTART & ~BMCR_RESET;
    if (this.resetting) return;
    const anNow = (value & BMCR_ANENABLE) !== 0;
    const restart =
      (anNow && (value & BMCR_ANRESTART) !== 0) ||
      (anNow && (old & BMCR_ANENABLE) === 0) ||
      ((value ^ old) & (BMCR_PDOWN | BMCR_ISOLATE | BMCR_LOOPBACK)) !== 0 ||
      (!anNow && ((value ^ old) & (BMCR_ANENABLE | BMCR_SPEED100 | BMCR_SPEED1000 | BMCR_FULLDPLX)) !== 0);
    if (restart) {
      this.linkDown();
      this.startLinkUp();
    }
  }

  /** Schedules the link to come up after the AN (or forced-mode) delay, if it can. */
  private startLinkUp(): void {
    const epoch = ++this.epoch;
    if (this.bmcr & (BMCR_PDOWN | BMCR_ISOLATE)) return;
    const an = (this.bmcr & BMCR_ANENABLE) !== 0;
    this.clock.schedule(an ? this.anDelay : this.forcedDelay, () => {
      if (epoch !== this.epoch) return;
      this.resolve(an);
    });
  }

  private resolve(an: boolean): void {
    const p = this.partnerCfg;
    if (p === null) return; // no cable: nothing to negotiate with
    let common: number;
    if (an) {
      const local = this.localAbilities();
      // a partner that does not negotiate is found by parallel detection (28.2.3.1): its speed, half duplex
      common = p.autoneg ? local & p.abilities : local & parallelDetect(p.abilities);
      this.lpAnlpar = p.autoneg ? partnerAnlpar(p.abilities) : 0;
      this.lpStat1000 = p.autoneg ? partnerStat1000(p.abilities) : 0;
      this.pageReceived = p.autoneg;
    } else {
      const speed = this.bmcr & BMCR_SPEED1000 ? 1000 : this.bmcr & BMCR_SPEED100 ? 100 : 10;
      const want =
        speed === 1000
          ? PhyAbility.Full1000 | PhyAbility.Half1000
          : speed === 100
            ? PhyAbility.Full100 | PhyAbility.Half100
            : PhyAbility.Full10 | PhyAbility.Half10;
      // forced mode links when the partner can run this speed; duplex is what BMCR says
      common = p.abilities & want;
      if (common !== 0) {
        common =
          speed === 1000 ? PhyAbility.Full1000 : speed === 100 ? PhyAbility.Full100 : PhyAbility.Full10;
        if (!(this.bmcr & BMCR_FULLDPLX)) common <<= 1;
      }
    }
    const mode = resolveLinkMode(common);
    // no common technology: arbitration never reaches AN GOOD (28.3.4), so AN stays incomplete and the link down
    if (mode === undefined) return;
    if (an) this.anComplete = true;
    const old = this.mode;
    this.mode = mode;
    this.linked = true;
    let ev = YT_INT_LINK_SUCCESS;
    if (old !== undefined && old.speed !== mode.speed) ev |= YT_INT_SPEED_CHANGED;
    if (old !== undefined && old.fullDuplex !== mode.fullDuplex) ev |= YT_INT_DUPLEX_CHANGED;
    this.intStatus |= ev;
    this.onLinkChange?.(true);
  }

  private linkDown(): void {
    const was = this.linked;
    this.linked = false;
    this.anComplete = false;
    this.pageReceived = false;
    this.linkLatchedLow = true;
    this.epoch++;
    if (was) {
      this.intStatus |= YT_INT_LINK_FAILED;
      this.onLinkChange?.(false);
    }
  }

  private localAbilities(): number {
    let a = 0;
    if (this.ctrl1000 & CTRL1000_ADV_1000FULL) a |= PhyAbility.Full1000;
    if (this.ctrl1000 & CTRL1000_ADV_1000HALF) a |= PhyAbility.Half1000;
    if (this.anar & ADVERTISE_100FULL) a |= PhyAbility.Full100;
    if (this.anar & ADVERTISE_100HALF) a |= PhyAbility.Half100;
    if (this.anar & ADVERTISE_10FULL) a |= PhyAbility.Full10;
    if (this.anar & ADVERTISE_10HALF) a |= PhyAbility.Half10;
    return a;
  }

  private specificStatus(): number {
    if (!this.linked || this.mode === undefined) return 0;
    const m = this.mode;
    const code = m.speed === 1000 ? YT_SPEED_1000 : m.speed === 100 ? YT_SPEED_100 : YT_SPEED_10;
    let v = (code << YT_SPEC_STATUS_SPEED_SHIFT) | YT_SPEC_STATUS_RESOLVED | YT_SPEC_STATUS_LINK;
    if (m.fullDuplex) v |= YT_SPEC_STATUS_FULL_DUPLEX;
    if (this.anComplete && this.partnerCfg?.autoneg) v |= YT_SPEC_STATUS_PAGE_RECEIVED;
    // pause resolution (28B.3 table 28B-3), full duplex only
    const p = this.partnerCfg;
    if (m.fullDuplex && this.anComplete && p?.autoneg) {
      const lp = (p.abilities & PhyAbility.Pause) !== 0;
      const la = (p.abilities & PhyAbility.AsymPause) !== 0;
      const op = (this.anar & ADVERTISE_PAUSE) !== 0;
      const oa = (this.anar & ADVERTISE_ASYM_PAUSE) !== 0;
      if (op && lp) v |= YT_SPEC_STATUS_TX_PAUSE | YT_SPEC_STATUS_RX_PAUSE;
      else if (!op && oa && lp && la) v |= YT_SPEC_STATUS_TX_PAUSE;
      else if (op && oa && !lp && la) v |= YT_SPEC_STATUS_RX_PAUSE;
    }
    return v & 0xffff;
  }
}

/**
 * What parallel detection (IEEE 802.3 28.2.3.1) finds against a partner that does not negotiate: its
 * 100BASE-TX or 10BASE-T signal, always at half duplex; 1000BASE-T cannot be detected this way.
 */
function parallelDetect(ab: number): number {
  let v = 0;
  if (ab & (PhyAbility.Full100 | PhyAbility.Half100)) v |= PhyAbility.Half100;
  else if (ab & (PhyAbility.Full10 | PhyAbility.Half10)) v |= PhyAbility.Half10;
  return v;
}

function partnerAnlpar(ab: number): number {
  let v = ADVERTISE_SELECTOR_8023 | LPA_ACK;
  if (ab & PhyAbility.Half10) v |= ADVERTISE_10HALF;
  if (ab & PhyAbility.Full10) v |= ADVERTISE_10FULL;
  if (ab & PhyAbility.Half100) v |= ADVERTISE_100HALF;
  if (ab & PhyAbility.Full100) v |= ADVERTISE_100FULL;
  if (ab & PhyAbility.Pause) v |= ADVERTISE_PAUSE;
  if (ab & PhyAbility.AsymPause) v |= ADVERTISE_ASYM_PAUSE;
  return v;
}

function partnerStat1000(ab: number): number {
  let v = 0;
  if (ab & PhyAbility.Full1000) v |= STAT1000_LP_1000FULL;
  if (ab & PhyAbility.Half1000) v |= STAT1000_LP_1000HALF;
  if (v !== 0) v |= STAT1000_LOCAL_RX_OK | STAT1000_REMOTE_RX_OK;
  return v;
}

/** The highest-priority mode in a set of abilities (IEEE 802.3 annex 28B.3). */
export function resolveLinkMode(common: number): PhyLinkMode | undefined {
  if (common & PhyAbility.Full1000) return { speed: 1000, fullDuplex: true };
  if (common & PhyAbility.Half1000) return { speed: 1000, fullDuplex: false };
  if (common & PhyAbility.Full100) return { speed: 100, fullDuplex: true };
  if (common & PhyAbility.Half100) return { speed: 100, fullDuplex: false };
  if (common & PhyAbility.Full10) return { speed: 10, fullDuplex: true };
  if (common & PhyAbility.Half10) return { speed: 10, fullDuplex: false };
  return undefined;
}
