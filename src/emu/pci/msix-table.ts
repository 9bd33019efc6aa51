import type { AccessWidth } from "../../hal/mmio.js";
import {
  PCI_MSIX_ENTRY_ADDR_HI,
  PCI_MSIX_ENTRY_ADDR_LO,
  PCI_MSIX_ENTRY_CTRL_MASKBIT,
  PCI_MSIX_ENTRY_DATA,
  PCI_MSIX_ENTRY_SIZE,
  PCI_MSIX_ENTRY_VECTOR_CTRL,
} from "../../hw/pci/config.js";
import { ProtocolChecker } from "../model-error.js";
import type { PciConfigModel } from "./pci-function.js";

/** Where an MSI-X message goes: the machine's interrupt controller, a test recorder. */
export type MsixSink = (address: number, data: number, vector: number) => void;

const RULE_SECTION = "PCI Local Bus 3.0 §6.8.2";

/**
 * An MSI-X table and pending-bit array for a device model (pci.md §8): the model answers its BAR accesses
 * at the table and PBA offsets by calling {@link MsixTable.tableRead}/{@link MsixTable.tableWrite} and
 * {@link MsixTable.pbaRead}/{@link MsixTable.pbaWrite}, and raises vector `v` with
 * {@link MsixTable.notify}. A message is sent when MSI-X is enabled, neither the function nor the vector is
 * masked and bus mastering is on; otherwise the vector's pending bit is set, and the message goes out once
 * it is unmasked. Entries reset masked. Accesses other than aligned dwords are protocol errors ("software
 * must use aligned full DWORD or aligned full QWORD transactions"), raised in strict mode.
 */
export class MsixTable {
  /** 4 dwords per vector: address low, address high, data, vector control. */
  readonly entries: Uint32Array;
  /** One bit per vector, in 64-bit units as the PBA is laid out. */
  readonly pending: Uint32Array;
  /** Messages sent. */
  sent = 0;
  readonly checker: ProtocolChecker;

  constructor(
    private readonly fn: PciConfigModel,
    /** Number of vectors (the capability's table size). */
    readonly size: number,
    /** Where messages go. */
    public sink: MsixSink,
    checker?: ProtocolChecker,
  ) {
    if (!Number.isInteger(size) || size < 1 || size > 2048) throw new RangeError(`MSI-X table size ${size}`);
    this.entries = new Uint32Array(size * 4);
    this.pending = new Uint32Array(Math.ceil(size / 64) * 2);
    this.checker = checker ?? new ProtocolChecker(fn.name);
    this.reset();
    fn.addConfigWriteListener(() => this.deliverPending());
  }

  /** Bytes of the table. */
  get tableBytes(): number {
    return this.size * PCI_MSIX_ENTRY_SIZE;
  }

  /** Bytes of the PBA. */
  get pbaBytes(): number {
    return this.pending.length * 4;
  }

  /** Every vector masked, nothing pending, addresses and data zero. */
  reset(): void {
    this.entries.fill(0);
    for (let v = 0; v < this.size; v++) this.entries[v * 4 + 3] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
    this.pending.fill(0);
  }

  private check(offset: number, width: AccessWidth, limit: number, what: string): boolean {
    if (width !== 4 || (offset & 3) !== 0 || offset < 0 || offset + 4 > limit) {
      this.checker.violation(
        `MSI-X ${what} access of ${width} bytes at 0x${offset.toString(16)}: only aligned dwords/qwords`,
        RULE_SECTION,
      );
      return false;
    }
    return true;
  }

  /** A read at `offset` from the start of the table. */
  tableRead(offset: number, width: AccessWidth): number {
    if (!this.check(offset, width, this.tableBytes, "table")) return 0xffff_ffff;
    return this.entries[offset >>> 2]!;
  }

  /** A write at `offset` from the start of the table; unmasking a pending vector sends its message. */
  tableWrite(offset: number, width: AccessWidth, value: number): void {
    if (!this.check(offset, width, this.tableBytes, "table")) return;
    const i = offset >>> 2;
    const field = offset % PCI_MSIX_ENTRY_SIZE;
    if (field === PCI_MSIX_ENTRY_ADDR_LO)
      this.entries[i] = value & ~3; // dword-aligned address
    else if (field === PCI_MSIX_ENTRY_VECTOR_CTRL) {
      this.entries[i] = value & PCI_MSIX_ENTRY_CTRL_MASKBIT;
      this.deliverPending();
    } else this.entries[i] = value;
  }

  /** A read at `offset` from the start of the PBA. */
  pbaRead(offset: number, width: AccessWidth): number {
    if (!this.check(offset, width, this.pbaBytes, "PBA")) return 0xffff_ffff;
    return this.pending[offset >>> 2]!;
  }

  /** The PBA is read-only: writes are ignored (after the access check). */
  pbaWrite(offset: number, width: AccessWidth, _value: number): void {
    this.check(offset, width, this.pbaBytes, "PBA");
  }

  /** Whether vector `v` is masked, by its own bit or the function mask. */
  masked(v: number): boolean {
    return this.fn.msixFunctionMasked || (this.entries[v * 4 + 3]! & PCI_MSIX_ENTRY_CTRL_MASKBIT) !== 0;
  }

  /** Whether vector `v` has a message pending. */
  isPending(v: number): boolean {
    return (this.pending[v >>> 5]! & (1 << (v & 31))) !== 0;
  }

  /**
   * Raises vector `v`. Returns false when MSI-X is not enabled (the model then uses INTx, if at all), true
   * when the message was sent or left pending.
   */
  notify(v: number): boolean {
    if (v < 0 || v >= this.size) {
      this.checker.violation(`MSI-X vector ${v} outside the table of ${this.size}`, RULE_SECTION);
      return false;
    }
    if (!this.fn.msixEnabled) return false;
    if (this.masked(v) || !this.fn.busMaster) {
      this.pending[v >>> 5] = this.pending[v >>> 5]! | (1 << (v & 31));
      return true;
    }
    this.send(v);
    return true;
  }

  private send(v: number): void {
    const e = v * 4;
    const address =
      this.entries[e + PCI_MSIX_ENTRY_ADDR_LO / 4]! +
      this.entries[e + PCI_MSIX_ENTRY_ADDR_HI / 4]! * 0x1_0000_0000;
    this.sent++;
    this.sink(address, this.entries[e + PCI_MSIX_ENTRY_DATA / 4]!, v);
  }

  /** Sends the messages of pending vectors that are no longer masked. */
  deliverPending(): void {
    if (!this.fn.msixEnabled || !this.fn.busMaster) return;
    for (let w = 0; w < this.pending.length; w++) {
      let bits = this.pending[w]!;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits & -bits);
        bits &= bits - 1;
        const v = w * 32 + b;
        if (!this.masked(v)) {
          this.pending[w] = this.pending[w]! & ~(1 << b);
          this.send(v);
        }
      }
    }
  }
}
