// A hostile virtio-net model writes bogus used entries: ids out of range or not in flight, lengths beyond
// the buffer, a used index running ahead. The driver answers BadState, throws nothing, and loses or
// duplicates no buffer.

import { describe, expect, it } from "vitest";
import { DevError, isErrorKind, unwrap } from "../src/base/dev-error.js";
import { VirtIoNetDev } from "../src/drivers/virtio/index.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";
import {
  censusTotal,
  checkFrame,
  connect,
  fillFrame,
  receiveCopy,
  sendFrame,
  TRANSPORTS,
  type TransportKind,
  VirtioRig,
} from "./virtio-fixture.js";

const QS = 32;

function setup(kind: TransportKind, hostileSide: { hostile?: boolean; hostileEvery?: number } = {}) {
  const rig = new VirtioRig();
  const a = rig.addNic(kind, {}, { queueSize: QS });
  const b = rig.addNic(
    kind,
    {
      mode: { strict: true, hostile: hostileSide.hostile ?? false },
      hostileEvery: hostileSide.hostileEvery ?? 16,
    },
    { queueSize: QS },
  );
  connect(a.model, b.model);
  return { rig, a, b };
}

function expectConsistent(dev: VirtIoNetDev): void {
  const c = dev.bufferCensus();
  expect(censusTotal(dev)).toBe(2 * QS);
  expect(c.rxRing + c.user).toBeLessThanOrEqual(2 * QS);
}

