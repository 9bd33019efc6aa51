import type { PhysicalMemory } from "../../hal/phys-memory.js";
import {
  featureBit,
  featureSet,
  featuresLow,
  featuresOr,
  featuresWithout,
  featureWord,
  hasFeature,
  NetFeature,
  VirtioFeature,
  withFeatureWord,
} from "../../hw/virtio/features.js";
import {
  ETH_HEADER_LEN,
  NET_MAX_FRAME,
  NET_MIN_MTU,
  NetConfig,
  NetHdr,
  NetHdrFlag,
  NetHdrGso,
  NetQueue,
  NetStatus,
} from "../../hw/virtio/net.js";
import { Avail, DescFlag, Used } from "../../hw/virtio/ring.js";
import { DeviceStatus, InterruptStatus } from "../../hw/virtio/status.js";
import { type FrameSink, MIN_FRAME_LEN, type NicModel, NicPort } from "../frame-port.js";
import { type ModelMode, ProtocolChecker } from "../model-error.js";
import { DeviceQueue, type QueueFaultSink } from "./device-queue.js";

/** Features the model offers by default (virtio 1.2 §5.1.3, §6). */
export const DEFAULT_NET_FEATURES: number = featureSet(
  NetFeature.CSUM,
  NetFeature.GUEST_CSUM,
  NetFeature.MTU,
  NetFeature.MAC,
  NetFeature.MRG_RXBUF,
  NetFeature.STATUS,
  VirtioFeature.RING_INDIRECT_DESC,
  VirtioFeature.RING_EVENT_IDX,
  VirtioFeature.VERSION_1,
);

/** Features the model knows how to honour (the defaults and ACCESS_PLATFORM); offering anything else is refused at construction. */
const IMPLEMENTED = featuresOr(DEFAULT_NET_FEATURES, featureBit(VirtioFeature.ACCESS_PLATFORM));

/** What a hostile model does to a used entry (for driver hardening tests). */
export type HostileKind =
  /** an extra used entry whose id is outside the descriptor table */
  | "id-out-of-range"
  /** an extra used entry repeating the id just completed (no longer in flight) */
  | "id-not-in-flight"
  /** the completed entry's length is larger than the buffer */
  | "len-too-long"
  /** the used index jumps by more than the queue size */
  | "used-idx-jump";

const TWO_32 = 0x1_0000_0000;

const HOSTILE_NONE = 0;
const HOSTILE_OUT_OF_RANGE = 1;
const HOSTILE_NOT_IN_FLIGHT = 2;
const HOSTILE_LEN = 3;
const HOSTILE_JUMP = 4;
const HOSTILE_CODES: Record<HostileKind, number> = {
  "id-out-of-range": HOSTILE_OUT_OF_RANGE,
  "id-not-in-flight": HOSTILE_NOT_IN_FLIGHT,
  "len-too-long": HOSTILE_LEN,
  "used-idx-jump": HOSTILE_JUMP,
};

/** Options of a {@link VirtioNetModel}. */
export interface VirtioNetModelOptions {
  /** Name in error messages (default "virtio-net"). */
  name?: string;
  /** MAC address (default 52:54:00:12:34:56). */
  mac?: ArrayLike<number>;
  /** Largest queue size (modern), or the fixed queue size (legacy transports); default 256. */
  queueSize?: number;
  /** The `mtu` config field (default 1500); the port carries frames up to mtu + 14 bytes. */
  mtu?: number;
  /** Offered feature set (default {@link DEFAULT_NET_FEATURES}). */
  features?: number;
  /** Link state at power-on (default up). */
  linkUp?: boolean;
  /** Strict (default true) and hostile (default false). */
  mode?: Partial<ModelMode>;
  /** In hostile mode, one bogus used entry per this many used entries (default 16). */
  hostileEvery?: number;
}

/** Which interface a transport presents: modern (virtio 1.x) or legacy (no VERSION_1, no FEATURES_OK). */
export type VirtioInterface = "modern" | "legacy";

/** Counters of a {@link VirtioNetModel}. Plain numbers. */
export interface VirtioNetCounters {
  /** Frames taken from the transmit queue and handed to the port. */
  txFrames: number;
  txBytes: number;
  /** Transmit frames larger than 1514 bytes without MTU negotiated: dropped. */
  txOversize: number;
  /** Frames written into receive buffers. */
  rxFrames: number;
  rxBytes: number;
  /** Frames dropped because no receive buffer was available. */
  rxNoBuffer: number;
  /** Frames dropped because the device was not live (not DRIVER_OK, queue off, DMA off, broken). */
  rxNotReady: number;
  /** Frames dropped because the receive buffers were too small (no MRG_RXBUF). */
  rxTooBig: number;
  /** Frames dropped for a bad length (runt or beyond the port MTU). */
  rxBadLength: number;
  /** Used-buffer and configuration notifications raised. */
  interrupts: number;
  /** Bogus used entries written in hostile mode. */
  hostileEntries: number;
}

/**
 * A virtio-net device (virtio 1.2 §5.1) with split virtqueues: the device-status state machine, feature
 * negotiation, the config space, receiveq1/transmitq1 and the datapath, independent of the transport.
 * Transports ({@link VirtioMmioTransport}, the PCI transports) translate register accesses into calls
 * here. Frames leave through {@link VirtioNetModel.port} and arrive through {@link VirtioNetModel.receiveFrame}.
 *
 * Strict mode throws a `ModelError` naming the rule and spec section for every forbidden driver action;
 * otherwise the violation is counted and the device sets DEVICE_NEEDS_RESET and stops. Hostile mode
 * writes bogus used entries (ids out of range or not in flight, lengths beyond the buffer).
 */
