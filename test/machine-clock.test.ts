import { describe, expect, it } from "vitest";
import { isErrorKind } from "../src/base/dev-error.js";
import { Machine } from "../src/emu/machine.js";
import { VirtualClock } from "../src/hal/clock.js";

describe("VirtualClock", () => {
  it("fires timed events in order of time, and of scheduling for equal times", () => {
    const c = new VirtualClock();
    const fired: string[] = [];
    c.schedule(300, () => fired.push(`c@${c.now()}`));
    c.schedule(100, () => fired.push(`a@${c.now()}`));
    c.schedule(200, () => fired.push(`b1@${c.now()}`));
    c.schedule(200, () => fired.push(`b2@${c.now()}`));
    c.schedule(0, () => fired.push(`z@${c.now()}`));
    expect(c.pending).toBe(5);
    expect(c.nextEventAt()).toBe(0);
    c.advance(150);
    expect(fired).toEqual(["z@0", "a@100"]);
    expect(c.now()).toBe(150);
    c.advanceTo(1000);
    expect(fired).toEqual(["z@0", "a@100", "b1@200", "b2@200", "c@300"]);
    expect(c.now()).toBe(1000);
    expect(c.pending).toBe(0);
    expect(c.nextEventAt()).toBe(Number.POSITIVE_INFINITY);
  });

  it("fires events scheduled by events, and cancels", () => {
    const c = new VirtualClock();
    const fired: number[] = [];
    const h = c.schedule(50, () => fired.push(-1));
    c.schedule(10, () => {
      fired.push(c.now());
      c.schedule(5, () => fired.push(c.now()));
    });
    expect(c.cancel(h)).toBe(true);
    expect(c.cancel(h)).toBe(false);
    c.advance(100);
    expect(fired).toEqual([10, 15]);
  });

  it("never goes backwards and refuses negative delays", () => {
    const c = new VirtualClock();
    c.advance(500);
    c.advanceTo(100);
    expect(c.now()).toBe(500);
    expect(() => c.schedule(-1, () => {})).toThrow(RangeError);
  });

  it("passUntil stops at the next event or the deadline", () => {
    const c = new VirtualClock();
    let n = 0;
    c.schedule(40, () => n++);
    expect(c.passUntil(100)).toBe(40);
    expect(n).toBe(1);
    expect(c.passUntil(100)).toBe(100);
  });
});

describe("Machine time through the HAL", () => {
  it("waitUntil advances virtual time to the event that makes the condition true", () => {
    const m = new Machine();
    let up = false;
    m.clock.schedule(2_000_000, () => {
      up = true;
    });
    expect(m.hal.waitUntil(() => up, 10_000_000, "link")).toBeUndefined();
    expect(m.hal.now()).toBe(2_000_000);
  });

  it("waitUntil gives Again after the timeout, having fired due events in order", () => {
    const m = new Machine();
    const seen: number[] = [];
    m.clock.schedule(1000, () => seen.push(1));
    m.clock.schedule(3000, () => seen.push(3));
    m.clock.schedule(20_000, () => seen.push(20));
    const r = m.hal.waitUntil(() => false, 10_000, "never");
    expect(isErrorKind(r, "Again")).toBe(true);
    expect(String(r)).toContain("never");
    expect(seen).toEqual([1, 3]);
    expect(m.hal.now()).toBe(10_000);
    m.hal.sleep(10_000);
    expect(seen).toEqual([1, 3, 20]);
  });
});