describe.each(TRANSPORTS)("hostile device over %s", (kind) => {
  it("receive: a length beyond the buffer is BadState, the buffer is re-posted", () => {
    const { a, b } = setup(kind);
    b.model.injectHostile(0, "len-too-long");
    unwrap(sendFrame(a.dev, 100, 1));
    const r = b.dev.receive();
    expect(isErrorKind(r, "BadState")).toBe(true);
    expect((r as DevError).detail).toMatch(/length beyond the buffer/);
    expect(b.dev.stats.badLengths).toBe(1);
    expect(b.dev.bufferCensus()).toEqual({ user: 0, txFree: QS, rxRing: QS, txRing: 0, pool: 0 });
    unwrap(sendFrame(a.dev, 101, 2));
    expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 101, 2)).toBe(-1);
  });

  it("receive: an id out of range is skipped with BadState", () => {
    const { a, b } = setup(kind);
    b.model.injectHostile(0, "id-out-of-range");
    unwrap(sendFrame(a.dev, 100, 1));
    expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 100, 1)).toBe(-1);
    const r = b.dev.receive();
    expect(isErrorKind(r, "BadState")).toBe(true);
    expect((r as DevError).detail).toMatch(/out of range or not in flight/);
    expect(b.dev.receive()).toBe(DevError.Again);
    expect(b.dev.stats.badUsedEntries).toBe(1);
    expectConsistent(b.dev);
  });

  it("receive: an id not in flight (a repeated completion) is BadState, reported after the good frames", () => {
    const { a, b } = setup(kind);
    b.model.injectHostile(0, "id-not-in-flight");
    unwrap(sendFrame(a.dev, 90, 1));
    unwrap(sendFrame(a.dev, 91, 2));
    const out: NetBufPtr[] = new Array(8);
    const n = unwrap(b.dev.receiveBatch(out, 8));
    expect(n).toBe(1); // the good frame; the duplicate stopped the batch
    expect(checkFrame(out[0]!.bytes, out[0]!.offset, out[0]!.len, 1)).toBe(-1);
    expect(b.dev.canReceive()).toBe(true);
    const e = b.dev.receiveBatch(out, 8);
    expect(isErrorKind(e, "BadState")).toBe(true);
    const m = unwrap(b.dev.receiveBatch(out, 8));
    expect(m).toBe(1);
    expect(checkFrame(out[0]!.bytes, out[0]!.offset, out[0]!.len, 2)).toBe(-1);
    expect(b.dev.bufferCensus().user).toBe(2);
    unwrap(b.dev.recycleRxBuffer(out[0]!));
    expectConsistent(b.dev);
  });

  it("transmit: a repeated completion and a long length are BadState, every buffer comes back", () => {
    const { a, b } = setup(kind);
    // b transmits now, so the hostile side is b's transmit queue
    b.model.injectHostile(1, "id-not-in-flight");
    unwrap(sendFrame(b.dev, 64, 1));
    expect(isErrorKind(b.dev.recycleTxBuffers(), "BadState")).toBe(true);
    b.model.injectHostile(1, "len-too-long");
    unwrap(sendFrame(b.dev, 64, 2));
    expect(isErrorKind(b.dev.recycleTxBuffers(), "BadState")).toBe(true);
    b.model.injectHostile(1, "id-out-of-range");
    unwrap(sendFrame(b.dev, 64, 3));
    expect(isErrorKind(b.dev.recycleTxBuffers(), "BadState")).toBe(true);
    unwrap(b.dev.recycleTxBuffers());
    expect(b.dev.bufferCensus()).toEqual({ user: 0, txFree: QS, rxRing: QS, txRing: 0, pool: 0 });
    for (let i = 1; i <= 3; i++) expect(checkFrame(unwrap(receiveCopy(a.dev)), 0, 64, i)).toBe(-1);
    expect(b.dev.stats.badUsedEntries).toBe(2);
    expect(b.dev.stats.badLengths).toBe(1);
  });

  it("a used index running past the queue size: BadState every time, nothing consumed, no exception", () => {
    const { rig, a, b } = setup(kind);
    b.model.injectHostile(0, "used-idx-jump");
    unwrap(sendFrame(a.dev, 64, 1));
    for (let i = 0; i < 3; i++) {
      const r = b.dev.receive();
      expect(isErrorKind(r, "BadState")).toBe(true);
      expect((r as DevError).detail).toMatch(/used index beyond the queue size/);
    }
    const out: NetBufPtr[] = new Array(4);
    expect(isErrorKind(b.dev.receiveBatch(out, 4), "BadState")).toBe(true);
    expectConsistent(b.dev);
    // a reset brings the device back
    const t = b.dev.transport;
    b.dev.shutdown();
    const again = unwrap(VirtIoNetDev.create(t, rig.hal, { queueSize: QS }));
    unwrap(sendFrame(a.dev, 65, 2));
    expect(checkFrame(unwrap(receiveCopy(again)), 0, 65, 2)).toBe(-1);
  });

  it("random hostility on both queues: only BadState, frames intact, buffers all accounted for", () => {
    const rig = new VirtioRig();
    const a = rig.addNic(kind, {}, { queueSize: QS });
    const b = rig.addNic(kind, { mode: { strict: true, hostile: true }, hostileEvery: 7 }, { queueSize: QS });
    connect(a.model, b.model);
    const out: NetBufPtr[] = new Array(8);
    let sent = 0;
    let good = 0;
    let bad = 0;
    let lastSeq = -1;
    const check = (p: NetBufPtr) => {
      const seq = p.bytes[p.offset + 14]! | (p.bytes[p.offset + 15]! << 8);
      expect(seq).toBeGreaterThan(lastSeq); // never a frame twice, never out of order
      lastSeq = seq;
      expect(checkFrame(p.bytes, p.offset, p.len, seq)).toBe(-1);
      expect(p.len).toBe(60 + (seq % 200));
      good++;
    };
    for (let round = 0; round < 500; round++) {
      for (let i = 0; i < 8; i++) {
        unwrap(a.dev.recycleTxBuffers());
        const len = 60 + (sent % 200);
        const p = unwrap(a.dev.allocTxBuffer(len));
        fillFrame(p.bytes, p.offset, len, sent);
        unwrap(a.dev.transmit(p));
        sent++;
      }
      for (;;) {
        const r = round % 2 === 0 ? b.dev.receiveBatch(out, 8) : b.dev.receive();
        if (r === DevError.Again || r === 0) break;
        if (r instanceof DevError) {
          expect(r.kind).toBe("BadState");
          bad++;
          continue;
        }
        if (typeof r === "number") {
          for (let i = 0; i < r; i++) {
            check(out[i]!);
            unwrap(b.dev.recycleRxBuffer(out[i]!));
          }
        } else {
          check(r);
          unwrap(b.dev.recycleRxBuffer(r));
        }
      }
      // b also transmits (its transmit queue is hostile too)
      const s = sendFrame(b.dev, 60, round);
      if (s instanceof DevError) expect(s.kind).toBe("NoMemory");
      const rec = b.dev.recycleTxBuffers();
      if (rec !== undefined) {
        expect(rec.kind).toBe("BadState");
        bad++;
      }
      for (;;) {
        const f = a.dev.receive();
        if (f instanceof DevError) break;
        unwrap(a.dev.recycleRxBuffer(f));
      }
    }
    unwrap(b.dev.recycleTxBuffers());
    expect(b.model.counters.hostileEntries).toBeGreaterThan(100);
    expect(bad).toBeGreaterThan(50);
    // every frame either arrived intact or was the one whose length the device spoiled
    expect(good + b.dev.stats.badLengths).toBeGreaterThanOrEqual(sent - 0);
    expect(good).toBeLessThanOrEqual(sent);
    expect(b.dev.bufferCensus()).toEqual({ user: 0, txFree: QS, rxRing: QS, txRing: 0, pool: 0 });
    expectConsistent(a.dev);
  });
});
