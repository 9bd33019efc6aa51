import { describe, expect, it } from "vitest";
import { type FrameSink, NicPort } from "../src/emu/frame-port.js";
import { VirtualClock } from "../src/hal/clock.js";
import { plug } from "../src/link/endpoint.js";
import { SeededRandom } from "../src/link/prng.js";
import { Wire, WireDirectionId } from "../src/link/wire.js";

/** A NIC model's receive side that keeps copies of what arrives (and can refuse). */
class Recorder implements FrameSink {
  frames: Uint8Array[] = [];
  /** the exact (bytes, offset) handed over, to see zero copy */
  handed: Array<{ bytes: Uint8Array; offset: number }> = [];
  times: number[] = [];
  accept = true;
  constructor(private readonly clock?: VirtualClock) {}
  receiveFrame(bytes: Uint8Array, offset: number, length: number): boolean {
    if (!this.accept) return false;
    this.frames.push(bytes.slice(offset, offset + length));
    this.handed.push({ bytes, offset });
    if (this.clock) this.times.push(this.clock.now());
    return true;
  }
}

/** A frame of `len` bytes: dst, src, EtherType 0x88b5, then a counter pattern starting at `seed`. */
function frame(len: number, seed = 0): Uint8Array {
  const f = new Uint8Array(len);
  const macs = [0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa];
  for (let i = 0; i < Math.min(len, 12); i++) f[i] = macs[i]!;
  if (len >= 14) {
    f[12] = 0x88;
    f[13] = 0xb5;
  }
  for (let i = 14; i < len; i++) f[i] = (seed + i) & 0xff;
  return f;
}

function pair(opts: ConstructorParameters<typeof Wire>[2] = {}, clock?: VirtualClock) {
  const ra = new Recorder(clock);
  const rb = new Recorder(clock);
  const a = new NicPort(ra);
  const b = new NicPort(rb);
  const wire = new Wire(a, b, opts);
  return { a, b, ra, rb, wire };
}

describe("Wire, plain", () => {
  it("passes frames both ways untouched, without copying, and counts per direction", () => {
    const { a, b, ra, rb, wire } = pair();
    // a frame in the middle of a bigger buffer, as DMA memory is
    const mem = new Uint8Array(4096);
    const f = frame(100, 7);
    mem.set(f, 1000);
    expect(a.transmit(mem, 1000, 100)).toBe(true);
    expect(rb.frames).toHaveLength(1);
    expect(rb.frames[0]).toEqual(f);
    expect(rb.handed[0]!.bytes).toBe(mem); // the sender's memory, no copy
    expect(rb.handed[0]!.offset).toBe(1000);
    expect(b.transmit(frame(60), 0, 60)).toBe(true);
    expect(b.transmit(frame(1514), 0, 1514)).toBe(true);
    expect(ra.frames.map((x) => x.length)).toEqual([60, 1514]);
    expect(wire.aToB).toMatchObject({ offered: 1, frames: 1, bytes: 100, dropped: 0 });
    expect(wire.bToA).toMatchObject({ offered: 2, frames: 2, bytes: 1574, dropped: 0 });
    expect(a.txFrames).toBe(1);
    expect(b.txFrames).toBe(2);
  });

  it("drops and counts runts (< 14 bytes) and frames over the MTU; 14 and MTU pass", () => {
    const { a, rb, wire } = pair();
    expect(wire.mtu).toBe(1514);
    expect(a.transmit(frame(13), 0, 13)).toBe(false);
    expect(a.transmit(frame(0), 0, 0)).toBe(false);
    expect(a.transmit(frame(1515), 0, 1515)).toBe(false);
    expect(a.transmit(frame(14), 0, 14)).toBe(true);
    expect(a.transmit(frame(1514), 0, 1514)).toBe(true);
    expect(rb.frames.map((x) => x.length)).toEqual([14, 1514]);
    expect(wire.aToB).toMatchObject({ offered: 5, frames: 2, runts: 2, oversize: 1, dropped: 3 });
    expect(a.txDropped).toBe(3);
  });

  it("takes the smaller end's MTU, or the one given", () => {
    const small = new NicPort(new Recorder(), 600);
    const big = new NicPort(new Recorder(), 9014);
    expect(new Wire(small, big).mtu).toBe(600);
    expect(new Wire(new NicPort(new Recorder(), 9014), big).mtu).toBe(9014);
    const w = new Wire(new NicPort(new Recorder()), new NicPort(new Recorder()), { mtu: 200 });
    expect(w.mtu).toBe(200);
    expect(() => new Wire(new NicPort(new Recorder()), new NicPort(new Recorder()), { mtu: 10 })).toThrow(
      RangeError,
    );
  });

  it("counts frames the receiver refuses, and the sender sees the refusal", () => {
    const { a, rb, wire } = pair();
    rb.accept = false;
    expect(a.transmit(frame(60), 0, 60)).toBe(false);
    expect(wire.aToB).toMatchObject({ refused: 1, dropped: 1, frames: 0 });
    expect(a.txDropped).toBe(1);
  });

  it("detach unplugs both ends", () => {
    const { a, b, wire } = pair();
    wire.detach();
    expect(a.connected).toBe(false);
    expect(b.connected).toBe(false);
    expect(a.transmit(frame(60), 0, 60)).toBe(false);
  });
});

