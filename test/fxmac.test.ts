// FXmacNic on the GEM model: bring-up with its MDIO traffic, speed negotiation, frames both ways, ring wrap,
// used-bit handling, zero copy, buffer misuse, probing.
import { describe, expect, it } from "vitest";
import { type DevError, isDevError, unwrap } from "../src/base/index.js";
import { FXmacNic, type FXmacOptions, fxmacDriver } from "../src/drivers/fxmac/index.js";
import {
  gemCrc32 as crc32,
  GemModel,
  type GemModelOptions,
  PhyAbility,
  type PhyLinkPartner,
} from "../src/emu/gem/index.js";
import { Machine } from "../src/emu/machine.js";
import {
  BMCR_ANENABLE,
  BMCR_ANRESTART,
  BMCR_RESET,
  BMSR_ANEGCOMPLETE,
  FXMAC_IRQ_MASK,
  FXMAC0_BASE,
  FXMAC1_BASE,
  GEM_COMPATIBLE,
  GEM_DESC_SIZE_64,
  GEM_DMACR,
  GEM_HSMAC,
  GEM_IMR,
  GEM_ISR,
  GEM_NWCFG,
  GEM_NWCTRL,
  GEM_NWSR,
  GEM_RXQBASE,
  GEM_RXSR,
  GEM_SA1B,
  GEM_SA1T,
  GEM_TX_CLK_SEL2,
  GEM_TXQBASE,
  GEM_TXSR,
  IXR_ALL,
  IXR_LINKCHANGE,
  IXR_RXUSED,
  IXR_TXUSED,
  MII_ANAR,
  MII_ANLPAR,
  MII_BMCR,
  MII_BMSR,
  MII_PHYID1,
  MII_PHYID2,
  MII_STAT1000,
  NWCFG_100,
  NWCFG_1000,
  NWCFG_DBW_128,
  NWCFG_FCS_REMOVE,
  NWCFG_FDEN,
  NWCFG_MCASTHASHEN,
  NWCFG_MDCCLKDIV_32,
  NWCFG_PCSSEL,
  NWCFG_SGMII_MODE_ENABLE,
  NWCTRL_MDEN,
  NWCTRL_RXEN,
  NWCTRL_TXEN,
  NWSR_PCS_LINK,
  RX_W0_WRAP,
  RXSR_BUFFNA,
  STAT_OCTTXL,
  STAT_RXRESERRCNT,
  STAT_TX64CNT,
  STAT_TXCNT,
  TX_W1_USED,
  TX_W1_WRAP,
  TXSR_USEDREAD,
  YT_SPEC_STATUS,
} from "../src/hw/gem/index.js";
import { NetBufPool, type NetBufPtr } from "../src/net/index.js";
import { probeAllDevices } from "../src/platform/index.js";

const MAC_A = [0x02, 0x11, 0x22, 0x33, 0x44, 0x0a];
const MAC_B = [0x02, 0x11, 0x22, 0x33, 0x44, 0x0b];

interface Pair {
  m: Machine;
  gemA: GemModel;
  gemB: GemModel;
  a: FXmacNic;
  b: FXmacNic;
}

/** Two FXMACs on one machine, cables crossed, both drivers up. */
function pair(
  modelA: GemModelOptions = {},
  modelB: GemModelOptions = {},
  nicA: FXmacOptions = {},
  nicB: FXmacOptions = {},
  m = new Machine(),
  m2 = m,
): Pair {
  const gemA = GemModel.attach(m, { base: FXMAC0_BASE, mac: MAC_A, ...modelA });
  const gemB = GemModel.attach(m2, { base: FXMAC1_BASE, mac: MAC_B, ...modelB });
  gemA.port.connect(gemB.port.rx);
  gemB.port.connect(gemA.port.rx);
  const a = unwrap(FXmacNic.init(m.hal, { base: FXMAC0_BASE, ...nicA }));
  const b = unwrap(FXmacNic.init(m2.hal, { base: FXMAC1_BASE, ...nicB }));
  return { m, gemA, gemB, a, b };
}

/** A deterministic byte stream (xorshift) so frames are checkable without storing them. */
function fill(p: NetBufPtr, dst: number[], src: number[], seq: number, len: number): void {
  const b = p.bytes;
  const o = p.offset;
  for (let i = 0; i < 6; i++) {
    b[o + i] = dst[i]!;
    b[o + 6 + i] = src[i]!;
  }
  b[o + 12] = 0x88;
  b[o + 13] = 0xb5;
  let x = (seq * 2654435761 + len) >>> 0 || 1;
  for (let i = 14; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    b[o + i] = x & 0xff;
  }
}

function expected(dst: number[], src: number[], seq: number, len: number): Uint8Array {
  const e = new Uint8Array(len);
  e.set(dst, 0);
  e.set(src, 6);
  e[12] = 0x88;
  e[13] = 0xb5;
  let x = (seq * 2654435761 + len) >>> 0 || 1;
  for (let i = 14; i < len; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    e[i] = x & 0xff;
  }
  return e;
}

function send(nic: FXmacNic, dst: number[], src: number[], seq: number, len: number): void {
  const p = unwrap(nic.allocTxBuffer(len));
  fill(p, dst, src, seq, len);
  unwrap(nic.transmit(p));
}

