// Builds the small Linux guest the peer tests boot under QEMU: the Debian kernel unpacked from its package
// (never installed), busybox, the host's node binary with the libraries ldd names, koffi, the project's
// built files and the guest programs, packed as an initramfs. Everything is cached under .cache/guest by
// content hash: a second build with the same inputs only checks hashes.
//
// Run alone: `npx tsx scripts/guest/build-image.ts` (prints the kernel and initrd paths).
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  realpathSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { CpioWriter } from "./cpio.js";

/** Modules the VFIO run loads (dependencies are added from each module's `depends=`). */
export const VFIO_MODULES = ["vfio_iommu_type1", "vfio-pci"];

/** A built guest: what QEMU's `-kernel` and `-initrd` take. */
export interface GuestImage {
  /** The kernel to boot (uncompressed vmlinux when xz is present, else the package's vmlinuz). */
  kernel: string;
  /** The initramfs (two concatenated newc archives: base layer and app layer). */
  initrd: string;
  /** Kernel release, e.g. `6.1.0-56-amd64`. */
  kernelVersion: string;
  /** Content hash of the initrd. */
  key: string;
  /** Milliseconds the build took (0-ish when everything was cached). */
  buildMs: number;
}

/** What goes into the app layer besides the project's dist/: destination path in the guest -> host file. */
export type GuestFiles = Record<string, string>;

export interface BuildOptions {
  /** The project root (holds package.json, dist/, node_modules/). */
  projectRoot: string;
  /** Extra files of the app layer (the guest programs). */
  guestFiles: GuestFiles;
  /** Progress messages. */
  log?: (msg: string) => void;
}

/** The tools and inputs the build and the QEMU run need that are missing on this machine (empty = ready). */
export function missingGuestInputs(projectRoot: string): string[] {
  const missing: string[] = [];
  if (!onPath("qemu-system-x86_64")) missing.push("qemu-system-x86_64 (apt-get install qemu-system-x86)");
  const bb = busyboxPath();
  if (bb === undefined) missing.push("busybox-static (apt-get install busybox-static)");
  if (!onPath("dpkg-deb")) missing.push("dpkg-deb");
  if (findCachedKernelDeb(cacheDir(projectRoot)) === undefined && !onPath("apt-get"))
    missing.push("apt-get (to download the kernel package)");
  if (!existsSync(join(projectRoot, "dist/src/host/index.js"))) missing.push("dist/ (npm run build)");
  if (!existsSync(join(projectRoot, "node_modules/koffi/package.json"))) missing.push("node_modules/koffi");
  return missing;
}

function onPath(tool: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}

/** The static busybox binary, or undefined (a dynamically linked one would need its libraries). */
function busyboxPath(): string | undefined {
  for (const p of ["/bin/busybox", "/usr/bin/busybox"]) {
    if (!existsSync(p)) continue;
    const r = spawnSync("ldd", [p], { encoding: "utf8" });
    // ldd says "not a dynamic executable" (exit 1) for a static binary
    if (r.status !== 0 || /statically linked|not a dynamic/.test(`${r.stdout}${r.stderr}`)) return p;
  }
  return undefined;
}

/** The cache folder of guest images. */
export function cacheDir(projectRoot: string): string {
  return join(projectRoot, ".cache", "guest");
}

function findCachedKernelDeb(cache: string): string | undefined {
  const dir = join(cache, "kernel");
  if (!existsSync(dir)) return undefined;
  const debs = readdirSync(dir)
    .filter((f) => /^linux-image-\d.*-amd64_.*\.deb$/.test(f))
    .sort();
  return debs.length > 0 ? join(dir, debs[debs.length - 1]!) : undefined;
}

function sha256(data: Uint8Array | string): string {
  return createHash("sha256").update(data).digest("hex");
}

function hashFile(path: string): string {
  return sha256(readFileSync(path));
}

/**
 * Downloads (once) the real kernel package that `linux-image-amd64` depends on, unpacks it and, when
 * xz is present, extracts the uncompressed vmlinux (boots ~2x faster under TCG).
 */
