/**
 * Phytium FXMAC (Cadence GEM) and Motorcomm YT8521 facts: register offsets, bits and descriptor layouts.
 * @packageDocumentation
 */
export * from "./descriptors.js";
export * from "./phy.js";
export * from "./registers.js";
