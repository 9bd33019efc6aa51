import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DevError, isDevError } from "../src/base/index.js";
import {
  BasicHal,
  DmaAllocator,
  DmaRegion,
  HandlerMmio,
  MemoryMmio,
  type MmioHandler,
  PAGE_SIZE,
  PhysicalMemory,
  VirtualClock,
} from "../src/hal/index.js";

describe("PhysicalMemory", () => {
  it("maps at 0x8000_0000 by default and translates addresses by arithmetic", () => {
    const m = new PhysicalMemory(16 * PAGE_SIZE);
    expect(m.base).toBe(0x8000_0000);
    expect(m.buffer).toBeInstanceOf(SharedArrayBuffer);
    expect(m.offsetOf(0x8000_1234)).toBe(0x1234);
    expect(m.physOf(0x1234)).toBe(0x8000_1234);
    expect(m.offsetOf(0x7fff_ffff)).toBe(-1);
    expect(m.offsetOf(0x8000_0000 + 16 * PAGE_SIZE)).toBe(-1);
    expect(m.contains(0x8000_0000 + 16 * PAGE_SIZE - 4, 4)).toBe(true);
    expect(m.contains(0x8000_0000 + 16 * PAGE_SIZE - 4, 5)).toBe(false);
  });

  it("reads and writes 64-bit fields as two little-endian halves", () => {
    const m = new PhysicalMemory(PAGE_SIZE, 0x1_0000_0000);
    m.write64(8, 0x12_3456_789a);
    expect(Array.from(m.u8.subarray(8, 16))).toEqual([0x9a, 0x78, 0x56, 0x34, 0x12, 0, 0, 0]);
    expect(m.read64(8)).toBe(0x12_3456_789a);
  });

  it("refuses sizes that are not whole pages", () => {
    expect(() => new PhysicalMemory(1000)).toThrow(RangeError);
  });
});

