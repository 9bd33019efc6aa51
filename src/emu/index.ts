/**
 * The emulated machine and its register-level device models.
 * @packageDocumentation
 */
export { AddressBus, BusMapping } from "./address-bus.js";
export type { FrameSink } from "./frame-port.js";
export { MIN_FRAME_LEN, NicPort } from "./frame-port.js";
export * from "./gem/index.js";
export * from "./ixgbe/index.js";
export { Machine } from "./machine.js";
export type { ModelMode } from "./model-error.js";
export { ModelError, ProtocolChecker } from "./model-error.js";
export * from "./pci/index.js";
export * from "./virtio/index.js";
