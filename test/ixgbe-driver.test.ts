// The ixgbe driver (IxgbeDevice / IxgbeNic) against the 82599 model: bring-up, link, MAC, traffic between two
// NICs, ring wrap, full queues, statistics, RSS, untrusted write-backs, buffer misuse.
import { describe, expect, it } from "vitest";
import { DevError, isDevError, isErrorKind, unwrap } from "../src/base/dev-error.js";
import { DEFAULT_RSS_KEY, IxgbeDevice, IxgbeNic, MemPool, PacketState } from "../src/drivers/ixgbe/index.js";
import { ixgbeToeplitzHash as toeplitzHash } from "../src/emu/ixgbe/index.js";
import { Machine } from "../src/emu/machine.js";
import { IXGBE_BAR0_SIZE } from "../src/hw/ixgbe/ids.js";
import {
  IXGBE_AUTOC,
  IXGBE_AUTOC_AN_RESTART,
  IXGBE_CTRL,
  IXGBE_CTRL_EXT,
  IXGBE_DMATXCTL,
  IXGBE_DTXMXSZRQ,
  IXGBE_EEC,
  IXGBE_EICR,
  IXGBE_EIMC,
  IXGBE_FCTRL,
  IXGBE_GORCH,
  IXGBE_GORCL,
  IXGBE_GOTCH,
  IXGBE_GOTCL,
  IXGBE_GPRC,
  IXGBE_GPTC,
  IXGBE_HLREG0,
  IXGBE_LINKS,
  IXGBE_RAH,
  IXGBE_RAL,
  IXGBE_RDBAH,
  IXGBE_RDBAL,
  IXGBE_RDH,
  IXGBE_RDLEN,
  IXGBE_RDRXCTL,
  IXGBE_RDT,
  IXGBE_RTTDCS,
  IXGBE_RXCTRL,
  IXGBE_RXDCTL,
  IXGBE_RXPBSIZE,
  IXGBE_SRRCTL,
  IXGBE_TDBAH,
  IXGBE_TDBAL,
  IXGBE_TDH,
  IXGBE_TDLEN,
  IXGBE_TDT,
  IXGBE_TXDCTL,
  IXGBE_TXPBSIZE,
} from "../src/hw/ixgbe/regs.js";
import { NetBufPool } from "../src/net/net-buf.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";
import {
  BAR_A,
  BAR_B,
  bytesOf,
  ipv4Frame,
  machineWithModel,
  nicAt,
  type RegAccess,
  sendBytes,
  seqOf,
  testFrame,
  twoNics,
} from "./ixgbe-fixture.js";

const MS = 1_000_000;

/** Finds the accesses matching `steps` in order (each after the previous); fails naming the first missing one. */
function expectInOrder(log: RegAccess[], steps: [string, (a: RegAccess) => boolean][]): number[] {
  const at: number[] = [];
  let i = 0;
  for (const [name, match] of steps) {
    while (i < log.length && !match(log[i]!)) i++;
    if (i >= log.length) throw new Error(`bring-up step not seen (in order): ${name}`);
    at.push(i);
    i++;
  }
  return at;
}
const w =
  (off: number, test: (v: number) => boolean = () => true) =>
  (a: RegAccess) =>
    a.op === "w" && a.off === off && test(a.value);
const r =
  (off: number, test: (v: number) => boolean = () => true) =>
  (a: RegAccess) =>
    a.op === "r" && a.off === off && test(a.value);

/** Index of the first byte where the received buffer differs from `frame` (length included), or -1. */
function mismatch(p: NetBufPtr, frame: Uint8Array): number {
  if (p.len !== frame.length) return Math.min(p.len, frame.length);
  for (let i = 0; i < frame.length; i++) if (p.bytes[p.offset + i] !== frame[i]) return i;
  return -1;
}

/** Receives everything `nic` has, recycling each buffer after `visit`. */
function drain(nic: IxgbeNic, visit: (p: NetBufPtr) => void = () => {}): number {
  let n = 0;
  for (;;) {
    const p = nic.receive();
    if (isDevError(p)) {
      expect(p.kind).toBe("Again");
      return n;
    }
    visit(p);
    unwrap(nic.recycleRxBuffer(p));
    n++;
  }
}

