// The virtio-net model as a protocol checker: driven by hand with deliberately wrong sequences it raises
// the named ModelError (strict) or counts it and asks for a reset (non-strict). Also the model's slower
// paths driven by hand: chained and indirect transmit, checksum offload, chained receive buffers.

import { describe, expect, it } from "vitest";
import { DevError, isErrorKind, unwrap } from "../src/base/dev-error.js";
import {
  DRIVER_FEATURES,
  MmioTransport,
  type PciTransport,
  VirtIoNetDev,
  VirtQueue,
} from "../src/drivers/virtio/index.js";
import { ModelError } from "../src/emu/model-error.js";
import type { VirtioNetModel } from "../src/emu/virtio/index.js";
import type { MmioRegion } from "../src/hal/mmio.js";
import {
  featureBit,
  featureSet,
  featuresOr,
  featuresWithout,
  NetFeature,
  VirtioFeature,
} from "../src/hw/virtio/features.js";
import { MmioReg } from "../src/hw/virtio/mmio.js";
import { NetHdrFlag } from "../src/hw/virtio/net.js";
import { CommonCfg, LegacyPciReg } from "../src/hw/virtio/pci.js";
import { DescFlag } from "../src/hw/virtio/ring.js";
import { DeviceStatus } from "../src/hw/virtio/status.js";
import {
  checkFrame,
  connect,
  fillFrame,
  MMIO_BASE,
  receiveCopy,
  sendFrame,
  VirtioRig,
} from "./virtio-fixture.js";

const ACK_DRIVER = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER;
const FEATURES_OK = ACK_DRIVER | DeviceStatus.FEATURES_OK;
const LIVE = FEATURES_OK | DeviceStatus.DRIVER_OK;
const BASE_FEATURES = featureSet(NetFeature.MAC, NetFeature.STATUS, VirtioFeature.VERSION_1);

/** Expects `fn` to throw a ModelError whose rule matches `rule` and whose section names `section`. */
function expectViolation(fn: () => unknown, rule: RegExp, section: string): ModelError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ModelError);
    const me = e as ModelError;
    expect(me.rule).toMatch(rule);
    expect(me.section).toContain(section);
    return me;
  }
  return expect.fail(`no ModelError matching ${rule}`);
}

/** An MMIO v2 model and its raw registers, plus a peer NIC with a real driver to see what goes out. */
function handRig(modelOpts = {}) {
  const rig = new VirtioRig();
  const nic = rig.addModel("mmio", modelOpts);
  const peer = rig.addNic("mmio", {}, { queueSize: 16 });
  connect(nic.model, peer.model);
  const regs = unwrap(rig.hal.mapMmio(MMIO_BASE, 0x200));
  const t = unwrap(MmioTransport.create(regs));
  return { rig, model: nic.model, regs, t, peer };
}

/** The driver side by hand: reset, features, queues, DRIVER_OK (virtio 1.2 §3.1.1). */
function handInit(
  r: ReturnType<typeof handRig>,
  features = BASE_FEATURES,
  size = 16,
): { rxq: VirtQueue; txq: VirtQueue } {
  const { t, rig } = r;
  t.setStatus(0);
  t.setStatus(ACK_DRIVER);
  t.writeDriverFeatures(features);
  t.setStatus(FEATURES_OK);
  const opts = {
    legacy: false,
    eventIdx: (features & featureBit(VirtioFeature.RING_EVENT_IDX)) !== 0,
    indirect: (features & featureBit(VirtioFeature.RING_INDIRECT_DESC)) !== 0,
  };
  const txq = unwrap(VirtQueue.create(rig.hal, t, 1, size, opts));
  const rxq = unwrap(VirtQueue.create(rig.hal, t, 0, size, opts));
  t.setStatus(LIVE);
  return { rxq, txq };
}

/** DMA memory for hand-made buffers. */
function dma(rig: VirtioRig, size = 8192) {
  const r = unwrap(rig.hal.dmaAlloc(size));
  return { pa: r.paddr, off: r.offset, u8: rig.hal.memory.u8, dv: rig.hal.memory.view };
}

