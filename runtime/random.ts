// Seeded randomness: sfc32, a small fast PRNG with a 128-bit state. The same seed gives the
// same sequence on every machine, which is what replay needs.

/** A source of randomness owned by a system. */
export interface Random {
  /** The seed this source started from (log it to replay a run). */
  readonly seed: number;
  /** A float in [0, 1). */
  next(): number;
  /** An integer in [0, maxExclusive). */
  int(maxExclusive: number): number;
  /** `n` random bytes. */
  bytes(n: number): Uint8Array;
}

/**
 * Creates a seeded random source.
 * @example const r = createSeededRandom(42); r.int(6) // same value on every run
 */
export function createSeededRandom(seed: number): Random {
  let a = 0x9e3779b9, b = 0x243f6a88, c = 0xb7e15162, d = seed >>> 0;
  const step = (): number => {
    a >>>= 0; b >>>= 0; c >>>= 0; d >>>= 0;
    let t = (a + b) | 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) | 0;
    c = (c << 21) | (c >>> 11);
    d = (d + 1) | 0;
    t = (t + d) | 0;
    c = (c + t) | 0;
    return t >>> 0;
  };
  for (let i = 0; i < 15; i++) step();
  return {
    seed,
    next: () => step() / 4294967296,
    int: (max) => Math.floor((step() / 4294967296) * max),
    bytes: (n) => {
      const out = new Uint8Array(n);
      for (let i = 0; i < n; i += 4) {
        const v = step();
        for (let j = 0; j < 4 && i + j < n; j++) out[i + j] = (v >>> (8 * j)) & 0xff;
      }
      return out;
    },
  };
}
