import { DevError, type DevResult } from "../../base/dev-error.js";
import type { Hal } from "../../hal/hal.js";
import type { MmioRegion } from "../../hal/mmio.js";
import {
  CommonCfg,
  PCI_CAP_ID_VNDR,
  TRANSITIONAL_TO_VIRTIO_ID,
  VIRTIO_PCI_MODERN_BASE,
  VIRTIO_PCI_MODERN_LAST,
  VIRTIO_PCI_VENDOR,
  VirtioPciCap,
  VirtioPciCapType,
} from "../../hw/virtio/pci.js";
import type { DeviceFunction, DeviceFunctionInfo, PciFunctionAccess } from "../../pci/types.js";
import {
  readFeatureWords,
  type VirtioTransport,
  type VirtioTransportKind,
  writeFeatureWords,
} from "./transport.js";

/** PCI command register bits the transports turn on (PCI 3.0 §6.2.2). */
export const PCI_COMMAND_IO = 0x1;
export const PCI_COMMAND_MEMORY = 0x2;
export const PCI_COMMAND_BUS_MASTER = 0x4;

/**
 * The virtio device ID of a PCI function, as virtio-drivers' `virtio_device_type`: vendor 0x1af4,
 * transitional IDs 0x1000..0x103f by table, modern IDs 0x1041..0x107f as 0x1040 + ID (virtio 1.2 §4.1.2).
 */
export function virtioPciDeviceId(info: DeviceFunctionInfo): number | undefined {
  if (info.vendorId !== VIRTIO_PCI_VENDOR) return undefined;
  const d = info.deviceId;
  if (d >= 0x1000 && d <= 0x103f) return TRANSITIONAL_TO_VIRTIO_ID[d];
  if (d > VIRTIO_PCI_MODERN_BASE && d <= VIRTIO_PCI_MODERN_LAST) return d - VIRTIO_PCI_MODERN_BASE;
  return undefined;
}

/** A virtio structure found through a vendor capability (virtio 1.2 §4.1.4). */
export interface VirtioPciStructure {
  /** Offset of the capability in configuration space. */
  capOffset: number;
  cfgType: number;
  bar: number;
  offset: number;
  length: number;
  /** NOTIFY_CFG only. */
  notifyOffMultiplier: number;
}

/**
 * The virtio vendor capabilities of a function (virtio 1.2 §4.1.4), with virtio-drivers' filters: caps
 * shorter than 16 bytes and BAR numbers above 5 are skipped; a NOTIFY cap needs 20 bytes.
 */
export function virtioPciStructures(pci: PciFunctionAccess, bdf: DeviceFunction): VirtioPciStructure[] {
  const out: VirtioPciStructure[] = [];
  for (const cap of pci.capabilities(bdf)) {
    if (cap.id !== PCI_CAP_ID_VNDR) continue;
    const o = cap.offset;
    const capLen = pci.configRead8(bdf, o + VirtioPciCap.CAP_LEN);
    if (capLen < VirtioPciCap.SIZE) continue;
    const cfgType = pci.configRead8(bdf, o + VirtioPciCap.CFG_TYPE);
    const bar = pci.configRead8(bdf, o + VirtioPciCap.BAR);
    if (bar > 5) continue;
    if (cfgType === VirtioPciCapType.NOTIFY_CFG && capLen < VirtioPciCap.NOTIFY_SIZE) continue;
    out.push({
      capOffset: o,
      cfgType,
      bar,
      offset: pci.configRead32(bdf, o + VirtioPciCap.OFFSET),
      length: pci.configRead32(bdf, o + VirtioPciCap.LENGTH),
      notifyOffMultiplier:
        cfgType === VirtioPciCapType.NOTIFY_CFG
          ? pci.configRead32(bdf, o + VirtioPciCap.NOTIFY_OFF_MULTIPLIER)
          : 0,
    });
  }
  return out;
}

/**
 * The modern virtio-pci transport (virtio 1.2 §4.1.4), as virtio-drivers' `PciTransport`: the common
 * configuration, notification, ISR and device configuration structures in memory BARs, found through
 * the vendor capabilities. 64-bit queue addresses are written as two 32-bit halves.
 */
