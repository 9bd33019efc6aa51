import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import { PCI_COMMAND_MASTER } from "../../hw/pci/config.js";
import {
  CommonCfg,
  PCI_CAP_ID_VNDR,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_NET_PCI_CLASS,
  VIRTIO_PCI_DEVICE_NET,
  VIRTIO_PCI_TRANSITIONAL,
  VIRTIO_PCI_VENDOR,
  VirtioPciCap,
  VirtioPciCapType,
} from "../../hw/virtio/pci.js";
import { VirtioDeviceId } from "../../hw/virtio/status.js";
import { type MsixSink, MsixTable } from "../pci/msix-table.js";
import { type BarSpec, PciFunctionModel } from "../pci/pci-function.js";
import { LegacyPciRegisters, type LegacyRegistersHost, legacyIoBarSize } from "./legacy-pci-transport.js";
import type { VirtioNetModel } from "./net-model.js";

/** Where the modern device puts its structures: QEMU's layout (BAR4, 64-bit, 16 KiB). */
export const VirtioPciLayout = {
  /** BAR holding the virtio structures. */
  BAR: 4,
  BAR_SIZE: 0x4000,
  COMMON: 0x0000,
  ISR: 0x1000,
  DEVICE: 0x2000,
  NOTIFY: 0x3000,
  /** Length of each structure's window. */
  REGION: 0x1000,
  /** notify_off_multiplier: queue q is notified at NOTIFY + 4 * q (queue_notify_off = q). */
  NOTIFY_MULTIPLIER: 4,
  /** BAR holding the MSI-X table (at 0) and PBA (at 0x800). */
  MSIX_BAR: 1,
  MSIX_BAR_SIZE: 0x1000,
  MSIX_PBA: 0x800,
} as const;

/** Options of a {@link VirtioPciDevice}. */
export interface VirtioPciDeviceOptions {
  /** MSI-X vectors (default 3: config + one per queue); 0 for none. */
  msixVectors?: number;
  /** Where MSI-X messages go (default: counted only). */
  msixSink?: MsixSink;
  /**
   * A transitional device (virtio 1.2 §4.1.2.3, §4.1.4.10), as QEMU's default virtio-net-pci: device ID
   * 0x1000, revision 0, subsystem ID 1, the legacy registers in I/O BAR0 as well as the modern
   * capabilities. Default false (modern only: 0x1041, revision 1).
   */
  transitional?: boolean;
}

/** Which interface the driver of a transitional device is using (chosen by its first access after reset). */
const IFACE_NONE = 0;
const IFACE_MODERN = 1;
const IFACE_LEGACY = 2;

const TWO_32 = 0x1_0000_0000;

/**
 * The modern virtio-pci transport of a virtio-net model (virtio 1.2 §4.1): a PCI function 1af4:1041
 * (class 02.00, revision 1) whose vendor capabilities (§4.1.4) point at the common configuration, ISR,
 * device configuration and notification structures in BAR4, plus the PCI configuration access
 * capability (§4.1.4.9) and MSI-X in BAR1. Add {@link VirtioPciDevice.fn} to the machine with
 * `machine.addPciDevice(bdf, dev.fn)`.
 *
 * Bus mastering (command bit 2) gates the device's DMA; the ISR read clears the INTx status.
 *
 * With `transitional: true` (or as {@link VirtioTransitionalPciDevice}) the function is what QEMU's default
 * virtio-net-pci is: 1af4:1000, revision 0, subsystem 1af4:0001, the legacy registers in I/O BAR0
 * ({@link LegacyPciRegisters}) beside the same capabilities, one model behind both. The driver's first
 * access after a reset picks the interface the model presents (legacy: features 0..31, no FEATURES_OK,
 * contiguous queues); using the other one before a reset is a driver error.
 */
export class VirtioPciDevice implements MmioHandler, LegacyRegistersHost {
  /** The device behind the transport. */
  readonly model: VirtioNetModel;
  /** The PCI function (configuration space, BARs). */
  readonly fn: PciFunctionModel;
  /** The MSI-X table, when vectors were asked for. */
  readonly msix: MsixTable | undefined;
  /** Config offsets of the vendor capabilities, by cfg_type. */
  readonly capOffsets: Readonly<Record<number, number>>;
  /** The legacy registers in I/O BAR0 of a transitional device, else undefined. */
  readonly legacyRegisters: LegacyPciRegisters | undefined;
  /** Which interface the driver uses since the last reset (transitional devices only). */
  private iface = IFACE_NONE;
  private deviceFeatureSelect = 0;
  private driverFeatureSelect = 0;
  private queueSelect = 0;
  private configVector = VIRTIO_MSI_NO_VECTOR;
  private readonly vectors: number;
  private readonly pciCfgCap: number;
  /** What the driver last wrote into pci_cfg_data (reads of it are answered from the BAR). */
  private readonly pciCfgData = new Uint8Array(4);

