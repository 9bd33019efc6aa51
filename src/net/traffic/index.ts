/**
 * Test traffic over any {@link NetDriverOps}: a packet generator, a checker that verifies every frame,
 * and a forwarder.
 * @packageDocumentation
 */

export {
  FrameVerdict,
  ParsedFrame,
  parseTestFrame,
  TEST_ETHERTYPE,
  TEST_MAGIC,
  TEST_MIN_LEN,
  writeTestFrame,
} from "./test-frame.js";
export { Forwarder, PacketGenerator, TrafficChecker, TrafficCounters } from "./traffic.js";
