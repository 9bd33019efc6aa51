/**
 * Something that takes whole Ethernet frames (without FCS): a NIC model's receive side, or a link.
 * A frame is handed over as (bytes, offset, length) — no view per frame; the receiver copies what it keeps,
 * as a real wire does. The return value says whether the frame was accepted (false: dropped and counted
 * by the receiver).
 */
export interface FrameSink {
  receiveFrame(bytes: Uint8Array, offset: number, length: number): boolean;
}

/** Frames shorter than this are runts: dropped and counted by whoever receives them. */
export const MIN_FRAME_LEN = 14;

/**
 * The cable socket of a NIC model. The model calls {@link NicPort.transmit} for every frame it sends;
 * the link plugged in ({@link NicPort.connect}) delivers frames into {@link NicPort.rx} (the model's
 * receive side). Counters are plain numbers.
 */
export class NicPort {
  /** Where transmitted frames go (the link's sink), if a link is plugged in. */
  private peer: FrameSink | undefined;
  /** Frames sent to the link. */
  txFrames = 0;
  /** Bytes sent to the link. */
  txBytes = 0;
  /** Frames sent while no link was plugged in, or refused by the link. */
  txDropped = 0;

  /**
   * @param rx the model's receive side: frames from the link land here
   * @param mtu largest frame (without FCS) the port carries, default 1514
   */
  constructor(
    readonly rx: FrameSink,
    readonly mtu = 1514,
  ) {}

  /** Plugs a link in (or unplugs with `undefined`). */
  connect(peer: FrameSink | undefined): void {
    this.peer = peer;
  }

  /** Whether a link is plugged in. */
  get connected(): boolean {
    return this.peer !== undefined;
  }

  /** Sends one frame from the model to its link. */
  transmit(bytes: Uint8Array, offset: number, length: number): boolean {
    const p = this.peer;
    if (p === undefined || !p.receiveFrame(bytes, offset, length)) {
      this.txDropped++;
      return false;
    }
    this.txFrames++;
    this.txBytes += length;
    return true;
  }
}

/**
 * What every NIC device model offers the machine and its links: the cable socket and a reset. Its registers
 * come through a bus interface of its own — a PCI function (config space and BAR handlers) given to
 * `Machine.addPciDevice`, or an `MmioHandler` given to `Machine.addMmioDevice`/`addPlatformDevice`.
 */
export interface NicModel {
  /** Where links plug in. */
  readonly port: NicPort;
  /** Back to the power-on state (registers, rings, negotiated state), as a device reset gives it. */
  reset(): void;
}
