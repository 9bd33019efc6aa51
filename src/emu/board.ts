/**
 * A board: an emulated {@link Machine} carrying a list of NICs of any family, each at its own place
 * (PCI function, virtio-mmio slot, platform device) with its own MAC address, and each model's
 * {@link NicPort} handed back so links can join them. Pure: no Node API.
 *
 * ```ts
 * const board = buildBoard({ nics: ["virtio-net-pci", "ixgbe"] });
 * new Wire(board.nics[0].port, board.nics[1].port); // then probe board.machine with the platform flow
 * ```
 */
import { FXMAC0_BASE, FXMAC0_QUEUE0_IRQ, GEM_REGION_SIZE } from "../hw/gem/registers.js";
import { DeviceFunction } from "../pci/types.js";
import type { NicPort } from "./frame-port.js";
import { GemModel } from "./gem/gem-model.js";
import type { Ixgbe82599 } from "./ixgbe/ixgbe-model.js";
import { Ixgbe82599Pci } from "./ixgbe/ixgbe-pci.js";
import { Machine } from "./machine.js";
import type { ModelMode } from "./model-error.js";
import { VirtioLegacyPciDevice } from "./virtio/legacy-pci-transport.js";
import { VirtioMmioTransport } from "./virtio/mmio-transport.js";
import { VirtioNetModel } from "./virtio/net-model.js";
import { VirtioPciDevice } from "./virtio/pci-transport.js";

/** The NIC kinds a board can carry. */
export const BOARD_NIC_KINDS = [
  "virtio-net-pci",
  "virtio-net-legacy",
  "virtio-net-mmio",
  "ixgbe",
  "fxmac",
] as const;
/** One of {@link BOARD_NIC_KINDS}: virtio-net over modern PCI, transitional PCI (legacy I/O BAR) or
 * virtio-mmio; an Intel 82599 PCI function; a Phytium FXMAC (GEM) platform device. */
export type BoardNicKind = (typeof BOARD_NIC_KINDS)[number];

/** One NIC of a board, with its knobs. */
export interface BoardNicSpec {
  kind: BoardNicKind;
  /** virtio-net-mmio only: register layout version 2 (modern, default) or 1 (legacy). */
  mmioVersion?: 1 | 2;
  /**
   * virtio kinds only: the device's queue size — the largest a modern transport offers, the fixed size of
   * the legacy PCI interface (the driver must use it). Default {@link BoardOptions.virtioQueueSize}.
   */
  queueSize?: number;
  /** MAC address (default: a distinct one per NIC, see {@link boardMac}). */
  mac?: ArrayLike<number>;
}

/** What {@link buildBoard} makes. */
export interface BoardOptions {
  /** The NICs, in order: PCI ones take devices 1, 2, ... on bus 0, virtio-mmio ones the slots from
   * {@link BOARD_VIRTIO_MMIO_BASE}, FXMACs the bases from FXMAC0 on. */
  nics: readonly (BoardNicKind | BoardNicSpec)[];
  /** RAM size in bytes (default: enough for the NICs' drivers, see {@link boardRamSize}). */
  ramSize?: number;
  /** Default queue size of the virtio devices (default 256). */
  virtioQueueSize?: number;
  /** Models throw on a driver's protocol violation (default true). */
  strict?: boolean;
}

/** Where a board NIC sits, in the probe flow's terms. */
export type BoardNicLocation =
  | { bus: "pci"; bdf: DeviceFunction }
  | { bus: "mmio"; base: number; size: number }
  | { bus: "platform"; compatible: string; base: number; size: number; irq: number };

/** The device model behind a board NIC. */
export type BoardNicModel =
  | { family: "virtio"; model: VirtioNetModel }
  | { family: "ixgbe"; model: Ixgbe82599; pci: Ixgbe82599Pci }
  | { family: "gem"; model: GemModel };

/** A NIC on the board. */
export interface BoardNic {
  /** Position in {@link BoardOptions.nics}. */
  readonly index: number;
  readonly kind: BoardNicKind;
  /** A short unique name: the kind, `-v1` for a legacy virtio-mmio, `#2`... for repeats. */
  readonly label: string;
  /** The MAC address the model holds (what the driver will read). */
  readonly mac: Uint8Array;
  /** The model's cable socket: plug a wire in here. */
  readonly port: NicPort;
  /** Where the probe will find it. */
  readonly location: BoardNicLocation;
  /** The model itself (for counters and link state). */
  readonly device: BoardNicModel;
}

/** A machine with NICs. */
export interface Board {
  readonly machine: Machine;
  readonly nics: readonly BoardNic[];
}

/** Base of the virtio-mmio slots (QEMU virt's), 0x200 bytes each. */
export const BOARD_VIRTIO_MMIO_BASE = 0x0a00_0000;
/** Size of a virtio-mmio slot. */
export const BOARD_VIRTIO_MMIO_SIZE = 0x200;
/** Largest number of FXMACs (FXMAC0.. at consecutive 0x2000 windows; fxmac-gem 1 names four). */
export const BOARD_MAX_FXMAC = 4;
/** Largest number of PCI NICs (devices 1..31 of bus 0). */
export const BOARD_MAX_PCI = 31;

/**
 * The default MAC of NIC `index` of a board: a locally administered unicast address per family, the last
 * byte the index, so every NIC of a board differs — virtio 52:54:00:12:34:NN (QEMU's prefix), ixgbe
 * 02:1b:21:00:00:NN, fxmac 02:fa:c0:00:00:NN.
 */
