/**
 * PCI configuration-space layout (offsets, bits, capability ids): facts, no behaviour.
 * @packageDocumentation
 */
export * from "./config.js";