describe("ixgbe bring-up", () => {
  it("follows the datasheet sequence, step by step, as ixy does", () => {
    const qs = 64;
    const { machine, model, recorder } = machineWithModel(
      { mac: [0x02, 0x11, 0x22, 0x33, 0x44, 0x55] },
      true,
    );
    const t0 = machine.clock.now();
    const nic = nicAt(machine, BAR_A, { queueSize: qs });
    const log = recorder!.log;
    const ringRx = model.peekRegister(IXGBE_RDBAL(0));
    const ringTx = model.peekRegister(IXGBE_TDBAL(0));
    const at = expectInOrder(log, [
      ["4.6.3.1 mask all interrupts (EIMC)", w(IXGBE_EIMC, (v) => v === 0xffff_ffff)],
      ["4.6.3.1 clear causes (read EICR)", r(IXGBE_EICR)],
      ["4.6.3.2 global reset CTRL = LNK_RST | RST", w(IXGBE_CTRL, (v) => v === 0x0400_0008)],
      ["poll CTRL while the reset runs", r(IXGBE_CTRL, (v) => (v & 0x0400_0008) !== 0)],
      ["CTRL.RST cleared by the device", r(IXGBE_CTRL, (v) => (v & 0x0400_0008) === 0)],
      ["4.6.3.1 mask interrupts again", w(IXGBE_EIMC, (v) => v === 0xffff_ffff)],
      ["clear causes again", r(IXGBE_EICR)],
      ["4.6.3 EEPROM auto-read done (EEC.ARD)", r(IXGBE_EEC, (v) => (v & 0x200) !== 0)],
      ["4.6.3 DMA init done (RDRXCTL.DMAIDONE)", r(IXGBE_RDRXCTL, (v) => (v & 0x8) !== 0)],
      ["4.6.4 AUTOC.LMS = 10G serial", w(IXGBE_AUTOC, (v) => ((v >>> 13) & 7) === 3)],
      [
        "4.6.4 AUTOC 10G PMA/PMD = XAUI",
        w(IXGBE_AUTOC, (v) => ((v >>> 7) & 3) === 0 && ((v >>> 13) & 7) === 3),
      ],
      ["4.6.4 restart auto-negotiation", w(IXGBE_AUTOC, (v) => (v & IXGBE_AUTOC_AN_RESTART) !== 0)],
      ["4.6.5 read GPRC", r(IXGBE_GPRC)],
      ["4.6.5 read GPTC", r(IXGBE_GPTC)],
      ["4.6.5 read GORCL", r(IXGBE_GORCL)],
      ["4.6.5 read GORCH", r(IXGBE_GORCH)],
      ["4.6.5 read GOTCL", r(IXGBE_GOTCL)],
      ["4.6.5 read GOTCH", r(IXGBE_GOTCH)],
      ["4.6.7 RX off", w(IXGBE_RXCTRL, (v) => (v & 1) === 0)],
      ["RXPBSIZE(0) = 128 KiB", w(IXGBE_RXPBSIZE(0), (v) => v === 0x20000)],
      ["RXPBSIZE(7) = 0", w(IXGBE_RXPBSIZE(7), (v) => v === 0)],
      ["HLREG0.RXCRCSTRP", w(IXGBE_HLREG0, (v) => (v & 2) !== 0)],
      ["RDRXCTL.CRCSTRIP", w(IXGBE_RDRXCTL, (v) => (v & 2) !== 0)],
      ["FCTRL.BAM", w(IXGBE_FCTRL, (v) => (v & 0x400) !== 0)],
      ["SRRCTL(0) advanced one-buffer", w(IXGBE_SRRCTL(0), (v) => (v & 0x0e00_0000) === 0x0200_0000)],
      ["SRRCTL(0).DROP_EN", w(IXGBE_SRRCTL(0), (v) => (v & 0x1000_0000) !== 0)],
      ["RDBAL(0)", w(IXGBE_RDBAL(0), (v) => v === ringRx && v % 128 === 0)],
      ["RDBAH(0)", w(IXGBE_RDBAH(0), (v) => v === 0)],
      ["RDLEN(0) = QS * 16", w(IXGBE_RDLEN(0), (v) => v === qs * 16)],
      ["RDH(0) = 0", w(IXGBE_RDH(0), (v) => v === 0)],
      ["RDT(0) = 0", w(IXGBE_RDT(0), (v) => v === 0)],
      ["CTRL_EXT.NS_DIS", w(IXGBE_CTRL_EXT, (v) => (v & 0x10000) !== 0)],
      ["DCA_RXCTRL(0) bit 12 cleared", w(0x02200, (v) => (v & 0x1000) === 0)],
      ["RX on", w(IXGBE_RXCTRL, (v) => (v & 1) === 1)],
      ["4.6.8 HLREG0.TXCRCEN | TXPADEN", w(IXGBE_HLREG0, (v) => (v & 0x401) === 0x401)],
      ["TXPBSIZE(0) = 40 KiB", w(IXGBE_TXPBSIZE(0), (v) => v === 0xa000)],
      ["DTXMXSZRQ = 0xFFFF", w(IXGBE_DTXMXSZRQ, (v) => v === 0xffff)],
      ["RTTDCS.ARBDIS cleared", w(IXGBE_RTTDCS, (v) => (v & 0x40) === 0)],
      ["TDBAL(0)", w(IXGBE_TDBAL(0), (v) => v === ringTx)],
      ["TDBAH(0)", w(IXGBE_TDBAH(0), (v) => v === 0)],
      ["TDLEN(0)", w(IXGBE_TDLEN(0), (v) => v === qs * 16)],
      ["TXDCTL thresholds 36/8/4", w(IXGBE_TXDCTL(0), (v) => (v & 0x7f7f7f) === (36 | (8 << 8) | (4 << 16)))],
      ["DMATXCTL = TE", w(IXGBE_DMATXCTL, (v) => v === 1)],
      ["RXDCTL(0).ENABLE", w(IXGBE_RXDCTL(0), (v) => (v & (1 << 25)) !== 0)],
      ["RXDCTL(0) reads enabled", r(IXGBE_RXDCTL(0), (v) => (v & (1 << 25)) !== 0)],
      ["RDH(0) = 0", w(IXGBE_RDH(0), (v) => v === 0)],
      ["RDT(0) = QS - 1", w(IXGBE_RDT(0), (v) => v === qs - 1)],
      ["TDH(0) = 0", w(IXGBE_TDH(0), (v) => v === 0)],
      ["TDT(0) = 0", w(IXGBE_TDT(0), (v) => v === 0)],
      ["TXDCTL(0).ENABLE", w(IXGBE_TXDCTL(0), (v) => (v & (1 << 25)) !== 0)],
      ["TXDCTL(0) reads enabled", r(IXGBE_TXDCTL(0), (v) => (v & (1 << 25)) !== 0)],
      ["promiscuous FCTRL.MPE | UPE", w(IXGBE_FCTRL, (v) => (v & 0x300) === 0x300 && (v & 0x400) !== 0)],
      ["LINKS: up at 10 Gb/s", r(IXGBE_LINKS, (v) => v === 0x7000_0000)],
    ]);
    // virtual time: the reset took its emulated time, the driver waited 10 ms after it, the link came up
    // 100 ms after the auto-negotiation restart
    const resetWrite = log[at[2]!]!.at;
    const resetDone = log[at[4]!]!.at;
    expect(resetDone - resetWrite).toBeGreaterThanOrEqual(10_000);
    expect(log[at[7]!]!.at - resetDone).toBeGreaterThanOrEqual(10 * MS);
    const anRestart = log[at[11]!]!.at;
    expect(log[at[at.length - 1]!]!.at - anRestart).toBeGreaterThanOrEqual(100 * MS);
    expect(machine.clock.now() - t0).toBeLessThan(1000 * MS);
    // the link was polled down before it was seen up
    expect(log.some((a) => a.op === "r" && a.off === IXGBE_LINKS && a.value === 0)).toBe(true);
    // the RX ring is full of distinct pool buffers, the device owns QS-1 of them
    expect(model.rxQueueState(0)).toEqual({ enabled: true, size: qs, head: 0, tail: qs - 1 });
    expect(model.txQueueState(0)).toEqual({ enabled: true, size: qs, head: 0, tail: 0 });
    const ram = machine.ram;
    const addrs = new Set<number>();
    for (let d = 0; d < qs; d++) {
      const off = ram.offsetOf(ringRx) + d * 16;
      const pa = ram.read64(off);
      expect(ram.offsetOf(pa) - nic.pool.region.offset).toBeGreaterThanOrEqual(0);
      expect((pa - nic.pool.region.paddr) % 2048).toBe(0);
      addrs.add(pa);
      expect(ram.read64(off + 8)).toBe(0);
    }
    expect(addrs.size).toBe(qs);
    expect(nic.pool.countIn(PacketState.RxRing)).toBe(qs);
    expect(nic.pool.freeCount).toBe(4096 - qs);
    expect(nic.deviceName()).toBe("ixgbe");
  });

  it("brings the link up at 10 Gb/s only after the emulated auto-negotiation delay", () => {
    const { machine, model } = machineWithModel({ linkUpDelayNs: 2_000 * MS });
    const nic = nicAt(machine, BAR_A, { queueSize: 64 });
    expect(model.isLinkUp).toBe(true);
    expect(nic.linkSpeed()).toBe(10000);
    expect(machine.clock.now()).toBeGreaterThanOrEqual(2_000 * MS);
    expect(machine.clock.now()).toBeLessThan(3_000 * MS);
  });

  it("gives up waiting for a link without a partner after the bound, and still works", () => {
    const { machine, model } = machineWithModel({ linkPartner: false });
    const nic = nicAt(machine, BAR_A, { queueSize: 64, linkTimeoutNs: 3_000 * MS });
    expect(model.isLinkUp).toBe(false);
    expect(nic.linkSpeed()).toBe(0);
    expect(machine.clock.now()).toBeGreaterThanOrEqual(3_000 * MS);
    // frames queue up while the link is down
    expect(sendBytes(nic, testFrame(60, 1))).toBeUndefined();
    expect(model.txQueueState(0).head).toBe(0);
    expect(model.txQueueState(0).tail).toBe(1);
  });

  it("reads the MAC address from RAL(0)/RAH(0), which the EEPROM auto-read loaded", () => {
    const { machine, model } = machineWithModel({ mac: [0x00, 0x1b, 0x21, 0xab, 0xcd, 0xef] });
    const nic = nicAt(machine, BAR_A, { queueSize: 64 });
    expect(nic.macAddress().toString()).toBe("00:1b:21:ab:cd:ef");
    expect(model.peekRegister(IXGBE_RAL(0))).toBe(0xab211b00);
    expect(model.peekRegister(IXGBE_RAH(0))).toBe(0x8000efcd);
    unwrap(nic.device.setMacAddr([2, 4, 6, 8, 10, 12]));
    expect(nic.macAddress().toString()).toBe("02:04:06:08:0a:0c");
  });

  it("refuses bad parameters", () => {
    const { machine, model } = machineWithModel();
    const hal = machine.hal;
    const regs = unwrap(hal.mapMmio(BAR_A, IXGBE_BAR0_SIZE));
    expect(isErrorKind(IxgbeNic.init(hal, regs, { queueSize: 100 }), "InvalidParam")).toBe(true);
    expect(isErrorKind(IxgbeNic.init(hal, regs, { queueCount: 65 }), "InvalidParam")).toBe(true);
    expect(isErrorKind(MemPool.allocate(hal, 16, 3000), "InvalidParam")).toBe(true);
    const small = unwrap(hal.mapMmio(BAR_A, 0x1000));
    const pool = unwrap(MemPool.allocate(hal, 64));
    expect(isErrorKind(IxgbeDevice.init(hal, small, pool), "InvalidParam")).toBe(true);
    // a pool too small for the RX rings: NoMemory, and nothing leaks
    const r = IxgbeDevice.init(hal, regs, pool, { queueSize: 128 });
    expect(isErrorKind(r, "NoMemory")).toBe(true);
    expect(pool.freeCount).toBe(64);
    // enough for queue 0 but not queue 1: queue 0 was live, so the device is reset before its memory goes back
    machine.clock.advance(1000 * MS);
    const r2 = IxgbeDevice.init(hal, regs, pool, { queueSize: 64, numRxQueues: 2, numTxQueues: 2 });
    expect(isErrorKind(r2, "NoMemory")).toBe(true);
    expect(model.isResetting).toBe(true);
    expect(model.rxQueueState(0).enabled).toBe(false);
    expect(pool.freeCount).toBe(64);
  });
});

