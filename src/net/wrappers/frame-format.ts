/**
 * One-line descriptions of Ethernet frames, for the tracer and `axdriver pcap-dump`. Reads only inside
 * `[offset, offset + length)`: a truncated or nonsense frame gives a shorter line, never an exception.
 */

/** Names of the EtherTypes the formatter knows. */
export const ETHERTYPE_NAMES: Readonly<Record<number, string>> = {
  2048: "IPv4",
  2054: "ARP",
  33024: "802.1Q",
  34525: "IPv6",
  34984: "802.1ad",
  34997: "local-exp1",
  34998: "local-exp2",
  35020: "LLDP",
  34824: "flow-control",
};

const IP_PROTO_NAMES: Readonly<Record<number, string>> = {
  1: "ICMP",
  2: "IGMP",
  6: "TCP",
  17: "UDP",
  58: "ICMPv6",
};

const ICMP_TYPES: Readonly<Record<number, string>> = {
  0: "echo-reply",
  3: "unreachable",
  8: "echo-request",
  11: "time-exceeded",
};

const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

/** `aa:bb:cc:dd:ee:ff` from 6 bytes at `offset`. */
export function formatMac(bytes: Uint8Array, offset: number): string {
  return `${HEX[bytes[offset]!]}:${HEX[bytes[offset + 1]!]}:${HEX[bytes[offset + 2]!]}:${HEX[bytes[offset + 3]!]}:${HEX[bytes[offset + 4]!]}:${HEX[bytes[offset + 5]!]}`;
}

/** Dotted IPv4 address from 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset: number): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/** An EtherType as its name, or `0x1234`. */
export function formatEtherType(type: number): string {
  return ETHERTYPE_NAMES[type] ?? `0x${type.toString(16).padStart(4, "0")}`;
}

function u16(b: Uint8Array, o: number): number {
  return (b[o]! << 8) | b[o + 1]!;
}

function describeIpv4(b: Uint8Array, o: number, end: number): string {
  if (end - o < 20) return "IPv4 (truncated)";
  const ihl = (b[o]! & 0x0f) * 4;
  const proto = b[o + 9]!;
  const src = formatIpv4(b, o + 12);
  const dst = formatIpv4(b, o + 16);
  const name = IP_PROTO_NAMES[proto] ?? `proto ${proto}`;
  const frag = u16(b, o + 6) & 0x1fff;
  const l4 = o + ihl;
  let tail = "";
  if (ihl >= 20 && frag === 0) {
    if ((proto === 6 || proto === 17) && end - l4 >= 4) {
      return `IPv4 ${src}:${u16(b, l4)} > ${dst}:${u16(b, l4 + 2)} ${name}${proto === 17 && end - l4 >= 8 ? ` len ${u16(b, l4 + 4) - 8}` : ""}`;
    }
    if (proto === 1 && end - l4 >= 8) {
      const type = b[l4]!;
      tail = ` ${ICMP_TYPES[type] ?? `type ${type}`}`;
      if (type === 0 || type === 8) tail += ` id ${u16(b, l4 + 4)} seq ${u16(b, l4 + 6)}`;
    }
  }
  return `IPv4 ${src} > ${dst} ${name}${tail}`;
}

function describeArp(b: Uint8Array, o: number, end: number): string {
  // Ethernet/IPv4 ARP only (RFC 826): htype 1, ptype 0x0800, hlen 6, plen 4
  if (end - o < 28 || u16(b, o) !== 1 || u16(b, o + 2) !== 0x0800) return "ARP";
  const op = u16(b, o + 6);
  const spa = formatIpv4(b, o + 14);
  const tpa = formatIpv4(b, o + 24);
  if (op === 1) return `ARP who-has ${tpa} tell ${spa}`;
  if (op === 2) return `ARP reply ${spa} is-at ${formatMac(b, o + 8)}`;
  return `ARP op ${op}`;
}

function describeIpv6(b: Uint8Array, o: number, end: number): string {
  if (end - o < 40) return "IPv6 (truncated)";
  const nh = b[o + 6]!;
  return `IPv6 ${IP_PROTO_NAMES[nh] ?? `next-header ${nh}`}`;
}

/**
 * One line describing the frame at `bytes[offset, offset + length)`:
 * `SRC > DST TYPE details, length N`, e.g.
 * `52:54:00:12:34:56 > ff:ff:ff:ff:ff:ff ARP who-has 10.0.0.2 tell 10.0.0.1, length 42`.
 * `wireLength` is the frame's length on the wire when only `length` bytes of it were captured.
 */
export function formatFrame(bytes: Uint8Array, offset: number, length: number, wireLength = length): string {
  const end = Math.min(offset + length, bytes.length);
  const len = wireLength === length ? `length ${length}` : `length ${wireLength} (${length} captured)`;
  if (end - offset < 14) return `runt, ${len}`;
  const dst = formatMac(bytes, offset);
  const src = formatMac(bytes, offset + 6);
  let type = u16(bytes, offset + 12);
  let o = offset + 14;
  let vlan = "";
  if ((type === 0x8100 || type === 0x88a8) && end - o >= 4) {
    vlan = ` vlan ${u16(bytes, o) & 0x0fff}`;
    type = u16(bytes, o + 2);
    o += 4;
  }
  let what: string;
  if (type === 0x0800) what = describeIpv4(bytes, o, end);
  else if (type === 0x0806) what = describeArp(bytes, o, end);
  else if (type === 0x86dd) what = describeIpv6(bytes, o, end);
  else if (type < 0x0600) what = `802.3 length ${type}`;
  else what = formatEtherType(type);
  return `${src} > ${dst}${vlan} ${what}, ${len}`;
}
