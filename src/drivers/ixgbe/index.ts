/**
 * The Intel 82599 driver (the ixgbe-driver crate, derived from ixy) and axdriver's `IxgbeNic` wrapper,
 * with the driver entry for the platform's probe flow.
 * @packageDocumentation
 */
import type { NetDriverEntry } from "../../platform/driver.js";
import { createIxgbeDriver } from "./probe.js";

export type { IxgbeDeviceOptions, IxgbeStats } from "./ixgbe-device.js";
export {
  DEFAULT_QUEUE_SIZE,
  DEFAULT_RSS_KEY,
  DRIVER_NAME,
  emptyStats,
  IxgbeDevice,
  TX_CLEAN_BATCH,
} from "./ixgbe-device.js";
export type { IxgbeNicOptions } from "./ixgbe-nic.js";
export { IxgbeNic, MEM_POOL, MEM_POOL_ENTRY_SIZE, RECV_BATCH_SIZE } from "./ixgbe-nic.js";
export {
  HUGE_PAGE_SIZE,
  IxgbeNetBuf,
  MemPool,
  MIN_MEMPOOL_SIZE,
  PACKET_HEADROOM,
  PacketState,
  PKT_BUF_ENTRY_SIZE,
} from "./mem-pool.js";
export { createIxgbeDriver, probeIxgbePci } from "./probe.js";

/** The ixgbe driver for the probe flow (QS 1024, QN 1, as ArceOS's default `IxgbeNic`). */
export const ixgbeDriver: NetDriverEntry = createIxgbeDriver();
