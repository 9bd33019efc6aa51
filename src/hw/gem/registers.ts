/**
 * Phytium FXMAC (Cadence GEM derivative) register offsets and bits. Facts only, no behaviour.
 * Section numbers ("fxmac-gem 3.1") refer to ../shared/reference/fxmac-gem.md, which cites fxmac_rs
 * (src/fxmac_const.rs, src/fxmac.rs) and Linux drivers/net/ethernet/cadence/macb.h.
 * All registers are 32-bit little-endian, accessed with aligned 32-bit loads and stores (fxmac-gem 2).
 */

/** Device-tree compatible string of the FXMAC on the Phytium E2000 / PhytiumPi (fxmac-gem 1). */
export const GEM_COMPATIBLE = "cdns,phytium-gem-1.0";
/** FXMAC0..3 register bases on the E2000 (fxmac-gem 1). */
export const FXMAC0_BASE = 0x3200_c000;
export const FXMAC1_BASE = 0x3200_e000;
export const FXMAC2_BASE = 0x3201_0000;
export const FXMAC3_BASE = 0x3201_2000;
/** Size of one controller's register window (the next controller starts 0x2000 later; fxmac-gem 1, 2). */
export const GEM_REGION_SIZE = 0x2000;
/** GIC interrupt id of FXMAC0 queue 0 (fxmac-gem 1). */
export const FXMAC0_QUEUE0_IRQ = 87;
/** APB clock of every FXMAC instance, in Hz (fxmac-gem 1). */
export const FXMAC_PCLK_HZ = 50_000_000;

