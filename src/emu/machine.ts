import { DevError, type DevResult } from "../base/dev-error.js";
import { VirtualClock } from "../hal/clock.js";
import { BasicHal, type Hal } from "../hal/hal.js";
import type { MmioHandler, MmioRegion } from "../hal/mmio.js";
import { PhysicalMemory } from "../hal/phys-memory.js";
import {
  defaultPlatformConfig,
  type PlatformConfig,
  type PlatformDeviceInfo,
} from "../hal/platform-config.js";
import type { DeviceFunction } from "../pci/types.js";
import { AddressBus } from "./address-bus.js";
import type { PciConfigModel } from "./pci/pci-function.js";
import { PCI_CONFIG_ADDRESS_PORT, PciHost } from "./pci/pci-host.js";

/**
 * The emulated machine: physical RAM, an MMIO bus, an I/O port space, a virtual clock and the platform
 * description. Device models plug into it; drivers see it only through {@link Machine.hal}.
 */
export class Machine {
  /** Description of where things are. */
  readonly config: PlatformConfig;
  /** Physical RAM (DMA memory). */
  readonly ram: PhysicalMemory;
  /** The memory-mapped I/O bus. */
  readonly mmio: AddressBus;
  /** The I/O port space (legacy PCI I/O BARs). */
  readonly io: AddressBus;
  /** Virtual time. */
  readonly clock: VirtualClock;
  /** What drivers get: DMA from RAM, register windows on the buses, virtual time. */
  readonly hal: Hal;
  /** The PCI host bridge: root bus, bridges, configuration decoding (ECAM at `config.pciEcamBase`). */
  readonly pci: PciHost;

  constructor(config: Partial<PlatformConfig> = {}) {
    this.config = { ...defaultPlatformConfig(), ...config };
    this.ram = new PhysicalMemory(this.config.ramSize, this.config.ramBase);
    this.mmio = new AddressBus("mmio");
    this.io = new AddressBus("io");
    this.clock = new VirtualClock();
    const mmio = this.mmio;
    const io = this.io;
    const ram = this.ram;
    this.hal = new BasicHal(this.ram, this.clock, {
      mapMmio(paddr: number, size: number): DevResult<MmioRegion> {
        if (ram.contains(paddr, 1) || ram.contains(paddr + size - 1, 1)) {
          return DevError.withDetail("InvalidParam", `0x${paddr.toString(16)} is RAM, not registers`);
        }
        return mmio.window(paddr, size);
      },
      mapIo(port: number, size: number): DevResult<MmioRegion> {
        return io.window(port, size);
      },
    });
    this.pci = new PciHost({ mmio: this.mmio, io: this.io });
    // ECAM: 1 MiB of configuration space per bus, buses 0..PCI_BUS_END (pci.md §1)
    this.mmio.map(
      this.config.pciEcamBase,
      (this.config.pciBusEnd + 1) * 0x10_0000,
      this.pci.ecam,
      "pci-ecam",
    );
    // x86 configuration mechanism #1: ports 0xCF8 (address) and 0xCFC (data) (pci.md §1)
    this.io.map(PCI_CONFIG_ADDRESS_PORT, 8, this.pci.portCam, "pci-cf8");
  }

  /**
   * Adds a PCI function (a {@link PciFunctionModel} or {@link PciBridgeModel}) at `bdf`. Its configuration
   * space answers through ECAM; its BARs decode on {@link Machine.mmio} (memory) or {@link Machine.io} (I/O) at
   * the address each BAR holds, while the command register enables decoding. A function on a bus other than
   * 0 goes behind the bridge whose secondary bus number is that bus.
   */
  addPciDevice(bdf: DeviceFunction, fn: PciConfigModel): void {
    this.pci.add(bdf, fn);
  }

  /** Puts a device's registers at `[base, base + size)` on the MMIO bus. */
  addMmioDevice(base: number, size: number, handler: MmioHandler, name: string): void {
    if (this.mmio.resolve(base, 1) !== undefined || this.mmio.resolve(base + size - 1, 1) !== undefined) {
      throw new RangeError(`MMIO region ${name} at 0x${base.toString(16)} overlaps another`);
    }
    this.mmio.map(base, size, handler, name);
  }

  /** Adds a platform device: its registers on the bus and its entry in the description. */
  addPlatformDevice(info: PlatformDeviceInfo, handler: MmioHandler): void {
    this.addMmioDevice(info.base, info.size, handler, info.compatible);
    this.config.platformDevices.push({ ...info });
  }

  /** Adds a virtio-mmio device: its registers on the bus and its slot in the description. */
  addVirtioMmioDevice(base: number, size: number, handler: MmioHandler): void {
    this.addMmioDevice(base, size, handler, "virtio-mmio");
    this.config.virtioMmioRegions.push({ base, size });
  }
}
