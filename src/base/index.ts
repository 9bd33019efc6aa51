/**
 * axdriver_base: device types, errors and the operations every driver has.
 * @packageDocumentation
 */

export type { DevResult } from "./dev-error.js";
export { DevError, DevErrorKind, isDevError, isErrorKind, isOk, unwrap } from "./dev-error.js";
export { DeviceType } from "./device-type.js";
export type { BaseDriverOps } from "./driver-ops.js";
export { Logger, LogLevel, log } from "./log.js";
