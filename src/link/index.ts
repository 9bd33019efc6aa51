/**
 * What a NIC's cable plugs into: an in-memory wire with loss, delay and corruption knobs; libpcap capture
 * and replay; QEMU-compatible socket links; a Linux TAP link. Node-only parts: `pcap-file`, `socket`,
 * `tap` (koffi is loaded only when a TAP link is opened).
 * @packageDocumentation
 */
export { LinkCounters } from "./counters.js";
export type { LinkEndpoint } from "./endpoint.js";
export { plug, unplug } from "./endpoint.js";
export type { ByteSink, PcapHeader, PcapRecord, PcapWriterOptions, ReplayResult } from "./pcap.js";
export {
  encodePcap,
  encodePcapFileHeader,
  LINKTYPE_ETHERNET,
  MemoryByteSink,
  PCAP_FILE_HEADER_LEN,
  PCAP_MAGIC_MICROS,
  PCAP_MAGIC_NANOS,
  PCAP_RECORD_HEADER_LEN,
  PCAP_SNAPLEN,
  PCAP_VERSION_MAJOR,
  PCAP_VERSION_MINOR,
  PcapFormatError,
  PcapReader,
  PcapWriter,
  replayPcap,
} from "./pcap.js";
export { PcapFileSink, PcapFileWriter, readPcapFile } from "./pcap-file.js";
export { SeededRandom } from "./prng.js";
export type { DgramAddress, DgramLinkOptions, StreamAddress, StreamLinkOptions } from "./socket.js";
export {
  DgramLink,
  MAX_DGRAM_FRAME,
  MAX_STREAM_FRAME,
  STREAM_LENGTH_PREFIX,
  StreamLink,
  StreamListener,
} from "./socket.js";
export type { TapLinkOptions } from "./tap.js";
export { TapLink } from "./tap.js";
export type { WireClock, WireOptions, WireTap } from "./wire.js";
export {
  DEFAULT_DELAY_RING,
  DEFAULT_WIRE_MTU,
  Wire,
  WireDirection,
  WireDirectionId,
  wallClockNs,
} from "./wire.js";