function recvOne(nic: FXmacNic): Uint8Array {
  const p = unwrap(nic.receive());
  const copy = p.packet().slice();
  unwrap(nic.recycleRxBuffer(p));
  return copy;
}

describe("FXmacNic bring-up", () => {
  it("follows fxmac_rs: MDIO scan, PHY reset, auto-negotiation, speed detection, registers", () => {
    const m = new Machine();
    const gem = GemModel.attach(m, { mac: MAC_A, phy: { address: 3 } });
    const t0 = m.clock.now();
    const nic = unwrap(FXmacNic.init(m.hal));
    expect(nic.deviceName()).toBe(GEM_COMPATIBLE);
    expect(nic.deviceName()).toBe("cdns,phytium-gem-1.0");
    expect(nic.rxQueueSize()).toBe(64);
    expect(nic.txQueueSize()).toBe(64);
    expect(nic.macAddress().toString()).toBe("02:11:22:33:44:0a");
    expect(nic.link).toEqual({ address: 3, id: 0x0000011a, speed: 1000, fullDuplex: true });
    expect(gem.checker.violations).toBe(0);

    const log = gem.mdioLog;
    // 1. detect: BMSR of addresses 0..2 read as all ones (nobody there), then BMSR, PHYID1, PHYID2 at 3
    for (let a = 0; a < 3; a++)
      expect(log[a]).toMatchObject({ op: "read", phy: a, reg: MII_BMSR, data: 0xffff });
    expect(log[3]).toMatchObject({ op: "read", phy: 3, reg: MII_BMSR });
    expect(log[4]).toMatchObject({ op: "read", phy: 3, reg: MII_PHYID1, data: 0x0000 });
    expect(log[5]).toMatchObject({ op: "read", phy: 3, reg: MII_PHYID2, data: 0x011a });
    // 2. soft reset: BMCR read, written with bit 15, polled until bit 15 clears (it was seen set first)
    expect(log[6]).toMatchObject({ op: "read", reg: MII_BMCR });
    expect(log[7]).toMatchObject({ op: "write", reg: MII_BMCR });
    expect(log[7]!.data & BMCR_RESET).toBe(BMCR_RESET);
    let i = 8;
    expect(log[i]!.data & BMCR_RESET).toBe(BMCR_RESET);
    while (log[i]!.reg === MII_BMCR && log[i]!.op === "read" && log[i]!.data & BMCR_RESET) i++;
    expect(log[i]).toMatchObject({ op: "read", reg: MII_BMCR });
    expect(log[i]!.data & BMCR_RESET).toBe(0);
    i++;
    // pause advertised, then AN enable + restart
    expect(log[i]).toMatchObject({ op: "read", reg: MII_ANAR });
    expect(log[i + 1]).toMatchObject({ op: "write", reg: MII_ANAR });
    expect(log[i + 1]!.data & 0x0c00).toBe(0x0c00);
    expect(log[i + 2]).toMatchObject({ op: "read", reg: MII_BMCR });
    const anWrite = log[i + 3]!;
    expect(anWrite).toMatchObject({ op: "write", reg: MII_BMCR });
    expect(anWrite.data & (BMCR_ANENABLE | BMCR_ANRESTART)).toBe(BMCR_ANENABLE | BMCR_ANRESTART);
    // BMSR polled every 50 ms of virtual time until AN completes (default AN delay 1.2 s -> 24 polls)
    const polls = log.slice(i + 4).filter((e) => e.reg === MII_BMSR);
    expect(polls.length).toBe(24);
    for (let k = 1; k < polls.length; k++) expect(polls[k]!.at - polls[k - 1]!.at).toBe(50_000_000);
    expect(polls.slice(0, -1).every((e) => (e.data & BMSR_ANEGCOMPLETE) === 0)).toBe(true);
    expect(polls.at(-1)!.data & BMSR_ANEGCOMPLETE).toBe(BMSR_ANEGCOMPLETE);
    // speed and duplex from the YT8521 specific status: 1000 (10b), full, page received, resolved, link, pause
    const ss = log.at(-1)!;
    expect(ss).toMatchObject({
      op: "read",
      reg: YT_SPEC_STATUS,
      data: 0x8000 | 0x2000 | 0x1000 | 0x0800 | 0x0400 | 0x000c,
    });
    expect(anWrite.at - t0).toBeGreaterThan(0);
    expect(m.clock.now() - anWrite.at).toBe(1_200_000_000);

    // controller registers as fxmac-gem 6 derives them (1000 Mb/s full duplex, 128-bit bus)
    const regs = unwrap(m.hal.mapMmio(FXMAC0_BASE, 0x2000));
    expect(regs.read32(GEM_NWCTRL)).toBe(NWCTRL_MDEN | NWCTRL_TXEN | NWCTRL_RXEN);
    expect(regs.read32(GEM_NWCFG)).toBe(
      NWCFG_MDCCLKDIV_32 |
        NWCFG_DBW_128 |
        NWCFG_FCS_REMOVE |
        0x2000 /* pause */ |
        NWCFG_MCASTHASHEN |
        NWCFG_PCSSEL |
        NWCFG_SGMII_MODE_ENABLE |
        NWCFG_FDEN |
        NWCFG_1000,
    );
    expect(regs.read32(GEM_DMACR)).toBe(0x41180710);
    expect(regs.read32(GEM_IMR)).toBe(IXR_ALL & ~FXMAC_IRQ_MASK);
    expect(regs.read32(GEM_HSMAC) & 7).toBe(1);
    expect(regs.read32(GEM_TX_CLK_SEL2)).toBe(0);
    expect(regs.read32(GEM_NWSR) & NWSR_PCS_LINK).toBe(NWSR_PCS_LINK);
    // the MAC firmware left in SA1 was saved, zeroed by the reset and written back
    expect(regs.read32(GEM_SA1B)).toBe(0x33221102);
    expect(regs.read32(GEM_SA1T) & 0xffff).toBe(0x0a44);
    // queue bases: the rings' physical addresses (RAM is below 4 GiB here, so the upper halves are 0)
    expect(regs.read32(GEM_RXQBASE)).toBe(gem.rxQueuePointer);
    expect(regs.read32(GEM_TXQBASE)).toBe(gem.txQueuePointer);
    expect(gem.rxQueuePointer % 128).toBe(0);
  });

  it("runs in forced mode (PhytiumPi default: no auto-negotiation, 100 Mb/s full)", () => {
    const m = new Machine();
    const gem = GemModel.attach(m, { mac: MAC_A });
    const nic = unwrap(FXmacNic.init(m.hal, { autoNegotiation: false, speed: 100, fullDuplex: true }));
    expect(nic.link).toMatchObject({ speed: 100, fullDuplex: true });
    const bmcrWrites = gem.mdioLog.filter((e) => e.op === "write" && e.reg === MII_BMCR);
    expect(bmcrWrites.at(-1)!.data & (BMCR_ANENABLE | 0x2000 | 0x0100 | 0x0040)).toBe(0x2000 | 0x0100);
    expect(gem.networkConfig & (NWCFG_100 | NWCFG_1000 | NWCFG_FDEN)).toBe(NWCFG_100 | NWCFG_FDEN);
    const ten = new Machine();
    GemModel.attach(ten, { mac: MAC_A });
    const n10 = unwrap(FXmacNic.init(ten.hal, { autoNegotiation: false, speed: 10, fullDuplex: false }));
    expect(n10.link).toMatchObject({ speed: 10, fullDuplex: false });
  });

  it("reports no PHY, and a failed negotiation, as errors", () => {
    const m = new Machine();
    GemModel.attach(m, { mac: MAC_A, phy: { partner: { abilities: 0, autoneg: true } } });
    const t0 = m.clock.now();
    const r = FXmacNic.init(m.hal);
    expect(isDevError(r) && r.kind).toBe("Again");
    expect((r as DevError).message).toContain("auto-negotiation did not complete");
    // fxmac_rs gives up after 255 polls of 50 ms
    expect(m.clock.now() - t0).toBeGreaterThanOrEqual(255 * 50_000_000);

    const empty = new Machine();
    const r2 = FXmacNic.init(empty.hal); // nothing decodes there: every register reads all ones
    expect(isDevError(r2)).toBe(true);
    const bad = FXmacNic.init(new Machine().hal, { queueSize: 1 });
    expect(isDevError(bad) && bad.kind).toBe("InvalidParam");
  });

  it("falls back to a locally administered MAC when firmware left none", () => {
    const m = new Machine();
    GemModel.attach(m, { mac: [0, 0, 0, 0, 0, 0] });
    const nic = unwrap(FXmacNic.init(m.hal));
    expect(nic.macAddress().isUnicast()).toBe(true);
    expect(nic.macAddress().bytes[0]! & 2).toBe(2);
  });

  it("is found by its probe from the machine description", () => {
    const m = new Machine();
    GemModel.attach(m, { mac: MAC_A });
    expect(m.config.platformDevices).toEqual([
      { compatible: GEM_COMPATIBLE, base: FXMAC0_BASE, size: 0x2000, irq: 87 },
    ]);
    const other = { compatible: "arm,pl011", base: 0x900_0000, size: 0x1000, irq: 33 };
    expect(fxmacDriver.probePlatform!({ hal: m.hal, device: other })).toBeUndefined();
    const dev = m.config.platformDevices[0]!;
    const nic = fxmacDriver.probePlatform!({ hal: m.hal, device: dev });
    expect(nic).toBeDefined();
    expect(isDevError(nic)).toBe(false);
    expect((nic as FXmacNic).deviceName()).toBe("cdns,phytium-gem-1.0");
    expect(fxmacDriver.name).toBe("fxmac");
  });

  it("comes up through the platform's global probe, one driver per FXMAC in the description", () => {
    const m = new Machine();
    const g0 = GemModel.attach(m, { base: FXMAC0_BASE, mac: MAC_A });
    const g1 = GemModel.attach(m, { base: FXMAC1_BASE, mac: MAC_B, irq: 88 });
    g0.port.connect(g1.port.rx);
    g1.port.connect(g0.port.rx);
    const r = unwrap(
      probeAllDevices({ hal: m.hal, config: m.config, drivers: [fxmacDriver], buses: { pci: false } }),
    );
    const nics = r.devices.net.map((d) => d.device as FXmacNic);
    expect(nics.map((n) => n.deviceName())).toEqual([GEM_COMPATIBLE, GEM_COMPATIBLE]);
    expect(nics.map((n) => n.macAddress().toString())).toEqual(["02:11:22:33:44:0a", "02:11:22:33:44:0b"]);
    expect(nics.map((n) => n.base)).toEqual([FXMAC0_BASE, FXMAC1_BASE]);
    send(nics[0]!, MAC_B, MAC_A, 9, 128);
    expect(recvOne(nics[1]!)).toEqual(expected(MAC_B, MAC_A, 9, 128));
  });
});

