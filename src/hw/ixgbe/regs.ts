/**
 * Intel 82599 register offsets (BAR0 byte offsets) and bits. Facts only, no behaviour.
 * Names follow KuangjuX/ixgbe-driver src/constants.rs (= ixy / DPDK / Linux ixgbe_type.h).
 * Section marks "§n" refer to ../shared/reference/ixgbe-82599.md; "82599 datasheet x.y" to Intel's
 * 82599 10 GbE Controller Datasheet as the drivers quote it. All registers are 32-bit little-endian.
 */

// ---- general (§2) ----
/** Device control. */
export const IXGBE_CTRL = 0x00000;
/** Device status (LAN id bits 3:2, GIO master enable status bit 19). */
export const IXGBE_STATUS = 0x00008;
/** Extended device control. */
export const IXGBE_CTRL_EXT = 0x00018;

// ---- interrupts (§2, §3) ----
/** Extended interrupt cause (read to get and clear causes; write 1 clears). */
export const IXGBE_EICR = 0x00800;
/** Extended interrupt cause set. */
export const IXGBE_EICS = 0x00808;
/** Extended interrupt auto-clear enable. */
export const IXGBE_EIAC = 0x00810;
/** Extended interrupt mask set (write 1 = enable cause; read = current mask). */
export const IXGBE_EIMS = 0x00880;
/** Extended interrupt mask clear (write 1 = disable cause). */
export const IXGBE_EIMC = 0x00888;
/** Extended interrupt auto-mask enable. */
export const IXGBE_EIAM = 0x00890;
/** General purpose interrupt enable. */
export const IXGBE_GPIE = 0x00898;
/** Interrupt throttle register of vector `i` (0..63). */
export function IXGBE_EITR(i: number): number {
  return i <= 23 ? 0x00820 + i * 4 : 0x12300 + (i - 24) * 4;
}
/** Interrupt vector allocation `i` (0..63): entries for RX/TX queues 2i and 2i+1. */
export function IXGBE_IVAR(i: number): number {
  return 0x00900 + i * 4;
}
/** Misc interrupt causes to vector mapping. */
export const IXGBE_IVAR_MISC = 0x00a00;

// ---- receive (§2) ----
/** RX DMA control (DMAIDONE, CRCSTRIP). */
export const IXGBE_RDRXCTL = 0x02f00;
/** Global receive control (RXEN). */
export const IXGBE_RXCTRL = 0x03000;
/** RX packet buffer size `i` (0..7). */
export function IXGBE_RXPBSIZE(i: number): number {
  return 0x03c00 + i * 4;
}
/** RX checksum control. */
export const IXGBE_RXCSUM = 0x05000;
/** Filter control (broadcast / promiscuous). */
export const IXGBE_FCTRL = 0x05080;
/** Multiple receive queues command (RSS enable and hash fields). */
export const IXGBE_MRQC = 0x05818;
/** RSS redirection table `i` (0..31): four 8-bit entries, entry 4i+k in byte k. */
export function IXGBE_RETA(i: number): number {
  return 0x05c00 + i * 4;
}
/** RSS random key `i` (0..9): key bytes 4i..4i+3, byte 4i in bits 7:0. */
export function IXGBE_RSSRK(i: number): number {
  return 0x05c80 + i * 4;
}
/** Receive address low `i` (MAC bytes 0..3). Note the 8*i for i > 15, as the drivers define it (§2). */
export function IXGBE_RAL(i: number): number {
  return i <= 15 ? 0x05400 + i * 8 : 0x0a200 + i * 8;
}
/** Receive address high `i` (MAC bytes 4..5 and AV). */
export function IXGBE_RAH(i: number): number {
  return i <= 15 ? 0x05404 + i * 8 : 0x0a204 + i * 8;
}
/** Receive address registers (RAL/RAH pairs) of the 82599. */
export const IXGBE_NUM_RAR = 128;

