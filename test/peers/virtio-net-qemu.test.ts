// Our VirtIoNetDev on QEMU's own virtio-net-pci — a device nobody here wrote — through the user-space HAL
// (src/host) inside a TCG guest, exchanging frames with this process over a `-netdev dgram` UDP link.
//
// One boot per device face; in each, the guest runs probe.mjs (the HAL alone: config space, BARs, virtio
// capabilities, DMA arena against /proc/self/pagemap, refusals), then echo.mjs (the driver). Every frame's
// bytes are checked both ways: the guest checks each host frame, the host checks each echo and each frame
// the guest made itself. Runs: modern-only (sysfs + huge pages; enough frames that the 16-bit ring indices
// wrap), transitional through its legacy I/O BAR (sysfs + locked pages), and VFIO with QEMU's Intel IOMMU
// (iommu_platform=on, ACCESS_PLATFORM), where a no-master control shows that bus mastering is what lets the
// device reach memory.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type ExchangeResult, exchangeFrames } from "./exchange.js";
import { ETHERTYPE, KIND_NO_MASTER } from "./guest/frames.mjs";
import { guestImage, MISSING, SKIP_PEERS } from "./harness.js";
import { bindUdp, GUEST_BDF, GUEST_MAC_TEXT, GuestRun, type NicMode } from "./qemu.js";

/** Frames each way per run (the issue asks for at least 10 000). */
const FRAMES = Number(process.env.AXDRIVER_PEER_FRAMES ?? 10_000);
/** Frames of the modern run: 2 transmissions per frame, so > 32 768 wraps the 16-bit transmit indices. */
const FRAMES_WRAP = Number(process.env.AXDRIVER_PEER_FRAMES_WRAP ?? 34_000);
const PCI_COMMAND_MASTER = 0x4;
const VIRTIO_F_VERSION_1 = 1n << 32n;
const VIRTIO_F_ACCESS_PLATFORM = 1n << 33n;
const VIRTIO_NET_F_MAC = 1n << 5n;

interface EchoResult {
  error?: string;
  driver: string;
  mac: string;
  transport: string;
  features: number;
  headerLen: number;
  received: number;
  mismatches: number;
  firstMismatches: string[];
  echoed: number;
  generated: number;
  txFailures: number;
  rxErrors: number;
  commandBefore: number;
  commandAfter: number;
  deviceStatusAtEnd: number;
  rxQueueSize: number;
  txQueueSize: number;
  dma: { kind: string; base: number; size: number };
  driverStats: Record<string, number>;
  arenaMovedAtStart: number;
  arenaMovedPages: number;
  attachMs: number;
  runMs: number;
}

interface ProbeResult {
  error?: string;
  vendor: string;
  device: string;
  revision: number;
  class: string;
  command: string;
  bars: Array<Record<string, unknown>>;
  kernelBars: Array<Record<string, unknown>>;
  capabilities: Array<Record<string, unknown>>;
  modern?: { deviceFeatures: string; numQueues: number; queue0Size: number; queue0NotifyOff: number };
  legacy?: { hostFeatures: string; queue0Size: number; mac: string };
  dma?: { kind: string; base: string; size: number; patternErrors: number; pagemapMismatches?: number };
  dmaError?: string;
  otherPathRefusal: string;
  badAddress: string;
}

interface Boot {
  run: GuestRun;
  frames: number;
  probe: ProbeResult;
  echo: EchoResult;
  noMaster?: Record<string, unknown>;
  ex: ExchangeResult | undefined;
  /** Frames sent while bus mastering was off that reached the host (must be 0). */
  noMasterFrames: number;
}

