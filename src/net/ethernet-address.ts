import { DevError, type DevResult } from "../base/dev-error.js";

const MAC_RE = /^([0-9a-fA-F]{2})(?::([0-9a-fA-F]{2})){5}$/;

/** A 6-byte Ethernet (MAC) address, as `axdriver_net::EthernetAddress`. */
export class EthernetAddress {
  /** The six bytes. */
  readonly bytes: Uint8Array;

  /** @param bytes exactly 6 bytes (copied) */
  constructor(bytes: ArrayLike<number>) {
    if (bytes.length !== 6) throw new RangeError(`an Ethernet address has 6 bytes, not ${bytes.length}`);
    this.bytes = Uint8Array.from(bytes);
  }

  /** Parses `aa:bb:cc:dd:ee:ff`; anything else is `InvalidParam`. */
  static parse(text: string): DevResult<EthernetAddress> {
    if (!MAC_RE.test(text)) return DevError.withDetail("InvalidParam", `bad MAC address "${text}"`);
    return new EthernetAddress(text.split(":").map((h) => Number.parseInt(h, 16)));
  }

  /** The broadcast address ff:ff:ff:ff:ff:ff. */
  static readonly BROADCAST: EthernetAddress = new EthernetAddress([0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);

  /** True for ff:ff:ff:ff:ff:ff. */
  isBroadcast(): boolean {
    return this.bytes.every((b) => b === 0xff);
  }
  /** True when the group bit (bit 0 of byte 0) is set. */
  isMulticast(): boolean {
    return (this.bytes[0]! & 1) === 1;
  }
  /** True for a unicast address that is not all zeros. */
  isUnicast(): boolean {
    return !this.isMulticast() && this.bytes.some((b) => b !== 0);
  }
  equals(other: EthernetAddress): boolean {
    for (let i = 0; i < 6; i++) if (this.bytes[i] !== other.bytes[i]) return false;
    return true;
  }
  /** `aa:bb:cc:dd:ee:ff`, lower case. */
  toString(): string {
    return Array.from(this.bytes, (b) => b.toString(16).padStart(2, "0")).join(":");
  }
}
