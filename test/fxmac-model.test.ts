// The GEM model on its own and against the driver: strict-mode violations, hostile mode, the YT8521 PHY,
// 32-bit descriptors, multi-buffer frames, hash filtering.
import { describe, expect, it } from "vitest";
import { unwrap } from "../src/base/index.js";
import { FXmacNic } from "../src/drivers/fxmac/index.js";
import type { FrameSink } from "../src/emu/frame-port.js";
import { GemModel, type GemModelOptions, gemHashIndex, PhyAbility, Yt8521Phy } from "../src/emu/gem/index.js";
import { Machine } from "../src/emu/machine.js";
import { ModelError } from "../src/emu/model-error.js";
import { VirtualClock } from "../src/hal/clock.js";
import type { MmioRegion } from "../src/hal/mmio.js";
import {
  BMCR_ANENABLE,
  BMCR_ANRESTART,
  BMCR_PDOWN,
  BMCR_RESET,
  BMSR_ANEGCOMPLETE,
  BMSR_LSTATUS,
  DMACR_ADDR_64B,
  FXMAC0_BASE,
  FXMAC1_BASE,
  GEM_DMACR,
  GEM_HASHH,
  GEM_HASHL,
  GEM_MSB_RXQBASE,
  GEM_NWCFG,
  GEM_NWCTRL,
  GEM_NWSR,
  GEM_PHYMNTNC,
  GEM_RXQBASE,
  GEM_TXQBASE,
  MII_ANAR,
  MII_BMCR,
  MII_BMSR,
  NWCFG_100,
  NWCFG_1000,
  NWCFG_FCS_REMOVE,
  NWCFG_FDEN,
  NWCFG_MCASTHASHEN,
  NWCTRL_MDEN,
  NWCTRL_RXEN,
  NWCTRL_STARTTX,
  NWCTRL_TXEN,
  RX_W0_USED,
  RX_W0_WRAP,
  RX_W1_EOF,
  RX_W1_MHASH_MATCH,
  RX_W1_SOF,
  STAT_TXCNT,
  TX_W1_LAST,
  TX_W1_USED,
  TX_W1_WRAP,
  YT_EXT_ADDR,
  YT_EXT_DATA,
  YT_INT_LINK_SUCCESS,
  YT_INT_STATUS,
} from "../src/hw/gem/index.js";
import type { NetBufPtr } from "../src/net/index.js";

const MAC_A = [0x02, 0, 0, 0, 0, 0x0a];
const MAC_B = [0x02, 0, 0, 0, 0, 0x0b];

function expectViolation(fn: () => unknown, rule: string, section: string): ModelError {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(ModelError);
  const e = caught as ModelError;
  expect(e.rule).toContain(rule);
  expect(e.section).toBe(section);
  expect(e.message).toContain(section);
  return e;
}

/** A GEM on a fresh machine, driven by raw register accesses. */
function rawGem(opts: GemModelOptions = {}): { m: Machine; gem: GemModel; regs: MmioRegion } {
  const m = new Machine();
  const gem = GemModel.attach(m, { mac: MAC_A, ...opts });
  return { m, gem, regs: unwrap(m.hal.mapMmio(FXMAC0_BASE, 0x2000)) };
}

function upPair(modelA: GemModelOptions = {}, modelB: GemModelOptions = {}) {
  const m = new Machine();
  const gemA = GemModel.attach(m, { base: FXMAC0_BASE, mac: MAC_A, ...modelA });
  const gemB = GemModel.attach(m, { base: FXMAC1_BASE, mac: MAC_B, ...modelB });
  gemA.port.connect(gemB.port.rx);
  gemB.port.connect(gemA.port.rx);
  const a = unwrap(FXmacNic.init(m.hal, { base: FXMAC0_BASE }));
  const b = unwrap(FXmacNic.init(m.hal, { base: FXMAC1_BASE }));
  return { m, gemA, gemB, a, b };
}

/** Frame `seq` of `len` bytes: seq in bytes 14..17, the rest derived from it. */
function writeFrame(p: NetBufPtr, seq: number, len: number): void {
  const b = p.bytes;
  const o = p.offset;
  b.set(MAC_B, o);
  b.set(MAC_A, o + 6);
  b[o + 12] = 0x88;
  b[o + 13] = 0xb5;
  b[o + 14] = seq & 0xff;
  b[o + 15] = (seq >>> 8) & 0xff;
  b[o + 16] = (seq >>> 16) & 0xff;
  b[o + 17] = len & 0xff;
  for (let i = 18; i < len; i++) b[o + i] = (seq * 31 + i * 7) & 0xff;
}