function ensureKernel(
  cache: string,
  log: (m: string) => void,
): { kernel: string; tree: string; version: string } {
  const dir = join(cache, "kernel");
  mkdirSync(dir, { recursive: true });
  let deb = process.env.AXDRIVER_GUEST_KERNEL_DEB ?? findCachedKernelDeb(cache);
  if (deb === undefined) {
    const deps = execFileSync("apt-cache", ["depends", "linux-image-amd64"], { encoding: "utf8" });
    const m = /Depends:\s*(linux-image-\d[^\s]*-amd64)/.exec(deps);
    if (m === null) throw new Error("cannot resolve linux-image-amd64 (run apt-get update first)");
    log(`downloading ${m[1]} with apt-get download`);
    execFileSync("apt-get", ["download", "-q", m[1]!], { cwd: dir, stdio: ["ignore", "ignore", "pipe"] });
    deb = findCachedKernelDeb(cache);
    if (deb === undefined) throw new Error(`apt-get download ${m[1]} left no .deb in ${dir}`);
  }
  const tree = join(dir, `tree-${sha256(deb).slice(0, 12)}`);
  if (!existsSync(join(tree, ".done"))) {
    log(`unpacking ${deb}`);
    mkdirSync(tree, { recursive: true });
    execFileSync("dpkg-deb", ["-x", deb, tree]);
    writeFileSync(join(tree, ".done"), "");
  }
  const versions = readdirSync(join(tree, "lib/modules"));
  if (versions.length !== 1) throw new Error(`expected one kernel in ${tree}, found ${versions.join(", ")}`);
  const version = versions[0]!;
  const vmlinuz = join(tree, "boot", `vmlinuz-${version}`);
  const vmlinux = join(tree, "boot", `vmlinux-${version}`);
  if (existsSync(vmlinux)) return { kernel: vmlinux, tree, version };
  if (onPath("xz")) {
    const img = readFileSync(vmlinuz);
    const at = img.indexOf(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]));
    if (at > 0) {
      const out = spawnSync("xz", ["-dc", "--single-stream"], {
        input: img.subarray(at),
        maxBuffer: 512 * 1024 * 1024,
      });
      if (out.stdout !== null && out.stdout.length > 4 && out.stdout.readUInt32BE(0) === 0x7f454c46) {
        writeFileSync(`${vmlinux}.tmp`, out.stdout);
        renameSync(`${vmlinux}.tmp`, vmlinux);
        return { kernel: vmlinux, tree, version };
      }
    }
  }
  return { kernel: vmlinuz, tree, version };
}

/** Module file paths (relative to lib/modules/VERSION) for `names` and their dependencies, load order. */
function resolveModules(modDir: string, names: string[]): string[] {
  const byName = new Map<string, string>();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.name.endsWith(".ko")) byName.set(e.name.slice(0, -3).replace(/-/g, "_"), p);
    }
  };
  walk(join(modDir, "kernel"));
  const order: string[] = [];
  const seen = new Set<string>();
  const visit = (name: string): void => {
    const key = name.replace(/-/g, "_");
    if (seen.has(key)) return;
    seen.add(key);
    const path = byName.get(key);
    if (path === undefined) throw new Error(`kernel module ${name} not found in ${modDir}`);
    const info = readFileSync(path);
    const at = info.indexOf("depends=");
    if (at >= 0) {
      const end = info.indexOf(0, at);
      const deps = info.subarray(at + 8, end).toString("utf8");
      for (const d of deps.split(",")) if (d !== "") visit(d);
    }
    order.push(relative(modDir, path));
  };
  for (const n of names) visit(n);
  return order;
}

/** Libraries a binary needs, as ldd names them: [path in the guest, file to copy]. */
function sharedLibraries(binary: string): Array<[string, string]> {
  const r = spawnSync("ldd", [binary], { encoding: "utf8" });
  if (r.status !== 0) return [];
  const out: Array<[string, string]> = [];
  for (const line of r.stdout.split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m !== null) out.push([m[1]!, realpathSync(m[1]!)]);
  }
  return out;
}

function listFiles(root: string, filter: (rel: string) => boolean = () => true): string[] {
  const out: string[] = [];
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && filter(relative(root, p))) out.push(p);
    }
  };
  if (existsSync(root)) walk(root);
  return out;
}

