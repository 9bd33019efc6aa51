import { DevError, type DevResult } from "../../base/dev-error.js";
import type { Hal } from "../../hal/hal.js";
import type { MmioRegion } from "../../hal/mmio.js";
import { featuresLow } from "../../hw/virtio/features.js";
import {
  LEGACY_PCI_PAGE_SIZE,
  LEGACY_PCI_QUEUE_ADDR_SHIFT,
  LegacyPciReg,
  PCI_CAP_ID_MSIX,
} from "../../hw/virtio/pci.js";
import { legacyLayout } from "../../hw/virtio/ring.js";
import type { DeviceFunction, DeviceFunctionInfo, PciFunctionAccess } from "../../pci/types.js";
import { PCI_COMMAND_BUS_MASTER, PCI_COMMAND_IO, virtioPciDeviceId } from "./pci-transport.js";
import type { VirtioTransport, VirtioTransportKind } from "./transport.js";

/**
 * The legacy virtio-pci transport of a transitional device (virtio 1.2 §4.1.4.10): registers in I/O BAR0,
 * features bits 0..31 only, the fixed-size contiguous queue layout addressed by a 4 KiB page number, and
 * the device config at 20 (24 while MSI-X is enabled).
 */
export class LegacyPciTransport implements VirtioTransport {
  readonly kind: VirtioTransportKind = "pci-legacy";
  /** The function. */
  readonly bdf: DeviceFunction;
  private readonly io: MmioRegion;
  private readonly devId: number;
  private readonly configOff: number;

  private constructor(bdf: DeviceFunction, io: MmioRegion, devId: number, configOff: number) {
    this.bdf = bdf;
    this.io = io;
    this.devId = devId;
    this.configOff = configOff;
  }

  /** Maps BAR0 (an assigned I/O BAR) and turns on I/O decoding and bus mastering. */
  static create(
    hal: Hal,
    pci: PciFunctionAccess,
    bdf: DeviceFunction,
    info: DeviceFunctionInfo,
  ): DevResult<LegacyPciTransport> {
    const devId = virtioPciDeviceId(info);
    if (devId === undefined) return DevError.withDetail("InvalidParam", `${bdf} is not a virtio function`);
    const bar = pci.barInfo(bdf, 0);
    if (bar instanceof DevError) return bar;
    if (bar === undefined || bar.kind !== "io") {
      return DevError.withDetail("Unsupported", `${bdf}: BAR0 is not an I/O BAR (no legacy interface)`);
    }
    if (bar.port === 0) return DevError.withDetail("BadState", `${bdf}: BAR0 is not assigned`);
    if (bar.size < LegacyPciReg.CONFIG) {
      return DevError.withDetail("BadState", `${bdf}: BAR0 of ${bar.size} bytes is too small`);
    }
    const cmd = pci.getCommand(bdf);
    if ((cmd & (PCI_COMMAND_IO | PCI_COMMAND_BUS_MASTER)) !== (PCI_COMMAND_IO | PCI_COMMAND_BUS_MASTER)) {
      pci.setCommand(bdf, cmd | PCI_COMMAND_IO | PCI_COMMAND_BUS_MASTER);
    }
    // the device config moves to 24 while MSI-X is enabled (Message Control bit 15)
    let configOff: number = LegacyPciReg.CONFIG;
    for (const cap of pci.capabilities(bdf)) {
      if (cap.id === PCI_CAP_ID_MSIX && (pci.configRead16(bdf, cap.offset + 2) & 0x8000) !== 0) {
        configOff = LegacyPciReg.CONFIG_MSIX;
      }
    }
    const io = hal.mapIo(bar.port, bar.size);
    if (io instanceof DevError) return io;
    return new LegacyPciTransport(bdf, io, devId, configOff);
  }

  deviceId(): number {
    return this.devId;
  }
  isLegacy(): boolean {
    return true;
  }
  readDeviceFeatures(): number {
    return this.io.read32(LegacyPciReg.HOST_FEATURES);
  }
  writeDriverFeatures(features: number): void {
    this.io.write32(LegacyPciReg.GUEST_FEATURES, featuresLow(features));
  }
  getStatus(): number {
    return this.io.read8(LegacyPciReg.STATUS);
  }
  setStatus(status: number): void {
    this.io.write8(LegacyPciReg.STATUS, status);
  }
  setGuestPageSize(_size: number): void {}

  maxQueueSize(q: number): number {
    this.io.write16(LegacyPciReg.QUEUE_SEL, q);
    return this.io.read16(LegacyPciReg.QUEUE_NUM);
  }
  fixedQueueSize(): boolean {
    return true;
  }
  queueUsed(q: number): boolean {
    this.io.write16(LegacyPciReg.QUEUE_SEL, q);
    return this.io.read32(LegacyPciReg.QUEUE_PFN) !== 0;
  }

  queueSet(q: number, size: number, desc: number, driver: number, device: number): DevResult<void> {
    const lay = legacyLayout(size, LEGACY_PCI_PAGE_SIZE);
    if (desc % LEGACY_PCI_PAGE_SIZE !== 0 || driver !== desc + lay.avail || device !== desc + lay.used) {
      return DevError.withDetail(
        "InvalidParam",
        "legacy virtio-pci queue is not in the contiguous 4 KiB layout",
      );
    }
    this.io.write16(LegacyPciReg.QUEUE_SEL, q);
    if (this.io.read16(LegacyPciReg.QUEUE_NUM) !== size) {
      return DevError.withDetail("InvalidParam", `legacy queue ${q} has a fixed size other than ${size}`);
    }
    this.io.write32(LegacyPciReg.QUEUE_PFN, desc / 2 ** LEGACY_PCI_QUEUE_ADDR_SHIFT);
    return undefined;
  }

  queueUnset(q: number): void {
    this.io.write16(LegacyPciReg.QUEUE_SEL, q);
    this.io.write32(LegacyPciReg.QUEUE_PFN, 0);
  }

  notify(q: number): void {
    this.io.write16(LegacyPciReg.QUEUE_NOTIFY, q);
  }
  ackInterrupt(): number {
    return this.io.read8(LegacyPciReg.ISR);
  }
  configGeneration(): number {
    return 0;
  }
  readConfig8(offset: number): number {
    return this.io.read8(this.configOff + offset);
  }
  readConfig16(offset: number): number {
    return this.io.read16(this.configOff + offset);
  }
  readConfig32(offset: number): number {
    return this.io.read32(this.configOff + offset);
  }
  configSpaceSize(): number {
    return this.io.size - this.configOff;
  }
}
