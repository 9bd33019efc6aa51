// Shared set-up of the virtio tests: a machine with virtio-net models on any transport, and drivers
// brought up on them the way the platform probe does (BARs assigned, then the virtio probe helpers).

import { DevError, type DevResult, unwrap } from "../src/base/dev-error.js";
import {
  type ProbedVirtioDevice,
  probeMmioDevice,
  probePciDevice,
  VirtIoNetDev,
} from "../src/drivers/virtio/index.js";
import type { VirtIoNetDevOptions } from "../src/drivers/virtio/net-dev.js";
import { Machine } from "../src/emu/machine.js";
import {
  VirtioLegacyPciDevice,
  VirtioMmioTransport,
  VirtioNetModel,
  type VirtioNetModelOptions,
  VirtioPciDevice,
  VirtioTransitionalPciDevice,
} from "../src/emu/virtio/index.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";
import { MmioConfigAccess } from "../src/pci/config-access.js";
import { PciRoot } from "../src/pci/root.js";
import { DeviceFunction } from "../src/pci/types.js";
import { allocatorsFor, configurePciFunction, type PciAllocators } from "../src/platform/probe.js";

/** The four transports, and the transitional PCI function (both PCI interfaces, QEMU's default). */
export type TransportKind = "mmio" | "mmio-legacy" | "pci" | "pci-legacy" | "pci-transitional";
export const TRANSPORTS: readonly TransportKind[] = ["mmio", "mmio-legacy", "pci", "pci-legacy"];

/** Base of the virtio-mmio slots (QEMU virt's). */
export const MMIO_BASE = 0x0a00_0000;

/** Where a model sits. */
export type Slot =
  | { kind: "mmio" | "mmio-legacy"; base: number }
  | { kind: "pci" | "pci-legacy" | "pci-transitional"; bdf: DeviceFunction };

/** A model on the machine, before or after its driver is up. */
export interface NicModel {
  model: VirtioNetModel;
  slot: Slot;
  pci?: VirtioPciDevice;
  legacyPci?: VirtioLegacyPciDevice;
}

/** How the driver is brought up. */
export interface OpenOptions extends VirtIoNetDevOptions {
  /** Probe a transitional function through its legacy interface. */
  preferLegacy?: boolean;
}

/** A machine plus what the probe flow keeps (PCI root, BAR allocators). */
export class VirtioRig {
  readonly machine: Machine;
  readonly allocators: PciAllocators;
  private root: PciRoot | undefined;
  private count = 0;

  constructor(ramSize = 64 * 1024 * 1024) {
    this.machine = new Machine({ ramSize });
    this.allocators = allocatorsFor(this.machine.config);
  }

  get hal() {
    return this.machine.hal;
  }

  /** Adds a model on `kind`; MAC 52:54:00:12:34:(0x10 + n). */
  addModel(kind: TransportKind, opts: VirtioNetModelOptions = {}): NicModel {
    const n = this.count++;
    const model = new VirtioNetModel(this.machine.ram, {
      name: `virtio-net${n}`,
      mac: [0x52, 0x54, 0x00, 0x12, 0x34, 0x10 + n],
      ...opts,
    });
    switch (kind) {
      case "mmio":
      case "mmio-legacy": {
        const base = MMIO_BASE + n * 0x200;
        const t = new VirtioMmioTransport(model, { version: kind === "mmio" ? 2 : 1 });
        this.machine.addVirtioMmioDevice(base, 0x200, t);
        return { model, slot: { kind, base } };
      }
      case "pci": {
        const dev = new VirtioPciDevice(model);
        const bdf = new DeviceFunction(0, 1 + n, 0);
        this.machine.addPciDevice(bdf, dev.fn);
        return { model, slot: { kind, bdf }, pci: dev };
      }
      case "pci-legacy": {
        const dev = new VirtioLegacyPciDevice(model);
        const bdf = new DeviceFunction(0, 1 + n, 0);
        this.machine.addPciDevice(bdf, dev.fn);
        return { model, slot: { kind, bdf }, legacyPci: dev };
      }
      case "pci-transitional": {
        const dev = new VirtioTransitionalPciDevice(model);
        const bdf = new DeviceFunction(0, 1 + n, 0);
        this.machine.addPciDevice(bdf, dev.fn);
        return { model, slot: { kind, bdf }, pci: dev };
      }
    }
  }

