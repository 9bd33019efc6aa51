import type { DevResult } from "../base/dev-error.js";
import type { BaseDriverOps } from "../base/driver-ops.js";
import type { EthernetAddress } from "./ethernet-address.js";
import type { NetBufPtr } from "./net-buf-ptr.js";

/**
 * Operations of a network device driver, as `axdriver_net::NetDriverOps`, plus batch forms.
 *
 * Buffers are zero copy: `receive()` hands out a buffer the device wrote into, which goes back with
 * `recycleRxBuffer`; `allocTxBuffer` hands out a buffer the caller fills and passes to `transmit`, which
 * the driver gets back from the device in `recycleTxBuffers`. Errors are values, never exceptions:
 * `Again` when nothing has arrived or the queue is full.
 */
export interface NetDriverOps extends BaseDriverOps {
  /** The Ethernet address of the NIC. */
  macAddress(): EthernetAddress;
  /** Whether a packet can be transmitted now. */
  canTransmit(): boolean;
  /** Whether a packet can be received now. */
  canReceive(): boolean;
  /** Size of the receive queue. */
  rxQueueSize(): number;
  /** Size of the transmit queue. */
  txQueueSize(): number;
  /** Gives a received buffer back to the driver, to be posted for receiving again. */
  recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void>;
  /** Polls the transmit queue and takes back the buffers the device has sent. */
  recycleTxBuffers(): DevResult<void>;
  /** Transmits a buffer from {@link NetDriverOps.allocTxBuffer}; `Again` when the queue is full. */
  transmit(txBuf: NetBufPtr): DevResult<void>;
  /** Receives a packet; `Again` when nothing has arrived. */
  receive(): DevResult<NetBufPtr>;
  /** A transmit buffer with room for a `size`-byte packet; `NoMemory` when none is free, `InvalidParam` when too big. */
  allocTxBuffer(size: number): DevResult<NetBufPtr>;
  /**
   * Receives up to `max` packets into `out[0..]`; returns how many (0 when nothing has arrived).
   */
  receiveBatch(out: NetBufPtr[], max: number): DevResult<number>;
  /**
   * Transmits `bufs[0..count)` in order; returns how many were queued. It stops at the first buffer that
   * cannot be queued (the queue is full, or the buffer is refused); those not queued stay with the caller.
   * An error is returned only when not even the first buffer was queued for a reason other than a full queue.
   */
  transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number>;
}