const INIT = `#!/bin/sh
# /init of the axdriver peer-test guest. Knobs arrive as NAME=value words on the kernel command line.
export PATH=/bin:/usr/bin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mkdir -p /tmp /dev/hugepages
if [ "$AXPEER_VFIO" = "1" ]; then
  for m in $(cat /etc/vfio-modules); do insmod /lib/modules/$(uname -r)/$m || echo "AXPEER-LOG insmod $m failed"; done
  # hand the named NIC (and only it) to vfio-pci
  echo vfio-pci > /sys/bus/pci/devices/$AXPEER_BDF/driver_override
  echo $AXPEER_BDF > /sys/bus/pci/drivers_probe
  echo "AXPEER-LOG $AXPEER_BDF bound to $(basename $(readlink /sys/bus/pci/devices/$AXPEER_BDF/driver))"
fi
if [ -n "$AXPEER_HUGEPAGES" ]; then echo "$AXPEER_HUGEPAGES" > /proc/sys/vm/nr_hugepages; fi
echo "AXPEER-BOOTED $(cut -d' ' -f1 /proc/uptime)"
cd /app
# programs are comma-separated (a space would split the kernel command-line word)
for p in $(echo "\${AXPEER_PROGRAMS:-probe.mjs}" | tr , ' '); do
  echo "AXPEER-START $p $(cut -d' ' -f1 /proc/uptime)"
  node $AXPEER_NODE_ARGS /app/peers/$p
  echo "AXPEER-EXIT $p $? $(cut -d' ' -f1 /proc/uptime)"
done
poweroff -f
`;

function writeLayerIfMissing(path: string, build: (w: CpioWriter) => void): void {
  if (existsSync(path)) return;
  const tmp = `${path}.tmp${process.pid}`;
  const w = new CpioWriter(tmp);
  build(w);
  w.finish();
  renameSync(tmp, path);
}