  constructor(model: VirtioNetModel, options: VirtioPciDeviceOptions = {}) {
    this.model = model;
    model.setInterface("modern");
    this.vectors = options.msixVectors ?? 3;
    const L = VirtioPciLayout;
    const transitional = options.transitional === true;
    this.legacyRegisters = transitional
      ? new LegacyPciRegisters(this, legacyIoBarSize(model.offeredConfigLength, this.vectors > 0))
      : undefined;
    const legacyBar: BarSpec[] =
      this.legacyRegisters === undefined
        ? []
        : [
            {
              index: 0,
              kind: "io",
              size: this.legacyRegisters.size,
              handler: this.legacyRegisters,
              name: `${model.name} legacy I/O`,
            },
          ];
    const msixHandler: MmioHandler = {
      mmioRead: (off, w) =>
        off < L.MSIX_PBA ? this.msix!.tableRead(off, w) : this.msix!.pbaRead(off - L.MSIX_PBA, w),
      mmioWrite: (off, w, v) => {
        if (off < L.MSIX_PBA) this.msix!.tableWrite(off, w, v);
        else this.msix!.pbaWrite(off - L.MSIX_PBA, w, v);
      },
    };
    this.fn = new PciFunctionModel({
      vendorId: VIRTIO_PCI_VENDOR,
      // transitional (§4.1.2.3): the transitional device ID, revision 0, subsystem ID = virtio device ID;
      // modern only (§4.1.2.1): 0x1040 + ID, revision >= 1, subsystem ID >= 0x40 recommended
      deviceId: transitional ? VIRTIO_PCI_TRANSITIONAL.NET : VIRTIO_PCI_DEVICE_NET,
      classCode: VIRTIO_NET_PCI_CLASS.classCode,
      subclass: VIRTIO_NET_PCI_CLASS.subclass,
      revision: transitional ? 0 : 1,
      subsystemVendorId: VIRTIO_PCI_VENDOR,
      subsystemId: transitional ? VirtioDeviceId.NETWORK : 0x40,
      interruptPin: 1,
      bars: [
        ...legacyBar,
        ...(this.vectors > 0
          ? [
              {
                index: L.MSIX_BAR,
                kind: "memory32" as const,
                size: L.MSIX_BAR_SIZE,
                handler: msixHandler,
                name: `${model.name} MSI-X`,
              },
            ]
          : []),
        {
          index: L.BAR,
          kind: "memory64",
          size: L.BAR_SIZE,
          prefetchable: true,
          handler: this,
          name: `${model.name} BAR4`,
        },
      ],
    });
    const caps: Record<number, number> = {};
    const vcap = (type: number, offset: number, length: number, extra?: number): void => {
      const len = extra === undefined ? VirtioPciCap.SIZE : VirtioPciCap.NOTIFY_SIZE;
      const body = [len, type, L.BAR, 0, 0, 0, ...le32(offset), ...le32(length)];
      if (extra !== undefined) body.push(...le32(extra));
      caps[type] = this.fn.addCapability(PCI_CAP_ID_VNDR, body);
    };
    vcap(VirtioPciCapType.COMMON_CFG, L.COMMON, L.REGION);
    vcap(VirtioPciCapType.NOTIFY_CFG, L.NOTIFY, L.REGION, L.NOTIFY_MULTIPLIER);
    vcap(VirtioPciCapType.ISR_CFG, L.ISR, L.REGION);
    vcap(VirtioPciCapType.DEVICE_CFG, L.DEVICE, L.REGION);
    // PCI configuration access (§4.1.4.9): bar, offset, length and pci_cfg_data are driver-writable
    const pciCfgBody = [
      VirtioPciCap.PCI_CFG_SIZE,
      VirtioPciCapType.PCI_CFG,
      0,
      0,
      0,
      0,
      ...le32(0),
      ...le32(0),
      ...le32(0),
    ];
    const pciCfgMask = [
      0, 0, 0xff, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
    ];
    this.pciCfgCap = this.fn.addCapability(PCI_CAP_ID_VNDR, pciCfgBody, pciCfgMask);
    caps[VirtioPciCapType.PCI_CFG] = this.pciCfgCap;
    this.capOffsets = caps;
    if (this.vectors > 0) {
      this.fn.addMsixCapability(this.vectors, L.MSIX_BAR, 0, L.MSIX_BAR, L.MSIX_PBA);
      this.msix = new MsixTable(this.fn, this.vectors, options.msixSink ?? (() => {}), model.checker);
    }
    this.fn.onCommandWrite = (cmd) => model.setDmaEnabled((cmd & PCI_COMMAND_MASTER) !== 0);
    this.fn.onConfigWrite = (off, w, v) => this.pciCfgWrite(off, w, v);
    this.fn.onConfigRead = (off, w, stored) => this.pciCfgRead(off, w, stored);
    model.setDmaEnabled(false);
    model.onInterrupt = (bits, q) => this.interrupt(bits, q);
    this.resetTransport();
  }

