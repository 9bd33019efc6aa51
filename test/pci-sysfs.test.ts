import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeEach, describe, expect, it, vi } from "vitest";
import { isErrorKind } from "../src/base/dev-error.js";
import { lspciLine, lspciLines, lspciSysfs } from "../src/cli/lspci.js";
import { EcamAccess, PciRoot } from "../src/pci/index.js";
import { listSysfsFunctions, SysfsConfigAccess } from "../src/pci/sysfs.js";
import type { ConfigurationAccess } from "../src/pci/types.js";
import { bdf, buildMachine } from "./pci-fixtures.js";

// Every file-system call the sysfs code makes goes through these wrappers, so the test can see that it only
// reads, and never a `resource` file.
const fsCalls: { fn: string; path: string; flag?: string }[] = [];
vi.mock("node:fs", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:fs")>();
  const wrap =
    <A extends unknown[], R>(name: string, f: (...a: A) => R) =>
    (...a: A): R => {
      const opt = a[1] as { flag?: string } | string | undefined;
      const flag = typeof opt === "object" && opt !== null ? opt.flag : undefined;
      fsCalls.push({ fn: name, path: String(a[0]), ...(flag === undefined ? {} : { flag }) });
      return f(...a);
    };
  const names = [
    "readFileSync",
    "readdirSync",
    "openSync",
    "writeFileSync",
    "writeSync",
    "appendFileSync",
    "createWriteStream",
    "createReadStream",
    "readSync",
  ] as const;
  const out: Record<string, unknown> = { ...real };
  for (const n of names) out[n] = wrap(n, real[n] as (...a: unknown[]) => unknown);
  return { ...out, default: out };
});

const hasLspci = (() => {
  try {
    execFileSync("lspci", ["--version"], { stdio: "pipe" });
    return true;
  } catch {
    return false;
  }
})();

describe("lspci -n from sysfs", () => {
  it.skipIf(!hasLspci)("prints the same lines as pciutils' lspci -n on this machine", () => {
    const expected = execFileSync("lspci", ["-n"], { encoding: "utf8" })
      .split("\n")
      .filter((l) => l.length > 0);
    fsCalls.length = 0;
    const got = lspciSysfs();
    expect(got).toEqual(expected);
    // what sysfs has, we have (both may be empty where there is no PCI)
    expect(got.length).toBe(listSysfsFunctions().length);
    // read-only: every file opened was read with flag "r", directory listings aside; no resource file
    for (const c of fsCalls) {
      expect(["readFileSync", "readdirSync"]).toContain(c.fn);
      if (c.fn === "readFileSync") expect(c.flag).toBe("r");
      expect(c.path).not.toMatch(/resource/);
    }
  });
});

// ---------------------------------------------------------------- a synthetic sysfs tree

const root = fs.mkdtempSync(join(tmpdir(), "axdriver-sysfs-"));
afterAll(() => fs.rmSync(root, { recursive: true, force: true }));

function config(vendor: number, device: number, cls: number, rev: number, header = 0, len = 256): Uint8Array {
  const b = new Uint8Array(len);
  const dv = new DataView(b.buffer);
  dv.setUint16(0, vendor, true);
  dv.setUint16(2, device, true);
  dv.setUint32(8, ((cls << 8) | rev) >>> 0, true);
  b[0x0e] = header;
  return b;
}

function addFn(name: string, cfg: Uint8Array, attrs: Record<string, string> = {}): void {
  const dir = join(root, name);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(join(dir, "config"), cfg);
  for (const [k, v] of Object.entries(attrs)) fs.writeFileSync(join(dir, k), `${v}\n`);
  // resource files exist in the real tree: they must never be touched
  fs.writeFileSync(join(dir, "resource0"), "");
  fs.writeFileSync(join(dir, "resource"), "0x0 0x0 0x0\n");
}

addFn("0000:00:00.0", config(0x8086, 0x0d57, 0x060000, 0x00, 0, 4096)); // no revision: no "(rev ..)"
addFn("0000:00:01.0", config(0x1af4, 0x1045, 0xffff00, 0x01)); // an odd class, as real virtio devices have
addFn("0000:00:03.0", config(0x1af4, 0x1041, 0x020000, 0x01, 0x80, 64)); // what a non-root reader gets
addFn("0000:00:03.1", config(0x1af4, 0x1041, 0x020000, 0x02));
addFn("0000:02:1f.7", config(0x8086, 0x10fb, 0x020000, 0x01), {
  vendor: "0x8086",
  device: "0x10fb",
  class: "0x020000",
  revision: "0x01",
});
// the kernel fixed this one's class (a quirk): lspci shows the kernel's view
addFn("0000:05:00.0", config(0x10ec, 0x8168, 0xff0000, 0x15), {
  vendor: "0x10ec",
  device: "0x8168",
  class: "0x020000",
  revision: "0x15",
});
fs.mkdirSync(join(root, "not-a-device"));

