import { DeviceType } from "../base/device-type.js";
import type { NetDriverOps } from "../net/net-driver-ops.js";
import type { DeviceFunction, DeviceFunctionInfo } from "../pci/types.js";

/** Where a device was found: a PCI function, a virtio-mmio slot, or a platform device. */
export type DeviceLocation =
  | { bus: "pci"; bdf: DeviceFunction; info: DeviceFunctionInfo }
  | { bus: "mmio"; base: number; size: number }
  | { bus: "platform"; compatible: string; base: number; size: number; irq: number };

/** `00:01.0`, `virtio-mmio@0xa000000`, `cdns,phytium-gem-1.0@0x3200c000`. */
export function formatLocation(loc: DeviceLocation): string {
  switch (loc.bus) {
    case "pci":
      return loc.bdf.toString();
    case "mmio":
      return `virtio-mmio@0x${loc.base.toString(16)}`;
    case "platform":
      return `${loc.compatible}@0x${loc.base.toString(16)}`;
  }
}

/** A device the probe brought up: the driver instance, which driver entry made it, and where it sits. */
export interface ProbedDevice {
  /** The driver instance. */
  readonly device: NetDriverOps;
  /** Name of the driver entry that claimed it ("ixgbe"). */
  readonly driver: string;
  /** Where it was found. */
  readonly location: DeviceLocation;
}

/**
 * The probed devices grouped by {@link DeviceType}, in probe order (ArceOS `AllDevices`; only network
 * drivers exist here, the other groups stay empty).
 */
export class DeviceContainer {
  private readonly groups = new Map<DeviceType, ProbedDevice[]>();

  constructor() {
    for (const t of Object.values(DeviceType)) this.groups.set(t, []);
  }

  /** Adds a device to the group of its type. */
  add(entry: ProbedDevice): void {
    const t = entry.device.deviceType();
    let g = this.groups.get(t);
    if (g === undefined) {
      g = [];
      this.groups.set(t, g);
    }
    g.push(entry);
  }

  /** The devices of type `t`. */
  ofType(t: DeviceType): readonly ProbedDevice[] {
    return this.groups.get(t) ?? [];
  }

  /** The network devices. */
  get net(): readonly ProbedDevice[] {
    return this.ofType(DeviceType.Net);
  }

  /** Every device, grouped by type in {@link DeviceType} order. */
  all(): ProbedDevice[] {
    return [...this.groups.values()].flat();
  }

  /** Number of devices. */
  get size(): number {
    let n = 0;
    for (const g of this.groups.values()) n += g.length;
    return n;
  }
}