describe("speed negotiation against the link partner", () => {
  const A = PhyAbility;
  const cases: [string, PhyLinkPartner, number, boolean][] = [
    ["everything", { abilities: 0x3f | A.Pause, autoneg: true }, 1000, true],
    ["1000 half and below", { abilities: A.Half1000 | A.Full100 | A.Half10, autoneg: true }, 1000, false],
    [
      "10/100 full and half",
      { abilities: A.Full100 | A.Half100 | A.Full10 | A.Half10, autoneg: true },
      100,
      true,
    ],
    ["100 half, 10 full", { abilities: A.Half100 | A.Full10, autoneg: true }, 100, false],
    ["10 full and half", { abilities: A.Full10 | A.Half10, autoneg: true }, 10, true],
    ["10 half", { abilities: A.Half10, autoneg: true }, 10, false],
    ["forced 100 (parallel detection)", { abilities: A.Full100, autoneg: false }, 100, false],
  ];
  for (const [name, partner, speed, full] of cases) {
    it(`${name} -> ${speed} Mb/s ${full ? "full" : "half"}`, () => {
      const p = pair({ phy: { partner } }, { phy: { partner } });
      expect(p.a.link).toMatchObject({ speed, fullDuplex: full });
      expect(p.b.link).toMatchObject({ speed, fullDuplex: full });
      const cfg = p.gemA.networkConfig;
      expect(cfg & (NWCFG_100 | NWCFG_1000)).toBe(
        speed === 1000 ? NWCFG_1000 : speed === 100 ? NWCFG_100 : 0,
      );
      expect((cfg & NWCFG_FDEN) !== 0).toBe(full);
      expect(p.gemA.peek(GEM_HSMAC) & 7).toBe(speed === 1000 ? 1 : 0);
      expect(p.gemA.peek(GEM_TX_CLK_SEL2)).toBe(speed === 1000 ? 0 : 1);
      // what the PHY shows: partner page and 1000BASE-T status
      const lp = p.gemA.phy.read(MII_ANLPAR);
      const st = p.gemA.phy.read(MII_STAT1000);
      if (partner.autoneg) {
        expect(lp & 0x4000).toBe(0x4000);
        expect(((lp >> 8) & 1) === 1).toBe((partner.abilities & A.Full100) !== 0);
        expect(((st >> 11) & 1) === 1).toBe((partner.abilities & A.Full1000) !== 0);
        expect(((st >> 10) & 1) === 1).toBe((partner.abilities & A.Half1000) !== 0);
      } else {
        expect(lp).toBe(0);
      }
      const ss = p.gemA.phy.read(YT_SPEC_STATUS);
      expect(ss >>> 14).toBe(speed === 1000 ? 2 : speed === 100 ? 1 : 0);
      // and frames flow at that speed
      send(p.a, MAC_B, MAC_A, 7, 300);
      expect(recvOne(p.b)).toEqual(expected(MAC_B, MAC_A, 7, 300));
      expect(p.gemA.checker.violations + p.gemB.checker.violations).toBe(0);
    });
  }

  it("sees a renegotiation as a link change", () => {
    const p = pair();
    expect(p.a.handleInterrupt() & IXR_LINKCHANGE).toBe(0);
    p.gemA.phy.setPartner({ abilities: PhyAbility.Full100, autoneg: true });
    expect(p.a.linkUp()).toBe(false);
    expect(p.gemA.irqAsserted).toBe(true);
    p.m.clock.advance(2_000_000_000);
    expect(p.a.linkUp()).toBe(true);
    expect(p.gemA.phy.linkMode).toEqual({ speed: 100, fullDuplex: true });
    expect(p.a.handleInterrupt() & IXR_LINKCHANGE).toBe(IXR_LINKCHANGE);
    expect(p.a.stats.linkChanges).toBe(1);
    expect(p.gemA.interruptStatus & IXR_LINKCHANGE).toBe(0);
  });
});