// ---- register map (fxmac-gem 2) ----
/** Network control (NCR). */
export const GEM_NWCTRL = 0x000;
/** Network configuration (NCFGR). */
export const GEM_NWCFG = 0x004;
/** Network status (NSR). */
export const GEM_NWSR = 0x008;
/** User I/O. */
export const GEM_USRIO = 0x00c;
/** DMA configuration. */
export const GEM_DMACR = 0x010;
/** Transmit status (write 1 to clear). */
export const GEM_TXSR = 0x014;
/** RX queue 0 descriptor list base, address bits 31:0 (reads give the current descriptor). */
export const GEM_RXQBASE = 0x018;
/** TX queue 0 descriptor list base, address bits 31:0 (reads give the current descriptor). */
export const GEM_TXQBASE = 0x01c;
/** Receive status (write 1 to clear). */
export const GEM_RXSR = 0x020;
/** Interrupt status. */
export const GEM_ISR = 0x024;
/** Interrupt enable (write 1 = unmask). */
export const GEM_IER = 0x028;
/** Interrupt disable (write 1 = mask). */
export const GEM_IDR = 0x02c;
/** Interrupt mask (read only; 1 = masked). */
export const GEM_IMR = 0x030;
/** PHY maintenance (MDIO frame). */
export const GEM_PHYMNTNC = 0x034;
/** RX pause quantum. */
export const GEM_RXPAUSE = 0x038;
/** TX pause quantum. */
export const GEM_TXPAUSE = 0x03c;
/** Jumbo max length. */
export const GEM_JUMBOMAXLEN = 0x048;
/** High-speed MAC speed, bits 2:0. */
export const GEM_HSMAC = 0x050;
/** RX watermark (unused). */
export const GEM_RXWATERMARK = 0x07c;
/** Hash filter bits 31:0. */
export const GEM_HASHL = 0x080;
/** Hash filter bits 63:32. */
export const GEM_HASHH = 0x084;
/** Specific address 1 bottom (MAC bytes 0..3). SAn bottom is at SA1B + 8*(n-1). */
export const GEM_SA1B = 0x088;
/** Specific address 1 top (MAC bytes 4..5 in bits 15:0). */
export const GEM_SA1T = 0x08c;
/** Specific address n bottom, n = 1..4. */
export const gemSaBottom = (n: number): number => GEM_SA1B + 8 * (n - 1);
/** Specific address n top, n = 1..4. */
export const gemSaTop = (n: number): number => GEM_SA1T + 8 * (n - 1);
/** Type-ID match register n, n = 1..4. */
export const gemMatch = (n: number): number => 0x0a8 + 4 * (n - 1);
/** IPG stretch. */
export const GEM_STRETCH = 0x0bc;
/** Revision / module id (read only). */
export const GEM_REVISION = 0x0fc;
/** First statistics register (octets transmitted 31:0). */
export const GEM_STATS_FIRST = 0x100;
/** Last statistics register (UDP checksum errors). */
export const GEM_STATS_LAST = 0x1b0;
/** Number of statistics registers 0x100..0x1B0 (fxmac-gem 8). */
export const GEM_STATS_COUNT = (GEM_STATS_LAST - GEM_STATS_FIRST) / 4 + 1;
/** PCS control. */
export const GEM_PCS_CONTROL = 0x200;
/** PCS status. */
export const GEM_PCS_STATUS = 0x204;
/** PCS auto-negotiation link partner (SGMII). */
export const GEM_PCS_AN_LP = 0x214;
/** Design configuration debug 1 (read only). */
export const GEM_DCFG1 = 0x280;
/** Design configuration debug 2 (read only). */
export const GEM_DCFG2 = 0x284;
/** Per-queue interrupt status, q >= 1. */
export const gemIntqStatus = (q: number): number => 0x400 + 4 * (q - 1);
/** TX queue q descriptor base, q >= 1 (Linux GEM_TBQP(q-1)). */
export const gemTxqBase = (q: number): number => 0x440 + 4 * (q - 1);
/** RX queue q descriptor base, q >= 1 (Linux GEM_RBQP(q-1)). */
export const gemRxqBase = (q: number): number => 0x480 + 4 * (q - 1);
/** RX buffer size of queue q >= 1 (Linux GEM_RBQS(q-1)). */
export const gemRxBufSize = (q: number): number => 0x4a0 + 4 * (q - 1);
/** TX descriptor list base bits 63:32 (shared by all TX queues). */
export const GEM_MSB_TXQBASE = 0x4c8;
/** RX descriptor list base bits 63:32 (shared by all RX queues). */
export const GEM_MSB_RXQBASE = 0x4d4;
/** Queues the E2000 FXMAC has (8 queue IRQs; fxmac-gem 1). */
export const GEM_QUEUES = 8;
/** USXGMII / BASE-R PCS control. */
export const GEM_USX_CONTROL = 0xa80;
/** Test control; bit 1 = USXGMII loopback. */
export const GEM_TEST_CONTROL = 0xa84;
/** USX status. */
export const GEM_USX_STATUS = 0xa88;
/** Tail-pointer enable (0 = off). */
export const GEM_TAIL_ENABLE = 0xe7c;

// ---- Phytium clock-select registers written for SGMII (fxmac-gem 6.4) ----
export const GEM_SRC_SEL_LN = 0x1c04;
export const GEM_DIV_SEL0_LN = 0x1c08;
export const GEM_DIV_SEL1_LN = 0x1c0c;
export const GEM_PMA_XCVR_POWER_STATE = 0x1c10;
export const GEM_TX_CLK_SEL0 = 0x1c20;
export const GEM_TX_CLK_SEL1 = 0x1c24;
export const GEM_TX_CLK_SEL2 = 0x1c28;
export const GEM_TX_CLK_SEL3 = 0x1c2c;
export const GEM_RX_CLK_SEL0 = 0x1c30;
export const GEM_RX_CLK_SEL1 = 0x1c34;
export const GEM_TX_CLK_SEL3_0 = 0x1c70;
export const GEM_TX_CLK_SEL4_0 = 0x1c74;
export const GEM_RX_CLK_SEL3_0 = 0x1c78;
export const GEM_RX_CLK_SEL4_0 = 0x1c7c;

