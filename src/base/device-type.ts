/** The kind of a device, as `axdriver_base::DeviceType`. */
export const DeviceType = {
  /** Block storage device (e.g. disk). */
  Block: "Block",
  /** Character device (e.g. serial port). */
  Char: "Char",
  /** Network device (e.g. ethernet card). */
  Net: "Net",
  /** Graphic display device (e.g. GPU). */
  Display: "Display",
} as const;

/** One of the {@link DeviceType} values. */
export type DeviceType = (typeof DeviceType)[keyof typeof DeviceType];