describe("frames", () => {
  it("carries 60..1514-byte frames both ways with every byte intact", () => {
    const p = pair();
    const lens = [60, 61, 62, 63, 64, 65, 127, 128, 255, 256, 511, 512, 1000, 1023, 1024, 1500, 1513, 1514];
    for (let l = 66; l < 1514; l += 37) lens.push(l);
    let seq = 0;
    for (const len of lens) {
      send(p.a, MAC_B, MAC_A, ++seq, len);
      expect(recvOne(p.b)).toEqual(expected(MAC_B, MAC_A, seq, len));
      send(p.b, MAC_A, MAC_B, ++seq, len);
      expect(recvOne(p.a)).toEqual(expected(MAC_A, MAC_B, seq, len));
    }
    p.a.recycleTxBuffers();
    p.b.recycleTxBuffers();
    expect(p.a.stats.txCompleted).toBe(lens.length);
    expect(p.b.stats.rxPackets).toBe(lens.length);
    expect(p.a.stats.rxBytes).toBe(lens.reduce((s, l) => s + l, 0));
    expect(
      p.a.stats.rxBadLength + p.a.stats.rxBadMarkers + p.b.stats.rxBadLength + p.b.stats.rxBadMarkers,
    ).toBe(0);
    // statistics registers count the frames with FCS, and clear on read
    const regs = unwrap(p.m.hal.mapMmio(FXMAC0_BASE, 0x2000));
    expect(regs.read32(STAT_TXCNT)).toBe(lens.length);
    expect(regs.read32(STAT_TXCNT)).toBe(0);
    expect(regs.read32(STAT_OCTTXL)).toBe(lens.reduce((s, l) => s + l + 4, 0));
    expect(regs.read32(STAT_TX64CNT)).toBe(1); // only the 60-byte frame is 64 bytes on the wire
  });

  it("pads frames shorter than 60 bytes as the MAC does", () => {
    const p = pair();
    send(p.a, MAC_B, MAC_A, 1, 42);
    const got = recvOne(p.b);
    expect(got.length).toBe(60);
    expect(got.subarray(0, 42)).toEqual(expected(MAC_B, MAC_A, 1, 42));
    expect(got.subarray(42).every((x) => x === 0)).toBe(true);
  });

  it("works between two machines (the copy crosses memories)", () => {
    const p = pair({}, {}, {}, {}, new Machine(), new Machine());
    for (const len of [60, 61, 63, 1514, 777]) {
      send(p.a, MAC_B, MAC_A, len, len);
      expect(recvOne(p.b)).toEqual(expected(MAC_B, MAC_A, len, len));
      send(p.b, MAC_A, MAC_B, len, len);
      expect(recvOne(p.a)).toEqual(expected(MAC_A, MAC_B, len, len));
    }
  });

  it("is zero copy: the TX descriptor points at the caller's buffer, RX hands out the ring's own buffer", () => {
    const p = pair();
    const u32 = p.m.ram.u32;
    const txRing = p.gemA.txQueuePointer - p.m.ram.base; // the MAC rests on the next free descriptor: slot 0
    const t = unwrap(p.a.allocTxBuffer(100));
    fill(t, MAC_B, MAC_A, 1, 100);
    const rxDesc = (p.gemB.rxQueuePointer - p.m.ram.base) >>> 2;
    const rxBufAddr = (u32[rxDesc]! & ~3) >>> 0;
    unwrap(p.a.transmit(t));
    expect(u32[(txRing >>> 2) + 0]).toBe(p.m.ram.physOf(t.offset));
    expect(u32[(txRing >>> 2) + 2]).toBe(0);
    const r = unwrap(p.b.receive());
    expect(p.m.ram.physOf(r.offset)).toBe(rxBufAddr);
    expect(r.bytes).toBe(p.m.ram.u8);
    expect(r.len).toBe(100);
    // handles are made once: the same buffer comes back as the same object
    unwrap(p.b.recycleRxBuffer(r));
    const seen = new Set<NetBufPtr>();
    for (let k = 0; k < 300; k++) {
      send(p.a, MAC_B, MAC_A, k, 64);
      const q = unwrap(p.b.receive());
      seen.add(q);
      unwrap(p.b.recycleRxBuffer(q));
      p.a.recycleTxBuffers();
    }
    expect(seen.size).toBeLessThanOrEqual(p.b.rxBufferPool.capacity);
  });

  it("takes a FCS-carrying frame when FCS removal is off", () => {
    const p = pair();
    const regs = unwrap(p.m.hal.mapMmio(FXMAC1_BASE, 0x2000));
    regs.write32(GEM_NWCFG, regs.read32(GEM_NWCFG) & ~NWCFG_FCS_REMOVE);
    send(p.a, MAC_B, MAC_A, 3, 200);
    const got = recvOne(p.b);
    expect(got.length).toBe(204);
    const c = crc32(got, 0, 200);
    expect(Array.from(got.subarray(200))).toEqual([c & 0xff, (c >>> 8) & 0xff, (c >>> 16) & 0xff, c >>> 24]);
  });

  it("drops frames for other stations and accepts broadcasts", () => {
    const p = pair();
    send(p.a, [0x02, 9, 9, 9, 9, 9], MAC_A, 1, 80);
    expect(isDevError(p.b.receive())).toBe(true);
    expect(p.gemB.counters.rxFiltered).toBe(1);
    send(p.a, [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], MAC_A, 2, 80);
    expect(recvOne(p.b)).toEqual(expected([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], MAC_A, 2, 80));
  });
});