// ---- NWCTRL bits (fxmac-gem 3.1) ----
export const NWCTRL_LOOPBACK_LOCAL = 1 << 1;
export const NWCTRL_RXEN = 1 << 2;
export const NWCTRL_TXEN = 1 << 3;
export const NWCTRL_MDEN = 1 << 4;
export const NWCTRL_STATCLR = 1 << 5;
export const NWCTRL_STATINC = 1 << 6;
export const NWCTRL_STATWEN = 1 << 7;
export const NWCTRL_STARTTX = 1 << 9;
export const NWCTRL_HALTTX = 1 << 10;
export const NWCTRL_PAUSETX = 1 << 11;
export const NWCTRL_FLUSH_DPRAM = 1 << 18;
export const NWCTRL_TWO_PT_FIVE_GIG = 1 << 29;
export const NWCTRL_ENABLE_HS_MAC = 0x8000_0000;
/** Bits that are strobes (act when written as 1, read back as 0). */
export const NWCTRL_STROBES =
  NWCTRL_STATCLR | NWCTRL_STATINC | NWCTRL_STARTTX | NWCTRL_HALTTX | NWCTRL_PAUSETX;

// ---- NWCFG bits (fxmac-gem 3.2) ----
export const NWCFG_100 = 1 << 0;
export const NWCFG_FDEN = 1 << 1;
export const NWCFG_NVLANDISC = 1 << 2;
export const NWCFG_JUMBO = 1 << 3;
export const NWCFG_COPYALLEN = 1 << 4;
export const NWCFG_BCASTDI = 1 << 5;
export const NWCFG_MCASTHASHEN = 1 << 6;
export const NWCFG_UCASTHASHEN = 1 << 7;
export const NWCFG_1536RXEN = 1 << 8;
export const NWCFG_XTADDMACHEN = 1 << 9;
export const NWCFG_1000 = 1 << 10;
export const NWCFG_PCSSEL = 1 << 11;
export const NWCFG_RETRYTESTEN = 1 << 12;
export const NWCFG_PAUSE_ENABLE = 1 << 13;
export const NWCFG_RBOF_SHIFT = 14;
export const NWCFG_RBOF_MASK = 3 << 14;
export const NWCFG_LENGTH_ERR_DISCARD = 1 << 16;
export const NWCFG_FCS_REMOVE = 1 << 17;
export const NWCFG_MDCCLKDIV_SHIFT = 18;
export const NWCFG_MDCCLKDIV_MASK = 7 << 18;
/** MDC divider field value 2 = pclk / 32 (50 MHz -> 1.56 MHz; fxmac-gem 3.2). */
export const NWCFG_MDCCLKDIV_32 = 2 << 18;
export const NWCFG_DBW_SHIFT = 21;
export const NWCFG_DBW_MASK = 3 << 21;
export const NWCFG_DBW_64 = 1 << 21;
export const NWCFG_DBW_128 = 2 << 21;
export const NWCFG_PAUSECOPYDI = 1 << 23;
export const NWCFG_RXCHKSUMEN = 1 << 24;
export const NWCFG_HDRXEN = 1 << 25;
export const NWCFG_FCSIGNORE = 1 << 26;
export const NWCFG_SGMII_MODE_ENABLE = 1 << 27;
export const NWCFG_IPDSTRETCH = 1 << 28;
export const NWCFG_BADPREAMBEN = 1 << 29;

// ---- NWSR bits (fxmac-gem 3.3) ----
export const NWSR_PCS_LINK = 1 << 0;
export const NWSR_MDIO_IN = 1 << 1;
export const NWSR_MDIO_IDLE = 1 << 2;

