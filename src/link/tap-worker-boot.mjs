// Starts the TAP worker from the TypeScript sources: Node 20 workers ignore `--import` in execArgv, so
// register tsx's loader here first (see TOOLCHAIN.md). Compiled builds start tap-worker.js directly.
import { register } from "tsx/esm/api";

register();
await import("./tap-worker.ts");
