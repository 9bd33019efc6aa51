// The 82599 model on its own, programmed register by register: reset, EEPROM, link, interrupts, statistics,
// aliases, RSS hash, descriptor formats, filters, and the strict-mode rules a driver can break.
import { describe, expect, it } from "vitest";
import { unwrap } from "../src/base/dev-error.js";
import {
  ixgbeFcs as ethernetFcs,
  Ixgbe82599,
  IxgbeRssEngine as RssEngine,
  ixgbeToeplitzHash as toeplitzHash,
} from "../src/emu/ixgbe/index.js";
import { Machine } from "../src/emu/machine.js";
import { ModelError } from "../src/emu/model-error.js";
import type { DmaRegion } from "../src/hal/dma.js";
import {
  IXGBE_ADVTXD_CMD_ONE_BUFFER,
  IXGBE_ADVTXD_DCMD_DEXT,
  IXGBE_ADVTXD_DCMD_RS,
  IXGBE_ADVTXD_DTYP_CTXT,
  IXGBE_ADVTXD_DTYP_DATA,
} from "../src/hw/ixgbe/descriptors.js";
import { IXGBE_BAR0_SIZE } from "../src/hw/ixgbe/ids.js";
import {
  IXGBE_AUTOC,
  IXGBE_AUTOC_AN_RESTART,
  IXGBE_AUTOC_LMS_1G_AN,
  IXGBE_AUTOC_LMS_MASK,
  IXGBE_CTRL,
  IXGBE_DCA_RXCTRL,
  IXGBE_DMATXCTL,
  IXGBE_EEC,
  IXGBE_EIAC,
  IXGBE_EICR,
  IXGBE_EICS,
  IXGBE_EIMC,
  IXGBE_EIMS,
  IXGBE_FCTRL,
  IXGBE_GORCH,
  IXGBE_GORCL,
  IXGBE_GOTCL,
  IXGBE_GPRC,
  IXGBE_GPTC,
  IXGBE_HLREG0,
  IXGBE_HLREG0_LPBK,
  IXGBE_HLREG0_RXCRCSTRP,
  IXGBE_IVAR,
  IXGBE_LINKS,
  IXGBE_MPC,
  IXGBE_MRQC,
  IXGBE_QPRC,
  IXGBE_QPTC,
  IXGBE_RAH,
  IXGBE_RAL,
  IXGBE_RDBAH,
  IXGBE_RDBAL,
  IXGBE_RDH,
  IXGBE_RDLEN,
  IXGBE_RDRXCTL,
  IXGBE_RDT,
  IXGBE_RETA,
  IXGBE_RSSRK,
  IXGBE_RXCTRL,
  IXGBE_RXDCTL,
  IXGBE_SRRCTL,
  IXGBE_TDBAH,
  IXGBE_TDBAL,
  IXGBE_TDH,
  IXGBE_TDLEN,
  IXGBE_TDT,
  IXGBE_TORL,
  IXGBE_TPR,
  IXGBE_TXDCTL,
} from "../src/hw/ixgbe/regs.js";
import { testFrame } from "./ixgbe-fixture.js";

const MS = 1_000_000;
const BASE = 0x4000_0000;
const MS_KEY = Uint8Array.from([
  0x6d, 0x5a, 0x56, 0xda, 0x25, 0x5b, 0x0e, 0xc2, 0x41, 0x67, 0x25, 0x3d, 0x43, 0xa3, 0x8f, 0xb0, 0xd0, 0xca,
  0x2b, 0xcb, 0xae, 0x7b, 0x30, 0xb4, 0x77, 0xcb, 0x2d, 0xa3, 0x80, 0x30, 0xf2, 0x0c, 0x6a, 0x42, 0xb7, 0x3b,
  0xbe, 0xac, 0x01, 0xfa,
]);

/** A machine with one model on the bus; the link is up (200 ms of virtual time passed). */
function rig(options: ConstructorParameters<typeof Ixgbe82599>[1] = {}) {
  const machine = new Machine();
  const model = new Ixgbe82599(machine, { mac: [0x02, 0, 0, 0, 0, 0x01], ...options });
  machine.addMmioDevice(BASE, IXGBE_BAR0_SIZE, model, "82599");
  machine.clock.advance(200 * MS);
  const rd = (off: number) => machine.mmio.read(BASE + off, 4);
  const wr = (off: number, v: number) => machine.mmio.write(BASE + off, 4, v >>> 0);
  return { machine, model, rd, wr };
}

type Rig = ReturnType<typeof rig>;

