// `npm run bench -- NAME [args]`: runs bench/NAME.ts.
import { existsSync, readdirSync } from "node:fs";
import { fileURLToPath, pathToFileURL } from "node:url";

const dir = fileURLToPath(new URL(".", import.meta.url));
const names = readdirSync(dir)
  .filter((f) => f.endsWith(".ts") && f !== "run.ts" && f !== "harness.ts")
  .map((f) => f.slice(0, -3));
const name = process.argv[2];
if (name === undefined || !names.includes(name)) {
  console.error(`usage: npm run bench -- NAME   (NAME: ${names.join(", ")})`);
  process.exit(2);
}
const file = `${dir}${name}.ts`;
if (!existsSync(file)) process.exit(2);
const mod = (await import(pathToFileURL(file).href)) as { main?: (args: string[]) => Promise<void> };
if (mod.main === undefined) {
  console.error(`bench/${name}.ts exports no main()`);
  process.exit(2);
}
await mod.main(process.argv.slice(3));