export class VirtioNetModel implements FrameSink, QueueFaultSink, NicModel {
  /** Device name in errors. */
  readonly name: string;
  /** The cable socket: frames sent by the device go to its link; frames from the link land here. */
  readonly port: NicPort;
  /** Strictness bookkeeping. */
  readonly checker: ProtocolChecker;
  /** Whether the model writes bogus used entries. */
  hostile: boolean;
  /** Every how many used entries a bogus one is written in hostile mode. */
  hostileEvery: number;
  /** The MAC address in config space. */
  readonly mac: Uint8Array;
  /** The `mtu` config field. */
  readonly mtu: number;
  /** The two queues: receiveq1 (0) and transmitq1 (1). */
  readonly queues: readonly [DeviceQueue, DeviceQueue];
  /** Counters. */
  readonly counters: VirtioNetCounters = {
    txFrames: 0,
    txBytes: 0,
    txOversize: 0,
    rxFrames: 0,
    rxBytes: 0,
    rxNoBuffer: 0,
    rxNotReady: 0,
    rxTooBig: 0,
    rxBadLength: 0,
    interrupts: 0,
    hostileEntries: 0,
  };
  /** Called when the device raises an interrupt (bit 0 queue, bit 1 config), e.g. to assert a line. */
  onInterrupt: ((isrBits: number, queue: number) => void) | undefined;

  // --- register state ---
  /** Device status byte. */
  status = 0;
  /** Features the driver wrote. */
  driverFeatures = 0;
  /** ISR / InterruptStatus bits. */
  isr = 0;
  /** config_generation. */
  configGeneration = 0;
  /** Whether the device may DMA (PCI bus master enable; always true on MMIO). */
  private dmaEnabled = true;
  private linkUp: boolean;
  private iface: VirtioInterface = "modern";
  private readonly offeredAll: number;
  /** Set after a violation in non-strict mode: the device stopped (DEVICE_NEEDS_RESET). */
  broken = false;

  // --- negotiated state, cached for the datapath ---
  private hdrLen: number = NetHdr.SIZE;
  private hdrHasNumBuffers = true;
  private mrgRxbuf = false;
  private csum = false;
  private mtuNegotiated = false;
  private maxTxFrame = NET_MAX_FRAME;
  private rxLive = false;
  private txLive = false;
  /** RAM base address and size (the device's DMA window), in fields for the datapath. */
  private readonly ramBase: number;
  private readonly ramSize: number;
  private readonly u8: Uint8Array;
  private readonly u16: Uint16Array;
  private readonly u32: Uint32Array;
  private readonly rxq: DeviceQueue;
  private readonly txq: DeviceQueue;
  private readonly scratch: Uint8Array;
  private readonly hdrScratch = new Uint8Array(NetHdr.SIZE);
  private readonly chainHead: Int32Array;
  private readonly chainSegEnd: Int32Array;
  private readonly chainCap: Float64Array;
  private hostileTick = 0;
  private hostileRotor = 0;
  private readonly hostilePending = new Uint8Array(2);

  /**
   * @param memory the machine's RAM (what the device reaches by DMA)
   * @param options MAC, queue size, mtu, offered features, mode
   */
  constructor(memory: PhysicalMemory, options: VirtioNetModelOptions = {}) {
    this.name = options.name ?? "virtio-net";
    this.ramBase = memory.base;
    this.ramSize = memory.size;
    this.u8 = memory.u8;
    this.u16 = memory.u16;
    this.u32 = memory.u32;
    const qs = options.queueSize ?? 256;
    if (!Number.isInteger(qs) || qs < 1 || qs > 32768 || (qs & (qs - 1)) !== 0) {
      throw new RangeError(`queue size ${qs} is not a power of two in 1..32768`);
    }
    const mtu = options.mtu ?? 1500;
    if (!Number.isInteger(mtu) || mtu < NET_MIN_MTU || mtu > 65535) {
      throw new RangeError(`mtu ${mtu} outside ${NET_MIN_MTU}..65535 (virtio 1.2 §5.1.4.1)`);
    }
    this.mtu = mtu;
    const features = options.features ?? DEFAULT_NET_FEATURES;
    if (featuresWithout(features, IMPLEMENTED) !== 0) {
      throw new RangeError("offered features include bits the model does not implement");
    }
    this.offeredAll = features;
    this.mac = Uint8Array.from(options.mac ?? [0x52, 0x54, 0x00, 0x12, 0x34, 0x56]);
    if (this.mac.length !== 6) throw new RangeError("a MAC address has 6 bytes");
    this.linkUp = options.linkUp ?? true;
    this.checker = new ProtocolChecker(this.name, options.mode?.strict ?? true);
    this.hostile = options.mode?.hostile ?? false;
    this.hostileEvery = Math.max(2, options.hostileEvery ?? 16);
    this.rxq = new DeviceQueue(NetQueue.RX, qs, memory, this);
    this.txq = new DeviceQueue(NetQueue.TX, qs, memory, this);
    this.queues = [this.rxq, this.txq];
    this.port = new NicPort(this, Math.max(NET_MAX_FRAME, mtu + ETH_HEADER_LEN));
    this.scratch = new Uint8Array(65536 + 2 * NetHdr.SIZE);
    this.chainHead = new Int32Array(qs);
    this.chainSegEnd = new Int32Array(qs);
    this.chainCap = new Float64Array(qs);
  }

  // ------------------------------------------------------------------ transport-facing API

  /** Chooses the interface the transport presents (legacy hides feature bits 32+ and FEATURES_OK). */
  setInterface(iface: VirtioInterface): void {
    this.iface = iface;
  }
  /** The interface presented. */
  get interfaceKind(): VirtioInterface {
    return this.iface;
  }
  /** Whether the transport presents the legacy interface. */
  get legacy(): boolean {
    return this.iface === "legacy";
  }

  /** Offered features as the transport presents them (legacy: bits 0..31 only, so never VERSION_1). */
  get offeredFeatures(): number {
    return this.iface === "legacy" ? featuresLow(this.offeredAll) : this.offeredAll;
  }

  /** Device feature word `select` (virtio 1.2 §4.1.4.3, §4.2.2). */
  deviceFeatureWord(select: number): number {
    return featureWord(this.offeredFeatures, select);
  }

