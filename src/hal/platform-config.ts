import { DEFAULT_RAM_BASE } from "./phys-memory.js";

/** A platform (non-PCI) device in the machine description, as a device-tree node would give it. */
export interface PlatformDeviceInfo {
  /** Compatible string, e.g. `cdns,phytium-gem-1.0`. */
  compatible: string;
  /** Physical base of its registers. */
  base: number;
  /** Size of its register window. */
  size: number;
  /** Interrupt number. */
  irq: number;
}

/** A memory window `[base, base + size)`. */
export interface AddressRange {
  base: number;
  size: number;
}

/**
 * The machine's description, in the spirit of ArceOS's axconfig: where RAM, the PCI host bridge and its
 * windows, the virtio-mmio slots and the platform devices are.
 */
export interface PlatformConfig {
  /** Physical base of RAM (default 0x8000_0000). */
  ramBase: number;
  /** RAM size in bytes (default 64 MiB). */
  ramSize: number;
  /** Physical base of the ECAM configuration space (PCI_ECAM_BASE). */
  pciEcamBase: number;
  /** Last bus number probed (PCI_BUS_END). */
  pciBusEnd: number;
  /** 32-bit memory window for BARs (first entry of PCI_RANGES). */
  pciMmio32: AddressRange;
  /** 64-bit memory window for BARs. */
  pciMmio64: AddressRange;
  /** I/O port window for I/O BARs. */
  pciIo: AddressRange;
  /** virtio-mmio slots: base and size of each (VIRTIO_MMIO_REGIONS). */
  virtioMmioRegions: AddressRange[];
  /** Platform devices. */
  platformDevices: PlatformDeviceInfo[];
}

/** The default description: a QEMU-virt-like layout. */
export function defaultPlatformConfig(): PlatformConfig {
  return {
    ramBase: DEFAULT_RAM_BASE,
    ramSize: 64 * 1024 * 1024,
    // QEMU virt's high ECAM (ArceOS aarch64-qemu-virt PCI_ECAM_BASE); 256 buses take 256 MiB, which at a low
    // base would cover the Phytium FXMAC0 registers at 0x3200_C000
    pciEcamBase: 0x40_1000_0000,
    pciBusEnd: 0xff,
    pciMmio32: { base: 0x4000_0000, size: 0x4000_0000 },
    pciMmio64: { base: 0x80_0000_0000, size: 0x80_0000_0000 },
    pciIo: { base: 0x1000, size: 0xf000 },
    virtioMmioRegions: [],
    platformDevices: [],
  };
}