  /** The PCI root over ECAM, as the probe makes it. */
  pciRoot(): PciRoot {
    if (this.root === undefined) {
      const c = this.machine.config;
      this.root = new PciRoot(unwrap(MmioConfigAccess.map(this.hal, c.pciEcamBase, c.pciBusEnd, "ecam")));
    }
    return this.root;
  }

  /** Finds the transport as the probe would (BARs assigned for PCI). */
  probe(slot: Slot, preferLegacy = false): DevResult<ProbedVirtioDevice> {
    if ("base" in slot) {
      const p = probeMmioDevice(this.hal, slot.base, 0x200);
      return p ?? DevError.withDetail("Unsupported", "no virtio-mmio device");
    }
    const root = this.pciRoot();
    const info = root.functionInfo(slot.bdf);
    if (info === undefined) return DevError.withDetail("Unsupported", "no PCI function");
    const bars = configurePciFunction(root, slot.bdf, this.allocators);
    if (bars instanceof DevError) return bars;
    const p = probePciDevice(this.hal, root, slot.bdf, info, { preferLegacy });
    return p ?? DevError.withDetail("Unsupported", "not a virtio function");
  }

  /** Brings the driver up on a model. */
  open(nic: NicModel, opts: OpenOptions = {}): DevResult<VirtIoNetDev> {
    const p = this.probe(nic.slot, opts.preferLegacy === true);
    if (p instanceof DevError) return p;
    return VirtIoNetDev.create(p.transport, this.hal, opts);
  }

  /** A model plus its driver (throws on failure). */
  addNic(
    kind: TransportKind,
    modelOpts: VirtioNetModelOptions = {},
    devOpts: OpenOptions = {},
  ): NicModel & { dev: VirtIoNetDev } {
    const m = this.addModel(kind, modelOpts);
    return { ...m, dev: unwrap(this.open(m, devOpts)) };
  }
}

/** Plugs two models into each other, as a wire would. */
export function connect(a: VirtioNetModel, b: VirtioNetModel): void {
  a.port.connect(b);
  b.port.connect(a);
}

/** Fills a frame: dst = src = a fixed MAC pattern, then bytes from `seed`. */
export function fillFrame(bytes: Uint8Array, off: number, len: number, seed: number): void {
  for (let i = 0; i < len; i++) bytes[off + i] = (seed * 31 + i * 7 + (i >>> 8)) & 0xff;
  // a sequence number at 14..17 (after the Ethernet header)
  if (len >= 18) {
    bytes[off + 14] = seed & 0xff;
    bytes[off + 15] = (seed >>> 8) & 0xff;
    bytes[off + 16] = (seed >>> 16) & 0xff;
    bytes[off + 17] = (seed >>> 24) & 0xff;
  }
}

/** Checks a frame filled by {@link fillFrame}; returns the index of the first wrong byte or -1. */
export function checkFrame(bytes: Uint8Array, off: number, len: number, seed: number): number {
  for (let i = 0; i < len; i++) {
    let want = (seed * 31 + i * 7 + (i >>> 8)) & 0xff;
    if (len >= 18 && i >= 14 && i < 18) want = (seed >>> (8 * (i - 14))) & 0xff;
    if (bytes[off + i] !== want) return i;
  }
  return -1;
}

/** Sends one frame of `len` bytes with `seed` from `dev` (alloc, fill, transmit). */
export function sendFrame(dev: VirtIoNetDev, len: number, seed: number): DevResult<void> {
  const p = dev.allocTxBuffer(len);
  if (p instanceof DevError) return p;
  fillFrame(p.bytes, p.offset, len, seed);
  return dev.transmit(p);
}

/** Receives one frame and returns a copy of its bytes and recycles the buffer. */
export function receiveCopy(dev: VirtIoNetDev): DevResult<Uint8Array> {
  const p = dev.receive();
  if (p instanceof DevError) return p;
  const copy = p.bytes.slice(p.offset, p.offset + p.len);
  unwrap(dev.recycleRxBuffer(p));
  return copy;
}

/** Sum of a driver's buffer census (every buffer is in exactly one place). */
export function censusTotal(dev: VirtIoNetDev): number {
  const c = dev.bufferCensus();
  return c.user + c.txFree + c.rxRing + c.txRing + c.pool;
}

export type { NetBufPtr };
