import { type ChildProcess, execFile, execFileSync, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import type { FrameSink } from "../src/emu/frame-port.js";
import { type StreamLink, StreamListener } from "../src/link/socket.js";

// The TAP link, tested against the Linux kernel inside a network namespace this test creates:
//   kernel (ping, ARP) <-> TAP "axdtap0" (10.99.0.1/24, in the namespace)
//     <-> TapLink in a child node process run under `ip netns exec`
//     <-> StreamLink over a UNIX socket <-> this process: a tiny ARP + ICMP echo responder at 10.99.0.2.
// Nothing leaves the namespace; it is deleted at the end.

const root = fileURLToPath(new URL("..", import.meta.url));
const isRoot = process.getuid?.() === 0;
const hasTun = existsSync("/dev/net/tun");
const canRun = isRoot && hasTun;
if (!canRun) {
  console.log(`link-tap: skipped, needs root and /dev/net/tun (root: ${isRoot}, /dev/net/tun: ${hasTun})`);
}

const NS = `axd-test-${process.pid}`;
const TAP = "axdtap0";
const HOST_IP = [10, 99, 0, 1];
const OUR_IP = [10, 99, 0, 2];
const OUR_MAC = [0x02, 0x00, 0x00, 0x99, 0x00, 0x02];

function run(cmd: string, args: string[], timeoutMs = 20_000): Promise<{ code: number; out: string }> {
  // asynchronous: the responder answers from this process's event loop while the command runs
  return new Promise((resolve) => {
    execFile(cmd, args, { timeout: timeoutMs, encoding: "utf8" }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === "number" ? err.code : 1) : 0;
      resolve({ code, out: `${stdout}${stderr}` });
    });
  });
}

function inNs(args: string[], timeoutMs?: number) {
  return run("ip", ["netns", "exec", NS, ...args], timeoutMs);
}

