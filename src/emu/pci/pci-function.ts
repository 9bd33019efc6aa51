import type { AccessWidth, MmioHandler } from "../../hal/mmio.js";
import {
  PCI_BAR_COUNT,
  PCI_BAR_IO_MIN_SIZE,
  PCI_BAR_MEM_MIN_SIZE,
  PCI_BAR_MEM_PREFETCH,
  PCI_BAR_MEM_TYPE_64,
  PCI_BAR_SPACE_IO,
  PCI_BAR0,
  PCI_CACHE_LINE_SIZE,
  PCI_CAP_ID_MSIX,
  PCI_CAPABILITY_LIST,
  PCI_CLASS,
  PCI_COMMAND,
  PCI_COMMAND_INTX_DISABLE,
  PCI_COMMAND_IO,
  PCI_COMMAND_MASTER,
  PCI_COMMAND_MEMORY,
  PCI_COMMAND_PARITY,
  PCI_COMMAND_SERR,
  PCI_CONFIG_SPACE_CAM,
  PCI_CONFIG_SPACE_ECAM,
  PCI_DEVICE_ID,
  PCI_HEADER_TYPE,
  PCI_HEADER_TYPE_MULTIFUNCTION,
  PCI_HEADER_TYPE_NORMAL,
  PCI_INTERRUPT_LINE,
  PCI_INTERRUPT_PIN,
  PCI_LATENCY_TIMER,
  PCI_MSIX_FLAGS,
  PCI_MSIX_FLAGS_ENABLE,
  PCI_MSIX_FLAGS_MASKALL,
  PCI_PROG_IF,
  PCI_REVISION_ID,
  PCI_STATUS,
  PCI_STATUS_CAP_LIST,
  PCI_STATUS_INTERRUPT,
  PCI_STATUS_W1C_MASK,
  PCI_STD_HEADER_END,
  PCI_SUBCLASS,
  PCI_SUBSYSTEM_ID,
  PCI_SUBSYSTEM_VENDOR_ID,
  PCI_VENDOR_ID,
} from "../../hw/pci/config.js";
import type { AddressBus, BusMapping } from "../address-bus.js";

/** One BAR of a function model: its kind, size and the register handler behind it. */
export interface BarSpec {
  /** BAR number (0..5 for an endpoint, 0..1 for a bridge); a 64-bit BAR also takes `index + 1`. */
  index: number;
  /** I/O space, 32-bit memory, or 64-bit memory (two BAR registers). */
  kind: "memory32" | "memory64" | "io";
  /** Size in bytes: a power of two, at least 16 for memory and 4 for I/O. */
  size: number;
  /** Prefetchable memory (bit 3). Ignored for I/O. */
  prefetchable?: boolean;
  /** The device's registers behind this BAR; offsets are relative to the BAR's address. */
  handler: MmioHandler;
  /** Name of the bus region ("ixgbe BAR0"); defaults to "pci BARn". */
  name?: string;
}

/** What a type 0 (endpoint) function looks like from configuration space. */
export interface PciFunctionOptions {
  vendorId: number;
  deviceId: number;
  /** Base class code (0x02 network). */
  classCode: number;
  subclass: number;
  progIf?: number;
  revision?: number;
  subsystemVendorId?: number;
  subsystemId?: number;
  /** Interrupt pin: 0 none, 1 INTA# .. 4 INTD#. */
  interruptPin?: number;
  /** Header type bit 7 (set on function 0 of a multi-function device). */
  multifunction?: boolean;
  bars: BarSpec[];
}

/** The address spaces a function's BARs decode on. */
export interface PciBuses {
  /** Memory BARs. */
  mmio: AddressBus;
  /** I/O BARs. */
  io: AddressBus;
}

/** A BAR as the model tracks it. */
interface BarState {
  readonly spec: BarSpec;
  readonly isIo: boolean;
  readonly is64: boolean;
  /** The bus region while attached to a machine. */
  mapping: BusMapping | undefined;
  bus: AddressBus | undefined;
}

const TWO32 = 0x1_0000_0000;

function isPowerOfTwo(n: number): boolean {
  return Number.isSafeInteger(n) && n > 0 && 2 ** Math.round(Math.log2(n)) === n;
}