  /** The driver writes feature word `select` (virtio 1.2 §3.1.1 step 4, §2.2.1). */
  writeDriverFeatureWord(select: number, value: number): void {
    value >>>= 0;
    if (select > 1) {
      if (value !== 0) this.fault("driver accepted a feature the device did not offer", "virtio 1.2 §2.2.1");
      return;
    }
    if ((this.status & DeviceStatus.DRIVER) === 0) {
      this.fault("driver features written before the DRIVER status bit", "virtio 1.2 §3.1.1");
      return;
    }
    if (this.iface === "modern" && (this.status & DeviceStatus.FEATURES_OK) !== 0) {
      this.fault("driver features changed after FEATURES_OK", "virtio 1.2 §3.1.1");
      return;
    }
    if (this.iface === "legacy" && (this.status & DeviceStatus.DRIVER_OK) !== 0) {
      this.fault("driver features changed after DRIVER_OK", "virtio 1.2 §3.1.2");
      return;
    }
    const offeredWord = featureWord(this.offeredFeatures, select);
    if ((value & ~offeredWord) !== 0) {
      this.fault(
        `driver accepted feature bits 0x${((value & ~offeredWord) >>> 0).toString(16)} of word ${select} the device did not offer`,
        "virtio 1.2 §2.2.1",
      );
      return;
    }
    this.driverFeatures = withFeatureWord(this.driverFeatures, select, value);
    // legacy interface: features take effect as written (there is no FEATURES_OK)
    if (this.iface === "legacy") this.applyFeatures();
  }

  /** Writes the device status (virtio 1.2 §2.1, §3.1). Writing 0 resets the device. */
  writeStatus(value: number): void {
    value &= 0xff;
    if (value === 0) {
      this.reset();
      return;
    }
    const cur = this.status;
    const driverBits = value & ~DeviceStatus.DEVICE_NEEDS_RESET;
    const curDriverBits = cur & ~DeviceStatus.DEVICE_NEEDS_RESET;
    if ((curDriverBits & ~driverBits) !== 0) {
      this.fault(
        `driver cleared status bits 0x${(curDriverBits & ~driverBits).toString(16)} without a reset`,
        "virtio 1.2 §2.1.1",
      );
      return;
    }
    if ((driverBits & DeviceStatus.SUSPEND) !== 0) {
      this.fault("SUSPEND status bit without VIRTIO_F_SUSPEND negotiated", "virtio 1.2 §2.1.1");
      return;
    }
    const added = driverBits & ~curDriverBits;
    if ((added & DeviceStatus.DRIVER) !== 0 && (driverBits & DeviceStatus.ACKNOWLEDGE) === 0) {
      this.fault("DRIVER status bit set before ACKNOWLEDGE", "virtio 1.2 §3.1.1");
      return;
    }
    let next = driverBits;
    if (this.iface === "modern") {
      if ((added & DeviceStatus.FEATURES_OK) !== 0) {
        if ((driverBits & DeviceStatus.DRIVER) === 0) {
          this.fault("FEATURES_OK set before DRIVER", "virtio 1.2 §3.1.1");
          return;
        }
        // a modern-only device may refuse a driver that does not accept VERSION_1 (virtio 1.2 §6.1):
        // FEATURES_OK then stays clear and the driver's re-read sees it (§3.1.1 step 6)
        if (!hasFeature(this.driverFeatures, VirtioFeature.VERSION_1)) next &= ~DeviceStatus.FEATURES_OK;
        else this.applyFeatures();
      }
      if ((added & DeviceStatus.DRIVER_OK) !== 0 && (next & DeviceStatus.FEATURES_OK) === 0) {
        this.fault("DRIVER_OK set without FEATURES_OK", "virtio 1.2 §3.1.1");
        return;
      }
    } else if ((added & DeviceStatus.DRIVER_OK) !== 0 && (driverBits & DeviceStatus.DRIVER) === 0) {
      this.fault("DRIVER_OK set before DRIVER", "virtio 1.2 §3.1.2");
      return;
    }
    this.status = next | (cur & DeviceStatus.DEVICE_NEEDS_RESET);
    this.updateLive();
  }

  /** Device reset (virtio 1.2 §2.4): status, features, queues and interrupt status back to zero. */
  reset(): void {
    this.status = 0;
    this.driverFeatures = 0;
    this.isr = 0;
    this.broken = false;
    this.rxq.reset();
    this.txq.reset();
    this.hostilePending.fill(HOSTILE_NONE);
    this.applyFeatures();
    this.updateLive();
  }

  /** Whether the PCI function may master the bus (Command bit 2). A device without it does no DMA. */
  setDmaEnabled(on: boolean): void {
    this.dmaEnabled = on;
    this.updateLive();
  }

  /** Reads and clears the ISR (PCI, virtio 1.2 §4.1.4.5). */
  readIsrAndClear(): number {
    const v = this.isr;
    this.isr = 0;
    return v;
  }

  /** Clears acknowledged interrupt bits (MMIO InterruptACK, virtio 1.2 §4.2.2). */
  ackInterrupt(bits: number): void {
    this.isr &= ~bits;
  }