/** Programs RX queue `q` by hand: a ring of `n` descriptors with `bsize`-byte buffers, enabled, full. */
function rxQueue(t: Rig, q: number, n: number, bsize = 2048, descType = 0x0200_0000) {
  const { machine, wr } = t;
  const ring = unwrap(machine.hal.dmaAlloc(n * 16, 128));
  const bufs = unwrap(machine.hal.dmaAlloc(n * bsize));
  for (let i = 0; i < n; i++) machine.ram.write64(ring.offset + i * 16, bufs.paddr + i * bsize);
  wr(IXGBE_SRRCTL(q), descType | (bsize >>> 10));
  wr(IXGBE_RDBAL(q), ring.paddr);
  wr(IXGBE_RDBAH(q), 0);
  wr(IXGBE_RDLEN(q), n * 16);
  wr(IXGBE_RXDCTL(q), 1 << 25);
  wr(IXGBE_RDT(q), n - 1);
  return { ring, bufs };
}

/** Turns receive on (CRC stripped in MAC and DMA, accept all). */
function rxOn(t: Rig) {
  t.wr(IXGBE_RDRXCTL, t.rd(IXGBE_RDRXCTL) | 2);
  t.wr(IXGBE_FCTRL, 0x700);
  t.wr(IXGBE_RXCTRL, 1);
}

/** Programs TX queue `q` by hand: a ring of `n` descriptors, enabled, with transmit DMA on. */
function txQueue(t: Rig, q: number, n: number): DmaRegion {
  const { machine, wr } = t;
  const ring = unwrap(machine.hal.dmaAlloc(n * 16, 128));
  wr(IXGBE_TDBAL(q), ring.paddr);
  wr(IXGBE_TDBAH(q), 0);
  wr(IXGBE_TDLEN(q), n * 16);
  wr(IXGBE_TXDCTL(q), 1 << 25);
  wr(IXGBE_DMATXCTL, 1);
  return ring;
}

/** Writes TX descriptor `i` of `ring`. */
function txDesc(t: Rig, ring: DmaRegion, i: number, pa: number, cmd: number) {
  const o = ring.offset + i * 16;
  t.machine.ram.write64(o, pa);
  t.machine.ram.u32[(o + 8) >>> 2] = cmd;
  t.machine.ram.u32[(o + 12) >>> 2] = (cmd & 0xffff) << 14;
}

/** Frames the model sends, captured from its port. */
function capture(model: Ixgbe82599): Uint8Array[] {
  const got: Uint8Array[] = [];
  model.port.connect({
    receiveFrame(bytes, off, len) {
      got.push(bytes.slice(off, off + len));
      return true;
    },
  });
  return got;
}

/** Expects `fn` to raise a ModelError whose rule matches `rule` and whose section is `section`. */
function expectViolation(fn: () => void, rule: RegExp, section: string) {
  let err: unknown;
  try {
    fn();
  } catch (e) {
    err = e;
  }
  expect(err).toBeInstanceOf(ModelError);
  expect((err as ModelError).rule).toMatch(rule);
  expect((err as ModelError).section).toBe(section);
  expect((err as ModelError).device).toBe("82599");
}

