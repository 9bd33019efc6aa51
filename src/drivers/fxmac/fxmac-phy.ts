import { DevError, type DevResult } from "../../base/dev-error.js";
import { log } from "../../base/log.js";
import type { Hal } from "../../hal/hal.js";
import type { MmioRegion } from "../../hal/mmio.js";
import {
  ADVERTISE_ASYM_PAUSE,
  ADVERTISE_PAUSE,
  BMCR_ANENABLE,
  BMCR_ANRESTART,
  BMCR_FULLDPLX,
  BMCR_RESET,
  BMCR_SPEED100,
  BMCR_SPEED1000,
  BMSR_ANEGCOMPLETE,
  MDIO_ADDRESSES,
  MDIO_NO_PHY,
  MII_ANAR,
  MII_BMCR,
  MII_BMSR,
  MII_PHYID1,
  MII_PHYID2,
  YT_SPEC_STATUS,
  YT_SPEC_STATUS_FULL_DUPLEX,
  YT_SPEC_STATUS_LINK,
  YT_SPEC_STATUS_RESOLVED,
  YT_SPEC_STATUS_SPEED_MASK,
  YT_SPEC_STATUS_SPEED_SHIFT,
  YT_SPEED_10,
  YT_SPEED_100,
  YT_SPEED_1000,
  YT8521_PHYID1,
  YT8521_PHYID2,
} from "../../hw/gem/phy.js";
import {
  GEM_NWSR,
  GEM_PHYMNTNC,
  NWSR_MDIO_IDLE,
  PHYMNTNC_CODE,
  PHYMNTNC_OP_READ,
  PHYMNTNC_OP_WRITE,
  PHYMNTNC_PHYA_SHIFT,
  PHYMNTNC_REGA_SHIFT,
  PHYMNTNC_SOF_CL22,
} from "../../hw/gem/registers.js";

const T = "fxmac";
/** Longest an MDIO frame may take (a clause-22 frame is 64 MDC cycles: ~41 µs at 1.56 MHz). */
const MDIO_TIMEOUT_NS = 1_000_000;
/** fxmac_rs polls auto-negotiation every 50 ms, 255 times at most (fxmac-gem 7.3 step 4). */
const AN_POLL_NS = 50_000_000;
const AN_POLLS = 255;
/** fxmac_rs waits 1.5 s after forcing a mode (fxmac-gem 7.3 step 3). */
const FORCED_SETTLE_NS = 1_500_000_000;
const RESET_TIMEOUT_NS = 500_000_000;

/** Clause-22 MDIO through the GEM's PHY maintenance register (fxmac-gem 7.1). */
export class Mdio {
  private readonly idle: () => boolean;

  constructor(
    private readonly regs: MmioRegion,
    private readonly hal: Hal,
  ) {
    this.idle = () => (this.regs.read32(GEM_NWSR) & NWSR_MDIO_IDLE) !== 0;
  }

  /** Reads PHY `phy` register `reg`: wait idle, write the read frame, wait idle, take DATA. */
  read(phy: number, reg: number): DevResult<number> {
    if (!this.idle()) return DevError.withDetail("ResourceBusy", "MDIO busy");
    this.regs.write32(
      GEM_PHYMNTNC,
      PHYMNTNC_SOF_CL22 |
        PHYMNTNC_OP_READ |
        PHYMNTNC_CODE |
        (phy << PHYMNTNC_PHYA_SHIFT) |
        (reg << PHYMNTNC_REGA_SHIFT),
    );
    const w = this.hal.waitUntil(this.idle, MDIO_TIMEOUT_NS, "MDIO read");
    if (w instanceof DevError) return w;
    return this.regs.read32(GEM_PHYMNTNC) & 0xffff;
  }

  /** Writes `value` to PHY `phy` register `reg`. */
  write(phy: number, reg: number, value: number): DevResult<void> {
    if (!this.idle()) return DevError.withDetail("ResourceBusy", "MDIO busy");
    this.regs.write32(
      GEM_PHYMNTNC,
      (PHYMNTNC_SOF_CL22 |
        PHYMNTNC_OP_WRITE |
        PHYMNTNC_CODE |
        (phy << PHYMNTNC_PHYA_SHIFT) |
        (reg << PHYMNTNC_REGA_SHIFT) |
        (value & 0xffff)) >>>
        0,
    );
    return this.hal.waitUntil(this.idle, MDIO_TIMEOUT_NS, "MDIO write");
  }
}

/** What PHY bring-up found. */
export interface PhyLink {
  /** MDIO address of the PHY. */
  address: number;
  /** PHYID1:PHYID2. */
  id: number;
  /** 10, 100 or 1000 Mb/s. */
  speed: 10 | 100 | 1000;
  fullDuplex: boolean;
}

/** How to bring the PHY up. */
export interface PhyConfig {
  /** Auto-negotiate (default) or force `speed`/`fullDuplex`. */
  autoNegotiation: boolean;
  /** Forced speed (10 or 100; fxmac_rs rejects 1000 without auto-negotiation). */
  speed: 10 | 100;
  /** Forced duplex. */
  fullDuplex: boolean;
}

/**
 * fxmac_rs's FXmacPhyInit (fxmac-gem 7.3): find the PHY, soft-reset it, then auto-negotiate (or force a
 * mode) and read the resolved speed and duplex from the YT8521 specific status register.
 */