describe("Wire, loss", () => {
  function lossPattern(seed: number, rate: number, n: number): number[] {
    const { a, rb, wire } = pair({ lossRate: rate, seed });
    const lostAt: number[] = [];
    for (let i = 0; i < n; i++) {
      const before = rb.frames.length;
      // a lost frame is still "sent": the sender cannot tell
      expect(a.transmit(frame(60, i), 0, 60)).toBe(true);
      if (rb.frames.length === before) lostAt.push(i);
    }
    expect(wire.aToB.lost).toBe(lostAt.length);
    expect(wire.aToB.dropped).toBe(lostAt.length);
    expect(wire.aToB.frames).toBe(n - lostAt.length);
    return lostAt;
  }

  it("loses about the given share of frames, the same ones for the same seed", () => {
    const p1 = lossPattern(42, 0.25, 10_000);
    const p2 = lossPattern(42, 0.25, 10_000);
    const p3 = lossPattern(43, 0.25, 10_000);
    expect(p1).toEqual(p2);
    expect(p3).not.toEqual(p1);
    expect(p1.length).toBeGreaterThan(2300);
    expect(p1.length).toBeLessThan(2700);
  });

  it("rate 0 loses nothing, rate 1 loses everything; bad rates are refused", () => {
    expect(lossPattern(1, 0, 1000)).toHaveLength(0);
    expect(lossPattern(1, 1, 1000)).toHaveLength(1000);
    expect(() => pair({ lossRate: 1.5 })).toThrow(RangeError);
    expect(() => pair({ lossRate: -0.1 })).toThrow(RangeError);
  });

  it("the generator is deterministic and spread over 32 bits", () => {
    const r1 = new SeededRandom(7);
    const r2 = new SeededRandom(7);
    const xs = Array.from({ length: 1000 }, () => r1.nextU32());
    expect(Array.from({ length: 1000 }, () => r2.nextU32())).toEqual(xs);
    expect(xs.every((x) => Number.isInteger(x) && x >= 0 && x < 2 ** 32)).toBe(true);
    expect(xs.filter((x) => x >= 2 ** 31).length).toBeGreaterThan(400);
    expect(new Set(xs).size).toBe(1000);
  });

  it("each direction loses independently", () => {
    const { a, b, ra, rb, wire } = pair({ lossRate: 0.5, seed: 9 });
    const lostAB: number[] = [];
    const lostBA: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const nb = rb.frames.length;
      const na = ra.frames.length;
      a.transmit(frame(60), 0, 60);
      b.transmit(frame(60), 0, 60);
      if (rb.frames.length === nb) lostAB.push(i);
      if (ra.frames.length === na) lostBA.push(i);
    }
    expect(wire.aToB.lost).toBe(lostAB.length);
    expect(wire.bToA.lost).toBe(lostBA.length);
    expect(lostAB.length).toBeGreaterThan(400);
    expect(lostBA.length).toBeGreaterThan(400);
    expect(lostAB).not.toEqual(lostBA);
  });
});

describe("Wire, corruption", () => {
  it("flips the last byte of every Nth frame, in a copy: the sender's memory stays intact", () => {
    const { a, rb, wire } = pair({ corruptEvery: 3 });
    const sent: Uint8Array[] = [];
    for (let i = 0; i < 9; i++) {
      const f = frame(80, i);
      sent.push(f.slice());
      a.transmit(f, 0, 80);
      expect(f).toEqual(sent[i]); // untouched
    }
    expect(wire.aToB.corrupted).toBe(3);
    for (let i = 0; i < 9; i++) {
      const got = rb.frames[i]!;
      if ((i + 1) % 3 === 0) {
        expect(got.subarray(0, 79)).toEqual(sent[i]!.subarray(0, 79));
        expect(got[79]).toBe(sent[i]![79]! ^ 0xff);
      } else {
        expect(got).toEqual(sent[i]);
      }
    }
  });

  it("flips the byte at the given offset, and can be turned off", () => {
    const { a, rb, wire } = pair({ corruptEvery: 1, corruptOffset: 20 });
    const f = frame(64);
    a.transmit(f, 0, 64);
    expect(rb.frames[0]![20]).toBe(f[20]! ^ 0xff);
    expect(rb.frames[0]![63]).toBe(f[63]);
    wire.setCorruption(0);
    a.transmit(f, 0, 64);
    expect(rb.frames[1]).toEqual(f);
    expect(wire.aToB.corrupted).toBe(1);
  });
});