// ---- DMACR bits (fxmac-gem 3.4) ----
export const DMACR_BLENGTH_MASK = 0x1f;
export const DMACR_SINGLE_BURST = 0x01;
export const DMACR_INCR4_BURST = 0x04;
export const DMACR_INCR8_BURST = 0x08;
export const DMACR_INCR16_BURST = 0x10;
export const DMACR_DESC_ENDIAN_SWAP = 1 << 6;
export const DMACR_PKT_ENDIAN_SWAP = 1 << 7;
export const DMACR_RXSIZE_FULL = 3 << 8;
export const DMACR_TXSIZE_FULL = 1 << 10;
export const DMACR_TCPCKSUM = 1 << 11;
export const DMACR_RXBUF_SHIFT = 16;
export const DMACR_RXBUF_MASK = 0xff << 16;
/** The RX buffer size field counts 64-byte units. */
export const DMACR_RXBUF_UNIT = 64;
export const DMACR_DISC_WHEN_NO_AHB = 1 << 24;
export const DMACR_RX_EXT_BD = 1 << 28;
export const DMACR_TX_EXT_BD = 1 << 29;
export const DMACR_ADDR_64B = 1 << 30;

// ---- TXSR bits (fxmac-gem 3.5) ----
export const TXSR_USEDREAD = 1 << 0;
export const TXSR_COLLISION = 1 << 1;
export const TXSR_RETRY_LIMIT = 1 << 2;
export const TXSR_TXGO = 1 << 3;
export const TXSR_FRAME_CORRUPT = 1 << 4;
export const TXSR_TXCOMPL = 1 << 5;
export const TXSR_UNDERRUN = 1 << 6;
export const TXSR_HRESP_NOK = 1 << 8;

// ---- RXSR bits (fxmac-gem 3.5) ----
export const RXSR_BUFFNA = 1 << 0;
export const RXSR_FRAMERX = 1 << 1;
export const RXSR_RXOVR = 1 << 2;
export const RXSR_HRESP_NOK = 1 << 3;

// ---- ISR / IER / IDR / IMR bits (fxmac-gem 3.6) ----
export const IXR_MGMNT = 1 << 0;
export const IXR_RXCOMPL = 1 << 1;
export const IXR_RXUSED = 1 << 2;
export const IXR_TXUSED = 1 << 3;
export const IXR_URUN = 1 << 4;
export const IXR_RETRY = 1 << 5;
export const IXR_TXEXH = 1 << 6;
export const IXR_TXCOMPL = 1 << 7;
export const IXR_LINKCHANGE = 1 << 9;
export const IXR_RXOVR = 1 << 10;
export const IXR_HRESPNOK = 1 << 11;
export const IXR_PAUSE_NZ = 1 << 12;
export const IXR_PAUSE_ZERO = 1 << 13;
export const IXR_PAUSE_TX = 1 << 14;
/** Bits that exist in ISR/IMR on this model (0..14 and the PTP events 18..25). */
export const IXR_ALL = 0x03fc_7eff;
/** The interrupt set fxmac_rs enables: link change, TX errors, RX errors, RX complete = 0xE76 (fxmac-gem 3.6). */
export const FXMAC_IRQ_MASK =
  IXR_LINKCHANGE | IXR_URUN | IXR_RETRY | IXR_TXEXH | IXR_RXUSED | IXR_RXOVR | IXR_HRESPNOK | IXR_RXCOMPL;

// ---- PHY maintenance register (fxmac-gem 7.1) ----
export const PHYMNTNC_SOF_SHIFT = 30;
/** Clause-22 start of frame (01). */
export const PHYMNTNC_SOF_CL22 = 1 << 30;
export const PHYMNTNC_SOF_MASK = 3 << 30;
export const PHYMNTNC_OP_SHIFT = 28;
export const PHYMNTNC_OP_MASK = 3 << 28;
/** Operation 10 = read. */
export const PHYMNTNC_OP_READ = 2 << 28;
/** Operation 01 = write. */
export const PHYMNTNC_OP_WRITE = 1 << 28;
export const PHYMNTNC_PHYA_SHIFT = 23;
export const PHYMNTNC_PHYA_MASK = 0x1f << 23;
export const PHYMNTNC_REGA_SHIFT = 18;
export const PHYMNTNC_REGA_MASK = 0x1f << 18;
/** The CODE field must be 10. */
export const PHYMNTNC_CODE = 2 << 16;
export const PHYMNTNC_CODE_MASK = 3 << 16;
export const PHYMNTNC_DATA_MASK = 0xffff;

