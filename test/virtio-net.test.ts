// VirtIoNetDev against the virtio-net model over every transport: bring-up, MAC, link, traffic both ways,
// the 16-bit index wrap, full queues, buffer recycling and misuse, MRG_RXBUF, event index, probing.

import { describe, expect, it } from "vitest";
import { DevError, isErrorKind, unwrap } from "../src/base/dev-error.js";
import { DeviceType } from "../src/base/device-type.js";
import {
  DRIVER_FEATURES,
  probeMmioDevice,
  VirtIoNetDev,
  virtioNetDriver,
} from "../src/drivers/virtio/index.js";
import {
  featureBit,
  featuresWithout,
  hasFeature,
  NetFeature,
  VirtioFeature,
} from "../src/hw/virtio/features.js";
import { DeviceStatus, InterruptStatus } from "../src/hw/virtio/status.js";
import { NetBufPool } from "../src/net/net-buf.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";
import { probeAllDevices } from "../src/platform/probe.js";
import {
  censusTotal,
  checkFrame,
  connect,
  fillFrame,
  MMIO_BASE,
  receiveCopy,
  sendFrame,
  TRANSPORTS,
  type TransportKind,
  VirtioRig,
} from "./virtio-fixture.js";

const MODERN_OK =
  DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK;
const LEGACY_OK = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.DRIVER_OK;
const isLegacy = (k: TransportKind) => k === "mmio-legacy" || k === "pci-legacy";

function pair(kind: TransportKind, qs = 32, modelOpts = {}, devOpts = {}) {
  const rig = new VirtioRig();
  const a = rig.addNic(kind, modelOpts, { queueSize: qs, ...devOpts });
  const b = rig.addNic(kind, modelOpts, { queueSize: qs, ...devOpts });
  connect(a.model, b.model);
  return { rig, a, b };
}