function checksum(b: Uint8Array, off: number, len: number): number {
  let sum = 0;
  for (let i = 0; i + 1 < len; i += 2) sum += (b[off + i]! << 8) | b[off + i + 1]!;
  if (len & 1) sum += b[off + len - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return ~sum & 0xffff;
}

function put16(b: Uint8Array, off: number, v: number): void {
  b[off] = v >>> 8;
  b[off + 1] = v & 0xff;
}

function sameBytes(b: Uint8Array, off: number, want: number[]): boolean {
  return want.every((v, i) => b[off + i] === v);
}

/** Answers ARP requests for 10.99.0.2 and ICMP echo requests to it (RFC 826, RFC 792). */
class Responder implements FrameSink {
  link: StreamLink | undefined;
  arpRequests = 0;
  echoRequests = 0;
  badChecksums = 0;
  ignored = 0;
  seenHostMac: number[] | undefined;

  receiveFrame(b: Uint8Array, o: number, len: number): boolean {
    const type = (b[o + 12]! << 8) | b[o + 13]!;
    if (type === 0x0806 && len >= 42 && b[o + 21] === 1 && sameBytes(b, o + 38, OUR_IP)) {
      this.arpRequests++;
      const r = new Uint8Array(42);
      r.set(b.subarray(o + 6, o + 12), 0); // to the asker
      r.set(OUR_MAC, 6);
      put16(r, 12, 0x0806);
      r.set([0, 1, 8, 0, 6, 4, 0, 2], 14); // Ethernet/IPv4, reply
      r.set(OUR_MAC, 22);
      r.set(OUR_IP, 28);
      r.set(b.subarray(o + 22, o + 32), 32); // target = the asker's MAC and IP
      this.seenHostMac = Array.from(b.subarray(o + 6, o + 12));
      this.link!.send(r, 0, 42);
      return true;
    }
    if (type === 0x0800 && len >= 42 && b[o + 23] === 1 && sameBytes(b, o + 30, OUR_IP)) {
      const ihl = (b[o + 14]! & 0x0f) * 4;
      const totalLen = (b[o + 16]! << 8) | b[o + 17]!;
      const icmp = o + 14 + ihl;
      if (checksum(b, o + 14, ihl) !== 0 || checksum(b, icmp, totalLen - ihl) !== 0) {
        this.badChecksums++;
        return true;
      }
      if (b[icmp] !== 8) return true;
      this.echoRequests++;
      const r = new Uint8Array(14 + totalLen);
      r.set(b.subarray(o, o + 14 + totalLen));
      r.set(b.subarray(o + 6, o + 12), 0);
      r.set(OUR_MAC, 6);
      r.set(OUR_IP, 14 + 12);
      r.set(b.subarray(o + 26, o + 30), 14 + 16); // back to the sender
      r[14 + 8] = 64;
      put16(r, 14 + 10, 0);
      put16(r, 14 + 10, checksum(r, 14, ihl));
      const ri = 14 + ihl;
      r[ri] = 0; // echo reply
      put16(r, ri + 2, 0);
      put16(r, ri + 2, checksum(r, ri, totalLen - ihl));
      this.link!.send(r, 0, r.length);
      return true;
    }
    this.ignored++; // IPv6 neighbour discovery, MLD, router solicitations...
    return true;
  }
}

describe.skipIf(!canRun)("TapLink against the Linux kernel in a network namespace", () => {
  const dir = mkdtempSync(join(tmpdir(), "axd-tap-"));
  let child: ChildProcess | undefined;
  let nsMade = false;

  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    if (nsMade) execFileSync("ip", ["netns", "del", NS]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("the kernel pings an emulated host through the TAP: ARP, then ICMP echo with valid checksums", async () => {
    for (const tool of ["ip", "ping"]) {
      expect(
        (await run("sh", ["-c", `command -v ${tool}`])).code,
        `${tool} missing: apt-get install iproute2 iputils-ping`,
      ).toBe(0);
    }
    execFileSync("ip", ["netns", "add", NS]);
    nsMade = true;
    const sock = join(dir, "tap.sock");
    const listener = await StreamListener.listen({ path: sock });
    const script = [
      `import { TapLink } from ${JSON.stringify(join(root, "src/link/tap.ts"))};`,
      `import { StreamLink } from ${JSON.stringify(join(root, "src/link/socket.ts"))};`,
      `import { plug } from ${JSON.stringify(join(root, "src/link/endpoint.ts"))};`,
      "const tap = await TapLink.open({ name: process.env.TAP_NAME });",
      "const s = await StreamLink.connect({ path: process.env.SOCK });",
      "plug(tap, s);",
      'console.log("ready " + tap.name);',
      'process.stdin.on("end", async () => {',
      '  console.log("counters " + JSON.stringify(tap.counters));',
      "  await tap.close(); await s.close(); process.exit(0);",
      "});",
      "process.stdin.resume();",
    ].join("\n");
    child = spawn(
      "ip",
      ["netns", "exec", NS, process.execPath, "--import", "tsx", "--input-type=module", "-e", script],
      {
        cwd: root,
        env: { ...process.env, TAP_NAME: TAP, SOCK: sock },
        stdio: ["pipe", "pipe", "pipe"],
      },
    );
    let out = "";
    let err = "";
    child.stdout!.on("data", (d) => {
      out += d;
    });
    child.stderr!.on("data", (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => child!.once("exit", (c) => r(c)));
    const responder = new Responder();
    // the child connects once its TAP is up; if it dies first, fail with what it said
    const link = await Promise.race([
      listener.accept(),
      exited.then((code) => {
        throw new Error(`TAP child exited (${code}) before connecting: ${out} ${err}`);
      }),
    ]);
    responder.link = link;
    link.connect(responder);
    for (let i = 0; i < 200 && !out.includes("ready"); i++) await new Promise((r) => setTimeout(r, 50));
    expect(out, err).toContain(`ready ${TAP}`);

    // the interface lives in the namespace only
    expect((await run("ip", ["link", "show", TAP])).code).not.toBe(0);
    expect((await inNs(["ip", "addr", "add", "10.99.0.1/24", "dev", TAP])).code).toBe(0);
    expect((await inNs(["ip", "link", "set", TAP, "up"])).code).toBe(0);

    const ping = await inNs(["ping", "-c", "3", "-i", "0.2", "-W", "3", "10.99.0.2"]);
    expect(ping.out).toMatch(/3 packets transmitted, 3 received/);
    expect(ping.code).toBe(0);
    expect(responder.arpRequests).toBeGreaterThanOrEqual(1);
    expect(responder.echoRequests).toBe(3);
    expect(responder.badChecksums).toBe(0);
    // the kernel learned our MAC from the ARP reply, and asked from its TAP's MAC
    const neigh = await inNs(["ip", "neigh", "show", "10.99.0.2", "dev", TAP]);
    expect(neigh.out).toContain("02:00:00:99:00:02");
    const linkInfo = await inNs(["ip", "link", "show", TAP]);
    const tapMac = responder.seenHostMac!.map((x) => x.toString(16).padStart(2, "0")).join(":");
    expect(linkInfo.out).toContain(`link/ether ${tapMac}`);
    expect(HOST_IP).toEqual([10, 99, 0, 1]);

    child.stdin!.end();
    expect(await exited).toBe(0);
    const m = /counters (\{.*\})/.exec(out);
    expect(m, out + err).not.toBeNull();
    const c = JSON.parse(m![1]!) as Record<string, number>;
    // from the kernel: at least the ARP request and 3 echo requests; to it: the ARP reply and 3 echo replies
    expect(c.rxFrames).toBeGreaterThanOrEqual(4);
    expect(c.txFrames).toBe(1 + 3 + (responder.arpRequests - 1));
    expect(c.txDropped).toBe(0);
    expect(c.errors).toBe(0);
    // the interface went away with the fd
    expect((await inNs(["ip", "link", "show", TAP])).code).not.toBe(0);
    await link.closed;
    await listener.close();
  });
});
