// The board builder: NICs of every family on one machine, where the probe finds them, distinct MACs,
// ports a wire can join; probed through the platform flow, frames cross mixed-family wires intact.
import { describe, expect, it } from "vitest";
import { DevError, unwrap } from "../src/base/dev-error.js";
import {
  BOARD_NIC_KINDS,
  BOARD_VIRTIO_MMIO_BASE,
  type BoardNic,
  boardLinkUp,
  boardMac,
  boardRamSize,
  buildBoard,
} from "../src/emu/board.js";
import { buildBoard as fromIndex } from "../src/emu/index.js";
import {
  FXMAC0_BASE,
  FXMAC1_BASE,
  FXMAC2_BASE,
  GEM_COMPATIBLE,
  GEM_REGION_SIZE,
} from "../src/hw/gem/index.js";
import { MmioReg } from "../src/hw/virtio/mmio.js";
import { LegacyPciReg } from "../src/hw/virtio/pci.js";
import { Wire } from "../src/link/wire.js";
import type { NetDriverOps } from "../src/net/net-driver-ops.js";
import { defaultDrivers, formatLocation, probeAllDevices } from "../src/platform/index.js";

const ALL = [...BOARD_NIC_KINDS];

function probe(board: ReturnType<typeof buildBoard>): Map<string, NetDriverOps> {
  const m = board.machine;
  const r = unwrap(probeAllDevices({ hal: m.hal, config: m.config, drivers: defaultDrivers() }));
  expect(r.failures).toEqual([]);
  const byLoc = new Map<string, NetDriverOps>();
  for (const d of r.devices.net) byLoc.set(formatLocation(d.location), d.device);
  return byLoc;
}

function where(n: BoardNic): string {
  const l = n.location;
  if (l.bus === "pci") return l.bdf.toString();
  if (l.bus === "mmio") return `virtio-mmio@0x${l.base.toString(16)}`;
  return `${l.compatible}@0x${l.base.toString(16)}`;
}

