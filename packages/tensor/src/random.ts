/**
 * Seeded randomness: xoshiro128** (Blackman & Vigna, 2018), a 32-bit generator with 128 bits of
 * state, seeded through splitmix32. It uses only 32-bit integer arithmetic (`Math.imul`, `>>>`),
 * so the same seed gives the same numbers on every run, machine and Node.js version.
 */
import { CreateOptions, DataArray, Shape, Tensor, allocLike, checkShape, fmtShape, sizeOf } from './tensor';

/**
 * A seeded generator (xoshiro128**): the same seed gives the same numbers on every machine.
 * @example
 *   const rng = new Rng(42);
 *   rng.next();        // uniform in [0, 1)
 *   rng.normal(0, 1);  // standard normal
 *   rng.int(10);       // integer in 0..9
 */
export class Rng {
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  private spareNormal: number | null = null;

  constructor(seed = 0) {
    this.seed(seed);
  }

  /** Re-seeds: splitmix32 expands the seed into the four state words. */
  seed(seed: number): void {
    let x = seed >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.s0 = next();
    this.s1 = next();
    this.s2 = next();
    this.s3 = next();
    if ((this.s0 | this.s1 | this.s2 | this.s3) === 0) this.s0 = 1;
    this.spareNormal = null;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const result = Math.imul(rotl(Math.imul(this.s1, 5), 7), 9) >>> 0;
    const t = this.s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= this.s1;
    this.s1 ^= this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result;
  }

  /** Uniform in [0, 1) with 32 bits of resolution. */
  next(): number {
    return this.nextUint32() / 4294967296;
  }

  /** Uniform in [low, high). */
  uniform(low = 0, high = 1): number {
    return low + (high - low) * this.next();
  }

  /** Standard normal by the Box-Muller transform (pairs, the second one kept for the next call). */
  normal(mean = 0, stddev = 1): number {
    if (this.spareNormal !== null) {
      const z = this.spareNormal;
      this.spareNormal = null;
      return mean + stddev * z;
    }
    let u = 0;
    while (u === 0) u = this.next();
    const v = this.next();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spareNormal = r * Math.sin(2 * Math.PI * v);
    return mean + stddev * r * Math.cos(2 * Math.PI * v);
  }

  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A copy at the same point of the stream: it draws what this one would draw next. */
  clone(): Rng {
    const c = new Rng();
    c.s0 = this.s0;
    c.s1 = this.s1;
    c.s2 = this.s2;
    c.s3 = this.s3;
    c.spareNormal = this.spareNormal;
    return c;
  }

  /** A new generator whose stream is derived from this one (for independent sub-streams). */
  fork(): Rng {
    return new Rng(this.nextUint32());
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** Options of the random creation functions: `dtype`, and `seed` (default 0) or an `rng` to draw from. */
export interface RandomOptions extends CreateOptions {
  seed?: number;
  /** A generator to draw from instead of a fresh one seeded with `seed`. */
  rng?: Rng;
}

function rngOf(options: RandomOptions): Rng {
  return options.rng ?? new Rng(options.seed ?? 0);
}

function filled(op: string, shape: Shape, options: RandomOptions, draw: (rng: Rng) => number): Tensor {
  checkShape(op, shape);
  const rng = rngOf(options);
  const out: DataArray = allocLike(options.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = draw(rng);
  return new Tensor(out, shape);
}

/** Uniform in [minval, maxval). */
export function randomUniform(shape: Shape, minval = 0, maxval = 1, options: RandomOptions = {}): Tensor {
  if (!(maxval >= minval)) throw new Error(`randomUniform: maxval ${maxval} is below minval ${minval}`);
  return filled('randomUniform', shape, options, (r) => r.uniform(minval, maxval));
}

/**
 * Normal(mean, stddev) samples of `shape` (Box-Muller on a seeded generator).
 * @example randomNormal([3, 2], 0, 1, { seed: 1 })
 */
export function randomNormal(shape: Shape, mean = 0, stddev = 1, options: RandomOptions = {}): Tensor {
  return filled('randomNormal', shape, options, (r) => r.normal(mean, stddev));
}

/** Normal, with values beyond two standard deviations redrawn (as tf.random.truncated_normal). */
export function truncatedNormal(shape: Shape, mean = 0, stddev = 1, options: RandomOptions = {}): Tensor {
  return filled('truncatedNormal', shape, options, (r) => {
    for (;;) {
      const z = r.normal();
      if (Math.abs(z) <= 2) return mean + stddev * z;
    }
  });
}

/** Fisher-Yates shuffle of `0..n-1` (or of the given array, in place). */
export function shuffle<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const tmp = items[i];
    items[i] = items[j];
    items[j] = tmp;
  }
  return items;
}

/** A random permutation of `0..n-1` drawn from `rng`. */
export function permutation(n: number, rng: Rng): number[] {
  return shuffle(Array.from({ length: n }, (_, i) => i), rng);
}

/**
 * Inverted-dropout mask: each element is 0 with probability `rate`, else `1 / (1 - rate)`,
 * so that the expected value of `x * mask` is `x`.
 */
export function dropoutMask(shape: Shape, rate: number, rng: Rng, options: CreateOptions = {}): Tensor {
  if (!(rate >= 0 && rate < 1)) throw new Error(`dropoutMask: rate must be in [0, 1), received ${rate} for shape ${fmtShape(shape)}`);
  checkShape('dropoutMask', shape);
  const keep = 1 / (1 - rate);
  const out = allocLike(options.dtype ?? 'float32', sizeOf(shape));
  for (let i = 0; i < out.length; i++) out[i] = rng.next() < rate ? 0 : keep;
  return new Tensor(out, shape);
}
