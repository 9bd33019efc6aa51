import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isPowerOfTwo, PciRangeAllocator } from "../src/pci/index.js";

describe("PciRangeAllocator", () => {
  it("aligns each block to its size and bumps the cursor", () => {
    const a = new PciRangeAllocator(0x4000_1000, 0x10_0000);
    expect(a.alloc(0x1000)).toBe(0x4000_1000);
    expect(a.alloc(0x10)).toBe(0x4000_2000);
    expect(a.alloc(0x4000)).toBe(0x4000_4000); // rounded up from 0x4000_2010
    expect(a.current).toBe(0x4000_8000);
    // nothing is reused: the holes stay holes
    expect(a.alloc(0x10)).toBe(0x4000_8000);
  });

  it("refuses sizes that are not powers of two", () => {
    const a = new PciRangeAllocator(0, 0x1000);
    for (const s of [0, -16, 3, 0x1800, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 60 + 1]) {
      expect(a.alloc(s)).toBeUndefined();
    }
    expect(a.current).toBe(0);
    expect(a.alloc(1)).toBe(0);
  });

  it("fills the window exactly and then gives nothing", () => {
    const a = new PciRangeAllocator(0x1000, 0x3000);
    expect(a.alloc(0x1000)).toBe(0x1000);
    expect(a.alloc(0x2000)).toBe(0x2000);
    expect(a.alloc(0x1000)).toBeUndefined(); // 0x4000 + 0x1000 > end 0x4000
    expect(a.alloc(4)).toBeUndefined();
    expect(a.remaining).toBe(0);
  });

  it("gives nothing when alignment pushes a block past the end, and keeps the cursor", () => {
    const a = new PciRangeAllocator(0x1000, 0x2000); // [0x1000, 0x3000)
    expect(a.alloc(0x2000)).toBeUndefined(); // would start at 0x2000 and end at 0x4000
    expect(a.current).toBe(0x1000);
    expect(a.alloc(0x1000)).toBe(0x1000);
  });

  it("handles an empty window and windows above 4 GiB", () => {
    expect(new PciRangeAllocator(0x1000, 0).alloc(1)).toBeUndefined();
    const a = new PciRangeAllocator(0x80_0000_0000, 0x80_0000_0000);
    expect(a.alloc(0x1_0000_0000)).toBe(0x80_0000_0000);
    expect(a.alloc(0x10)).toBe(0x81_0000_0000);
    expect(a.alloc(0x40_0000_0000)).toBe(0xc0_0000_0000);
    expect(a.alloc(0x40_0000_0000)).toBeUndefined();
  });

  it("rejects bad windows", () => {
    expect(() => new PciRangeAllocator(-1, 16)).toThrow(RangeError);
    expect(() => new PciRangeAllocator(0, -1)).toThrow(RangeError);
    expect(() => new PciRangeAllocator(2 ** 53, 16)).toThrow(RangeError);
  });

  it("hands out aligned, disjoint blocks inside the window (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 30 }),
        fc.array(fc.integer({ min: 0, max: 32 }), { maxLength: 40 }),
        (base, size, logs) => {
          const a = new PciRangeAllocator(base, size);
          const got: [number, number][] = [];
          for (const l of logs) {
            const s = 2 ** l;
            const before = a.current;
            const addr = a.alloc(s);
            if (addr === undefined) {
              expect(Math.ceil(before / s) * s + s).toBeGreaterThan(base + size);
              expect(a.current).toBe(before);
              continue;
            }
            expect(addr % s).toBe(0);
            expect(addr).toBeGreaterThanOrEqual(base);
            expect(addr + s).toBeLessThanOrEqual(base + size);
            for (const [b, e] of got) expect(addr >= e || addr + s <= b).toBe(true);
            got.push([addr, addr + s]);
          }
        },
      ),
    );
  });

  it("isPowerOfTwo", () => {
    expect([1, 2, 4, 2 ** 31, 2 ** 32, 2 ** 52].every(isPowerOfTwo)).toBe(true);
    expect([0, 3, 6, 2 ** 32 + 2, -2, 0.5].some(isPowerOfTwo)).toBe(false);
  });
});