describe("buildBoard", () => {
  it("places each kind where the probe looks: PCI devices in order, virtio-mmio slots, FXMAC bases", () => {
    const b = buildBoard({
      nics: [
        "virtio-net-pci",
        "fxmac",
        "virtio-net-legacy",
        "virtio-net-mmio",
        { kind: "virtio-net-mmio", mmioVersion: 1 },
        "ixgbe",
        "fxmac",
        "fxmac",
      ],
    });
    expect(fromIndex).toBe(buildBoard);
    expect(b.nics.map((n) => n.label)).toEqual([
      "virtio-net-pci",
      "fxmac",
      "virtio-net-legacy",
      "virtio-net-mmio",
      "virtio-net-mmio-v1",
      "ixgbe",
      "fxmac#2",
      "fxmac#3",
    ]);
    expect(b.nics.map(where)).toEqual([
      "00:01.0",
      `${GEM_COMPATIBLE}@0x${FXMAC0_BASE.toString(16)}`,
      "00:02.0",
      "virtio-mmio@0xa000000",
      "virtio-mmio@0xa000200",
      "00:03.0",
      `${GEM_COMPATIBLE}@0x${FXMAC1_BASE.toString(16)}`,
      `${GEM_COMPATIBLE}@0x${FXMAC2_BASE.toString(16)}`,
    ]);
    const c = b.machine.config;
    expect(c.virtioMmioRegions).toEqual([
      { base: BOARD_VIRTIO_MMIO_BASE, size: 0x200 },
      { base: BOARD_VIRTIO_MMIO_BASE + 0x200, size: 0x200 },
    ]);
    expect(c.platformDevices).toEqual([
      { compatible: GEM_COMPATIBLE, base: FXMAC0_BASE, size: GEM_REGION_SIZE, irq: 87 },
      { compatible: GEM_COMPATIBLE, base: FXMAC1_BASE, size: GEM_REGION_SIZE, irq: 0 },
      { compatible: GEM_COMPATIBLE, base: FXMAC2_BASE, size: GEM_REGION_SIZE, irq: 0 },
    ]);
    // virtio-mmio register block: magic, version 2 and 1, device id 1 (network)
    const slot = (n: number) => unwrap(b.machine.hal.mapMmio(BOARD_VIRTIO_MMIO_BASE + n * 0x200, 0x200));
    expect(slot(0).read32(MmioReg.MAGIC_VALUE)).toBe(0x74726976);
    expect(slot(0).read32(MmioReg.VERSION)).toBe(2);
    expect(slot(1).read32(MmioReg.VERSION)).toBe(1);
    expect(slot(1).read32(MmioReg.DEVICE_ID)).toBe(1);
    // PCI identities through ECAM
    const ecam = unwrap(b.machine.hal.mapMmio(c.pciEcamBase, 0x10_0000));
    const id = (dev: number) => ecam.read32(dev << 15);
    expect(id(1)).toBe(0x1041_1af4);
    expect(id(2)).toBe(0x1000_1af4);
    expect(id(3)).toBe(0x10fb_8086);
    expect(id(4)).toBe(0xffff_ffff);
  });

  it("gives every NIC a distinct unicast MAC, or the one asked for", () => {
    const b = buildBoard({
      nics: [...ALL, ...ALL, { kind: "ixgbe", mac: [0x02, 1, 2, 3, 4, 5] }],
    });
    const macs = b.nics.map((n) => Array.from(n.mac).join(":"));
    expect(new Set(macs).size).toBe(b.nics.length);
    for (const n of b.nics) expect(n.mac[0]! & 1).toBe(0);
    expect(Array.from(b.nics[10]!.mac)).toEqual([2, 1, 2, 3, 4, 5]);
    expect(Array.from(boardMac("ixgbe", 7))).toEqual([0x02, 0x1b, 0x21, 0, 0, 7]);
    expect(Array.from(boardMac("virtio-net-mmio", 3))).toEqual([0x52, 0x54, 0, 0x12, 0x34, 3]);
    expect(Array.from(boardMac("fxmac", 4))).toEqual([0x02, 0xfa, 0xc0, 0, 0, 4]);
  });

  it("refuses a fifth FXMAC, a bad MAC and a bad virtio queue size", () => {
    expect(() => buildBoard({ nics: ["fxmac", "fxmac", "fxmac", "fxmac", "fxmac"] })).toThrow(
      /more than 4 FXMACs/,
    );
    expect(() => buildBoard({ nics: [{ kind: "ixgbe", mac: [1, 2, 3] }] })).toThrow(/6 bytes/);
    expect(() => buildBoard({ nics: [{ kind: "virtio-net-pci", queueSize: 48 }] })).toThrow(/power of two/);
    expect(() => buildBoard({ nics: [{ kind: "e1000" as "ixgbe" }] })).toThrow(/unknown NIC kind e1000/);
  });

  it("sizes RAM for the drivers: more for an ixgbe and for big virtio queues", () => {
    const base = boardRamSize([]);
    expect(boardRamSize([{ kind: "ixgbe" }])).toBe(base + 16 * 1024 * 1024);
    expect(boardRamSize([{ kind: "fxmac" }])).toBeLessThan(boardRamSize([{ kind: "ixgbe" }]));
    expect(boardRamSize([{ kind: "virtio-net-pci", queueSize: 4096 }])).toBeGreaterThan(
      boardRamSize([{ kind: "virtio-net-pci" }]),
    );
    expect(buildBoard({ nics: ["ixgbe", "fxmac"] }).machine.ram.size).toBe(
      boardRamSize([{ kind: "ixgbe" }, { kind: "fxmac" }]),
    );
  });

  it("is probed by the platform flow: every NIC claimed, with the board's MAC", () => {
    const b = buildBoard({ nics: [...ALL, { kind: "virtio-net-mmio", mmioVersion: 1 }, "fxmac"] });
    const devs = probe(b);
    expect(devs.size).toBe(b.nics.length);
    for (const n of b.nics) {
      const d = devs.get(where(n));
      expect(d, n.label).toBeDefined();
      expect(Array.from(d!.macAddress().bytes)).toEqual(Array.from(n.mac));
      expect(boardLinkUp(n)).toBe(true);
    }
  });

  it("the legacy PCI virtio queue size is the board's (fixed by the device), read through the I/O BAR", () => {
    const b = buildBoard({ nics: [{ kind: "virtio-net-legacy", queueSize: 128 }] });
    const devs = probe(b);
    expect(devs.get("00:01.0")?.deviceName()).toBe("virtio-net");
    const nic = b.nics[0]!;
    expect(nic.device.family).toBe("virtio");
    const m = b.machine;
    const ecam = unwrap(m.hal.mapMmio(m.config.pciEcamBase, 0x10_0000));
    const bar0 = ecam.read32((1 << 15) + 0x10);
    expect(bar0 & 1).toBe(1); // an I/O BAR, assigned from the I/O window
    const port = bar0 & ~3;
    expect(port).toBeGreaterThanOrEqual(m.config.pciIo.base);
    const io = unwrap(m.hal.mapIo(port, 64));
    for (const q of [0, 1]) {
      io.write16(LegacyPciReg.QUEUE_SEL, q);
      expect(io.read16(LegacyPciReg.QUEUE_NUM)).toBe(128);
    }
    if (nic.device.family === "virtio") expect(nic.device.model.queues[0].maxSize).toBe(128);
  });

  for (const [x, y] of [
    ["virtio-net-pci", "ixgbe"],
    ["virtio-net-mmio", "fxmac"],
    ["virtio-net-legacy", "ixgbe"],
    ["fxmac", "ixgbe"],
  ] as const) {
    it(`joins ${x} and ${y} with a wire: a frame each way arrives byte for byte`, () => {
      const b = buildBoard({ nics: [x, y] });
      const [na, nb] = b.nics as [BoardNic, BoardNic];
      const wire = new Wire(na.port, nb.port);
      const devs = probe(b);
      const da = devs.get(where(na))!;
      const db = devs.get(where(nb))!;
      for (const [from, to, src, dst, len] of [
        [da, db, na, nb, 60],
        [db, da, nb, na, 1514],
      ] as const) {
        const p = unwrap(from.allocTxBuffer(len));
        p.bytes.set(dst.mac, p.offset);
        p.bytes.set(src.mac, p.offset + 6);
        p.bytes[p.offset + 12] = 0x88;
        p.bytes[p.offset + 13] = 0xb5;
        for (let i = 14; i < len; i++) p.bytes[p.offset + i] = (i * 13 + len) & 0xff;
        const sent = p.bytes.slice(p.offset, p.offset + len);
        expect(from.transmit(p)).toBeUndefined();
        const got = to.receive();
        expect(got).not.toBeInstanceOf(DevError);
        const r = got as Exclude<typeof got, DevError>;
        expect(r.len).toBe(len);
        expect(r.bytes.slice(r.offset, r.offset + r.len)).toEqual(sent);
        expect(to.recycleRxBuffer(r)).toBeUndefined();
        expect(from.recycleTxBuffers()).toBeUndefined();
      }
      expect(wire.aToB.frames).toBe(1);
      expect(wire.bToA.frames).toBe(1);
      expect(wire.aToB.bytes + wire.bToA.bytes).toBe(60 + 1514);
      expect(na.port.txFrames).toBe(1);
      expect(nb.port.txFrames).toBe(1);
    });
  }
});