function checkFrame(p: NetBufPtr, lens: Map<number, number>): number {
  const b = p.bytes;
  const o = p.offset;
  const seq = b[o + 14]! | (b[o + 15]! << 8) | (b[o + 16]! << 16);
  const len = lens.get(seq);
  expect(len).toBeDefined();
  expect(p.len).toBe(Math.max(60, len!));
  for (let i = 0; i < 6; i++) expect(b[o + i]).toBe(MAC_B[i]);
  for (let i = 18; i < len!; i++) {
    if (b[o + i] !== ((seq * 31 + i * 7) & 0xff)) throw new Error(`frame ${seq} byte ${i} corrupted`);
  }
  return seq;
}

describe("strict mode: forbidden driver actions throw ModelError naming rule and section", () => {
  it("MDIO without the management port, and non-clause-22 frames", () => {
    const { regs } = rawGem();
    expectViolation(
      () => regs.write32(GEM_PHYMNTNC, 0x60020000 | (1 << 18)),
      "management port is disabled",
      "fxmac-gem 7.1",
    );
    regs.write32(GEM_NWCTRL, NWCTRL_MDEN);
    expectViolation(
      () => regs.write32(GEM_PHYMNTNC, 0x20020000 | (1 << 18)),
      "not clause 22",
      "fxmac-gem 7.1",
    );
    expectViolation(
      () => regs.write32(GEM_PHYMNTNC, 0x60000000 | (1 << 18)),
      "not clause 22",
      "fxmac-gem 7.1",
    );
    regs.write32(GEM_PHYMNTNC, 0x60020000 | (1 << 18)); // a proper read of BMSR at address 0
    expect(regs.read32(GEM_PHYMNTNC) & 0xffff).not.toBe(0xffff);
  });

  it("register access widths and read-only registers", () => {
    const { regs } = rawGem();
    expectViolation(() => regs.read16(GEM_NWCTRL), "2-byte register read", "fxmac-gem 2");
    expectViolation(() => regs.write8(GEM_NWCFG, 1), "1-byte register write", "fxmac-gem 2");
    expectViolation(() => regs.write32(GEM_NWSR, 0), "read-only", "fxmac-gem 2");
    expectViolation(() => regs.write32(STAT_TXCNT, 5), "STATWEN", "fxmac-gem 8");
  });

  it("STARTTX with transmit disabled", () => {
    const { regs } = rawGem();
    expectViolation(
      () => regs.write32(GEM_NWCTRL, NWCTRL_STARTTX),
      "STARTTX written while transmit is disabled",
      "fxmac-gem 3.1",
    );
  });

  it("enabling receive without a usable queue", () => {
    const { regs, m } = rawGem();
    regs.write32(GEM_DMACR, 0);
    regs.write32(GEM_RXQBASE, m.ram.base);
    expectViolation(() => regs.write32(GEM_NWCTRL, NWCTRL_RXEN), "RX buffer size of 0", "fxmac-gem 3.4");
    const g2 = rawGem();
    g2.regs.write32(GEM_RXQBASE, 1); // marked unused, as the reset sequence leaves it
    expectViolation(() => g2.regs.write32(GEM_NWCTRL, NWCTRL_RXEN), "marked unused", "fxmac-gem 5");
    const g3 = rawGem();
    g3.regs.write32(GEM_RXQBASE, 0x1000); // below RAM
    expectViolation(() => g3.regs.write32(GEM_NWCTRL, NWCTRL_RXEN), "outside memory", "fxmac-gem 5");
    const g4 = rawGem();
    g4.regs.write32(GEM_TXQBASE, g4.m.ram.base + 4); // misaligned
    expectViolation(
      () => g4.regs.write32(GEM_NWCTRL, NWCTRL_TXEN),
      "outside memory or misaligned",
      "fxmac-gem 5",
    );
  });

  it("moving a queue base while the queue runs", () => {
    const { m, gemA } = upPair();
    const regs = unwrap(m.hal.mapMmio(FXMAC0_BASE, 0x2000));
    expectViolation(
      () => regs.write32(GEM_RXQBASE, m.ram.base),
      "RX queue base written while receive is enabled",
      "fxmac-gem 5",
    );
    expectViolation(
      () => regs.write32(GEM_TXQBASE, m.ram.base),
      "TX queue base written while transmit is enabled",
      "fxmac-gem 5",
    );
    expectViolation(() => regs.write32(GEM_MSB_RXQBASE, 0), "bits 63:32", "fxmac-gem 5");
    expect(gemA.checker.violations).toBe(0); // strict: thrown, not counted
  });

  it("enabling the MAC at a speed the PHY did not resolve", () => {
    const { regs, m, gem } = rawGem();
    m.clock.advance(2_000_000_000); // power-on auto-negotiation: 1000 full
    expect(gem.phy.linkMode).toEqual({ speed: 1000, fullDuplex: true });
    regs.write32(GEM_RXQBASE, m.ram.base);
    regs.write32(GEM_DMACR, 0x41180710);
    regs.write32(GEM_NWCFG, NWCFG_100 | NWCFG_FDEN);
    expectViolation(
      () => regs.write32(GEM_NWCTRL, NWCTRL_RXEN),
      "MAC configured for 100 Mb/s full duplex but the PHY resolved 1000",
      "fxmac-gem 6.2 step 18",
    );
    regs.write32(GEM_NWCFG, NWCFG_1000 | NWCFG_FDEN);
    regs.write32(GEM_NWCTRL, NWCTRL_RXEN); // matching: fine
  });

  it("bad TX descriptors: zero length, buffer outside RAM, no LAST before a used descriptor", () => {
    const cases: [string, (u32: Uint32Array, w: number, buf: number) => void][] = [
      [
        "buffer length 0",
        (u32, w, buf) => {
          u32[w] = buf;
          u32[w + 2] = 0;
          u32[w + 1] = TX_W1_LAST; // length 0, USED clear
        },
      ],
      [
        "outside memory",
        (u32, w) => {
          u32[w] = 0x1000; // below RAM
          u32[w + 2] = 0;
          u32[w + 1] = TX_W1_LAST | 64;
        },
      ],
      [
        "no LAST buffer",
        (u32, w, buf) => {
          u32[w] = buf;
          u32[w + 2] = 0;
          u32[w + 1] = 64; // no LAST, and the descriptor after it is software-owned
        },
      ],
    ];
    for (const [rule, build] of cases) {
      const { m, gemA, a } = upPair();
      const ram = m.ram;
      const regs = unwrap(m.hal.mapMmio(FXMAC0_BASE, 0x2000));
      const w = (gemA.txQueuePointer - ram.base) >>> 2; // next descriptor the MAC will look at
      const buf = unwrap(a.allocTxBuffer(64));
      build(ram.u32, w, ram.physOf(buf.offset));
      expectViolation(
        () => regs.write32(GEM_NWCTRL, gemA.networkControl | NWCTRL_STARTTX),
        rule,
        "fxmac-gem 4",
      );
      // the frame is written back as corrupt, and transmission rests on it
      expect((ram.u32[w + 1]! & (TX_W1_USED | (1 << 27))) >>> 0).toBe((TX_W1_USED | (1 << 27)) >>> 0);
      expect(gemA.txQueuePointer).toBe(ram.physOf(w << 2));
    }
  });

  it("an RX descriptor pointing outside RAM faults the receive DMA", () => {
    const { m, gemB } = upPair();
    const ram = m.ram;
    const w = (gemB.rxQueuePointer - ram.base) >>> 2;
    ram.u32[w] = 0x2000 | (ram.u32[w]! & RX_W0_WRAP);
    const frame = new Uint8Array(64);
    frame.set(MAC_B, 0);
    expectViolation(() => gemB.receiveFrame(frame, 0, 64), "RX buffer outside memory", "fxmac-gem 4");
  });

  it("counts instead of throwing when not strict", () => {
    const { regs, gem } = rawGem({ mode: { strict: false } });
    regs.write32(GEM_PHYMNTNC, 0x60020000);
    regs.write32(GEM_NWCTRL, NWCTRL_STARTTX);
    regs.read16(GEM_NWCTRL);
    expect(gem.checker.violations).toBe(3);
    expect(gem.checker.last?.rule).toContain("2-byte register read");
  });

  it("a correct driver trips nothing across bring-up and traffic", () => {
    const { gemA, gemB, a, b } = upPair();
    for (let s = 0; s < 200; s++) {
      const t = unwrap(a.allocTxBuffer(64 + s));
      writeFrame(t, s, 64 + s);
      unwrap(a.transmit(t));
      unwrap(b.recycleRxBuffer(unwrap(b.receive())));
      a.recycleTxBuffers();
    }
    expect(gemA.checker.violations + gemB.checker.violations).toBe(0);
    expect(gemA.checker.last).toBeUndefined();
  });
});