describe("ixgbe traffic between two NICs", () => {
  it("carries frames of every length from 60 to 1514 bytes both ways, byte for byte", () => {
    const { nicA, nicB, a, b } = twoNics({ queueSize: 256 });
    for (let len = 60; len <= 1514; len++) {
      const fa = testFrame(len, len);
      expect(sendBytes(nicA, fa)).toBeUndefined();
      const pb = unwrap(nicB.receive());
      expect(pb.len).toBe(len);
      expect(mismatch(pb, fa)).toBe(-1);
      unwrap(nicB.recycleRxBuffer(pb));
      const fb = testFrame(len, len + 100_000, [0x02, 0, 0, 0, 0, 0xaa], [0x02, 0, 0, 0, 0, 0xbb]);
      expect(sendBytes(nicB, fb)).toBeUndefined();
      const pa = unwrap(nicA.receive());
      expect(pa.len).toBe(len);
      expect(mismatch(pa, fb)).toBe(-1);
      unwrap(nicA.recycleRxBuffer(pa));
    }
    expect(isErrorKind(nicA.receive(), "Again")).toBe(true);
    expect(isErrorKind(nicB.receive(), "Again")).toBe(true);
    expect(a.txFrames).toBe(1455);
    expect(b.txFrames).toBe(1455);
    expect(a.rxMissed + b.rxMissed).toBe(0);
  });

  it("wraps the rings many times and keeps order (batches through the NetDriverOps batch calls)", () => {
    const qs = 64;
    const { nicA, nicB, b } = twoNics({ queueSize: qs });
    const heads = new Set<number>();
    let next = 0;
    let expected = 0;
    const tx = new Array<NetBufPtr>(40);
    const rx = new Array<NetBufPtr>(40);
    for (let round = 0; round < 200; round++) {
      // at most 32 per batch: with ixy's clean-up in batches of 32, up to 31 sent descriptors may still wait
      const k = 1 + (round % 32);
      for (let i = 0; i < k; i++) {
        const p = unwrap(nicA.allocTxBuffer(64 + (next % 100)));
        p.bytes.set(testFrame(p.len, next), p.offset);
        tx[i] = p;
        next++;
      }
      expect(unwrap(nicA.transmitBatch(tx, k))).toBe(k);
      heads.add(b.rxQueueState(0).head);
      const n = unwrap(nicB.receiveBatch(rx, 40));
      expect(n).toBe(k);
      for (let i = 0; i < n; i++) {
        expect(seqOf(rx[i]!)).toBe(expected);
        expect(mismatch(rx[i]!, testFrame(64 + (expected % 100), expected))).toBe(-1);
        expected++;
        unwrap(nicB.recycleRxBuffer(rx[i]!));
      }
    }
    expect(expected).toBe(next);
    expect(next).toBeGreaterThan(30 * qs);
    expect(heads.size).toBe(qs); // the device's head visited every descriptor
    // every buffer is somewhere: B's ring holds QS, A's TX ring what is not cleaned yet, the rest is free
    expect(nicB.pool.countIn(PacketState.RxRing)).toBe(qs);
    expect(nicB.pool.countIn(PacketState.Held)).toBe(0);
    expect(nicA.pool.countIn(PacketState.TxRing)).toBe(nicA.device.txInFlight(0));
    expect(nicA.device.txInFlight(0)).toBeLessThan(qs);
    expect(nicA.pool.freeCount + nicA.pool.countIn(PacketState.TxRing) + qs).toBe(4096);
  });

  it("fills the TX ring while the link is down (Again), then sends it all when the link returns", () => {
    const qs = 64;
    const { machine, nicA, nicB, a } = twoNics({ queueSize: qs });
    a.linkPartner = false;
    machine.mmio.write(BAR_A + IXGBE_AUTOC, 4, a.peekRegister(IXGBE_AUTOC) | IXGBE_AUTOC_AN_RESTART);
    expect(nicA.linkSpeed()).toBe(0);
    let queued = 0;
    for (;;) {
      const res = sendBytes(nicA, testFrame(100, queued));
      if (res !== undefined) {
        expect(res).toBe(DevError.Again);
        break;
      }
      queued++;
    }
    expect(queued).toBe(qs - 1); // one descriptor always stays free (ixy's full condition)
    expect(nicA.canTransmit()).toBe(false);
    expect(nicA.pool.countIn(PacketState.TxRing)).toBe(qs - 1);
    a.linkPartner = true;
    machine.mmio.write(BAR_A + IXGBE_AUTOC, 4, a.peekRegister(IXGBE_AUTOC) | IXGBE_AUTOC_AN_RESTART);
    machine.clock.advance(200 * MS);
    expect(nicA.linkSpeed()).toBe(10000);
    const seen: number[] = [];
    drain(nicB, (p) => seen.push(seqOf(p)));
    expect(seen).toEqual(Array.from({ length: qs - 1 }, (_, i) => i));
    // sent descriptors are reclaimed in batches of 32
    expect(nicA.canTransmit()).toBe(true);
    unwrap(nicA.recycleTxBuffers());
    expect(nicA.device.txInFlight(0)).toBe(qs - 1 - 32);
    expect(sendBytes(nicA, testFrame(100, 999))).toBeUndefined();
  });

  it("counts frames that find no free RX descriptor as missed (MPC), and recovers", () => {
    const qs = 64;
    const { nicA, nicB, b } = twoNics({ queueSize: 1024 }, {}, {}, { queueSize: qs });
    for (let i = 0; i < 100; i++) expect(sendBytes(nicA, testFrame(80, i))).toBeUndefined();
    expect(b.rxMissed).toBe(100 - (qs - 1));
    const seen: number[] = [];
    drain(nicB, (p) => seen.push(seqOf(p)));
    expect(seen).toEqual(Array.from({ length: qs - 1 }, (_, i) => i));
    const stats = nicB.readStats();
    expect(stats.rxMissed).toBe(100 - (qs - 1));
    expect(stats.rxPackets).toBe(qs - 1);
    // room again: the next frames arrive
    for (let i = 100; i < 110; i++) expect(sendBytes(nicA, testFrame(80, i))).toBeUndefined();
    const later: number[] = [];
    drain(nicB, (p) => later.push(seqOf(p)));
    expect(later).toEqual(Array.from({ length: 10 }, (_, i) => 100 + i));
  });

  it("reports statistics equal to the traffic sent (octets with FCS, short frames padded to 60)", () => {
    const { nicA, nicB } = twoNics({ queueSize: 256 });
    nicA.readStats();
    nicB.readStats();
    let octets = 0;
    const lens = [60, 61, 64, 100, 128, 512, 999, 1000, 1500, 1514];
    for (let i = 0; i < 200; i++) {
      const len = lens[i % lens.length]!;
      expect(sendBytes(nicA, testFrame(len, i))).toBeUndefined();
      octets += len + 4;
      if (i % 50 === 49) drain(nicB);
    }
    // a 42-byte frame goes out padded to 60 (HLREG0.TXPADEN)
    expect(sendBytes(nicA, testFrame(42, 7777))).toBeUndefined();
    octets += 64;
    let padded: Uint8Array | undefined;
    drain(nicB, (p) => {
      if (p.len === 60 && seqOf(p) === 7777) padded = bytesOf(p);
    });
    expect(padded).toBeDefined();
    expect(padded!.subarray(0, 42)).toEqual(testFrame(42, 7777));
    expect(padded!.subarray(42)).toEqual(new Uint8Array(18));
    const sa = nicA.readStats();
    const sb = nicB.readStats();
    expect(sa.txPackets).toBe(201);
    expect(sa.txBytes).toBe(octets);
    expect(sb.rxPackets).toBe(201);
    expect(sb.rxBytes).toBe(octets);
    expect(sb.rxMissed).toBe(0);
    expect(sa.rxPackets).toBe(0);
    // totals keep growing; the registers themselves were cleared by the reads
    expect(sendBytes(nicA, testFrame(60, 1))).toBeUndefined();
    expect(nicA.readStats().txPackets).toBe(202);
  });
});

