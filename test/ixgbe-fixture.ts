// Shared set-up of the ixgbe tests: 82599 models on an emulated machine, register recording, frames.
import { isDevError, unwrap } from "../src/base/dev-error.js";
import { IxgbeNic, type IxgbeNicOptions } from "../src/drivers/ixgbe/index.js";
import { Ixgbe82599, type Ixgbe82599Options } from "../src/emu/ixgbe/index.js";
import { Machine } from "../src/emu/machine.js";
import type { AccessWidth, MmioHandler } from "../src/hal/mmio.js";
import { IXGBE_BAR0_SIZE } from "../src/hw/ixgbe/ids.js";
import type { NetBufPtr } from "../src/net/net-buf-ptr.js";

/** Where the tests put the first and second model's BAR0 on the MMIO bus. */
export const BAR_A = 0x4000_0000;
export const BAR_B = 0x4010_0000;

/** One register access seen by a {@link RegisterRecorder}. */
export interface RegAccess {
  op: "r" | "w";
  off: number;
  value: number;
  /** Virtual time of the access. */
  at: number;
}

/** Sits between the bus and a model and records every register access. */
export class RegisterRecorder implements MmioHandler {
  readonly log: RegAccess[] = [];
  recording = true;
  constructor(
    readonly inner: MmioHandler,
    private readonly now: () => number,
  ) {}
  mmioRead(offset: number, width: AccessWidth): number {
    const v = this.inner.mmioRead(offset, width);
    if (this.recording) this.log.push({ op: "r", off: offset, value: v >>> 0, at: this.now() });
    return v;
  }
  mmioWrite(offset: number, width: AccessWidth, value: number): void {
    if (this.recording) this.log.push({ op: "w", off: offset, value: value >>> 0, at: this.now() });
    this.inner.mmioWrite(offset, width, value);
  }
  writes(off: number): number[] {
    return this.log.filter((a) => a.op === "w" && a.off === off).map((a) => a.value);
  }
}

/** A machine with one model on the bus at `base`, optionally behind a recorder. */
export function machineWithModel(
  options: Ixgbe82599Options = {},
  record = false,
  machine = new Machine(),
  base = BAR_A,
): { machine: Machine; model: Ixgbe82599; recorder: RegisterRecorder | undefined } {
  const model = new Ixgbe82599(machine, options);
  const recorder = record ? new RegisterRecorder(model, () => machine.clock.now()) : undefined;
  machine.addMmioDevice(base, IXGBE_BAR0_SIZE, recorder ?? model, `82599@${base.toString(16)}`);
  return { machine, model, recorder };
}

/** Brings up an IxgbeNic on the model at `base`. */
export function nicAt(machine: Machine, base: number, options: IxgbeNicOptions = {}): IxgbeNic {
  const regs = unwrap(machine.hal.mapMmio(base, IXGBE_BAR0_SIZE));
  return unwrap(IxgbeNic.init(machine.hal, regs, options));
}

/** Two models on one machine with their ports cabled together, and a NIC on each. */
export function twoNics(
  nicOptions: IxgbeNicOptions = {},
  modelA: Ixgbe82599Options = {},
  modelB: Ixgbe82599Options = {},
  nicOptionsB: IxgbeNicOptions = nicOptions,
): { machine: Machine; a: Ixgbe82599; b: Ixgbe82599; nicA: IxgbeNic; nicB: IxgbeNic } {
  const machine = new Machine({ ramSize: 128 * 1024 * 1024 });
  const { model: a } = machineWithModel({ mac: [0x02, 0, 0, 0, 0, 0xaa], ...modelA }, false, machine, BAR_A);
  const { model: b } = machineWithModel({ mac: [0x02, 0, 0, 0, 0, 0xbb], ...modelB }, false, machine, BAR_B);
  a.port.connect(b.port.rx);
  b.port.connect(a.port.rx);
  const nicA = nicAt(machine, BAR_A, nicOptions);
  const nicB = nicAt(machine, BAR_B, nicOptionsB);
  return { machine, a, b, nicA, nicB };
}

/**
 * A test frame of `len` bytes: destination, source, ethertype 0x88B5 (local experimental), a 32-bit
 * sequence number, then a pattern that depends on the sequence number and the position.
 */
export function testFrame(
  len: number,
  seq: number,
  dst = [0x02, 0, 0, 0, 0, 0xbb],
  src = [0x02, 0, 0, 0, 0, 0xaa],
): Uint8Array {
  const f = new Uint8Array(len);
  f.set(dst, 0);
  f.set(src, 6);
  f[12] = 0x88;
  f[13] = 0xb5;
  if (len >= 18) {
    f[14] = seq >>> 24;
    f[15] = (seq >>> 16) & 0xff;
    f[16] = (seq >>> 8) & 0xff;
    f[17] = seq & 0xff;
  }
  for (let i = 18; i < len; i++) f[i] = (i * 7 + seq * 13) & 0xff;
  return f;
}

/** The sequence number of a frame made by {@link testFrame}. */
export function seqOf(p: NetBufPtr): number {
  const b = p.bytes;
  const o = p.offset;
  return ((b[o + 14]! << 24) | (b[o + 15]! << 16) | (b[o + 16]! << 8) | b[o + 17]!) >>> 0;
}

/** Copies `frame` into a TX buffer of `nic` and transmits it; returns the transmit result. */
export function sendBytes(nic: IxgbeNic, frame: Uint8Array): ReturnType<IxgbeNic["transmit"]> {
  const buf = unwrap(nic.allocTxBuffer(frame.length));
  buf.bytes.set(frame, buf.offset);
  const r = nic.transmit(buf);
  if (isDevError(r)) nic.recycleRxBuffer(buf); // not queued: give it back
  return r;
}

/** The bytes of a received buffer (a copy). */
export function bytesOf(p: NetBufPtr): Uint8Array {
  return p.bytes.slice(p.offset, p.offset + p.len);
}

/** An IPv4 frame carrying TCP (6) or UDP (17) between the given addresses and ports. */
export function ipv4Frame(
  proto: 6 | 17,
  srcIp: readonly number[],
  dstIp: readonly number[],
  srcPort: number,
  dstPort: number,
  len = 64,
): Uint8Array {
  const f = new Uint8Array(len);
  f.set([0x02, 0, 0, 0, 0, 0xbb, 0x02, 0, 0, 0, 0, 0xaa, 0x08, 0x00], 0);
  const ip = 14;
  f[ip] = 0x45;
  const total = len - 14;
  f[ip + 2] = total >>> 8;
  f[ip + 3] = total & 0xff;
  f[ip + 8] = 64;
  f[ip + 9] = proto;
  f.set(srcIp, ip + 12);
  f.set(dstIp, ip + 16);
  const l4 = ip + 20;
  f[l4] = srcPort >>> 8;
  f[l4 + 1] = srcPort & 0xff;
  f[l4 + 2] = dstPort >>> 8;
  f[l4 + 3] = dstPort & 0xff;
  return f;
}