describe("rings", () => {
  it("wraps both rings, in order, with WRAP on the last descriptors", () => {
    const p = pair();
    const ram = p.m.ram;
    const rxBase = p.gemB.rxQueuePointer;
    const txBase = p.gemA.txQueuePointer;
    // WRAP bits as the driver built the rings
    expect(ram.u32[((rxBase - ram.base) >>> 2) + 63 * 4]! & RX_W0_WRAP).toBe(RX_W0_WRAP);
    expect(ram.u32[((txBase - ram.base) >>> 2) + 63 * 4 + 1]! & TX_W1_WRAP).toBe(TX_W1_WRAP >>> 0);
    expect(ram.u32[((txBase - ram.base) >>> 2) + 62 * 4 + 1]! & TX_W1_WRAP).toBe(0);
    let seq = 0;
    let got = 0;
    const out: NetBufPtr[] = [];
    const total = 3 * 64 + 5;
    while (seq < total) {
      const n = Math.min(7, total - seq);
      const batch: NetBufPtr[] = [];
      for (let k = 0; k < n; k++) {
        const t = unwrap(p.a.allocTxBuffer(64 + (seq % 50)));
        fill(t, MAC_B, MAC_A, seq, t.len);
        batch.push(t);
        seq++;
      }
      expect(unwrap(p.a.transmitBatch(batch, n))).toBe(n);
      const r = unwrap(p.b.receiveBatch(out, 32));
      expect(r).toBe(n);
      for (let k = 0; k < r; k++) {
        const q = out[k]!;
        expect(q.packet()).toEqual(expected(MAC_B, MAC_A, got, 64 + (got % 50)));
        got++;
        unwrap(p.b.recycleRxBuffer(q));
      }
      p.a.recycleTxBuffers();
      // the MAC's positions follow the driver's, modulo the ring
      expect(p.gemB.rxQueuePointer).toBe(rxBase + (seq % 64) * GEM_DESC_SIZE_64);
      expect(p.gemA.txQueuePointer).toBe(txBase + (seq % 64) * GEM_DESC_SIZE_64);
    }
    expect(got).toBe(total);
    expect(p.a.txPending).toBe(0);
    expect(p.b.stats.rxPackets).toBe(total);
  });

  it("drops what arrives while every RX descriptor is used, then resumes", () => {
    const p = pair();
    for (let s = 0; s < 70; s++) send(p.a, MAC_B, MAC_A, s, 100);
    // 64 frames fill the ring; 6 meet a used descriptor: buffer not available
    expect(p.gemB.counters.rxFrames).toBe(64);
    expect(p.gemB.counters.rxNoBuffer).toBe(6);
    const regs = unwrap(p.m.hal.mapMmio(FXMAC1_BASE, 0x2000));
    expect(regs.read32(GEM_RXSR) & RXSR_BUFFNA).toBe(RXSR_BUFFNA);
    expect(regs.read32(GEM_ISR) & IXR_RXUSED).toBe(IXR_RXUSED);
    expect(regs.read32(STAT_RXRESERRCNT)).toBe(6);
    expect(regs.read32(STAT_RXRESERRCNT)).toBe(0);
    expect(p.b.canReceive()).toBe(true);
    for (let s = 0; s < 64; s++) expect(recvOne(p.b)).toEqual(expected(MAC_B, MAC_A, s, 100));
    expect(isDevError(p.b.receive())).toBe(true);
    expect(p.b.handleInterrupt() & IXR_RXUSED).toBe(IXR_RXUSED);
    expect(p.b.stats.rxNoBufferEvents).toBe(1);
    // re-armed: the next frames land
    p.a.recycleTxBuffers();
    send(p.a, MAC_B, MAC_A, 500, 100);
    expect(recvOne(p.b)).toEqual(expected(MAC_B, MAC_A, 500, 100));
  });

  it("leaves slots unarmed while the user holds every buffer, and re-arms them on recycle", () => {
    const p = pair({}, {}, {}, { rxPoolSize: 64 });
    const held: NetBufPtr[] = [];
    for (let s = 0; s < 10; s++) send(p.a, MAC_B, MAC_A, s, 80);
    for (let s = 0; s < 10; s++) held.push(unwrap(p.b.receive()));
    expect(p.b.rxUnarmed).toBe(10); // the pool had no spare buffer for those slots
    expect(p.b.rxBufferPool.freeCount).toBe(0);
    // the MAC fills the 54 armed slots and then meets the used (unarmed) ones
    for (let s = 10; s < 70; s++) send(p.a, MAC_B, MAC_A, s, 80);
    p.a.recycleTxBuffers();
    expect(p.gemB.counters.rxFrames).toBe(64);
    expect(p.gemB.counters.rxNoBuffer).toBe(6);
    for (const h of held) unwrap(p.b.recycleRxBuffer(h));
    expect(p.b.rxUnarmed).toBe(0);
    for (let s = 10; s < 64; s++) expect(recvOne(p.b)).toEqual(expected(MAC_B, MAC_A, s, 80));
    send(p.a, MAC_B, MAC_A, 99, 80);
    expect(recvOne(p.b)).toEqual(expected(MAC_B, MAC_A, 99, 80));
  });

  it("stops TX at the first used descriptor and resumes there", () => {
    const p = pair();
    const txBase = p.gemA.txQueuePointer;
    for (let s = 0; s < 5; s++) send(p.a, MAC_B, MAC_A, s, 64);
    expect(p.gemA.txQueuePointer).toBe(txBase + 5 * GEM_DESC_SIZE_64);
    const regs = unwrap(p.m.hal.mapMmio(FXMAC0_BASE, 0x2000));
    expect(regs.read32(GEM_TXSR) & TXSR_USEDREAD).toBe(TXSR_USEDREAD);
    expect(regs.read32(GEM_ISR) & IXR_TXUSED).toBe(IXR_TXUSED);
    // the MAC set USED in each sent descriptor; the driver has not looked yet
    const ram = p.m.ram;
    for (let k = 0; k < 5; k++) {
      expect(ram.u32[((txBase - ram.base) >>> 2) + k * 4 + 1]! & TX_W1_USED).not.toBe(0);
    }
    expect(p.a.txPending).toBe(5);
    p.a.recycleTxBuffers();
    expect(p.a.txPending).toBe(0);
    expect(p.a.txBufferPool.freeCount).toBe(p.a.txBufferPool.capacity);
    // a batch larger than the free ring reclaims first and still goes out whole
    for (let s = 0; s < 60; s++) send(p.a, MAC_B, MAC_A, s, 64);
    const batch: NetBufPtr[] = [];
    for (let s = 0; s < 10; s++) {
      const t = unwrap(p.a.allocTxBuffer(64));
      fill(t, MAC_B, MAC_A, s, 64);
      batch.push(t);
    }
    expect(unwrap(p.a.transmitBatch(batch, 10))).toBe(10);
    expect(p.a.canTransmit()).toBe(true);
  });
});