// ---- MAC (§2) ----
/** MAC core control 0 (CRC, padding, jumbo, loopback). */
export const IXGBE_HLREG0 = 0x04240;
/** Max frame size (bits 31:16). */
export const IXGBE_MHADD = 0x04268;
/** Link auto-negotiation / mode control. */
export const IXGBE_AUTOC = 0x042a0;
/** Link status. */
export const IXGBE_LINKS = 0x042a4;

// ---- transmit (§2) ----
/** DCB TX descriptor plane control. */
export const IXGBE_RTTDCS = 0x04900;
/** Global TX DMA control (TE). */
export const IXGBE_DMATXCTL = 0x04a80;
/** Max TX DMA read request size. */
export const IXGBE_DTXMXSZRQ = 0x08100;
/** TX packet buffer size `i` (0..7). */
export function IXGBE_TXPBSIZE(i: number): number {
  return 0x0cc00 + i * 4;
}

// ---- EEPROM (§2) ----
/** EEPROM/flash control (auto-read done). */
export const IXGBE_EEC = 0x10010;
/** EEPROM read. */
export const IXGBE_EERD = 0x10014;

// ---- statistics, clear on read (§2, §7) ----
/** Missed packets count of packet buffer `i` (0..7). */
export function IXGBE_MPC(i: number): number {
  return 0x03fa0 + i * 4;
}
/** Receive no-buffer count of packet buffer `i` (0..7). */
export function IXGBE_RNBC(i: number): number {
  return 0x03fc0 + i * 4;
}
/** CRC error count. */
export const IXGBE_CRCERRS = 0x04000;
/** Good packets received. */
export const IXGBE_GPRC = 0x04074;
/** Broadcast packets received. */
export const IXGBE_BPRC = 0x04078;
/** Multicast packets received. */
export const IXGBE_MPRC = 0x0407c;
/** Good packets transmitted. */
export const IXGBE_GPTC = 0x04080;
/** Good octets received, low 32 bits. */
export const IXGBE_GORCL = 0x04088;
/** Good octets received, high bits. */
export const IXGBE_GORCH = 0x0408c;
/** Good octets transmitted, low 32 bits. */
export const IXGBE_GOTCL = 0x04090;
/** Good octets transmitted, high bits. */
export const IXGBE_GOTCH = 0x04094;
/** Receive undersize count. */
export const IXGBE_RUC = 0x040a4;
/** Receive oversize count. */
export const IXGBE_ROC = 0x040ac;
/** Total octets received, low / high. */
export const IXGBE_TORL = 0x040c0;
export const IXGBE_TORH = 0x040c4;
/** Total packets received. */
export const IXGBE_TPR = 0x040d0;
/** Total packets transmitted. */
export const IXGBE_TPT = 0x040d4;
/** Multicast packets transmitted. */
export const IXGBE_MPTC = 0x040f0;
/** Broadcast packets transmitted. */
export const IXGBE_BPTC = 0x040f4;
/** Per-queue packets received (queues 0..15). Linux ixgbe_type.h. */
export function IXGBE_QPRC(i: number): number {
  return 0x01030 + i * 0x40;
}
/** Per-queue bytes received, low / high (queues 0..15). Linux ixgbe_type.h. */
export function IXGBE_QBRC_L(i: number): number {
  return 0x01034 + i * 0x40;
}
export function IXGBE_QBRC_H(i: number): number {
  return 0x01038 + i * 0x40;
}
/** Per-queue packets dropped for lack of descriptors (queues 0..15). Linux ixgbe_type.h. */
export function IXGBE_QPRDC(i: number): number {
  return 0x01430 + i * 0x40;
}
/** Per-queue packets transmitted (queues 0..15). */
export function IXGBE_QPTC(i: number): number {
  return 0x06030 + i * 0x40;
}
/** Queues with per-queue statistics registers. */
export const IXGBE_NUM_QUEUE_STATS = 16;

