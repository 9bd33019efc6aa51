// The batch paths of VirtIoNetDev: transmitBatch runs the common case flat (ring state in locals) and falls
// back to the general per-buffer path for anything else; receiveBatch keeps the free list in locals. These
// tests mix both kinds of buffers in one batch and check bytes, counts, errors and the buffer census.

import { describe, expect, it } from "vitest";
import { DevError, isErrorKind, unwrap } from "../src/base/dev-error.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";
import { censusTotal, checkFrame, connect, fillFrame, TRANSPORTS, VirtioRig } from "./virtio-fixture.js";

function pair(kind: (typeof TRANSPORTS)[number], qs: number) {
  const rig = new VirtioRig();
  const a = rig.addNic(kind, {}, { queueSize: qs });
  const b = rig.addNic(kind, {}, { queueSize: qs });
  connect(a.model, b.model);
  return { a, b };
}

describe.each(TRANSPORTS)("virtio-net batches over %s", (kind) => {
  it("a batch stops at a misused buffer: the ones before go out, the rest stay the caller's", () => {
    const { a, b } = pair(kind, 16);
    const bufs: NetBufPtr[] = [];
    for (let i = 0; i < 4; i++) {
      const p = unwrap(a.dev.allocTxBuffer(100 + i));
      fillFrame(p.bytes, p.offset, 100 + i, 10 + i);
      bufs.push(p);
    }
    // bufs[2] replaced by one already in the transmit ring
    unwrap(a.dev.transmit(bufs[2]!));
    expect(unwrap(b.dev.receive()).len).toBe(102);
    const batch = [bufs[0]!, bufs[1]!, bufs[2]!, bufs[3]!];
    expect(a.dev.transmitBatch(batch, 4)).toBe(2);
    expect(a.model.counters.txFrames).toBe(3);
    // the first of a batch misused: the error itself
    const e = a.dev.transmitBatch([bufs[2]!, bufs[3]!], 2);
    expect(isErrorKind(e as DevError, "BadState")).toBe(true);
    expect(unwrap(a.dev.transmitBatch([bufs[3]!], 1))).toBe(1);
    const got: number[] = [];
    for (;;) {
      const r = b.dev.receive();
      if (r instanceof DevError) break;
      got.push(r.len);
      const seed = 10 + (r.len - 100);
      expect(checkFrame(r.bytes, r.offset, r.len, seed)).toBe(-1);
      unwrap(b.dev.recycleRxBuffer(r));
    }
    expect(got).toEqual([100, 101, 103]);
    unwrap(a.dev.recycleTxBuffers());
    expect(censusTotal(a.dev)).toBe(32);
    expect(a.dev.bufferCensus().user).toBe(0);
  });

  it("received buffers (dirty header) and fresh ones in one batch, more than the ring has room for", () => {
    const qs = 8;
    const { a, b } = pair(kind, qs);
    // b sends 4 frames to a; a forwards them back zero-copy together with fresh buffers
    for (let i = 0; i < 4; i++) {
      const p = unwrap(b.dev.allocTxBuffer(60 + i));
      fillFrame(p.bytes, p.offset, 60 + i, 100 + i);
      unwrap(b.dev.transmit(p));
    }
    unwrap(b.dev.recycleTxBuffers());
    const out: NetBufPtr[] = new Array(8);
    expect(unwrap(a.dev.receiveBatch(out, 8))).toBe(4);
    const batch: NetBufPtr[] = [];
    for (let i = 0; i < 4; i++) {
      batch.push(out[i]!);
      const p = unwrap(a.dev.allocTxBuffer(200 + i));
      fillFrame(p.bytes, p.offset, 200 + i, 300 + i);
      batch.push(p);
    }
    // the transmit ring has 8 descriptors (legacy transports: the device's fixed 256)
    const sent = unwrap(a.dev.transmitBatch(batch, batch.length));
    expect(sent).toBe(8);
    const lens: number[] = [];
    for (;;) {
      const r = b.dev.receive();
      if (r instanceof DevError) break;
      lens.push(r.len);
      const seed = r.len < 200 ? 100 + (r.len - 60) : 300 + (r.len - 200);
      expect(checkFrame(r.bytes, r.offset, r.len, seed)).toBe(-1);
      unwrap(b.dev.recycleRxBuffer(r));
    }
    expect(lens).toEqual([60, 200, 61, 201, 62, 202, 63, 203]);
    unwrap(a.dev.recycleTxBuffers());
    expect(censusTotal(a.dev)).toBe(2 * qs);
    expect(a.dev.bufferCensus().user).toBe(0);
  });

  it("a full transmit ring: the batch takes what fits and the rest stays with the caller", () => {
    const qs = 8;
    const { a, b } = pair(kind, qs);
    // legacy transports have the device's fixed 256-entry ring, which 2*QS buffers cannot fill
    if (a.dev.transport.fixedQueueSize()) return;
    // 5 of the 8 descriptors taken by frames sent and not yet recycled
    for (let i = 0; i < 5; i++) unwrap(a.dev.transmit(unwrap(a.dev.allocTxBuffer(64))));
    // 3 fresh buffers and 4 received ones (zero-copy forward) make a batch of 7
    for (let i = 0; i < 4; i++) unwrap(b.dev.transmit(unwrap(b.dev.allocTxBuffer(80 + i))));
    const out: NetBufPtr[] = new Array(8);
    expect(unwrap(a.dev.receiveBatch(out, 8))).toBe(4);
    const batch: NetBufPtr[] = [];
    for (let i = 0; i < 3; i++) batch.push(unwrap(a.dev.allocTxBuffer(64)));
    for (let i = 0; i < 4; i++) batch.push(out[i]!);
    expect(unwrap(a.dev.transmitBatch(batch, batch.length))).toBe(3);
    expect(a.dev.transmitBatch(batch.slice(3), 4)).toBe(0); // ring full: nothing, no error
    expect(a.dev.bufferCensus().user).toBe(4);
    const drain = (): number[] => {
      const lens: number[] = [];
      for (;;) {
        const r = b.dev.receive();
        if (r instanceof DevError) return lens;
        lens.push(r.len);
        unwrap(b.dev.recycleRxBuffer(r));
      }
    };
    expect(drain()).toEqual([64, 64, 64, 64, 64, 64, 64, 64]);
    unwrap(a.dev.recycleTxBuffers());
    expect(unwrap(a.dev.transmitBatch(batch.slice(3), 4))).toBe(4);
    expect(drain()).toEqual([80, 81, 82, 83]); // the forwarded frames, in order
    expect(b.model.counters.rxNoBuffer).toBe(0);
    unwrap(a.dev.recycleTxBuffers());
    expect(censusTotal(a.dev)).toBe(2 * qs);
    expect(a.dev.bufferCensus().user).toBe(0);
  });
});
