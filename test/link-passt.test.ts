import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { FrameSink } from "../src/emu/frame-port.js";
import { StreamLink } from "../src/link/socket.js";

// StreamLink against software no one here wrote: passt speaks QEMU's stream framing on a UNIX socket
// and answers ARP for its gateway address. passt runs inside a network namespace this test creates (it
// copies the addresses of that namespace's interface, a TAP with no carrier), and the namespace is
// deleted at the end.

const isRoot = process.getuid?.() === 0;
const hasPasst = spawnSync("sh", ["-c", "command -v passt"]).status === 0;
const hasTun = existsSync("/dev/net/tun");
const canRun = isRoot && hasPasst && hasTun;
if (!canRun) {
  console.log(
    `link-passt: skipped, needs root, /dev/net/tun and Debian's passt (root: ${isRoot}, passt: ${hasPasst}, tun: ${hasTun})`,
  );
}

const NS = `axd-passt-${process.pid}`;
const OUR_MAC = [0x02, 0, 0, 0, 0, 0x09];
const OUR_IP = [10, 77, 0, 2];
const GW_IP = [10, 77, 0, 1];

function arpRequest(seq: number): Uint8Array {
  const f = new Uint8Array(42);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff], 0);
  f.set(OUR_MAC, 6);
  f.set([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 1], 12);
  f.set(OUR_MAC, 22);
  f.set(OUR_IP, 28);
  f.set(GW_IP, 38);
  f[37] = seq; // target hardware address is ignored in a request: a marker that must not matter
  return f;
}

describe.skipIf(!canRun)("StreamLink with passt (an independent stream-framing peer)", () => {
  const dir = mkdtempSync(join(tmpdir(), "axd-passt-"));
  let passt: ChildProcess | undefined;
  let nsMade = false;
  afterAll(() => {
    if (passt && passt.exitCode === null) passt.kill("SIGKILL");
    if (nsMade) execFileSync("ip", ["netns", "del", NS]);
    rmSync(dir, { recursive: true, force: true });
  });

  it("passt answers our ARP requests, every frame in step", async () => {
    execFileSync("ip", ["netns", "add", NS]);
    nsMade = true;
    const sh = (cmd: string) => execFileSync("ip", ["netns", "exec", NS, "sh", "-c", cmd]);
    sh(
      "ip tuntap add dev t0 mode tap && ip addr add 10.77.0.2/24 dev t0 && ip link set t0 up && " +
        "ip route add default via 10.77.0.1 dev t0 onlink",
    );
    chmodSync(dir, 0o777); // passt drops to "nobody" before it makes its socket
    const sock = join(dir, "passt.sock");
    let log = "";
    passt = spawn("ip", ["netns", "exec", NS, "passt", "-f", "-q", "-1", "-s", sock], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    passt.stdout!.on("data", (d) => {
      log += d;
    });
    passt.stderr!.on("data", (d) => {
      log += d;
    });
    for (let i = 0; i < 100 && !existsSync(sock); i++) await new Promise((r) => setTimeout(r, 50));
    expect(existsSync(sock), log).toBe(true);

    // the socket file appears at bind(), a moment before listen(): retry a refused connect briefly
    let link: StreamLink | undefined;
    for (let i = 0; link === undefined; i++) {
      try {
        link = await StreamLink.connect({ path: sock });
      } catch (e) {
        if (i >= 50) throw e;
        await new Promise((r) => setTimeout(r, 50));
      }
    }
    const replies: Uint8Array[] = [];
    let done: () => void = () => {};
    const allIn = new Promise<void>((r) => {
      done = r;
    });
    const sink: FrameSink = {
      receiveFrame(b, o, l) {
        if (l >= 42 && b[o + 12] === 0x08 && b[o + 13] === 0x06) {
          const copy = new Uint8Array(l);
          copy.set(b.subarray(o, o + l));
          replies.push(copy);
          if (replies.length === 5) done();
        }
        return true;
      },
    };
    link.connect(sink);
    // five requests in one turn: they leave in one write, the peer must split them by their lengths
    for (let i = 0; i < 5; i++) expect(link.send(arpRequest(i), 0, 42)).toBe(true);
    await Promise.race([
      allIn,
      new Promise((_, reject) =>
        setTimeout(() => reject(new Error(`${replies.length} ARP replies; passt: ${log}`)), 5000),
      ),
    ]);
    for (const r of replies) {
      expect(Array.from(r.subarray(0, 6))).toEqual(OUR_MAC); // to us
      expect(Array.from(r.subarray(12, 22))).toEqual([0x08, 0x06, 0, 1, 0x08, 0, 6, 4, 0, 2]); // ARP reply
      expect(Array.from(r.subarray(28, 32))).toEqual(GW_IP); // the gateway is at...
      expect(Array.from(r.subarray(22, 28))).toEqual(Array.from(r.subarray(6, 12))); // ...passt's MAC
      expect(Array.from(r.subarray(32, 38))).toEqual(OUR_MAC);
      expect(Array.from(r.subarray(38, 42))).toEqual(OUR_IP);
    }
    expect(link.counters).toMatchObject({ txFrames: 5, txBytes: 210, errors: 0 });
    expect(link.counters.rxFrames).toBeGreaterThanOrEqual(5);
    await link.close();
    await new Promise<void>((r) => (passt!.exitCode !== null ? r() : passt!.once("exit", () => r())));
  });
});
