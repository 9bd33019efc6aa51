import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DevError, isDevError } from "../src/base/index.js";
import { BasicHal, PAGE_SIZE, PhysicalMemory, VirtualClock } from "../src/hal/index.js";
import { BufState, EthernetAddress, NetBuf, NetBufPool } from "../src/net/index.js";

function makeHal(pages = 1024): BasicHal {
  return new BasicHal(new PhysicalMemory(pages * PAGE_SIZE), new VirtualClock(), {
    mapMmio: () => DevError.Unsupported,
  });
}

function pool(hal: BasicHal, capacity: number, bufLen = 2048): NetBufPool {
  const p = NetBufPool.create(hal, capacity, bufLen);
  if (isDevError(p)) throw p;
  return p;
}

describe("EthernetAddress", () => {
  it("parses and formats aa:bb:cc:dd:ee:ff", () => {
    const a = EthernetAddress.parse("52:54:00:AB:cd:0f") as EthernetAddress;
    expect(Array.from(a.bytes)).toEqual([0x52, 0x54, 0, 0xab, 0xcd, 0x0f]);
    expect(a.toString()).toBe("52:54:00:ab:cd:0f");
    expect(a.isUnicast()).toBe(true);
    expect(EthernetAddress.BROADCAST.isBroadcast()).toBe(true);
    expect(EthernetAddress.BROADCAST.isMulticast()).toBe(true);
  });

  it("refuses bad strings with InvalidParam", () => {
    for (const s of [
      "",
      "52:54:00:ab:cd",
      "52:54:00:ab:cd:0f:00",
      "52-54-00-ab-cd-0f",
      "5:54:00:ab:cd:0f",
      "zz:54:00:ab:cd:0f",
    ]) {
      const r = EthernetAddress.parse(s);
      expect(isDevError(r) && r.kind === "InvalidParam", s).toBe(true);
    }
  });
});