  /**
   * Starts using queue `q` after the transport stored its size and addresses (queue_enable = 1,
   * QueueReady = 1, or a non-zero legacy PFN).
   */
  enableQueue(q: number): boolean {
    const vq = this.queues[q];
    if (vq === undefined) {
      this.fault(`queue ${q} does not exist`, "virtio 1.2 §5.1.2");
      return false;
    }
    if (this.iface === "modern" && (this.status & DeviceStatus.FEATURES_OK) === 0) {
      this.fault(`queue ${q} enabled before FEATURES_OK`, "virtio 1.2 §3.1.1");
      return false;
    }
    if (this.iface === "legacy" && (this.status & DeviceStatus.DRIVER) === 0) {
      this.fault(`queue ${q} set up before the DRIVER status bit`, "virtio 1.2 §3.1.2");
      return false;
    }
    const ev = hasFeature(this.driverFeatures, VirtioFeature.RING_EVENT_IDX);
    const ind = hasFeature(this.driverFeatures, VirtioFeature.RING_INDIRECT_DESC);
    if (!vq.activate(ev, ind)) return false;
    if (q === NetQueue.RX) {
      // receive buffers are looked at when a frame arrives; the device never needs a kick for them
      // (virtio 1.2 §2.7.10: NO_NOTIFY, or an avail_event half the index space away)
      if (ev) vq.setAvailEvent(0x8000);
      else vq.setUsedFlags(Used.F_NO_NOTIFY);
    }
    this.updateLive();
    return true;
  }

  /** Stops using queue `q` (MMIO QueueReady = 0 or PFN = 0). */
  disableQueue(q: number): void {
    this.queues[q]?.deactivate();
    this.updateLive();
  }

  /** Whether the device is live: DRIVER_OK (or legacy), not failed, not broken. */
  get live(): boolean {
    const s = this.status;
    if (this.broken || (s & DeviceStatus.FAILED) !== 0) return false;
    return this.iface === "legacy" || (s & DeviceStatus.DRIVER_OK) !== 0;
  }

  /** An available-buffer notification for queue `q` (virtio 1.2 §2.7.13.4). */
  notifyQueue(q: number): void {
    const vq = this.queues[q];
    if (vq === undefined) {
      this.fault(`notification for queue ${q}, which does not exist`, "virtio 1.2 §5.1.2");
      return;
    }
    vq.notifications++;
    if (this.iface === "modern" && (this.status & DeviceStatus.DRIVER_OK) === 0) {
      this.fault("available buffer notification before DRIVER_OK", "virtio 1.2 §3.1.1");
      return;
    }
    if (q === NetQueue.TX) {
      if (!this.txLive) {
        if (!this.dmaEnabled && this.live && vq.ready) {
          this.fault("transmit notification while PCI bus mastering is disabled", "PCI 3.0 §6.2.2 (Command)");
        }
        return;
      }
      this.processTx();
    }
    // receiveq kicks need no action: buffers are taken when a frame arrives
  }

  /** Sets the link state; bumps config_generation and raises a configuration interrupt (virtio 1.2 §5.1.4). */
  setLinkUp(up: boolean): void {
    if (up === this.linkUp) return;
    this.linkUp = up;
    this.configGeneration = (this.configGeneration + 1) & 0xff;
    if ((this.status & DeviceStatus.DRIVER_OK) !== 0) this.raise(InterruptStatus.CONFIG, -1);
  }

  /** Whether the link is up. */
  get isLinkUp(): boolean {
    return this.linkUp;
  }

  /** Size of the device config space. */
  get configSize(): number {
    return NetConfig.SIZE;
  }

  /**
   * Length of the config covering the fields of the offered features, as QEMU sizes a virtio-net config
   * (hw/net/virtio-net.c `cfg_size_params`): `mac` always (6), through `status` with STATUS (8), through
   * `max_virtqueue_pairs` with MQ (10), through `mtu` with MTU (12) (virtio 1.2 §5.1.4). The legacy PCI
   * BAR0 is sized from it; the modern device-config window exposes all 12 bytes.
   */
  get offeredConfigLength(): number {
    const f = this.offeredAll;
    if (hasFeature(f, NetFeature.MTU)) return NetConfig.MTU + 2;
    if (hasFeature(f, NetFeature.MQ)) return NetConfig.MAX_VIRTQUEUE_PAIRS + 2;
    if (hasFeature(f, NetFeature.STATUS)) return NetConfig.STATUS + 2;
    return NetConfig.STATUS;
  }

  /**
   * Reads the device config (virtio 1.2 §5.1.4). Modern interfaces must use accesses of each field's
   * width (§4.1.3.1 / §4.2.2.2); legacy accepts any width.
   */
  readConfig(offset: number, width: number): number {
    if (offset < 0 || offset + width > NetConfig.SIZE) {
      this.fault(`config read of ${width} bytes at ${offset}, beyond the net config`, "virtio 1.2 §4.2.2.2");
      return 0;
    }
    if (this.iface === "modern" && !this.fieldAccessOk(offset, width)) {
      this.fault(
        `config read of ${width} bytes at ${offset} does not match the field width`,
        "virtio 1.2 §4.2.2.2, §4.1.3.1",
      );
      return 0;
    }
    let v = 0;
    for (let i = width - 1; i >= 0; i--) v = v * 256 + this.configByte(offset + i);
    return v >>> 0;
  }

  /** Writes the device config: forbidden on modern interfaces; legacy drivers may set the MAC. */
  writeConfig(offset: number, width: number, value: number): void {
    if (this.iface === "modern") {
      this.fault("driver wrote the read-only net device config", "virtio 1.2 §5.1.4.2");
      return;
    }
    for (let i = 0; i < width; i++) {
      const o = offset + i;
      const b = Math.floor(value / 256 ** i) & 0xff;
      if (o >= NetConfig.MAC && o < NetConfig.MAC + 6) this.mac[o] = b;
    }
  }

  /** Makes the next used entry of queue `q` bogus in the given way (hostile behaviour on demand). */
  injectHostile(q: number, kind: HostileKind): void {
    this.hostilePending[q] = HOSTILE_CODES[kind];
  }

  // ------------------------------------------------------------------ faults

  /** Reports a violation (throws in strict mode); otherwise the device stops and asks for a reset. */
  fault(rule: string, section: string): void {
    this.checker.violation(rule, section);
    this.markBroken();
  }

  /** {@link QueueFaultSink}: a queue found a broken rule. */
  queueFault(queue: number, rule: string, section: string): void {
    this.fault(`${queue === NetQueue.RX ? "receiveq1" : "transmitq1"}: ${rule}`, section);
  }