function checkAccess(offset: number, width: number, size: number): void {
  if (
    !(width === 1 || width === 2 || width === 4) ||
    !Number.isInteger(offset) ||
    offset < 0 ||
    offset + width > size ||
    (offset & (width - 1)) !== 0
  ) {
    throw new RangeError(`config access of ${width} bytes at 0x${offset.toString(16)} outside or misaligned`);
  }
}

/** Command bits an endpoint implements (pci.md §5): I/O, memory, bus master, parity, SERR#, INTx disable. */
export const PCI_COMMAND_WRITABLE =
  PCI_COMMAND_IO |
  PCI_COMMAND_MEMORY |
  PCI_COMMAND_MASTER |
  PCI_COMMAND_PARITY |
  PCI_COMMAND_SERR |
  PCI_COMMAND_INTX_DISABLE;

/** The common-header fields (pci.md §2) every function model has. */
export interface CommonHeaderOptions {
  vendorId: number;
  deviceId: number;
  classCode: number;
  subclass: number;
  progIf?: number;
  revision?: number;
  multifunction?: boolean;
}

/**
 * The configuration space every PCI function model shares: 4 KiB of bytes with a per-bit write mask
 * (read-only bits ignore writes, as hardware does) and a write-1-to-clear mask, BARs whose region decodes on
 * the machine's buses at the address the BAR holds while the command register enables it, and a capability
 * list. Subclasses lay out a type 0 ({@link PciFunctionModel}) or type 1 ({@link PciBridgeModel}) header.
 */
export abstract class PciConfigModel {
  /** Current configuration space. */
  protected readonly cfg = new Uint8Array(PCI_CONFIG_SPACE_ECAM);
  /** Bits software may change. */
  protected readonly wmask = new Uint8Array(PCI_CONFIG_SPACE_ECAM);
  /** Bits cleared by writing 1. */
  protected readonly w1cmask = new Uint8Array(PCI_CONFIG_SPACE_ECAM);
  /** The power-on image restored by {@link PciConfigModel.reset}. */
  private readonly initial = new Uint8Array(PCI_CONFIG_SPACE_ECAM);
  /** BAR register index -> state (the upper half of a 64-bit BAR points at the same state). */
  protected readonly barStates: (BarState | undefined)[];
  private barList: BarState[] = [];
  private capLast = 0;
  private capFree = PCI_STD_HEADER_END;
  private msixCap = 0;
  private buses: PciBuses | undefined;
  /** A name for bus regions and messages. */
  name: string;

  /** Hook: called after the command register changes (e.g. bus mastering). */
  onCommandWrite?: (command: number) => void;
  /**
   * Hook: called after any configuration write with the written offset, width and value (after masks were
   * applied), e.g. for a capability whose writable fields have side effects.
   */
  onConfigWrite?: (offset: number, width: AccessWidth, value: number) => void;

  /**
   * Hook: supplies the value of a configuration read (given the stored value), for fields whose content the
   * device computes at read time (e.g. a window onto BAR memory).
   */
  onConfigRead?: (offset: number, width: AccessWidth, stored: number) => number;

  private readonly writeListeners: ((offset: number, width: AccessWidth) => void)[] = [];

  /**
   * Adds a listener called after every configuration write (after {@link PciConfigModel.onCommandWrite} and
   * {@link PciConfigModel.onConfigWrite}); for helpers such as an MSI-X table that watch the capability.
   */
  addConfigWriteListener(listener: (offset: number, width: AccessWidth) => void): void {
    this.writeListeners.push(listener);
  }

  protected constructor(barCount: number, bars: BarSpec[], name: string) {
    this.name = name;
    this.barStates = new Array<BarState | undefined>(barCount).fill(undefined);
    for (const spec of bars) this.defineBar(spec, barCount);
  }

  // ---------------------------------------------------------------- construction helpers

  /** Sets a power-on byte (current and reset image) and its write masks. */
  protected init8(offset: number, value: number, writable = 0, w1c = 0): void {
    this.cfg[offset] = value;
    this.initial[offset] = value;
    this.wmask[offset] = writable;
    this.w1cmask[offset] = w1c;
  }