/** Writes descriptor `i` of the table at RAM offset `tableOff`. */
function writeDesc(
  rig: VirtioRig,
  tableOff: number,
  i: number,
  addr: number,
  len: number,
  flags: number,
  next = 0,
): void {
  const dv = rig.hal.memory.view;
  const d = tableOff + 16 * i;
  dv.setUint32(d, addr % 0x1_0000_0000, true);
  dv.setUint32(d + 4, Math.floor(addr / 0x1_0000_0000), true);
  dv.setUint32(d + 8, len, true);
  dv.setUint16(d + 12, flags, true);
  dv.setUint16(d + 14, next, true);
}

/** Puts `head` in the next available slot of the device's queue and publishes it. */
function makeAvailable(rig: VirtioRig, m: VirtioNetModel, q: number, head: number, advance = 1): void {
  const vq = m.queues[q]!;
  const dv = rig.hal.memory.view;
  const idx = dv.getUint16(vq.availOff + 2, true);
  dv.setUint16(vq.availOff + 4 + 2 * (idx & (vq.size - 1)), head, true);
  dv.setUint16(vq.availOff + 2, (idx + advance) & 0xffff, true);
}

describe("strict model: initialisation rules", () => {
  it("available buffer notification before DRIVER_OK", () => {
    const r = handRig();
    r.t.setStatus(ACK_DRIVER);
    r.t.writeDriverFeatures(BASE_FEATURES);
    r.t.setStatus(FEATURES_OK);
    unwrap(VirtQueue.create(r.rig.hal, r.t, 1, 16, { legacy: false, eventIdx: false, indirect: false }));
    const e = expectViolation(() => r.t.notify(1), /notification before DRIVER_OK/, "virtio 1.2 §3.1.1");
    expect(e.device).toBe("virtio-net0");
    expect(e.message).toContain("virtio-net0:");
  });

  it("queue enabled before FEATURES_OK", () => {
    const r = handRig();
    r.t.setStatus(ACK_DRIVER);
    r.t.writeDriverFeatures(BASE_FEATURES);
    expectViolation(
      () => VirtQueue.create(r.rig.hal, r.t, 0, 16, { legacy: false, eventIdx: false, indirect: false }),
      /queue 0 enabled before FEATURES_OK/,
      "§3.1.1",
    );
  });

  it("status bits out of order, cleared without reset, SUSPEND", () => {
    const r = handRig();
    expectViolation(
      () => r.t.setStatus(DeviceStatus.DRIVER),
      /DRIVER status bit set before ACKNOWLEDGE/,
      "§3.1.1",
    );
    r.t.setStatus(ACK_DRIVER);
    expectViolation(
      () => r.t.setStatus(ACK_DRIVER | DeviceStatus.DRIVER_OK),
      /DRIVER_OK set without FEATURES_OK/,
      "§3.1.1",
    );
    expectViolation(
      () => r.t.setStatus(DeviceStatus.ACKNOWLEDGE),
      /cleared status bits 0x2 without a reset/,
      "§2.1.1",
    );
    expectViolation(() => r.t.setStatus(ACK_DRIVER | DeviceStatus.SUSPEND), /SUSPEND/, "§2.1.1");
  });

  it("features: not offered, written late, written before DRIVER", () => {
    const r = handRig();
    r.t.setStatus(DeviceStatus.ACKNOWLEDGE);
    expectViolation(() => r.t.writeDriverFeatures(BASE_FEATURES), /before the DRIVER status bit/, "§3.1.1");
    r.t.setStatus(ACK_DRIVER);
    expectViolation(
      () => r.t.writeDriverFeatures(featuresOr(BASE_FEATURES, featureBit(NetFeature.MQ))),
      /did not offer/,
      "§2.2.1",
    );
    r.t.writeDriverFeatures(BASE_FEATURES);
    r.t.setStatus(FEATURES_OK);
    expectViolation(() => r.t.writeDriverFeatures(BASE_FEATURES), /after FEATURES_OK/, "§3.1.1");
  });

  it("FEATURES_OK is refused without VERSION_1, and the driver gives up", () => {
    const r = handRig();
    r.t.setStatus(ACK_DRIVER);
    r.t.writeDriverFeatures(featureSet(NetFeature.MAC));
    r.t.setStatus(FEATURES_OK);
    expect(r.t.getStatus() & DeviceStatus.FEATURES_OK).toBe(0);
    expect(r.model.checker.violations).toBe(0);
    // the driver re-reads the status (§3.1.1 step 6), sets FAILED and reports it
    const dev = VirtIoNetDev.create(r.t, r.rig.hal, {
      features: featureSet(NetFeature.MAC, NetFeature.STATUS),
    });
    expect(isErrorKind(dev, "Unsupported")).toBe(true);
    expect(r.model.status & DeviceStatus.FAILED).toBe(DeviceStatus.FAILED);
    expect(r.model.live).toBe(false);
  });
});