describe("DmaAllocator", () => {
  it("hands out zeroed, aligned, contiguous runs and takes them back", () => {
    const m = new PhysicalMemory(64 * PAGE_SIZE);
    m.u8.fill(0xaa);
    const a = new DmaAllocator(m);
    const r1 = a.alloc(100);
    expect(isDevError(r1)).toBe(false);
    const reg1 = r1 as DmaRegion;
    expect(reg1.size).toBe(PAGE_SIZE);
    expect(reg1.paddr % PAGE_SIZE).toBe(0);
    expect(reg1.bytes().every((b) => b === 0)).toBe(true);
    const r2 = a.alloc(3 * PAGE_SIZE, 16 * PAGE_SIZE) as DmaRegion;
    expect(r2.paddr % (16 * PAGE_SIZE)).toBe(0);
    expect(r2.size).toBe(3 * PAGE_SIZE);
    expect(a.freePageCount).toBe(64 - 4);
    expect(a.free(reg1)).toBeUndefined();
    expect(a.freePageCount).toBe(64 - 3);
  });

  it("gives NoMemory when no run fits and InvalidParam for bad requests", () => {
    const a = new DmaAllocator(new PhysicalMemory(4 * PAGE_SIZE));
    expect(a.alloc(5 * PAGE_SIZE)).toBe(DevError.NoMemory);
    expect((a.alloc(0) as DevError).kind).toBe("InvalidParam");
    expect((a.alloc(PAGE_SIZE, 3 * PAGE_SIZE) as DevError).kind).toBe("InvalidParam");
    const r = a.alloc(4 * PAGE_SIZE);
    expect(isDevError(r)).toBe(false);
    expect(a.alloc(1)).toBe(DevError.NoMemory);
  });

  it("treats double free and foreign free as errors, changing nothing", () => {
    const m = new PhysicalMemory(8 * PAGE_SIZE);
    const a = new DmaAllocator(m);
    const r = a.alloc(PAGE_SIZE) as DmaRegion;
    expect(a.free(r)).toBeUndefined();
    expect((a.free(r) as DevError).kind).toBe("BadState");
    const other = new DmaAllocator(new PhysicalMemory(8 * PAGE_SIZE));
    const foreign = other.alloc(PAGE_SIZE) as DmaRegion;
    expect((a.free(foreign) as DevError).kind).toBe("InvalidParam");
    const live = a.alloc(PAGE_SIZE) as DmaRegion;
    const forged = new DmaRegion(m, live.paddr, live.offset, live.size);
    expect((a.free(forged) as DevError).kind).toBe("InvalidParam");
    expect(a.freePageCount).toBe(7);
  });

  it("never hands out overlapping ranges (property)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.record({
              op: fc.constant("alloc" as const),
              pages: fc.integer({ min: 1, max: 9 }),
              alignLog: fc.integer({ min: 0, max: 4 }),
            }),
            fc.record({ op: fc.constant("free" as const), pick: fc.nat() }),
          ),
          { maxLength: 300 },
        ),
        (ops) => {
          const m = new PhysicalMemory(128 * PAGE_SIZE, 0x8000_3000);
          const a = new DmaAllocator(m);
          const live: DmaRegion[] = [];
          for (const o of ops) {
            if (o.op === "alloc") {
              const align = PAGE_SIZE << o.alignLog;
              const r = a.alloc(o.pages * PAGE_SIZE, align);
              if (r instanceof DevError) {
                expect(r).toBe(DevError.NoMemory);
                continue;
              }
              expect(r.paddr % align).toBe(0);
              for (const l of live) {
                const disjoint = r.offset + r.size <= l.offset || l.offset + l.size <= r.offset;
                expect(disjoint).toBe(true);
              }
              live.push(r);
            } else if (live.length > 0) {
              const [r] = live.splice(o.pick % live.length, 1);
              expect(a.free(r!)).toBeUndefined();
            }
          }
          const used = live.reduce((s, r) => s + r.size / PAGE_SIZE, 0);
          expect(a.freePageCount).toBe(128 - used);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("MMIO regions", () => {
  it("dispatch every access to a register handler with offset and width", () => {
    const seen: string[] = [];
    const h: MmioHandler = {
      mmioRead(off, w) {
        seen.push(`r${w}@${off}`);
        return 0x1234_5678;
      },
      mmioWrite(off, w, v) {
        seen.push(`w${w}@${off}=${v.toString(16)}`);
      },
    };
    const r = new HandlerMmio(h, 0x100);
    expect(r.read8(3)).toBe(0x78);
    expect(r.read16(2)).toBe(0x5678);
    expect(r.read32(4)).toBe(0x1234_5678);
    r.write32(8, 0xdead_beef);
    r.write16(0xa, 0x1_ffff);
    expect(seen).toEqual(["r1@3", "r2@2", "r4@4", "w4@8=deadbeef", "w2@10=ffff"]);
    expect(() => r.read32(2)).toThrow(RangeError);
    expect(() => r.write32(0x100, 0)).toThrow(RangeError);
  });

  it("over plain memory are little-endian typed-array accesses", () => {
    const buf = new ArrayBuffer(16);
    const r = new MemoryMmio(buf);
    r.write32(4, 0x0102_0304);
    expect(Array.from(new Uint8Array(buf, 4, 4))).toEqual([4, 3, 2, 1]);
    expect(r.read16(6)).toBe(0x0102);
    r.write8(0, 0x1ff);
    expect(r.read8(0)).toBe(0xff);
    expect(() => r.read16(1)).toThrow(RangeError);
  });
});

describe("BasicHal on a virtual clock", () => {
  const mem = () => new PhysicalMemory(16 * PAGE_SIZE);
  const noMmio = { mapMmio: () => DevError.Unsupported };

  it("waits by advancing virtual time and firing events", () => {
    const clock = new VirtualClock();
    const hal = new BasicHal(mem(), clock, noMmio);
    let linkUp = false;
    clock.schedule(3_000_000, () => {
      linkUp = true;
    });
    expect(hal.waitUntil(() => linkUp, 10_000_000, "link")).toBeUndefined();
    expect(hal.now()).toBe(3_000_000);
  });

  it("returns a timeout error instead of spinning forever", () => {
    const clock = new VirtualClock();
    const hal = new BasicHal(mem(), clock, noMmio);
    const r = hal.waitUntil(() => false, 5_000, "never");
    expect(isDevError(r)).toBe(true);
    expect((r as DevError).kind).toBe("Again");
    expect((r as DevError).message).toContain("never");
    expect(hal.now()).toBe(5_000);
  });

  it("sleeps exactly, and reports a missing I/O space as Unsupported", () => {
    const clock = new VirtualClock();
    const hal = new BasicHal(mem(), clock, noMmio);
    hal.sleep(1234);
    expect(hal.now()).toBe(1234);
    expect((hal.mapIo(0x1000, 32) as DevError).kind).toBe("Unsupported");
  });

  it("fires events in time order, and in scheduling order for equal times", () => {
    const clock = new VirtualClock();
    const order: string[] = [];
    clock.schedule(20, () => order.push("b"));
    clock.schedule(10, () => order.push("a"));
    clock.schedule(20, () => order.push("c"));
    const h = clock.schedule(15, () => order.push("x"));
    expect(clock.cancel(h)).toBe(true);
    clock.advance(19);
    expect(order).toEqual(["a"]);
    clock.advance(1);
    expect(order).toEqual(["a", "b", "c"]);
    expect(clock.now()).toBe(20);
  });
});