  /** Sets a power-on 16-bit field, little-endian. */
  protected init16(offset: number, value: number, writable = 0, w1c = 0): void {
    this.init8(offset, value & 0xff, writable & 0xff, w1c & 0xff);
    this.init8(offset + 1, (value >>> 8) & 0xff, (writable >>> 8) & 0xff, (w1c >>> 8) & 0xff);
  }

  /** Sets a power-on 32-bit field, little-endian. */
  protected init32(offset: number, value: number, writable = 0): void {
    this.init16(offset, value & 0xffff, writable & 0xffff);
    this.init16(offset + 2, (value >>> 16) & 0xffff, (writable >>> 16) & 0xffff);
  }

  /** Writes the common header (offsets 0x00..0x0F, pci.md §2) with its write masks. */
  protected initCommonHeader(opts: CommonHeaderOptions, layout: number): void {
    this.init16(PCI_VENDOR_ID, opts.vendorId & 0xffff);
    this.init16(PCI_DEVICE_ID, opts.deviceId & 0xffff);
    this.init16(PCI_COMMAND, 0, PCI_COMMAND_WRITABLE);
    this.init16(PCI_STATUS, 0, 0, PCI_STATUS_W1C_MASK);
    this.init8(PCI_REVISION_ID, (opts.revision ?? 0) & 0xff);
    this.init8(PCI_PROG_IF, (opts.progIf ?? 0) & 0xff);
    this.init8(PCI_SUBCLASS, opts.subclass & 0xff);
    this.init8(PCI_CLASS, opts.classCode & 0xff);
    this.init8(PCI_CACHE_LINE_SIZE, 0, 0xff);
    this.init8(PCI_LATENCY_TIMER, 0, 0xff);
    this.init8(PCI_HEADER_TYPE, layout | (opts.multifunction === true ? PCI_HEADER_TYPE_MULTIFUNCTION : 0));
  }

  private defineBar(spec: BarSpec, barCount: number): void {
    const { index, kind, size } = spec;
    const is64 = kind === "memory64";
    const isIo = kind === "io";
    if (!Number.isInteger(index) || index < 0 || index + (is64 ? 1 : 0) >= barCount) {
      throw new RangeError(`BAR ${index} (${kind}) does not fit a header with ${barCount} BARs`);
    }
    if (this.barStates[index] !== undefined || (is64 && this.barStates[index + 1] !== undefined)) {
      throw new RangeError(`BAR ${index} defined twice`);
    }
    if (!isPowerOfTwo(size)) throw new RangeError(`BAR ${index} size ${size} is not a power of two`);
    const min = isIo ? PCI_BAR_IO_MIN_SIZE : PCI_BAR_MEM_MIN_SIZE;
    if (size < min) throw new RangeError(`BAR ${index} size ${size} below ${min}`);
    if (!is64 && size > 0x8000_0000) throw new RangeError(`32-bit BAR ${index} size ${size} too large`);
    // pci.md §7.2: address bits below log2(size) read back as the fixed flag bits.
    const off = PCI_BAR0 + 4 * index;
    const state: BarState = { spec, isIo, is64, mapping: undefined, bus: undefined };
    if (isIo) {
      this.init32(off, PCI_BAR_SPACE_IO, ~(size - 1) & ~0x3);
    } else {
      const flags =
        (is64 ? PCI_BAR_MEM_TYPE_64 : 0) | (spec.prefetchable === true ? PCI_BAR_MEM_PREFETCH : 0);
      const low = size >= TWO32 ? 0 : ~(size - 1) & ~0xf;
      this.init32(off, flags, low);
      if (is64) {
        const high = size <= TWO32 ? 0xffff_ffff : ~(size / TWO32 - 1);
        this.init32(off + 4, 0, high);
        this.barStates[index + 1] = state;
      }
    }
    this.barStates[index] = state;
    this.barList.push(state);
  }

  // ---------------------------------------------------------------- capabilities