describe("strict model: ring rules", () => {
  it("available index moving more than the queue size", () => {
    const r = handRig();
    handInit(r);
    makeAvailable(r.rig, r.model, 1, 0, 17);
    expectViolation(() => r.t.notify(1), /available index moved 17 entries/, "§2.7.13.3");
  });

  it("available ring naming a descriptor outside the table", () => {
    const r = handRig();
    handInit(r);
    makeAvailable(r.rig, r.model, 1, 16);
    expectViolation(() => r.t.notify(1), /names descriptor 16, outside the table of 16/, "§2.7.6");
  });

  it("a descriptor loop", () => {
    const r = handRig();
    handInit(r);
    const b = dma(r.rig);
    const tx = r.model.queues[1];
    writeDesc(r.rig, tx.descOff, 0, b.pa, 12, DescFlag.NEXT, 1);
    writeDesc(r.rig, tx.descOff, 1, b.pa + 12, 60, DescFlag.NEXT, 0);
    makeAvailable(r.rig, r.model, 1, 0);
    expectViolation(() => r.t.notify(1), /longer than the queue size 16 \(a loop\)/, "§2.7.5");
  });

  it("a next index outside the table", () => {
    const r = handRig();
    handInit(r);
    const b = dma(r.rig);
    writeDesc(r.rig, r.model.queues[1].descOff, 0, b.pa, 12, DescFlag.NEXT, 40);
    makeAvailable(r.rig, r.model, 1, 0);
    expectViolation(() => r.t.notify(1), /descriptor index 40 outside the table of 16/, "§2.7.5");
  });

  it("a device-writable buffer on the transmit queue", () => {
    const r = handRig();
    handInit(r);
    const b = dma(r.rig);
    writeDesc(r.rig, r.model.queues[1].descOff, 0, b.pa, 80, DescFlag.WRITE);
    makeAvailable(r.rig, r.model, 1, 0);
    expectViolation(() => r.t.notify(1), /device-writable buffer on the transmit queue/, "§5.1.6.2");
  });

  it("a readable descriptor after a writable one", () => {
    const r = handRig();
    handInit(r);
    const b = dma(r.rig);
    writeDesc(r.rig, r.model.queues[1].descOff, 0, b.pa, 12, DescFlag.WRITE | DescFlag.NEXT, 1);
    writeDesc(r.rig, r.model.queues[1].descOff, 1, b.pa + 12, 60, 0);
    makeAvailable(r.rig, r.model, 1, 0);
    expectViolation(() => r.t.notify(1), /readable descriptor after a device-writable/, "§2.7.4.2");
  });

  it("a buffer outside guest memory", () => {
    const r = handRig();
    handInit(r);
    writeDesc(r.rig, r.model.queues[1].descOff, 0, 0x1000, 80, 0);
    makeAvailable(r.rig, r.model, 1, 0);
    expectViolation(() => r.t.notify(1), /outside guest memory/, "§2.7.5");
  });

  it("indirect descriptors: not negotiated, with NEXT, nested, bad length", () => {
    const noInd = handRig();
    handInit(noInd);
    const b = dma(noInd.rig);
    writeDesc(noInd.rig, noInd.model.queues[1].descOff, 0, b.pa, 32, DescFlag.INDIRECT);
    makeAvailable(noInd.rig, noInd.model, 1, 0);
    expectViolation(() => noInd.t.notify(1), /without RING_INDIRECT_DESC negotiated/, "§2.7.5.3.1");

    const withInd = featuresOr(BASE_FEATURES, featureBit(VirtioFeature.RING_INDIRECT_DESC));
    const cases: [
      number,
      number,
      (r: ReturnType<typeof handRig>, b: ReturnType<typeof dma>) => void,
      RegExp,
    ][] = [
      [DescFlag.INDIRECT | DescFlag.NEXT, 32, () => {}, /both INDIRECT and NEXT/],
      [DescFlag.INDIRECT, 20, () => {}, /not a non-zero multiple of 16/],
      [
        DescFlag.INDIRECT,
        32,
        (r, b) => writeDesc(r.rig, b.off, 0, b.pa + 1024, 32, DescFlag.INDIRECT),
        /INDIRECT flag inside an indirect table/,
      ],
    ];
    for (const [flags, len, prep, rule] of cases) {
      const r = handRig();
      handInit(r, withInd);
      const buf = dma(r.rig);
      prep(r, buf);
      writeDesc(r.rig, r.model.queues[1].descOff, 0, buf.pa, len, flags);
      makeAvailable(r.rig, r.model, 1, 0);
      expectViolation(() => r.t.notify(1), rule, "§2.7.5.3");
    }
  });

  it("available ring flags other than 0/1 (0 only with event index)", () => {
    const r = handRig();
    const { txq } = handInit(r);
    const b = dma(r.rig);
    r.rig.hal.memory.view.setUint16(r.model.queues[1].availOff, 2, true);
    txq.addBuffer(b.pa, 80, false);
    txq.publish();
    expectViolation(() => r.t.notify(1), /available ring flags 0x2/, "§2.7.7.1");
    const e = handRig();
    const q = handInit(e, featuresOr(BASE_FEATURES, featureBit(VirtioFeature.RING_EVENT_IDX)));
    e.rig.hal.memory.view.setUint16(e.model.queues[1].availOff, 1, true);
    q.txq.addBuffer(dma(e.rig).pa, 80, false);
    q.txq.publish();
    expectViolation(() => e.t.notify(1), /must be 0 with RING_EVENT_IDX/, "§2.7.7.1");
  });
});

