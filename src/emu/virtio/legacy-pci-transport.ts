import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import { PCI_COMMAND_MASTER } from "../../hw/pci/config.js";
import {
  LEGACY_PCI_PAGE_SIZE,
  LEGACY_PCI_QUEUE_ADDR_SHIFT,
  LegacyPciReg,
  VIRTIO_MSI_NO_VECTOR,
  VIRTIO_NET_PCI_CLASS,
  VIRTIO_PCI_TRANSITIONAL,
  VIRTIO_PCI_VENDOR,
} from "../../hw/virtio/pci.js";
import { legacyLayout } from "../../hw/virtio/ring.js";
import { VirtioDeviceId } from "../../hw/virtio/status.js";
import { PciFunctionModel } from "../pci/pci-function.js";
import type { VirtioNetModel } from "./net-model.js";

/**
 * BAR0 size of the legacy-only function ({@link VirtioLegacyPciDevice}) unless it is asked to size it as
 * QEMU does: 64 bytes, room for the 24-byte header with the MSI-X vector registers plus the whole 12-byte
 * net config. Kept fixed so the machine's layout (and what `axdriver probe` prints) does not move; the
 * transitional function sizes its BAR0 from the offered features ({@link legacyIoBarSize}).
 */
export const LEGACY_IO_BAR_SIZE = 64;

/**
 * Size of a legacy I/O BAR0 as QEMU sizes it (hw/virtio/virtio-pci.c `VIRTIO_PCI_REGION_SIZE`): the
 * register header (24 bytes when the function has an MSI-X capability, whose vector registers then may
 * appear at 20 and 22, else 20; virtio 1.2 §4.1.4.10) plus the device config length, rounded up to a power
 * of two (PCI BARs are naturally sized). The config length follows the offered features, see
 * {@link VirtioNetModel.offeredConfigLength}: QEMU's default virtio-net-pci (MAC, STATUS, MSI-X) gets
 * 24 + 8 = 32 bytes; the model's default features add MTU, giving 24 + 12 -> 64.
 */
export function legacyIoBarSize(configLength: number, hasMsix: boolean): number {
  const need = (hasMsix ? LegacyPciReg.CONFIG_MSIX : LegacyPciReg.CONFIG) + configLength;
  let size = 4;
  while (size < need) size *= 2;
  return size;
}

/** What the legacy register block needs from the PCI device it sits in. */
export interface LegacyRegistersHost {
  /** The device behind the registers. */
  readonly model: VirtioNetModel;
  /** The PCI function (INTx status). */
  readonly fn: PciFunctionModel;
  /** Whether MSI-X is enabled: vector registers at 20/22 and the device config at 24 (virtio 1.2 §4.1.4.10). */
  legacyMsixEnabled(): boolean;
  /** config_msix_vector (MSI-X enabled only). */
  legacyConfigVector: number;
  /** A vector as the device accepts it (NO_VECTOR when it names no table entry, §4.1.5.1.2). */
  mapVector(v: number): number;
  /**
   * Called before every legacy access but a reset: a transitional device notes that the driver uses the
   * legacy interface; false when the access is refused (the fault was reported).
   */
  claimLegacy(): boolean;
  /** The driver wrote 0 to the status (device reset): transport state back to its reset values. */
  legacyReset(): void;
}

/**
 * The legacy virtio-pci register block in I/O BAR0 (virtio 1.2 §4.1.4.10 "Legacy Interfaces: A Note on
 * PCI Device Layout"): host/guest features (bits 0..31), queue PFN, fixed queue size, queue select and
 * notify, status, ISR, then — with MSI-X enabled — config_msix_vector and queue_msix_vector, then the
 * device config (at 20, or 24 with MSI-X enabled). Shared by the legacy-only function
 * ({@link VirtioLegacyPciDevice}) and the transitional one (a `VirtioPciDevice` made `transitional`).
 *
 * Config bytes beyond the config length but inside the BAR read as all ones, as QEMU answers them.
 */
export class LegacyPciRegisters implements MmioHandler {
  /** BAR0 size. */
  readonly size: number;
  private readonly host: LegacyRegistersHost;
  private queueSelect = 0;
  private readonly pfn: number[];

  constructor(host: LegacyRegistersHost, size: number) {
    this.host = host;
    this.size = size;
    this.pfn = host.model.queues.map(() => 0);
  }

  /** Transport state back to reset: queue select 0, no queue addresses. */
  reset(): void {
    this.queueSelect = 0;
    this.pfn.fill(0);
  }

