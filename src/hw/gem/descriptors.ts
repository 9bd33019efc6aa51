/**
 * GEM DMA buffer descriptors (fxmac-gem 4; Linux macb.h macb_dma_desc / macb_dma_desc_64).
 * In 64-bit addressing mode (DMACR bit 30) a descriptor is four 32-bit words = 16 bytes; in 32-bit mode
 * only words 0 and 1 (8 bytes). Word indexes below count 32-bit words from the descriptor's start.
 */

/** Descriptor size in 64-bit addressing mode (fxmac-gem 4). */
export const GEM_DESC_SIZE_64 = 16;
/** Descriptor size in 32-bit addressing mode (fxmac-gem 4). */
export const GEM_DESC_SIZE_32 = 8;
/** Word 0: RX buffer address 31:2 + WRAP + USED; TX buffer address 31:0. */
export const DESC_WORD_ADDR = 0;
/** Word 1: RX status written by the MAC; TX control/status. */
export const DESC_WORD_CTRL = 1;
/** Word 2: buffer address bits 63:32 (64-bit mode only). */
export const DESC_WORD_ADDR_HI = 2;
/** Alignment fxmac_rs uses for a descriptor ring base (BD_ALIGNMENT; fxmac-gem 5). */
export const GEM_RING_ALIGN = 128;

// ---- RX word 0 (fxmac-gem 4.1) ----
/** RX ownership: 0 = the MAC may write the buffer; the MAC sets 1 after writing a frame. */
export const RX_W0_USED = 1 << 0;
/** RX WRAP: last descriptor of the list. */
export const RX_W0_WRAP = 1 << 1;
/** RX buffer address bits 31:2. */
export const RX_W0_ADDR_MASK = 0xffff_fffc;

// ---- RX word 1 (fxmac-gem 4.2) ----
/** Frame length (13:0 with jumbo frames). */
export const RX_W1_LEN_MASK = 0x1fff;
export const RX_W1_LEN_MASK_JUMBO = 0x3fff;
export const RX_W1_FCS_STATUS = 1 << 13;
/** Start of frame: this buffer holds the first byte of a frame. */
export const RX_W1_SOF = 1 << 14;
/** End of frame: this buffer holds the last byte of a frame. */
export const RX_W1_EOF = 1 << 15;
export const RX_W1_CFI = 1 << 16;
export const RX_W1_VLAN_PRI_SHIFT = 17;
export const RX_W1_PRI_TAG = 1 << 20;
export const RX_W1_VLAN_TAG = 1 << 21;
export const RX_W1_TYPEID_SHIFT = 22;
export const RX_W1_TYPEID_MATCH = 1 << 24;
/** Which specific address matched (00 = SA1 .. 11 = SA4). */
export const RX_W1_SA_SHIFT = 25;
export const RX_W1_SA_MASK = 3 << 25;
/** A specific address register matched. */
export const RX_W1_SA_MATCH = 1 << 27;
export const RX_W1_EXT_MATCH = 1 << 28;
export const RX_W1_UHASH_MATCH = 1 << 29;
export const RX_W1_MHASH_MATCH = 1 << 30;
/** Broadcast (all-ones) destination. */
export const RX_W1_BROADCAST = 0x8000_0000;

// ---- TX word 1 (fxmac-gem 4.3) ----
/** Buffer length. */
export const TX_W1_LEN_MASK = 0x3fff;
/** Last buffer of the frame. */
export const TX_W1_LAST = 1 << 15;
/** Do not append an FCS (the buffer carries it). */
export const TX_W1_NOCRC = 1 << 16;
export const TX_W1_CSUM_ERR_SHIFT = 20;
export const TX_W1_CSUM_ERR_MASK = 7 << 20;
export const TX_W1_LATE_COLLISION = 1 << 26;
/** Frame corrupted: AHB/AXI error or buffers exhausted mid-frame. */
export const TX_W1_FRAME_CORRUPT = 1 << 27;
export const TX_W1_UNDERRUN = 1 << 28;
export const TX_W1_RETRY_LIMIT = 1 << 29;
/** WRAP: last descriptor of the list. */
export const TX_W1_WRAP = 1 << 30;
/** USED: 0 = the MAC may send; the MAC sets it in the frame's first descriptor once sent. */
export const TX_W1_USED = 0x8000_0000;
/** Error bits the MAC writes back into a TX descriptor. */
export const TX_W1_ERRORS = TX_W1_LATE_COLLISION | TX_W1_FRAME_CORRUPT | TX_W1_UNDERRUN | TX_W1_RETRY_LIMIT;

/** Largest frame (without FCS) of a standard, untagged Ethernet frame. */
export const ETH_MAX_FRAME = 1514;
/** Largest frame (without FCS) with one VLAN tag. */
export const ETH_MAX_FRAME_VLAN = 1518;
/** Smallest frame the MAC sends without padding (without FCS); shorter ones are padded (IEEE 802.3 4.2.3.3). */
export const ETH_MIN_FRAME = 60;
/** Ethernet header length; anything shorter is not a frame. */
export const ETH_HEADER_LEN = 14;
/** FCS length. */
export const ETH_FCS_LEN = 4;