describe("hostile mode: the driver survives a lying device", () => {
  it("RX: bad lengths, missing SOF/EOF, phantom used bits are dropped and counted; good frames intact", () => {
    const { gemA, gemB, a, b } = upPair({}, { mode: { hostile: true }, hostileEvery: 5 });
    const lens = new Map<number, number>();
    const out: NetBufPtr[] = [];
    const seen = new Set<number>();
    let seq = 0;
    for (let round = 0; round < 120; round++) {
      const batch: NetBufPtr[] = [];
      for (let k = 0; k < 8; k++) {
        const len = 60 + ((seq * 97) % 1455);
        const t = unwrap(a.allocTxBuffer(len));
        writeFrame(t, seq, len);
        lens.set(seq, len);
        batch.push(t);
        seq++;
      }
      expect(unwrap(a.transmitBatch(batch, 8))).toBe(8);
      a.recycleTxBuffers();
      const n = unwrap(b.receiveBatch(out, 64));
      for (let i = 0; i < n; i++) {
        const s = checkFrame(out[i]!, lens);
        expect(seen.has(s)).toBe(false);
        seen.add(s);
        unwrap(b.recycleRxBuffer(out[i]!));
      }
    }
    const f = gemB.counters.faults;
    expect(f.rxBadLength).toBeGreaterThan(10);
    expect(f.rxNoSof).toBeGreaterThan(10);
    expect(f.rxNoEof).toBeGreaterThan(10);
    expect(f.rxPhantomUsed).toBeGreaterThan(10);
    // every injected fault was caught, none more
    expect(b.stats.rxBadLength).toBe(f.rxBadLength);
    expect(b.stats.rxBadMarkers).toBe(f.rxNoSof + f.rxNoEof + f.rxPhantomUsed);
    expect(b.stats.rxPackets).toBe(gemB.counters.rxFrames - f.rxBadLength - f.rxNoSof - f.rxNoEof);
    expect(seen.size).toBe(b.stats.rxPackets);
    // nothing vanished unaccounted: sent = written to the ring + dropped for lack of a buffer
    expect(gemA.counters.txFrames).toBe(seq);
    expect(gemB.counters.rxFrames + gemB.counters.rxNoBuffer).toBe(seq);
    // the ring is whole: all buffers are in the ring or the pool
    expect(b.rxUnarmed).toBe(0);
    expect(b.rxBufferPool.freeCount).toBe(b.rxBufferPool.capacity - b.rxQueueSize());
  });

  it("TX: frames marked done but lost, and used bits scribbled on descriptors never given", () => {
    const { gemA, gemB, a, b } = upPair({ mode: { hostile: true }, hostileEvery: 5 }, {});
    const lens = new Map<number, number>();
    const out: NetBufPtr[] = [];
    let seq = 0;
    let received = 0;
    for (let round = 0; round < 100; round++) {
      for (let k = 0; k < 6; k++) {
        const len = 60 + ((seq * 13) % 200);
        const t = unwrap(a.allocTxBuffer(len));
        writeFrame(t, seq, len);
        lens.set(seq, len);
        unwrap(a.transmit(t));
        seq++;
      }
      a.recycleTxBuffers();
      const n = unwrap(b.receiveBatch(out, 64));
      for (let i = 0; i < n; i++) {
        checkFrame(out[i]!, lens);
        unwrap(b.recycleRxBuffer(out[i]!));
      }
      received += n;
    }
    const f = gemA.counters.faults;
    expect(f.txLost).toBeGreaterThan(10);
    expect(f.txUsedNotGiven).toBeGreaterThan(10);
    expect(a.stats.txErrors).toBe(f.txLost); // scribbles on free descriptors are not mistaken for completions
    expect(a.stats.txCompleted).toBe(seq - f.txLost);
    expect(received).toBe(seq - f.txLost);
    expect(gemB.counters.rxFrames).toBe(seq - f.txLost);
    expect(a.txPending).toBe(0);
    expect(a.txBufferPool.freeCount).toBe(a.txBufferPool.capacity);
  });

  it("both sides hostile: traffic both ways keeps flowing and every buffer comes home", () => {
    const { a, b, gemA, gemB } = upPair(
      { mode: { hostile: true }, hostileEvery: 3 },
      { mode: { hostile: true }, hostileEvery: 4 },
    );
    const out: NetBufPtr[] = [];
    let got = 0;
    for (let s = 0; s < 600; s++) {
      for (const [tx, rx] of [
        [a, b],
        [b, a],
      ] as const) {
        const t = unwrap(tx.allocTxBuffer(60 + (s % 300)));
        t.bytes.set(tx === a ? MAC_B : MAC_A, t.offset);
        unwrap(tx.transmit(t));
        tx.recycleTxBuffers();
        const n = unwrap(rx.receiveBatch(out, 8));
        for (let i = 0; i < n; i++) unwrap(rx.recycleRxBuffer(out[i]!));
        got += n;
      }
    }
    expect(got).toBeGreaterThan(600);
    expect(gemA.checker.violations + gemB.checker.violations).toBe(0);
    expect(a.shutdown()).toBeUndefined();
    expect(b.shutdown()).toBeUndefined();
  });
});

