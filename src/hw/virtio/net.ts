/**
 * virtio-net device specifics (virtio 1.2 §5.1 "Network Device").
 */

/** Virtqueue indices (§5.1.2): receiveq1 and transmitq1. */
export const NetQueue = {
  RX: 0,
  TX: 1,
} as const;

/** Device configuration layout (§5.1.4), offsets in the device-specific config. */
export const NetConfig = {
  /** u8 mac[6]. */
  MAC: 0,
  /** le16 status (with STATUS). */
  STATUS: 6,
  /** le16 max_virtqueue_pairs (with MQ). */
  MAX_VIRTQUEUE_PAIRS: 8,
  /** le16 mtu (with MTU). */
  MTU: 10,
  /** Size of the fields the model implements. */
  SIZE: 12,
} as const;

/** Bits of the config `status` field (§5.1.4). */
export const NetStatus = {
  LINK_UP: 1,
  ANNOUNCE: 2,
} as const;

/** `struct virtio_net_hdr` (§5.1.6). */
export const NetHdr = {
  /** u8 flags. */
  FLAGS: 0,
  /** u8 gso_type. */
  GSO_TYPE: 1,
  /** le16 hdr_len. */
  HDR_LEN: 2,
  /** le16 gso_size. */
  GSO_SIZE: 4,
  /** le16 csum_start. */
  CSUM_START: 6,
  /** le16 csum_offset. */
  CSUM_OFFSET: 8,
  /** le16 num_buffers (present with VERSION_1 or MRG_RXBUF). */
  NUM_BUFFERS: 10,
  /** Header size with VERSION_1 or MRG_RXBUF (no HASH_REPORT). */
  SIZE: 12,
  /** Legacy header size without MRG_RXBUF (§5.1.6.1 "Legacy Interface: Device Operation"). */
  LEGACY_SIZE: 10,
} as const;

/** `flags` bits of the header. */
export const NetHdrFlag = {
  NEEDS_CSUM: 1,
  DATA_VALID: 2,
  RSC_INFO: 4,
} as const;

/** `gso_type` values of the header. */
export const NetHdrGso = {
  NONE: 0,
  TCPV4: 1,
  UDP: 3,
  TCPV6: 4,
  UDP_L4: 5,
  ECN: 0x80,
} as const;

/** Largest frame without GSO: 14-byte Ethernet header + 1500 (§5.1.6.3). */
export const NET_MAX_FRAME = 1514;
/** Ethernet header length (added to `mtu` for the largest frame). */
export const ETH_HEADER_LEN = 14;
/** Receive buffer size the driver should post without MRG_RXBUF or GSO (§5.1.6.3.1): 12 + 1514. */
export const NET_RX_BUFFER_LEN = 1526;
/** Smallest `mtu` a device may present (§5.1.4.1). */
export const NET_MIN_MTU = 68;
