// What every peer test needs: are QEMU and its inputs here, and the guest image (built once per process).
import { readdirSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { buildGuestImage, type GuestImage, missingGuestInputs } from "../../scripts/guest/build-image.js";

export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const GUEST_DIR = join(PROJECT_ROOT, "test/peers/guest");

/**
 * `npm run test:peers` sets AXDRIVER_PEERS=require: then a missing tool fails the run instead of skipping it.
 */
export const PEERS_REQUIRED = process.env.AXDRIVER_PEERS === "require";

/** What is missing for the QEMU peer tests (empty: they can run). */
export const MISSING = missingGuestInputs(PROJECT_ROOT);

/** True when the peer tests should be skipped (inputs missing and not required). */
export const SKIP_PEERS = MISSING.length > 0 && !PEERS_REQUIRED;

if (SKIP_PEERS) console.log(`QEMU peer tests skipped: missing ${MISSING.join("; ")}`);

let image: GuestImage | undefined;

/** The guest image with every program of test/peers/guest (cached under .cache/guest by content hash). */
export function guestImage(): GuestImage {
  if (image !== undefined) return image;
  const files: Record<string, string> = {};
  for (const f of readdirSync(GUEST_DIR))
    if (f.endsWith(".mjs")) files[`app/peers/${f}`] = join(GUEST_DIR, f);
  image = buildGuestImage({ projectRoot: PROJECT_ROOT, guestFiles: files });
  return image;
}