describe("YT8521 PHY model", () => {
  it("self-clears reset and restart, latches link low, resolves after the AN delay", () => {
    const clock = new VirtualClock();
    const phy = new Yt8521Phy(clock, { autonegDelayNs: 1000, resetDelayNs: 10 });
    expect(phy.linkUp).toBe(false);
    expect(phy.read(MII_BMSR) & (BMSR_LSTATUS | BMSR_ANEGCOMPLETE)).toBe(0);
    clock.advance(1000);
    expect(phy.linkUp).toBe(true);
    // link status latches low: the first read after link-up still shows the old failure
    expect(phy.read(MII_BMSR) & BMSR_LSTATUS).toBe(0);
    expect(phy.read(MII_BMSR) & (BMSR_LSTATUS | BMSR_ANEGCOMPLETE)).toBe(BMSR_LSTATUS | BMSR_ANEGCOMPLETE);
    expect(phy.read(YT_INT_STATUS) & YT_INT_LINK_SUCCESS).toBe(YT_INT_LINK_SUCCESS);
    expect(phy.read(YT_INT_STATUS)).toBe(0); // clear on read
    phy.write(MII_ANAR, 0x0de1);
    phy.write(MII_BMCR, phy.read(MII_BMCR) | BMCR_RESET);
    expect(phy.read(MII_BMCR) & BMCR_RESET).toBe(BMCR_RESET);
    expect(phy.linkUp).toBe(false);
    clock.advance(10);
    expect(phy.read(MII_BMCR)).toBe(0x1140);
    expect(phy.read(MII_ANAR)).toBe(0x01e1); // back to the default
    clock.advance(1000);
    expect(phy.linkUp).toBe(true);
    phy.write(MII_BMCR, BMCR_ANENABLE | BMCR_ANRESTART | 0x0140);
    expect(phy.read(MII_BMCR) & BMCR_ANRESTART).toBe(0);
    expect(phy.linkUp).toBe(false);
    clock.advance(1000);
    expect(phy.linkUp).toBe(true);
    phy.write(MII_BMCR, phy.read(MII_BMCR) | BMCR_PDOWN);
    clock.advance(1_000_000);
    expect(phy.linkUp).toBe(false);
  });

  it("advertises only what ANAR / 1000BASE-T control say", () => {
    const clock = new VirtualClock();
    const phy = new Yt8521Phy(clock, { autonegDelayNs: 1000, partner: { abilities: 0x3f, autoneg: true } });
    phy.write(9, 0); // no 1000BASE-T advertisement
    phy.write(MII_ANAR, 0x0041); // 10 full only
    phy.write(MII_BMCR, BMCR_ANENABLE | BMCR_ANRESTART);
    clock.advance(1000);
    expect(phy.linkMode).toEqual({ speed: 10, fullDuplex: true });
    phy.setPartner(null);
    clock.advance(10_000);
    expect(phy.linkUp).toBe(false);
    phy.setPartner({ abilities: PhyAbility.Half100 | PhyAbility.Full10, autoneg: true });
    clock.advance(1000);
    expect(phy.linkMode).toEqual({ speed: 10, fullDuplex: true });
  });

  it("has the extended-register window", () => {
    const phy = new Yt8521Phy(new VirtualClock());
    phy.write(YT_EXT_ADDR, 0xa001);
    expect(phy.read(YT_EXT_DATA) & 7).toBe(3); // UTP_TO_SGMII
    phy.write(YT_EXT_DATA, 0x8003);
    expect(phy.read(YT_EXT_DATA)).toBe(0x0003); // software reset self-clears
    phy.write(YT_EXT_ADDR, 0xa003);
    phy.write(YT_EXT_DATA, 0x1234);
    expect(phy.read(YT_EXT_DATA)).toBe(0x1234);
  });

  it("answers 0xFFFF at other MDIO addresses", () => {
    const { regs } = rawGem({ phy: { address: 5 } });
    regs.write32(GEM_NWCTRL, NWCTRL_MDEN);
    regs.write32(GEM_PHYMNTNC, 0x60020000 | (4 << 23) | (2 << 18));
    expect(regs.read32(GEM_PHYMNTNC) & 0xffff).toBe(0xffff);
    regs.write32(GEM_PHYMNTNC, 0x60020000 | (5 << 23) | (3 << 18));
    expect(regs.read32(GEM_PHYMNTNC) & 0xffff).toBe(0x011a);
    expect(regs.read32(GEM_NWSR) & 4).toBe(4);
  });
});

