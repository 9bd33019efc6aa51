import { DevError, type DevResult } from "../base/dev-error.js";
import { WallClock } from "../hal/clock.js";
import { BasicHal } from "../hal/hal.js";
import { allocHugePageArena, allocLockedArena, type DmaArena } from "./dma-memory.js";
import { BarMapper, type UserPciDevice } from "./user-device.js";
import type { VfioPciDevice } from "./vfio.js";

/** Where DMA memory comes from on the sysfs path (VFIO always maps its own at chosen IOVAs). */
export type DmaSource = "auto" | "hugepage" | "locked";

/** Default size of the DMA arena: rings and buffer pools of one NIC with 256..1024-entry queues. */
export const DEFAULT_DMA_BYTES = 4 * 1024 * 1024;

/** A {@link BasicHal} over a user-space device, with the DMA arena it hands out. */
export interface UserHal {
  readonly hal: BasicHal;
  readonly arena: DmaArena;
  /** Releases the arena (the device must no longer DMA into it). */
  release(): void;
}

/**
 * The DMA arena for `device`: VFIO maps anonymous memory at an I/O virtual address; the sysfs path uses huge
 * pages (`auto` falls back to locked small pages when none are reserved).
 */
export function allocDmaArena(
  device: UserPciDevice,
  size: number = DEFAULT_DMA_BYTES,
  source: DmaSource = "auto",
): DevResult<DmaArena> {
  if (device.kind === "vfio") return (device as VfioPciDevice).allocDma(size);
  if (source === "locked") return allocLockedArena(size);
  const huge = allocHugePageArena(size);
  if (!(huge instanceof DevError) || source === "hugepage") return huge;
  const locked = allocLockedArena(size);
  if (locked instanceof DevError)
    return DevError.withDetail("NoMemory", `no DMA memory: ${huge.detail}; ${locked.detail}`);
  return locked;
}

/**
 * A HAL for a driver running on a real device from user space: DMA memory from `arena`, register windows
 * from the device's mapped BARs ({@link BarMapper}), and wall-clock time (bounded waits poll).
 */
export function createUserHal(device: UserPciDevice, arena: DmaArena): UserHal {
  const hal = new BasicHal(arena.memory, new WallClock(), new BarMapper(device));
  return { hal, arena, release: () => arena.release() };
}
