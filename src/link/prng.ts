/**
 * A small deterministic pseudo-random generator (mulberry32): the same seed gives the same sequence on
 * every run and platform, so a lossy wire drops the same frames each time a test runs. Not for security.
 */
export class SeededRandom {
  private state: number;

  /** @param seed any 32-bit integer */
  constructor(seed: number) {
    this.state = seed | 0;
  }

  /** The next value, a uniformly distributed unsigned 32-bit integer. */
  nextU32(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** The next value in [0, 1). */
  nextFloat(): number {
    return this.nextU32() / 4294967296;
  }
}
