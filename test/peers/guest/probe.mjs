// Guest program: opens the NIC through the user-space HAL (sysfs or VFIO) and reports what it sees, without a
// driver: identity, BARs, capabilities, the virtio structures read through the mapped BAR or the I/O BAR, the
// refusal of the other access path, and a DMA arena checked against /proc/self/pagemap.
// Knobs (kernel command line): AXPEER_BDF, AXPEER_VFIO=1, AXPEER_DMA=hugepage|locked.
import {
  allocDmaArena,
  BarMapper,
  physicalAddresses,
  SysfsPciDevice,
  VfioPciDevice,
} from "/app/dist/src/host/index.js";
import { PciRoot } from "/app/dist/src/pci/root.js";

const env = process.env;
const bdfText = env.AXPEER_BDF ?? "0000:00:03.0";
const vfio = env.AXPEER_VFIO === "1";
const out = { program: "probe", bdf: bdfText, vfio };
const hex = (n) => `0x${n.toString(16)}`;

// the other path must refuse, in one line
const other = vfio ? SysfsPciDevice.open(bdfText) : VfioPciDevice.open(bdfText);
out.otherPathRefusal = other instanceof Error ? other.message : "opened (unexpected)";
if (!(other instanceof Error)) other.close();
// a malformed address is refused before anything is opened
const bad = SysfsPciDevice.open("00:03");
out.badAddress = bad instanceof Error ? bad.message : "opened (unexpected)";

const dev = vfio ? VfioPciDevice.open(bdfText) : SysfsPciDevice.open(bdfText);
if (dev instanceof Error) {
  out.error = dev.message;
  console.log(`AXPEER-RESULT ${JSON.stringify(out)}`);
  process.exit(1);
}
const root = new PciRoot(dev.config);
const bdf = dev.address.bdf;
const info = root.functionInfo(bdf);
out.vendor = hex(info.vendorId);
out.device = hex(info.deviceId);
out.revision = info.revision;
out.class = hex((info.classCode << 8) | info.subclass);
out.command = hex(root.getCommand(bdf));
out.subsystem = `${hex(root.configRead16(bdf, 0x2c))}:${hex(root.configRead16(bdf, 0x2e))}`;
out.bars = [];
const bars = root.bars(bdf);
bars.forEach((b, n) => {
  if (b !== undefined)
    out.bars.push(
      b.kind === "io"
        ? { n, kind: "io", port: hex(b.port), size: b.size }
        : {
            n,
            kind: "memory",
            address: hex(b.address),
            size: b.size,
            is64: b.is64,
            prefetchable: b.prefetchable,
          },
    );
});
out.kernelBars = dev.bars
  .filter((b) => b !== undefined)
  .map((b) => ({ n: b.index, kind: b.kind, start: hex(b.start), size: b.size }));
out.capabilities = [];
const virtio = {};
for (const cap of root.capabilities(bdf)) {
  const c = { offset: hex(cap.offset), id: hex(cap.id) };
  if (cap.id === 0x09) {
    c.cfgType = root.configRead8(bdf, cap.offset + 3);
    c.bar = root.configRead8(bdf, cap.offset + 4);
    c.barOffset = hex(root.configRead32(bdf, cap.offset + 8));
    c.length = hex(root.configRead32(bdf, cap.offset + 12));
    if (c.cfgType === 2) c.notifyOffMultiplier = root.configRead32(bdf, cap.offset + 16);
    if (virtio[c.cfgType] === undefined) virtio[c.cfgType] = c;
  }
  out.capabilities.push(c);
}
root.setCommand(bdf, root.getCommand(bdf) | 0x3); // I/O + memory decoding, not bus mastering
const mapper = new BarMapper(dev);
const common = virtio[1];
if (common !== undefined) {
  const bar = bars[common.bar];
  const win = mapper.mapMmio(bar.address + Number(common.barOffset), Number(common.length));
  if (win instanceof Error) out.commonError = win.message;
  else {
    win.write32(0x00, 0);
    const f0 = win.read32(0x04);
    win.write32(0x00, 1);
    const f1 = win.read32(0x04);
    win.write16(0x16, 1);
    const queue1NotifyOff = win.read16(0x1e);
    win.write16(0x16, 0);
    out.modern = {
      queue1NotifyOff,
      deviceFeatures: hex(f1 * 2 ** 32 + f0),
      numQueues: win.read16(0x12),
      deviceStatus: win.read8(0x14),
      queue0Size: win.read16(0x18),
      queue0NotifyOff: win.read16(0x1e),
    };
  }
}
const io = bars.findIndex((b) => b !== undefined && b.kind === "io");
if (io >= 0) {
  const win = mapper.mapIo(bars[io].port, bars[io].size);
  if (win instanceof Error) out.legacyError = win.message;
  else {
    win.write16(14, 0);
    out.legacy = {
      hostFeatures: hex(win.read32(0)),
      queue0Size: win.read16(12),
      status: win.read8(18),
      mac: [20, 21, 22, 23, 24, 25].map((o) => win.read8(o).toString(16).padStart(2, "0")).join(":"),
    };
  }
}
const arena = allocDmaArena(dev, 4 * 1024 * 1024, env.AXPEER_DMA ?? "auto");
if (arena instanceof Error) out.dmaError = arena.message;
else {
  const m = arena.memory;
  out.dma = { kind: arena.kind, base: hex(m.base), size: m.size };
  for (let i = 0; i < m.size; i += 4096) m.u32[i >>> 2] = i ^ 0x5a5a5a5a;
  let bad = 0;
  for (let i = 0; i < m.size; i += 4096) if (m.u32[i >>> 2] !== (i ^ 0x5a5a5a5a) >>> 0) bad++;
  out.dma.patternErrors = bad;
  if (arena.kind !== "vfio") {
    // the arena's base + offset must be each page's physical address
    const phys = physicalAddresses(arena.address, 4096, m.size / 4096);
    out.dma.pagemapMismatches = phys.filter((p, i) => p !== m.base + i * 4096).length;
  }
  arena.release();
}
dev.close();
console.log(`AXPEER-RESULT ${JSON.stringify(out)}`);
