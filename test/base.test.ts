import { describe, expect, it } from "vitest";
import {
  DevError,
  DeviceType,
  isDevError,
  isErrorKind,
  isOk,
  LogLevel,
  log,
  unwrap,
} from "../src/base/index.js";

describe("DevError", () => {
  it("has the seed's kinds with their messages", () => {
    const expected: Record<string, string> = {
      AlreadyExists: "Entity already exists",
      Again: "Try again",
      BadState: "Bad state",
      InvalidParam: "Invalid parameter",
      Io: "Input/output error",
      NoMemory: "Not enough memory",
      ResourceBusy: "Resource is busy",
      Unsupported: "Unsupported operation",
    };
    for (const [kind, message] of Object.entries(expected)) {
      const e = DevError.of(kind as keyof typeof expected & DevError["kind"]);
      expect(e.kind).toBe(kind);
      expect(e.message).toBe(message);
      expect(DevError.messageOf(e.kind)).toBe(message);
    }
  });

  it("shares one instance per kind, so returning Again allocates nothing", () => {
    expect(DevError.of("Again")).toBe(DevError.Again);
    expect(DevError.of("Again")).toBe(DevError.of("Again"));
  });

  it("carries detail in fresh instances without changing the kind message", () => {
    const e = DevError.withDetail("InvalidParam", "queue size 3");
    expect(e).not.toBe(DevError.InvalidParam);
    expect(e.message).toBe("Invalid parameter: queue size 3");
    expect(e.kindMessage).toBe("Invalid parameter");
    expect(isErrorKind(e, "InvalidParam")).toBe(true);
    expect(isErrorKind(e, "Again")).toBe(false);
  });

  it("tells values from errors", () => {
    const ok: number | DevError = 5;
    const bad: number | DevError = DevError.Io;
    expect(isOk(ok)).toBe(true);
    expect(isDevError(ok)).toBe(false);
    expect(isOk(bad)).toBe(false);
    expect(isDevError(bad)).toBe(true);
    expect(unwrap(ok)).toBe(5);
    expect(() => unwrap(bad)).toThrow("Input/output error");
    // undefined is the success value of DevResult<void>
    expect(isOk<void>(undefined)).toBe(true);
  });
});

describe("DeviceType", () => {
  it("has Block, Char, Net, Display", () => {
    expect(Object.values(DeviceType).sort()).toEqual(["Block", "Char", "Display", "Net"]);
  });
});

describe("log", () => {
  it("is silent by default and writes at or below its level", () => {
    const lines: string[] = [];
    const saved = { level: log.level, sink: log.sink };
    try {
      log.sink = (_l, target, msg) => lines.push(`${target}:${msg}`);
      expect(log.level).toBe(LogLevel.Off);
      log.error("t", "hidden");
      expect(lines).toEqual([]);
      expect(log.setLevel("info")).toBe(true);
      log.info("t", "a");
      log.debug("t", "b");
      expect(lines).toEqual(["t:a"]);
      expect(log.setLevel("nonsense")).toBe(false);
      expect(log.level).toBe(LogLevel.Info);
    } finally {
      log.level = saved.level;
      log.sink = saved.sink;
    }
  });
});