describe("buffer misuse is a DevError", () => {
  it("rejects double transmit, foreign and released buffers, wrong sizes, wrong pools", () => {
    const p = pair();
    const t = unwrap(p.a.allocTxBuffer(64));
    fill(t, MAC_B, MAC_A, 0, 64);
    unwrap(p.a.transmit(t));
    const again = p.a.transmit(t);
    expect(isDevError(again) && again.kind).toBe("BadState");
    p.a.recycleTxBuffers();
    const released = p.a.transmit(t); // back in the pool now
    expect(isDevError(released) && released.kind).toBe("BadState");

    const big = p.a.allocTxBuffer(1515);
    expect(isDevError(big) && big.kind).toBe("InvalidParam");
    const short = unwrap(p.a.allocTxBuffer(10));
    const tooShort = p.a.transmit(short);
    expect(isDevError(tooShort) && tooShort.kind).toBe("InvalidParam");

    // another machine's buffer: not in this device's memory
    const other = new Machine();
    const pool = unwrap(NetBufPool.create(other.hal, 4, 2048));
    const foreign = pool.alloc()!;
    foreign.setPacketLen(64);
    const f = p.a.transmit(foreign.intoBufPtr());
    expect(isDevError(f) && f.kind).toBe("InvalidParam");

    // RX side: a TX buffer is not a receive buffer; recycling twice is caught
    const tx2 = unwrap(p.a.allocTxBuffer(64));
    const wrongPool = p.a.recycleRxBuffer(tx2);
    expect(isDevError(wrongPool) && wrongPool.kind).toBe("InvalidParam");
    send(p.a, MAC_B, MAC_A, 1, 64);
    const r = unwrap(p.b.receive());
    unwrap(p.b.recycleRxBuffer(r));
    const twice = p.b.recycleRxBuffer(r);
    expect(isDevError(twice)).toBe(true);
    // a pointer that is no NetBuf's
    const fake = { owner: {}, bytes: p.m.ram.u8, offset: 0, len: 64 } as unknown as NetBufPtr;
    expect(isDevError(p.a.transmit(fake))).toBe(true);
    expect(isDevError(p.b.recycleRxBuffer(fake))).toBe(true);
  });

  it("recognises its own buffers by identity on the batch paths: moved or stretched pointers are refused", () => {
    const p = pair();
    const t1 = unwrap(p.a.allocTxBuffer(64));
    const t2 = unwrap(p.a.allocTxBuffer(64));
    fill(t1, MAC_B, MAC_A, 1, 64);
    fill(t2, MAC_B, MAC_A, 2, 64);
    // t1 pointed at t2's bytes: neither t1's nor t2's pointer any more, so refused and nothing posted
    const o1 = t1.offset;
    t1.offset = t2.offset;
    const moved = p.a.transmitBatch([t1], 1);
    expect(isDevError(moved) && moved.kind).toBe("InvalidParam");
    expect(p.a.txPending).toBe(0);
    t1.offset = o1;
    // a length past the end of the buffer
    t1.len = 4000;
    const long = p.a.transmitBatch([t1], 1);
    expect(isDevError(long) && long.kind).toBe("InvalidParam");
    t1.len = 64;
    expect(unwrap(p.a.transmitBatch([t1, t2], 2))).toBe(2);
    // the TX ring holds the packets' own physical addresses
    expect(p.a.txPending).toBe(2);
    const rx: NetBufPtr[] = [];
    expect(unwrap(p.b.receiveBatch(rx, 8))).toBe(2);
    expect(rx[0]!.packet()).toEqual(expected(MAC_B, MAC_A, 1, 64));
    expect(rx[1]!.packet()).toEqual(expected(MAC_B, MAC_A, 2, 64));
    // a received pointer moved by one byte cannot be recycled; put back, it can, once
    rx[0]!.offset += 1;
    const off = p.b.recycleRxBuffer(rx[0]!);
    expect(isDevError(off) && off.kind).toBe("InvalidParam");
    rx[0]!.offset -= 1;
    unwrap(p.b.recycleRxBuffer(rx[0]!));
    unwrap(p.b.recycleRxBuffer(rx[1]!));
    const twice = p.b.recycleRxBuffer(rx[1]!);
    expect(isDevError(twice) && twice.kind).toBe("BadState");
    expect(p.b.rxUnarmed).toBe(0);
  });

  it("forwards a received buffer without copying (another NIC's RX buffer in this NIC's TX ring)", () => {
    const p = pair();
    send(p.a, MAC_B, MAC_A, 5, 300);
    const r = unwrap(p.b.receive());
    // rewrite the addresses in place and send it back out of B
    r.bytes.set(MAC_A, r.offset);
    r.bytes.set(MAC_B, r.offset + 6);
    unwrap(p.b.transmit(r));
    const back = recvOne(p.a);
    const want = expected(MAC_B, MAC_A, 5, 300);
    want.set(MAC_A, 0);
    want.set(MAC_B, 6);
    expect(back).toEqual(want);
    const freeBefore = p.b.rxBufferPool.freeCount;
    p.b.recycleTxBuffers(); // the buffer goes home to B's RX pool
    expect(p.b.rxBufferPool.freeCount).toBe(freeBefore + 1);
  });

  it("shuts down, refusing while the user holds buffers", () => {
    const p = pair();
    send(p.a, MAC_B, MAC_A, 1, 64);
    const r = unwrap(p.b.receive());
    const s1 = p.b.shutdown();
    expect(isDevError(s1) && s1.kind).toBe("ResourceBusy");
    expect(p.gemB.networkControl & (NWCTRL_RXEN | NWCTRL_TXEN)).toBe(0);
    expect(isDevError(p.b.receive())).toBe(true);
    unwrap(p.b.recycleRxBuffer(r));
    expect(p.b.shutdown()).toBeUndefined();
    p.a.recycleTxBuffers();
    expect(p.a.shutdown()).toBeUndefined();
  });
});