export function boardMac(kind: BoardNicKind, index: number): Uint8Array {
  const n = index & 0xff;
  switch (kind) {
    case "ixgbe":
      return Uint8Array.of(0x02, 0x1b, 0x21, 0x00, 0x00, n);
    case "fxmac":
      return Uint8Array.of(0x02, 0xfa, 0xc0, 0x00, 0x00, n);
    default:
      return Uint8Array.of(0x52, 0x54, 0x00, 0x12, 0x34, n);
  }
}

/** RAM the drivers of these NICs need by default, with room to spare: 32 MiB plus per NIC 16 MiB for an
 * ixgbe (its 4096 x 2 KiB pool and rings) and 4 MiB plus 16 KiB per queue entry for the others. */
export function boardRamSize(specs: readonly BoardNicSpec[], virtioQueueSize = 256): number {
  let bytes = 32 * 1024 * 1024;
  for (const s of specs) {
    if (s.kind === "ixgbe") bytes += 16 * 1024 * 1024;
    else bytes += 4 * 1024 * 1024 + (s.queueSize ?? virtioQueueSize) * 16 * 1024;
  }
  return bytes;
}

function specOf(n: BoardNicKind | BoardNicSpec): BoardNicSpec {
  return typeof n === "string" ? { kind: n } : n;
}

/**
 * Builds a machine holding `opts.nics`. Throws `RangeError` for an unknown kind, too many PCI NICs or
 * FXMACs, or a bad queue size (the models' own checks).
 */
export function buildBoard(opts: BoardOptions): Board {
  const specs = opts.nics.map(specOf);
  const virtioQs = opts.virtioQueueSize ?? 256;
  const strict = opts.strict ?? true;
  const mode: Partial<ModelMode> = { strict, hostile: false };
  const machine = new Machine({ ramSize: opts.ramSize ?? boardRamSize(specs, virtioQs) });
  const nics: BoardNic[] = [];
  const seen = new Map<string, number>();
  let pciDevice = 0;
  let mmioSlot = 0;
  let fxmacs = 0;
  specs.forEach((spec, index) => {
    const mac = spec.mac !== undefined ? Uint8Array.from(spec.mac) : boardMac(spec.kind, index);
    if (mac.length !== 6) throw new RangeError(`NIC ${index}: a MAC address has 6 bytes`);
    let base: string = spec.kind;
    if (spec.kind === "virtio-net-mmio" && spec.mmioVersion === 1) base += "-v1";
    const k = (seen.get(base) ?? 0) + 1;
    seen.set(base, k);
    const label = k === 1 ? base : `${base}#${k}`;
    const nextBdf = (): DeviceFunction => {
      if (pciDevice >= BOARD_MAX_PCI) throw new RangeError(`more than ${BOARD_MAX_PCI} PCI NICs`);
      pciDevice++;
      return new DeviceFunction(0, pciDevice, 0);
    };
    const virtio = () =>
      new VirtioNetModel(machine.ram, {
        name: label,
        mac,
        queueSize: spec.queueSize ?? virtioQs,
        mode,
      });
    const placed = ((): Pick<BoardNic, "port" | "location" | "device"> => {
      switch (spec.kind) {
        case "virtio-net-pci":
        case "virtio-net-legacy": {
          const model = virtio();
          const bdf = nextBdf();
          const dev =
            spec.kind === "virtio-net-pci" ? new VirtioPciDevice(model) : new VirtioLegacyPciDevice(model);
          machine.addPciDevice(bdf, dev.fn);
          return { port: model.port, location: { bus: "pci", bdf }, device: { family: "virtio", model } };
        }
        case "virtio-net-mmio": {
          const model = virtio();
          const base = BOARD_VIRTIO_MMIO_BASE + mmioSlot * BOARD_VIRTIO_MMIO_SIZE;
          mmioSlot++;
          const t = new VirtioMmioTransport(model, { version: spec.mmioVersion ?? 2 });
          machine.addVirtioMmioDevice(base, BOARD_VIRTIO_MMIO_SIZE, t);
          return {
            port: model.port,
            location: { bus: "mmio", base, size: BOARD_VIRTIO_MMIO_SIZE },
            device: { family: "virtio", model },
          };
        }
        case "ixgbe": {
          const pci = new Ixgbe82599Pci(machine, { mac, strict });
          const bdf = nextBdf();
          machine.addPciDevice(bdf, pci.fn);
          return {
            port: pci.model.port,
            location: { bus: "pci", bdf },
            device: { family: "ixgbe", model: pci.model, pci },
          };
        }
        case "fxmac": {
          if (fxmacs >= BOARD_MAX_FXMAC) throw new RangeError(`more than ${BOARD_MAX_FXMAC} FXMACs`);
          const base = FXMAC0_BASE + fxmacs * GEM_REGION_SIZE;
          // only FXMAC0's interrupt id is in the reference; the others are polled and carry 0
          const irq = fxmacs === 0 ? FXMAC0_QUEUE0_IRQ : 0;
          fxmacs++;
          const gem = GemModel.attach(machine, { base, irq, mac, mode, recordMdio: false });
          const info = machine.config.platformDevices[machine.config.platformDevices.length - 1]!;
          return {
            port: gem.port,
            location: { bus: "platform", ...info },
            device: { family: "gem", model: gem },
          };
        }
        default:
          throw new RangeError(`unknown NIC kind ${(spec as { kind: string }).kind}`);
      }
    })();
    nics.push({ index, kind: spec.kind, label, mac, ...placed });
  });
  return { machine, nics };
}

/** The model's view of the link: up or down. */
export function boardLinkUp(nic: BoardNic): boolean {
  const d = nic.device;
  switch (d.family) {
    case "virtio":
      return d.model.isLinkUp;
    case "ixgbe":
      return d.model.isLinkUp;
    case "gem":
      return d.model.phy.linkUp;
  }
}