// ---- PCS registers (fxmac-gem 2) ----
export const PCS_CONTROL_AUTONEG = 1 << 12;
export const PCS_STATUS_LINK = 1 << 2;
export const PCS_AN_LP_SPEED_SHIFT = 10;
export const PCS_AN_LP_SPEED_MASK = 3 << 10;
export const PCS_AN_LP_DUPLEX = 1 << 12;
export const PCS_AN_LP_LINK = 1 << 15;

// ---- DCFG1 (fxmac-gem 2, 6.1 step 4-5) ----
export const DCFG1_IRQCOR = 1 << 23;
export const DCFG1_DBWDEF_SHIFT = 25;
export const DCFG1_DBWDEF_MASK = 7 << 25;
/** DBWDEF value for a 128-bit data bus. */
export const DCFG1_DBWDEF_128 = 4;
/** DBWDEF value for a 64-bit data bus. */
export const DCFG1_DBWDEF_64 = 2;

// ---- REVISION (fxmac-gem 2, 6.1 step 2) ----
export const REVISION_MODULE_ID_SHIFT = 16;
export const REVISION_MODULE_ID_MASK = 0xfff << 16;

// ---- GEM_HSMAC speed codes (fxmac-gem 6.2 step 17) ----
export const HSMAC_SPEED_100M = 0;
export const HSMAC_SPEED_1000M = 1;
export const HSMAC_SPEED_2500M = 2;

/** TEST_CONTROL bit 1: USXGMII loopback (fxmac-gem 6.1 step 12). */
export const TEST_CONTROL_USX_LOOPBACK = 1 << 1;

// ---- statistics offsets used by the model and driver (fxmac-gem 8) ----
export const STAT_OCTTXL = 0x100;
export const STAT_OCTTXH = 0x104;
export const STAT_TXCNT = 0x108;
export const STAT_TXBCCNT = 0x10c;
export const STAT_TXMCCNT = 0x110;
export const STAT_TXPAUSECNT = 0x114;
export const STAT_TX64CNT = 0x118;
export const STAT_TX65CNT = 0x11c;
export const STAT_TX128CNT = 0x120;
export const STAT_TX256CNT = 0x124;
export const STAT_TX512CNT = 0x128;
export const STAT_TX1024CNT = 0x12c;
export const STAT_TX1519CNT = 0x130;
export const STAT_TXURUNCNT = 0x134;
export const STAT_OCTRXL = 0x150;
export const STAT_OCTRXH = 0x154;
export const STAT_RXCNT = 0x158;
export const STAT_RXBROADCNT = 0x15c;
export const STAT_RXMULTICNT = 0x160;
export const STAT_RXPAUSECNT = 0x164;
export const STAT_RX64CNT = 0x168;
export const STAT_RX65CNT = 0x16c;
export const STAT_RX128CNT = 0x170;
export const STAT_RX256CNT = 0x174;
export const STAT_RX512CNT = 0x178;
export const STAT_RX1024CNT = 0x17c;
export const STAT_RX1519CNT = 0x180;
export const STAT_RXUNDRCNT = 0x184;
export const STAT_RXOVRCNT = 0x188;
export const STAT_RXJABCNT = 0x18c;
export const STAT_RXFCSCNT = 0x190;
export const STAT_RXLENGTHCNT = 0x194;
export const STAT_RXSYMBCNT = 0x198;
export const STAT_RXALIGNCNT = 0x19c;
export const STAT_RXRESERRCNT = 0x1a0;
export const STAT_RXORCNT = 0x1a4;
export const STAT_RXIPCCNT = 0x1a8;
export const STAT_RXTCPCCNT = 0x1ac;
export const STAT_RXUDPCCNT = 0x1b0;
