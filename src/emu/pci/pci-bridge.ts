import {
  PCI_BRIDGE_BAR_COUNT,
  PCI_BRIDGE_CONTROL,
  PCI_CLASS_BRIDGE,
  PCI_HEADER_TYPE_BRIDGE,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_IO_BASE,
  PCI_IO_LIMIT,
  PCI_MEMORY_BASE,
  PCI_MEMORY_LIMIT,
  PCI_PREF_BASE_UPPER32,
  PCI_PREF_LIMIT_UPPER32,
  PCI_PREF_MEMORY_BASE,
  PCI_PREF_MEMORY_LIMIT,
  PCI_PRIMARY_BUS,
  PCI_SEC_LATENCY_TIMER,
  PCI_SEC_STATUS,
  PCI_SECONDARY_BUS,
  PCI_STATUS_W1C_MASK,
  PCI_SUBCLASS_BRIDGE_PCI,
  PCI_SUBORDINATE_BUS,
} from "../../hw/pci/config.js";
import { type BarSpec, type PciBuses, PciConfigModel } from "./pci-function.js";

/** What a PCI-to-PCI bridge looks like from configuration space. */
export interface PciBridgeOptions {
  vendorId: number;
  deviceId: number;
  /** Default 0x06 (bridge). */
  classCode?: number;
  /** Default 0x04 (PCI-to-PCI). */
  subclass?: number;
  progIf?: number;
  revision?: number;
  multifunction?: boolean;
  interruptPin?: number;
  /** BAR0/BAR1 of the bridge itself (usually none). */
  bars?: BarSpec[];
  /**
   * Bus numbers as firmware left them (0 = unprogrammed; software then assigns them). Configuration
   * accesses for bus `secondaryBus` reach the functions behind the bridge; buses up to `subordinateBus`
   * are forwarded to bridges behind it.
   */
  primaryBus?: number;
  secondaryBus?: number;
  subordinateBus?: number;
}

/**
 * A PCI-to-PCI bridge function (type 1 header, pci.md §4) with the functions behind it. Its bus-number
 * registers route configuration accesses, as a real bridge turns a type 1 access for its secondary bus into
 * a type 0 access there. Its window registers (I/O, memory, prefetchable) are stored and read back with
 * their read-only bits, but memory and I/O transactions are forwarded regardless of them: the functions
 * behind it decode on the machine's buses directly.
 */
export class PciBridgeModel extends PciConfigModel {
  private readonly children = new Map<number, PciConfigModel>();
  private childBuses: PciBuses | undefined;

  constructor(opts: PciBridgeOptions) {
    super(
      PCI_BRIDGE_BAR_COUNT,
      opts.bars ?? [],
      `pci-bridge ${(opts.vendorId & 0xffff).toString(16).padStart(4, "0")}:${(opts.deviceId & 0xffff).toString(16).padStart(4, "0")}`,
    );
    this.initCommonHeader(
      {
        vendorId: opts.vendorId,
        deviceId: opts.deviceId,
        classCode: opts.classCode ?? PCI_CLASS_BRIDGE,
        subclass: opts.subclass ?? PCI_SUBCLASS_BRIDGE_PCI,
        progIf: opts.progIf ?? 0,
        revision: opts.revision ?? 0,
        multifunction: opts.multifunction ?? false,
      },
      PCI_HEADER_TYPE_BRIDGE,
    );
    this.init8(PCI_PRIMARY_BUS, (opts.primaryBus ?? 0) & 0xff, 0xff);
    this.init8(PCI_SECONDARY_BUS, (opts.secondaryBus ?? 0) & 0xff, 0xff);
    this.init8(PCI_SUBORDINATE_BUS, (opts.subordinateBus ?? 0) & 0xff, 0xff);
    this.init8(PCI_SEC_LATENCY_TIMER, 0, 0xff);
    // I/O base/limit: bits 7:4 = address 15:12, bits 3:0 = 0 (16-bit I/O decoding). pci.md §4
    this.init8(PCI_IO_BASE, 0, 0xf0);
    this.init8(PCI_IO_LIMIT, 0, 0xf0);
    this.init16(PCI_SEC_STATUS, 0, 0, PCI_STATUS_W1C_MASK);
    // memory base/limit: bits 15:4 = address 31:20. pci.md §4
    this.init16(PCI_MEMORY_BASE, 0, 0xfff0);
    this.init16(PCI_MEMORY_LIMIT, 0, 0xfff0);
    // prefetchable base/limit: bits 3:0 = 1 (64-bit), upper halves writable. pci.md §4
    this.init16(PCI_PREF_MEMORY_BASE, 1, 0xfff0);
    this.init16(PCI_PREF_MEMORY_LIMIT, 1, 0xfff0);
    this.init32(PCI_PREF_BASE_UPPER32, 0, 0xffff_ffff);
    this.init32(PCI_PREF_LIMIT_UPPER32, 0, 0xffff_ffff);
    this.init8(PCI_INTERRUPT_LINE, 0, 0xff);
    this.init8(PCI_INTERRUPT_PIN, (opts.interruptPin ?? 0) & 0xff);
    // bridge control bits 6:0 (parity, SERR#, ISA, VGA, VGA16, master abort mode, secondary reset)
    this.init16(PCI_BRIDGE_CONTROL, 0, 0x007f);
  }

