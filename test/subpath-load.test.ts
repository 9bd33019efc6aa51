// Feature selection at run time: importing one subpath of the built package (through its exports map,
// as a user would) loads no other driver's code. A resolve hook in a child process records every module.
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("..", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "axd-subpath-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

beforeAll(() => {
  // npm test builds first; a bare `vitest run` builds here
  if (!existsSync(join(root, "dist/src/drivers/virtio/index.js"))) {
    execFileSync("npx", ["tsc", "-p", "tsconfig.build.json"], { cwd: root, stdio: "inherit" });
  }
  writeFileSync(
    join(dir, "hooks.mjs"),
    `export async function resolve(spec, ctx, next) {
  const r = await next(spec, ctx);
  if (r.url.startsWith("file:")) process.stderr.write("LOADED " + r.url + "\\n");
  return r;
}
`,
  );
  writeFileSync(
    join(dir, "register.mjs"),
    `import { register } from "node:module";\nregister(${JSON.stringify(`file://${join(dir, "hooks.mjs")}`)});\n`,
  );
}, 120_000);

/** Project files (relative to dist/src) loaded when `specifier` is imported from inside the package. */
function loadedBy(specifier: string): string[] {
  const r = spawnSync(
    process.execPath,
    [
      "--import",
      join(dir, "register.mjs"),
      "--input-type=module",
      "-e",
      `await import(${JSON.stringify(specifier)});`,
    ],
    { cwd: root, encoding: "utf8" },
  );
  expect(r.status, r.stderr).toBe(0);
  const prefix = `file://${join(root, "dist/src")}/`;
  return r.stderr
    .split("\n")
    .filter((l) => l.startsWith("LOADED "))
    .map((l) => l.slice(7))
    .filter((u) => u.startsWith(prefix))
    .map((u) => u.slice(prefix.length));
}

describe("a driver's subpath loads only its own driver", () => {
  for (const [sub, folder] of [
    ["virtio", "drivers/virtio/"],
    ["ixgbe", "drivers/ixgbe/"],
    ["fxmac", "drivers/fxmac/"],
  ] as const) {
    it(`axdriver/${sub}`, () => {
      const files = loadedBy(`axdriver/${sub}`);
      expect(files).toContain(`${folder}index.js`);
      expect(files.filter((f) => f.startsWith("drivers/") && !f.startsWith(folder))).toEqual([]);
      expect(files.filter((f) => /^(emu|link|cli|host|platform)\//.test(f))).toEqual([]);
    });
  }

  it("axdriver/platform loads every driver (the default set), and axdriver/net none", () => {
    const all = loadedBy("axdriver/platform");
    for (const d of ["virtio", "ixgbe", "fxmac"]) expect(all).toContain(`drivers/${d}/index.js`);
    const net = loadedBy("axdriver/net");
    expect(net).toContain("net/index.js");
    expect(net.filter((f) => f.startsWith("drivers/"))).toEqual([]);
  });
});