describe("ixgbe multi-queue with RSS", () => {
  it("delivers different flows to different queues, as the Toeplitz hash and RETA say", () => {
    const { nicA, nicB } = twoNics({ queueSize: 128 }, {}, {}, { queueSize: 128, queueCount: 4, rss: true });
    const key = Uint8Array.from(DEFAULT_RSS_KEY);
    const expectedQueue = new Map<number, number>();
    const flows = 48;
    for (let f = 0; f < flows; f++) {
      const proto = f % 2 === 0 ? 17 : 6;
      const src = [10, 0, 0, 1 + (f % 7)];
      const dst = [10, 0, 1, 1];
      const sport = 1000 + f * 37;
      const dport = 80 + f;
      const input = Uint8Array.from([...src, ...dst, sport >>> 8, sport & 0xff, dport >>> 8, dport & 0xff]);
      const hash = toeplitzHash(key, input, 12);
      expectedQueue.set(sport, (hash & 127) % 4); // the driver's RETA deals queues round-robin
      expect(sendBytes(nicA, ipv4Frame(proto, src, dst, sport, dport, 80))).toBeUndefined();
    }
    const got = new Map<number, number>();
    const out = new Array<NetBufPtr>(64);
    for (let q = 0; q < 4; q++) {
      const n = unwrap(nicB.device.receivePackets(q, out, 0, 64));
      for (let i = 0; i < n; i++) {
        const p = out[i]!;
        const sport = (p.bytes[p.offset + 34]! << 8) | p.bytes[p.offset + 35]!;
        got.set(sport, q);
        unwrap(nicB.recycleRxBuffer(p));
      }
    }
    expect(got.size).toBe(flows);
    expect(got).toEqual(expectedQueue);
    expect(new Set(got.values()).size).toBe(4);
    // the same flow always lands in the same queue; IxgbeNic.receive polls every queue in turn
    for (let i = 0; i < 8; i++)
      expect(sendBytes(nicA, ipv4Frame(17, [10, 0, 0, 1], [10, 0, 1, 1], 1000, 80))).toBeUndefined();
    expect(drain(nicB)).toBe(8);
  });
});