  private markBroken(): void {
    if (this.broken) return;
    this.broken = true;
    this.status |= DeviceStatus.DEVICE_NEEDS_RESET;
    this.updateLive();
    if ((this.status & DeviceStatus.DRIVER_OK) !== 0) {
      this.configGeneration = (this.configGeneration + 1) & 0xff;
      this.raise(InterruptStatus.CONFIG, -1);
    }
  }

  // ------------------------------------------------------------------ internals

  private applyFeatures(): void {
    const f = this.driverFeatures;
    const v1 = hasFeature(f, VirtioFeature.VERSION_1);
    this.mrgRxbuf = hasFeature(f, NetFeature.MRG_RXBUF);
    // virtio 1.2 §5.1.6: 12 bytes with VERSION_1 or MRG_RXBUF, else the legacy 10
    this.hdrHasNumBuffers = v1 || this.mrgRxbuf;
    this.hdrLen = this.hdrHasNumBuffers ? NetHdr.SIZE : NetHdr.LEGACY_SIZE;
    this.csum = hasFeature(f, NetFeature.CSUM);
    this.mtuNegotiated = hasFeature(f, NetFeature.MTU);
    this.maxTxFrame = this.mtuNegotiated ? this.mtu + ETH_HEADER_LEN : NET_MAX_FRAME;
    const ev = hasFeature(f, VirtioFeature.RING_EVENT_IDX);
    const ind = hasFeature(f, VirtioFeature.RING_INDIRECT_DESC);
    for (const q of this.queues) {
      if (q.ready) {
        q.eventIdx = ev;
        q.indirect = ind;
      }
    }
  }

  private updateLive(): void {
    const live = this.live && this.dmaEnabled;
    this.rxLive = live && this.rxq.ready;
    this.txLive = live && this.txq.ready;
  }

  private fieldAccessOk(offset: number, width: number): boolean {
    if (offset < NetConfig.STATUS) return width === 1; // mac: u8[6]
    return width === 2 && (offset & 1) === 0; // le16 fields
  }

  private configByte(o: number): number {
    if (o < 6) return this.mac[o]!;
    switch (o) {
      case NetConfig.STATUS:
        return this.linkUp ? NetStatus.LINK_UP : 0;
      case NetConfig.MAX_VIRTQUEUE_PAIRS:
        return 1;
      case NetConfig.MTU:
        return this.mtu & 0xff;
      case NetConfig.MTU + 1:
        return this.mtu >>> 8;
      default:
        return 0;
    }
  }

  private raise(bits: number, queue: number): void {
    this.isr |= bits;
    this.counters.interrupts++;
    const cb = this.onInterrupt;
    if (cb !== undefined) cb(bits, queue);
  }

  /**
   * Transmit: every available chain goes to the port without its header, then to the used ring (len 0).
   * The common case — header and frame in one device-readable descriptor, as virtio-drivers posts them —
   * is handled inline with the ring offsets in locals; anything else goes through {@link txChain}.
   */
  private processTx(): void {
    const vq = this.txq;
    const n = vq.pending();
    if (n <= 0) return;
    this.checkAvailFlags(vq);
    if (this.broken) return;
    const u8 = this.u8;
    const u16 = this.u16;
    const u32 = vq.u32;
    const hdr = this.hdrLen;
    const checkNum = this.hdrHasNumBuffers;
    const hostile = this.hostile || this.hostilePending[NetQueue.TX] !== HOSTILE_NONE;
    const size = vq.size;
    const mask = vq.mask;
    const ringH = vq.availRingOff;
    const descW = vq.descOff >>> 2;
    const usedW = vq.usedRingOff;
    const ramBase = this.ramBase;
    const ramSize = this.ramSize;
    const maxTx = this.maxTxFrame;
    const port = this.port;
    let frames = 0;
    let bytes = 0;
    // the used index stays in a local through the batch (the port's peer is called in between)
    let usedIdx = vq.usedIdx;
    let written = 0;
    let pos = vq.lastAvail;
    let done = 0;
    for (; done < n; done++) {
      const head = u16[ringH + (pos & mask)]!;
      if (head >= size) {
        vq.headAt(pos); // reports the rule
        break;
      }
      const w = descW + 4 * head;
      if (u16[(w + 3) * 2] === 0) {
        // fast path: one device-readable descriptor holding header and frame
        const len = u32[w + 2]!;
        const off = u32[w]! + u32[w + 1]! * TWO_32 - ramBase;
        if (off < 0 || off + len > ramSize) {
          vq.walkChain(head, 0); // reports the bad address
          break;
        }
        if (len < hdr) {
          this.fault(`transmit buffer of ${len} bytes is shorter than the header`, "virtio 1.2 §5.1.6.2");
          break;
        }
        if ((u8[off]! | u8[off + 1]!) !== 0 || (checkNum && (u8[off + 10]! | u8[off + 11]!) !== 0)) {
          if (!this.txWithHeaderWork(u8, off, len)) break;
        } else {
          const frameLen = len - hdr;
          if (frameLen <= maxTx) {
            // counted after the batch (sendFrame counts the others at once)
            frames++;
            bytes += frameLen;
            port.transmit(u8, off + hdr, frameLen);
          } else this.sendFrame(u8, off + hdr, frameLen);
        }
      } else if (!this.txChain(head)) {
        break;
      }
      pos = (pos + 1) & 0xffff;
      // used element {id, len 0}; the index is published after the batch
      const e = usedW + 2 * (usedIdx & mask);
      u32[e] = head;
      u32[e + 1] = 0;
      usedIdx = (usedIdx + 1) & 0xffff;
      written++;
      if (hostile) {
        vq.usedIdx = usedIdx;
        this.hostileAfter(vq, head, u32[w + 2]!);
        usedIdx = vq.usedIdx;
      }
    }
    vq.usedIdx = usedIdx;
    vq.usedWritten += written;
    const c = this.counters;
    c.txFrames += frames;
    c.txBytes += bytes;
    vq.lastAvail = pos;
    vq.knownAvail = 0;
    if (done > 0 && vq.publishUsed(pos)) this.raise(InterruptStatus.QUEUE, NetQueue.TX);
  }

