// The `axdriver` command (bin/axdriver.mjs, `npm start` = `axdriver demo`).
import { runCli } from "./program.js";

process.exitCode = await runCli(process.argv.slice(2));