describe("ixgbe driver against an untrusted device", () => {
  it("drops a frame spread over descriptors (DD without EOP) and counts it", () => {
    const { machine, nicA, nicB } = twoNics({ queueSize: 64 });
    // B's queue 0 with 1 KiB buffers: a 1500-byte frame takes two descriptors
    machine.mmio.write(BAR_B + IXGBE_RXDCTL(0), 4, 0);
    const srrctl = machine.mmio.read(BAR_B + IXGBE_SRRCTL(0), 4);
    machine.mmio.write(BAR_B + IXGBE_SRRCTL(0), 4, (srrctl & ~0x7f) | 1);
    machine.mmio.write(BAR_B + IXGBE_RXDCTL(0), 4, 1 << 25);
    expect(sendBytes(nicA, testFrame(1500, 1))).toBeUndefined();
    expect(sendBytes(nicA, testFrame(100, 2))).toBeUndefined();
    const seen: number[] = [];
    drain(nicB, (p) => seen.push(seqOf(p)));
    expect(seen).toEqual([2]);
    expect(nicB.readStats().rxErrors).toBe(1);
    expect(nicB.pool.countIn(PacketState.RxRing)).toBe(64);
  });

  it("drops a write-back whose length exceeds the buffer and keeps the buffer in the ring", () => {
    const { machine, nicA, nicB, b } = twoNics({ queueSize: 64 });
    expect(sendBytes(nicA, testFrame(200, 1))).toBeUndefined();
    // the device lies about the length of descriptor 0
    const ring = machine.ram.offsetOf(b.peekRegister(IXGBE_RDBAL(0)));
    machine.ram.u16[(ring + 12) >>> 1] = 4000;
    const before = machine.ram.read64(ring); // overwritten by the write-back: the driver must restore it
    expect(isErrorKind(nicB.receive(), "Again")).toBe(true);
    expect(nicB.readStats().rxErrors).toBe(1);
    expect(machine.ram.read64(ring)).not.toBe(before);
    expect(machine.ram.u32[(ring + 8) >>> 2]).toBe(0); // DD cleared, descriptor re-armed
    expect(nicB.pool.countIn(PacketState.RxRing)).toBe(64);
    expect(sendBytes(nicA, testFrame(200, 2))).toBeUndefined();
    const p = unwrap(nicB.receive());
    expect(seqOf(p)).toBe(2);
    expect(p.len).toBe(200);
  });

  it("survives a hostile device: bad lengths, DD on descriptors never posted; stays consistent", () => {
    const qs = 128;
    const { nicA, nicB, a, b } = twoNics(
      { queueSize: qs },
      { hostile: true, hostileSeed: 7 },
      { hostile: true, hostileSeed: 99, hostileRate: 4 },
    );
    let good = 0;
    const tx = new Array<NetBufPtr>(32);
    const rx = new Array<NetBufPtr>(64);
    let seq = 0;
    for (let round = 0; round < 300; round++) {
      let k = 0;
      for (; k < 32; k++) {
        const p = nicA.allocTxBuffer(64 + (seq % 900));
        if (isDevError(p)) break;
        p.bytes.set(testFrame(p.len, seq++), p.offset);
        tx[k] = p;
      }
      const sent = nicA.transmitBatch(tx, k);
      const s = isDevError(sent) ? 0 : sent;
      for (let i = s; i < k; i++) unwrap(nicA.recycleRxBuffer(tx[i]!));
      const n = unwrap(nicB.receiveBatch(rx, 64));
      for (let i = 0; i < n; i++) {
        const p = rx[i]!;
        expect(p.len).toBeGreaterThan(0);
        expect(p.len).toBeLessThanOrEqual(2048);
        const sq = seqOf(p);
        if (sq < seq && p.len === 64 + (sq % 900) && mismatch(p, testFrame(p.len, sq)) < 0) good++;
        unwrap(nicB.recycleRxBuffer(p));
      }
    }
    expect(a.hostileActions).toBeGreaterThan(0);
    expect(b.hostileActions).toBeGreaterThan(10);
    const stats = nicB.readStats();
    expect(stats.rxErrors).toBeGreaterThan(0);
    expect(good).toBeGreaterThan(seq / 2);
    // every buffer is in exactly one place
    expect(nicB.pool.countIn(PacketState.RxRing)).toBe(qs);
    expect(nicB.pool.countIn(PacketState.Held)).toBe(0);
    expect(nicB.pool.freeCount + qs).toBe(4096);
    expect(nicA.pool.countIn(PacketState.Held)).toBe(0);
    expect(nicA.pool.countIn(PacketState.TxRing)).toBe(nicA.device.txInFlight(0));
    // once the device behaves, traffic is clean again
    a.hostile = false;
    b.hostile = false;
    drain(nicB);
    const seen: number[] = [];
    for (let i = 0; i < 40; i++) expect(sendBytes(nicA, testFrame(300, 1_000_000 + i))).toBeUndefined();
    drain(nicB, (p) => {
      expect(bytesOf(p)).toEqual(testFrame(300, seqOf(p)));
      seen.push(seqOf(p));
    });
    expect(seen.filter((s) => s >= 1_000_000).length).toBeGreaterThanOrEqual(38);
  });

  it("never reads the descriptor at the tail, which it did not give to the device", () => {
    const qs = 64;
    const { machine, nicA, nicB, b } = twoNics({ queueSize: qs });
    for (let i = 0; i < qs - 1; i++) expect(sendBytes(nicA, testFrame(100, i))).toBeUndefined();
    expect(b.rxQueueState(0)).toMatchObject({ head: qs - 1, tail: qs - 1 });
    // a device that writes DD|EOP into descriptor RDT (never posted)
    const ring = machine.ram.offsetOf(b.peekRegister(IXGBE_RDBAL(0)));
    const d = ring + (qs - 1) * 16;
    machine.ram.u32[(d + 12) >>> 2] = 64;
    machine.ram.u32[(d + 8) >>> 2] = 3;
    const seen: number[] = [];
    drain(nicB, (p) => seen.push(seqOf(p)));
    expect(seen).toEqual(Array.from({ length: qs - 1 }, (_, i) => i));
    expect(nicB.readStats().rxErrors).toBe(0);
    // and the device's next frame lands in descriptor 63, where the driver finds it
    expect(sendBytes(nicA, testFrame(100, 63))).toBeUndefined();
    drain(nicB, (p) => seen.push(seqOf(p)));
    expect(seen[qs - 1]).toBe(qs - 1);
    expect(seen.length).toBe(qs);
  });
});

