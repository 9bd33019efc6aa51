/**
 * Device status field bits (virtio 1.2 §2.1 "Device Status Field").
 * Written by the driver, read back by both sides; writing 0 resets the device.
 */
export const DeviceStatus = {
  /** The guest OS has noticed the device. */
  ACKNOWLEDGE: 0x01,
  /** The guest OS knows how to drive the device. */
  DRIVER: 0x02,
  /** The driver is set up and ready to drive the device ("live"). */
  DRIVER_OK: 0x04,
  /** The driver has acknowledged the features it understands; negotiation is complete (not in legacy). */
  FEATURES_OK: 0x08,
  /** Only with VIRTIO_F_SUSPEND (bit 43). */
  SUSPEND: 0x10,
  /** The device hit an error it cannot recover from. */
  DEVICE_NEEDS_RESET: 0x40,
  /** The driver gave up on the device. */
  FAILED: 0x80,
} as const;

/** Interrupt status bits: PCI ISR (virtio 1.2 §4.1.4.5) and MMIO InterruptStatus (§4.2.2). */
export const InterruptStatus = {
  /** A used buffer notification (the device added used entries). */
  QUEUE: 0x1,
  /** The device configuration changed. */
  CONFIG: 0x2,
} as const;

/** Virtio device IDs (virtio 1.2 §5 "Device Types"). */
export const VirtioDeviceId = {
  /** Reserved / placeholder (MMIO: the driver must ignore the slot). */
  INVALID: 0,
  NETWORK: 1,
  BLOCK: 2,
  CONSOLE: 3,
  ENTROPY: 4,
  BALLOON: 5,
  SCSI: 8,
  P9: 9,
  GPU: 16,
  INPUT: 18,
  SOCKET: 19,
} as const;
