// Boots the peer-test guest under QEMU (TCG) with one virtio-net-pci NIC on a `-netdev dgram` link to a UDP
// socket of the test, and follows the guest's serial console line by line.
import { type ChildProcess, spawn } from "node:child_process";
import { createSocket, type Socket } from "node:dgram";
import type { GuestImage } from "../../scripts/guest/build-image.js";

/** Which face of QEMU's virtio-net-pci the guest gets. */
export type NicMode =
  /** `disable-legacy=on`: modern only, 1af4:1041, virtio structures in a memory BAR. */
  | "modern"
  /** The transitional default, 1af4:1000: legacy I/O BAR0 plus the modern capabilities. */
  | "transitional"
  /** `-machine q35` with an emulated Intel IOMMU; the NIC modern-only with `iommu_platform=on`. */
  | "vfio";

/** PCI address of the NIC in the guest (fixed with `addr=0x3`). */
export const GUEST_BDF = "0000:00:03.0";
export const GUEST_MAC_TEXT = "52:54:00:12:34:56";

export interface GuestRunOptions {
  image: GuestImage;
  nic: NicMode;
  /** Extra NIC properties (`name=value`). */
  nicProps?: string[];
  /** Knobs for the guest's /init and programs (become environment variables there). */
  env: Record<string, string>;
  /** The host side's UDP port (the NIC's remote end). */
  hostPort: number;
  /** Guest memory (default 1G: the initramfs with node unpacks to ~140 MB, plus node's heap). */
  memory?: string;
  /** Kill QEMU after this long. */
  timeoutMs: number;
  /** Every console line, as it comes. */
  onLine?: (line: string) => void;
}

/** A free UDP port on 127.0.0.1 (bound and released; QEMU binds it right after). */
export async function freeUdpPort(): Promise<number> {
  const s = createSocket("udp4");
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  const port = s.address().port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** A UDP socket on 127.0.0.1 with an ephemeral port. */
export async function bindUdp(): Promise<Socket> {
  const s = createSocket({ type: "udp4", recvBufferSize: 4 * 1024 * 1024, sendBufferSize: 4 * 1024 * 1024 });
  await new Promise<void>((resolve) => s.bind(0, "127.0.0.1", resolve));
  return s;
}

/** The QEMU command line for a run. */
export function qemuArgs(o: GuestRunOptions, guestPort: number): string[] {
  const env = Object.entries(o.env).map(([k, v]) => `${k}=${v}`);
  const append = ["console=ttyS0", "panic=-1", "quiet", ...env];
  const args = [
    "-accel",
    "tcg",
    "-m",
    o.memory ?? "1G",
    "-smp",
    "1",
    "-nographic",
    "-no-reboot",
    "-nodefaults",
  ];
  args.push("-serial", "stdio", "-kernel", o.image.kernel, "-initrd", o.image.initrd);
  const nic = ["virtio-net-pci", "addr=0x3", "romfile=", `mac=${GUEST_MAC_TEXT}`, "netdev=n0"];
  if (o.nic === "modern") nic.push("disable-legacy=on");
  if (o.nic === "vfio") {
    args.push("-machine", "q35", "-device", "intel-iommu,intremap=on");
    append.push("intel_iommu=on");
    nic.push("disable-legacy=on", "iommu_platform=on");
  }
  nic.push(...(o.nicProps ?? []));
  args.push("-device", nic.join(","));
  args.push(
    "-netdev",
    `dgram,id=n0,local.type=inet,local.host=127.0.0.1,local.port=${guestPort},` +
      `remote.type=inet,remote.host=127.0.0.1,remote.port=${o.hostPort}`,
  );
  args.push("-append", append.join(" "));
  return args;
}

/** A running guest. */
export class GuestRun {
  readonly lines: string[] = [];
  readonly stderr: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: string | null }>;
  /** Milliseconds since spawn at which each `AXPEER-*` marker was first seen. */
  readonly marks = new Map<string, number>();
  private readonly proc: ChildProcess;
  private readonly t0 = performance.now();
  private waiters: Array<{ re: RegExp; resolve: (l: string) => void }> = [];
  private timer: NodeJS.Timeout;
  private done = false;

  private constructor(
    proc: ChildProcess,
    o: GuestRunOptions,
    /** The UDP port QEMU's end of the link listens on (send frames for the guest here). */
    readonly guestPort: number,
  ) {
    this.proc = proc;
    let buf = "";
    proc.stdout!.setEncoding("utf8");
    proc.stdout!.on("data", (d: string) => {
      buf += d;
      for (let i = buf.indexOf("\n"); i >= 0; i = buf.indexOf("\n")) {
        const line = buf.slice(0, i).replace(/\r$/, "");
        buf = buf.slice(i + 1);
        this.line(line, o);
      }
    });
    proc.stderr!.setEncoding("utf8");
    proc.stderr!.on("data", (d: string) => this.stderr.push(d));
    this.exited = new Promise((resolve) => {
      proc.on("exit", (code, signal) => {
        this.done = true;
        clearTimeout(this.timer);
        if (buf !== "") this.line(buf, o);
        resolve({ code, signal });
      });
      // e.g. qemu-system-x86_64 not installed (ENOENT): no "exit" follows
      proc.on("error", (e) => {
        this.stderr.push(`cannot run qemu-system-x86_64: ${e.message}`);
        this.done = true;
        clearTimeout(this.timer);
        resolve({ code: null, signal: null });
      });
    });
    this.timer = setTimeout(() => this.kill(), o.timeoutMs);
  }

  private line(line: string, o: GuestRunOptions): void {
    this.lines.push(line);
    const m = /(AXPEER-[A-Z]+)(?: (\S+))?/.exec(line);
    if (m !== null) {
      const key = m[1] === "AXPEER-START" || m[1] === "AXPEER-EXIT" ? `${m[1]} ${m[2]}` : m[1]!;
      if (!this.marks.has(key)) this.marks.set(key, Math.round(performance.now() - this.t0));
    }
    o.onLine?.(line);
    this.waiters = this.waiters.filter((w) => {
      if (!w.re.test(line)) return true;
      w.resolve(line);
      return false;
    });
  }

  /** Boots QEMU. */
  static async start(o: GuestRunOptions): Promise<GuestRun> {
    const guestPort = await freeUdpPort();
    const proc = spawn("qemu-system-x86_64", qemuArgs(o, guestPort), { stdio: ["ignore", "pipe", "pipe"] });
    return new GuestRun(proc, o, guestPort);
  }

  /** The first console line (past or future) matching `re`; rejects when QEMU exits first. */
  waitFor(re: RegExp): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen !== undefined) return Promise.resolve(seen);
    if (this.done) return Promise.reject(new Error(`guest exited before ${re}`));
    return new Promise((resolve, reject) => {
      this.waiters.push({ re, resolve });
      void this.exited.then(() => reject(new Error(`guest exited before ${re}\n${this.tail()}`)));
    });
  }

  /** The parsed `AXPEER-RESULT <json>` line of guest program `name` (each program prints one). */
  results(): Array<Record<string, unknown>> {
    return this.lines
      .filter((l) => l.startsWith("AXPEER-RESULT "))
      .map((l) => JSON.parse(l.slice("AXPEER-RESULT ".length)) as Record<string, unknown>);
  }

  /** The last console lines and QEMU's stderr, for failure messages. */
  tail(n = 40): string {
    return [...this.lines.slice(-n), ...this.stderr].join("\n");
  }

  kill(): void {
    if (!this.done) this.proc.kill("SIGKILL");
  }
}
