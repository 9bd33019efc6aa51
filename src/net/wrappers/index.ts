/**
 * Driver wrappers in the spirit of smoltcp's `phy` module: each is a {@link NetDriverOps} wrapping any
 * `NetDriverOps`, so they stack. A pcap tap, a tracer and a fault injector.
 * @packageDocumentation
 */
export type { CaptureSink, TimeSource } from "./capture.js";
export { CaptureDirection, wallTime } from "./capture.js";
export type { FaultInjectorOptions, FaultPlan } from "./fault-injector.js";
export { FaultCounters, FaultInjector, releaseTxBuffer } from "./fault-injector.js";
export {
  ETHERTYPE_NAMES,
  formatEtherType,
  formatFrame,
  formatIpv4,
  formatMac,
} from "./frame-format.js";
export type { PcapTapOptions } from "./pcap-tap.js";
export { PcapTap } from "./pcap-tap.js";
export type { TracerOptions } from "./tracer.js";
export { Tracer } from "./tracer.js";
export { NetDriverWrapper } from "./wrapper.js";