describe("82599 model: receive-side scaling hash", () => {
  it("computes the Microsoft RSS verification values (Toeplitz)", () => {
    const cases: [number[], number[], number, number, number, number][] = [
      // src ip, dst ip, src port, dst port, IPv4 hash, IPv4/TCP hash
      [[66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766, 0x323e8fc2, 0x51ccc178],
      [[199, 92, 111, 2], [65, 69, 140, 83], 14230, 4739, 0xd718262a, 0xc626b0ea],
      [[24, 19, 198, 95], [12, 22, 207, 184], 12898, 38024, 0xd2d0a5de, 0x5c2b394a],
      [[38, 27, 205, 30], [209, 142, 163, 6], 48228, 2217, 0x82989176, 0xafc7327f],
      [[153, 39, 163, 191], [202, 188, 127, 2], 44251, 1303, 0x5d1809c5, 0x10e828a2],
    ];
    for (const [src, dst, sp, dp, h2, h4] of cases) {
      const input = Uint8Array.from([...src, ...dst, sp >>> 8, sp & 0xff, dp >>> 8, dp & 0xff]);
      expect(toeplitzHash(MS_KEY, input, 8)).toBe(h2);
      expect(toeplitzHash(MS_KEY, input, 12)).toBe(h4);
    }
  });

  it("classifies IPv4 TCP/UDP/fragments/non-IP by the MRQC field enables and looks the queue up in RETA", () => {
    const rss = new RssEngine();
    rss.key.set(MS_KEY);
    for (let i = 0; i < 128; i++) rss.reta[i] = i % 16;
    const tcp = tcpFrame([66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766, 6);
    const all = 0x0001_0000 | 0x0002_0000 | 0x0040_0000;
    rss.classify(tcp, 0, tcp.length, all);
    expect([rss.rssType, rss.hash, rss.queue, rss.packetType]).toEqual([1, 0x51ccc178, 0x78 % 16, 0x110]);
    rss.classify(tcp, 0, tcp.length, 0x0002_0000); // IPv4 only: the 2-tuple
    expect([rss.rssType, rss.hash]).toEqual([2, 0x323e8fc2]);
    const udp = tcpFrame([66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766, 17);
    rss.classify(udp, 0, udp.length, all);
    expect([rss.rssType, rss.hash, rss.packetType]).toEqual([7, 0x51ccc178, 0x210]);
    udp[14 + 6] = 0x20; // more fragments: no ports
    rss.classify(udp, 0, udp.length, all);
    expect([rss.rssType, rss.hash]).toEqual([2, 0x323e8fc2]);
    const other = testFrame(64, 1);
    rss.classify(other, 0, other.length, all);
    expect([rss.rssType, rss.hash, rss.queue]).toEqual([0, 0, 0]);
  });
});

function tcpFrame(src: number[], dst: number[], sp: number, dp: number, proto: number): Uint8Array {
  const f = new Uint8Array(64);
  f.set([0x02, 0, 0, 0, 0, 1, 0x02, 0, 0, 0, 0, 2, 0x08, 0x00]);
  f[14] = 0x45;
  f[14 + 9] = proto;
  f.set(src, 26);
  f.set(dst, 30);
  f.set([sp >>> 8, sp & 0xff, dp >>> 8, dp & 0xff], 34);
  return f;
}

describe("82599 model: reset, EEPROM, link, interrupts", () => {
  it("CTRL.RST resets every register, self-clears after its delay, then the EEPROM and DMA init complete", () => {
    const t = rig({ resetDelayNs: 50_000, eepromReadNs: 2 * MS, dmaInitNs: 300_000 });
    const { machine, model, rd, wr } = t;
    wr(IXGBE_FCTRL, 0x700);
    wr(IXGBE_EIMS, 0x10_0000);
    expect(rd(IXGBE_EEC) & 0x300).toBe(0x300);
    expect(rd(IXGBE_RAH(0))).toBe(0x8000_0100);
    wr(IXGBE_CTRL, 0x0400_0008);
    expect(rd(IXGBE_CTRL)).toBe(0x0400_0008);
    expect(model.isResetting).toBe(true);
    expect(rd(IXGBE_FCTRL)).toBe(0);
    expect(rd(IXGBE_EIMS)).toBe(0);
    expect(rd(IXGBE_LINKS)).toBe(0);
    expect(rd(IXGBE_RAH(0))).toBe(0);
    expect(rd(IXGBE_EEC) & 0x200).toBe(0);
    expectViolation(() => wr(IXGBE_FCTRL, 1), /before the global reset completed/, "82599 datasheet 4.6.3.2");
    machine.clock.advance(49_999);
    expect(rd(IXGBE_CTRL)).toBe(0x0400_0008);
    machine.clock.advance(1);
    expect(rd(IXGBE_CTRL)).toBe(0);
    machine.clock.advance(2 * MS - 1);
    expect(rd(IXGBE_EEC) & 0x200).toBe(0);
    machine.clock.advance(1);
    expect(rd(IXGBE_EEC) & 0x300).toBe(0x300); // auto-read done, EEPROM present
    expect(rd(IXGBE_RAL(0))).toBe(0x0000_0002);
    expect(rd(IXGBE_RAH(0))).toBe(0x8000_0100);
    expect(rd(IXGBE_RDRXCTL) & 8).toBe(0);
    machine.clock.advance(300_000);
    expect(rd(IXGBE_RDRXCTL) & 8).toBe(8);
    // EEC.ARD and DMAIDONE are read-only status (ixy.js' wait helper writes them)
    wr(IXGBE_EEC, 0);
    wr(IXGBE_RDRXCTL, 0);
    expect(rd(IXGBE_EEC) & 0x300).toBe(0x300);
    expect(rd(IXGBE_RDRXCTL) & 8).toBe(8);
  });

  it("AUTOC selects the link mode; a restart drops the link and raises it after the delay, with LSC", () => {
    const t = rig({ linkUpDelayNs: 5 * MS });
    const { machine, model, rd, wr } = t;
    const vectors: number[] = [];
    model.onInterrupt = (v) => vectors.push(v);
    expect(rd(IXGBE_LINKS)).toBe(0x7000_0000);
    expect(rd(IXGBE_EICR)).toBe(1 << 20); // the power-on link-up left LSC pending
    wr(IXGBE_EIMS, 1 << 20);
    expect(vectors).toEqual([]);
    wr(
      IXGBE_AUTOC,
      (rd(IXGBE_AUTOC) & ~IXGBE_AUTOC_LMS_MASK) | IXGBE_AUTOC_LMS_1G_AN | IXGBE_AUTOC_AN_RESTART,
    );
    expect(rd(IXGBE_AUTOC) & IXGBE_AUTOC_AN_RESTART).toBe(0); // self-clearing
    expect(rd(IXGBE_LINKS)).toBe(0);
    expect(vectors).toEqual([0]);
    expect(rd(IXGBE_EICR)).toBe(1 << 20); // read to clear
    expect(rd(IXGBE_EICR)).toBe(0);
    machine.clock.advance(5 * MS);
    expect(rd(IXGBE_LINKS)).toBe(0x6000_0000); // up, 1 Gb/s
    expect(vectors).toEqual([0, 0]);
    // masked causes stay in EICR without interrupting; EIMS enables, EIMC masks, writing 1 clears
    wr(IXGBE_EIMC, 0xffff_ffff);
    expect(rd(IXGBE_EIMS)).toBe(0);
    wr(IXGBE_EICS, 0x5);
    expect(vectors.length).toBe(2);
    expect(t.model.peekRegister(IXGBE_EICR) & 0x5).toBe(0x5);
    wr(IXGBE_EICR, 0x1);
    expect(t.model.peekRegister(IXGBE_EICR) & 0x5).toBe(0x4);
    wr(IXGBE_EIAC, 0x4);
    wr(IXGBE_EIMS, 0x4);
    expect(vectors.length).toBe(3);
    expect(t.model.peekRegister(IXGBE_EICR) & 0x4).toBe(0); // auto-cleared
  });

  it("maps SRRCTL(0..15) and DCA_RXCTRL(0..15) aliases onto the per-queue registers", () => {
    const { rd, wr } = rig();
    expect(rd(IXGBE_SRRCTL(3))).toBe(0x402); // default: 2 KiB buffers, 256-byte headers
    expect(rd(IXGBE_DCA_RXCTRL(3)) & 0x1000).toBe(0x1000);
    wr(IXGBE_SRRCTL(3), 0x0200_0002);
    expect(rd(0x01014 + 3 * 0x40)).toBe(0x0200_0002);
    wr(0x01014 + 5 * 0x40, 0x1234);
    expect(rd(IXGBE_SRRCTL(5))).toBe(0x1234);
    wr(IXGBE_DCA_RXCTRL(2), 0);
    expect(rd(0x0100c + 2 * 0x40)).toBe(0);
    expect(IXGBE_SRRCTL(20)).toBe(0x01014 + 20 * 0x40);
    expect(IXGBE_RDT(70)).toBe(0x0d018 + 6 * 0x40);
  });
});

describe("82599 model: queues and descriptors", () => {
  it("receives into advanced descriptors with write-back, counts statistics that clear on read", () => {
    const t = rig();
    const { machine, model, rd } = t;
    const { ring, bufs } = rxQueue(t, 0, 8);
    rxOn(t);
    const f = testFrame(100, 7);
    expect(model.receiveFrame(f, 0, f.length)).toBe(true);
    const u32 = machine.ram.u32;
    expect(u32[(ring.offset + 8) >>> 2]).toBe(3); // DD | EOP
    expect(u32[(ring.offset + 12) >>> 2]! & 0xffff).toBe(100);
    expect(machine.ram.u8.slice(bufs.offset, bufs.offset + 100)).toEqual(f);
    expect(rd(IXGBE_RDH(0))).toBe(1);
    expect(rd(IXGBE_GPRC)).toBe(1);
    expect(rd(IXGBE_GPRC)).toBe(0); // cleared by the read
    expect(rd(IXGBE_GORCL)).toBe(104); // frame + FCS
    expect(rd(IXGBE_GORCH)).toBe(0);
    expect(rd(IXGBE_GORCL)).toBe(0);
    expect(rd(IXGBE_QPRC(0))).toBe(1);
    expect(rd(IXGBE_TPR)).toBe(1);
    expect(rd(IXGBE_TORL)).toBe(104);
    // 7 free descriptors, then the ring is full: missed packets
    for (let i = 0; i < 9; i++) model.receiveFrame(f, 0, f.length);
    expect(rd(IXGBE_RDH(0))).toBe(7);
    expect(rd(IXGBE_MPC(0))).toBe(3);
    expect(rd(IXGBE_MPC(0))).toBe(0);
    expect(rd(IXGBE_GPRC)).toBe(6);
    expect(rd(IXGBE_TPR)).toBe(9);
  });

  it("appends the FCS when CRC stripping is off, and writes legacy descriptors when asked", () => {
    expect(ethernetFcs(new TextEncoder().encode("123456789"), 0, 9)).toBe(0xcbf43926);
    const t = rig();
    const { machine, model, rd, wr } = t;
    const { ring, bufs } = rxQueue(t, 0, 8, 2048, 0);
    wr(IXGBE_HLREG0, rd(IXGBE_HLREG0) & ~IXGBE_HLREG0_RXCRCSTRP);
    wr(IXGBE_FCTRL, 0x700);
    wr(IXGBE_RXCTRL, 1);
    const f = testFrame(64, 3);
    model.receiveFrame(f, 0, f.length);
    const u8 = machine.ram.u8;
    // legacy write-back: length at byte 8, status at byte 12, the buffer address left in place
    expect(machine.ram.u16[(ring.offset + 8) >>> 1]).toBe(68);
    expect(u8[ring.offset + 12]).toBe(3);
    expect(machine.ram.read64(ring.offset)).toBe(bufs.paddr);
    const fcs = ethernetFcs(f, 0, 64);
    expect(Array.from(u8.slice(bufs.offset + 64, bufs.offset + 68))).toEqual([
      fcs & 0xff,
      (fcs >>> 8) & 0xff,
      (fcs >>> 16) & 0xff,
      fcs >>> 24,
    ]);
  });

  it("filters by RAL/RAH unless promiscuous, takes broadcast with BAM, drops multicast without MPE", () => {
    const t = rig();
    const { model, wr } = t;
    rxQueue(t, 0, 16);
    wr(IXGBE_RDRXCTL, 2);
    wr(IXGBE_FCTRL, 0);
    wr(IXGBE_RXCTRL, 1);
    const mine = testFrame(64, 1, [0x02, 0, 0, 0, 0, 0x01]);
    const other = testFrame(64, 2, [0x02, 0, 0, 0, 0, 0x09]);
    const bcast = testFrame(64, 3, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    const mcast = testFrame(64, 4, [0x01, 0, 0x5e, 0, 0, 1]);
    expect(model.receiveFrame(mine, 0, 64)).toBe(true);
    expect(model.receiveFrame(other, 0, 64)).toBe(false);
    expect(model.receiveFrame(bcast, 0, 64)).toBe(false);
    expect(model.receiveFrame(mcast, 0, 64)).toBe(false);
    wr(IXGBE_FCTRL, 0x400); // BAM
    expect(model.receiveFrame(bcast, 0, 64)).toBe(true);
    wr(IXGBE_RAL(1), 0x0000_0002);
    wr(IXGBE_RAH(1), 0x8000_0900);
    expect(model.receiveFrame(other, 0, 64)).toBe(true);
    wr(IXGBE_FCTRL, 0x300); // UPE | MPE
    expect(model.receiveFrame(mcast, 0, 64)).toBe(true);
    expect(model.rxFiltered).toBe(3);
    expect(model.receiveFrame(mine, 0, 13)).toBe(false); // runt
    expect(model.rxBadSize).toBe(1);
  });

  it("sends TDH..TDT on a TDT write, gathers multi-descriptor frames, skips context descriptors, writes DD", () => {
    const t = rig();
    const { machine, model, rd, wr } = t;
    const got = capture(model);
    const ring = txQueue(t, 0, 16);
    const data = unwrap(machine.hal.dmaAlloc(8192));
    const f1 = testFrame(300, 1);
    const f2 = testFrame(1000, 2);
    machine.ram.u8.set(f1, data.offset);
    machine.ram.u8.set(f2, data.offset + 2048);
    txDesc(t, ring, 0, data.paddr, IXGBE_ADVTXD_CMD_ONE_BUFFER | 300);
    txDesc(t, ring, 1, 0, IXGBE_ADVTXD_DCMD_DEXT | IXGBE_ADVTXD_DTYP_CTXT | IXGBE_ADVTXD_DCMD_RS);
    // f2 over two descriptors: 600 bytes without EOP, then 400 with EOP
    txDesc(
      t,
      ring,
      2,
      data.paddr + 2048,
      (IXGBE_ADVTXD_CMD_ONE_BUFFER & ~0x0100_0000 & ~IXGBE_ADVTXD_DCMD_RS) | 600,
    );
    txDesc(t, ring, 3, data.paddr + 2048 + 600, IXGBE_ADVTXD_CMD_ONE_BUFFER | 400);
    wr(IXGBE_TDT(0), 4);
    expect(rd(IXGBE_TDH(0))).toBe(4);
    expect(got).toEqual([f1, f2]);
    const u32 = machine.ram.u32;
    expect(u32[(ring.offset + 12) >>> 2]! & 1).toBe(1);
    expect(u32[(ring.offset + 16 + 12) >>> 2]! & 1).toBe(1);
    expect(u32[(ring.offset + 32 + 12) >>> 2]! & 1).toBe(0); // no RS: no write-back
    expect(u32[(ring.offset + 48 + 12) >>> 2]! & 1).toBe(1);
    expect(rd(IXGBE_GPTC)).toBe(2);
    expect(rd(IXGBE_GOTCL)).toBe(304 + 1004);
    expect(rd(IXGBE_QPTC(0))).toBe(2);
    // MAC loopback: what is sent comes back in
    rxQueue(t, 0, 8);
    rxOn(t);
    wr(IXGBE_HLREG0, t.rd(IXGBE_HLREG0) | IXGBE_HLREG0_LPBK);
    txDesc(t, ring, 4, data.paddr, IXGBE_ADVTXD_CMD_ONE_BUFFER | 300);
    wr(IXGBE_TDT(0), 5);
    expect(got.length).toBe(2);
    expect(rd(IXGBE_RDH(0))).toBe(1);
  });

  it("moves traffic only while the queue is enabled and receive is on", () => {
    const t = rig();
    const { machine, model, rd, wr } = t;
    const got = capture(model);
    rxQueue(t, 0, 8);
    const f = testFrame(64, 1);
    // RXCTRL.RXEN clear: nothing is taken
    wr(IXGBE_RDRXCTL, 2);
    wr(IXGBE_FCTRL, 0x700);
    expect(model.receiveFrame(f, 0, 64)).toBe(false);
    expect(model.rxDroppedDisabled).toBe(1);
    wr(IXGBE_RXCTRL, 1);
    expect(model.receiveFrame(f, 0, 64)).toBe(true);
    // queue disabled: the frame is missed
    wr(IXGBE_RXDCTL(0), 0);
    expect(rd(IXGBE_RXDCTL(0)) & (1 << 25)).toBe(0);
    expect(model.receiveFrame(f, 0, 64)).toBe(false);
    expect(rd(IXGBE_MPC(0))).toBe(1);
    // TX: a TDT write on a disabled queue only moves the tail; enabling sends what is pending
    const ring = unwrap(machine.hal.dmaAlloc(8 * 16, 128));
    const data = unwrap(machine.hal.dmaAlloc(4096));
    wr(IXGBE_TDBAL(0), ring.paddr);
    wr(IXGBE_TDLEN(0), 8 * 16);
    wr(IXGBE_DMATXCTL, 1);
    txDesc(t, ring, 0, data.paddr, IXGBE_ADVTXD_CMD_ONE_BUFFER | 64);
    wr(IXGBE_TDT(0), 1);
    expect(got.length).toBe(0);
    expect(rd(IXGBE_TDH(0))).toBe(0);
    wr(IXGBE_TXDCTL(0), 1 << 25);
    expect(got.length).toBe(1);
    expect(rd(IXGBE_TDH(0))).toBe(1);
  });

  it("holds frames while the link is down or TE is off and sends them when both are up", () => {
    const t = rig({ linkUpDelayNs: MS });
    const { machine, model, rd, wr } = t;
    const got = capture(model);
    const ring = txQueue(t, 0, 8);
    wr(IXGBE_DMATXCTL, 0);
    const data = unwrap(machine.hal.dmaAlloc(4096));
    txDesc(t, ring, 0, data.paddr, IXGBE_ADVTXD_CMD_ONE_BUFFER | 64);
    wr(IXGBE_TDT(0), 1);
    expect(got.length).toBe(0);
    wr(IXGBE_AUTOC, rd(IXGBE_AUTOC) | IXGBE_AUTOC_AN_RESTART);
    wr(IXGBE_DMATXCTL, 1);
    expect(got.length).toBe(0);
    machine.clock.advance(MS);
    expect(got.length).toBe(1);
  });

  it("steers by RSS: MRQC, RSSRK and RETA pick the queue; the descriptor carries type and hash", () => {
    const t = rig();
    const { machine, model, wr } = t;
    const rings = [
      rxQueue(t, 0, 8).ring,
      rxQueue(t, 1, 8).ring,
      rxQueue(t, 2, 8).ring,
      rxQueue(t, 3, 8).ring,
    ];
    rxOn(t);
    for (let i = 0; i < 10; i++) {
      wr(
        IXGBE_RSSRK(i),
        MS_KEY[4 * i]! | (MS_KEY[4 * i + 1]! << 8) | (MS_KEY[4 * i + 2]! << 16) | (MS_KEY[4 * i + 3]! << 24),
      );
    }
    for (let i = 0; i < 32; i++) wr(IXGBE_RETA(i), 0x03020100); // entry k -> queue k % 4
    wr(0x05000, 1 << 13); // RXCSUM.PCSD: the hash goes into the descriptor
    wr(IXGBE_MRQC, 0x0001_0000 | 0x0002_0000 | 1);
    const f = tcpFrame([66, 9, 149, 187], [161, 142, 100, 80], 2794, 1766, 6);
    model.receiveFrame(f, 0, f.length);
    const q = (0x51ccc178 & 127) % 4;
    const o = rings[q]!.offset;
    const u32 = machine.ram.u32;
    expect(u32[(o + 8) >>> 2]).toBe(3);
    expect(u32[o >>> 2]! & 0xf).toBe(1); // RSS type IPv4/TCP
    expect((u32[o >>> 2]! >>> 4) & 0x1fff).toBe(0x110); // IPv4 | TCP
    expect(u32[(o + 4) >>> 2]).toBe(0x51ccc178);
    expect(model.rxQueueState(q).head).toBe(1);
    // RSS off: queue 0
    wr(IXGBE_MRQC, 0);
    model.receiveFrame(f, 0, f.length);
    expect(model.rxQueueState(0).head).toBe(q === 0 ? 2 : 1);
  });

  it("raises the queue's interrupt cause through IVAR when a frame lands", () => {
    const t = rig();
    const { model, rd, wr } = t;
    const vectors: number[] = [];
    model.onInterrupt = (v) => vectors.push(v);
    rxQueue(t, 0, 8);
    rxOn(t);
    wr(0x00898, 1 << 4); // GPIE.MSIX_MODE
    wr(IXGBE_IVAR(0), 0x80 | 3); // RX queue 0 -> vector 3
    rd(IXGBE_EICR);
    wr(IXGBE_EIMS, 1 << 3);
    const f = testFrame(64, 1);
    model.receiveFrame(f, 0, 64);
    expect(vectors).toEqual([3]);
    expect(rd(IXGBE_EICR)).toBe(1 << 3);
  });
});

describe("82599 model: strict mode names the rule a driver breaks", () => {
  it("enabling a queue without a ring base", () => {
    const { wr } = rig();
    expectViolation(
      () => wr(IXGBE_RXDCTL(0), 1 << 25),
      /RX queue 0 enabled without a descriptor ring/,
      "82599 datasheet 7.1.9",
    );
    expectViolation(
      () => wr(IXGBE_TXDCTL(5), 1 << 25),
      /TX queue 5 enabled without a descriptor ring/,
      "82599 datasheet 7.2.3",
    );
  });

  it("a ring length not a multiple of 128 bytes, an unaligned base, a ring outside RAM", () => {
    const t = rig();
    const { machine, wr } = t;
    const ring = unwrap(machine.hal.dmaAlloc(4096));
    wr(IXGBE_RDBAL(0), ring.paddr);
    wr(IXGBE_RDLEN(0), 100 * 16);
    expectViolation(
      () => wr(IXGBE_RXDCTL(0), 1 << 25),
      /RDLEN\(0\) = 1600 is not a multiple of 128/,
      "82599 datasheet 7.1.9",
    );
    wr(IXGBE_RDLEN(0), 64 * 16);
    wr(IXGBE_RDBAL(0), ring.paddr + 16);
    expectViolation(() => wr(IXGBE_RXDCTL(0), 1 << 25), /not 128-byte aligned/, "82599 datasheet 7.1.9");
    wr(IXGBE_TDBAL(0), 0x1000);
    wr(IXGBE_TDLEN(0), 1024);
    expectViolation(() => wr(IXGBE_TXDCTL(0), 1 << 25), /outside host memory/, "82599 datasheet 7.2.3");
  });

  it("a tail beyond the ring", () => {
    const t = rig();
    rxQueue(t, 0, 64);
    txQueue(t, 0, 32);
    expectViolation(
      () => t.wr(IXGBE_RDT(0), 64),
      /RDT\(0\) = 64 is beyond the ring of 64/,
      "82599 datasheet 7.1.9",
    );
    expectViolation(
      () => t.wr(IXGBE_TDT(0), 40),
      /TDT\(0\) = 40 is beyond the ring of 32/,
      "82599 datasheet 7.2.3",
    );
  });

  it("descriptor addresses outside RAM, a zero-length descriptor", () => {
    const t = rig();
    const { machine, model } = t;
    capture(model);
    const ring = txQueue(t, 0, 8);
    txDesc(t, ring, 0, 0x10_0000, IXGBE_ADVTXD_CMD_ONE_BUFFER | 64);
    expectViolation(
      () => t.wr(IXGBE_TDT(0), 1),
      /TX descriptor 0 of queue 0 points outside host memory/,
      "82599 datasheet 7.2.3.2.4",
    );
    expect(model.txQueueState(0).head).toBe(0); // the refused descriptor was not consumed
    const ring1 = txQueue(t, 1, 8);
    txDesc(t, ring1, 0, machine.ram.base, IXGBE_ADVTXD_DCMD_DEXT | IXGBE_ADVTXD_DTYP_DATA | 0x0100_0000);
    expectViolation(
      () => t.wr(IXGBE_TDT(1), 1),
      /TX descriptor 0 of queue 1 has DTALEN 0/,
      "82599 datasheet 7.2.3.2.4",
    );
    const { ring: rx } = rxQueue(t, 0, 8);
    rxOn(t);
    machine.ram.write64(rx.offset, 0x20_0000);
    const f = testFrame(64, 1);
    expectViolation(
      () => model.receiveFrame(f, 0, 64),
      /RX descriptor 0 of queue 0 points outside host memory/,
      "82599 datasheet 7.1.6",
    );
  });

  it("DMA while PCI bus mastering is disabled", () => {
    const t = rig();
    const { machine, model } = t;
    capture(model);
    const ring = txQueue(t, 0, 8);
    const data = unwrap(machine.hal.dmaAlloc(4096));
    txDesc(t, ring, 0, data.paddr, IXGBE_ADVTXD_CMD_ONE_BUFFER | 64);
    model.busMaster = false;
    expectViolation(
      () => t.wr(IXGBE_TDT(0), 1),
      /bus mastering is disabled/,
      "PCI Local Bus 3.0 6.2.2 (Command register, Bus Master)",
    );
    expect(machine.ram.u32[(ring.offset + 12) >>> 2]! & 1).toBe(0); // nothing was written back
    expect(model.txFrames).toBe(0);
    expectViolation(
      () => rxQueue(t, 1, 8),
      /RX queue 1 enabled while PCI bus mastering is disabled/,
      "PCI Local Bus 3.0 6.2.2 (Command register, Bus Master)",
    );
  });

  it("receive enabled with CRC stripping set differently in HLREG0 and RDRXCTL", () => {
    const { wr, rd } = rig();
    expect(rd(IXGBE_HLREG0) & 2).toBe(2);
    expectViolation(
      () => wr(IXGBE_RXCTRL, 1),
      /RDRXCTL.CRCSTRIP and HLREG0.RXCRCSTRP disagree/,
      "82599 datasheet 4.6.7",
    );
  });

  it("changing the ring or the head of an enabled queue", () => {
    const t = rig();
    rxQueue(t, 0, 8);
    txQueue(t, 0, 8);
    expectViolation(
      () => t.wr(IXGBE_RDLEN(0), 256),
      /RX ring registers of queue 0 changed while the queue is enabled/,
      "82599 datasheet 4.6.7.1",
    );
    expectViolation(
      () => t.wr(IXGBE_TDBAL(0), 0x8000_0000),
      /TX ring registers of queue 0 changed/,
      "82599 datasheet 4.6.8",
    );
    expectViolation(
      () => t.wr(IXGBE_RDH(0), 3),
      /RDH\(0\) written while the queue is enabled/,
      "82599 datasheet 7.1.9",
    );
    t.wr(IXGBE_RDH(0), 0); // writing the current head, as ixy does right after enabling, is fine
    expectViolation(
      () => t.wr(IXGBE_TDH(0), 5),
      /TDH\(0\) written while the queue is enabled/,
      "82599 datasheet 7.2.3",
    );
  });

  it("counts violations instead of throwing when not strict, and refuses the action", () => {
    const t = rig({ strict: false });
    const { model, rd, wr } = t;
    wr(IXGBE_RXDCTL(0), 1 << 25);
    expect(rd(IXGBE_RXDCTL(0)) & (1 << 25)).toBe(0);
    expect(model.rxQueueState(0).enabled).toBe(false);
    rxQueue(t, 1, 8);
    wr(IXGBE_RDT(1), 99);
    expect(rd(IXGBE_RDT(1))).toBe(7);
    expect(model.checker.violations).toBe(2);
    expect(model.checker.last?.rule).toMatch(/RDT\(1\) = 99/);
  });
});

describe("82599 model: hostile mode", () => {
  it("writes back bad lengths, DD without EOP and DD on the descriptor at RDT", () => {
    const t = rig({ hostile: true, hostileRate: 1, hostileSeed: 3 });
    const { machine, model } = t;
    const { ring } = rxQueue(t, 0, 64);
    rxOn(t);
    const f = testFrame(100, 1);
    const u32 = machine.ram.u32;
    let badLen = 0;
    let noEop = 0;
    let tailDd = 0;
    for (let i = 0; i < 40; i++) {
      const tailStatus = () => u32[(ring.offset + 63 * 16 + 8) >>> 2]!;
      const before = tailStatus();
      model.receiveFrame(f, 0, 100);
      const o = ring.offset + i * 16;
      const status = u32[(o + 8) >>> 2]!;
      const len = u32[(o + 12) >>> 2]! & 0xffff;
      if (status === 1) noEop++;
      if (len !== 100 && status === 3) badLen++;
      if (before === 0 && tailStatus() === 3) {
        tailDd++;
        u32[(ring.offset + 63 * 16 + 8) >>> 2] = 0;
      }
    }
    expect(model.hostileActions).toBe(40);
    expect(badLen).toBeGreaterThan(0);
    expect(noEop).toBeGreaterThan(0);
    expect(tailDd).toBeGreaterThan(0);
  });
});