describe("SysfsConfigAccess (synthetic tree)", () => {
  beforeEach(() => {
    fsCalls.length = 0;
  });

  it("lists functions sorted and serves their configuration space", () => {
    const a = new SysfsConfigAccess({ root });
    expect(a.functions().map(String)).toEqual([
      "00:00.0",
      "00:01.0",
      "00:03.0",
      "00:03.1",
      "02:1f.7",
      "05:00.0",
    ]);
    expect(a.readWord(bdf(0, 1, 0), 0)).toBe(0x10451af4);
    expect(a.readWord(bdf(0, 1, 0), 8)).toBe(0xffff0001);
    expect(a.readWord(bdf(0, 9, 0), 0)).toBe(0xffffffff);
    expect(a.readableLength(bdf(0, 3, 0))).toBe(64);
    expect(a.readWord(bdf(0, 3, 0), 0x3c)).toBe(0);
    expect(a.readWord(bdf(0, 3, 0), 0x40)).toBe(0); // beyond what was readable
    expect(a.readableLength(bdf(0, 0, 0))).toBe(4096);
    expect(() => a.readWord(bdf(0, 0, 0), 2)).toThrow(RangeError);
    // raw view: the unfixed class
    expect(a.readWord(bdf(5, 0, 0), 8) >>> 8).toBe(0xff0000);
    expect(new SysfsConfigAccess({ root, kernelView: true }).readWord(bdf(5, 0, 0), 8) >>> 8).toBe(0x020000);
  });

  it("refuses to write and never opens anything but for reading", () => {
    const a = new SysfsConfigAccess({ root });
    const r = (() => {
      try {
        a.writeWord(bdf(0, 1, 0), 4, 0x7);
        return undefined;
      } catch (e) {
        return e;
      }
    })();
    expect(isErrorKind(r, "Unsupported")).toBe(true);
    // the PCI root over it can enumerate; BAR sizing (a write) fails loudly rather than silently
    const pr = new PciRoot(a);
    expect([...pr.enumerateBus(0)].map(([d]) => d.toString())).toEqual([
      "00:00.0",
      "00:01.0",
      "00:03.0",
      "00:03.1",
    ]);
    expect(fsCalls.length).toBeGreaterThan(0);
    for (const c of fsCalls) {
      expect(["readFileSync", "readdirSync"]).toContain(c.fn);
      if (c.fn === "readFileSync") expect(c.flag).toBe("r");
      expect(c.path).not.toMatch(/resource/);
    }
  });

  it("formats lspci -n lines, with the kernel's view of identity fields", () => {
    expect(lspciSysfs(root)).toEqual([
      "00:00.0 0600: 8086:0d57",
      "00:01.0 ffff: 1af4:1045 (rev 01)",
      "00:03.0 0200: 1af4:1041 (rev 01)",
      "00:03.1 0200: 1af4:1041 (rev 02)",
      "02:1f.7 0200: 8086:10fb (rev 01)",
      "05:00.0 0200: 10ec:8168 (rev 15)",
    ]);
    for (const c of fsCalls) expect(c.path).not.toMatch(/resource/);
  });

  it("prefixes every line with the domain once any function is outside domain 0", () => {
    addFn("0001:00:00.0", config(0x15b3, 0x1017, 0x020000, 0x00));
    try {
      const lines = lspciSysfs(root);
      expect(lines[0]).toBe("0000:00:00.0 0600: 8086:0d57");
      expect(lines.at(-1)).toBe("0001:00:00.0 0200: 15b3:1017");
      expect(lines).toHaveLength(7);
    } finally {
      fs.rmSync(join(root, "0001:00:00.0"), { recursive: true });
    }
  });

  it("gives nothing for a tree without PCI", () => {
    expect(lspciSysfs(join(root, "missing"))).toEqual([]);
    expect(new SysfsConfigAccess({ root: join(root, "missing") }).functions()).toEqual([]);
  });
});

describe("lspci line formatter", () => {
  const space = (words: Record<number, number>): ConfigurationAccess => ({
    readWord: (_d, off) => words[off] ?? 0,
    writeWord: () => {},
  });

  it("prints class ffff, omits a zero revision, pads every field", () => {
    expect(lspciLine(space({ 0: 0x0001_0002, 8: 0xffff_0000 }), bdf(0x0a, 0x1f, 7))).toBe(
      "0a:1f.7 ffff: 0002:0001",
    );
    expect(lspciLine(space({ 0: 0x10fb_8086, 8: 0x0200_00ff }), bdf(0, 1, 0))).toBe(
      "00:01.0 0200: 8086:10fb (rev ff)",
    );
    // the prog-if is not part of `lspci -n` output
    expect(lspciLine(space({ 0: 0x1234_1b36, 8: 0x0c03_3001 }), bdf(0, 2, 0), 0x10)).toBe(
      "0010:00:02.0 0c03: 1b36:1234 (rev 01)",
    );
    expect(lspciLine(space({ 0: 0xffff_ffff }), bdf(0, 0, 0))).toBeUndefined();
  });

  it("lists the emulated machine's functions through ECAM", () => {
    const f = buildMachine();
    const access = new EcamAccess(
      (() => {
        const r = f.machine.hal.mapMmio(f.machine.config.pciEcamBase, 0x1000_0000);
        if (r instanceof Error) throw r;
        return r;
      })(),
    );
    expect(lspciLines(access, undefined, { busEnd: 3 })).toEqual([
      "00:00.0 0600: 8086:0d57",
      "00:01.0 0200: 8086:10fb (rev 01)",
      "00:02.0 0200: 1af4:1041",
      "00:02.1 0200: 1af4:1041 (rev 01)",
      "00:02.3 0200: 1af4:1041 (rev 03)",
      "00:03.0 ff00: 1234:0001",
      "00:04.0 0604: 1b36:0001",
      "01:00.0 0200: 1af4:1000",
    ]);
  });
});