describe("strict model: virtio-net rules", () => {
  function txWithHeader(features: number, hdr: (u8: Uint8Array, off: number) => void, len = 80, mtu = 1500) {
    const r = handRig({ mtu });
    const { txq } = handInit(r, features);
    const b = dma(r.rig);
    b.u8.fill(0, b.off, b.off + 12);
    hdr(b.u8, b.off);
    txq.addBuffer(b.pa, len, false);
    txq.publish();
    return r;
  }

  it("transmit header: num_buffers, flags without CSUM, gso_type, DATA_VALID", () => {
    let r = txWithHeader(BASE_FEATURES, (u8, o) => {
      u8[o + 10] = 1;
    });
    expectViolation(() => r.t.notify(1), /num_buffers is not zero/, "§5.1.6.2.1");
    r = txWithHeader(BASE_FEATURES, (u8, o) => {
      u8[o] = NetHdrFlag.NEEDS_CSUM;
    });
    expectViolation(() => r.t.notify(1), /flags set without VIRTIO_NET_F_CSUM/, "§5.1.6.2.1");
    r = txWithHeader(BASE_FEATURES, (u8, o) => {
      u8[o + 1] = 1;
    });
    expectViolation(() => r.t.notify(1), /gso_type 1 without HOST_TSO4/, "§5.1.6.2.1");
    r = txWithHeader(featuresOr(BASE_FEATURES, featureBit(NetFeature.CSUM)), (u8, o) => {
      u8[o] = NetHdrFlag.DATA_VALID;
    });
    expectViolation(() => r.t.notify(1), /DATA_VALID or RSC_INFO/, "§5.1.6.2.1");
  });

  it("a frame beyond the negotiated MTU; a chain shorter than the header", () => {
    const withMtu = featuresOr(BASE_FEATURES, featureBit(NetFeature.MTU));
    let r = txWithHeader(withMtu, () => {}, 12 + 1400, 1280);
    expectViolation(() => r.t.notify(1), /1400-byte frame, beyond the negotiated mtu 1280/, "§5.1.4.2");
    // without MTU negotiated an oversize frame is only dropped and counted
    r = txWithHeader(BASE_FEATURES, () => {}, 12 + 1600);
    r.t.notify(1);
    expect(r.model.counters.txOversize).toBe(1);
    expect(r.peer.model.counters.rxFrames).toBe(0);
    r = txWithHeader(BASE_FEATURES, () => {}, 8);
    expectViolation(() => r.t.notify(1), /shorter than the header/, "§5.1.6.2");
  });

  it("receive side: a device-readable buffer, a merged buffer smaller than the header", () => {
    let r = handRig();
    let q = handInit(r);
    q.rxq.addBuffer(dma(r.rig).pa, 1526, false);
    q.rxq.publish();
    const frame = new Uint8Array(100);
    expectViolation(
      () => r.model.receiveFrame(frame, 0, 100),
      /device-readable buffer on the receive queue/,
      "§5.1.6.3",
    );
    r = handRig();
    q = handInit(r, featuresOr(BASE_FEATURES, featureBit(NetFeature.MRG_RXBUF)));
    q.rxq.addBuffer(dma(r.rig).pa, 8, true);
    q.rxq.publish();
    expectViolation(
      () => r.model.receiveFrame(frame, 0, 100),
      /smaller than the header with MRG_RXBUF/,
      "§5.1.6.3.1",
    );
  });
});