describe.each(TRANSPORTS)("virtio-net over %s", (kind) => {
  it("initialises: status, features, MAC, link, rings, posted buffers", () => {
    const { a, b } = pair(kind, 32);
    const m = a.model;
    expect(m.status).toBe(isLegacy(kind) ? LEGACY_OK : MODERN_OK);
    expect(a.dev.deviceName()).toBe("virtio-net");
    expect(a.dev.deviceType()).toBe(DeviceType.Net);
    expect(a.dev.macAddress().toString()).toBe("52:54:00:12:34:10");
    expect(b.dev.macAddress().toString()).toBe("52:54:00:12:34:11");
    expect(hasFeature(a.dev.features, VirtioFeature.VERSION_1)).toBe(!isLegacy(kind));
    expect(hasFeature(a.dev.features, NetFeature.MRG_RXBUF)).toBe(true);
    expect(hasFeature(a.dev.features, VirtioFeature.RING_EVENT_IDX)).toBe(true);
    // with MRG_RXBUF the header is 12 bytes on every transport
    expect(a.dev.headerLen).toBe(12);
    expect(m.netHeaderLen).toBe(12);
    const [rxq, txq] = m.queues;
    expect(rxq.ready && txq.ready).toBe(true);
    // legacy PCI queues have the device's fixed size; the others QS
    expect(rxq.size).toBe(kind === "pci-legacy" ? 256 : 32);
    // every receive buffer posted, nothing consumed yet
    expect(rxq.availIdx()).toBe(32);
    expect(rxq.pending()).toBe(32);
    expect(a.dev.rxQueueSize()).toBe(32);
    expect(a.dev.txQueueSize()).toBe(32);
    expect(a.dev.bufferCensus()).toEqual({ user: 0, txFree: 32, rxRing: 32, txRing: 0, pool: 0 });
    expect(a.dev.canTransmit()).toBe(true);
    expect(a.dev.canReceive()).toBe(false);
    expect(a.dev.receive()).toBe(DevError.Again);
    // link status from the config space, and a config change interrupt when it moves
    expect(a.dev.linkUp()).toBe(true);
    const gen = m.configGeneration;
    m.setLinkUp(false);
    expect(a.dev.linkUp()).toBe(false);
    expect(m.configGeneration).toBe((gen + 1) & 0xff);
    expect(m.isr & InterruptStatus.CONFIG).toBe(InterruptStatus.CONFIG);
    expect(a.dev.ackInterrupt() & InterruptStatus.CONFIG).toBe(InterruptStatus.CONFIG);
    expect(m.isr).toBe(0);
    m.setLinkUp(true);
    expect(a.dev.linkUp()).toBe(true);
  });

  it("legacy-style 10-byte header without MRG_RXBUF and VERSION_1", () => {
    if (!isLegacy(kind)) return;
    const features = featuresWithout(DRIVER_FEATURES, featureBit(NetFeature.MRG_RXBUF));
    const { a, b } = pair(kind, 16, {}, { features });
    expect(a.dev.headerLen).toBe(10);
    expect(a.model.netHeaderLen).toBe(10);
    for (const len of [60, 61, 1000, 1514]) {
      unwrap(sendFrame(a.dev, len, len));
      const f = unwrap(receiveCopy(b.dev));
      expect(f.length).toBe(len);
      expect(checkFrame(f, 0, len, len)).toBe(-1);
      unwrap(a.dev.recycleTxBuffers());
    }
  });

  it("frames of 60..1514 bytes both ways, bytes checked", () => {
    const { a, b } = pair(kind, 64);
    for (const [tx, rx] of [
      [a, b],
      [b, a],
    ] as const) {
      for (let len = 60; len <= 1514; len++) {
        unwrap(sendFrame(tx.dev, len, len * 3));
        const p = unwrap(rx.dev.receive());
        expect(p.len).toBe(len);
        const bad = checkFrame(p.bytes, p.offset, p.len, len * 3);
        if (bad !== -1) expect.fail(`${len}-byte frame differs at byte ${bad}`);
        unwrap(rx.dev.recycleRxBuffer(p));
        if (len % 16 === 0) unwrap(tx.dev.recycleTxBuffers());
      }
      unwrap(tx.dev.recycleTxBuffers());
    }
    expect(a.model.counters.txFrames).toBe(1455);
    expect(b.model.counters.rxFrames).toBe(1455);
    expect(b.model.counters.rxBytes).toBe(((60 + 1514) * 1455) / 2);
    expect(a.dev.bufferCensus()).toEqual({ user: 0, txFree: 64, rxRing: 64, txRing: 0, pool: 0 });
  });

  it("200 000 frames in batches cross the 16-bit index wrap", () => {
    const qs = 64;
    const { a, b } = pair(kind, qs);
    const N = 200_000;
    const bufs: NetBufPtr[] = new Array(32);
    const out: NetBufPtr[] = new Array(32);
    let sent = 0;
    let got = 0;
    while (got < N) {
      unwrap(a.dev.recycleTxBuffers());
      let k = 0;
      while (k < 32 && sent + k < N) {
        const p = a.dev.allocTxBuffer(64);
        if (p instanceof DevError) break;
        const s = sent + k;
        p.bytes[p.offset + 14] = s & 0xff;
        p.bytes[p.offset + 15] = (s >>> 8) & 0xff;
        p.bytes[p.offset + 16] = (s >>> 16) & 0xff;
        bufs[k++] = p;
      }
      const n = unwrap(a.dev.transmitBatch(bufs, k));
      expect(n).toBe(k);
      sent += n;
      const r = unwrap(b.dev.receiveBatch(out, 32));
      for (let i = 0; i < r; i++) {
        const p = out[i]!;
        const s = p.bytes[p.offset + 14]! | (p.bytes[p.offset + 15]! << 8) | (p.bytes[p.offset + 16]! << 16);
        if (s !== got) expect.fail(`frame ${got} arrived as ${s}`);
        got++;
        unwrap(b.dev.recycleRxBuffer(p));
      }
    }
    unwrap(a.dev.recycleTxBuffers());
    expect(sent).toBe(N);
    expect(b.model.counters.rxNoBuffer).toBe(0);
    // the indices wrapped three times on both rings
    const ring = kind === "pci-legacy" ? 256 : qs;
    expect(b.model.queues[0].usedIdx).toBe(N % 65536);
    expect(b.model.queues[0].availIdx()).toBe((qs + N) % 65536);
    expect(a.model.queues[1].lastAvail).toBe(N % 65536);
    expect(a.model.queues[1].usedIdx).toBe(N % 65536);
    expect(b.model.queues[0].size).toBe(ring);
    expect(a.dev.bufferCensus()).toEqual({ user: 0, txFree: qs, rxRing: qs, txRing: 0, pool: 0 });
    expect(b.dev.bufferCensus()).toEqual({ user: 0, txFree: qs, rxRing: qs, txRing: 0, pool: 0 });
  });

  it("full queues: NoMemory, Again, canTransmit false; recycling frees them", () => {
    const qs = 16;
    const { a, b } = pair(kind, qs);
    const held: NetBufPtr[] = [];
    for (let i = 0; i < qs; i++) held.push(unwrap(a.dev.allocTxBuffer(100)));
    expect(a.dev.allocTxBuffer(100)).toBe(DevError.NoMemory);
    expect(a.dev.canTransmit()).toBe(false);
    for (const [i, p] of held.entries()) {
      fillFrame(p.bytes, p.offset, 100, i);
      unwrap(a.dev.transmit(p));
    }
    // the device sent them, but until the driver recycles, all descriptors are taken
    expect(b.model.counters.rxFrames).toBe(qs);
    for (let i = 0; i < qs; i++) expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 100, i)).toBe(-1);
    // a received buffer forwarded as is: the transmit ring is full -> Again, the buffer stays ours
    // (the legacy PCI ring has the device's fixed 256 entries, more than QS, so it has room)
    unwrap(sendFrame(b.dev, 80, 99));
    const fwd = unwrap(a.dev.receive());
    if (kind !== "pci-legacy") {
      expect(a.dev.transmit(fwd)).toBe(DevError.Again);
      expect(a.dev.transmitBatch([fwd], 1)).toBe(0);
      expect(a.dev.bufferCensus().user).toBe(1);
      unwrap(a.dev.recycleTxBuffers());
      expect(a.dev.canTransmit()).toBe(true);
    }
    unwrap(a.dev.transmit(fwd)); // zero-copy forward of a received buffer
    const back = unwrap(receiveCopy(b.dev));
    expect(checkFrame(back, 0, 80, 99)).toBe(-1);
    // receive side: the driver holding every receive buffer makes the device drop and count
    const rxHeld: NetBufPtr[] = [];
    for (let i = 0; i < qs; i++) {
      unwrap(a.dev.recycleTxBuffers());
      unwrap(sendFrame(a.dev, 70, 1000 + i));
      rxHeld.push(unwrap(b.dev.receive()));
    }
    unwrap(a.dev.recycleTxBuffers());
    const drops = b.model.counters.rxNoBuffer;
    unwrap(sendFrame(a.dev, 70, 2000));
    expect(b.model.counters.rxNoBuffer).toBe(drops + 1);
    expect(b.dev.receive()).toBe(DevError.Again);
    for (const [i, p] of rxHeld.entries()) {
      expect(checkFrame(p.bytes, p.offset, p.len, 1000 + i)).toBe(-1);
      unwrap(b.dev.recycleRxBuffer(p));
    }
    unwrap(a.dev.recycleTxBuffers());
    unwrap(sendFrame(a.dev, 70, 3000));
    expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 70, 3000)).toBe(-1);
    expect(censusTotal(a.dev)).toBe(2 * qs);
    expect(censusTotal(b.dev)).toBe(2 * qs);
  });

  it("buffer misuse is an error and changes nothing", () => {
    const qs = 8;
    const { rig, a, b } = pair(kind, qs);
    unwrap(sendFrame(b.dev, 64, 1));
    const rx = unwrap(a.dev.receive());
    unwrap(a.dev.recycleRxBuffer(rx));
    // recycled twice
    const twice = a.dev.recycleRxBuffer(rx);
    expect(isErrorKind(twice, "BadState")).toBe(true);
    // transmitting a buffer posted for receive
    expect(isErrorKind(a.dev.transmit(rx), "BadState")).toBe(true);
    // a buffer already in the transmit ring
    const tx = unwrap(a.dev.allocTxBuffer(64));
    unwrap(a.dev.transmit(tx));
    expect(isErrorKind(a.dev.transmit(tx), "BadState")).toBe(true);
    expect(isErrorKind(a.dev.recycleRxBuffer(tx), "BadState")).toBe(true);
    unwrap(a.dev.recycleTxBuffers());
    // back on the free list: not the caller's any more
    expect(isErrorKind(a.dev.transmit(tx), "BadState")).toBe(true);
    // foreign buffers: another device's, a private pool's
    const other = unwrap(b.dev.allocTxBuffer(64));
    expect(isErrorKind(a.dev.transmit(other), "InvalidParam")).toBe(true);
    expect(isErrorKind(a.dev.recycleRxBuffer(other), "InvalidParam")).toBe(true);
    const pool = unwrap(NetBufPool.create(rig.hal, 1, 1526));
    const mine = pool.alloc()!;
    expect(isErrorKind(a.dev.transmit(mine.intoBufPtr()), "InvalidParam")).toBe(true);
    // a header length changed behind the driver's back, a packet beyond the MTU
    const h = unwrap(a.dev.allocTxBuffer(64));
    expect(isErrorKind(a.dev.allocTxBuffer(1515), "InvalidParam")).toBe(true);
    expect(isErrorKind(a.dev.allocTxBuffer(-1), "InvalidParam")).toBe(true);
    h.len = 1600;
    expect(isErrorKind(a.dev.transmit(h), "InvalidParam")).toBe(true);
    h.len = 64;
    unwrap(a.dev.transmit(h));
    unwrap(a.dev.recycleTxBuffers());
    unwrap(b.dev.transmit(other));
    unwrap(receiveCopy(a.dev));
    unwrap(b.dev.recycleTxBuffers());
    expect(a.dev.bufferCensus()).toEqual({ user: 0, txFree: qs, rxRing: qs, txRing: 0, pool: 0 });
    expect(b.dev.bufferCensus()).toEqual({ user: 0, txFree: qs, rxRing: qs, txRing: 0, pool: 0 });
  });

  it("receive buffers given back as transmit buffers keep both sides full", () => {
    const qs = 8;
    const { a, b } = pair(kind, qs);
    // a forwarder: receive, transmit the same buffer, recycle the transmit side
    for (let i = 0; i < 100; i++) {
      unwrap(sendFrame(b.dev, 90, i));
      const p = unwrap(a.dev.receive());
      unwrap(a.dev.transmit(p));
      unwrap(a.dev.recycleTxBuffers());
      const f = unwrap(receiveCopy(b.dev));
      expect(checkFrame(f, 0, 90, i)).toBe(-1);
      unwrap(b.dev.recycleTxBuffers());
    }
    // the receive ring was refilled from the transmit completions
    expect(a.dev.bufferCensus()).toEqual({ user: 0, txFree: qs, rxRing: qs, txRing: 0, pool: 0 });
    // a transmit buffer handed back through recycleRxBuffer goes to the free list when the ring is full
    const t = unwrap(a.dev.allocTxBuffer(10));
    unwrap(a.dev.recycleRxBuffer(t));
    expect(a.dev.bufferCensus()).toEqual({ user: 0, txFree: qs, rxRing: qs, txRing: 0, pool: 0 });
    // and its stale header is rewritten before it goes out
    unwrap(sendFrame(a.dev, 60, 5));
    expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 60, 5)).toBe(-1);
  });

  it("MRG_RXBUF on: frames up to the negotiated MTU arrive whole", () => {
    const { a, b } = pair(kind, 32, { mtu: 9000 });
    if (isLegacy(kind)) {
      // legacy interfaces see only bits 0..31: MTU (bit 3) and MRG_RXBUF (bit 15) are there too
      expect(hasFeature(a.dev.features, NetFeature.MTU)).toBe(true);
    }
    expect(a.dev.mtu).toBe(9000);
    expect(a.dev.maxFrameLen).toBe(9014);
    for (const len of [1514, 1515, 3000, 4567, 9014]) {
      const p = unwrap(a.dev.allocTxBuffer(len));
      fillFrame(p.bytes, p.offset, len, len);
      unwrap(a.dev.transmit(p));
      const f = unwrap(receiveCopy(b.dev));
      expect(f.length).toBe(len);
      expect(checkFrame(f, 0, len, len)).toBe(-1);
      unwrap(a.dev.recycleTxBuffers());
    }
    // 1514 fits one buffer; the four larger ones were spread over several and gathered
    expect(b.dev.stats.mergedFrames).toBe(4);
    expect(isErrorKind(a.dev.allocTxBuffer(9015), "InvalidParam")).toBe(true);
    expect(b.dev.bufferCensus().rxRing).toBe(32);
    expect(b.dev.bufferCensus().pool).toBe(32);
    expect(censusTotal(b.dev)).toBe(64 + 32);
  });

  it("MRG_RXBUF off: the MTU is not taken, big frames are dropped by the device", () => {
    const features = featuresWithout(DRIVER_FEATURES, featureBit(NetFeature.MRG_RXBUF));
    const { a, b } = pair(kind, 16, { mtu: 9000 }, { features });
    expect(hasFeature(b.dev.features, NetFeature.MRG_RXBUF)).toBe(false);
    expect(hasFeature(b.dev.features, NetFeature.MTU)).toBe(false);
    expect(b.dev.maxFrameLen).toBe(1514);
    expect(isErrorKind(a.dev.allocTxBuffer(3000), "InvalidParam")).toBe(true);
    // a 3000-byte frame from the wire does not fit a 1526-byte buffer
    const big = new Uint8Array(3000);
    fillFrame(big, 0, 3000, 1);
    expect(b.model.receiveFrame(big, 0, 3000)).toBe(false);
    expect(b.model.counters.rxTooBig).toBe(1);
    expect(b.dev.receive()).toBe(DevError.Again);
    unwrap(sendFrame(a.dev, 1514, 2));
    expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 1514, 2)).toBe(-1);
    expect(b.dev.stats.mergedFrames).toBe(0);
  });

  for (const eventIdx of [true, false]) {
    it(`notifications with event index ${eventIdx ? "on" : "off"}`, () => {
      const features = eventIdx
        ? DRIVER_FEATURES
        : featuresWithout(DRIVER_FEATURES, featureBit(VirtioFeature.RING_EVENT_IDX));
      const { a, b } = pair(kind, 32, {}, { features });
      expect(hasFeature(a.dev.features, VirtioFeature.RING_EVENT_IDX)).toBe(eventIdx);
      expect(b.model.queues[0].eventIdx).toBe(eventIdx);
      const txq = a.model.queues[1];
      const rxq = b.model.queues[0];
      // one kick per batch
      for (let round = 0; round < 3; round++) {
        const kicks = txq.notifications;
        const bufs = Array.from({ length: 8 }, (_, i) => {
          const p = unwrap(a.dev.allocTxBuffer(64));
          fillFrame(p.bytes, p.offset, 64, round * 8 + i);
          return p;
        });
        expect(unwrap(a.dev.transmitBatch(bufs, 8))).toBe(8);
        expect(txq.notifications).toBe(kicks + 1);
        unwrap(a.dev.recycleTxBuffers());
        for (let i = 0; i < 8; i++)
          expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 64, round * 8 + i)).toBe(-1);
      }
      // the device asked for no receive kicks (NO_NOTIFY / avail_event), so recycling made none
      expect(rxq.notifications).toBe(0);
      // polling driver: no used-buffer interrupts asked for
      expect(rxq.interrupts).toBe(0);
      // interrupts on: with event index one per used_event crossing, without one per used entry
      b.dev.setInterrupts(true);
      for (let i = 0; i < 3; i++) unwrap(sendFrame(a.dev, 64, 100 + i));
      expect(rxq.interrupts).toBe(eventIdx ? 1 : 3);
      expect(b.model.isr & InterruptStatus.QUEUE).toBe(InterruptStatus.QUEUE);
      expect(b.dev.ackInterrupt() & InterruptStatus.QUEUE).toBe(InterruptStatus.QUEUE);
      for (let i = 0; i < 3; i++) expect(checkFrame(unwrap(receiveCopy(b.dev)), 0, 64, 100 + i)).toBe(-1);
      unwrap(sendFrame(a.dev, 64, 200));
      expect(rxq.interrupts).toBe(eventIdx ? 2 : 4);
      unwrap(receiveCopy(b.dev));
      b.dev.setInterrupts(false);
      for (let i = 0; i < 5; i++) {
        unwrap(sendFrame(a.dev, 64, 300 + i));
        unwrap(receiveCopy(b.dev));
      }
      expect(rxq.interrupts).toBe(eventIdx ? 2 : 4);
      unwrap(a.dev.recycleTxBuffers());
    });
  }

  it("shutdown resets the device and frees the rings", () => {
    const { rig, a } = pair(kind, 8);
    const free = (rig.hal as unknown as { allocator: { freePageCount: number } }).allocator.freePageCount;
    a.dev.shutdown();
    expect(a.model.status).toBe(0);
    expect(a.model.queues[0].ready).toBe(false);
    const after = (rig.hal as unknown as { allocator: { freePageCount: number } }).allocator.freePageCount;
    expect(after).toBeGreaterThan(free);
  });
});

