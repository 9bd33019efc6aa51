// The transitional virtio-net PCI function, as QEMU's default virtio-net-pci (1af4:1000, revision 0,
// subsystem 1af4:0001) presents it: the legacy I/O BAR0 AND the modern capabilities, one model behind both.
// The probe must bring it up through the modern interface by default and through the legacy one with
// `preferLegacy`; both must carry traffic. A finding from running the driver on QEMU's own device
// (issue 8): the emulated machine had only legacy-only and modern-only functions, so this choice was
// never exercised here.

import { describe, expect, it } from "vitest";
import { DevError, unwrap } from "../src/base/dev-error.js";
import { DRIVER_FEATURES, type VirtIoNetDev, virtioNetDriver } from "../src/drivers/virtio/index.js";
import { virtioPciStructures } from "../src/drivers/virtio/pci-transport.js";
import { ModelError } from "../src/emu/model-error.js";
import {
  DEFAULT_NET_FEATURES,
  legacyIoBarSize,
  VirtioLegacyPciDevice,
  VirtioTransitionalPciDevice,
} from "../src/emu/virtio/index.js";
import {
  featureBit,
  featuresWithout,
  hasFeature,
  NetFeature,
  VirtioFeature,
} from "../src/hw/virtio/features.js";
import { NetConfig } from "../src/hw/virtio/net.js";
import { CommonCfg, LegacyPciReg, PCI_CAP_ID_MSIX, VirtioPciCapType } from "../src/hw/virtio/pci.js";
import { DeviceStatus } from "../src/hw/virtio/status.js";
import type { DeviceFunction } from "../src/pci/types.js";
import { configurePciFunction, probeAllDevices } from "../src/platform/probe.js";
import { checkFrame, connect, fillFrame, type NicModel, VirtioRig } from "./virtio-fixture.js";

const MODERN_OK =
  DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.FEATURES_OK | DeviceStatus.DRIVER_OK;
const LEGACY_OK = DeviceStatus.ACKNOWLEDGE | DeviceStatus.DRIVER | DeviceStatus.DRIVER_OK;
/** QEMU's default virtio-net offer as far as the model implements it: no MTU, so an 8-byte config. */
const QEMU_LIKE = featuresWithout(DEFAULT_NET_FEATURES, featureBit(NetFeature.MTU));

function bdfOf(nic: NicModel): DeviceFunction {
  if (!("bdf" in nic.slot)) throw new Error("not PCI");
  return nic.slot.bdf;
}

/** Frames of 60..1514 bytes from `a` to `b` and back, every byte checked; returns the frames moved. */
function traffic(a: VirtIoNetDev, b: VirtIoNetDev, seedBase: number): number {
  let moved = 0;
  for (const [from, to] of [
    [a, b],
    [b, a],
  ] as const) {
    for (let i = 0; i < 16; i++) {
      const len = i < 15 ? 60 + 97 * i : 1514; // 60, 157, ..., 1418, 1514
      const seed = seedBase + i;
      const p = unwrap(from.allocTxBuffer(len));
      fillFrame(p.bytes, p.offset, len, seed);
      unwrap(from.transmit(p));
      unwrap(from.recycleTxBuffers());
      const r = to.receive();
      if (r instanceof DevError) throw new Error(`frame ${len}: ${r.message}`);
      expect(r.len).toBe(len);
      expect(checkFrame(r.bytes, r.offset, len, seed)).toBe(-1);
      unwrap(to.recycleRxBuffer(r));
      moved++;
    }
  }
  return moved;
}