// ---- per-queue registers (§2.1) ----
/** RX queues of the 82599 (the ixy drivers use at most 64). */
export const IXGBE_MAX_RX_QUEUES = 128;
/** TX queues of the 82599. */
export const IXGBE_MAX_TX_QUEUES = 128;
/** The ixy drivers' queue limit (`MAX_QUEUES`). */
export const IXGBE_DRIVER_MAX_QUEUES = 64;
/** Bytes between one queue's register block and the next. */
export const IXGBE_QUEUE_STRIDE = 0x40;
/** Start of the register blocks of RX queues 0..63. */
export const IXGBE_RXQ_LOW_BASE = 0x01000;
/** Start of the register blocks of RX queues 64..127. */
export const IXGBE_RXQ_HIGH_BASE = 0x0d000;
/** Start of the register blocks of TX queues 0..127. */
export const IXGBE_TXQ_BASE = 0x06000;

function rxq(i: number, reg: number): number {
  return i < 64 ? IXGBE_RXQ_LOW_BASE + i * 0x40 + reg : IXGBE_RXQ_HIGH_BASE + (i - 64) * 0x40 + reg;
}
/** Offsets of the registers inside one RX queue block. */
export const RXQ_RDBAL = 0x00;
export const RXQ_RDBAH = 0x04;
export const RXQ_RDLEN = 0x08;
export const RXQ_DCA_RXCTRL = 0x0c;
export const RXQ_RDH = 0x10;
export const RXQ_SRRCTL = 0x14;
export const RXQ_RDT = 0x18;
export const RXQ_RXDCTL = 0x28;
/** RX descriptor ring base, bits 31:0 (128-byte aligned). */
export function IXGBE_RDBAL(i: number): number {
  return rxq(i, RXQ_RDBAL);
}
/** RX descriptor ring base, bits 63:32. */
export function IXGBE_RDBAH(i: number): number {
  return rxq(i, RXQ_RDBAH);
}
/** RX descriptor ring length in bytes. */
export function IXGBE_RDLEN(i: number): number {
  return rxq(i, RXQ_RDLEN);
}
/** RX descriptor head (hardware-owned). */
export function IXGBE_RDH(i: number): number {
  return rxq(i, RXQ_RDH);
}
/** RX descriptor tail (software-owned). */
export function IXGBE_RDT(i: number): number {
  return rxq(i, RXQ_RDT);
}
/** RX descriptor control (queue enable). */
export function IXGBE_RXDCTL(i: number): number {
  return rxq(i, RXQ_RXDCTL);
}
/** Split/replication RX control; queues 0..15 through the alias at 0x02100 + 4i (§2.1). */
export function IXGBE_SRRCTL(i: number): number {
  return i <= 15 ? 0x02100 + i * 4 : rxq(i, RXQ_SRRCTL);
}
/** RX DCA control; queues 0..15 through the alias at 0x02200 + 4i (§2.1). */
export function IXGBE_DCA_RXCTRL(i: number): number {
  return i <= 15 ? 0x02200 + i * 4 : rxq(i, RXQ_DCA_RXCTRL);
}
/** Alias window of SRRCTL(0..15). */
export const IXGBE_SRRCTL_ALIAS_BASE = 0x02100;
/** Alias window of DCA_RXCTRL(0..15). */
export const IXGBE_DCA_RXCTRL_ALIAS_BASE = 0x02200;

/** Offsets of the registers inside one TX queue block. */
export const TXQ_TDBAL = 0x00;
export const TXQ_TDBAH = 0x04;
export const TXQ_TDLEN = 0x08;
export const TXQ_TDH = 0x10;
export const TXQ_TDT = 0x18;
export const TXQ_TXDCTL = 0x28;
export const TXQ_TDWBAL = 0x38;
export const TXQ_TDWBAH = 0x3c;
/** TX descriptor ring base, bits 31:0. */
export function IXGBE_TDBAL(i: number): number {
  return IXGBE_TXQ_BASE + i * 0x40 + TXQ_TDBAL;
}
/** TX descriptor ring base, bits 63:32. */
export function IXGBE_TDBAH(i: number): number {
  return IXGBE_TXQ_BASE + i * 0x40 + TXQ_TDBAH;
}
/** TX descriptor ring length in bytes. */
export function IXGBE_TDLEN(i: number): number {
  return IXGBE_TXQ_BASE + i * 0x40 + TXQ_TDLEN;
}
/** TX descriptor head (hardware-owned). */
export function IXGBE_TDH(i: number): number {
  return IXGBE_TXQ_BASE + i * 0x40 + TXQ_TDH;
}
/** TX descriptor tail (software-owned). */
export function IXGBE_TDT(i: number): number {
  return IXGBE_TXQ_BASE + i * 0x40 + TXQ_TDT;
}
/** TX descriptor control (thresholds, queue enable). */
export function IXGBE_TXDCTL(i: number): number {
  return IXGBE_TXQ_BASE + i * 0x40 + TXQ_TXDCTL;
}

