import type { MmioRegion } from "../../hal/mmio.js";
import {
  DCFG1_DBWDEF_64,
  DCFG1_DBWDEF_128,
  DCFG1_DBWDEF_MASK,
  DCFG1_DBWDEF_SHIFT,
  DMACR_ADDR_64B,
  DMACR_BLENGTH_MASK,
  DMACR_DISC_WHEN_NO_AHB,
  DMACR_INCR16_BURST,
  DMACR_RXBUF_MASK,
  DMACR_RXBUF_SHIFT,
  DMACR_RXSIZE_FULL,
  DMACR_TXSIZE_FULL,
  GEM_DCFG1,
  GEM_DIV_SEL0_LN,
  GEM_DIV_SEL1_LN,
  GEM_DMACR,
  GEM_HASHH,
  GEM_HASHL,
  GEM_HSMAC,
  GEM_IDR,
  GEM_ISR,
  GEM_MSB_RXQBASE,
  GEM_MSB_TXQBASE,
  GEM_NWCFG,
  GEM_NWCTRL,
  GEM_PCS_CONTROL,
  GEM_PMA_XCVR_POWER_STATE,
  GEM_QUEUES,
  GEM_REVISION,
  GEM_RX_CLK_SEL0,
  GEM_RX_CLK_SEL1,
  GEM_RX_CLK_SEL3_0,
  GEM_RX_CLK_SEL4_0,
  GEM_RXQBASE,
  GEM_RXSR,
  GEM_SRC_SEL_LN,
  GEM_STATS_FIRST,
  GEM_STATS_LAST,
  GEM_TAIL_ENABLE,
  GEM_TEST_CONTROL,
  GEM_TX_CLK_SEL0,
  GEM_TX_CLK_SEL1,
  GEM_TX_CLK_SEL2,
  GEM_TX_CLK_SEL3,
  GEM_TX_CLK_SEL3_0,
  GEM_TX_CLK_SEL4_0,
  GEM_TXQBASE,
  GEM_TXSR,
  gemMatch,
  gemRxBufSize,
  gemRxqBase,
  gemSaBottom,
  gemSaTop,
  gemTxqBase,
  HSMAC_SPEED_100M,
  HSMAC_SPEED_1000M,
  NWCFG_100,
  NWCFG_1000,
  NWCFG_1536RXEN,
  NWCFG_BCASTDI,
  NWCFG_COPYALLEN,
  NWCFG_DBW_64,
  NWCFG_DBW_128,
  NWCFG_FCS_REMOVE,
  NWCFG_FDEN,
  NWCFG_JUMBO,
  NWCFG_LENGTH_ERR_DISCARD,
  NWCFG_MCASTHASHEN,
  NWCFG_MDCCLKDIV_32,
  NWCFG_NVLANDISC,
  NWCFG_PAUSE_ENABLE,
  NWCFG_PCSSEL,
  NWCFG_SGMII_MODE_ENABLE,
  NWCFG_UCASTHASHEN,
  NWCTRL_ENABLE_HS_MAC,
  NWCTRL_LOOPBACK_LOCAL,
  NWCTRL_MDEN,
  NWCTRL_RXEN,
  NWCTRL_STATCLR,
  NWCTRL_TWO_PT_FIVE_GIG,
  NWCTRL_TXEN,
  PCS_CONTROL_AUTONEG,
  REVISION_MODULE_ID_MASK,
  REVISION_MODULE_ID_SHIFT,
  TEST_CONTROL_USX_LOOPBACK,
} from "../../hw/gem/registers.js";

/** RX buffer size the driver programs: 24 x 64 = 1536 bytes, as fxmac_rs (fxmac-gem 6.1 step 6). */
export const RX_BUF_UNITS = 24;

/** Reads the station address firmware left in SA1B/SA1T (fxmac-gem 9). */
export function readMacAddress(regs: MmioRegion): number[] {
  const b = regs.read32(gemSaBottom(1));
  const t = regs.read32(gemSaTop(1));
  return [b & 0xff, (b >>> 8) & 0xff, (b >>> 16) & 0xff, b >>> 24, t & 0xff, (t >>> 8) & 0xff];
}

/** Writes SA`n` bottom then top, preserving the top register's bits 31:16 (fxmac-gem 3.7). */
export function writeMacAddress(regs: MmioRegion, n: number, mac: ArrayLike<number>): void {
  regs.write32(gemSaBottom(n), (mac[0]! | (mac[1]! << 8) | (mac[2]! << 16) | (mac[3]! << 24)) >>> 0);
  const top = regs.read32(gemSaTop(n));
  regs.write32(gemSaTop(n), ((top & 0xffff_0000) | mac[4]! | (mac[5]! << 8)) >>> 0);
}

