import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import { MMIO_MAGIC, MMIO_VENDOR_QEMU, MmioReg, MmioVersion } from "../../hw/virtio/mmio.js";
import { VirtioDeviceId } from "../../hw/virtio/status.js";
import type { VirtioNetModel } from "./net-model.js";

/** Options of a {@link VirtioMmioTransport}. */
export interface VirtioMmioTransportOptions {
  /** 2 (modern, default) or 1 (legacy). */
  version?: 1 | 2;
  /** VendorID register (default "QEMU"). */
  vendorId?: number;
}

/**
 * The virtio-mmio register block of a device (virtio 1.2 §4.2): version 2 (modern) or version 1
 * (legacy, §4.2.4). It is the {@link MmioHandler} to plug into `machine.addVirtioMmioDevice`.
 * Control registers take only aligned 32-bit accesses (§4.2.2.2); the device config starts at 0x100.
 */
export class VirtioMmioTransport implements MmioHandler {
  /** The device behind the registers. */
  readonly model: VirtioNetModel;
  /** 1 legacy or 2 modern. */
  readonly version: 1 | 2;
  /** VendorID register. */
  readonly vendorId: number;
  private deviceFeaturesSel = 0;
  private driverFeaturesSel = 0;
  private queueSel = 0;
  private guestPageSize = 0;
  private readonly queueAlign = [0, 0];
  private readonly queuePfn = [0, 0];

  constructor(model: VirtioNetModel, options: VirtioMmioTransportOptions = {}) {
    this.model = model;
    this.version = options.version ?? MmioVersion.MODERN;
    this.vendorId = options.vendorId ?? MMIO_VENDOR_QEMU;
    model.setInterface(this.version === MmioVersion.LEGACY ? "legacy" : "modern");
  }

  private get legacy(): boolean {
    return this.version === MmioVersion.LEGACY;
  }

  private bad(rule: string): void {
    this.model.fault(rule, "virtio 1.2 §4.2.2.2");
  }