  /** Avail flags rule (virtio 1.2 §2.7.7.1): 0 with event index, 0 or 1 without. */
  private checkAvailFlags(vq: DeviceQueue): void {
    const f = vq.availFlags();
    if (vq.eventIdx ? f !== 0 : f > 1) {
      this.fault(
        `available ring flags 0x${f.toString(16)} (must be ${vq.eventIdx ? "0 with RING_EVENT_IDX" : "0 or 1"})`,
        "virtio 1.2 §2.7.7.1",
      );
    }
  }

  /** A chained or indirect transmit request: gathered into scratch, then sent. */
  private txChain(head: number): boolean {
    const vq = this.txq;
    const cnt = vq.walkChain(head, 0);
    if (cnt < 0) {
      if (cnt === -2) this.fault("transmit chain has too many descriptors", "virtio 1.2 §2.7.4.1");
      return false;
    }
    if (vq.chainWritable > 0) {
      this.fault("device-writable buffer on the transmit queue", "virtio 1.2 §5.1.6.2, §2.7.4");
      return false;
    }
    const total = vq.chainReadable;
    if (total < this.hdrLen) {
      this.fault(`transmit chain of ${total} bytes is shorter than the header`, "virtio 1.2 §5.1.6.2");
      return false;
    }
    if (total > this.scratch.length) {
      this.counters.txOversize++;
      return true;
    }
    const s = this.scratch;
    const u8 = this.u8;
    let p = 0;
    for (let i = 0; i < cnt; i++) {
      const off = vq.segOff[i]!;
      const len = vq.segLen[i]!;
      s.set(u8.subarray(off, off + len), p);
      p += len;
    }
    return this.txWithHeaderWork(s, 0, total);
  }

  /**
   * The header asks for something (or is wrong): checks the transmit rules (virtio 1.2 §5.1.6.2.1) and
   * applies checksum offload on a copy (the device must not write a device-readable buffer, §2.7.5.1).
   */
  private txWithHeaderWork(src: Uint8Array, off: number, len: number): boolean {
    const hdr = this.hdrLen;
    const flags = src[off + NetHdr.FLAGS]!;
    const gso = src[off + NetHdr.GSO_TYPE]!;
    if (this.hdrHasNumBuffers && (src[off + 10]! | src[off + 11]!) !== 0) {
      this.fault("transmit header num_buffers is not zero", "virtio 1.2 §5.1.6.2.1");
      return false;
    }
    if ((flags & (NetHdrFlag.DATA_VALID | NetHdrFlag.RSC_INFO)) !== 0) {
      this.fault("driver set DATA_VALID or RSC_INFO in a transmit header", "virtio 1.2 §5.1.6.2.1");
      return false;
    }
    if (gso !== NetHdrGso.NONE) {
      this.fault(
        `transmit gso_type ${gso} without HOST_TSO4/TSO6/UFO/USO negotiated`,
        "virtio 1.2 §5.1.6.2.1",
      );
      return false;
    }
    const frameLen = len - hdr;
    if ((flags & NetHdrFlag.NEEDS_CSUM) === 0) {
      this.sendFrame(src, off + hdr, frameLen);
      return true;
    }
    if (!this.csum) {
      this.fault("transmit header flags set without VIRTIO_NET_F_CSUM", "virtio 1.2 §5.1.6.2.1");
      return false;
    }
    const start = src[off + 6]! | (src[off + 7]! << 8);
    const where = start + (src[off + 8]! | (src[off + 9]! << 8));
    if (where + 2 > frameLen) {
      this.fault(
        `csum_start ${start} + csum_offset puts the checksum beyond the ${frameLen}-byte frame`,
        "virtio 1.2 §5.1.6.2.1",
      );
      return false;
    }
    const s = this.scratch;
    if (src !== s) s.set(src.subarray(off + hdr, off + len), 0);
    else s.copyWithin(0, hdr, len);
    // ones' complement sum over [csum_start, end) with the pseudo-header sum already in place (§5.1.6.2)
    let sum = 0;
    let i = start;
    for (; i + 1 < frameLen; i += 2) sum += (s[i]! << 8) | s[i + 1]!;
    if (i < frameLen) sum += s[i]! << 8;
    while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
    const c = ~sum & 0xffff;
    s[where] = c >>> 8;
    s[where + 1] = c & 0xff;
    this.sendFrame(s, 0, frameLen);
    return true;
  }

  private sendFrame(bytes: Uint8Array, off: number, len: number): void {
    if (len > this.maxTxFrame) {
      if (this.mtuNegotiated) {
        this.fault(
          `transmitted a ${len}-byte frame, beyond the negotiated mtu ${this.mtu} + 14`,
          "virtio 1.2 §5.1.4.2",
        );
      } else this.counters.txOversize++;
      return;
    }
    this.counters.txFrames++;
    this.counters.txBytes += len;
    this.port.transmit(bytes, off, len);
  }

