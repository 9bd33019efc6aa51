import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import {
  INTEL_82599,
  INTEL_VEND,
  IXGBE_BAR0_SIZE,
  IXGBE_CLASS_NETWORK,
  IXGBE_MSIX_BAR,
  IXGBE_MSIX_BAR_SIZE,
  IXGBE_MSIX_PBA_OFFSET,
  IXGBE_MSIX_TABLE_OFFSET,
  IXGBE_MSIX_VECTORS,
  IXGBE_SUBCLASS_ETHERNET,
} from "../../hw/ixgbe/ids.js";
import { PCI_COMMAND_MASTER } from "../../hw/pci/config.js";
import { type MsixSink, MsixTable } from "../pci/msix-table.js";
import { PciFunctionModel } from "../pci/pci-function.js";
import { Ixgbe82599, type Ixgbe82599Options, type IxgbeModelHost } from "./ixgbe-model.js";

/** Options of the PCI form of the 82599: the model's options plus the PCI identity. */
export interface Ixgbe82599PciOptions extends Ixgbe82599Options {
  /** Device id (default 0x10FB, 82599ES SFP+). */
  deviceId?: number;
  /** Subsystem id (default 0x000C). */
  subsystemId?: number;
  /** Where MSI-X messages go (default: counted in {@link Ixgbe82599Pci.msix}`.sent` only). */
  msixSink?: MsixSink;
}

/** BAR4: the MSI-X table at 0 and the PBA at 0x2000, everything else reads 0 and ignores writes. */
class MsixBar implements MmioHandler {
  table: MsixTable | undefined;
  mmioRead(offset: number, width: AccessWidth): number {
    const t = this.table;
    if (t === undefined) return 0;
    if (offset < IXGBE_MSIX_TABLE_OFFSET + t.tableBytes)
      return t.tableRead(offset - IXGBE_MSIX_TABLE_OFFSET, width);
    if (offset >= IXGBE_MSIX_PBA_OFFSET && offset < IXGBE_MSIX_PBA_OFFSET + t.pbaBytes)
      return t.pbaRead(offset - IXGBE_MSIX_PBA_OFFSET, width);
    return 0;
  }
  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    const t = this.table;
    if (t === undefined) return;
    if (offset < IXGBE_MSIX_TABLE_OFFSET + t.tableBytes)
      t.tableWrite(offset - IXGBE_MSIX_TABLE_OFFSET, width, value);
    else if (offset >= IXGBE_MSIX_PBA_OFFSET && offset < IXGBE_MSIX_PBA_OFFSET + t.pbaBytes)
      t.pbaWrite(offset - IXGBE_MSIX_PBA_OFFSET, width, value);
  }
}

/**
 * An 82599 as a PCI function: 8086:10FB, class 02.00, BAR0 a 64-bit memory BAR with the registers
 * ({@link Ixgbe82599}), BAR4 a 64-bit memory BAR with the MSI-X table (64 vectors) and PBA, an MSI-X
 * capability, INTA#. The model may DMA only while the command register's bus-master bit is set, and its
 * interrupts go out as MSI-X messages while MSI-X is enabled.
 *
 * ```ts
 * const nic = new Ixgbe82599Pci(machine);
 * machine.addPciDevice(new DeviceFunction(0, 2, 0), nic.fn);
 * ```
 */
export class Ixgbe82599Pci {
  /** The register-level model behind BAR0. */
  readonly model: Ixgbe82599;
  /** The PCI function (configuration space, BARs, capabilities) to add to a machine. */
  readonly fn: PciFunctionModel;
  /** The MSI-X table behind BAR4 (its `sink` may be replaced). */
  readonly msix: MsixTable;
  /** Legacy interrupts raised while MSI-X is disabled (INTA#; the model has no pin wiring). */
  intxRaised = 0;

  constructor(host: IxgbeModelHost, options: Ixgbe82599PciOptions = {}) {
    const model = new Ixgbe82599(host, options);
    model.busMaster = false; // the command register comes out of reset with bus mastering off
    const bar4 = new MsixBar();
    const fn = new PciFunctionModel({
      vendorId: INTEL_VEND,
      deviceId: options.deviceId ?? INTEL_82599,
      classCode: IXGBE_CLASS_NETWORK,
      subclass: IXGBE_SUBCLASS_ETHERNET,
      revision: 0x01,
      subsystemVendorId: INTEL_VEND,
      subsystemId: options.subsystemId ?? 0x000c,
      interruptPin: 1,
      bars: [
        { index: 0, kind: "memory64", size: IXGBE_BAR0_SIZE, handler: model, name: "82599 BAR0" },
        {
          index: IXGBE_MSIX_BAR,
          kind: "memory64",
          size: IXGBE_MSIX_BAR_SIZE,
          handler: bar4,
          name: "82599 MSI-X",
        },
      ],
    });
    fn.addMsixCapability(
      IXGBE_MSIX_VECTORS,
      IXGBE_MSIX_BAR,
      IXGBE_MSIX_TABLE_OFFSET,
      IXGBE_MSIX_BAR,
      IXGBE_MSIX_PBA_OFFSET,
    );
    fn.onCommandWrite = (command) => {
      model.busMaster = (command & PCI_COMMAND_MASTER) !== 0;
    };
    const msix = new MsixTable(fn, IXGBE_MSIX_VECTORS, options.msixSink ?? (() => {}), model.checker);
    bar4.table = msix;
    model.onInterrupt = (vector) => {
      if (msix.notify(vector)) return;
      if (!fn.intxDisabled) {
        this.intxRaised++;
        fn.setInterruptStatus(true);
      }
    };
    this.model = model;
    this.fn = fn;
    this.msix = msix;
  }
}