  /** Queue page number of queue `q` (0 = not set up). */
  queuePfn(q: number): number {
    return this.pfn[q] ?? 0;
  }

  private configOffset(): number {
    return this.host.legacyMsixEnabled() ? LegacyPciReg.CONFIG_MSIX : LegacyPciReg.CONFIG;
  }

  private widthOk(offset: number, width: number, write: boolean, cfg: number): boolean {
    if (offset + width > this.size) {
      this.host.model.fault(
        `legacy ${write ? "write" : "read"} of ${width} bytes at ${offset}, beyond the ${this.size}-byte BAR0`,
        "virtio 1.2 §4.1.4.10",
      );
      return false;
    }
    if (offset >= cfg) return true; // device config: any width (§4.1.4.10)
    let natural: number;
    if (offset < LegacyPciReg.QUEUE_NUM) natural = 4;
    else if (offset < LegacyPciReg.STATUS) natural = 2;
    else if (offset < LegacyPciReg.CONFIG_MSIX_VECTOR) natural = 1;
    else natural = 2; // the MSI-X vector registers
    if (width !== natural || offset % natural !== 0) {
      this.host.model.fault(
        `legacy register ${write ? "write" : "read"} of ${width} bytes at ${offset} (field width ${natural})`,
        "virtio 1.2 §4.1.4.10",
      );
      return false;
    }
    return true;
  }

  mmioRead(offset: number, width: AccessWidth): number {
    const h = this.host;
    const cfg = this.configOffset();
    if (!this.widthOk(offset, width, false, cfg) || !h.claimLegacy()) return 0;
    const m = h.model;
    const q = this.queueSelect;
    if (offset < cfg) {
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
          h.fn.setInterruptStatus(false); // reading the ISR de-asserts INTx
          return v;
        }
        case LegacyPciReg.CONFIG_MSIX_VECTOR:
          return h.legacyConfigVector;
        case LegacyPciReg.QUEUE_MSIX_VECTOR:
          return m.queues[q]?.msixVector ?? VIRTIO_MSI_NO_VECTOR;
      }
      return 0;
    }
    const c = offset - cfg;
    if (c + width <= m.offeredConfigLength) return m.readConfig(c, width);
    // past the config but inside the BAR: all ones, as QEMU's virtio_config_read* answer
    return width === 4 ? 0xffff_ffff : (1 << (8 * width)) - 1;
  }

  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    const h = this.host;
    const cfg = this.configOffset();
    if (!this.widthOk(offset, width, true, cfg)) return;
    const m = h.model;
    // a reset is always allowed, through either interface of a transitional device
    if (offset === LegacyPciReg.STATUS && (value & 0xff) === 0) {
      m.writeStatus(0);
      h.legacyReset();
      return;
    }
    if (!h.claimLegacy()) return;
    const q = this.queueSelect;
    if (offset < cfg) {
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
          return;
        case LegacyPciReg.CONFIG_MSIX_VECTOR:
          h.legacyConfigVector = h.mapVector(value);
          return;
        case LegacyPciReg.QUEUE_MSIX_VECTOR: {
          const vq = m.queues[q];
          if (vq === undefined) {
            m.fault(`queue_msix_vector written for queue ${q}, which does not exist`, "virtio 1.2 §4.1.4.10");
            return;
          }
          vq.msixVector = h.mapVector(value);
          return;
        }
      }
      m.fault(`write of read-only legacy register at ${offset}`, "virtio 1.2 §4.1.4.10");
      return;
    }
    const c = offset - cfg;
    if (c + width <= m.offeredConfigLength) {
      m.writeConfig(c, width, value);
      return;
    }
    m.fault(`write of legacy register offset ${offset}, beyond the device config`, "virtio 1.2 §4.1.4.10");
  }

  /** Queue address as a 4 KiB page number; the contiguous layout with 4096 alignment (§2.7.2). */
  private writePfn(q: number, pfn: number): void {
    const m = this.host.model;
    const vq = m.queues[q];
    if (vq === undefined) {
      m.fault(`queue address written for queue ${q}, which does not exist`, "virtio 1.2 §4.1.4.10");
      return;
    }
    if (pfn === 0) {
      this.pfn[q] = 0;
      m.disableQueue(q);
      return;
    }
    if (vq.ready) {
      m.fault(`queue address written while queue ${q} is in use`, "virtio 1.2 §4.1.4.10");
      return;
    }
    const base = pfn * 2 ** LEGACY_PCI_QUEUE_ADDR_SHIFT;
    const lay = legacyLayout(vq.maxSize, LEGACY_PCI_PAGE_SIZE);
    vq.size = vq.maxSize; // fixed by the device
    vq.descAddr = base;
    vq.driverAddr = base + lay.avail;
    vq.deviceAddr = base + lay.used;
    this.pfn[q] = pfn;
    if (!m.enableQueue(q)) this.pfn[q] = 0;
  }
}