  /**
   * {@link FrameSink}: a frame from the link. It goes into the next posted receive buffer (several with
   * MRG_RXBUF) behind a virtio-net header; without a buffer it is dropped and counted. The common case —
   * one device-writable descriptor large enough — runs inline with the ring offsets in locals.
   */
  receiveFrame(bytes: Uint8Array, off: number, len: number): boolean {
    const c = this.counters;
    if (!this.rxLive) {
      c.rxNotReady++;
      return false;
    }
    if (len < MIN_FRAME_LEN || len > this.port.mtu) {
      c.rxBadLength++;
      return false;
    }
    const vq = this.rxq;
    let avail = vq.knownAvail;
    if (avail === 0) {
      avail = vq.pending(); // reads avail.idx only when the entries known so far are used up
      if (avail <= 0) {
        if (avail === 0) c.rxNoBuffer++;
        return false;
      }
    }
    const u16 = this.u16;
    const u32 = this.u32;
    const hdr = this.hdrLen;
    const total = hdr + len;
    const last = vq.lastAvail;
    const head = u16[vq.availRingOff + (last & vq.mask)]!;
    if (head >= vq.size) {
      vq.headAt(last); // reports the rule
      return false;
    }
    const w = (vq.descOff >>> 2) + 4 * head;
    if (u16[(w + 3) * 2] === DescFlag.WRITE) {
      const blen = u32[w + 2]!;
      if (blen >= total) {
        // fast path: one device-writable descriptor that holds header and frame
        // buffer address as a RAM offset; the check runs on integers when the high half is 0
        const hi = u32[w + 1]!;
        const dst = hi === 0 ? u32[w]! - this.ramBase : u32[w]! + hi * TWO_32 - this.ramBase;
        if (dst < 0 || dst + blen > this.ramSize) {
          vq.walkChain(head, 0); // reports the bad address
          return false;
        }
        // header: flags 0, gso NONE, num_buffers 1 (virtio 1.2 §5.1.6.4.1)
        const u8 = this.u8;
        if ((dst & 3) === 0) {
          const h = dst >>> 2;
          u32[h] = 0;
          u32[h + 1] = 0;
          if (hdr === NetHdr.SIZE) u32[h + 2] = 0x1_0000;
          else u16[(h + 2) * 2] = 0;
        } else {
          for (let i = 0; i < hdr; i++) u8[dst + i] = 0;
          if (hdr === NetHdr.SIZE) u8[dst + 10] = 1;
        }
        if (bytes === u8) {
          const d0 = dst + hdr;
          if (((d0 | off | len) & 3) === 0 && len <= 256) {
            // the common case inline: whole words, both ends word-aligned (see copyRam)
            const d = d0 >>> 2;
            const s = off >>> 2;
            const words = len >>> 2;
            let i = 0;
            for (; i + 4 <= words; i += 4) {
              u32[d + i] = u32[s + i]!;
              u32[d + i + 1] = u32[s + i + 1]!;
              u32[d + i + 2] = u32[s + i + 2]!;
              u32[d + i + 3] = u32[s + i + 3]!;
            }
            for (; i < words; i++) u32[d + i] = u32[s + i]!;
          } else this.copyRam(d0, off, len);
        } else {
          const d = dst + hdr;
          for (let i = 0; i < len; i++) u8[d + i] = bytes[off + i]!;
        }
        const pos = (last + 1) & 0xffff;
        vq.lastAvail = pos;
        vq.knownAvail = avail - 1;
        const used = vq.usedIdx;
        const e = vq.usedRingOff + 2 * (used & vq.mask);
        u32[e] = head;
        u32[e + 1] = total;
        vq.usedWritten++;
        if (this.hostile || this.hostilePending[NetQueue.RX] !== HOSTILE_NONE) {
          vq.usedIdx = (used + 1) & 0xffff;
          this.hostileAfter(vq, head, blen);
          if (vq.publishUsed(pos + 0x8000)) this.raise(InterruptStatus.QUEUE, NetQueue.RX);
        } else {
          // publish the used index and decide on a notification (virtio 1.2 §2.7.7.2)
          const newIdx = (used + 1) & 0xffff;
          vq.usedIdx = newIdx;
          u16[vq.usedIdxOff] = newIdx;
          const old = vq.signalledUsed;
          vq.signalledUsed = newIdx;
          let notify: boolean;
          if (vq.eventIdx) {
            u16[vq.availEventOff] = (pos + 0x8000) & 0xffff;
            notify = ((newIdx - u16[vq.usedEventOff]! - 1) & 0xffff) < ((newIdx - old) & 0xffff);
          } else {
            notify = (u16[vq.availIdxOff - 1]! & Avail.F_NO_INTERRUPT) === 0;
          }
          if (notify) {
            vq.interrupts++;
            this.raise(InterruptStatus.QUEUE, NetQueue.RX);
          }
        }
        c.rxFrames++;
        c.rxBytes += len;
        return true;
      }
      if (!this.mrgRxbuf) {
        c.rxTooBig++;
        return false;
      }
    }
    return this.receiveSlow(bytes, off, len, avail);
  }

  /**
   * Copies `len` bytes within RAM, as the device's DMA does. Short copies whose ends share their alignment
   * mod 4 go through 32-bit words in JavaScript (cheaper than a call into the runtime, whose copy of shared
   * memory moves bytes one at a time unless both ends are word-aligned alike); the rest uses copyWithin.
   */
  private copyRam(dst: number, src: number, len: number): void {
    const u8 = this.u8;
    if (len > 256 || ((dst ^ src) & 3) !== 0) {
      u8.copyWithin(dst, src, src + len);
      return;
    }
    while ((dst & 3) !== 0 && len > 0) {
      u8[dst++] = u8[src++]!;
      len--;
    }
    const words = len >>> 2;
    const u32 = this.u32;
    const d = dst >>> 2;
    const s = src >>> 2;
    let i = 0;
    // whole 64-byte blocks as straight-line code: measurably cheaper per word than a shorter unrolled loop
    for (; i + 16 <= words; i += 16) {
      const a = d + i;
      const b = s + i;
      u32[a] = u32[b]!;
      u32[a + 1] = u32[b + 1]!;
      u32[a + 2] = u32[b + 2]!;
      u32[a + 3] = u32[b + 3]!;
      u32[a + 4] = u32[b + 4]!;
      u32[a + 5] = u32[b + 5]!;
      u32[a + 6] = u32[b + 6]!;
      u32[a + 7] = u32[b + 7]!;
      u32[a + 8] = u32[b + 8]!;
      u32[a + 9] = u32[b + 9]!;
      u32[a + 10] = u32[b + 10]!;
      u32[a + 11] = u32[b + 11]!;
      u32[a + 12] = u32[b + 12]!;
      u32[a + 13] = u32[b + 13]!;
      u32[a + 14] = u32[b + 14]!;
      u32[a + 15] = u32[b + 15]!;
    }
    for (; i + 4 <= words; i += 4) {
      u32[d + i] = u32[s + i]!;
      u32[d + i + 1] = u32[s + i + 1]!;
      u32[d + i + 2] = u32[s + i + 2]!;
      u32[d + i + 3] = u32[s + i + 3]!;
    }
    for (; i < words; i++) u32[d + i] = u32[s + i]!;
    const done = words << 2;
    dst += done;
    src += done;
    len -= done;
    while (len > 0) {
      u8[dst++] = u8[src++]!;
      len--;
    }
  }

