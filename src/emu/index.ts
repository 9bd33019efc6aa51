/**
 * The emulated machine and its register-level device models.
 * @packageDocumentation
 */
export { AddressBus, BusMapping } from "./address-bus.js";
export type {
  Board,
  BoardNic,
  BoardNicKind,
  BoardNicLocation,
  BoardNicModel,
  BoardNicSpec,
  BoardOptions,
} from "./board.js";
export {
  BOARD_MAX_FXMAC,
  BOARD_MAX_PCI,
  BOARD_NIC_KINDS,
  BOARD_VIRTIO_MMIO_BASE,
  BOARD_VIRTIO_MMIO_SIZE,
  boardLinkUp,
  boardMac,
  boardRamSize,
  buildBoard,
} from "./board.js";
export type { FrameSink, NicModel } from "./frame-port.js";
export { MIN_FRAME_LEN, NicPort } from "./frame-port.js";
export * from "./gem/index.js";
export * from "./ixgbe/index.js";
export { Machine } from "./machine.js";
export type { ModelMode } from "./model-error.js";
export { ModelError, ProtocolChecker } from "./model-error.js";
export * from "./pci/index.js";
export * from "./virtio/index.js";