  /** Primary bus number register. */
  get primaryBus(): number {
    return this.cfg[PCI_PRIMARY_BUS]!;
  }
  /** Secondary bus number register (0 = not programmed). */
  get secondaryBus(): number {
    return this.cfg[PCI_SECONDARY_BUS]!;
  }
  /** Subordinate bus number register. */
  get subordinateBus(): number {
    return this.cfg[PCI_SUBORDINATE_BUS]!;
  }

  /** Plugs `fn` in behind the bridge at `device.func` of its secondary bus. */
  addDevice(device: number, func: number, fn: PciConfigModel): void {
    if (
      !Number.isInteger(device) ||
      device < 0 ||
      device > 31 ||
      !Number.isInteger(func) ||
      func < 0 ||
      func > 7
    ) {
      throw new RangeError(`bad device/function ${device}.${func}`);
    }
    const devfn = (device << 3) | func;
    if (this.children.has(devfn)) throw new RangeError(`slot ${device}.${func} behind ${this.name} is taken`);
    this.children.set(devfn, fn);
    if (this.childBuses !== undefined) fn.attach(this.childBuses);
  }

  /** The functions behind the bridge, by `device << 3 | func`. */
  get devices(): ReadonlyMap<number, PciConfigModel> {
    return this.children;
  }

  /**
   * The function a configuration access for (`bus`, `devfn`) reaches through this bridge: one behind it when
   * `bus` is its secondary bus, else one found through the bridges behind it when `bus` lies in
   * (secondary, subordinate]. Undefined (master abort) otherwise.
   */
  route(bus: number, devfn: number): PciConfigModel | undefined {
    const sec = this.secondaryBus;
    if (sec === 0) return undefined;
    if (bus === sec) return this.children.get(devfn);
    if (bus < sec || bus > this.subordinateBus) return undefined;
    for (const child of this.children.values()) {
      if (child instanceof PciBridgeModel) {
        const f = child.route(bus, devfn);
        if (f !== undefined) return f;
      }
    }
    return undefined;
  }

  /** The bridge whose secondary bus is `bus`, searching this bridge and those behind it. */
  bridgeFor(bus: number): PciBridgeModel | undefined {
    if (this.secondaryBus !== 0 && this.secondaryBus === bus) return this;
    for (const child of this.children.values()) {
      if (child instanceof PciBridgeModel) {
        const b = child.bridgeFor(bus);
        if (b !== undefined) return b;
      }
    }
    return undefined;
  }

  override attach(buses: PciBuses): void {
    super.attach(buses);
    this.childBuses = buses;
    for (const fn of this.children.values()) fn.attach(buses);
  }
}