  /** Chained/indirect receive buffers, or a frame spread over several buffers with MRG_RXBUF. */
  private receiveSlow(bytes: Uint8Array, off: number, len: number, known: number): boolean {
    let avail = known;
    const vq = this.rxq;
    const c = this.counters;
    const hdr = this.hdrLen;
    const need = hdr + len;
    let chains = 0;
    let cap = 0;
    let segs = 0;
    let pos = vq.lastAvail;
    while (cap < need) {
      if (chains >= avail) {
        // more than known so far: look at avail.idx again
        const fresh = chains === 0 ? avail : vq.pending();
        if (fresh <= avail) {
          if (fresh >= 0) c.rxNoBuffer++;
          return false;
        }
        avail = fresh;
      }
      if (chains === 1 && !this.mrgRxbuf) {
        c.rxTooBig++;
        return false;
      }
      const head = vq.headAt(pos);
      if (head < 0) return false;
      const cnt = vq.walkChain(head, segs);
      if (cnt === -2) {
        c.rxTooBig++;
        return false;
      }
      if (cnt < 0) return false;
      if (vq.chainReadable > 0) {
        this.fault("device-readable buffer on the receive queue", "virtio 1.2 §5.1.6.3, §2.7.5.1");
        return false;
      }
      if (this.mrgRxbuf && vq.chainWritable < hdr) {
        this.fault(
          `receive buffer of ${vq.chainWritable} bytes is smaller than the header with MRG_RXBUF`,
          "virtio 1.2 §5.1.6.3.1",
        );
        return false;
      }
      this.chainHead[chains] = head;
      this.chainSegEnd[chains] = cnt;
      this.chainCap[chains] = vq.chainWritable;
      cap += vq.chainWritable;
      segs = cnt;
      chains++;
      pos = (pos + 1) & 0xffff;
    }
    // header: flags 0, gso NONE, num_buffers = chains used (virtio 1.2 §5.1.6.4.1)
    const h = this.hdrScratch;
    h.fill(0);
    if (this.hdrHasNumBuffers) {
      h[10] = chains & 0xff;
      h[11] = chains >>> 8;
    }
    const u8 = this.u8;
    let p = 0; // position in [header | frame]
    let seg = 0;
    for (let k = 0; k < chains; k++) {
      let written = 0;
      const end = this.chainSegEnd[k]!;
      for (; seg < end && p < need; seg++) {
        const so = vq.segOff[seg]!;
        const sl = vq.segLen[seg]!;
        let w = 0;
        while (w < sl && p < hdr) u8[so + w++] = h[p++]!;
        const n = Math.min(sl - w, need - p);
        if (n > 0) {
          const from = off + p - hdr;
          if (bytes === u8) u8.copyWithin(so + w, from, from + n);
          else for (let i = 0; i < n; i++) u8[so + w + i] = bytes[from + i]!;
          p += n;
          w += n;
        }
        written += w;
      }
      seg = end;
      vq.pushUsed(this.chainHead[k]!, written);
      if (this.hostile || this.hostilePending[NetQueue.RX] !== HOSTILE_NONE) {
        this.hostileAfter(vq, this.chainHead[k]!, this.chainCap[k]!);
      }
    }
    vq.lastAvail = pos;
    vq.knownAvail = avail - chains;
    c.rxFrames++;
    c.rxBytes += len;
    if (vq.publishUsed(pos + 0x8000)) this.raise(InterruptStatus.QUEUE, NetQueue.RX);
    return true;
  }

  /** Hostile mode: after a real used entry, maybe write a bogus one (or spoil this one). */
  private hostileAfter(vq: DeviceQueue, head: number, bufLen: number): void {
    let kind = this.hostilePending[vq.index]!;
    if (kind !== HOSTILE_NONE) this.hostilePending[vq.index] = HOSTILE_NONE;
    else if (this.hostile && ++this.hostileTick >= this.hostileEvery) {
      this.hostileTick = 0;
      const r = this.hostileRotor++;
      // receive: a duplicate may name a buffer the driver already re-posted, which no driver can tell
      // from a real completion, so the rotation there is out-of-range ids and long lengths only
      kind =
        vq.index === NetQueue.TX
          ? [HOSTILE_OUT_OF_RANGE, HOSTILE_NOT_IN_FLIGHT, HOSTILE_LEN][r % 3]!
          : [HOSTILE_OUT_OF_RANGE, HOSTILE_LEN][r % 2]!;
    }
    if (kind === HOSTILE_NONE) return;
    this.counters.hostileEntries++;
    switch (kind) {
      case HOSTILE_OUT_OF_RANGE:
        vq.pushUsed(vq.size + (this.hostileRotor % 5), 0);
        break;
      case HOSTILE_NOT_IN_FLIGHT:
        vq.pushUsed(head, 0);
        break;
      case HOSTILE_LEN:
        vq.patchLastUsedLen(bufLen + 64);
        break;
      case HOSTILE_JUMP:
        vq.usedIdx = (vq.usedIdx + vq.size + 1) & 0xffff;
        break;
    }
  }

  /** The header length in use (10 or 12), for tests and tools. */
  get netHeaderLen(): number {
    return this.hdrLen;
  }
}