describe("ixgbe buffer ownership", () => {
  it("answers misuse with DevError, never with corrupted state", () => {
    const { nicA, nicB } = twoNics({ queueSize: 64 });
    // too big for an entry (2048 - 32 headroom)
    expect(isErrorKind(nicA.allocTxBuffer(2017), "InvalidParam")).toBe(true);
    const p = unwrap(nicA.allocTxBuffer(2016));
    expect(p.offset % 2048).toBe(32 % 2048);
    // recycled twice
    unwrap(nicA.recycleRxBuffer(p));
    expect(isErrorKind(nicA.recycleRxBuffer(p), "BadState")).toBe(true);
    // sent twice
    const q = unwrap(nicA.allocTxBuffer(100));
    q.bytes.set(testFrame(100, 1), q.offset);
    unwrap(nicA.transmit(q));
    expect(isErrorKind(nicA.transmit(q), "BadState")).toBe(true);
    expect(isErrorKind(nicA.recycleRxBuffer(q), "BadState")).toBe(true);
    // another NIC's buffer, a NetBuf of a NetBufPool
    const other = unwrap(nicB.allocTxBuffer(100));
    expect(isErrorKind(nicA.transmit(other), "InvalidParam")).toBe(true);
    expect(isErrorKind(nicA.recycleRxBuffer(other), "InvalidParam")).toBe(true);
    const machine = new Machine();
    const foreign = unwrap(NetBufPool.create(machine.hal, 4, 2048))
      .alloc()!
      .intoBufPtr();
    expect(isErrorKind(nicA.transmit(foreign), "InvalidParam")).toBe(true);
    // a pointer moved outside its entry, an empty packet
    const z = unwrap(nicA.allocTxBuffer(100));
    z.offset += 2000;
    expect(isErrorKind(nicA.transmit(z), "InvalidParam")).toBe(true);
    z.offset -= 2000;
    z.len = 0;
    expect(isErrorKind(nicA.transmit(z), "InvalidParam")).toBe(true);
    // a pointer moved onto another held buffer's bytes is neither buffer's: refused on both paths, and
    // both buffers stay usable
    const u = unwrap(nicA.allocTxBuffer(100));
    const uOff = u.offset;
    u.offset = z.offset;
    expect(isErrorKind(nicA.transmitBatch([u], 1), "InvalidParam")).toBe(true);
    expect(isErrorKind(nicA.recycleRxBuffer(u), "InvalidParam")).toBe(true);
    u.offset = uOff;
    unwrap(nicA.recycleRxBuffer(u));
    // a batch stops at the first bad buffer; what came before is sent
    z.len = 100;
    z.bytes.set(testFrame(100, 5), z.offset);
    expect(unwrap(nicA.transmitBatch([z, other], 2))).toBe(1);
    expect(seqOf(unwrap(nicB.receive()))).toBe(1);
    // an exhausted pool gives NoMemory
    const held: NetBufPtr[] = [];
    for (;;) {
      const b = nicA.allocTxBuffer(60);
      if (isDevError(b)) {
        expect(b.kind).toBe("NoMemory");
        break;
      }
      held.push(b);
    }
    expect(nicA.pool.freeCount).toBe(0);
    for (const b of held) unwrap(nicA.recycleRxBuffer(b));
    unwrap(nicB.recycleRxBuffer(other));
  });

  it("forwards a received buffer as is (its data starts at the entry, not after the headroom)", () => {
    const { nicA, nicB } = twoNics({ queueSize: 64 });
    expect(sendBytes(nicA, testFrame(300, 42))).toBeUndefined();
    const p = unwrap(nicB.receive());
    unwrap(nicB.transmit(p)); // B sends back what it got
    const back = unwrap(nicA.receive());
    expect(bytesOf(back)).toEqual(testFrame(300, 42));
  });
});

describe("ixgbe two devices on one machine, seen through IxgbeDevice", () => {
  it("uses queue-indexed batch calls and refuses unknown queues", () => {
    const { nicA, nicB } = twoNics({ queueSize: 64 });
    expect(nicA.device.receivePackets(1, [], 0, 1)).toBe(DevError.InvalidParam);
    expect(nicA.device.sendPackets(3, [], 0, 0)).toBe(DevError.InvalidParam);
    expect(nicA.device.canReceive(0)).toBe(false);
    expect(sendBytes(nicA, testFrame(64, 1))).toBeUndefined();
    expect(nicB.device.canReceive(0)).toBe(true);
    expect(nicB.canReceive()).toBe(true);
    expect(nicB.rxQueueSize()).toBe(64);
    expect(nicB.txQueueSize()).toBe(64);
  });
});