describe("virtio-net probing", () => {
  it("the platform probe brings up virtio-net on MMIO, modern PCI and legacy PCI", () => {
    const rig = new VirtioRig();
    const m = rig.addModel("mmio");
    const p = rig.addModel("pci");
    const l = rig.addModel("pci-legacy");
    const r = unwrap(
      probeAllDevices({ hal: rig.hal, config: rig.machine.config, drivers: [virtioNetDriver] }),
    );
    expect(r.failures).toEqual([]);
    expect(r.devices.net.map((d) => d.device.deviceName())).toEqual([
      "virtio-net",
      "virtio-net",
      "virtio-net",
    ]);
    expect(r.devices.net.map((d) => d.device.rxQueueSize())).toEqual([64, 64, 64]);
    const macs = r.devices.net.map((d) => d.device.macAddress().toString());
    expect(macs).toEqual(["52:54:00:12:34:10", "52:54:00:12:34:11", "52:54:00:12:34:12"]);
    for (const n of [m, p, l]) expect(n.model.live).toBe(true);
    expect(p.pci!.fn.busMaster).toBe(true);
    // modern 1af4:1041 and transitional 1af4:1000 matched; the transports are the right ones
    const kinds = r.devices.net.map((d) => (d.device as VirtIoNetDev).transport.kind);
    expect(kinds).toEqual(["mmio", "pci", "pci-legacy"]);
  });

  it("probe helpers: device types, empty slots, foreign PCI functions", () => {
    const rig = new VirtioRig();
    rig.addModel("mmio");
    const found = probeMmioDevice(rig.hal, MMIO_BASE, 0x200);
    expect(found?.deviceType).toBe(DeviceType.Net);
    expect(found?.transport.version).toBe(2);
    expect(probeMmioDevice(rig.hal, MMIO_BASE + 0x1000, 0x200)).toBeUndefined();
    const notMine = virtioNetDriver.probePci!({
      hal: rig.hal,
      pci: rig.pciRoot(),
      bdf: undefined as never,
      info: {
        vendorId: 0x8086,
        deviceId: 0x10fb,
        classCode: 2,
        subclass: 0,
        progIf: 0,
        revision: 0,
        headerType: 0,
        multifunction: false,
      },
    });
    expect(notMine).toBeUndefined();
    expect(
      virtioNetDriver.probeMmio!({ hal: rig.hal, base: MMIO_BASE + 0x1000, size: 0x200 }),
    ).toBeUndefined();
  });

  it("a queue size the device cannot take is InvalidParam", () => {
    const rig = new VirtioRig();
    const m = rig.addModel("mmio", { queueSize: 64 });
    expect(isErrorKind(rig.open(m, { queueSize: 128 }), "InvalidParam")).toBe(true);
    expect(isErrorKind(rig.open(m, { queueSize: 48 }), "InvalidParam")).toBe(true);
    const l = rig.addModel("pci-legacy", { queueSize: 64 });
    expect(isErrorKind(rig.open(l, { queueSize: 128 }), "InvalidParam")).toBe(true);
    const ok = unwrap(rig.open(l, { queueSize: 16 }));
    expect(l.model.queues[0].size).toBe(64);
    expect(ok.rxQueueSize()).toBe(16);
  });
});

