// A small, fast, seeded PRNG: sfc32 (Chris Doty-Humphrey's Small Fast Counting
// generator, 128-bit state, passes PractRand far beyond what a data generator
// needs). Math.random is neither seedable nor reproducible, so every random
// choice in src/generate/ goes through one of these.

/** Derive independent 32-bit words from a seed string (FNV-1a, then splitmix32). */
function seedWords(seed: string, stream: number): [number, number, number, number] {
  let h = 0x811c9dc5 ^ Math.imul(stream + 1, 0x9e3779b9);
  for (let i = 0; i < seed.length; i++) {
    h ^= seed.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  const out: number[] = [];
  for (let i = 0; i < 4; i++) {
    h = (h + 0x9e3779b9) | 0;
    let z = h;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    out.push((z ^ (z >>> 16)) | 0);
  }
  return out as [number, number, number, number];
}

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  /**
   * `seed` is any string (the CLI's `--seed` as typed); `stream` picks one of
   * several independent sequences for the same seed.
   */
  constructor(seed: string, stream = 0) {
    [this.a, this.b, this.c, this.d] = seedWords(seed, stream);
    for (let i = 0; i < 15; i++) this.u32(); // mix the seed into the whole state
  }

  /** A uniform unsigned 32-bit integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** A uniform float in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** A uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A uniform integer in [lo, hi] (both inclusive). */
  range(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }

  /** true with probability p. */
  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(items: readonly T[]): T {
    return items[Math.floor(this.next() * items.length)]!;
  }

  /** `n` random decimal digits as a string. */
  digits(n: number): string {
    let s = '';
    while (n > 0) {
      const k = n > 9 ? 9 : n;
      s += String(this.int(10 ** k)).padStart(k, '0');
      n -= k;
    }
    return s;
  }
}

/**
 * Picks from weighted items in O(1): the weights (small integers) are expanded
 * into a table once.
 */
export function weighted<T>(entries: ReadonlyArray<readonly [T, number]>): readonly T[] {
  const table: T[] = [];
  for (const [item, weight] of entries) for (let i = 0; i < weight; i++) table.push(item);
  return table;
}
