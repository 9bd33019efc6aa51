/**
 * virtio over PCI (virtio 1.2 §4.1 "Virtio Over PCI Bus").
 */

/** PCI vendor ID of all virtio devices (§4.1.2). */
export const VIRTIO_PCI_VENDOR = 0x1af4;
/** Modern device IDs are 0x1040 + virtio device ID (§4.1.2.1). */
export const VIRTIO_PCI_MODERN_BASE = 0x1040;
/** Last modern device ID. */
export const VIRTIO_PCI_MODERN_LAST = 0x107f;
/** Modern virtio-net. */
export const VIRTIO_PCI_DEVICE_NET = 0x1041;
/** Transitional device IDs (§4.1.2.3 "Legacy Interfaces: A Note on PCI Device Discovery"). */
export const VIRTIO_PCI_TRANSITIONAL = {
  NET: 0x1000,
  BLOCK: 0x1001,
  BALLOON: 0x1002,
  CONSOLE: 0x1003,
  SCSI: 0x1004,
  ENTROPY: 0x1005,
  P9: 0x1009,
} as const;

/** Virtio device ID of each transitional PCI device ID. */
export const TRANSITIONAL_TO_VIRTIO_ID: Readonly<Record<number, number>> = {
  4096: 1,
  4097: 2,
  4098: 5,
  4099: 3,
  4100: 8,
  4101: 4,
  4105: 9,
};

/** Vendor-specific PCI capability ID used by virtio (§4.1.4). */
export const PCI_CAP_ID_VNDR = 0x09;
/** MSI-X capability ID. */
export const PCI_CAP_ID_MSIX = 0x11;

/** `struct virtio_pci_cap` field offsets within the capability (§4.1.4). */
export const VirtioPciCap = {
  CAP_VNDR: 0,
  CAP_NEXT: 1,
  CAP_LEN: 2,
  CFG_TYPE: 3,
  BAR: 4,
  ID: 5,
  OFFSET: 8,
  LENGTH: 12,
  /** `notify_off_multiplier` of the notification capability (§4.1.4.4). */
  NOTIFY_OFF_MULTIPLIER: 16,
  /** Length of the plain capability. */
  SIZE: 16,
  /** Length of the notification capability. */
  NOTIFY_SIZE: 20,
  /** Length of the PCI configuration access capability (§4.1.4.9). */
  PCI_CFG_SIZE: 20,
  /** `pci_cfg_data` of the PCI configuration access capability. */
  PCI_CFG_DATA: 16,
} as const;

/** `cfg_type` values (§4.1.4). */
export const VirtioPciCapType = {
  COMMON_CFG: 1,
  NOTIFY_CFG: 2,
  ISR_CFG: 3,
  DEVICE_CFG: 4,
  PCI_CFG: 5,
  SHARED_MEMORY_CFG: 8,
  VENDOR_CFG: 9,
} as const;

/** `struct virtio_pci_common_cfg` offsets (§4.1.4.3). */
export const CommonCfg = {
  DEVICE_FEATURE_SELECT: 0x00,
  DEVICE_FEATURE: 0x04,
  DRIVER_FEATURE_SELECT: 0x08,
  DRIVER_FEATURE: 0x0c,
  CONFIG_MSIX_VECTOR: 0x10,
  NUM_QUEUES: 0x12,
  DEVICE_STATUS: 0x14,
  CONFIG_GENERATION: 0x15,
  QUEUE_SELECT: 0x16,
  QUEUE_SIZE: 0x18,
  QUEUE_MSIX_VECTOR: 0x1a,
  QUEUE_ENABLE: 0x1c,
  QUEUE_NOTIFY_OFF: 0x1e,
  QUEUE_DESC: 0x20,
  QUEUE_DRIVER: 0x28,
  QUEUE_DEVICE: 0x30,
  QUEUE_NOTIF_CONFIG_DATA: 0x38,
  QUEUE_RESET: 0x3a,
  /** Size of the structure the model implements (through queue_reset). */
  SIZE: 0x3c,
} as const;

/** "No MSI-X vector" (§4.1.5.1.2). */
export const VIRTIO_MSI_NO_VECTOR = 0xffff;

/** Legacy I/O BAR0 layout (§4.1.4.10 "Legacy Interfaces: A Note on PCI Device Layout"). */
export const LegacyPciReg = {
  /** R le32: device features bits 0..31. */
  HOST_FEATURES: 0,
  /** RW le32: driver features bits 0..31. */
  GUEST_FEATURES: 4,
  /** RW le32: queue address >> 12 (0 = disable). */
  QUEUE_PFN: 8,
  /** R le16: size of the selected queue (fixed). */
  QUEUE_NUM: 12,
  /** RW le16. */
  QUEUE_SEL: 14,
  /** RW le16: write a queue index. */
  QUEUE_NOTIFY: 16,
  /** RW u8. */
  STATUS: 18,
  /** R u8: read clears. */
  ISR: 19,
  /** RW le16, only while MSI-X is enabled. */
  CONFIG_MSIX_VECTOR: 20,
  /** RW le16, only while MSI-X is enabled. */
  QUEUE_MSIX_VECTOR: 22,
  /** Device config without MSI-X. */
  CONFIG: 20,
  /** Device config with MSI-X enabled. */
  CONFIG_MSIX: 24,
} as const;

/** Legacy queue address shift: the PFN is in 4 KiB units (§4.1.4.10 / Linux VIRTIO_PCI_QUEUE_ADDR_SHIFT). */
export const LEGACY_PCI_QUEUE_ADDR_SHIFT = 12;
/** Legacy page size for the queue address. */
export const LEGACY_PCI_PAGE_SIZE = 4096;

/** PCI class of a virtio-net function as QEMU presents it: network controller / Ethernet. */
export const VIRTIO_NET_PCI_CLASS = { classCode: 0x02, subclass: 0x00 } as const;