// ---- bits (§3) ----
/** CTRL: PCIe master disable. */
export const IXGBE_CTRL_GIO_DIS = 1 << 2;
/** CTRL: link reset. */
export const IXGBE_CTRL_LNK_RST = 1 << 3;
/** CTRL: software (global) reset, self-clearing. */
export const IXGBE_CTRL_RST = 1 << 26;
/** CTRL: what the drivers write for a global reset (LNK_RST | RST = 0x04000008). */
export const IXGBE_CTRL_RST_MASK = IXGBE_CTRL_LNK_RST | IXGBE_CTRL_RST;

/** STATUS: GIO master enable status. */
export const IXGBE_STATUS_GIO = 1 << 19;

/** CTRL_EXT: PF reset done. */
export const IXGBE_CTRL_EXT_PFRSTD = 1 << 14;
/** CTRL_EXT: no-snoop disable. */
export const IXGBE_CTRL_EXT_NS_DIS = 1 << 16;
/** CTRL_EXT: relaxed-ordering disable. */
export const IXGBE_CTRL_EXT_RO_DIS = 1 << 17;
/** CTRL_EXT: driver loaded. */
export const IXGBE_CTRL_EXT_DRV_LOAD = 1 << 28;

/** EEC: EEPROM present. */
export const IXGBE_EEC_PRES = 1 << 8;
/** EEC: EEPROM auto-read done. */
export const IXGBE_EEC_ARD = 1 << 9;

/** RDRXCTL: strip CRC in RX DMA. */
export const IXGBE_RDRXCTL_CRCSTRIP = 1 << 1;
/** RDRXCTL: DMA init done. */
export const IXGBE_RDRXCTL_DMAIDONE = 1 << 3;

/** RXCTRL: receive enable. */
export const IXGBE_RXCTRL_RXEN = 1 << 0;

/** HLREG0: append CRC on TX. */
export const IXGBE_HLREG0_TXCRCEN = 1 << 0;
/** HLREG0: strip CRC on RX. */
export const IXGBE_HLREG0_RXCRCSTRP = 1 << 1;
/** HLREG0: jumbo frames. */
export const IXGBE_HLREG0_JUMBOEN = 1 << 2;
/** HLREG0: pad short TX frames. */
export const IXGBE_HLREG0_TXPADEN = 1 << 10;
/** HLREG0: MAC loopback. */
export const IXGBE_HLREG0_LPBK = 1 << 15;

/** MHADD: max frame size field shift (bits 31:16). */
export const IXGBE_MHADD_MFS_SHIFT = 16;

/** FCTRL: store bad packets. */
export const IXGBE_FCTRL_SBP = 1 << 1;
/** FCTRL: multicast promiscuous. */
export const IXGBE_FCTRL_MPE = 1 << 8;
/** FCTRL: unicast promiscuous. */
export const IXGBE_FCTRL_UPE = 1 << 9;
/** FCTRL: accept broadcast. */
export const IXGBE_FCTRL_BAM = 1 << 10;