/** Boots one guest: probe.mjs, [no-master.mjs,] echo.mjs, with the frame exchange once echo.mjs is ready. */
async function boot(
  nic: NicMode,
  frames: number,
  env: Record<string, string>,
  noMaster = false,
): Promise<Boot> {
  const sock = await bindUdp();
  let noMasterFrames = 0;
  sock.on("message", (m: Buffer) => {
    if (m.length > 18 && m.readUInt16BE(12) === ETHERTYPE && m[18] === KIND_NO_MASTER) noMasterFrames++;
  });
  const run = await GuestRun.start({
    image: guestImage(),
    nic,
    env: {
      AXPEER_BDF: GUEST_BDF,
      AXPEER_PROGRAMS: noMaster ? "probe.mjs,no-master.mjs,echo.mjs" : "probe.mjs,echo.mjs",
      AXPEER_FRAMES: String(frames),
      ...env,
    },
    hostPort: sock.address().port,
    timeoutMs: 600_000,
  });
  try {
    await run.waitFor(/^AXPEER-(READY|EXIT echo)/); // ready, or the echo program gave up
    const ex = run.lines.some((l) => l.startsWith("AXPEER-READY"))
      ? await exchangeFrames(sock, run, frames)
      : undefined;
    await run.exited;
    const results = run.results();
    const by = (p: string) => results.find((r) => r.program === p);
    const probe = by("probe") as unknown as ProbeResult | undefined;
    const echo = by("echo") as unknown as EchoResult | undefined;
    if (probe === undefined || echo === undefined) throw new Error(`missing guest results:\n${run.tail()}`);
    const m = run.marks;
    console.log(
      `${nic}: booted ${m.get("AXPEER-BOOTED")} ms, driver ready ${m.get("AXPEER-READY")} ms ` +
        `(attach ${echo.attachMs} ms); ${frames} frames each way + ${frames} guest frames in ${ex?.ms} ms; ` +
        `powered off after ${m.get("AXPEER-EXIT echo.mjs")} ms`,
    );
    const out: Boot = { run, frames, probe, echo, ex, noMasterFrames };
    const nm = by("no-master");
    if (nm !== undefined) out.noMaster = nm;
    return out;
  } finally {
    run.kill();
    sock.close();
  }
}

/** The HAL's view of the device: the BARs PciRoot sized through the guarded access are the kernel's. */
function expectBarsMatchKernel(p: ProbeResult): void {
  expect(p.kernelBars.length).toBeGreaterThan(0);
  for (const kb of p.kernelBars) {
    const b = p.bars.find((x) => x.n === kb.n);
    expect(b, `BAR${kb.n}`).toBeDefined();
    expect(b!.size).toBe(kb.size);
    expect(kb.kind === "io" ? b!.port : b!.address).toBe(kb.start);
  }
}

/** The modern virtio structures as QEMU lays them out (virtio 1.2 §4.1.4): all in BAR4, notify multiplier 4. */
function expectModernCaps(p: ProbeResult): void {
  const vendor = p.capabilities.filter((c) => c.id === "0x9");
  const byType = (t: number) => vendor.find((c) => c.cfgType === t)!;
  expect(vendor.map((c) => c.cfgType).sort()).toEqual([1, 2, 3, 4, 5]);
  expect(byType(1)).toMatchObject({ bar: 4, barOffset: "0x0" });
  expect(byType(3)).toMatchObject({ bar: 4, barOffset: "0x1000" });
  expect(byType(4)).toMatchObject({ bar: 4, barOffset: "0x2000" });
  expect(byType(2)).toMatchObject({ bar: 4, barOffset: "0x3000", notifyOffMultiplier: 4 });
  expect(p.capabilities.some((c) => c.id === "0x11")).toBe(true); // MSI-X
  const f = BigInt(p.modern!.deviceFeatures);
  expect(f & VIRTIO_F_VERSION_1).toBe(VIRTIO_F_VERSION_1);
  expect(f & VIRTIO_NET_F_MAC).toBe(VIRTIO_NET_F_MAC);
  expect(p.modern!.numQueues).toBe(3); // receiveq, transmitq, controlq
  expect(p.modern!.queue0Size).toBe(256);
}

