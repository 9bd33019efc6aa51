import { DevError, type DevResult } from "../../base/dev-error.js";
import type { MmioRegion } from "../../hal/mmio.js";
import { MMIO_MAGIC, MmioReg, MmioVersion } from "../../hw/virtio/mmio.js";
import { legacyLayout } from "../../hw/virtio/ring.js";
import { VirtioDeviceId } from "../../hw/virtio/status.js";
import {
  readFeatureWords,
  type VirtioTransport,
  type VirtioTransportKind,
  writeFeatureWords,
} from "./transport.js";

/**
 * The virtio-mmio transport (virtio 1.2 §4.2), versions 2 and 1 (legacy, §4.2.4), as virtio-drivers'
 * `MmioTransport`: only aligned 32-bit accesses to the control registers (§4.2.2.2).
 */
export class MmioTransport implements VirtioTransport {
  readonly kind: VirtioTransportKind;
  /** 1 (legacy) or 2. */
  readonly version: number;
  private readonly regs: MmioRegion;
  private readonly devId: number;
  /** Legacy: the page size written to GuestPageSize. */
  private pageSize = 4096;

  private constructor(regs: MmioRegion, version: number, deviceId: number) {
    this.regs = regs;
    this.version = version;
    this.devId = deviceId;
    this.kind = version === MmioVersion.LEGACY ? "mmio-legacy" : "mmio";
  }

  /**
   * Checks the header (virtio 1.2 §4.2.2.2: magic "virt", version 1 or 2, device ID not 0) and makes the
   * transport. A bad magic or version is `Unsupported`; so is device ID 0 (a placeholder slot), with its
   * own message.
   */
  static create(regs: MmioRegion): DevResult<MmioTransport> {
    if (regs.size < MmioReg.CONFIG) {
      return DevError.withDetail("InvalidParam", `virtio-mmio window of ${regs.size} bytes is too small`);
    }
    const magic = regs.read32(MmioReg.MAGIC_VALUE);
    if (magic !== MMIO_MAGIC) {
      return DevError.withDetail("Unsupported", `bad virtio-mmio magic 0x${magic.toString(16)}`);
    }
    const version = regs.read32(MmioReg.VERSION);
    if (version !== MmioVersion.LEGACY && version !== MmioVersion.MODERN) {
      return DevError.withDetail("Unsupported", `virtio-mmio version ${version}`);
    }
    const id = regs.read32(MmioReg.DEVICE_ID);
    if (id === VirtioDeviceId.INVALID) {
      return DevError.withDetail("Unsupported", "virtio-mmio placeholder (device ID 0)");
    }
    return new MmioTransport(regs, version, id);
  }

  deviceId(): number {
    return this.devId;
  }
  isLegacy(): boolean {
    return this.version === MmioVersion.LEGACY;
  }
  /** The VendorID register. */
  vendorId(): number {
    return this.regs.read32(MmioReg.VENDOR_ID);
  }

  readDeviceFeatures(): number {
    return readFeatureWords(this.regs, MmioReg.DEVICE_FEATURES_SEL, MmioReg.DEVICE_FEATURES);
  }

  writeDriverFeatures(features: number): void {
    writeFeatureWords(this.regs, MmioReg.DRIVER_FEATURES_SEL, MmioReg.DRIVER_FEATURES, features);
  }

  getStatus(): number {
    return this.regs.read32(MmioReg.STATUS) & 0xff;
  }
  setStatus(status: number): void {
    this.regs.write32(MmioReg.STATUS, status);
  }

  setGuestPageSize(size: number): void {
    if (this.isLegacy()) {
      this.pageSize = size;
      this.regs.write32(MmioReg.GUEST_PAGE_SIZE, size);
    }
  }

  maxQueueSize(q: number): number {
    this.regs.write32(MmioReg.QUEUE_SEL, q);
    return this.regs.read32(MmioReg.QUEUE_NUM_MAX);
  }
  fixedQueueSize(): boolean {
    return false;
  }

  queueUsed(q: number): boolean {
    const r = this.regs;
    r.write32(MmioReg.QUEUE_SEL, q);
    return this.isLegacy() ? r.read32(MmioReg.QUEUE_PFN) !== 0 : r.read32(MmioReg.QUEUE_READY) !== 0;
  }

