import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import { PCI_COMMAND_MASTER } from "../../hw/pci/config.js";
import {
  LEGACY_PCI_PAGE_SIZE,
  LEGACY_PCI_QUEUE_ADDR_SHIFT,
  LegacyPciReg,
  VIRTIO_NET_PCI_CLASS,
  VIRTIO_PCI_TRANSITIONAL,
  VIRTIO_PCI_VENDOR,
} from "../../hw/virtio/pci.js";
import { legacyLayout } from "../../hw/virtio/ring.js";
import { VirtioDeviceId } from "../../hw/virtio/status.js";
import { PciFunctionModel } from "../pci/pci-function.js";
import type { VirtioNetModel } from "./net-model.js";

/** Size of the legacy I/O BAR0: 20 bytes of registers + the 12-byte net config, rounded to a power of 2. */
export const LEGACY_IO_BAR_SIZE = 64;

/**
 * The legacy interface of a transitional virtio-net PCI function (virtio 1.2 §4.1.4.8): device 0x1000,
 * revision 0, subsystem ID 1 (the virtio device ID), registers in I/O BAR0 — features bits 0..31, a
 * queue page number, fixed queue sizes, status, ISR, the device config at 20. It presents only the
 * legacy interface (no virtio capabilities). Add {@link VirtioLegacyPciDevice.fn} to the machine.
 */
export class VirtioLegacyPciDevice implements MmioHandler {
  /** The device behind the transport. */
  readonly model: VirtioNetModel;
  /** The PCI function. */
  readonly fn: PciFunctionModel;
  private queueSelect = 0;
  private readonly pfn = [0, 0];

  constructor(model: VirtioNetModel) {
    this.model = model;
    model.setInterface("legacy");
    this.fn = new PciFunctionModel({
      vendorId: VIRTIO_PCI_VENDOR,
      deviceId: VIRTIO_PCI_TRANSITIONAL.NET,
      classCode: VIRTIO_NET_PCI_CLASS.classCode,
      subclass: VIRTIO_NET_PCI_CLASS.subclass,
      revision: 0, // transitional devices have revision 0 (§4.1.2.3)
      subsystemVendorId: VIRTIO_PCI_VENDOR,
      subsystemId: VirtioDeviceId.NETWORK, // transitional: subsystem ID = virtio device ID (§4.1.2.3)
      interruptPin: 1,
      bars: [
        { index: 0, kind: "io", size: LEGACY_IO_BAR_SIZE, handler: this, name: `${model.name} legacy I/O` },
      ],
    });
    this.fn.onCommandWrite = (cmd) => model.setDmaEnabled((cmd & PCI_COMMAND_MASTER) !== 0);
    model.setDmaEnabled(false);
    model.onInterrupt = () => {
      if (!this.fn.intxDisabled) this.fn.setInterruptStatus(true);
    };
    this.resetTransport();
  }

  private resetTransport(): void {
    this.queueSelect = 0;
    this.pfn[0] = 0;
    this.pfn[1] = 0;
    for (const q of this.model.queues) q.size = q.maxSize; // fixed by the device
  }

  private widthOk(offset: number, width: number, write: boolean): boolean {
    let natural: number;
    if (offset >= LegacyPciReg.CONFIG) return true; // config: any width (§4.1.4.8)
    if (offset < LegacyPciReg.QUEUE_NUM) natural = 4;
    else if (offset < LegacyPciReg.STATUS) natural = 2;
    else natural = 1;
    if (width !== natural || offset % natural !== 0) {
      this.model.fault(
        `legacy register ${write ? "write" : "read"} of ${width} bytes at ${offset} (field width ${natural})`,
        "virtio 1.2 §4.1.4.8",
      );
      return false;
    }
    return true;
  }

  mmioRead(offset: number, width: AccessWidth): number {
    if (!this.widthOk(offset, width, false)) return 0;
    const m = this.model;
    const q = this.queueSelect;
    switch (offset) {
      case LegacyPciReg.HOST_FEATURES:
        return m.deviceFeatureWord(0);
      case LegacyPciReg.GUEST_FEATURES:
        return (m.driverFeatures % 0x1_0000_0000) >>> 0;
      case LegacyPciReg.QUEUE_PFN:
        return this.pfn[q] ?? 0;
      case LegacyPciReg.QUEUE_NUM:
        return m.queues[q]?.maxSize ?? 0;
      case LegacyPciReg.QUEUE_SEL:
        return q;
      case LegacyPciReg.QUEUE_NOTIFY:
        return 0;
      case LegacyPciReg.STATUS:
        return m.status;
      case LegacyPciReg.ISR: {
        const v = m.readIsrAndClear();
        this.fn.setInterruptStatus(false);
        return v;
      }
    }
    const c = offset - LegacyPciReg.CONFIG;
    if (c >= 0 && c + width <= m.configSize) return m.readConfig(c, width);
    if (c >= 0) return 0; // beyond the config: the rest of the BAR reads 0
    m.fault(`read of legacy register offset ${offset}`, "virtio 1.2 §4.1.4.8");
    return 0;
  }

  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    if (!this.widthOk(offset, width, true)) return;
    const m = this.model;
    const q = this.queueSelect;
    switch (offset) {
      case LegacyPciReg.QUEUE_NOTIFY:
        m.notifyQueue(value);
        return;
      case LegacyPciReg.GUEST_FEATURES:
        m.writeDriverFeatureWord(0, value);
        return;
      case LegacyPciReg.QUEUE_PFN:
        this.writePfn(q, value >>> 0);
        return;
      case LegacyPciReg.QUEUE_SEL:
        this.queueSelect = value;
        return;
      case LegacyPciReg.STATUS:
        m.writeStatus(value);
        if (value === 0) this.resetTransport();
        return;
      case LegacyPciReg.HOST_FEATURES:
      case LegacyPciReg.QUEUE_NUM:
      case LegacyPciReg.ISR:
        m.fault(`write of read-only legacy register at ${offset}`, "virtio 1.2 §4.1.4.8");
        return;
    }
    const c = offset - LegacyPciReg.CONFIG;
    if (c >= 0 && c + width <= m.configSize) {
      m.writeConfig(c, width, value);
      return;
    }
    m.fault(`write of legacy register offset ${offset}`, "virtio 1.2 §4.1.4.8");
  }

  /** Queue address as a 4 KiB page number; the contiguous layout with 4096 alignment (§2.7.2). */
  private writePfn(q: number, pfn: number): void {
    const m = this.model;
    const vq = m.queues[q];
    if (vq === undefined) {
      m.fault(`queue address written for queue ${q}, which does not exist`, "virtio 1.2 §4.1.4.8");
      return;
    }
    if (pfn === 0) {
      this.pfn[q] = 0;
      m.disableQueue(q);
      return;
    }
    if (vq.ready) {
      m.fault(`queue address written while queue ${q} is in use`, "virtio 1.2 §4.1.4.8");
      return;
    }
    const base = pfn * 2 ** LEGACY_PCI_QUEUE_ADDR_SHIFT;
    const lay = legacyLayout(vq.maxSize, LEGACY_PCI_PAGE_SIZE);
    vq.size = vq.maxSize;
    vq.descAddr = base;
    vq.driverAddr = base + lay.avail;
    vq.deviceAddr = base + lay.used;
    this.pfn[q] = pfn;
    if (!m.enableQueue(q)) this.pfn[q] = 0;
  }
}
