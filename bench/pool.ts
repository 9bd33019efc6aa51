// `npm run bench -- pool`: NetBufPool alloc + release cycles per second and GC events.
import { DevError, isDevError } from "../src/base/index.js";
import { BasicHal, PhysicalMemory, VirtualClock } from "../src/hal/index.js";
import { NetBufPool } from "../src/net/index.js";
import { measure, report } from "./harness.js";

export async function main(args: string[]): Promise<void> {
  const cycles = Number(args[0] ?? 10_000_000);
  const batch = Number(args[1] ?? 32);
  const hal = new BasicHal(new PhysicalMemory(64 * 1024 * 1024), new VirtualClock(), {
    mapMmio: () => DevError.Unsupported,
  });
  const pool = NetBufPool.create(hal, 4096, 2048);
  if (isDevError(pool)) throw pool;
  const held = new Array(batch).fill(undefined) as (ReturnType<NetBufPool["alloc"]> | undefined)[];

  // one step: take `batch` buffers, touch each, give them back (a batch of alloc + release cycles)
  const step = (): number => {
    for (let i = 0; i < batch; i++) {
      const b = pool.alloc()!;
      b.bytes[b.bufOffset] = i;
      held[i] = b;
    }
    for (let i = 0; i < batch; i++) pool.release(held[i]!);
    return batch;
  };
  const r = await measure(step, cycles, 1_000_000);
  if (pool.freeCount !== pool.capacity) throw new Error("pool leaked buffers");
  const cyclesPerSec = r.packets / r.seconds;
  report(
    {
      name: "pool",
      bufLen: 2048,
      batch,
      capacity: 4096,
      packets: r.packets,
      cyclesPerSecond: Math.round(cyclesPerSec),
      mpps: r.mpps,
      nsPerPacket: r.nsPerPacket,
      gcEvents: r.gcEvents,
    },
    [
      `NetBufPool(4096 x 2048): ${(cyclesPerSec / 1e6).toFixed(1)} M alloc+release cycles/s over ${r.packets} cycles`,
    ],
  );
}