describe("GemModel power-on reset", () => {
  it("puts every register back, stops the rings, and a fresh bring-up works after it", () => {
    const p = pair();
    for (let seq = 0; seq < 20; seq++) send(p.a, MAC_B, MAC_A, seq, 100);
    let got = 0;
    while (got < 20) {
      const r = p.b.receive();
      if (isDevError(r)) break;
      unwrap(p.b.recycleRxBuffer(r));
      got++;
    }
    expect(got).toBe(20);
    const mmio = unwrap(p.m.hal.mapMmio(FXMAC1_BASE, 0x2000));
    expect(mmio.read32(GEM_NWCTRL) & (NWCTRL_RXEN | NWCTRL_TXEN)).toBe(NWCTRL_RXEN | NWCTRL_TXEN);
    expect(mmio.read32(GEM_RXQBASE)).not.toBe(0);
    // the board's reset line: B's driver state is gone with it (its DMA memory is simply abandoned here)
    // what a never-used model of the same board reads at power-on
    const fresh = new Machine();
    GemModel.attach(fresh, { base: FXMAC1_BASE, mac: MAC_B });
    const freshMmio = unwrap(fresh.hal.mapMmio(FXMAC1_BASE, 0x2000));
    const regs = [GEM_NWCTRL, GEM_NWCFG, GEM_DMACR, GEM_RXQBASE, GEM_TXQBASE, GEM_IMR, GEM_ISR, GEM_RXSR];
    const powerOn = regs.map((r) => freshMmio.read32(r));
    p.gemB.reset();
    expect(regs.map((r) => mmio.read32(r))).toEqual(powerOn);
    expect(mmio.read32(GEM_NWCTRL)).toBe(0);
    expect(mmio.read32(GEM_NWCFG)).toBe(NWCFG_MDCCLKDIV_32);
    expect(mmio.read32(GEM_IMR)).toBe(IXR_ALL);
    expect(mmio.read32(GEM_SA1B)).toBe(
      (MAC_B[0]! | (MAC_B[1]! << 8) | (MAC_B[2]! << 16) | (MAC_B[3]! << 24)) >>> 0,
    );
    expect(mmio.read32(GEM_SA1T)).toBe(MAC_B[4]! | (MAC_B[5]! << 8));
    // receive is off: a frame from A is not written anywhere
    const before = p.gemB.counters.rxFrames;
    send(p.a, MAC_B, MAC_A, 99, 100);
    expect(p.gemB.counters.rxFrames).toBe(before);
    expect(p.gemB.counters.rxDisabled).toBeGreaterThan(0);
    // a new driver brings the reset device up again, and traffic flows
    const b2 = unwrap(FXmacNic.init(p.m.hal, { base: FXMAC1_BASE }));
    expect(b2.macAddress().toString()).toBe("02:11:22:33:44:0b");
    unwrap(p.a.recycleTxBuffers());
    send(p.a, MAC_B, MAC_A, 100, 200);
    expect(recvOne(b2)).toEqual(expected(MAC_B, MAC_A, 100, 200));
  });
});