describe("strict model: transport register rules", () => {
  it("MMIO: widths, write-only reads, read-only writes, legacy registers, queue fields in use, config", () => {
    const r = handRig();
    const regs: MmioRegion = r.regs;
    expectViolation(() => regs.read16(MmioReg.STATUS), /2-byte read of control register 0x70/, "§4.2.2.2");
    expectViolation(() => regs.read32(MmioReg.QUEUE_SEL), /read of write-only register 0x30/, "§4.2.2.2");
    expectViolation(
      () => regs.write32(MmioReg.MAGIC_VALUE, 1),
      /write of read-only register 0x0/,
      "§4.2.2.2",
    );
    expectViolation(() => regs.read32(MmioReg.QUEUE_PFN), /not a version 2 register/, "§4.2.2.2");
    expectViolation(() => regs.read16(MmioReg.CONFIG), /does not match the field width/, "§4.2.2.2");
    expect(regs.read8(MmioReg.CONFIG + 5)).toBe(0x10);
    expect(regs.read16(MmioReg.CONFIG + 6)).toBe(1);
    expectViolation(() => regs.write8(MmioReg.CONFIG, 1), /read-only net device config/, "§5.1.4.2");
    handInit(r);
    regs.write32(MmioReg.QUEUE_SEL, 0);
    expectViolation(
      () => regs.write32(MmioReg.QUEUE_NUM, 8),
      /QueueNum written while queue 0 is in use/,
      "§4.2.3.2",
    );
    expectViolation(() => regs.write32(MmioReg.QUEUE_NOTIFY, 5), /queue 5, which does not exist/, "§5.1.2");
  });

  it("modern PCI: queue_enable 0, field widths, notify value and width, ISR, bus mastering", () => {
    const rig = new VirtioRig();
    const nic = rig.addModel("pci");
    const p = unwrap(rig.probe(nic.slot));
    const t = p.transport as PciTransport;
    const dev = unwrap(VirtIoNetDev.create(t, rig.hal, { queueSize: 16 }));
    const bar4 = nic.pci!.fn.barAddress(4)!;
    const common = unwrap(rig.hal.mapMmio(bar4, 0x4000));
    expectViolation(() => common.write16(CommonCfg.QUEUE_ENABLE, 0), /wrote 0 to queue_enable/, "§4.1.4.3.2");
    expectViolation(() => common.read16(CommonCfg.DEVICE_FEATURE), /natural width/, "§4.1.3.1");
    expectViolation(
      () => common.write16(CommonCfg.QUEUE_SIZE, 8),
      /queue_size written while queue 0 is enabled/,
      "§4.1.4.3.2",
    );
    expectViolation(
      () => common.write16(0x3000 + 4, 0),
      /notification value 0 written at queue 1/,
      "§4.1.5.2",
    );
    expectViolation(() => common.write32(0x3000 + 4, 1), /notification of 4 bytes/, "§4.1.4.4");
    expectViolation(() => common.write8(0x1000, 1), /read-only ISR/, "§4.1.4.5");
    expectViolation(() => common.write8(CommonCfg.NUM_QUEUES, 1), /natural width/, "§4.1.3.1");
    // bus mastering off: the device may not DMA
    const fn = nic.pci!.fn;
    fn.configWrite(4, 2, fn.command & ~0x4);
    expect(nic.model.counters.rxNotReady).toBe(0);
    expect(nic.model.receiveFrame(new Uint8Array(60), 0, 60)).toBe(false);
    expect(nic.model.counters.rxNotReady).toBe(1);
    const buf = unwrap(dev.allocTxBuffer(60));
    expectViolation(() => dev.transmit(buf), /bus mastering is disabled/, "PCI 3.0");
  });

  it("modern PCI: the PCI configuration access capability reaches BAR4", () => {
    const rig = new VirtioRig();
    const nic = rig.addModel("pci");
    unwrap(rig.probe(nic.slot));
    const root = rig.pciRoot();
    const bdf = nic.slot.kind === "pci" ? nic.slot.bdf : undefined!;
    const cap = nic.pci!.capOffsets[5]!;
    // window: BAR4, common cfg num_queues (16-bit at 0x12)
    root.configWrite32(bdf, cap + 4, 4);
    root.configWrite32(bdf, cap + 8, CommonCfg.NUM_QUEUES);
    root.configWrite32(bdf, cap + 12, 2);
    expect(root.configRead32(bdf, cap + 16) & 0xffff).toBe(2);
    // write device_feature_select through the window, read it back directly
    root.configWrite32(bdf, cap + 8, CommonCfg.DEVICE_FEATURE_SELECT);
    root.configWrite32(bdf, cap + 12, 4);
    root.configWrite32(bdf, cap + 16, 1);
    const common = unwrap(rig.hal.mapMmio(nic.pci!.fn.barAddress(4)!, 0x1000));
    expect(common.read32(CommonCfg.DEVICE_FEATURE_SELECT)).toBe(1);
    expect(common.read32(CommonCfg.DEVICE_FEATURE)).toBe(1); // VERSION_1 is bit 32
  });

  it("legacy PCI: read-only registers and widths", () => {
    const rig = new VirtioRig();
    const nic = rig.addModel("pci-legacy");
    unwrap(rig.probe(nic.slot));
    const port = nic.legacyPci!.fn.barAddress(0)!;
    const io = unwrap(rig.hal.mapIo(port, nic.legacyPci!.barSize));
    expectViolation(
      () => io.write32(LegacyPciReg.HOST_FEATURES, 0),
      /read-only legacy register/,
      "§4.1.4.10",
    );
    expectViolation(() => io.write16(LegacyPciReg.QUEUE_PFN, 0), /field width 4/, "§4.1.4.10");
    expect(io.read16(LegacyPciReg.QUEUE_NUM)).toBe(256);
    // legacy config: any width, the MAC is writable
    expect(io.read32(LegacyPciReg.CONFIG)).toBe(0x12005452);
    io.write8(LegacyPciReg.CONFIG + 5, 0x99);
    expect(nic.model.mac[5]).toBe(0x99);
  });
});