/** SRRCTL: packet buffer size in KiB units (bits 6:0). */
export const IXGBE_SRRCTL_BSIZEPKT_MASK = 0x7f;
/** SRRCTL: packet buffer size unit: 1 KiB. */
export const IXGBE_SRRCTL_BSIZEPKT_SHIFT = 10;
/** SRRCTL: header buffer size in 64-byte units (bits 13:8). */
export const IXGBE_SRRCTL_BSIZEHDR_MASK = 0x3f00;
/** SRRCTL: descriptor type (bits 27:25). */
export const IXGBE_SRRCTL_DESCTYPE_MASK = 0x0e00_0000;
/** SRRCTL descriptor type: legacy. */
export const IXGBE_SRRCTL_DESCTYPE_LEGACY = 0x0000_0000;
/** SRRCTL descriptor type: advanced, one buffer. */
export const IXGBE_SRRCTL_DESCTYPE_ADV_ONEBUF = 0x0200_0000;
/** SRRCTL: drop packets when no descriptor is available. */
export const IXGBE_SRRCTL_DROP_EN = 0x1000_0000;

/** RXDCTL / TXDCTL: queue enable. */
export const IXGBE_RXDCTL_ENABLE = 1 << 25;
export const IXGBE_TXDCTL_ENABLE = 1 << 25;
/** RXDCTL / TXDCTL: software flush of write-back. */
export const IXGBE_RXDCTL_SWFLSH = 1 << 26;
/** RXDCTL: VLAN strip. */
export const IXGBE_RXDCTL_VME = 1 << 30;
/** TXDCTL threshold fields: PTHRESH 6:0, HTHRESH 14:8, WTHRESH 22:16 (§3; ixy.js init.js). */
export const IXGBE_TXDCTL_PTHRESH_SHIFT = 0;
export const IXGBE_TXDCTL_HTHRESH_SHIFT = 8;
export const IXGBE_TXDCTL_WTHRESH_SHIFT = 16;
export const IXGBE_TXDCTL_THRESH_MASK = 0x7f | (0x7f << 8) | (0x7f << 16);

/** DCA_RXCTRL bit 12: comes up as 1 and ixy clears it (§3). */
export const IXGBE_DCA_RXCTRL_BIT12 = 1 << 12;

/** RXPBSIZE value for 128 KiB (KiB << 10). */
export const IXGBE_RXPBSIZE_128KB = 0x0002_0000;
/** TXPBSIZE value for 40 KiB. */
export const IXGBE_TXPBSIZE_40KB = 0x0000_a000;

/** RTTDCS: DCB arbiter disable. */
export const IXGBE_RTTDCS_ARBDIS = 1 << 6;
/** DMATXCTL: transmit DMA enable. */
export const IXGBE_DMATXCTL_TE = 1 << 0;
/** DMATXCTL: global double VLAN. */
export const IXGBE_DMATXCTL_GDV = 1 << 3;

/** AUTOC: force link up. */
export const IXGBE_AUTOC_FLU = 1 << 0;
/** AUTOC: 10G PMA/PMD parallel select (bits 8:7). */
export const IXGBE_AUTOC_10G_PMA_PMD_MASK = 0x0000_0180;
export const IXGBE_AUTOC_10G_PMA_PMD_SHIFT = 7;
/** AUTOC 10G PMA/PMD: XAUI. */
export const IXGBE_AUTOC_10G_XAUI = 0 << 7;
/** AUTOC 10G PMA/PMD: KX4. */
export const IXGBE_AUTOC_10G_KX4 = 1 << 7;
/** AUTOC 10G PMA/PMD: CX4. */
export const IXGBE_AUTOC_10G_CX4 = 2 << 7;
/** AUTOC: 1G PMA/PMD (0 BX/SFI, 1 KX). */
export const IXGBE_AUTOC_1G_PMA_PMD = 1 << 9;
/** AUTOC: restart auto-negotiation (self-clearing). */
export const IXGBE_AUTOC_AN_RESTART = 1 << 12;
/** AUTOC: link mode select (bits 15:13). */
export const IXGBE_AUTOC_LMS_MASK = 0x7 << 13;
export const IXGBE_AUTOC_LMS_SHIFT = 13;
/** AUTOC link modes (values of bits 15:13). */
export const IXGBE_AUTOC_LMS_1G_LINK_NO_AN = 0 << 13;
export const IXGBE_AUTOC_LMS_10G_LINK_NO_AN = 1 << 13;
export const IXGBE_AUTOC_LMS_1G_AN = 2 << 13;
export const IXGBE_AUTOC_LMS_10G_SERIAL = 3 << 13;
export const IXGBE_AUTOC_LMS_KX4_KX_KR = 4 << 13;
export const IXGBE_AUTOC_LMS_SGMII_1G_100M = 5 << 13;
export const IXGBE_AUTOC_LMS_KX4_KX_KR_1G_AN = 6 << 13;
export const IXGBE_AUTOC_LMS_KX4_KX_KR_SGMII = 7 << 13;

