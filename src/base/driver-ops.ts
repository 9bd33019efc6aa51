import type { DeviceType } from "./device-type.js";

/** Common operations of every device driver, as `axdriver_base::BaseDriverOps`. */
export interface BaseDriverOps {
  /** The name of the device (e.g. "virtio-net", "ixgbe"). */
  deviceName(): string;
  /** The type of the device. */
  deviceType(): DeviceType;
}