/** Both directions, every byte: what the guest saw of the host's frames and what the host saw back. */
function expectCleanExchange(b: Boot): void {
  const { echo, ex, frames } = b;
  expect(echo.error, JSON.stringify(echo)).toBeUndefined();
  expect(echo.driver).toBe("virtio-net");
  expect(echo.mac).toBe(GUEST_MAC_TEXT);
  expect(echo.received).toBe(frames);
  expect(echo.firstMismatches).toEqual([]);
  expect(echo.mismatches).toBe(0);
  expect(echo.rxErrors).toBe(0);
  expect(echo.txFailures).toBe(0);
  expect(echo.echoed).toBe(frames);
  expect(echo.generated).toBe(frames);
  expect(echo.driverStats).toMatchObject({ badUsedEntries: 0, badLengths: 0, rxDropped: 0 });
  expect(echo.deviceStatusAtEnd & 0x40).toBe(0); // no DEVICE_NEEDS_RESET
  // the DMA arena stayed where the device was told it is (khugepaged once moved 512 locked pages mid-run)
  expect([echo.arenaMovedAtStart, echo.arenaMovedPages]).toEqual([0, 0]);
  expect(ex).toBeDefined();
  expect(ex!.errors).toEqual([]);
  expect(ex!.stalled).toBeUndefined();
  expect(ex!.echoes).toBe(frames);
  expect(ex!.generated).toBe(frames);
  expect(ex!.foreign).toBe(0);
  // every ring went round many times (QS-entry rings, 2 transmissions per frame)
  expect(frames).toBeGreaterThan(16 * echo.rxQueueSize);
}