/** LINKS: link is up. */
export const IXGBE_LINKS_UP = 1 << 30;
/** LINKS: speed field (bits 29:28) on the 82599. */
export const IXGBE_LINKS_SPEED_82599 = 0x3000_0000;
export const IXGBE_LINKS_SPEED_100_82599 = 0x1000_0000;
export const IXGBE_LINKS_SPEED_1G_82599 = 0x2000_0000;
export const IXGBE_LINKS_SPEED_10G_82599 = 0x3000_0000;

/** RAH: address valid. */
export const IXGBE_RAH_AV = 0x8000_0000;

/** RXCSUM: packet checksum disabled (the descriptor carries the RSS hash instead). Linux ixgbe_type.h. */
export const IXGBE_RXCSUM_PCSD = 1 << 13;

/** MRQC: multiple receive queues enable field (bits 3:0). */
export const IXGBE_MRQC_MRQE_MASK = 0xf;
/** MRQC MRQE value: RSS only (`IXGBE_MRQC_RSSEN`). */
export const IXGBE_MRQC_RSSEN = 0x1;
/** MRQC hash field enables (bits 31:16; Linux ixgbe_type.h). */
export const IXGBE_MRQC_RSS_FIELD_IPV4_TCP = 0x0001_0000;
export const IXGBE_MRQC_RSS_FIELD_IPV4 = 0x0002_0000;
export const IXGBE_MRQC_RSS_FIELD_IPV6 = 0x0010_0000;
export const IXGBE_MRQC_RSS_FIELD_IPV6_TCP = 0x0020_0000;
export const IXGBE_MRQC_RSS_FIELD_IPV4_UDP = 0x0040_0000;
export const IXGBE_MRQC_RSS_FIELD_IPV6_UDP = 0x0080_0000;
/** RETA entries (indexed by the 7 low bits of the RSS hash). */
export const IXGBE_RETA_ENTRIES = 128;
/** RETA entry: RSS output index bits (up to 16 queues on the 82599). */
export const IXGBE_RETA_INDEX_MASK = 0xf;
/** RSS key bytes (RSSRK(0..9)). */
export const IXGBE_RSS_KEY_LEN = 40;

/** GPIE bits (§3). */
export const IXGBE_GPIE_MSIX_MODE = 1 << 4;
export const IXGBE_GPIE_OCD = 1 << 5;
export const IXGBE_GPIE_EIMEN = 1 << 6;
export const IXGBE_GPIE_EIAME = 1 << 30;
export const IXGBE_GPIE_PBA_SUPPORT = 1 << 31;

/** IVAR entry: valid; bits 5:0 = vector. */
export const IXGBE_IVAR_ALLOC_VAL = 0x80;

/** EICR / EIMS / EIMC bits (§3). */
export const IXGBE_EICR_RTX_QUEUE = 0x0000_ffff;
export const IXGBE_EICR_FLOW_DIR = 1 << 16;
export const IXGBE_EICR_RX_MISS = 1 << 17;
export const IXGBE_EICR_PCI = 1 << 18;
export const IXGBE_EICR_MAILBOX = 1 << 19;
export const IXGBE_EICR_LSC = 1 << 20;
export const IXGBE_EICR_OTHER = 1 << 31;
/** What ixgbe-driver writes to EIMC to mask every cause (`IXGBE_IRQ_CLEAR_MASK`). */
export const IXGBE_IRQ_CLEAR_MASK = 0xffff_ffff;
/** What ixy.js writes to EIMC (all causes but OTHER). */
export const IXGBE_EIMC_ALL_BUT_OTHER = 0x7fff_ffff;