describe("transitional virtio-net PCI function (QEMU's default virtio-net-pci)", () => {
  it("presents 1af4:1000 rev 0, subsystem 1af4:0001, legacy I/O BAR0 and the modern capabilities", () => {
    const rig = new VirtioRig();
    const nic = rig.addModel("pci-transitional", { features: QEMU_LIKE });
    const bdf = bdfOf(nic);
    const root = rig.pciRoot();
    const info = root.functionInfo(bdf)!;
    expect(info.vendorId).toBe(0x1af4);
    expect(info.deviceId).toBe(0x1000);
    expect(info.revision).toBe(0);
    expect(root.configRead16(bdf, 0x2c)).toBe(0x1af4); // subsystem vendor
    expect(root.configRead16(bdf, 0x2e)).toBe(1); // subsystem ID = virtio device ID (§4.1.2.3)
    unwrap(configurePciFunction(root, bdf, rig.allocators));
    const bar0 = unwrap(root.barInfo(bdf, 0));
    // QEMU's layout: 24-byte header (MSI-X capability present) + 8-byte config (mac, status) = 32 bytes
    expect(bar0).toMatchObject({ kind: "io", size: 32 });
    expect(bar0!.kind === "io" && bar0!.port !== 0).toBe(true);
    expect(unwrap(root.barInfo(bdf, 4))).toMatchObject({ kind: "memory", is64: true });
    const types = virtioPciStructures(root, bdf).map((s) => s.cfgType);
    for (const t of [
      VirtioPciCapType.COMMON_CFG,
      VirtioPciCapType.NOTIFY_CFG,
      VirtioPciCapType.ISR_CFG,
      VirtioPciCapType.DEVICE_CFG,
    ]) {
      expect(types).toContain(t);
    }
    expect(root.capabilities(bdf).some((c) => c.id === PCI_CAP_ID_MSIX)).toBe(true);
  });

  it("legacy BAR0 follows the offered features, as QEMU sizes it", () => {
    // header 20 (no MSI-X) or 24 (MSI-X capability) + config: mac 6, +status 8, +mtu 12
    expect(legacyIoBarSize(8, true)).toBe(32);
    expect(legacyIoBarSize(12, true)).toBe(64);
    expect(legacyIoBarSize(12, false)).toBe(32);
    expect(legacyIoBarSize(6, false)).toBe(32);
    const rig = new VirtioRig();
    const withMtu = new VirtioTransitionalPciDevice(rig.addModel("mmio").model);
    expect(withMtu.legacy.size).toBe(64);
    const noMsix = new VirtioTransitionalPciDevice(rig.addModel("mmio", { features: QEMU_LIKE }).model, {
      msixVectors: 0,
    });
    expect(noMsix.legacy.size).toBe(32);
    // the legacy-only function keeps its fixed 64 bytes unless asked to size BAR0 as QEMU does
    expect(new VirtioLegacyPciDevice(rig.addModel("mmio").model).barSize).toBe(64);
    const legacyOnly = new VirtioLegacyPciDevice(rig.addModel("mmio").model, { qemuBarSize: true });
    expect(legacyOnly.barSize).toBe(32); // 20 + 12
    expect(rig.addModel("mmio", { features: QEMU_LIKE }).model.offeredConfigLength).toBe(8);
  });

  for (const features of [DEFAULT_NET_FEATURES, QEMU_LIKE]) {
    const what = features === QEMU_LIKE ? "QEMU-like offer (32-byte BAR0)" : "default offer";
    it(`probe: modern interface by default, traffic both ways with bytes checked (${what})`, () => {
      const rig = new VirtioRig();
      const a = rig.addModel("pci-transitional", { features });
      const b = rig.addModel("pci-transitional", { features });
      connect(a.model, b.model);
      const da = unwrap(rig.open(a, { queueSize: 32 }));
      const db = unwrap(rig.open(b, { queueSize: 32 }));
      for (const [nic, dev] of [
        [a, da],
        [b, db],
      ] as const) {
        expect(dev.transport.kind).toBe("pci");
        expect(dev.transport.isLegacy()).toBe(false);
        expect(nic.model.interfaceKind).toBe("modern");
        expect(nic.pci!.activeInterface).toBe("modern");
        expect(nic.model.status).toBe(MODERN_OK);
        expect(hasFeature(dev.features, VirtioFeature.VERSION_1)).toBe(true);
        expect(dev.headerLen).toBe(12);
        expect(nic.legacyPci).toBeUndefined();
      }
      expect(da.macAddress().bytes).toEqual(a.model.mac);
      expect(da.linkUp()).toBe(true);
      expect(traffic(da, db, 1000)).toBe(32);
      expect(a.model.counters.txFrames).toBe(16);
      expect(b.model.counters.rxFrames).toBe(16);
      // nothing went through the legacy registers: their queue addresses were never written
      expect(a.pci!.legacyRegisters!.queuePfn(0)).toBe(0);
      expect(a.pci!.legacyRegisters!.queuePfn(1)).toBe(0);
    });

    it(`probe with preferLegacy: legacy I/O BAR0, traffic both ways with bytes checked (${what})`, () => {
      const rig = new VirtioRig();
      const a = rig.addModel("pci-transitional", { features });
      const b = rig.addModel("pci-transitional", { features });
      connect(a.model, b.model);
      const da = unwrap(rig.open(a, { queueSize: 256, preferLegacy: true })); // fixed legacy queue size
      const db = unwrap(rig.open(b, { queueSize: 256, preferLegacy: true }));
      for (const [nic, dev] of [
        [a, da],
        [b, db],
      ] as const) {
        expect(dev.transport.kind).toBe("pci-legacy");
        expect(dev.transport.isLegacy()).toBe(true);
        expect(nic.model.interfaceKind).toBe("legacy");
        expect(nic.pci!.activeInterface).toBe("legacy");
        expect(nic.model.status).toBe(LEGACY_OK); // no FEATURES_OK on the legacy interface
        expect(hasFeature(dev.features, VirtioFeature.VERSION_1)).toBe(false);
        expect(hasFeature(nic.model.driverFeatures, VirtioFeature.VERSION_1)).toBe(false);
        expect(dev.headerLen).toBe(12); // MRG_RXBUF negotiated: num_buffers present
        // the queues were set up by page number in BAR0
        expect(nic.pci!.legacyRegisters!.queuePfn(0)).not.toBe(0);
        expect(nic.pci!.legacyRegisters!.queuePfn(1)).not.toBe(0);
        expect(dev.transport.configSpaceSize()).toBe(nic.pci!.legacyRegisters!.size - LegacyPciReg.CONFIG);
      }
      expect(da.macAddress().bytes).toEqual(a.model.mac);
      expect(db.macAddress().bytes).toEqual(b.model.mac);
      expect(da.linkUp()).toBe(true);
      expect(traffic(da, db, 2000)).toBe(32);
      expect(a.model.counters.txFrames).toBe(16);
      expect(b.model.counters.txFrames).toBe(16);
    });
  }

  it("legacy interface without MRG_RXBUF: the 10-byte header, frames intact", () => {
    const rig = new VirtioRig();
    const a = rig.addModel("pci-transitional");
    const b = rig.addModel("pci-transitional");
    connect(a.model, b.model);
    const features = featuresWithout(DRIVER_FEATURES, featureBit(NetFeature.MRG_RXBUF));
    const da = unwrap(rig.open(a, { queueSize: 256, preferLegacy: true, features }));
    const db = unwrap(rig.open(b, { queueSize: 256, preferLegacy: true, features }));
    expect(da.headerLen).toBe(10);
    expect(a.model.netHeaderLen).toBe(10);
    expect(traffic(da, db, 3000)).toBe(32);
  });

  it("legacy interface with MSI-X enabled: the device config moves to 24, vectors at 20/22", () => {
    const rig = new VirtioRig();
    const a = rig.addModel("pci-transitional");
    const bdf = bdfOf(a);
    const root = rig.pciRoot();
    const msix = root.capabilities(bdf).find((c) => c.id === PCI_CAP_ID_MSIX)!;
    root.configWrite16(bdf, msix.offset + 2, root.configRead16(bdf, msix.offset + 2) | 0x8000);
    const da = unwrap(rig.open(a, { queueSize: 256, preferLegacy: true }));
    expect(da.macAddress().bytes).toEqual(a.model.mac); // read at 24 + 0..5
    const regs = a.pci!.legacyRegisters!;
    expect(regs.mmioRead(LegacyPciReg.CONFIG_MSIX_VECTOR, 2)).toBe(0xffff);
    regs.mmioWrite(LegacyPciReg.CONFIG_MSIX_VECTOR, 2, 0);
    expect(regs.mmioRead(LegacyPciReg.CONFIG_MSIX_VECTOR, 2)).toBe(0);
    regs.mmioWrite(LegacyPciReg.QUEUE_SEL, 2, 1);
    regs.mmioWrite(LegacyPciReg.QUEUE_MSIX_VECTOR, 2, 2);
    expect(regs.mmioRead(LegacyPciReg.QUEUE_MSIX_VECTOR, 2)).toBe(2);
    expect(a.model.queues[1].msixVector).toBe(2);
    regs.mmioWrite(LegacyPciReg.QUEUE_MSIX_VECTOR, 2, 7); // no such table entry
    expect(regs.mmioRead(LegacyPciReg.QUEUE_MSIX_VECTOR, 2)).toBe(0xffff);
    // the status field at 24 + 6 (mac, then status with LINK_UP)
    expect(regs.mmioRead(LegacyPciReg.CONFIG_MSIX + NetConfig.STATUS, 2)).toBe(1);
  });

  it("config bytes past the offered config but inside BAR0 read as all ones", () => {
    const rig = new VirtioRig();
    const a = rig.addModel("pci-transitional", { features: QEMU_LIKE });
    unwrap(rig.open(a, { queueSize: 256, preferLegacy: true }));
    const regs = a.pci!.legacyRegisters!;
    expect(regs.size).toBe(32);
    // no MSI-X enabled: config at 20, 8 bytes (mac, status); 28..31 are past it
    expect(regs.mmioRead(LegacyPciReg.CONFIG + NetConfig.STATUS, 2)).toBe(1);
    expect(regs.mmioRead(28, 4)).toBe(0xffff_ffff);
    expect(regs.mmioRead(30, 1)).toBe(0xff);
  });

  it("strict: using the other interface without a reset is an error naming the rule", () => {
    const rig = new VirtioRig();
    const a = rig.addModel("pci-transitional");
    const da = unwrap(rig.open(a, { queueSize: 256, preferLegacy: true }));
    expect(a.pci!.activeInterface).toBe("legacy");
    // a modern access (device_status read through the common configuration in BAR4)
    let err: unknown;
    try {
      a.pci!.mmioRead(CommonCfg.DEVICE_STATUS, 1);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ModelError);
    expect((err as ModelError).rule).toMatch(/modern interface of a transitional device after the legacy/);
    expect((err as ModelError).section).toContain("4.1.4.10");
    da.shutdown();
  });

  it("a reset through either interface lets the driver switch: legacy, then modern, then legacy", () => {
    const rig = new VirtioRig();
    const a = rig.addModel("pci-transitional");
    const b = rig.addModel("pci-transitional");
    connect(a.model, b.model);
    const db = unwrap(rig.open(b, { queueSize: 32 }));
    let da = unwrap(rig.open(a, { queueSize: 256, preferLegacy: true }));
    expect(traffic(da, db, 4000)).toBe(32);
    da.shutdown(); // status 0, then the queue PFNs 0, through BAR0
    expect(a.model.status).toBe(0);
    expect(a.pci!.activeInterface).toBe("legacy");
    da = unwrap(rig.open(a, { queueSize: 32 }));
    expect(a.model.interfaceKind).toBe("modern");
    expect(a.model.status).toBe(MODERN_OK);
    expect(traffic(da, db, 5000)).toBe(32);
    da.shutdown(); // status 0 through the common configuration
    da = unwrap(rig.open(a, { queueSize: 256, preferLegacy: true }));
    expect(a.model.interfaceKind).toBe("legacy");
    expect(traffic(da, db, 6000)).toBe(32);
  });

  it("the platform probe flow (probeAllDevices + virtioNetDriver) takes the modern interface", () => {
    const rig = new VirtioRig();
    const t = rig.addModel("pci-transitional");
    const l = rig.addModel("pci-legacy");
    const r = unwrap(
      probeAllDevices({ hal: rig.hal, config: rig.machine.config, drivers: [virtioNetDriver] }),
    );
    expect(r.failures).toEqual([]);
    const kinds = r.devices.net.map((d) => (d.device as VirtIoNetDev).transport.kind);
    expect(kinds).toEqual(["pci", "pci-legacy"]);
    expect(t.model.interfaceKind).toBe("modern");
    expect(t.model.status).toBe(MODERN_OK);
    expect(t.pci!.fn.busMaster).toBe(true);
    expect(l.model.status).toBe(LEGACY_OK);
    const macs = r.devices.net.map((d) => d.device.macAddress().toString());
    expect(macs).toEqual(["52:54:00:12:34:10", "52:54:00:12:34:11"]);
  });

  it("the probe helper picks modern by default, legacy with preferLegacy", () => {
    const rig = new VirtioRig();
    const a = rig.addModel("pci-transitional");
    const p = unwrap(rig.probe(a.slot));
    expect(p.transport.kind).toBe("pci");
    const legacy = unwrap(rig.probe(a.slot, true));
    expect(legacy.transport.kind).toBe("pci-legacy");
    // the legacy-only function has no capabilities: legacy whatever is preferred
    const l = rig.addModel("pci-legacy");
    expect(unwrap(rig.probe(l.slot)).transport.kind).toBe("pci-legacy");
  });
});
