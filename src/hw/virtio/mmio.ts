/**
 * virtio-mmio register layout (virtio 1.2 §4.2.2 "MMIO Device Register Layout", §4.2.4 "Legacy interface").
 * All control registers are 32 bits wide and accessed only with aligned 32-bit accesses (§4.2.2.2).
 */
export const MmioReg = {
  /** R: 0x74726976 ("virt"). */
  MAGIC_VALUE: 0x000,
  /** R: 2 modern, 1 legacy. */
  VERSION: 0x004,
  /** R: virtio device ID (0 = placeholder). */
  DEVICE_ID: 0x008,
  /** R: vendor ID. */
  VENDOR_ID: 0x00c,
  /** R: 32 feature bits selected by DEVICE_FEATURES_SEL. */
  DEVICE_FEATURES: 0x010,
  /** W. */
  DEVICE_FEATURES_SEL: 0x014,
  /** W: 32 accepted feature bits selected by DRIVER_FEATURES_SEL. */
  DRIVER_FEATURES: 0x020,
  /** W. */
  DRIVER_FEATURES_SEL: 0x024,
  /** W, legacy only: guest page size for QUEUE_PFN. */
  GUEST_PAGE_SIZE: 0x028,
  /** W. */
  QUEUE_SEL: 0x030,
  /** R: maximum queue size; 0 = queue absent. */
  QUEUE_NUM_MAX: 0x034,
  /** W: queue size. */
  QUEUE_NUM: 0x038,
  /** W, legacy only: used ring alignment. */
  QUEUE_ALIGN: 0x03c,
  /** RW, legacy only: queue address / GuestPageSize; 0 = stop using the queue. */
  QUEUE_PFN: 0x040,
  /** RW, modern only. */
  QUEUE_READY: 0x044,
  /** W: queue index. */
  QUEUE_NOTIFY: 0x050,
  /** R. */
  INTERRUPT_STATUS: 0x060,
  /** W. */
  INTERRUPT_ACK: 0x064,
  /** RW: device status. */
  STATUS: 0x070,
  /** W, modern: 64-bit addresses as low/high halves. */
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_DRIVER_LOW: 0x090,
  QUEUE_DRIVER_HIGH: 0x094,
  QUEUE_DEVICE_LOW: 0x0a0,
  QUEUE_DEVICE_HIGH: 0x0a4,
  /** W / R: shared memory (not implemented by the model: length reads all ones = absent). */
  SHM_SEL: 0x0ac,
  SHM_LEN_LOW: 0x0b0,
  SHM_LEN_HIGH: 0x0b4,
  SHM_BASE_LOW: 0x0b8,
  SHM_BASE_HIGH: 0x0bc,
  /** RW, RING_RESET only. */
  QUEUE_RESET: 0x0c0,
  /** R, modern only. */
  CONFIG_GENERATION: 0x0fc,
  /** Device-specific configuration starts here. */
  CONFIG: 0x100,
} as const;

/** MagicValue: "virt" little-endian. */
export const MMIO_MAGIC = 0x74726976;
/** Version register values. */
export const MmioVersion = { LEGACY: 1, MODERN: 2 } as const;
/** Vendor ID QEMU reports ("QEMU"). */
export const MMIO_VENDOR_QEMU = 0x554d4551;
/** Size of a virtio-mmio slot as QEMU's virt machine lays them out. */
export const MMIO_SLOT_SIZE = 0x200;