  private resetTransport(): void {
    this.configVector = VIRTIO_MSI_NO_VECTOR;
    this.queueSelect = 0;
    this.iface = IFACE_NONE;
    this.legacyRegisters?.reset();
    for (const q of this.model.queues) {
      q.size = q.maxSize; // queue_size reads the maximum after reset (§4.1.4.3)
      q.msixVector = VIRTIO_MSI_NO_VECTOR;
    }
  }

  /** MSI-X message when enabled and mapped, else INTx (status bit 3) unless disabled. */
  private interrupt(_bits: number, queue: number): void {
    const msix = this.msix;
    if (msix !== undefined && this.fn.msixEnabled) {
      const v = queue < 0 ? this.configVector : this.model.queues[queue]!.msixVector;
      if (v !== VIRTIO_MSI_NO_VECTOR) msix.notify(v);
      return;
    }
    if (!this.fn.intxDisabled) this.fn.setInterruptStatus(true);
  }

  private fault(rule: string, section: string): void {
    this.model.fault(rule, section);
  }

  // ------------------------------------------------------------------ transitional: which interface

  /**
   * A transitional device tells a legacy driver from a modern one by the registers it touches
   * (virtio 1.2 §4.1.4.10: "Transitional devices SHOULD detect legacy drivers by detecting access to the
   * legacy configuration structure"). The first access after a reset picks the interface the model
   * presents; touching the other one before the next reset is a driver error.
   */
  private claim(kind: number): boolean {
    if (this.iface === kind) return true;
    if (this.iface === IFACE_NONE) {
      this.iface = kind;
      this.model.setInterface(kind === IFACE_LEGACY ? "legacy" : "modern");
      return true;
    }
    const [used, other] = this.iface === IFACE_LEGACY ? ["legacy", "modern"] : ["modern", "legacy"];
    this.fault(
      `driver used the ${other} interface of a transitional device after the ${used} one without a reset`,
      "virtio 1.2 §4.1.4.10, §4.1.2.3",
    );
    return false;
  }

  /** Which interface the driver of a transitional device is using: undefined before its first access. */
  get activeInterface(): "modern" | "legacy" | undefined {
    return this.iface === IFACE_NONE ? undefined : this.iface === IFACE_LEGACY ? "legacy" : "modern";
  }

  /** {@link LegacyRegistersHost}: MSI-X enabled moves the legacy device config to 24. */
  legacyMsixEnabled(): boolean {
    return this.msix !== undefined && this.fn.msixEnabled;
  }
  /** {@link LegacyRegistersHost}: config_msix_vector, shared with the common configuration's. */
  get legacyConfigVector(): number {
    return this.configVector;
  }
  set legacyConfigVector(v: number) {
    this.configVector = v;
  }
  /** {@link LegacyRegistersHost}. */
  claimLegacy(): boolean {
    return this.iface === IFACE_LEGACY || this.claim(IFACE_LEGACY);
  }
  /** {@link LegacyRegistersHost}: a reset through the legacy registers resets the whole transport. */
  legacyReset(): void {
    this.resetTransport();
  }

  // ------------------------------------------------------------------ BAR4