describe("non-strict model", () => {
  it("counts the violation, sets DEVICE_NEEDS_RESET, stops, and works again after a reset", () => {
    const rig = new VirtioRig();
    const nic = rig.addModel("mmio", { mode: { strict: false } });
    const peer = rig.addNic("mmio", {}, { queueSize: 16 });
    connect(nic.model, peer.model);
    const p = unwrap(rig.probe(nic.slot));
    const dev = unwrap(VirtIoNetDev.create(p.transport, rig.hal, { queueSize: 16 }));
    dev.setInterrupts(true);
    // corrupt the next transmit: a loop
    const tx = nic.model.queues[1];
    const b = dma(rig);
    writeDesc(rig, tx.descOff, 0, b.pa, 12, DescFlag.NEXT, 1);
    writeDesc(rig, tx.descOff, 1, b.pa, 60, DescFlag.NEXT, 0);
    makeAvailable(rig, nic.model, 1, 0);
    (p.transport as MmioTransport).notify(1);
    expect(nic.model.checker.violations).toBe(1);
    expect(nic.model.checker.last?.rule).toMatch(/a loop/);
    expect(nic.model.status & DeviceStatus.DEVICE_NEEDS_RESET).toBe(DeviceStatus.DEVICE_NEEDS_RESET);
    expect(nic.model.isr & 2).toBe(2);
    expect(nic.model.live).toBe(false);
    // a stopped device drops frames and sends nothing
    unwrap(sendFrame(peer.dev, 60, 1));
    expect(nic.model.counters.rxNotReady).toBe(1);
    expect(dev.receive()).toBe(DevError.Again);
    // the driver resets and starts over on the same transport
    dev.shutdown();
    const again = unwrap(VirtIoNetDev.create(p.transport, rig.hal, { queueSize: 16 }));
    expect(nic.model.live).toBe(true);
    unwrap(sendFrame(peer.dev, 61, 2));
    expect(checkFrame(unwrap(receiveCopy(again)), 0, 61, 2)).toBe(-1);
    unwrap(sendFrame(again, 62, 3));
    expect(checkFrame(unwrap(receiveCopy(peer.dev)), 0, 62, 3)).toBe(-1);
  });
});

