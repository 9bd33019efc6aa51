/**
 * axdriver_net: the network driver interface and zero-copy buffers in DMA memory.
 * @packageDocumentation
 */
export { EthernetAddress } from "./ethernet-address.js";
export { LoopbackNic } from "./loopback.js";
export { BufState, MAX_BUFFER_LEN, MIN_BUFFER_LEN, NetBuf, NetBufPool } from "./net-buf.js";
export { NetBufPtr } from "./net-buf-ptr.js";
export type { NetDriverOps } from "./net-driver-ops.js";
export * from "./traffic/index.js";
export * from "./wrappers/index.js";
