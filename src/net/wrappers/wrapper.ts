import type { DevResult } from "../../base/dev-error.js";
import type { DeviceType } from "../../base/device-type.js";
import type { EthernetAddress } from "../ethernet-address.js";
import type { NetBufPtr } from "../net-buf-ptr.js";
import type { NetDriverOps } from "../net-driver-ops.js";

/**
 * A {@link NetDriverOps} that passes every call to the driver it wraps: the base of the wrappers in this
 * folder (in the spirit of smoltcp's `phy` module, each wrapper is itself a device and wraps any device,
 * so they stack: `new Tracer(new PcapTap(nic, sink))`). Subclasses override the data-path calls.
 */
export class NetDriverWrapper implements NetDriverOps {
  constructor(
    /** The wrapped driver. */
    readonly inner: NetDriverOps,
  ) {}

  deviceName(): string {
    return this.inner.deviceName();
  }
  deviceType(): DeviceType {
    return this.inner.deviceType();
  }
  macAddress(): EthernetAddress {
    return this.inner.macAddress();
  }
  canTransmit(): boolean {
    return this.inner.canTransmit();
  }
  canReceive(): boolean {
    return this.inner.canReceive();
  }
  rxQueueSize(): number {
    return this.inner.rxQueueSize();
  }
  txQueueSize(): number {
    return this.inner.txQueueSize();
  }
  recycleRxBuffer(rxBuf: NetBufPtr): DevResult<void> {
    return this.inner.recycleRxBuffer(rxBuf);
  }
  recycleTxBuffers(): DevResult<void> {
    return this.inner.recycleTxBuffers();
  }
  transmit(txBuf: NetBufPtr): DevResult<void> {
    return this.inner.transmit(txBuf);
  }
  receive(): DevResult<NetBufPtr> {
    return this.inner.receive();
  }
  allocTxBuffer(size: number): DevResult<NetBufPtr> {
    return this.inner.allocTxBuffer(size);
  }
  receiveBatch(out: NetBufPtr[], max: number): DevResult<number> {
    return this.inner.receiveBatch(out, max);
  }
  transmitBatch(bufs: NetBufPtr[], count: number): DevResult<number> {
    return this.inner.transmitBatch(bufs, count);
  }
}
