/**
 * PCI configuration space layout: offsets, bits and capability ids (facts, no behaviour).
 * Sources: PCI Local Bus Specification 3.0 ch. 6 (as summarised in ../shared/reference/pci.md §2–§8),
 * Linux include/uapi/linux/pci_regs.h, rcore-os/virtio-drivers src/transport/pci/bus.rs.
 */

/** Bytes of configuration space per function through ECAM (PCIe). pci.md §1 */
export const PCI_CONFIG_SPACE_ECAM = 0x1000;
/** Bytes of configuration space per function through CAM (conventional PCI). pci.md §1 */
export const PCI_CONFIG_SPACE_CAM = 0x100;
/** Start of the PCIe extended capabilities (ECAM only). pci.md §8 */
export const PCI_EXT_CAP_START = 0x100;

// --- common header, all header types (pci.md §2) ---
export const PCI_VENDOR_ID = 0x00;
export const PCI_DEVICE_ID = 0x02;
export const PCI_COMMAND = 0x04;
export const PCI_STATUS = 0x06;
export const PCI_REVISION_ID = 0x08;
export const PCI_PROG_IF = 0x09;
export const PCI_SUBCLASS = 0x0a;
export const PCI_CLASS = 0x0b;
export const PCI_CACHE_LINE_SIZE = 0x0c;
export const PCI_LATENCY_TIMER = 0x0d;
export const PCI_HEADER_TYPE = 0x0e;
export const PCI_BIST = 0x0f;

/** Header type bits 6:0: layout. pci.md §2 */
export const PCI_HEADER_TYPE_MASK = 0x7f;
/** Header type bit 7: multi-function device. pci.md §2 */
export const PCI_HEADER_TYPE_MULTIFUNCTION = 0x80;
/** Header layout: endpoint (type 0). */
export const PCI_HEADER_TYPE_NORMAL = 0;
/** Header layout: PCI-to-PCI bridge (type 1). */
export const PCI_HEADER_TYPE_BRIDGE = 1;
/** Header layout: CardBus bridge (type 2). */
export const PCI_HEADER_TYPE_CARDBUS = 2;

/** Vendor id read where no function answers. pci.md §1 */
export const PCI_VENDOR_NONE = 0xffff;

// --- type 0 header (pci.md §3) ---
/** BAR0; BARn is at `PCI_BAR0 + 4 * n`. */
export const PCI_BAR0 = 0x10;
/** BARs in a type 0 header. */
export const PCI_BAR_COUNT = 6;
export const PCI_CARDBUS_CIS = 0x28;
export const PCI_SUBSYSTEM_VENDOR_ID = 0x2c;
export const PCI_SUBSYSTEM_ID = 0x2e;
export const PCI_ROM_ADDRESS = 0x30;
export const PCI_CAPABILITY_LIST = 0x34;
export const PCI_INTERRUPT_LINE = 0x3c;
export const PCI_INTERRUPT_PIN = 0x3d;
export const PCI_MIN_GNT = 0x3e;
export const PCI_MAX_LAT = 0x3f;
/** End of the standard header; capabilities live at or above this. pci.md §8 */
export const PCI_STD_HEADER_END = 0x40;

// --- type 1 header (pci.md §4) ---
/** BARs in a type 1 header. */
export const PCI_BRIDGE_BAR_COUNT = 2;
export const PCI_PRIMARY_BUS = 0x18;
export const PCI_SECONDARY_BUS = 0x19;
export const PCI_SUBORDINATE_BUS = 0x1a;
export const PCI_SEC_LATENCY_TIMER = 0x1b;
export const PCI_IO_BASE = 0x1c;
export const PCI_IO_LIMIT = 0x1d;
export const PCI_SEC_STATUS = 0x1e;
export const PCI_MEMORY_BASE = 0x20;
export const PCI_MEMORY_LIMIT = 0x22;
export const PCI_PREF_MEMORY_BASE = 0x24;
export const PCI_PREF_MEMORY_LIMIT = 0x26;
export const PCI_PREF_BASE_UPPER32 = 0x28;
export const PCI_PREF_LIMIT_UPPER32 = 0x2c;
export const PCI_IO_BASE_UPPER16 = 0x30;
export const PCI_IO_LIMIT_UPPER16 = 0x32;
export const PCI_BRIDGE_ROM_ADDRESS = 0x38;
export const PCI_BRIDGE_CONTROL = 0x3e;

// --- command register bits (pci.md §5) ---
export const PCI_COMMAND_IO = 1 << 0;
export const PCI_COMMAND_MEMORY = 1 << 1;
export const PCI_COMMAND_MASTER = 1 << 2;
export const PCI_COMMAND_SPECIAL = 1 << 3;
export const PCI_COMMAND_INVALIDATE = 1 << 4;
export const PCI_COMMAND_VGA_PALETTE = 1 << 5;
export const PCI_COMMAND_PARITY = 1 << 6;
export const PCI_COMMAND_SERR = 1 << 8;
export const PCI_COMMAND_FAST_BACK = 1 << 9;
export const PCI_COMMAND_INTX_DISABLE = 1 << 10;