  /**
   * Appends a capability to the list (sets status bit 4 and the pointer at 0x34); `body` is the bytes after
   * the id and next bytes; returns its config offset. `writeMask` (same length as `body`) names the bits
   * software may write; by default the whole capability is read-only.
   */
  addCapability(id: number, body: ArrayLike<number>, writeMask?: ArrayLike<number>): number {
    const offset = this.capFree;
    const len = 2 + body.length;
    if (offset + len > PCI_CONFIG_SPACE_CAM) {
      throw new RangeError(`capability 0x${id.toString(16)} does not fit below 0x100`);
    }
    if (writeMask !== undefined && writeMask.length !== body.length) {
      throw new RangeError("capability write mask and body differ in length");
    }
    this.init8(offset, id & 0xff);
    this.init8(offset + 1, 0);
    for (let i = 0; i < body.length; i++) {
      this.init8(offset + 2 + i, body[i]! & 0xff, writeMask === undefined ? 0 : writeMask[i]! & 0xff);
    }
    if (this.capLast === 0) {
      this.init8(PCI_CAPABILITY_LIST, offset);
      const status = this.initial[PCI_STATUS]! | PCI_STATUS_CAP_LIST;
      this.cfg[PCI_STATUS] = this.cfg[PCI_STATUS]! | PCI_STATUS_CAP_LIST;
      this.initial[PCI_STATUS] = status;
    } else {
      this.init8(this.capLast + 1, offset);
    }
    this.capLast = offset;
    this.capFree = (offset + len + 3) & ~3;
    return offset;
  }