describe("every NIC model is a NicModel: port and reset", () => {
  it("after a reset of every model, the platform probe brings every NIC up again and frames cross", () => {
    const b = buildBoard({ nics: ["virtio-net-pci", "ixgbe", "virtio-net-mmio", "fxmac"] });
    const first = probe(b);
    expect(first.size).toBe(4);
    for (const n of b.nics) n.device.model.reset();
    expect(boardLinkUp(b.nics[1]!)).toBe(false); // the 82599 reset takes the link down until it renegotiates
    const again = probe(b);
    expect(again.size).toBe(4);
    const [p, x, m, f] = b.nics as [BoardNic, BoardNic, BoardNic, BoardNic];
    new Wire(p.port, x.port);
    new Wire(m.port, f.port);
    for (const [from, to] of [
      [p, x],
      [x, p],
      [m, f],
      [f, m],
    ] as const) {
      const tx = again.get(where(from))!;
      const rx = again.get(where(to))!;
      const buf = unwrap(tx.allocTxBuffer(60));
      for (let i = 0; i < 60; i++) buf.bytes[buf.offset + i] = i < 6 ? to.mac[i]! : (i * 7) & 0xff;
      unwrap(tx.transmit(buf));
      const got = unwrap(rx.receive());
      expect(Array.from(got.packet().subarray(6))).toEqual(
        Array.from({ length: 54 }, (_, k) => ((k + 6) * 7) & 0xff),
      );
      unwrap(rx.recycleRxBuffer(got));
    }
  });
});