/** Builds (or finds in the cache) the guest image. */
export function buildGuestImage(opts: BuildOptions): GuestImage {
  const t0 = performance.now();
  const log = opts.log ?? (() => {});
  const root = resolve(opts.projectRoot);
  const cache = cacheDir(root);
  mkdirSync(cache, { recursive: true });
  const { kernel, tree, version } = ensureKernel(cache, log);
  const modDir = join(tree, "lib/modules", version);
  const vfioModules = resolveModules(modDir, VFIO_MODULES);

  // --- base layer: busybox, node + libraries, koffi, modules, /init
  const busybox = busyboxPath();
  if (busybox === undefined) throw new Error("no static busybox (apt-get install busybox-static)");
  const nodeBin = realpathSync(process.execPath);
  const koffiDir = join(root, "node_modules/koffi");
  const koffiNative = join(root, "node_modules/@koromix/koffi-linux-x64");
  const libs = new Map<string, string>();
  for (const [p, f] of sharedLibraries(nodeBin)) libs.set(p, f);
  const koffiFiles = listFiles(koffiDir, (rel) => !rel.startsWith("doc/") && !rel.startsWith("vendor/"));
  const koffiNativeFiles = listFiles(koffiNative, (rel) => !rel.startsWith("musl_x64/"));
  for (const f of koffiNativeFiles)
    if (f.endsWith(".node")) for (const [p, g] of sharedLibraries(f)) libs.set(p, g);
  const applets = execFileSync(busybox, ["--list"], { encoding: "utf8" })
    .split("\n")
    .filter((a) => a !== "" && a !== "busybox");

  const baseHash = createHash("sha256");
  baseHash.update(INIT);
  baseHash.update(hashFile(kernel));
  for (const f of [busybox, nodeBin, ...libs.values(), ...koffiFiles, ...koffiNativeFiles])
    baseHash.update(`${f}\0${hashFile(f)}\0`);
  for (const m of vfioModules) baseHash.update(`${m}\0${hashFile(join(modDir, m))}\0`);
  const baseKey = baseHash.digest("hex").slice(0, 16);
  const basePath = join(cache, `base-${baseKey}.cpio`);
  writeLayerIfMissing(basePath, (w) => {
    log(`writing ${basePath}`);
    for (const d of ["proc", "sys", "dev", "tmp", "etc", "bin", "usr/bin", "app/peers"]) w.dir(d);
    w.file("init", Buffer.from(INIT), 0o755);
    w.file("bin/busybox", readFileSync(busybox), 0o755);
    for (const a of applets) w.symlink(`bin/${a}`, "/bin/busybox");
    w.file("usr/bin/node", readFileSync(nodeBin), 0o755);
    for (const [p, f] of libs) w.file(p, readFileSync(f), 0o755);
    for (const m of vfioModules) w.file(`lib/modules/${version}/${m}`, readFileSync(join(modDir, m)));
    w.file("etc/vfio-modules", Buffer.from(`${vfioModules.join("\n")}\n`));
    for (const f of koffiFiles) w.file(`app/node_modules/koffi/${relative(koffiDir, f)}`, readFileSync(f));
    for (const f of koffiNativeFiles)
      w.file(`app/node_modules/@koromix/koffi-linux-x64/${relative(koffiNative, f)}`, readFileSync(f));
  });

  // --- app layer: dist/src, package.json, guest programs (small; rebuilt whenever they change)
  const distRoot = join(root, "dist/src");
  const distFiles = listFiles(distRoot, (rel) => rel.endsWith(".js"));
  const commander = join(root, "node_modules/commander");
  const commanderFiles = listFiles(commander, (rel) => !rel.endsWith(".md") && !rel.startsWith("typings/"));
  const appEntries: Array<[string, Uint8Array]> = [];
  appEntries.push(["app/package.json", Buffer.from(JSON.stringify({ type: "module", private: true }))]);
  for (const f of distFiles) appEntries.push([`app/dist/src/${relative(distRoot, f)}`, readFileSync(f)]);
  for (const f of commanderFiles)
    appEntries.push([`app/node_modules/commander/${relative(commander, f)}`, readFileSync(f)]);
  for (const [dest, src] of Object.entries(opts.guestFiles))
    appEntries.push([dest.replace(/^\/+/, ""), readFileSync(src)]);
  const appHash = createHash("sha256");
  for (const [p, d] of appEntries) appHash.update(`${p}\0${sha256(d)}\0`);
  const appKey = appHash.digest("hex").slice(0, 16);
  const appPath = join(cache, `app-${appKey}.cpio`);
  writeLayerIfMissing(appPath, (w) => {
    log(`writing ${appPath}`);
    for (const [p, d] of appEntries) w.file(p, d);
  });

  const key = `${baseKey}-${appKey}`;
  const initrd = join(cache, `initrd-${key}.cpio`);
  if (!existsSync(initrd)) {
    const tmp = `${initrd}.tmp${process.pid}`;
    const fd = openSync(tmp, "w");
    for (const part of [basePath, appPath]) {
      const data = readFileSync(part);
      let off = 0;
      while (off < data.length) off += writeSync(fd, data, off, data.length - off);
    }
    closeSync(fd);
    renameSync(tmp, initrd);
  }
  pruneCache(cache, [basePath, appPath, initrd]);
  return { kernel, initrd, kernelVersion: version, key, buildMs: Math.round(performance.now() - t0) };
}

/** Keeps the cache small: removes image files other than the current ones (kernel files stay). */
function pruneCache(cache: string, keep: string[]): void {
  const keepNames = new Set(keep.map((k) => k.slice(cache.length + 1)));
  for (const f of readdirSync(cache)) {
    if (!/^(base|app|initrd)-.*\.cpio$/.test(f) || keepNames.has(f)) continue;
    try {
      // a concurrent build may still be writing its own files: only remove finished ones older than a minute
      if (Date.now() - statSync(join(cache, f)).mtimeMs > 60_000) rmSync(join(cache, f), { force: true });
    } catch {
      // ignore
    }
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
  const peers = join(root, "test/peers/guest");
  const guestFiles: GuestFiles = {};
  for (const f of listFiles(peers, (rel) => rel.endsWith(".mjs")))
    guestFiles[`app/peers/${relative(peers, f)}`] = f;
  const missing = missingGuestInputs(root);
  if (missing.length > 0) {
    console.error(`missing: ${missing.join("; ")}`);
    process.exit(1);
  }
  const img = buildGuestImage({ projectRoot: root, guestFiles, log: (m) => console.error(m) });
  console.log(JSON.stringify(img));
}