export function phyInit(mdio: Mdio, hal: Hal, cfg: PhyConfig): DevResult<PhyLink> {
  // 1. detect: the first address whose BMSR is not all ones and whose ids look real (7.3 step 1)
  let address = -1;
  let id = 0;
  for (let a = 0; a < MDIO_ADDRESSES; a++) {
    const bmsr = mdio.read(a, MII_BMSR);
    if (bmsr instanceof DevError) return bmsr;
    if (bmsr === MDIO_NO_PHY) continue;
    const id1 = mdio.read(a, MII_PHYID1);
    if (id1 instanceof DevError) return id1;
    const id2 = mdio.read(a, MII_PHYID2);
    if (id2 instanceof DevError) return id2;
    if (id2 !== 0 && id2 !== 0xffff && id1 !== 0xffff) {
      address = a;
      id = ((id1 << 16) | id2) >>> 0;
      break;
    }
  }
  if (address < 0) return DevError.withDetail("Io", "no PHY answers on MDIO (fxmac error 7)");
  if (id === ((YT8521_PHYID1 << 16) | YT8521_PHYID2))
    log.info(T, `Motorcomm YT8521 PHY at MDIO address ${address}`);
  else log.info(T, `PHY 0x${id.toString(16).padStart(8, "0")} at MDIO address ${address}`);

  // 2. soft reset: BMCR.RESET, poll until it clears (22.2.4.1.1, 7.3 step 2)
  const bmcr0 = mdio.read(address, MII_BMCR);
  if (bmcr0 instanceof DevError) return bmcr0;
  let r: DevResult<void> = mdio.write(address, MII_BMCR, bmcr0 | BMCR_RESET);
  if (r instanceof DevError) return r;
  let err: DevError | undefined;
  r = hal.waitUntil(
    () => {
      const v = mdio.read(address, MII_BMCR);
      if (v instanceof DevError) {
        err = v;
        return true;
      }
      return (v & BMCR_RESET) === 0;
    },
    RESET_TIMEOUT_NS,
    "PHY reset",
  );
  if (err !== undefined) return err;
  if (r instanceof DevError) return r;

  // advertise pause and asymmetric pause (7.3 step 3)
  const anar = mdio.read(address, MII_ANAR);
  if (anar instanceof DevError) return anar;
  r = mdio.write(address, MII_ANAR, anar | ADVERTISE_PAUSE | ADVERTISE_ASYM_PAUSE);
  if (r instanceof DevError) return r;

  const bmcr = mdio.read(address, MII_BMCR);
  if (bmcr instanceof DevError) return bmcr;
  if (cfg.autoNegotiation) {
    // 3a. auto-negotiation: enable + restart, poll BMSR.AN_COMPLETE every 50 ms (7.3 step 4)
    r = mdio.write(address, MII_BMCR, bmcr | BMCR_ANENABLE | BMCR_ANRESTART);
    if (r instanceof DevError) return r;
    let done = false;
    for (let i = 0; i < AN_POLLS && !done; i++) {
      hal.sleep(AN_POLL_NS);
      const s = mdio.read(address, MII_BMSR);
      if (s instanceof DevError) return s;
      done = (s & BMSR_ANEGCOMPLETE) !== 0;
    }
    if (!done) return DevError.withDetail("Again", "PHY auto-negotiation did not complete (fxmac error 8)");
  } else {
    // 3b. forced mode: speed and duplex in BMCR, auto-negotiation off, settle 1.5 s (7.3 step 3)
    let v = bmcr & ~(BMCR_SPEED1000 | BMCR_SPEED100 | BMCR_ANENABLE | BMCR_ANRESTART | BMCR_FULLDPLX);
    if (cfg.speed === 100) v |= BMCR_SPEED100;
    if (cfg.fullDuplex) v |= BMCR_FULLDPLX;
    r = mdio.write(address, MII_BMCR, v);
    if (r instanceof DevError) return r;
    hal.sleep(FORCED_SETTLE_NS);
  }

  // 4. speed and duplex from the specific status register (7.4); it must say resolved and linked
  const ss = mdio.read(address, YT_SPEC_STATUS);
  if (ss instanceof DevError) return ss;
  if (
    (ss & (YT_SPEC_STATUS_RESOLVED | YT_SPEC_STATUS_LINK)) !==
    (YT_SPEC_STATUS_RESOLVED | YT_SPEC_STATUS_LINK)
  ) {
    return DevError.withDetail("Io", `PHY link did not come up (specific status 0x${ss.toString(16)})`);
  }
  const code = (ss & YT_SPEC_STATUS_SPEED_MASK) >>> YT_SPEC_STATUS_SPEED_SHIFT;
  let speed: 10 | 100 | 1000;
  if (code === YT_SPEED_1000) speed = 1000;
  else if (code === YT_SPEED_100) speed = 100;
  else if (code === YT_SPEED_10) speed = 10;
  else return DevError.withDetail("BadState", "PHY reports the reserved speed code 11");
  const fullDuplex = (ss & YT_SPEC_STATUS_FULL_DUPLEX) !== 0;
  log.info(T, `link up at ${speed} Mb/s ${fullDuplex ? "full" : "half"} duplex`);
  return { address, id, speed, fullDuplex };
}