/**
 * FXmacReset (fxmac-gem 6.1) and the option steps 11-14 of 6.2: stop, MDIO on, bus width and MDC divider,
 * DMA defaults, clear status and filters, clear statistics. Returns the module id from REVISION.
 */
export function resetController(regs: MmioRegion): number {
  // 1. stop: mask every interrupt, disable RX and TX
  regs.write32(GEM_IDR, 0xffff_ffff);
  regs.write32(GEM_NWCTRL, regs.read32(GEM_NWCTRL) & ~(NWCTRL_RXEN | NWCTRL_TXEN));
  // 2. module id
  const moduleId = (regs.read32(GEM_REVISION) & REVISION_MODULE_ID_MASK) >>> REVISION_MODULE_ID_SHIFT;
  // 3. management port on, statistics cleared, local loopback off
  regs.write32(GEM_NWCTRL, NWCTRL_MDEN | NWCTRL_STATCLR);
  // 4-5. MDC = 50 MHz / 32; data-bus width from DCFG1 (forced to 32 bits for module id < 2)
  const dbw = (regs.read32(GEM_DCFG1) & DCFG1_DBWDEF_MASK) >>> DCFG1_DBWDEF_SHIFT;
  let cfg = NWCFG_MDCCLKDIV_32;
  if (moduleId >= 2) {
    if (dbw === DCFG1_DBWDEF_128) cfg |= NWCFG_DBW_128;
    else if (dbw === DCFG1_DBWDEF_64) cfg |= NWCFG_DBW_64;
  }
  regs.write32(GEM_NWCFG, cfg);
  // 6. DMA reset: queue 0 and the unused queues 1..7 marked unused (base bit 0), upper halves 0
  regs.write32(GEM_TXQBASE, 1);
  regs.write32(GEM_RXQBASE, 1);
  for (let q = 1; q < GEM_QUEUES; q++) {
    regs.write32(gemTxqBase(q), 1);
    regs.write32(gemRxqBase(q), 1);
    regs.write32(gemRxBufSize(q), RX_BUF_UNITS);
  }
  regs.write32(GEM_MSB_TXQBASE, 0);
  regs.write32(GEM_MSB_RXQBASE, 0);
  regs.write32(
    GEM_DMACR,
    (DMACR_INCR16_BURST |
      DMACR_RXSIZE_FULL |
      DMACR_TXSIZE_FULL |
      (RX_BUF_UNITS << DMACR_RXBUF_SHIFT) |
      DMACR_DISC_WHEN_NO_AHB |
      DMACR_ADDR_64B) >>>
      0,
  ); // 0x41180710
  // 7. clear status: RXSR, interrupts masked, ISR written back, TXSR
  regs.write32(GEM_RXSR, 0xffff_ffff);
  regs.write32(GEM_IDR, 0xffff_ffff);
  regs.write32(GEM_ISR, regs.read32(GEM_ISR));
  regs.write32(GEM_TXSR, 0xffff_ffff);
  // 8. hash filter empty
  regs.write32(GEM_HASHL, 0);
  regs.write32(GEM_HASHH, 0);
  // 9. specific addresses and type-id matches zeroed
  const zero = [0, 0, 0, 0, 0, 0];
  for (let n = 1; n <= 4; n++) {
    writeMacAddress(regs, n, zero);
    readMacAddress(regs);
    regs.write32(gemMatch(n), 0);
  }
  // 10. statistics clear on read
  for (let off = GEM_STATS_FIRST; off <= GEM_STATS_LAST; off += 4) regs.read32(off);
  // 11. default options without TX/RX enable: FCS removal, length-error discard, pause, broadcasts on.
  //     (fxmac_rs also turns on RX/TX checksum offload; NetDriverOps has no offload, so frames pass as sent.)
  let nwcfg = regs.read32(GEM_NWCFG);
  nwcfg |= NWCFG_FCS_REMOVE | NWCFG_LENGTH_ERR_DISCARD | NWCFG_PAUSE_ENABLE;
  nwcfg &= ~NWCFG_BCASTDI;
  // 12. everything else off
  nwcfg &= ~(
    NWCFG_1536RXEN |
    NWCFG_NVLANDISC |
    NWCFG_COPYALLEN |
    NWCFG_MCASTHASHEN |
    NWCFG_UCASTHASHEN |
    NWCFG_JUMBO |
    NWCFG_SGMII_MODE_ENABLE |
    NWCFG_PCSSEL
  );
  regs.write32(GEM_NWCFG, nwcfg >>> 0);
  regs.write32(GEM_TAIL_ENABLE, 0);
  const dmacr = regs.read32(GEM_DMACR);
  regs.write32(GEM_DMACR, ((dmacr & ~DMACR_RXBUF_MASK) | (RX_BUF_UNITS << DMACR_RXBUF_SHIFT)) >>> 0);
  regs.write32(GEM_NWCTRL, regs.read32(GEM_NWCTRL) & ~NWCTRL_LOOPBACK_LOCAL);
  regs.write32(GEM_TEST_CONTROL, regs.read32(GEM_TEST_CONTROL) & ~TEST_CONTROL_USX_LOOPBACK);
  return moduleId;
}