describe("NetBufPool", () => {
  it("refuses capacity 0 and buffer lengths outside [1526, 65535]", () => {
    const hal = makeHal();
    expect((NetBufPool.create(hal, 0, 2048) as DevError).kind).toBe("InvalidParam");
    expect((NetBufPool.create(hal, 4, 1525) as DevError).kind).toBe("InvalidParam");
    expect((NetBufPool.create(hal, 4, 65536) as DevError).kind).toBe("InvalidParam");
    expect(isDevError(NetBufPool.create(hal, 4, 1526))).toBe(false);
    expect(isDevError(NetBufPool.create(hal, 1, 65535))).toBe(false);
  });

  it("gives NoMemory when DMA memory runs out", () => {
    const hal = makeHal(4);
    expect(NetBufPool.create(hal, 100, 2048)).toBe(DevError.NoMemory);
  });

  it("stores buffers in DMA memory at distinct physical addresses", () => {
    const hal = makeHal();
    const p = pool(hal, 8, 1526);
    const seen = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const b = p.alloc()!;
      expect(b.physAddr).toBe(p.region.paddr + b.index * 1526);
      expect(hal.memory.offsetOf(b.physAddr)).toBe(b.bufOffset);
      seen.add(b.physAddr);
    }
    expect(seen.size).toBe(8);
    expect(p.alloc()).toBeUndefined();
    expect(p.freeCount).toBe(0);
  });

  it("keeps header and packet inside capacity, as the seed draws the layout", () => {
    const p = pool(makeHal(), 2, 1526);
    const b = p.alloc()!;
    expect(b.capacity).toBe(1526);
    expect(b.setHeaderLen(12)).toBeUndefined();
    expect(b.setPacketLen(1514)).toBeUndefined();
    expect((b.setPacketLen(1515) as DevError).kind).toBe("InvalidParam");
    expect((b.setHeaderLen(13) as DevError).kind).toBe("InvalidParam");
    expect(b.packetLen).toBe(1514);
    b.packet().fill(7);
    b.header().fill(1);
    const all = b.packetWithHeader();
    expect(all.length).toBe(1526);
    expect(all[11]).toBe(1);
    expect(all[12]).toBe(7);
    // the views are the DMA memory itself: no copy
    expect(b.bytes[b.bufOffset + 12]).toBe(7);
    expect(b.rawBuf().length).toBe(1526);
  });

  it("round-trips through NetBufPtr", () => {
    const p = pool(makeHal(), 2);
    const b = p.alloc()!;
    b.setHeaderLen(12);
    b.setPacketLen(60);
    const ptr = b.intoBufPtr();
    expect(ptr.offset).toBe(b.bufOffset + 12);
    expect(ptr.packetLen()).toBe(60);
    expect(ptr.rawPtr()).toBe(b);
    ptr.packetMut()[0] = 0x42;
    expect(b.packet()[0]).toBe(0x42);
    ptr.len = 42;
    const back = NetBuf.fromBufPtr(ptr);
    expect(back).toBe(b);
    expect(b.packetLen).toBe(42);
    // the same handle every time: no allocation
    expect(b.intoBufPtr()).toBe(ptr);
  });

  it("answers misuse with DevError and changes nothing", () => {
    const hal = makeHal();
    const p = pool(hal, 4);
    const q = pool(hal, 4);
    const b = p.alloc()!;
    expect(b.release()).toBeUndefined();
    expect((p.release(b) as DevError).kind).toBe("BadState"); // released twice
    expect((NetBuf.fromBufPtr(b.intoBufPtr()) as DevError).kind).toBe("BadState"); // used after release
    const c = p.alloc()!;
    expect((q.release(c) as DevError).kind).toBe("InvalidParam"); // into another pool
    c.state = BufState.Device;
    expect((p.release(c) as DevError).kind).toBe("BadState"); // still posted to a device
    c.state = BufState.Held;
    expect(p.freeCount).toBe(3);
    expect(q.freeCount).toBe(4);
    expect((p.destroy() as DevError).kind).toBe("ResourceBusy");
    expect(c.release()).toBeUndefined();
    expect(p.destroy()).toBeUndefined();
  });

  it("gives a buffer back at the end of a using block", () => {
    const p = pool(makeHal(), 2);
    {
      using b = p.alloc()!;
      expect(b.state).toBe(BufState.Held);
      expect(p.freeCount).toBe(1);
    }
    expect(p.freeCount).toBe(2);
  });

  it("keeps free + held == capacity with no buffer held twice over 10^5 random operations (property)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 1 << 20 }), { minLength: 100_000, maxLength: 100_000 }),
        (ops) => {
          const capacity = 64;
          const p = pool(makeHal(), capacity, 1526);
          const held: NetBuf[] = [];
          const isHeld = new Uint8Array(capacity);
          for (const o of ops) {
            const kind = o & 3;
            if (kind <= 1) {
              const b = p.alloc();
              if (b === undefined) {
                expect(held.length).toBe(capacity);
                continue;
              }
              expect(isHeld[b.index]).toBe(0);
              isHeld[b.index] = 1;
              held.push(b);
            } else if (kind === 2 && held.length > 0) {
              const i = (o >>> 2) % held.length;
              const b = held[i]!;
              held[i] = held[held.length - 1]!;
              held.pop();
              expect(p.release(b)).toBeUndefined();
              isHeld[b.index] = 0;
            } else if (held.length < capacity) {
              // misuse: release a buffer that is free; must be refused and change nothing
              let idx = (o >>> 2) % capacity;
              while (isHeld[idx] === 1) idx = (idx + 1) % capacity;
              expect(isDevError(p.release(p.get(idx)!))).toBe(true);
            }
            if (p.freeCount + held.length !== capacity) expect(p.freeCount + held.length).toBe(capacity);
          }
        },
      ),
      { numRuns: 3 },
    );
  });
});