  mmioRead(offset: number, width: AccessWidth): number {
    if (offset >= MmioReg.CONFIG) return this.model.readConfig(offset - MmioReg.CONFIG, width);
    if (width !== 4 || (offset & 3) !== 0) {
      this.bad(
        `${width}-byte read of control register 0x${offset.toString(16)} (32-bit aligned accesses only)`,
      );
      return 0;
    }
    const m = this.model;
    const q = this.queueSel;
    switch (offset) {
      case MmioReg.MAGIC_VALUE:
        return MMIO_MAGIC;
      case MmioReg.VERSION:
        return this.version;
      case MmioReg.DEVICE_ID:
        return VirtioDeviceId.NETWORK;
      case MmioReg.VENDOR_ID:
        return this.vendorId;
      case MmioReg.DEVICE_FEATURES:
        return m.deviceFeatureWord(this.deviceFeaturesSel);
      case MmioReg.QUEUE_NUM_MAX:
        return q < m.queues.length ? m.queues[q]!.maxSize : 0;
      case MmioReg.INTERRUPT_STATUS:
        return m.isr;
      case MmioReg.STATUS:
        return m.status;
      case MmioReg.QUEUE_PFN:
        if (!this.legacy) break;
        return q < 2 ? this.queuePfn[q]! : 0;
      case MmioReg.QUEUE_READY:
        if (this.legacy) break;
        return q < 2 && m.queues[q]!.ready ? 1 : 0;
      case MmioReg.CONFIG_GENERATION:
        if (this.legacy) break;
        return m.configGeneration;
      case MmioReg.SHM_LEN_LOW:
      case MmioReg.SHM_LEN_HIGH:
      case MmioReg.SHM_BASE_LOW:
      case MmioReg.SHM_BASE_HIGH:
        if (this.legacy) break;
        return 0xffff_ffff; // no shared memory regions (§4.2.2: length all ones = absent)
      case MmioReg.QUEUE_RESET:
        if (this.legacy) break;
        return 0;
      case MmioReg.DEVICE_FEATURES_SEL:
      case MmioReg.DRIVER_FEATURES:
      case MmioReg.DRIVER_FEATURES_SEL:
      case MmioReg.GUEST_PAGE_SIZE:
      case MmioReg.QUEUE_SEL:
      case MmioReg.QUEUE_NUM:
      case MmioReg.QUEUE_ALIGN:
      case MmioReg.QUEUE_NOTIFY:
      case MmioReg.INTERRUPT_ACK:
      case MmioReg.QUEUE_DESC_LOW:
      case MmioReg.QUEUE_DESC_HIGH:
      case MmioReg.QUEUE_DRIVER_LOW:
      case MmioReg.QUEUE_DRIVER_HIGH:
      case MmioReg.QUEUE_DEVICE_LOW:
      case MmioReg.QUEUE_DEVICE_HIGH:
      case MmioReg.SHM_SEL:
        this.bad(`read of write-only register 0x${offset.toString(16)}`);
        return 0;
    }
    this.bad(`read of 0x${offset.toString(16)}, not a version ${this.version} register`);
    return 0;
  }

  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    if (offset >= MmioReg.CONFIG) {
      this.model.writeConfig(offset - MmioReg.CONFIG, width, value);
      return;
    }
    if (width !== 4 || (offset & 3) !== 0) {
      this.bad(
        `${width}-byte write of control register 0x${offset.toString(16)} (32-bit aligned accesses only)`,
      );
      return;
    }
    value >>>= 0;
    const m = this.model;
    const q = this.queueSel;
    switch (offset) {
      case MmioReg.QUEUE_NOTIFY:
        // 16-bit queue index; bits 31:16 carry notification data only with NOTIFICATION_DATA (not offered)
        m.notifyQueue(value);
        return;
      case MmioReg.DEVICE_FEATURES_SEL:
        this.deviceFeaturesSel = value;
        return;
      case MmioReg.DRIVER_FEATURES_SEL:
        this.driverFeaturesSel = value;
        return;
      case MmioReg.DRIVER_FEATURES:
        m.writeDriverFeatureWord(this.driverFeaturesSel, value);
        return;
      case MmioReg.QUEUE_SEL:
        this.queueSel = value;
        return;
      case MmioReg.INTERRUPT_ACK:
        m.ackInterrupt(value);
        return;
      case MmioReg.STATUS:
        m.writeStatus(value);
        if (value === 0) this.resetTransport();
        return;
      case MmioReg.QUEUE_NUM:
        if (!this.queueWritable(q, "QueueNum")) return;
        m.queues[q]!.size = value;
        return;
      case MmioReg.GUEST_PAGE_SIZE:
        if (!this.legacy) break;
        if (value === 0 || (value & (value - 1)) !== 0) {
          m.fault(`GuestPageSize ${value} is not a power of two`, "virtio 1.2 §4.2.4");
          return;
        }
        this.guestPageSize = value;
        return;
      case MmioReg.QUEUE_ALIGN:
        if (!this.legacy) break;
        if (!this.queueWritable(q, "QueueAlign")) return;
        if (value === 0 || (value & (value - 1)) !== 0) {
          m.fault(`QueueAlign ${value} is not a power of two`, "virtio 1.2 §4.2.4");
          return;
        }
        this.queueAlign[q] = value;
        return;
      case MmioReg.QUEUE_PFN:
        if (!this.legacy) break;
        this.writePfn(q, value);
        return;
      case MmioReg.QUEUE_READY:
        if (this.legacy) break;
        this.writeReady(q, value);
        return;
      case MmioReg.QUEUE_DESC_LOW:
      case MmioReg.QUEUE_DESC_HIGH:
      case MmioReg.QUEUE_DRIVER_LOW:
      case MmioReg.QUEUE_DRIVER_HIGH:
      case MmioReg.QUEUE_DEVICE_LOW:
      case MmioReg.QUEUE_DEVICE_HIGH: {
        if (this.legacy) break;
        if (!this.queueWritable(q, "queue address")) return;
        // low/high pairs 16 bytes apart per area, 4 bytes apart within (virtio 1.2 4.2.2)
        const area = (offset - MmioReg.QUEUE_DESC_LOW) >>> 4;
        m.queues[q]!.setAddressWord(2 * area + ((offset >>> 2) & 1), value >>> 0);
        return;
      }
      case MmioReg.SHM_SEL:
        if (this.legacy) break;
        return;
      case MmioReg.QUEUE_RESET:
        if (this.legacy) break;
        m.fault("QueueReset written without VIRTIO_F_RING_RESET", "virtio 1.2 §4.2.2.2");
        return;
      case MmioReg.MAGIC_VALUE:
      case MmioReg.VERSION:
      case MmioReg.DEVICE_ID:
      case MmioReg.VENDOR_ID:
      case MmioReg.DEVICE_FEATURES:
      case MmioReg.QUEUE_NUM_MAX:
      case MmioReg.INTERRUPT_STATUS:
      case MmioReg.CONFIG_GENERATION:
      case MmioReg.SHM_LEN_LOW:
      case MmioReg.SHM_LEN_HIGH:
      case MmioReg.SHM_BASE_LOW:
      case MmioReg.SHM_BASE_HIGH:
        this.bad(`write of read-only register 0x${offset.toString(16)}`);
        return;
    }
    this.bad(`write of 0x${offset.toString(16)}, not a version ${this.version} register`);
  }

  /** Queue registers may be written only for an existing queue that is not in use. */
  private queueWritable(q: number, what: string): boolean {
    const vq = this.model.queues[q];
    if (vq === undefined) {
      this.model.fault(`${what} written for queue ${q}, which does not exist`, "virtio 1.2 §4.2.3.2");
      return false;
    }
    if (vq.ready) {
      this.model.fault(`${what} written while queue ${q} is in use`, "virtio 1.2 §4.2.3.2");
      return false;
    }
    return true;
  }

  private writeReady(q: number, value: number): void {
    const m = this.model;
    const vq = m.queues[q];
    if (vq === undefined) {
      m.fault(`QueueReady written for queue ${q}, which does not exist`, "virtio 1.2 §4.2.3.2");
      return;
    }
    if (value === 0) {
      m.disableQueue(q);
      return;
    }
    if (vq.ready) return;
    m.enableQueue(q);
  }

  /** Legacy QueuePFN (virtio 1.2 §4.2.4): the contiguous layout at PFN * GuestPageSize. */
  private writePfn(q: number, pfn: number): void {
    const m = this.model;
    const vq = m.queues[q];
    if (vq === undefined) {
      m.fault(`QueuePFN written for queue ${q}, which does not exist`, "virtio 1.2 §4.2.4");
      return;
    }
    if (pfn === 0) {
      this.queuePfn[q] = 0;
      m.disableQueue(q);
      return;
    }
    if (vq.ready) {
      m.fault(`QueuePFN written while queue ${q} is in use`, "virtio 1.2 §4.2.4");
      return;
    }
    if (this.guestPageSize === 0) {
      m.fault("QueuePFN written before GuestPageSize", "virtio 1.2 §4.2.4");
      return;
    }
    const align = this.queueAlign[q]! || 4096;
    const n = vq.size;
    const base = pfn * this.guestPageSize;
    const availEnd = base + 16 * n + 6 + 2 * n;
    vq.descAddr = base;
    vq.driverAddr = base + 16 * n;
    vq.deviceAddr = Math.ceil(availEnd / align) * align;
    this.queuePfn[q] = pfn;
    if (!m.enableQueue(q)) this.queuePfn[q] = 0;
  }

  private resetTransport(): void {
    // legacy reset also zeroes QueuePFN of all queues (virtio 1.2 §4.2.4)
    this.queuePfn[0] = 0;
    this.queuePfn[1] = 0;
    // the queue addresses were cleared with the queues (DeviceQueue.reset)
  }
}