/** fxmac_rs's multicast-filter feature option (fxmac-gem 6.2 step 14), plus promiscuous when asked. */
export function setFilterOptions(regs: MmioRegion, promiscuous: boolean): void {
  let nwcfg = regs.read32(GEM_NWCFG) | NWCFG_MCASTHASHEN;
  if (promiscuous) nwcfg |= NWCFG_COPYALLEN;
  regs.write32(GEM_NWCFG, nwcfg >>> 0);
}

const CLK_REGS = [
  GEM_SRC_SEL_LN,
  GEM_DIV_SEL0_LN,
  GEM_DIV_SEL1_LN,
  GEM_PMA_XCVR_POWER_STATE,
  GEM_TX_CLK_SEL0,
  GEM_TX_CLK_SEL1,
  GEM_TX_CLK_SEL2,
  GEM_TX_CLK_SEL3,
  GEM_RX_CLK_SEL0,
  GEM_RX_CLK_SEL1,
  GEM_TX_CLK_SEL3_0,
  GEM_TX_CLK_SEL4_0,
  GEM_RX_CLK_SEL3_0,
  GEM_RX_CLK_SEL4_0,
] as const;
/** fxmac-gem 6.4, SGMII column "1000 Mb/s". */
const CLK_1000 = [1, 4, 8, 1, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0] as const;
/** fxmac-gem 6.4, SGMII column "100 or 10 Mb/s". */
const CLK_100 = [1, 4, 8, 1, 0, 0, 1, 1, 1, 0, 1, 0, 0, 1] as const;

/**
 * Clock selection and interface set-up for SGMII at the PHY's speed (fxmac-gem 6.2 steps 17-19, 6.4).
 */
export function configureInterface(regs: MmioRegion, speed: 10 | 100 | 1000, fullDuplex: boolean): void {
  const table = speed === 1000 ? CLK_1000 : CLK_100;
  for (let i = 0; i < CLK_REGS.length; i++) regs.write32(CLK_REGS[i]!, table[i]!);
  // 17. high-speed MAC speed code
  const hs = regs.read32(GEM_HSMAC);
  regs.write32(GEM_HSMAC, ((hs & ~7) | (speed === 1000 ? HSMAC_SPEED_1000M : HSMAC_SPEED_100M)) >>> 0);
  // 18. SGMII through the PCS; speed and duplex bits from the PHY
  let nwcfg = regs.read32(GEM_NWCFG) | NWCFG_PCSSEL | NWCFG_SGMII_MODE_ENABLE;
  // (fxmac_rs clears the 1000 bit only for module id >= 2; a left-over gigabit bit is wrong on any part)
  nwcfg &= ~(NWCFG_100 | NWCFG_FDEN | NWCFG_LENGTH_ERR_DISCARD | NWCFG_1000);
  if (fullDuplex) nwcfg |= NWCFG_FDEN;
  if (speed === 100) nwcfg |= NWCFG_100;
  else if (speed === 1000) nwcfg |= NWCFG_1000;
  regs.write32(GEM_NWCFG, nwcfg >>> 0);
  regs.write32(GEM_NWCTRL, regs.read32(GEM_NWCTRL) & ~(NWCTRL_TWO_PT_FIVE_GIG | NWCTRL_ENABLE_HS_MAC));
  regs.write32(GEM_PCS_CONTROL, regs.read32(GEM_PCS_CONTROL) | PCS_CONTROL_AUTONEG);
  // 19. DMA burst INCR16
  const dmacr = regs.read32(GEM_DMACR);
  regs.write32(GEM_DMACR, ((dmacr & ~DMACR_BLENGTH_MASK) | DMACR_INCR16_BURST) >>> 0);
}