describe("GEM model features beyond what the driver uses", () => {
  /** Raw GEM with link up, 32-bit descriptors, 128-byte RX buffers, an 8-descriptor RX ring. */
  function raw32() {
    const { m, gem, regs } = rawGem();
    m.clock.advance(2_000_000_000);
    const ram = m.ram;
    const ring = unwrap(m.hal.dmaAlloc(4096));
    const bufs = unwrap(m.hal.dmaAlloc(8 * 128));
    for (let i = 0; i < 8; i++) {
      ram.u32[(ring.offset >>> 2) + 2 * i] = (bufs.paddr + 128 * i) | (i === 7 ? RX_W0_WRAP : 0);
      ram.u32[(ring.offset >>> 2) + 2 * i + 1] = 0;
    }
    regs.write32(GEM_DMACR, (2 << 16) | 0x10); // 2 x 64 = 128-byte buffers, 32-bit descriptors
    expect(regs.read32(GEM_DMACR) & DMACR_ADDR_64B).toBe(0);
    regs.write32(GEM_RXQBASE, ring.paddr);
    regs.write32(GEM_NWCFG, NWCFG_1000 | NWCFG_FDEN | NWCFG_FCS_REMOVE | NWCFG_MCASTHASHEN);
    regs.write32(GEM_NWCTRL, NWCTRL_MDEN | NWCTRL_RXEN | NWCTRL_TXEN);
    return { m, gem, regs, ram, ring, bufs };
  }

  it("spreads a long frame over several 8-byte descriptors: SOF first, EOF and length last", () => {
    const { gem, ram, ring, bufs } = raw32();
    const frame = new Uint8Array(300);
    frame.set(MAC_A, 0);
    for (let i = 6; i < 300; i++) frame[i] = (i * 3) & 0xff;
    expect(gem.receiveFrame(frame, 0, 300)).toBe(true);
    const d = (i: number) => [
      ram.u32[(ring.offset >>> 2) + 2 * i]!,
      ram.u32[(ring.offset >>> 2) + 2 * i + 1]!,
    ];
    expect(d(0)[1]! & (RX_W1_SOF | RX_W1_EOF)).toBe(RX_W1_SOF);
    expect(d(1)[1]! & (RX_W1_SOF | RX_W1_EOF)).toBe(0);
    expect(d(2)[1]! & (RX_W1_SOF | RX_W1_EOF | 0x1fff)).toBe(RX_W1_EOF | 300);
    for (let i = 0; i < 3; i++) expect(d(i)[0]! & RX_W0_USED).toBe(RX_W0_USED);
    expect(d(3)[0]! & RX_W0_USED).toBe(0);
    expect(ram.u8.subarray(bufs.offset, bufs.offset + 300)).toEqual(frame);
    expect(gem.rxQueuePointer).toBe(ring.paddr + 3 * 8);
  });

  it("accepts a multicast frame whose hash bit is set, with the hash-match bit", () => {
    const { gem, regs, ram, ring } = raw32();
    const frame = new Uint8Array(64);
    const mc = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    frame.set(mc, 0);
    expect(gem.receiveFrame(frame, 0, 64)).toBe(false); // hash empty: filtered
    const h = gemHashIndex(frame, 0);
    regs.write32(h < 32 ? GEM_HASHL : GEM_HASHH, 1 << (h & 31));
    expect(gem.receiveFrame(frame, 0, 64)).toBe(true);
    expect(ram.u32[(ring.offset >>> 2) + 1]! & RX_W1_MHASH_MATCH).toBe(RX_W1_MHASH_MATCH);
    expect(gem.networkConfig & NWCFG_MCASTHASHEN).toBe(NWCFG_MCASTHASHEN);
  });

  it("gathers a frame from several TX buffers and walks a wrapped ring", () => {
    const { m, gem, regs, ram } = raw32();
    const got: number[][] = [];
    const sink: FrameSink = {
      receiveFrame(bytes, off, len) {
        got.push(Array.from(bytes.subarray(off, off + len)));
        return true;
      },
    };
    gem.port.connect(sink);
    regs.write32(GEM_NWCTRL, NWCTRL_MDEN | NWCTRL_RXEN); // TX off to move its base
    const ring = unwrap(m.hal.dmaAlloc(4096));
    const data = unwrap(m.hal.dmaAlloc(4096));
    for (let i = 0; i < 200; i++) ram.u8[data.offset + i] = i;
    const w = ring.offset >>> 2;
    // descriptor 0: 50 bytes, 1: 30 bytes + LAST, 2: WRAP + USED (software-owned)
    ram.u32[w] = data.paddr;
    ram.u32[w + 1] = 50;
    ram.u32[w + 2] = data.paddr + 100;
    ram.u32[w + 3] = 30 | TX_W1_LAST;
    ram.u32[w + 4] = 0;
    ram.u32[w + 5] = (TX_W1_USED | TX_W1_WRAP) >>> 0;
    regs.write32(GEM_TXQBASE, ring.paddr);
    regs.write32(GEM_NWCTRL, NWCTRL_MDEN | NWCTRL_RXEN | NWCTRL_TXEN);
    regs.write32(GEM_NWCTRL, NWCTRL_MDEN | NWCTRL_RXEN | NWCTRL_TXEN | NWCTRL_STARTTX);
    expect(got.length).toBe(1);
    const want = [
      ...Array.from({ length: 50 }, (_, i) => i),
      ...Array.from({ length: 30 }, (_, i) => 100 + i),
    ];
    expect(got[0]).toEqual(want);
    expect(ram.u32[w + 1]! & TX_W1_USED).not.toBe(0); // USED set in the frame's first descriptor
    expect(gem.txQueuePointer).toBe(ring.paddr + 16);
    // give descriptor 2 (the wrapping one) a frame: the MAC sends it and comes back to the base
    ram.u32[w + 4] = data.paddr;
    ram.u32[w + 5] = (64 | TX_W1_LAST | TX_W1_WRAP) >>> 0;
    regs.write32(GEM_NWCTRL, NWCTRL_MDEN | NWCTRL_RXEN | NWCTRL_TXEN | NWCTRL_STARTTX);
    expect(got.length).toBe(2);
    expect(got[1]).toEqual(Array.from({ length: 64 }, (_, i) => i));
    expect(gem.txQueuePointer).toBe(ring.paddr);
  });

  it("reads descriptors and buffers above 4 GiB through the upper-half registers", () => {
    const m = new Machine({ ramBase: 0x1_0000_0000 });
    const gemA = GemModel.attach(m, { base: FXMAC0_BASE, mac: MAC_A });
    const gemB = GemModel.attach(m, { base: FXMAC1_BASE, mac: MAC_B });
    gemA.port.connect(gemB.port.rx);
    gemB.port.connect(gemA.port.rx);
    const a = unwrap(FXmacNic.init(m.hal, { base: FXMAC0_BASE }));
    const b = unwrap(FXmacNic.init(m.hal, { base: FXMAC1_BASE }));
    const regs = unwrap(m.hal.mapMmio(FXMAC0_BASE, 0x2000));
    expect(regs.read32(GEM_MSB_RXQBASE)).toBe(1);
    const t = unwrap(a.allocTxBuffer(128));
    writeFrame(t, 77, 128);
    unwrap(a.transmit(t));
    const ring = (gemA.txQueuePointer - 16 - m.ram.base) >>> 2;
    expect(m.ram.u32[ring + 2]).toBe(1); // word 2 = address bits 63:32
    const r = unwrap(b.receive());
    expect(checkFrame(r, new Map([[77, 128]]))).toBe(77);
  });
});
