/**
 * 82599 descriptor layouts (16 bytes each, little-endian). Facts only.
 * Source: ../shared/reference/ixgbe-82599.md §5 (KuangjuX/ixgbe-driver src/descriptor.rs, src/constants.rs;
 * ixy.js src/descriptors.js); 82599 datasheet 7.1.6 (advanced RX descriptors) and 7.2.3.2.4 (advanced
 * TX data descriptor) as the drivers quote them.
 */

/** Size of every RX and TX descriptor, legacy or advanced. */
export const IXGBE_DESC_SIZE = 16;
/** Descriptor rings must be a multiple of this many bytes long, and their base this aligned (§2.1, §4). */
export const IXGBE_RING_ALIGN = 128;

// ---- advanced RX descriptor, read format (§5.1) ----
/** Byte offset of pkt_addr (64 bits) in the read format. */
export const RXD_PKT_ADDR = 0;
/** Byte offset of hdr_addr (64 bits); its bit 0 overlays DD, so writing 0 clears the status. */
export const RXD_HDR_ADDR = 8;

// ---- advanced RX descriptor, write-back format (§5.2) ----
/** Byte offset of the dword holding RSS type (3:0) and packet type (16:4). */
export const RXD_WB_PKT_INFO = 0;
/** Byte offset of the RSS hash dword. */
export const RXD_WB_RSS_HASH = 4;
/** Byte offset of the status/error dword. */
export const RXD_WB_STATUS_ERROR = 8;
/** Byte offset of the 16-bit packet length. */
export const RXD_WB_LENGTH = 12;
/** Byte offset of the 16-bit VLAN tag. */
export const RXD_WB_VLAN = 14;

/** RX status: descriptor done. */
export const IXGBE_RXDADV_STAT_DD = 1 << 0;
/** RX status: end of packet. */
export const IXGBE_RXDADV_STAT_EOP = 1 << 1;
/** RX status: VLAN packet. */
export const IXGBE_RXDADV_STAT_VP = 1 << 3;
/** RX errors (bits 31:20 of the status/error dword). */
export const IXGBE_RXDADV_ERR_MASK = 0xfff0_0000;
/** RX error: CRC error. */
export const IXGBE_RXDADV_ERR_CE = 1 << 24;
/** RX error: length error. */
export const IXGBE_RXDADV_ERR_LE = 1 << 25;

/** Packet info dword: RSS type field (bits 3:0). */
export const IXGBE_RXDADV_RSSTYPE_MASK = 0xf;
/** RSS types (§5.2). */
export const IXGBE_RXDADV_RSSTYPE_NONE = 0;
export const IXGBE_RXDADV_RSSTYPE_IPV4_TCP = 1;
export const IXGBE_RXDADV_RSSTYPE_IPV4 = 2;
export const IXGBE_RXDADV_RSSTYPE_IPV6_TCP = 3;
export const IXGBE_RXDADV_RSSTYPE_IPV6 = 5;
export const IXGBE_RXDADV_RSSTYPE_IPV4_UDP = 7;
export const IXGBE_RXDADV_RSSTYPE_IPV6_UDP = 8;
/** Packet info dword: packet type field shift (bits 16:4). */
export const IXGBE_RXDADV_PKTTYPE_SHIFT = 4;
/** Packet types (values of the field, before the shift). */
export const IXGBE_RXDADV_PKTTYPE_IPV4 = 0x010;
export const IXGBE_RXDADV_PKTTYPE_IPV6 = 0x040;
export const IXGBE_RXDADV_PKTTYPE_TCP = 0x100;
export const IXGBE_RXDADV_PKTTYPE_UDP = 0x200;

// ---- legacy RX descriptor write-back (82598 datasheet 3.5.2.3; same 82599 layout) ----
/** Byte offset of the 16-bit length in the legacy write-back. */
export const RXD_LEGACY_LENGTH = 8;
/** Byte offset of the 8-bit status in the legacy write-back (DD bit 0, EOP bit 1). */
export const RXD_LEGACY_STATUS = 12;

// ---- advanced TX data descriptor, read format (§5.3) ----
/** Byte offset of buffer_addr (64 bits). */
export const TXD_BUFFER_ADDR = 0;
/** Byte offset of cmd_type_len (DTALEN 15:0, DTYP 23:20, DCMD 31:24). */
export const TXD_CMD_TYPE_LEN = 8;
/** Byte offset of olinfo_status (STA 3:0, PAYLEN 31:14). */
export const TXD_OLINFO_STATUS = 12;

/** cmd_type_len: data length mask (DTALEN). */
export const IXGBE_ADVTXD_DTALEN_MASK = 0xffff;
/** cmd_type_len: descriptor type field (bits 23:20). */
export const IXGBE_ADVTXD_DTYP_MASK = 0x00f0_0000;
/** DTYP: advanced context descriptor. */
export const IXGBE_ADVTXD_DTYP_CTXT = 0x0020_0000;
/** DTYP: advanced data descriptor. */
export const IXGBE_ADVTXD_DTYP_DATA = 0x0030_0000;
/** DCMD: end of packet. */
export const IXGBE_ADVTXD_DCMD_EOP = 0x0100_0000;
/** DCMD: insert FCS. */
export const IXGBE_ADVTXD_DCMD_IFCS = 0x0200_0000;
/** DCMD: report status (write DD back). */
export const IXGBE_ADVTXD_DCMD_RS = 0x0800_0000;
/** DCMD: descriptor extension (advanced format). */
export const IXGBE_ADVTXD_DCMD_DEXT = 0x2000_0000;
/** DCMD: VLAN insertion. */
export const IXGBE_ADVTXD_DCMD_VLE = 0x4000_0000;
/** DCMD: TCP segmentation. */
export const IXGBE_ADVTXD_DCMD_TSE = 0x8000_0000;
/** olinfo_status: PAYLEN shift. */
export const IXGBE_ADVTXD_PAYLEN_SHIFT = 14;
/** What the drivers write for every one-buffer packet: EOP | IFCS | RS | DEXT | DTYP data (0x2B300000). */
export const IXGBE_ADVTXD_CMD_ONE_BUFFER =
  IXGBE_ADVTXD_DCMD_EOP |
  IXGBE_ADVTXD_DCMD_IFCS |
  IXGBE_ADVTXD_DCMD_RS |
  IXGBE_ADVTXD_DCMD_DEXT |
  IXGBE_ADVTXD_DTYP_DATA;

// ---- TX write-back (§5.4) ----
/** TX status (dword at byte 12): descriptor done. */
export const IXGBE_ADVTXD_STAT_DD = 1 << 0;

/** Ethernet frame check sequence, counted by the octet counters (§7). */
export const ETH_FCS_LEN = 4;
/** Shortest Ethernet frame without FCS; TXPADEN pads to it. */
export const ETH_MIN_FRAME_LEN = 60;
