/**
 * Intel 82599 ("ixgbe") facts: PCI identity, register offsets and bits, descriptor layouts.
 * @packageDocumentation
 */
export * from "./descriptors.js";
export * from "./ids.js";
export * from "./regs.js";