// --- status register bits (pci.md §6) ---
export const PCI_STATUS_INTERRUPT = 1 << 3;
export const PCI_STATUS_CAP_LIST = 1 << 4;
export const PCI_STATUS_66MHZ = 1 << 5;
export const PCI_STATUS_FAST_BACK = 1 << 7;
export const PCI_STATUS_PARITY = 1 << 8;
export const PCI_STATUS_DEVSEL_MASK = 3 << 9;
export const PCI_STATUS_SIG_TARGET_ABORT = 1 << 11;
export const PCI_STATUS_REC_TARGET_ABORT = 1 << 12;
export const PCI_STATUS_REC_MASTER_ABORT = 1 << 13;
export const PCI_STATUS_SIG_SYSTEM_ERROR = 1 << 14;
export const PCI_STATUS_DETECTED_PARITY = 1 << 15;
/** The write-1-to-clear error bits: 8 and 11..15. pci.md §6 */
export const PCI_STATUS_W1C_MASK = 0xf900;

// --- BAR encoding (pci.md §7.1) ---
/** Bit 0: I/O space BAR. */
export const PCI_BAR_SPACE_IO = 0x1;
/** Bits 2:1 of a memory BAR: type. */
export const PCI_BAR_MEM_TYPE_MASK = 0x6;
export const PCI_BAR_MEM_TYPE_32 = 0x0;
export const PCI_BAR_MEM_TYPE_1M = 0x2;
export const PCI_BAR_MEM_TYPE_64 = 0x4;
/** Bit 3 of a memory BAR: prefetchable. */
export const PCI_BAR_MEM_PREFETCH = 0x8;
/** Flag bits of a memory BAR (address = value & ~0xF). */
export const PCI_BAR_MEM_FLAGS = 0xf;
/** Flag bits of an I/O BAR (address = value & ~0x3). */
export const PCI_BAR_IO_FLAGS = 0x3;
/** Smallest memory BAR. pci.md §7.2 */
export const PCI_BAR_MEM_MIN_SIZE = 16;
/** Smallest I/O BAR. pci.md §7.2 */
export const PCI_BAR_IO_MIN_SIZE = 4;

// --- capabilities (pci.md §8) ---
/** Capability header: id at +0, next pointer at +1. */
export const PCI_CAP_ID = 0;
export const PCI_CAP_NEXT = 1;
/** Next pointers and the list pointer ignore the low 2 bits. */
export const PCI_CAP_PTR_MASK = 0xfc;
/** A robust walker's bound on the number of hops (loops in hostile lists). pci.md §8 */
export const PCI_CAP_MAX_HOPS = 48;

export const PCI_CAP_ID_PM = 0x01;
export const PCI_CAP_ID_MSI = 0x05;
export const PCI_CAP_ID_VNDR = 0x09;
export const PCI_CAP_ID_EXP = 0x10;
export const PCI_CAP_ID_MSIX = 0x11;

// MSI-X capability (pci.md §8)
/** Message control (16 bits) at cap + 2. */
export const PCI_MSIX_FLAGS = 2;
/** Message control bits 10:0: table size minus 1. */
export const PCI_MSIX_FLAGS_QSIZE = 0x07ff;
/** Message control bit 14: function mask. */
export const PCI_MSIX_FLAGS_MASKALL = 1 << 14;
/** Message control bit 15: MSI-X enable. */
export const PCI_MSIX_FLAGS_ENABLE = 1 << 15;
/** Table offset/BIR (32 bits) at cap + 4. */
export const PCI_MSIX_TABLE = 4;
/** PBA offset/BIR (32 bits) at cap + 8. */
export const PCI_MSIX_PBA = 8;
/** BIR field (bits 2:0) of the table/PBA dword. */
export const PCI_MSIX_BIR_MASK = 0x7;
/** Bytes of the MSI-X capability. */
export const PCI_MSIX_CAP_SIZE = 12;
/** Bytes per MSI-X table entry. */
export const PCI_MSIX_ENTRY_SIZE = 16;
export const PCI_MSIX_ENTRY_ADDR_LO = 0;
export const PCI_MSIX_ENTRY_ADDR_HI = 4;
export const PCI_MSIX_ENTRY_DATA = 8;
export const PCI_MSIX_ENTRY_VECTOR_CTRL = 12;
/** Vector control bit 0: masked. */
export const PCI_MSIX_ENTRY_CTRL_MASKBIT = 1;

// --- class codes (pci.md §9.1) ---
export const PCI_CLASS_NETWORK = 0x02;
export const PCI_SUBCLASS_NETWORK_ETHERNET = 0x00;
export const PCI_SUBCLASS_NETWORK_OTHER = 0x80;
export const PCI_CLASS_BRIDGE = 0x06;
export const PCI_SUBCLASS_BRIDGE_HOST = 0x00;
export const PCI_SUBCLASS_BRIDGE_ISA = 0x01;
export const PCI_SUBCLASS_BRIDGE_PCI = 0x04;
export const PCI_SUBCLASS_BRIDGE_OTHER = 0x80;

// --- configuration mechanisms (pci.md §1) ---
/** ECAM: address = base + (bus << 20 | dev << 15 | fn << 12 | offset). */
export const ECAM_BUS_SHIFT = 20;
export const ECAM_DEVICE_SHIFT = 15;
export const ECAM_FUNCTION_SHIFT = 12;
/** Memory-mapped CAM: address = base + (bus << 16 | dev << 11 | fn << 8 | offset). */
export const CAM_BUS_SHIFT = 16;
export const CAM_DEVICE_SHIFT = 11;
export const CAM_FUNCTION_SHIFT = 8;
/** Devices per bus, functions per device. pci.md §9 */
export const PCI_MAX_DEVICES = 32;
export const PCI_MAX_FUNCTIONS = 8;
/** Buses per segment. */
export const PCI_MAX_BUSES = 256;
