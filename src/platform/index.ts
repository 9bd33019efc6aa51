/**
 * Probing buses, driver selection and the device container (ArceOS `modules/axdriver`).
 * @packageDocumentation
 */
export type { MmioProbeContext, NetDriverEntry, PciProbeContext, PlatformProbeContext } from "./driver.js";