export class PciTransport implements VirtioTransport {
  readonly kind: VirtioTransportKind = "pci";
  /** The function. */
  readonly bdf: DeviceFunction;
  private readonly devId: number;
  private readonly common: MmioRegion;
  private readonly notifyRegion: MmioRegion;
  private readonly isr: MmioRegion;
  private readonly device: MmioRegion | undefined;
  private readonly multiplier: number;
  /** Byte offset of each queue's notify register in the notification region. */
  private readonly notifyOff = [0, 0, 0, 0, 0, 0, 0, 0];

  private constructor(
    bdf: DeviceFunction,
    devId: number,
    common: MmioRegion,
    notify: MmioRegion,
    multiplier: number,
    isr: MmioRegion,
    device: MmioRegion | undefined,
  ) {
    this.bdf = bdf;
    this.devId = devId;
    this.common = common;
    this.notifyRegion = notify;
    this.multiplier = multiplier;
    this.isr = isr;
    this.device = device;
  }

  /**
   * Finds the structures and maps them. Missing common/notify/ISR structures, an odd notify multiplier,
   * an I/O or unassigned BAR, or a structure beyond its BAR are `BadState` (virtio-drivers' checks).
   * Turns on memory decoding and bus mastering.
   */
  static create(
    hal: Hal,
    pci: PciFunctionAccess,
    bdf: DeviceFunction,
    info: DeviceFunctionInfo,
  ): DevResult<PciTransport> {
    const devId = virtioPciDeviceId(info);
    if (devId === undefined) return DevError.withDetail("InvalidParam", `${bdf} is not a virtio function`);
    const structs = virtioPciStructures(pci, bdf);
    const first = (t: number): VirtioPciStructure | undefined => structs.find((s) => s.cfgType === t);
    const common = first(VirtioPciCapType.COMMON_CFG);
    const notify = first(VirtioPciCapType.NOTIFY_CFG);
    const isr = first(VirtioPciCapType.ISR_CFG);
    const device = first(VirtioPciCapType.DEVICE_CFG);
    if (common === undefined)
      return DevError.withDetail("BadState", `${bdf}: no virtio common configuration`);
    if (notify === undefined)
      return DevError.withDetail("BadState", `${bdf}: no virtio notification structure`);
    if (isr === undefined) return DevError.withDetail("BadState", `${bdf}: no virtio ISR structure`);
    if (notify.notifyOffMultiplier % 2 !== 0) {
      return DevError.withDetail(
        "BadState",
        `${bdf}: odd notify_off_multiplier ${notify.notifyOffMultiplier}`,
      );
    }
    if (common.length < CommonCfg.QUEUE_DEVICE + 8) {
      return DevError.withDetail(
        "BadState",
        `${bdf}: common configuration of ${common.length} bytes is too short`,
      );
    }
    if (isr.length < 1) return DevError.withDetail("BadState", `${bdf}: empty ISR structure`);
    const cmd = pci.getCommand(bdf);
    if (
      (cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER)) !==
      (PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER)
    ) {
      pci.setCommand(bdf, cmd | PCI_COMMAND_MEMORY | PCI_COMMAND_BUS_MASTER);
    }
    const map = (s: VirtioPciStructure): DevResult<MmioRegion> => {
      const bar = pci.barInfo(bdf, s.bar);
      if (bar instanceof DevError) return bar;
      if (bar === undefined) return DevError.withDetail("BadState", `${bdf}: BAR${s.bar} is absent`);
      if (bar.kind !== "memory")
        return DevError.withDetail("BadState", `${bdf}: BAR${s.bar} is not a memory BAR`);
      if (bar.address === 0) return DevError.withDetail("BadState", `${bdf}: BAR${s.bar} is not assigned`);
      if (s.offset + s.length > bar.size) {
        return DevError.withDetail(
          "BadState",
          `${bdf}: structure at BAR${s.bar}+0x${s.offset.toString(16)} beyond the BAR`,
        );
      }
      return hal.mapMmio(bar.address + s.offset, s.length);
    };
    const c = map(common);
    if (c instanceof DevError) return c;
    const n = map(notify);
    if (n instanceof DevError) return n;
    const i = map(isr);
    if (i instanceof DevError) return i;
    let d: MmioRegion | undefined;
    if (device !== undefined && device.length > 0) {
      const m = map(device);
      if (m instanceof DevError) return m;
      d = m;
    }
    return new PciTransport(bdf, devId, c, n, notify.notifyOffMultiplier, i, d);
  }

  deviceId(): number {
    return this.devId;
  }
  isLegacy(): boolean {
    return false;
  }

  readDeviceFeatures(): number {
    return readFeatureWords(this.common, CommonCfg.DEVICE_FEATURE_SELECT, CommonCfg.DEVICE_FEATURE);
  }

  writeDriverFeatures(features: number): void {
    writeFeatureWords(this.common, CommonCfg.DRIVER_FEATURE_SELECT, CommonCfg.DRIVER_FEATURE, features);
  }

  getStatus(): number {
    return this.common.read8(CommonCfg.DEVICE_STATUS);
  }
  setStatus(status: number): void {
    this.common.write8(CommonCfg.DEVICE_STATUS, status);
  }
  setGuestPageSize(_size: number): void {}

  /** num_queues (virtio 1.2 §4.1.4.3). */
  numQueues(): number {
    return this.common.read16(CommonCfg.NUM_QUEUES);
  }

  maxQueueSize(q: number): number {
    if (q >= this.numQueues()) return 0;
    this.common.write16(CommonCfg.QUEUE_SELECT, q);
    return this.common.read16(CommonCfg.QUEUE_SIZE);
  }
  fixedQueueSize(): boolean {
    return false;
  }

  queueUsed(q: number): boolean {
    this.common.write16(CommonCfg.QUEUE_SELECT, q);
    return this.common.read16(CommonCfg.QUEUE_ENABLE) === 1;
  }

  queueSet(q: number, size: number, desc: number, driver: number, device: number): DevResult<void> {
    if (q >= this.notifyOff.length) return DevError.withDetail("InvalidParam", `queue ${q}`);
    const c = this.common;
    // virtio 1.2 §4.1.5.1.3: select, size, the three addresses, then queue_enable = 1
    c.write16(CommonCfg.QUEUE_SELECT, q);
    const off = c.read16(CommonCfg.QUEUE_NOTIFY_OFF) * this.multiplier;
    if (off + 2 > this.notifyRegion.size) {
      return DevError.withDetail(
        "BadState",
        `queue ${q} notify offset 0x${off.toString(16)} beyond the structure`,
      );
    }
    this.notifyOff[q] = off;
    c.write16(CommonCfg.QUEUE_SIZE, size);
    write64(c, CommonCfg.QUEUE_DESC, desc);
    write64(c, CommonCfg.QUEUE_DRIVER, driver);
    write64(c, CommonCfg.QUEUE_DEVICE, device);
    c.write16(CommonCfg.QUEUE_ENABLE, 1);
    return undefined;
  }

  /** PCI queues stay until the device is reset (virtio-drivers never unsets them). */
  queueUnset(_q: number): void {}

  notify(q: number): void {
    this.notifyRegion.write16(this.notifyOff[q]!, q);
  }

  ackInterrupt(): number {
    return this.isr.read8(0);
  }

  configGeneration(): number {
    return this.common.read8(CommonCfg.CONFIG_GENERATION);
  }

  readConfig8(offset: number): number {
    return this.device === undefined ? 0 : this.device.read8(offset);
  }
  readConfig16(offset: number): number {
    return this.device === undefined ? 0 : this.device.read16(offset);
  }
  readConfig32(offset: number): number {
    return this.device === undefined ? 0 : this.device.read32(offset);
  }
  configSpaceSize(): number {
    return this.device?.size ?? 0;
  }
}

function write64(r: MmioRegion, off: number, value: number): void {
  r.write32(off, value >>> 0);
  r.write32(off + 4, Math.floor(value / 0x1_0000_0000));
}