  /**
   * MSI-X capability (id 0x11) with table/PBA in the given BARs (pci.md §8): message control holds the table
   * size minus one; its function-mask (14) and enable (15) bits are writable.
   */
  addMsixCapability(
    tableSize: number,
    tableBar: number,
    tableOffset: number,
    pbaBar: number,
    pbaOffset: number,
  ): number {
    if (!Number.isInteger(tableSize) || tableSize < 1 || tableSize > 2048) {
      throw new RangeError(`MSI-X table size ${tableSize} outside 1..2048`);
    }
    for (const [bar, off] of [
      [tableBar, tableOffset],
      [pbaBar, pbaOffset],
    ] as const) {
      if (this.barStates[bar] === undefined || (off & 7) !== 0) {
        throw new RangeError(`MSI-X structure in BAR ${bar} at 0x${off.toString(16)} not possible`);
      }
    }
    const ctrl = tableSize - 1;
    const table = (tableOffset | tableBar) >>> 0;
    const pba = (pbaOffset | pbaBar) >>> 0;
    const body = [
      ctrl & 0xff,
      ctrl >>> 8,
      table & 0xff,
      (table >>> 8) & 0xff,
      (table >>> 16) & 0xff,
      table >>> 24,
      pba & 0xff,
      (pba >>> 8) & 0xff,
      (pba >>> 16) & 0xff,
      pba >>> 24,
    ];
    const mask = [0, (PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >>> 8, 0, 0, 0, 0, 0, 0, 0, 0];
    const off = this.addCapability(PCI_CAP_ID_MSIX, body, mask);
    this.msixCap = off;
    return off;
  }

  /** Offset of the MSI-X capability, or 0. */
  get msixCapability(): number {
    return this.msixCap;
  }

  /** Whether software set the MSI-X enable bit. */
  get msixEnabled(): boolean {
    return this.msixCap !== 0 && (this.read16(this.msixCap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_ENABLE) !== 0;
  }

  /** Whether software set the MSI-X function mask bit. */
  get msixFunctionMasked(): boolean {
    return this.msixCap !== 0 && (this.read16(this.msixCap + PCI_MSIX_FLAGS) & PCI_MSIX_FLAGS_MASKALL) !== 0;
  }

  // ---------------------------------------------------------------- state

  /** Current command register. */
  get command(): number {
    return this.read16(PCI_COMMAND);
  }

  /** Current status register. */
  get status(): number {
    return this.read16(PCI_STATUS);
  }

  /** Whether the function may master the bus (DMA): command bit 2. */
  get busMaster(): boolean {
    return (this.cfg[PCI_COMMAND]! & PCI_COMMAND_MASTER) !== 0;
  }

  /** Whether memory BARs decode: command bit 1. */
  get memoryEnabled(): boolean {
    return (this.cfg[PCI_COMMAND]! & PCI_COMMAND_MEMORY) !== 0;
  }

  /** Whether I/O BARs decode: command bit 0. */
  get ioEnabled(): boolean {
    return (this.cfg[PCI_COMMAND]! & PCI_COMMAND_IO) !== 0;
  }

  /** Whether INTx is disabled (command bit 10). */
  get intxDisabled(): boolean {
    return (this.read16(PCI_COMMAND) & PCI_COMMAND_INTX_DISABLE) !== 0;
  }

  /** The device model's INTx line: sets or clears status bit 3 (Interrupt status). */
  setInterruptStatus(pending: boolean): void {
    const v = this.cfg[PCI_STATUS]!;
    this.cfg[PCI_STATUS] = pending ? v | PCI_STATUS_INTERRUPT : v & ~PCI_STATUS_INTERRUPT;
  }

  /** The device model signals an error condition: sets status bits (only W1C error bits stick). */
  raiseStatus(bits: number): void {
    const v = this.read16(PCI_STATUS) | (bits & PCI_STATUS_W1C_MASK);
    this.cfg[PCI_STATUS] = v & 0xff;
    this.cfg[PCI_STATUS + 1] = v >>> 8;
  }

  /**
   * Address BAR `index` holds (for a 64-bit BAR both halves combined), without flag bits; undefined when
   * the BAR is not implemented or is the upper half of a 64-bit BAR.
   */
  barAddress(index: number): number | undefined {
    const st = this.barStates[index];
    if (st === undefined || st.spec.index !== index) return undefined;
    return this.addressOf(st);
  }

  /** The BARs as declared. */
  get barSpecs(): readonly BarSpec[] {
    return this.barList.map((s) => s.spec);
  }

  private addressOf(st: BarState): number {
    const off = PCI_BAR0 + 4 * st.spec.index;
    const low = this.read32(off);
    if (st.isIo) return (low & ~0x3) >>> 0;
    const base = (low & ~0xf) >>> 0;
    return st.is64 ? base + this.read32(off + 4) * TWO32 : base;
  }

  // ---------------------------------------------------------------- config access

  /** Config space read (8/16/32-bit, naturally aligned, offset < 0x1000). */
  configRead(offset: number, width: AccessWidth): number {
    checkAccess(offset, width, PCI_CONFIG_SPACE_ECAM);
    const v = this.readStored(offset, width);
    return this.onConfigRead === undefined ? v : this.onConfigRead(offset, width, v);
  }

  private readStored(offset: number, width: AccessWidth): number {
    if (width === 1) return this.cfg[offset]!;
    if (width === 2) return this.read16(offset);
    return this.read32(offset);
  }

  /**
   * The device's own write to its configuration space (not software's): write masks do not apply, so a
   * model can update fields that are read-only to software. BAR regions follow the result.
   */
  deviceWrite(offset: number, width: AccessWidth, value: number): void {
    checkAccess(offset, width, PCI_CONFIG_SPACE_ECAM);
    for (let i = 0; i < width; i++) this.cfg[offset + i] = (value >>> (8 * i)) & 0xff;
    for (const st of this.barList) this.refreshBar(st);
  }

  /**
   * Config space write (8/16/32-bit, naturally aligned): read-only bits keep their value, write-1-to-clear
   * bits are cleared where a 1 is written, BAR writes move the BAR's bus region, command writes switch
   * decoding and call {@link PciConfigModel.onCommandWrite}.
   */
  configWrite(offset: number, width: AccessWidth, value: number): void {
    checkAccess(offset, width, PCI_CONFIG_SPACE_ECAM);
    const cmdBefore = this.read16(PCI_COMMAND);
    for (let i = 0; i < width; i++) {
      const o = offset + i;
      const b = (value >>> (8 * i)) & 0xff;
      const wm = this.wmask[o]!;
      let v = (this.cfg[o]! & ~wm) | (b & wm);
      v &= ~(b & this.w1cmask[o]!);
      this.cfg[o] = v;
    }
    const end = offset + width;
    const barStart = PCI_BAR0;
    const barEnd = PCI_BAR0 + 4 * this.barStates.length;
    const cmdAfter = this.read16(PCI_COMMAND);
    if (offset < barEnd && end > barStart) {
      for (let r = Math.max(0, (offset - barStart) >> 2); r < this.barStates.length; r++) {
        if (barStart + 4 * r >= end) break;
        const st = this.barStates[r];
        if (st !== undefined) this.refreshBar(st);
      }
    }
    if (cmdAfter !== cmdBefore) {
      for (const st of this.barList) this.refreshBar(st);
    }
    this.afterWrite(offset, width);
    if (cmdAfter !== cmdBefore && offset <= PCI_COMMAND + 1 && end > PCI_COMMAND) {
      this.onCommandWrite?.(cmdAfter);
    }
    this.onConfigWrite?.(offset, width, this.readStored(offset, width));
    for (const l of this.writeListeners) l(offset, width);
  }

  /** Subclass hook after a write's masks were applied (before the public hooks run). */
  protected afterWrite(_offset: number, _width: AccessWidth): void {}

  /** Returns the configuration space to its power-on image: BARs unassigned, decoding off. */
  reset(): void {
    this.cfg.set(this.initial);
    for (const st of this.barList) this.refreshBar(st);
  }

  protected read16(offset: number): number {
    return this.cfg[offset]! | (this.cfg[offset + 1]! << 8);
  }

  protected read32(offset: number): number {
    return (
      (this.cfg[offset]! |
        (this.cfg[offset + 1]! << 8) |
        (this.cfg[offset + 2]! << 16) |
        (this.cfg[offset + 3]! << 24)) >>>
      0
    );
  }

  // ---------------------------------------------------------------- bus decoding

  /**
   * Puts the BAR regions on `buses` (memory BARs on `mmio`, I/O BARs on `io`). Each decodes at the
   * address its BAR holds, only while the command register's memory (I/O) enable bit is set, and, as in
   * QEMU, not while the BAR holds 0 (unassigned). Called by the machine when the function is added.
   */
  attach(buses: PciBuses): void {
    if (this.buses !== undefined) throw new Error(`PCI function ${this.name} is attached already`);
    this.buses = buses;
    for (const st of this.barList) {
      const bus = st.isIo ? buses.io : buses.mmio;
      st.bus = bus;
      st.mapping = bus.map(
        this.addressOf(st),
        st.spec.size,
        st.spec.handler,
        st.spec.name ?? `${this.name} BAR${st.spec.index}`,
        false,
      );
      this.refreshBar(st);
    }
  }

  /** Whether the function is attached to a machine's buses. */
  get attached(): boolean {
    return this.buses !== undefined;
  }

  private refreshBar(st: BarState): void {
    const m = st.mapping;
    const bus = st.bus;
    if (m === undefined || bus === undefined) return;
    const addr = this.addressOf(st);
    const cmd = this.cfg[PCI_COMMAND]!;
    const decode = (st.isIo ? (cmd & PCI_COMMAND_IO) !== 0 : (cmd & PCI_COMMAND_MEMORY) !== 0) && addr !== 0;
    if (m.base !== addr) bus.move(m, addr);
    if (m.enabled !== decode) bus.setEnabled(m, decode);
  }
}

/**
 * A PCI endpoint function (type 0 header, pci.md §2–§3): ids, class, command/status, up to six BARs
 * (I/O, 32- and 64-bit memory, prefetchable) sized by the write-all-ones protocol, subsystem ids, interrupt
 * line/pin and a capability list. A device model owns one and puts its registers behind the BARs.
 */
export class PciFunctionModel extends PciConfigModel {
  /** The options it was made with. */
  readonly options: Readonly<PciFunctionOptions>;

  constructor(opts: PciFunctionOptions) {
    super(
      PCI_BAR_COUNT,
      opts.bars,
      `pci ${(opts.vendorId & 0xffff).toString(16).padStart(4, "0")}:${(opts.deviceId & 0xffff).toString(16).padStart(4, "0")}`,
    );
    this.options = opts;
    this.initCommonHeader(opts, PCI_HEADER_TYPE_NORMAL);
    this.init16(PCI_SUBSYSTEM_VENDOR_ID, (opts.subsystemVendorId ?? 0) & 0xffff);
    this.init16(PCI_SUBSYSTEM_ID, (opts.subsystemId ?? 0) & 0xffff);
    this.init8(PCI_INTERRUPT_LINE, 0, 0xff);
    this.init8(PCI_INTERRUPT_PIN, (opts.interruptPin ?? 0) & 0xff);
  }

  /** The vendor id. */
  get vendorId(): number {
    return this.read16(PCI_VENDOR_ID);
  }
  /** The device id. */
  get deviceId(): number {
    return this.read16(PCI_DEVICE_ID);
  }
}