  mmioRead(offset: number, width: AccessWidth): number {
    const L = VirtioPciLayout;
    if (this.iface !== IFACE_MODERN && this.legacyRegisters !== undefined && !this.claim(IFACE_MODERN))
      return 0;
    if (offset >= L.NOTIFY) return 0;
    if (offset >= L.DEVICE) return this.model.readConfig(offset - L.DEVICE, width);
    if (offset >= L.ISR) {
      if (offset !== L.ISR || width !== 1) {
        this.fault("ISR status read other than one byte at its start", "virtio 1.2 §4.1.4.5");
        return 0;
      }
      const v = this.model.readIsrAndClear();
      this.fn.setInterruptStatus(false); // reading the ISR de-asserts INTx (§4.1.4.5)
      return v;
    }
    return this.commonRead(offset, width);
  }

  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    const L = VirtioPciLayout;
    if (
      this.iface !== IFACE_MODERN &&
      this.legacyRegisters !== undefined &&
      // a reset is always allowed, through either interface
      !(offset === L.COMMON + CommonCfg.DEVICE_STATUS && (value & 0xff) === 0) &&
      !this.claim(IFACE_MODERN)
    ) {
      return;
    }
    if (offset >= L.NOTIFY) {
      this.notifyWrite(offset - L.NOTIFY, width, value);
      return;
    }
    if (offset >= L.DEVICE) {
      this.model.writeConfig(offset - L.DEVICE, width, value);
      return;
    }
    if (offset >= L.ISR) {
      this.fault("driver wrote the read-only ISR status", "virtio 1.2 §4.1.4.5");
      return;
    }
    this.commonWrite(offset, width, value);
  }

  /** Queue notification (§4.1.4.4): the 16-bit queue index at that queue's address. */
  private notifyWrite(off: number, width: AccessWidth, value: number): void {
    const q = off / VirtioPciLayout.NOTIFY_MULTIPLIER;
    if (width !== 2 || !Number.isInteger(q) || q >= this.model.queues.length) {
      this.fault(
        `notification of ${width} bytes at notify offset 0x${off.toString(16)} (16-bit queue index at queue_notify_off * ${VirtioPciLayout.NOTIFY_MULTIPLIER})`,
        "virtio 1.2 §4.1.4.4, §4.1.5.2",
      );
      return;
    }
    if (value !== q) {
      this.fault(`notification value ${value} written at queue ${q}'s address`, "virtio 1.2 §4.1.5.2");
      return;
    }
    this.model.notifyQueue(q);
  }

  /** Field width of a common-config offset (64-bit fields are accessed as 32-bit halves), or 0. */
  private static fieldWidth(off: number): number {
    if (off < CommonCfg.CONFIG_MSIX_VECTOR) return (off & 3) === 0 ? 4 : 0;
    if (off === CommonCfg.DEVICE_STATUS || off === CommonCfg.CONFIG_GENERATION) return 1;
    if (off < CommonCfg.QUEUE_DESC) return (off & 1) === 0 ? 2 : 0;
    if (off < CommonCfg.QUEUE_NOTIF_CONFIG_DATA) return (off & 3) === 0 ? 4 : 0;
    if (off < CommonCfg.SIZE) return (off & 1) === 0 ? 2 : 0;
    return 0;
  }

  private checkWidth(off: number, width: number, write: boolean): boolean {
    const w = VirtioPciDevice.fieldWidth(off);
    if (w === 0 || w !== width) {
      this.fault(
        `common configuration ${write ? "write" : "read"} of ${width} bytes at 0x${off.toString(16)} (each field with its natural width)`,
        "virtio 1.2 §4.1.3.1",
      );
      return false;
    }
    return true;
  }

  private commonRead(off: number, width: AccessWidth): number {
    if (!this.checkWidth(off, width, false)) return 0;
    const m = this.model;
    const q = this.queueSelect;
    const vq = m.queues[q];
    switch (off) {
      case CommonCfg.DEVICE_FEATURE_SELECT:
        return this.deviceFeatureSelect;
      case CommonCfg.DEVICE_FEATURE:
        return m.deviceFeatureWord(this.deviceFeatureSelect);
      case CommonCfg.DRIVER_FEATURE_SELECT:
        return this.driverFeatureSelect;
      case CommonCfg.DRIVER_FEATURE:
        return this.driverFeatureSelect === 0
          ? (m.driverFeatures % TWO_32) >>> 0
          : this.driverFeatureSelect === 1
            ? Math.floor(m.driverFeatures / TWO_32) >>> 0
            : 0;
      case CommonCfg.CONFIG_MSIX_VECTOR:
        return this.configVector;
      case CommonCfg.NUM_QUEUES:
        return m.queues.length;
      case CommonCfg.DEVICE_STATUS:
        return m.status;
      case CommonCfg.CONFIG_GENERATION:
        return m.configGeneration;
      case CommonCfg.QUEUE_SELECT:
        return q;
      case CommonCfg.QUEUE_SIZE:
        return vq === undefined ? 0 : vq.size;
      case CommonCfg.QUEUE_MSIX_VECTOR:
        return vq === undefined ? VIRTIO_MSI_NO_VECTOR : vq.msixVector;
      case CommonCfg.QUEUE_ENABLE:
        return vq?.ready === true ? 1 : 0;
      case CommonCfg.QUEUE_NOTIFY_OFF:
        return vq === undefined ? 0 : q;
      case CommonCfg.QUEUE_DESC:
      case CommonCfg.QUEUE_DESC + 4:
      case CommonCfg.QUEUE_DRIVER:
      case CommonCfg.QUEUE_DRIVER + 4:
      case CommonCfg.QUEUE_DEVICE:
      case CommonCfg.QUEUE_DEVICE + 4:
        // three 64-bit fields from queue_desc on, read as 32-bit halves (virtio 1.2 4.1.4.3)
        return vq?.addressWords[(off - CommonCfg.QUEUE_DESC) >>> 2] ?? 0;
      case CommonCfg.QUEUE_NOTIF_CONFIG_DATA:
        return 0;
      case CommonCfg.QUEUE_RESET:
        return 0;
    }
    return 0;
  }

  private commonWrite(off: number, width: AccessWidth, value: number): void {
    if (!this.checkWidth(off, width, true)) return;
    const m = this.model;
    const q = this.queueSelect;
    switch (off) {
      case CommonCfg.DEVICE_FEATURE_SELECT:
        this.deviceFeatureSelect = value >>> 0;
        return;
      case CommonCfg.DRIVER_FEATURE_SELECT:
        this.driverFeatureSelect = value >>> 0;
        return;
      case CommonCfg.DRIVER_FEATURE:
        m.writeDriverFeatureWord(this.driverFeatureSelect, value);
        return;
      case CommonCfg.CONFIG_MSIX_VECTOR:
        this.configVector = this.mapVector(value);
        return;
      case CommonCfg.DEVICE_STATUS:
        m.writeStatus(value);
        if (value === 0) this.resetTransport();
        return;
      case CommonCfg.QUEUE_SELECT:
        this.queueSelect = value;
        return;
      case CommonCfg.QUEUE_SIZE: {
        const vq = this.queueForWrite("queue_size");
        if (vq !== undefined) vq.size = value;
        return;
      }
      case CommonCfg.QUEUE_MSIX_VECTOR: {
        const vq = this.queueForWrite("queue_msix_vector");
        if (vq !== undefined) vq.msixVector = this.mapVector(value);
        return;
      }
      case CommonCfg.QUEUE_ENABLE: {
        if (value === 0) {
          this.fault("driver wrote 0 to queue_enable", "virtio 1.2 §4.1.4.3.2");
          return;
        }
        const vq = m.queues[q];
        if (vq === undefined) {
          this.fault(`queue_enable written for queue ${q}, which does not exist`, "virtio 1.2 §4.1.4.3.2");
          return;
        }
        if (!vq.ready) m.enableQueue(q);
        return;
      }
      case CommonCfg.QUEUE_DESC:
      case CommonCfg.QUEUE_DESC + 4:
      case CommonCfg.QUEUE_DRIVER:
      case CommonCfg.QUEUE_DRIVER + 4:
      case CommonCfg.QUEUE_DEVICE:
      case CommonCfg.QUEUE_DEVICE + 4: {
        const vq = this.queueForWrite("queue address");
        if (vq === undefined) return;
        vq.setAddressWord((off - CommonCfg.QUEUE_DESC) >>> 2, value >>> 0);
        return;
      }
      case CommonCfg.QUEUE_RESET:
        this.fault("queue_reset written without VIRTIO_F_RING_RESET", "virtio 1.2 §4.1.4.3.2");
        return;
      default:
        this.fault(
          `driver wrote read-only common configuration field 0x${off.toString(16)}`,
          "virtio 1.2 §4.1.4.3.2",
        );
    }
  }

  /** The selected queue, if it exists and is not enabled (its fields are fixed once enabled). */
  private queueForWrite(what: string) {
    const vq = this.model.queues[this.queueSelect];
    if (vq === undefined) {
      this.fault(
        `${what} written for queue ${this.queueSelect}, which does not exist`,
        "virtio 1.2 §4.1.4.3.2",
      );
      return undefined;
    }
    if (vq.ready) {
      this.fault(`${what} written while queue ${this.queueSelect} is enabled`, "virtio 1.2 §4.1.4.3.2");
      return undefined;
    }
    return vq;
  }

  /** A vector is accepted when it names an MSI-X table entry, else reads back NO_VECTOR (§4.1.5.1.2). */
  mapVector(v: number): number {
    return v !== VIRTIO_MSI_NO_VECTOR && v < this.vectors ? v : VIRTIO_MSI_NO_VECTOR;
  }

  // ------------------------------------------------------------------ PCI configuration access (§4.1.4.9)

  private pciCfgField(off: number, width: number): boolean {
    const data = this.pciCfgCap + VirtioPciCap.PCI_CFG_DATA;
    return off >= data && off + width <= data + 4;
  }

  private pciCfgWindow(): { bar: number; offset: number; length: number } {
    const c = this.pciCfgCap;
    return {
      bar: this.fn.configRead(c + VirtioPciCap.BAR, 1),
      offset: this.fn.configRead(c + VirtioPciCap.OFFSET, 4),
      length: this.fn.configRead(c + VirtioPciCap.LENGTH, 4),
    };
  }

  private barHandler(bar: number): MmioHandler | undefined {
    return this.fn.barSpecs.find((b) => b.index === bar)?.handler;
  }

  private pciCfgWrite(off: number, width: number, value: number): void {
    if (!this.pciCfgField(off, width)) return;
    const at = off - (this.pciCfgCap + VirtioPciCap.PCI_CFG_DATA);
    for (let i = 0; i < width; i++) this.pciCfgData[at + i] = (value >>> (8 * i)) & 0xff;
    const w = this.pciCfgWindow();
    if (!this.pciCfgWindowOk(w)) return;
    const d = this.pciCfgData;
    const data = (d[0]! | (d[1]! << 8) | (d[2]! << 16) | (d[3]! << 24)) >>> 0;
    const mask = w.length === 4 ? 0xffff_ffff : (1 << (8 * w.length)) - 1;
    this.barHandler(w.bar)?.mmioWrite(w.offset, w.length as AccessWidth, (data & mask) >>> 0);
  }

  private pciCfgRead(off: number, width: number, stored: number): number {
    if (!this.pciCfgField(off, width)) return stored;
    const w = this.pciCfgWindow();
    if (!this.pciCfgWindowOk(w)) return stored;
    const v = this.barHandler(w.bar)?.mmioRead(w.offset, w.length as AccessWidth) ?? 0;
    const shift = 8 * (off - (this.pciCfgCap + VirtioPciCap.PCI_CFG_DATA));
    const m = width === 4 ? 0xffff_ffff : (1 << (8 * width)) - 1;
    return ((v >>> shift) & m) >>> 0;
  }

  private pciCfgWindowOk(w: { bar: number; offset: number; length: number }): boolean {
    if ((w.length !== 1 && w.length !== 2 && w.length !== 4) || w.offset % w.length !== 0) {
      this.fault(
        `PCI configuration access window of length ${w.length} at offset ${w.offset}`,
        "virtio 1.2 §4.1.4.9.1",
      );
      return false;
    }
    return this.barHandler(w.bar) !== undefined;
  }
}

function le32(v: number): number[] {
  return [v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff];
}

/**
 * A transitional virtio-net PCI function (virtio 1.2 §4.1.2.3, §4.1.4.10), as QEMU's default
 * virtio-net-pci: device 0x1000, revision 0, subsystem ID 1, the legacy registers in I/O BAR0 (sized from
 * the offered features as QEMU sizes it: 32 bytes for MAC+STATUS with MSI-X, 64 with the model's default
 * MTU) and the modern capabilities in BAR4 with MSI-X in BAR1, one {@link VirtioNetModel} behind both.
 * A `VirtioPciDevice` with `transitional: true`.
 */
export class VirtioTransitionalPciDevice extends VirtioPciDevice {
  constructor(model: VirtioNetModel, options: Omit<VirtioPciDeviceOptions, "transitional"> = {}) {
    super(model, { ...options, transitional: true });
  }

  /** The legacy registers in I/O BAR0. */
  get legacy(): LegacyPciRegisters {
    return this.legacyRegisters!;
  }
}
