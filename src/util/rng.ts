/**
 * A small seedable PRNG (sfc32) whose whole state is four 32-bit integers, so it can be saved in a checkpoint and
 * resumed exactly. Math.random cannot be seeded or saved, hence this.
 */

export type RngState = [number, number, number, number];

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(state: RngState) {
    [this.a, this.b, this.c, this.d] = state.map((v) => v >>> 0) as RngState;
  }

  /** A generator from any list of integers (seed, epoch, index…), mixed so that nearby seeds give unrelated streams. */
  static fromSeed(...parts: number[]): Rng {
    let h = 0x9e3779b9;
    const mixed: number[] = [];
    for (let i = 0; i < 4; i++) {
      for (const p of parts) h = Math.imul(h ^ (p >>> 0), 0x85ebca6b) ^ (h >>> 13);
      h = Math.imul(h ^ (h >>> 16), 0xc2b2ae35) + i;
      mixed.push(h >>> 0);
    }
    const rng = new Rng(mixed as RngState);
    for (let i = 0; i < 12; i++) rng.nextUint32(); // warm up: sfc32's first outputs are correlated with the seed
    return rng;
  }

  state(): RngState {
    return [this.a, this.b, this.c, this.d];
  }

  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A shuffled copy (Fisher–Yates). */
  shuffle<T>(items: readonly T[]): T[] {
    const out = items.slice();
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}