describe("model slow paths driven by hand", () => {
  const withInd = featuresOr(BASE_FEATURES, featureBit(VirtioFeature.RING_INDIRECT_DESC));
  for (const features of [BASE_FEATURES, withInd]) {
    const name = features === withInd ? "indirect table" : "chained descriptors";
    it(`transmit as header + frame in two segments: ${name}`, () => {
      const r = handRig();
      const { txq } = handInit(r, features);
      const b = dma(r.rig);
      b.u8.fill(0, b.off, b.off + 12);
      fillFrame(b.u8, b.off + 100, 300, 42);
      const head = txq.addChain([
        { addr: b.pa, len: 12, writable: false },
        { addr: b.pa + 100, len: 150, writable: false },
        { addr: b.pa + 250, len: 150, writable: false },
      ]);
      expect(head).toBe(0);
      expect(txq.numFree).toBe(features === withInd ? 15 : 13);
      txq.publish();
      r.t.notify(1);
      expect(checkFrame(unwrap(receiveCopy(r.peer.dev)), 0, 300, 42)).toBe(-1);
      expect(txq.popUsed()).toBe(0);
      expect(txq.lastLen).toBe(0);
      expect(txq.numFree).toBe(16);
    });
  }

  it("receive into a chain of writable buffers (header and frame apart)", () => {
    const r = handRig();
    const { rxq } = handInit(r, withInd);
    const b = dma(r.rig);
    const head = rxq.addChain([
      { addr: b.pa, len: 12, writable: true },
      { addr: b.pa + 512, len: 700, writable: true },
      { addr: b.pa + 2048, len: 814, writable: true },
    ]);
    rxq.publish();
    unwrap(sendFrame(r.peer.dev, 1514, 77));
    expect(rxq.popUsed()).toBe(head);
    expect(rxq.lastLen).toBe(12 + 1514);
    // header: flags 0, gso NONE, num_buffers 1
    expect(Array.from(b.u8.subarray(b.off, b.off + 12))).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0]);
    const got = new Uint8Array(1514);
    got.set(b.u8.subarray(b.off + 512, b.off + 512 + 700), 0);
    got.set(b.u8.subarray(b.off + 2048, b.off + 2048 + 814), 700);
    expect(checkFrame(got, 0, 1514, 77)).toBe(-1);
  });

  it("merged receive buffers: all but the last filled, num_buffers counts them", () => {
    const r = handRig({ mtu: 4000 });
    const { rxq } = handInit(r, featuresOr(BASE_FEATURES, featureBit(NetFeature.MRG_RXBUF)));
    const b = dma(r.rig, 16384);
    for (let i = 0; i < 4; i++) rxq.addBuffer(b.pa + i * 1024, 1000, true);
    rxq.publish();
    const frame = new Uint8Array(2500);
    fillFrame(frame, 0, 2500, 5);
    expect(r.model.receiveFrame(frame, 0, 2500)).toBe(true);
    const lens = [0, 1, 2].map(() => {
      expect(rxq.popUsed()).toBeGreaterThanOrEqual(0);
      return rxq.lastLen;
    });
    expect(lens).toEqual([1000, 1000, 512]);
    expect(rxq.popUsed()).toBe(-1);
    expect(b.u8[b.off + 10]).toBe(3);
    const got = new Uint8Array(2500);
    got.set(b.u8.subarray(b.off + 12, b.off + 1000), 0);
    got.set(b.u8.subarray(b.off + 1024, b.off + 2024), 988);
    got.set(b.u8.subarray(b.off + 2048, b.off + 2048 + 512), 1988);
    expect(checkFrame(got, 0, 2500, 5)).toBe(-1);
    // not enough buffers left for the next one: dropped, nothing consumed
    expect(r.model.receiveFrame(frame, 0, 2500)).toBe(false);
    expect(r.model.counters.rxNoBuffer).toBe(1);
    expect(r.model.queues[0].lastAvail).toBe(3);
  });

  it("checksum offload: NEEDS_CSUM with CSUM negotiated gives a correct UDP checksum", () => {
    const r = handRig();
    const { txq } = handInit(r, featuresOr(BASE_FEATURES, featureBit(NetFeature.CSUM)));
    const b = dma(r.rig);
    const u8 = b.u8;
    const o = b.off;
    const frameLen = 14 + 20 + 8 + 37;
    u8.fill(0, o, o + 12 + frameLen);
    const f = o + 12;
    fillFrame(u8, f, frameLen, 9);
    // IPv4 + UDP: src 10.0.0.1, dst 10.0.0.2, UDP length 45
    u8[f + 12] = 0x08;
    u8[f + 13] = 0x00;
    u8[f + 23] = 17;
    u8.set([10, 0, 0, 1, 10, 0, 0, 2], f + 26);
    u8[f + 38] = 0;
    u8[f + 39] = 45;
    const pseudo = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 45;
    u8[f + 40] = pseudo >>> 8;
    u8[f + 41] = pseudo & 0xff;
    u8[o] = NetHdrFlag.NEEDS_CSUM;
    u8[o + 6] = 34; // csum_start
    u8[o + 8] = 6; // csum_offset: the UDP checksum field
    txq.addBuffer(b.pa, 12 + frameLen, false);
    txq.publish();
    r.t.notify(1);
    const out = unwrap(receiveCopy(r.peer.dev));
    // the device must not have written the driver's buffer (§2.7.5.1)
    expect(u8[f + 40]).toBe(pseudo >>> 8);
    // ones' complement sum over pseudo header + UDP segment with the checksum is 0xffff
    let sum = 0x0a00 + 0x0001 + 0x0a00 + 0x0002 + 17 + 45;
    for (let i = 34; i < frameLen; i += 2) sum += (out[i]! << 8) | (i + 1 < frameLen ? out[i + 1]! : 0);
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    expect(sum).toBe(0xffff);
    for (let i = 0; i < frameLen; i++) if (i !== 40 && i !== 41) expect(out[i]).toBe(u8[f + i]);
  });

  it("the driver without INDIRECT negotiated still runs against a device offering it", () => {
    const rig = new VirtioRig();
    const features = featuresWithout(DRIVER_FEATURES, featureBit(VirtioFeature.RING_INDIRECT_DESC));
    const a = rig.addNic("mmio", {}, { queueSize: 8, features });
    const b = rig.addNic("mmio", {}, { queueSize: 8 });
    connect(a.model, b.model);
    expect(a.model.queues[1].indirect).toBe(false);
    unwrap(sendFrame(a.dev, 70, 1));
    expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 70, 1)).toBe(-1);
  });
});
