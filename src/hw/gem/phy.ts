/**
 * Clause-22 MII registers (IEEE 802.3 clause 22.2.4) and the Motorcomm YT8521 specifics used by fxmac_rs
 * (fxmac-gem 7.2-7.4; fxmac_rs src/fxmac_phy.rs; Linux drivers/net/phy/motorcomm.c).
 */

/** Number of MDIO addresses fxmac_rs scans (0..31). */
export const MDIO_ADDRESSES = 32;
/** Value read from an MDIO address where no PHY answers (fxmac-gem 7.1). */
export const MDIO_NO_PHY = 0xffff;

// ---- register numbers ----
export const MII_BMCR = 0;
export const MII_BMSR = 1;
export const MII_PHYID1 = 2;
export const MII_PHYID2 = 3;
export const MII_ANAR = 4;
export const MII_ANLPAR = 5;
export const MII_ANER = 6;
export const MII_CTRL1000 = 9;
export const MII_STAT1000 = 10;
export const MII_MMD_CTRL = 13;
export const MII_MMD_DATA = 14;
export const MII_ESTATUS = 15;
/** YT8521 specific function control. */
export const YT_SPEC_CTRL = 0x10;
/** YT8521 specific status (fxmac-gem 7.4). */
export const YT_SPEC_STATUS = 0x11;
/** YT8521 interrupt enable. */
export const YT_INT_ENABLE = 0x12;
/** YT8521 interrupt status (clear on read). */
export const YT_INT_STATUS = 0x13;
/** YT8521 extended-register address window. */
export const YT_EXT_ADDR = 0x1e;
/** YT8521 extended-register data window. */
export const YT_EXT_DATA = 0x1f;

// ---- BMCR (22.2.4.1) ----
export const BMCR_RESET = 0x8000;
export const BMCR_LOOPBACK = 0x4000;
/** Speed select LSB: 100 Mb/s. */
export const BMCR_SPEED100 = 0x2000;
export const BMCR_ANENABLE = 0x1000;
export const BMCR_PDOWN = 0x0800;
export const BMCR_ISOLATE = 0x0400;
export const BMCR_ANRESTART = 0x0200;
export const BMCR_FULLDPLX = 0x0100;
/** Speed select MSB: 1000 Mb/s. */
export const BMCR_SPEED1000 = 0x0040;

// ---- BMSR (22.2.4.2) ----
export const BMSR_ERCAP = 0x0001;
export const BMSR_JCD = 0x0002;
/** Link status (latching low). */
export const BMSR_LSTATUS = 0x0004;
export const BMSR_ANEGCAPABLE = 0x0008;
export const BMSR_RFAULT = 0x0010;
export const BMSR_ANEGCOMPLETE = 0x0020;
export const BMSR_MFPRESUPP = 0x0040;
export const BMSR_ESTATEN = 0x0100;
export const BMSR_10HALF = 0x0800;
export const BMSR_10FULL = 0x1000;
export const BMSR_100HALF = 0x2000;
export const BMSR_100FULL = 0x4000;

// ---- ANAR / ANLPAR (28.2.1.2) ----
export const ADVERTISE_SELECTOR_8023 = 0x0001;
export const ADVERTISE_10HALF = 0x0020;
export const ADVERTISE_10FULL = 0x0040;
export const ADVERTISE_100HALF = 0x0080;
export const ADVERTISE_100FULL = 0x0100;
export const ADVERTISE_PAUSE = 0x0400;
export const ADVERTISE_ASYM_PAUSE = 0x0800;
export const ADVERTISE_RFAULT = 0x2000;
/** ANLPAR: the partner acknowledged our page. */
export const LPA_ACK = 0x4000;
export const ADVERTISE_NPAGE = 0x8000;

// ---- 1000BASE-T control / status (40.5.1.1) ----
export const CTRL1000_ADV_1000HALF = 0x0100;
export const CTRL1000_ADV_1000FULL = 0x0200;
export const CTRL1000_PREFER_MASTER = 0x0400;
export const CTRL1000_MS_VALUE = 0x0800;
export const CTRL1000_MS_MANUAL = 0x1000;
export const STAT1000_LP_1000HALF = 0x0400;
export const STAT1000_LP_1000FULL = 0x0800;
export const STAT1000_REMOTE_RX_OK = 0x1000;
export const STAT1000_LOCAL_RX_OK = 0x2000;
export const STAT1000_MS_RESULT = 0x4000;
export const STAT1000_MS_FAULT = 0x8000;

// ---- extended status (22.2.4.4) ----
export const ESTATUS_1000T_FULL = 0x2000;
export const ESTATUS_1000T_HALF = 0x1000;

// ---- YT8521 ids and specific status (fxmac-gem 7.4) ----
export const YT8521_PHYID1 = 0x0000;
export const YT8521_PHYID2 = 0x011a;
export const YT_SPEC_STATUS_SPEED_SHIFT = 14;
export const YT_SPEC_STATUS_SPEED_MASK = 0xc000;
/** Speed field value 00 = 10 Mb/s. */
export const YT_SPEED_10 = 0;
/** Speed field value 01 = 100 Mb/s. */
export const YT_SPEED_100 = 1;
/** Speed field value 10 = 1000 Mb/s. */
export const YT_SPEED_1000 = 2;
export const YT_SPEC_STATUS_FULL_DUPLEX = 1 << 13;
export const YT_SPEC_STATUS_PAGE_RECEIVED = 1 << 12;
export const YT_SPEC_STATUS_RESOLVED = 1 << 11;
export const YT_SPEC_STATUS_LINK = 1 << 10;
export const YT_SPEC_STATUS_MDIX = 1 << 6;
export const YT_SPEC_STATUS_TX_PAUSE = 1 << 3;
export const YT_SPEC_STATUS_RX_PAUSE = 1 << 2;
/** YT8521 interrupt status bits (motorcomm.c YTPHY_IER_*). */
export const YT_INT_SPEED_CHANGED = 1 << 14;
export const YT_INT_DUPLEX_CHANGED = 1 << 13;
export const YT_INT_LINK_FAILED = 1 << 11;
export const YT_INT_LINK_SUCCESS = 1 << 10;