/**
 * A legacy-only virtio-net PCI function (a transitional device ID with only the legacy interface, as a
 * pre-1.0 device): device 0x1000, revision 0, subsystem ID 1 (the virtio device ID, §4.1.2.3), registers in
 * I/O BAR0 ({@link LegacyPciRegisters}), no virtio capabilities and no MSI-X, so the device config sits at
 * 20. BAR0 is {@link LEGACY_IO_BAR_SIZE} bytes, or sized as QEMU sizes it with `qemuBarSize`
 * ({@link legacyIoBarSize}: 20 + the offered config, 32 bytes with the default features).
 * For a function that also has the modern interface, as QEMU's default virtio-net-pci, use
 * `VirtioTransitionalPciDevice`. Add {@link VirtioLegacyPciDevice.fn} to the machine.
 */
export class VirtioLegacyPciDevice implements MmioHandler, LegacyRegistersHost {
  /** The device behind the transport. */
  readonly model: VirtioNetModel;
  /** The PCI function. */
  readonly fn: PciFunctionModel;
  /** The BAR0 registers. */
  readonly registers: LegacyPciRegisters;
  /** No MSI-X here: always NO_VECTOR. */
  legacyConfigVector = VIRTIO_MSI_NO_VECTOR;

  /**
   * @param model the device behind the registers
   * @param options `qemuBarSize`: size BAR0 from the offered features as QEMU does (default: the fixed
   *   {@link LEGACY_IO_BAR_SIZE})
   */
  constructor(model: VirtioNetModel, options: { qemuBarSize?: boolean } = {}) {
    this.model = model;
    model.setInterface("legacy");
    const size =
      options.qemuBarSize === true ? legacyIoBarSize(model.offeredConfigLength, false) : LEGACY_IO_BAR_SIZE;
    this.registers = new LegacyPciRegisters(this, size);
    this.fn = new PciFunctionModel({
      vendorId: VIRTIO_PCI_VENDOR,
      deviceId: VIRTIO_PCI_TRANSITIONAL.NET,
      classCode: VIRTIO_NET_PCI_CLASS.classCode,
      subclass: VIRTIO_NET_PCI_CLASS.subclass,
      revision: 0, // transitional device IDs have revision 0 (§4.1.2.3)
      subsystemVendorId: VIRTIO_PCI_VENDOR,
      subsystemId: VirtioDeviceId.NETWORK, // transitional: subsystem ID = virtio device ID (§4.1.2.3)
      interruptPin: 1,
      bars: [
        {
          index: 0,
          kind: "io",
          size: this.registers.size,
          handler: this.registers,
          name: `${model.name} legacy I/O`,
        },
      ],
    });
    this.fn.onCommandWrite = (cmd) => model.setDmaEnabled((cmd & PCI_COMMAND_MASTER) !== 0);
    model.setDmaEnabled(false);
    model.onInterrupt = () => {
      if (!this.fn.intxDisabled) this.fn.setInterruptStatus(true);
    };
    this.legacyReset();
  }

  /** BAR0 size. */
  get barSize(): number {
    return this.registers.size;
  }

  mmioRead(offset: number, width: AccessWidth): number {
    return this.registers.mmioRead(offset, width);
  }
  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    this.registers.mmioWrite(offset, width, value);
  }

  /** {@link LegacyRegistersHost}: no MSI-X capability. */
  legacyMsixEnabled(): boolean {
    return false;
  }
  /** {@link LegacyRegistersHost}: no MSI-X table, so no vector is accepted. */
  mapVector(_v: number): number {
    return VIRTIO_MSI_NO_VECTOR;
  }
  /** {@link LegacyRegistersHost}: the legacy interface is the only one. */
  claimLegacy(): boolean {
    return true;
  }
  /** {@link LegacyRegistersHost}: queue sizes are fixed by the device. */
  legacyReset(): void {
    this.registers.reset();
    for (const q of this.model.queues) q.size = q.maxSize;
  }
}
