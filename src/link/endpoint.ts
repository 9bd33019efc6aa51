import type { FrameSink } from "../emu/frame-port.js";

/**
 * One end of a link: something frames come out of and go into. A NIC model's {@link NicPort} is one
 * (its `rx` takes frames from the cable; `connect` says where the frames it transmits go), and so is every
 * link in this folder seen from the cable's other side: a socket link's `rx` sends frames to the network,
 * its `connect` says where frames from the network go.
 *
 * [NicPort]: ../emu/frame-port.ts
 */
export interface LinkEndpoint {
  /** Takes frames arriving at this end. */
  readonly rx: FrameSink;
  /** Says where the frames leaving this end go (or unplugs with `undefined`). */
  connect(peer: FrameSink | undefined): void;
  /** Largest frame (without FCS) this end carries, when it has a limit. */
  readonly mtu?: number;
}

/** Joins two ends directly, with no wire between them: what `a` sends arrives at `b` and back. */
export function plug(a: LinkEndpoint, b: LinkEndpoint): void {
  a.connect(b.rx);
  b.connect(a.rx);
}

/** Undoes {@link plug}. */
export function unplug(a: LinkEndpoint, b: LinkEndpoint): void {
  a.connect(undefined);
  b.connect(undefined);
}