describe.skipIf(SKIP_PEERS)("virtio-net on QEMU's own virtio-net-pci (TCG guest, UDP link)", () => {
  it("has QEMU and the guest's inputs", () => {
    expect(MISSING).toEqual([]);
  });

  describe("modern-only device (disable-legacy=on) through sysfs, huge-page DMA", () => {
    let b: Boot;
    beforeAll(async () => {
      b = await boot("modern", FRAMES_WRAP, { AXPEER_HUGEPAGES: "8", AXPEER_DMA: "hugepage" });
    }, 900_000);
    afterAll(() => b?.run.kill());

    it("HAL: 1af4:1041 class 02.00, BAR4 mapped, virtio capabilities, huge pages match pagemap", () => {
      const p = b.probe;
      expect(p.error).toBeUndefined();
      expect([p.vendor, p.device, p.class, p.revision]).toEqual(["0x1af4", "0x1041", "0x200", 1]);
      expectBarsMatchKernel(p);
      expectModernCaps(p);
      expect(p.legacy).toBeUndefined();
      expect(p.dma).toEqual({
        kind: "hugepage",
        base: expect.stringMatching(/^0x[0-9a-f]+$/),
        size: 4 * 1024 * 1024,
        patternErrors: 0,
        pagemapMismatches: 0,
      });
      expect(p.otherPathRefusal).toBe(
        "Resource is busy: refusing 0000:00:03.0: not bound to vfio-pci " +
          "(echo vfio-pci > /sys/bus/pci/devices/0000:00:03.0/driver_override; " +
          "echo 0000:00:03.0 > /sys/bus/pci/drivers_probe)",
      );
      expect(p.badAddress).toBe(
        "Invalid parameter: '00:03' is not a PCI address (expected DDDD:BB:DD.F or BB:DD.F)",
      );
    });

    it("driver: modern transport, every frame byte-exact both ways, 16-bit transmit indices wrapped", () => {
      expectCleanExchange(b);
      expect(b.echo.transport).toBe("pci");
      expect(BigInt(b.echo.features) & VIRTIO_F_VERSION_1).toBe(VIRTIO_F_VERSION_1);
      expect(b.echo.headerLen).toBe(12);
      expect(b.echo.dma.kind).toBe("hugepage");
      expect(2 * b.frames).toBeGreaterThan(65_536);
    });
  });

  describe("transitional device (1af4:1000) through its legacy I/O BAR, locked-page DMA", () => {
    let b: Boot;
    beforeAll(async () => {
      b = await boot("transitional", FRAMES, { AXPEER_DMA: "locked", AXPEER_PREFER_LEGACY: "1" });
    }, 900_000);
    afterAll(() => b?.run.kill());

    it("HAL: legacy registers through pread/pwrite on resource0, locked pages match pagemap", () => {
      const p = b.probe;
      expect(p.error).toBeUndefined();
      expect([p.vendor, p.device, p.class, p.revision]).toEqual(["0x1af4", "0x1000", "0x200", 0]);
      expectBarsMatchKernel(p);
      expect(p.bars.find((x) => x.n === 0)).toMatchObject({ kind: "io", size: 32 });
      expect(p.legacy!.mac).toBe(GUEST_MAC_TEXT);
      expect(p.legacy!.queue0Size).toBe(256);
      expect(Number(p.legacy!.hostFeatures) & (1 << 5)).toBe(1 << 5);
      expect(p.dma).toMatchObject({ kind: "locked", patternErrors: 0, pagemapMismatches: 0 });
    });

    it("driver: legacy transport (fixed 256-entry rings), every frame byte-exact both ways", () => {
      expectCleanExchange(b);
      expect(b.echo.transport).toBe("pci-legacy");
      expect(BigInt(b.echo.features) & VIRTIO_F_VERSION_1).toBe(0n);
      expect(b.echo.dma.kind).toBe("locked");
    });
  });

  describe("VFIO with QEMU's Intel IOMMU (q35, intremap=on), NIC iommu_platform=on", () => {
    let b: Boot;
    beforeAll(async () => {
      b = await boot("vfio", FRAMES, { AXPEER_VFIO: "1" }, true);
    }, 900_000);
    afterAll(() => b?.run.kill());

    it("HAL: bound to vfio-pci, sysfs refuses it, ACCESS_PLATFORM offered, DMA arena at our IOVA", () => {
      const p = b.probe;
      expect(b.run.lines.some((l) => l.endsWith("AXPEER-LOG 0000:00:03.0 bound to vfio-pci"))).toBe(true);
      expect(p.error).toBeUndefined();
      expect([p.vendor, p.device]).toEqual(["0x1af4", "0x1041"]);
      expect(p.otherPathRefusal).toBe(
        "Resource is busy: refusing 0000:00:03.0: kernel driver 'vfio-pci' is bound to it " +
          "(unbind it first: echo 0000:00:03.0 > /sys/bus/pci/devices/0000:00:03.0/driver/unbind)",
      );
      expectBarsMatchKernel(p);
      expectModernCaps(p);
      expect(BigInt(p.modern!.deviceFeatures) & VIRTIO_F_ACCESS_PLATFORM).toBe(VIRTIO_F_ACCESS_PLATFORM);
      expect(p.dma).toMatchObject({ kind: "vfio", base: "0x100000000", patternErrors: 0 });
    });

    it("control: with bus mastering switched off after attach, a transmitted frame never leaves", () => {
      const nm = b.noMaster!;
      expect(nm.error).toBeUndefined();
      expect(nm.transmit).toBe("queued");
      expect((nm.commandAttached as number) & PCI_COMMAND_MASTER).toBe(PCI_COMMAND_MASTER);
      expect((nm.commandCleared as number) & PCI_COMMAND_MASTER).toBe(0);
      expect(b.noMasterFrames).toBe(0);
      // QEMU drops DRIVER_OK when bus mastering is cleared (hw/virtio/virtio-pci.c, virtio_write_config)
      expect((nm.deviceStatus as number) & 0x4).toBe(0);
    });

    it("driver: DMA through the IOMMU at our IOVAs, bus mastering set by the probe path, every frame exact", () => {
      expectCleanExchange(b);
      expect(b.echo.transport).toBe("pci");
      expect(BigInt(b.echo.features) & VIRTIO_F_ACCESS_PLATFORM).toBe(VIRTIO_F_ACCESS_PLATFORM);
      expect(b.echo.dma).toEqual({ kind: "vfio", base: 0x1_0000_0000, size: 4 * 1024 * 1024 });
      expect(b.echo.commandBefore & PCI_COMMAND_MASTER).toBe(0);
      expect(b.echo.commandAfter & PCI_COMMAND_MASTER).toBe(PCI_COMMAND_MASTER);
    });
  });
});
