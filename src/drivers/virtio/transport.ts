import type { DevResult } from "../../base/dev-error.js";
import type { MmioRegion } from "../../hal/mmio.js";
import { featuresFromWords, featuresHigh, featuresLow } from "../../hw/virtio/features.js";

/** Which register interface a transport speaks. */
export type VirtioTransportKind = "mmio" | "mmio-legacy" | "pci" | "pci-legacy";

/**
 * A virtio transport as a driver sees it, as virtio-drivers' `Transport` trait: device identity, feature
 * negotiation, status, queue set-up, notifications, interrupts and the device config space.
 * Implemented over MMIO v1/v2 ({@link MmioTransport}), modern PCI ({@link PciTransport}) and the legacy
 * PCI I/O BAR ({@link LegacyPciTransport}).
 */
export interface VirtioTransport {
  /** The register interface. */
  readonly kind: VirtioTransportKind;
  /** The virtio device ID (1 = network). */
  deviceId(): number;
  /** Whether this is a legacy interface (no VERSION_1, no FEATURES_OK, contiguous queue layout). */
  isLegacy(): boolean;
  /** The device's feature bits (legacy: bits 0..31 only). */
  readDeviceFeatures(): number;
  /** Writes the driver's accepted feature bits. */
  writeDriverFeatures(features: number): void;
  /** The device status byte. */
  getStatus(): number;
  /** Writes the device status byte (0 resets). */
  setStatus(status: number): void;
  /** Legacy MMIO: tells the device the guest page size (used for queue PFNs); no-op elsewhere. */
  setGuestPageSize(size: number): void;
  /** Largest size of queue `q` (0 = absent). */
  maxQueueSize(q: number): number;
  /** Whether the queue size is fixed by the device (legacy PCI: the driver must use `maxQueueSize`). */
  fixedQueueSize(): boolean;
  /** Whether queue `q` is already in use. */
  queueUsed(q: number): boolean;
  /**
   * Programs queue `q` and enables it. `desc`, `driver`, `device` are the physical addresses of the
   * descriptor table, available ring and used ring (legacy: contiguous layout from `desc`).
   */
  queueSet(q: number, size: number, desc: number, driver: number, device: number): DevResult<void>;
  /** Stops using queue `q` (MMIO only; PCI queues stay until reset). */
  queueUnset(q: number): void;
  /** Notifies the device of new available buffers in queue `q`. Hot path. */
  notify(q: number): void;
  /** Reads and acknowledges the interrupt status; returns the bits (bit 0 queue, bit 1 config). */
  ackInterrupt(): number;
  /** config_generation (0 where the transport has none). */
  configGeneration(): number;
  /** Reads the device-specific config at `offset`, 8/16/32 bits, little-endian. */
  readConfig8(offset: number): number;
  readConfig16(offset: number): number;
  readConfig32(offset: number): number;
  /** Size of the device config the transport exposes (MMIO: unknown, reports the register window rest). */
  configSpaceSize(): number;
}

/**
 * Reads a 64-bit feature set through a select/window register pair, as the modern interfaces expose it
 * (virtio 1.2 4.1.4.3 device_feature_select/device_feature, 4.2.2 DeviceFeaturesSel/DeviceFeatures).
 */
export function readFeatureWords(regs: MmioRegion, selectOffset: number, windowOffset: number): number {
  regs.write32(selectOffset, 0);
  const lo = regs.read32(windowOffset);
  regs.write32(selectOffset, 1);
  const hi = regs.read32(windowOffset);
  return featuresFromWords(lo, hi);
}

/** Writes a 64-bit feature set through a select/window register pair (low word, then high word). */
export function writeFeatureWords(
  regs: MmioRegion,
  selectOffset: number,
  windowOffset: number,
  features: number,
): void {
  regs.write32(selectOffset, 0);
  regs.write32(windowOffset, featuresLow(features));
  regs.write32(selectOffset, 1);
  regs.write32(windowOffset, featuresHigh(features));
}
