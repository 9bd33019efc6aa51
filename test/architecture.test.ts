// The house rules of ../shared/DESIGN.md, checked on the import graph of src/.
import { readdirSync, readFileSync, statSync } from "node:fs";
import { builtinModules } from "node:module";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const src = join(root, "src");

function walk(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...walk(p));
    else if (p.endsWith(".ts") && !p.endsWith(".test.ts") && !p.endsWith(".d.ts")) out.push(p);
  }
  return out;
}

interface Import {
  spec: string;
  typeOnly: boolean;
}

/** Import and re-export specifiers of a file; `import type` / `export type` are marked (erased at run time). */
function importsOf(file: string): Import[] {
  const text = readFileSync(file, "utf8")
    .replace(/\/\*[\s\S]*?\*\//g, "")
    .replace(/^\s*\/\/.*$/gm, "");
  const out: Import[] = [];
  const re = /(?:^|;|\n)\s*(import|export)\s+(type\s+)?([^'";]*?)\s*from\s*["']([^"']+)["']/g;
  for (let m = re.exec(text); m !== null; m = re.exec(text))
    out.push({ spec: m[4]!, typeOnly: m[2] !== undefined });
  const bare = /(?:^|\n)\s*import\s*["']([^"']+)["']/g;
  for (let m = bare.exec(text); m !== null; m = bare.exec(text)) out.push({ spec: m[1]!, typeOnly: false });
  const dyn = /import\(\s*["']([^"']+)["']\s*\)/g;
  for (let m = dyn.exec(text); m !== null; m = dyn.exec(text)) out.push({ spec: m[1]!, typeOnly: false });
  return out;
}

function resolveLocal(from: string, spec: string): string | undefined {
  if (!spec.startsWith(".")) return undefined;
  return resolve(dirname(from), spec).replace(/\.js$/, ".ts");
}

const files = walk(src);
const rel = (f: string) => relative(src, f).split("\\").join("/");
const layer = (f: string) => rel(f).split("/")[0]!;
const nodeOnly = new Set([...builtinModules, ...builtinModules.map((m) => `node:${m}`), "koffi"]);
const isNodeOnlySpec = (s: string) => s.startsWith("node:") || nodeOnly.has(s.split("/")[0]!);
/** Files allowed Node-only APIs: link/, cli/, host/ and the sysfs access in pci/. */
const mayUseNode = (f: string) => ["link", "cli", "host"].includes(layer(f)) || /^pci\/sysfs/.test(rel(f));

describe("import rules (DESIGN.md)", () => {
  it("finds the source tree and reads its imports", () => {
    expect(files.length).toBeGreaterThan(10);
    const machine = importsOf(join(src, "emu", "machine.ts"));
    expect(machine).toContainEqual({ spec: "../hal/clock.js", typeOnly: false });
    expect(machine.some((i) => i.spec === "../hal/platform-config.js")).toBe(true);
    const driverOps = importsOf(join(src, "net", "net-driver-ops.ts"));
    expect(driverOps.every((i) => i.typeOnly)).toBe(true);
  });

  it("rule 1: drivers never import device models or links", () => {
    const bad: string[] = [];
    for (const f of files.filter((f) => rel(f).startsWith("drivers/"))) {
      for (const i of importsOf(f)) {
        const t = resolveLocal(f, i.spec);
        if (t !== undefined && ["emu", "link"].includes(layer(t))) bad.push(`${rel(f)} -> ${i.spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("rule 2: device models never import drivers", () => {
    const bad: string[] = [];
    for (const f of files.filter((f) => layer(f) === "emu")) {
      for (const i of importsOf(f)) {
        const t = resolveLocal(f, i.spec);
        if (t !== undefined && layer(t) === "drivers") bad.push(`${rel(f)} -> ${i.spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("rule 3: hw/ holds facts and imports only hw/ and base/", () => {
    const bad: string[] = [];
    for (const f of files.filter((f) => layer(f) === "hw")) {
      for (const i of importsOf(f)) {
        const t = resolveLocal(f, i.spec);
        if (t === undefined || !["hw", "base"].includes(layer(t))) bad.push(`${rel(f)} -> ${i.spec}`);
      }
    }
    expect(bad).toEqual([]);
  });

  it("rule 4: the core uses no Node-only module and does not reach link/, cli/ or host/", () => {
    const bad: string[] = [];
    for (const f of files.filter((f) => !mayUseNode(f))) {
      for (const i of importsOf(f)) {
        if (i.typeOnly) continue;
        const t = resolveLocal(f, i.spec);
        if (t === undefined ? isNodeOnlySpec(i.spec) : mayUseNode(t)) {
          bad.push(`${rel(f)} -> ${i.spec}`);
        }
      }
    }
    expect(bad).toEqual([]);
  });

  it("rule 4: the core does not reach Node-only globals either (process, Buffer, require, setImmediate)", () => {
    const bad: string[] = [];
    for (const f of files.filter((f) => !mayUseNode(f))) {
      const text = readFileSync(f, "utf8")
        .replace(/\/\*[\s\S]*?\*\//g, "")
        .replace(/\/\/.*$/gm, "");
      const m = /\b(process\.|Buffer\.|require\(|setImmediate\(|__dirname)/.exec(text);
      if (m !== null) bad.push(`${rel(f)}: ${m[1]}`);
    }
    expect(bad).toEqual([]);
  });
});

/** Every file loaded at run time when `entry` is imported (type-only imports are erased). */
function closure(entry: string): Set<string> {
  const seen = new Set<string>();
  const stack = [entry];
  while (stack.length > 0) {
    const f = stack.pop()!;
    if (seen.has(f)) continue;
    seen.add(f);
    for (const i of importsOf(f)) {
      if (i.typeOnly) continue;
      const t = resolveLocal(f, i.spec);
      if (t !== undefined) stack.push(t);
    }
  }
  return seen;
}

describe("feature selection: a driver's subpath loads no other driver", () => {
  const drivers = ["virtio", "ixgbe", "fxmac"];
  for (const d of drivers) {
    it(`axdriver/${d} loads only its own driver code`, () => {
      const loaded = [...closure(join(src, "drivers", d, "index.ts"))].map(rel);
      const foreign = loaded.filter((f) => f.startsWith("drivers/") && !f.startsWith(`drivers/${d}/`));
      expect(foreign).toEqual([]);
      expect(
        loaded.filter(
          (f) => f.startsWith("emu/") || f.startsWith("link/") || f.startsWith("platform/default"),
        ),
      ).toEqual([]);
    });
  }

  it("the package exports map every subpath to a built file of the matching source", () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
      exports: Record<string, { default: string }>;
    };
    for (const sub of ["base", "net", "pci", "virtio", "ixgbe", "fxmac", "emu", "link", "platform"]) {
      const target = pkg.exports[`./${sub}`]?.default;
      expect(target, sub).toBeDefined();
      const source = join(root, target!.replace(/^\.\/dist\//, "").replace(/\.js$/, ".ts"));
      expect(statSync(source).isFile(), source).toBe(true);
    }
  });
});