describe("virtio-net PCI interrupts", () => {
  it("modern PCI: MSI-X vectors for the queues and config changes, INTx with the ISR otherwise", () => {
    const rig = new VirtioRig();
    const sent: [number, number, number][] = [];
    const a = rig.addNic("pci", {}, { queueSize: 16 });
    const b = rig.addModel("pci");
    b.pci!.msix!.sink = (addr, data, v) => sent.push([addr, data, v]);
    const bp = unwrap(rig.probe(b.slot));
    const dev = unwrap(VirtIoNetDev.create(bp.transport, rig.hal, { queueSize: 16 }));
    connect(a.model, b.model);
    const fn = b.pci!.fn;
    // INTx first: a used-buffer interrupt sets the PCI status interrupt bit; reading the ISR clears both
    dev.setInterrupts(true);
    unwrap(sendFrame(a.dev, 64, 1));
    expect(fn.status & 0x8).toBe(0x8);
    expect(dev.ackInterrupt()).toBe(1);
    expect(fn.status & 0x8).toBe(0);
    unwrap(receiveCopy(dev));
    // MSI-X: program the table through BAR1, enable it, map queue 0 -> vector 1 and config -> vector 0
    const bar1 = fn.barAddress(1)!;
    const table = unwrap(rig.hal.mapMmio(bar1, 0x1000));
    for (let v = 0; v < 3; v++) {
      table.write32(16 * v, 0xfee0_0000 + v * 0x10);
      table.write32(16 * v + 4, 0);
      table.write32(16 * v + 8, 0x40 + v);
      table.write32(16 * v + 12, 0); // unmask
    }
    const root = rig.pciRoot();
    const bdf = b.slot.kind === "pci" ? b.slot.bdf : undefined!;
    const cap = fn.msixCapability;
    root.configWrite16(bdf, cap + 2, root.configRead16(bdf, cap + 2) | 0x8000);
    expect(fn.msixEnabled).toBe(true);
    const common = unwrap(rig.hal.mapMmio(fn.barAddress(4)!, 0x1000));
    common.write16(0x10, 0); // config_msix_vector
    expect(common.read16(0x10)).toBe(0);
    common.write16(0x16, 0); // queue_select 0 (receiveq1); its vector can only be set before enabling
    expect(common.read16(0x1a)).toBe(0xffff);
    // a vector beyond the table reads back NO_VECTOR (virtio 1.2 §4.1.5.1.2)
    common.write16(0x10, 7);
    expect(common.read16(0x10)).toBe(0xffff);
    common.write16(0x10, 0);
    b.model.setLinkUp(false);
    expect(sent).toEqual([[0xfee0_0000, 0x40, 0]]);
    expect(fn.status & 0x8).toBe(0); // no INTx while MSI-X is on
    expect(dev.linkUp()).toBe(false);
  });
});
