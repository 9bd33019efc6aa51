import type { DevResult } from "../base/dev-error.js";

/** A PCI function's address: bus, device (0..31), function (0..7). */
export class DeviceFunction {
  constructor(
    readonly bus: number,
    readonly device: number,
    readonly func: number,
  ) {}

  /** `bb:dd.f` in hex, as lspci prints it. */
  toString(): string {
    return `${this.bus.toString(16).padStart(2, "0")}:${this.device.toString(16).padStart(2, "0")}.${this.func.toString(16)}`;
  }

  /** Parses `bb:dd.f` (or `dddd:bb:dd.f`); undefined when malformed. */
  static parse(text: string): DeviceFunction | undefined {
    const m = /^(?:[0-9a-fA-F]{4}:)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-7])$/.exec(text);
    if (m === null) return undefined;
    const dev = Number.parseInt(m[2]!, 16);
    if (dev > 31) return undefined;
    return new DeviceFunction(Number.parseInt(m[1]!, 16), dev, Number.parseInt(m[3]!, 16));
  }
}

/** What the first 16 bytes of a function's configuration space say about it. */
export interface DeviceFunctionInfo {
  vendorId: number;
  deviceId: number;
  /** Base class code. */
  classCode: number;
  subclass: number;
  progIf: number;
  revision: number;
  /** Header layout (bits 6:0 of the header type): 0 endpoint, 1 PCI-to-PCI bridge, 2 CardBus. */
  headerType: number;
  /** Bit 7 of the header type. */
  multifunction: boolean;
}

/** A BAR's decoded value and size. */
export type BarInfo =
  | {
      kind: "memory";
      /** Physical address (0 when unassigned). */
      address: number;
      size: number;
      prefetchable: boolean;
      /** Takes this BAR and the next. */
      is64: boolean;
    }
  | {
      kind: "io";
      /** Port address (0 when unassigned). */
      port: number;
      size: number;
    };

/** A capability in a function's capability list. */
export interface CapabilityInfo {
  /** Offset of the capability in configuration space. */
  offset: number;
  /** Capability id (0x09 vendor-specific, 0x11 MSI-X, ...). */
  id: number;
  /** The 16 bits after the id and next bytes (virtio-drivers' `private_header`), when read. */
  privateHeader?: number;
}

/**
 * Raw access to PCI configuration space, as virtio-drivers' `ConfigurationAccess`: aligned 32-bit reads
 * and writes; a function that is not there reads all ones.
 */
export interface ConfigurationAccess {
  /** Reads the dword at `offset` (4-aligned) of function `bdf`. */
  readWord(bdf: DeviceFunction, offset: number): number;
  /** Writes the dword at `offset` (4-aligned) of function `bdf`. */
  writeWord(bdf: DeviceFunction, offset: number, value: number): void;
}

/**
 * The operations a driver's PCI probe uses on a function (implemented by `PciRoot`).
 */
export interface PciFunctionAccess {
  readonly access: ConfigurationAccess;
  /** Reads an 8/16/32-bit field at any naturally aligned offset. */
  configRead8(bdf: DeviceFunction, offset: number): number;
  configRead16(bdf: DeviceFunction, offset: number): number;
  configRead32(bdf: DeviceFunction, offset: number): number;
  configWrite16(bdf: DeviceFunction, offset: number, value: number): void;
  configWrite32(bdf: DeviceFunction, offset: number, value: number): void;
  /** BAR `n` (0..5), sized by the write-all-ones protocol; undefined when the BAR is absent (size 0). */
  barInfo(bdf: DeviceFunction, n: number): DevResult<BarInfo | undefined>;
  /** The capability list. */
  capabilities(bdf: DeviceFunction): CapabilityInfo[];
  /** The command register. */
  getCommand(bdf: DeviceFunction): number;
  setCommand(bdf: DeviceFunction, command: number): void;
  /** The status register. */
  getStatus(bdf: DeviceFunction): number;
}