describe("Wire, delay", () => {
  it("holds frames for the delay on a virtual clock and releases them in order by clock events", () => {
    const clock = new VirtualClock();
    const { a, b, ra, rb, wire } = pair({ delayNs: 1000, clock }, clock);
    const f1 = frame(60, 1);
    const keep1 = f1.slice();
    a.transmit(f1, 0, 60);
    f1.fill(0); // the wire copied it: changing the sender's buffer changes nothing
    clock.advance(500);
    a.transmit(frame(70, 2), 0, 70);
    b.transmit(frame(80, 3), 0, 80);
    expect(wire.inFlight).toBe(3);
    clock.advanceTo(999);
    expect(rb.frames).toHaveLength(0);
    clock.advanceTo(1000);
    expect(rb.frames).toHaveLength(1);
    expect(rb.frames[0]).toEqual(keep1);
    expect(rb.times).toEqual([1000]);
    clock.advanceTo(1499);
    expect(rb.frames).toHaveLength(1);
    clock.advanceTo(5000);
    expect(rb.frames.map((x) => x.length)).toEqual([60, 70]);
    expect(rb.times).toEqual([1000, 1500]);
    expect(ra.frames.map((x) => x.length)).toEqual([80]);
    expect(ra.times).toEqual([1500]);
    expect(wire.inFlight).toBe(0);
    expect(wire.aToB).toMatchObject({ frames: 2, bytes: 130 });
  });

  it("without a schedulable clock, pump(now) releases what is due", () => {
    let t = 0;
    const clock = { now: () => t };
    const { a, rb, wire } = pair({ delayNs: 100, clock });
    a.transmit(frame(60), 0, 60);
    t = 50;
    a.transmit(frame(61), 0, 61);
    expect(wire.pump(99)).toBe(0);
    expect(wire.pump(100)).toBe(1);
    expect(wire.aToB.nextDueAt()).toBe(150);
    t = 200;
    expect(wire.pump()).toBe(1);
    expect(rb.frames.map((x) => x.length)).toEqual([60, 61]);
  });

  it("drops and counts frames when the delay ring is full", () => {
    const clock = new VirtualClock();
    const { a, rb, wire } = pair({ delayNs: 10, clock, delayRing: 4 });
    const results = Array.from({ length: 6 }, (_, i) => a.transmit(frame(60, i), 0, 60));
    expect(results).toEqual([true, true, true, true, false, false]);
    expect(wire.aToB).toMatchObject({ overflow: 2, dropped: 2 });
    clock.advance(10);
    expect(rb.frames).toHaveLength(4);
    expect(rb.frames.map((f) => f[14])).toEqual([14, 15, 16, 17]); // seeds 0..3 in order
  });

  it("corrupts inside the ring too", () => {
    const clock = new VirtualClock();
    const { a, rb, wire } = pair({ delayNs: 5, clock, corruptEvery: 2 });
    const f = frame(60);
    a.transmit(f, 0, 60);
    a.transmit(f, 0, 60);
    clock.advance(5);
    expect(rb.frames[0]).toEqual(f);
    expect(rb.frames[1]![59]).toBe(f[59]! ^ 0xff);
    expect(wire.aToB.corrupted).toBe(1);
  });
});

describe("Wire, tap", () => {
  it("sees every delivered frame with its direction and time, after corruption", () => {
    const clock = new VirtualClock();
    const seen: Array<[number, number, number, number]> = [];
    const { a, b } = pair({
      clock,
      corruptEvery: 2,
      tap: {
        wireFrame(dir, bytes, off, len, t) {
          seen.push([dir, len, bytes[off + len - 1]!, t]);
        },
      },
    });
    clock.advance(123);
    const f = frame(60);
    a.transmit(f, 0, 60);
    a.transmit(f, 0, 60);
    b.transmit(frame(61), 0, 61);
    a.transmit(frame(5), 0, 5); // runt: not delivered, not tapped
    expect(seen).toEqual([
      [WireDirectionId.AToB, 60, f[59], 123],
      [WireDirectionId.AToB, 60, f[59]! ^ 0xff, 123],
      [WireDirectionId.BToA, 61, frame(61)[60], 123],
    ]);
  });
});

describe("plug", () => {
  it("joins two ends directly", () => {
    const ra = new Recorder();
    const rb = new Recorder();
    const a = new NicPort(ra);
    const b = new NicPort(rb);
    plug(a, b);
    a.transmit(frame(60), 0, 60);
    b.transmit(frame(61), 0, 61);
    expect(rb.frames).toHaveLength(1);
    expect(ra.frames).toHaveLength(1);
  });
});