  queueSet(q: number, size: number, desc: number, driver: number, device: number): DevResult<void> {
    const r = this.regs;
    r.write32(MmioReg.QUEUE_SEL, q);
    if (this.isLegacy()) {
      // virtio 1.2 §4.2.4: QueueNum, QueueAlign, then QueuePFN of the contiguous layout
      const lay = legacyLayout(size, this.pageSize);
      if (driver !== desc + lay.avail || device !== desc + lay.used || desc % this.pageSize !== 0) {
        return DevError.withDetail(
          "InvalidParam",
          "legacy virtio-mmio queue is not in the contiguous layout",
        );
      }
      if (r.read32(MmioReg.QUEUE_PFN) !== 0) return DevError.withDetail("AlreadyExists", `queue ${q} in use`);
      r.write32(MmioReg.QUEUE_NUM, size);
      r.write32(MmioReg.QUEUE_ALIGN, this.pageSize);
      r.write32(MmioReg.QUEUE_PFN, desc / this.pageSize);
      return undefined;
    }
    // virtio 1.2 §4.2.3.2: size, the three addresses as low/high halves, then QueueReady = 1
    if (r.read32(MmioReg.QUEUE_READY) !== 0) return DevError.withDetail("AlreadyExists", `queue ${q} in use`);
    r.write32(MmioReg.QUEUE_NUM, size);
    r.write32(MmioReg.QUEUE_DESC_LOW, desc >>> 0);
    r.write32(MmioReg.QUEUE_DESC_HIGH, Math.floor(desc / 0x1_0000_0000));
    r.write32(MmioReg.QUEUE_DRIVER_LOW, driver >>> 0);
    r.write32(MmioReg.QUEUE_DRIVER_HIGH, Math.floor(driver / 0x1_0000_0000));
    r.write32(MmioReg.QUEUE_DEVICE_LOW, device >>> 0);
    r.write32(MmioReg.QUEUE_DEVICE_HIGH, Math.floor(device / 0x1_0000_0000));
    r.write32(MmioReg.QUEUE_READY, 1);
    return undefined;
  }

  queueUnset(q: number): void {
    const r = this.regs;
    r.write32(MmioReg.QUEUE_SEL, q);
    if (this.isLegacy()) {
      r.write32(MmioReg.QUEUE_PFN, 0);
      return;
    }
    r.write32(MmioReg.QUEUE_READY, 0);
    // the device model clears QueueReady at once; a real device may take a moment (bounded loop)
    for (let i = 0; i < 1000 && r.read32(MmioReg.QUEUE_READY) !== 0; i++);
    r.write32(MmioReg.QUEUE_NUM, 0);
    r.write32(MmioReg.QUEUE_DESC_LOW, 0);
    r.write32(MmioReg.QUEUE_DESC_HIGH, 0);
    r.write32(MmioReg.QUEUE_DRIVER_LOW, 0);
    r.write32(MmioReg.QUEUE_DRIVER_HIGH, 0);
    r.write32(MmioReg.QUEUE_DEVICE_LOW, 0);
    r.write32(MmioReg.QUEUE_DEVICE_HIGH, 0);
  }

  notify(q: number): void {
    this.regs.write32(MmioReg.QUEUE_NOTIFY, q);
  }

  ackInterrupt(): number {
    const s = this.regs.read32(MmioReg.INTERRUPT_STATUS);
    if (s !== 0) this.regs.write32(MmioReg.INTERRUPT_ACK, s);
    return s;
  }

  configGeneration(): number {
    return this.isLegacy() ? 0 : this.regs.read32(MmioReg.CONFIG_GENERATION);
  }

  readConfig8(offset: number): number {
    return this.regs.read8(MmioReg.CONFIG + offset);
  }
  readConfig16(offset: number): number {
    return this.regs.read16(MmioReg.CONFIG + offset);
  }
  readConfig32(offset: number): number {
    return this.regs.read32(MmioReg.CONFIG + offset);
  }
  configSpaceSize(): number {
    return this.regs.size - MmioReg.CONFIG;
  }
}
