/**
 * Weight initializers with Keras's definitions. fanIn / fanOut follow Keras: for a kernel
 * [in, out] they are in and out; for higher ranks the receptive field multiplies both.
 *
 * All draw from one seeded generator (`setSeed`, default seed 0), or from their own `seed`:
 * building the same model in a fresh process always gives the same weights.
 *
 * @packageDocumentation
 */
import * as T from '@seqlab/tensor';
import { Rng, Shape, Tensor, gemmNN, gemmNT } from '@seqlab/tensor';

let globalRng = new Rng(0);
let globalSeed = 0;
let streams = 0;

/** Seeds every initializer, dropout mask and shuffle that has no seed of its own (as keras.utils.set_random_seed). */
export function setSeed(seed: number): void {
  globalRng = new Rng(seed);
  globalSeed = seed >>> 0;
  streams = 0;
}

/**
 * A generator of its own, derived from the seed of `setSeed` and how many streams were made since
 * (not drawn from the shared generator, so making one changes no other draw). Each model takes
 * one for its dropout masks and shuffles: two models training at once stay reproducible.
 */
export function newRandomStream(): Rng {
  streams++;
  // splitmix-style mix of (seed, stream index) into one 32-bit seed
  let z = (globalSeed ^ Math.imul(streams, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
  return new Rng((z ^ (z >>> 16)) >>> 0);
}

/**
 * Runs `fn` with `rng` as the shared generator, then puts the previous one back: loading a model
 * file builds its layers (drawing initial weights that the file's weights replace) without
 * advancing the generator the user's own code draws from.
 */
export function withRng<T>(rng: Rng, fn: () => T): T {
  const saved = globalRng;
  globalRng = rng;
  try {
    return fn();
  } finally {
    globalRng = saved;
  }
}

/** The shared generator (for layers that need randomness: dropout, initializers). */
export function getRng(): Rng {
  return globalRng;
}

/** A function that makes a weight tensor of a given shape (float32). */
export type Initializer = (shape: Shape) => Tensor;

/** Options of the random initializers: a `seed` (without one they draw from the global `setSeed` stream). */
export interface InitializerConfig {
  seed?: number;
}

function rngFor(config: InitializerConfig): Rng {
  return config.seed === undefined ? globalRng : new Rng(config.seed);
}

function fans(shape: Shape): [number, number] {
  if (shape.length === 0) return [1, 1];
  if (shape.length === 1) return [shape[0], shape[0]];
  if (shape.length === 2) return [shape[0], shape[1]];
  const receptive = shape.slice(0, -2).reduce((a, b) => a * b, 1);
  return [shape[shape.length - 2] * receptive, shape[shape.length - 1] * receptive];
}

/**
 * What a file records about an initializer: its Keras class name and config
 * (`{ class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } }`).
 * The built-in initializers carry it; a user's own function has none (files then keep the weights
 * it produced, not the function).
 */
export interface InitializerDescription {
  class_name: string;
  config: Record<string, unknown>;
}

const descriptions = new WeakMap<Initializer, InitializerDescription>();

function described(class_name: string, config: Record<string, unknown>, init: Initializer): Initializer {
  descriptions.set(init, { class_name, config });
  return init;
}

/** The Keras description of a built-in initializer, or null for a user's function. */
export function describeInitializer(init: Initializer): InitializerDescription | null {
  const d = descriptions.get(init);
  return d ? { class_name: d.class_name, config: { ...d.config } } : null;
}

const seedOf = (config: InitializerConfig): number | null => config.seed ?? null;

/** All zeros (Keras's default bias). */
export const zeros = (): Initializer => described('Zeros', {}, (shape) => T.zeros(shape));
/** All ones. */
export const ones = (): Initializer => described('Ones', {}, (shape) => T.ones(shape));
/** Every element `value`. */
export const constant = (value: number): Initializer => described('Constant', { value }, (shape) => T.fill(shape, value));

/** U(minval, maxval), default U(-0.05, 0.05) (Embedding's default, as Keras). */
export const randomUniform = (minval = -0.05, maxval = 0.05, config: InitializerConfig = {}): Initializer =>
  described('RandomUniform', { minval, maxval, seed: seedOf(config) }, (shape) => T.randomUniform(shape, minval, maxval, { rng: rngFor(config) }));
/** N(mean, stddev), default N(0, 0.05). */
export const randomNormal = (mean = 0, stddev = 0.05, config: InitializerConfig = {}): Initializer =>
  described('RandomNormal', { mean, stddev, seed: seedOf(config) }, (shape) => T.randomNormal(shape, mean, stddev, { rng: rngFor(config) }));
/** N(mean, stddev) with values beyond two standard deviations redrawn, default N(0, 0.05). */
export const truncatedNormal = (mean = 0, stddev = 0.05, config: InitializerConfig = {}): Initializer =>
  described('TruncatedNormal', { mean, stddev, seed: seedOf(config) }, (shape) => T.truncatedNormal(shape, mean, stddev, { rng: rngFor(config) }));

/** Glorot (Xavier) uniform, Keras's default kernel: U(-l, l), l = √(6 / (fanIn + fanOut)). */
export const glorotUniform = (config: InitializerConfig = {}): Initializer =>
  described('GlorotUniform', { seed: seedOf(config) }, (shape) => {
    const [fi, fo] = fans(shape);
    const limit = Math.sqrt(6 / (fi + fo));
    return T.randomUniform(shape, -limit, limit, { rng: rngFor(config) });
  });
/** Glorot normal: truncated N(0, σ), σ = √(2 / (fanIn + fanOut)) / .87962566 (truncation correction). */
export const glorotNormal = (config: InitializerConfig = {}): Initializer =>
  described('GlorotNormal', { seed: seedOf(config) }, (shape) => {
    const [fi, fo] = fans(shape);
    return T.truncatedNormal(shape, 0, Math.sqrt(2 / (fi + fo)) / 0.87962566103423978, { rng: rngFor(config) });
  });
/** He uniform: U(-l, l), l = √(6 / fanIn). */
export const heUniform = (config: InitializerConfig = {}): Initializer =>
  described('HeUniform', { seed: seedOf(config) }, (shape) => {
    const limit = Math.sqrt(6 / fans(shape)[0]);
    return T.randomUniform(shape, -limit, limit, { rng: rngFor(config) });
  });
/** He normal: truncated N(0, σ), σ = √(2 / fanIn) / .87962566. */
export const heNormal = (config: InitializerConfig = {}): Initializer =>
  described('HeNormal', { seed: seedOf(config) }, (shape) =>
    T.truncatedNormal(shape, 0, Math.sqrt(2 / fans(shape)[0]) / 0.87962566103423978, { rng: rngFor(config) }));

/**
 * variance_scaling (Keras): n = fanIn, fanOut or their mean (mode); uniform: U(-l, l) with
 * l = √(3·scale / n); normal ('truncated_normal', Keras 2's 'normal'): truncated N(0, √(scale / n) / .87962566);
 * 'untruncated_normal': N(0, √(scale / n)). Glorot and He are special cases.
 */
export const varianceScaling = (scale = 1, mode = 'fan_in', distribution = 'truncated_normal', config: InitializerConfig = {}): Initializer =>
  described('VarianceScaling', { scale, mode, distribution, seed: seedOf(config) }, (shape) => {
    const [fi, fo] = fans(shape);
    const n = mode === 'fan_out' ? fo : mode === 'fan_avg' ? (fi + fo) / 2 : fi;
    const rng = rngFor(config);
    if (distribution === 'uniform') {
      const limit = Math.sqrt((3 * scale) / n);
      return T.randomUniform(shape, -limit, limit, { rng });
    }
    if (distribution === 'untruncated_normal') return T.randomNormal(shape, 0, Math.sqrt(scale / n), { rng });
    return T.truncatedNormal(shape, 0, Math.sqrt(scale / n) / 0.87962566103423978, { rng });
  });

/**
 * orthogonal (Saxe et al. 2014, as Keras): draw A ~ N(0, 1) of [rows, cols] (rows = product of
 * all but the last axis), take Q of A = QR with sign(diag R) folded in, so Q is uniformly
 * distributed. Computed on the shorter side by block Gram-Schmidt with reorthogonalization (BCGS2):
 * the projections onto earlier blocks are GEMMs, so [512, 2048] takes a fraction of a second.
 */
export const orthogonal = (gain = 1, config: InitializerConfig = {}): Initializer => described('Orthogonal', { gain, seed: seedOf(config) }, (shape) => {
  if (shape.length < 2) throw new Error(`orthogonal: expected a shape of rank >= 2, received [${shape.join(',')}]`);
  const cols = shape[shape.length - 1];
  const rows = shape.slice(0, -1).reduce((a, b) => a * b, 1);
  const rng = rngFor(config);
  // vectors to orthonormalize: the columns of A when rows >= cols (tall), else its rows
  const count = Math.min(rows, cols);
  const len = Math.max(rows, cols);
  const v = new Float64Array(count * len);
  const a = new Float64Array(rows * cols);
  for (let i = 0; i < a.length; i++) a[i] = rng.normal();
  const tall = rows >= cols;
  for (let q = 0; q < count; q++) for (let p = 0; p < len; p++) v[q * len + p] = tall ? a[p * cols + q] : a[q * cols + p];
  orthonormalizeRows(v, count, len);
  const out = new Float32Array(rows * cols);
  for (let q = 0; q < count; q++) {
    for (let p = 0; p < len; p++) {
      if (tall) out[p * cols + q] = gain * v[q * len + p];
      else out[q * cols + p] = gain * v[q * len + p];
    }
  }
  return new Tensor(out, shape);
});

/**
 * Orthonormalizes the `count` rows (length `len`) of `v` in place, in order, so that
 * v = R·Q with R lower-triangular with a positive diagonal (Gram-Schmidt):
 * for each block of rows, twice: subtract the projection on the finished rows
 * (C = V_blk·Qᵀ, V_blk ← V_blk - C·Q, two GEMMs), then modified Gram-Schmidt inside the block.
 */
function orthonormalizeRows(v: Float64Array, count: number, len: number): void {
  const bs = 32;
  const c = new Float64Array(bs * count);
  const proj = new Float64Array(bs * len);
  for (let b0 = 0; b0 < count; b0 += bs) {
    const m = Math.min(bs, count - b0);
    for (let pass = 0; pass < 2; pass++) {
      if (b0 > 0) {
        gemmNT({ m, n: b0, k: len, a: v, aOffset: b0 * len, b: v, c });
        gemmNN({ m, n: len, k: b0, a: c, b: v, c: proj });
        for (let i = 0; i < m * len; i++) v[b0 * len + i] -= proj[i];
      }
      for (let q = b0; q < b0 + m; q++) {
        const vq = q * len;
        for (let r = b0; r < q; r++) {
          const vr = r * len;
          let dot = 0;
          for (let p = 0; p < len; p++) dot += v[vq + p] * v[vr + p];
          for (let p = 0; p < len; p++) v[vq + p] -= dot * v[vr + p];
        }
        let norm = 0;
        for (let p = 0; p < len; p++) norm += v[vq + p] * v[vq + p];
        norm = Math.sqrt(norm);
        for (let p = 0; p < len; p++) v[vq + p] /= norm;
      }
    }
  }
}

/** The built-in initializers by their camelCase names (Keras's snake_case names are accepted too). */
export type InitializerName =
  | 'zeros' | 'ones' | 'glorotUniform' | 'glorotNormal' | 'heUniform' | 'heNormal' | 'orthogonal'
  | 'randomUniform' | 'randomNormal' | 'truncatedNormal';

/**
 * An initializer by name, or a function of your own.
 * @example new Dense({ units: 8, kernelInitializer: 'heNormal', biasInitializer: (shape) => fill(shape, 0.1) })
 */
export type InitializerSpec = InitializerName | Initializer | string;

const byName: Record<string, () => Initializer> = {
  zeros, ones, glorotUniform, glorotNormal, heUniform, heNormal, orthogonal: () => orthogonal(),
  randomUniform: () => randomUniform(), randomNormal: () => randomNormal(), truncatedNormal: () => truncatedNormal(),
};

/** snake_case → camelCase, so 'glorot_uniform' and 'glorotUniform' both work. */
export function camel(name: string): string {
  return name.replace(/_([a-z0-9])/g, (_, c: string) => c.toUpperCase());
}

/**
 * An initializer from its name (camelCase or Keras's snake_case) or the function itself; an unknown
 * name is refused with the list of known ones, naming `owner`.
 */
export function getInitializer(spec: InitializerSpec, owner = 'initializer'): Initializer {
  if (typeof spec === 'function') return spec;
  const make = byName[camel(spec)];
  if (!make) throw new Error(`${owner}: unknown initializer '${spec}'; expected one of ${Object.keys(byName).join(', ')}, or a function`);
  return make();
}

/** Keras initializer class names (both Keras 2 and 3 spellings) to the factories above. */
const fromKeras: Record<string, (c: Record<string, unknown>) => Initializer> = {
  Zeros: () => zeros(),
  Ones: () => ones(),
  Constant: (c) => constant(Number(c.value ?? 0)),
  RandomUniform: (c) => randomUniform(num(c.minval, -0.05), num(c.maxval, 0.05), seeded(c)),
  RandomNormal: (c) => randomNormal(num(c.mean, 0), num(c.stddev, 0.05), seeded(c)),
  TruncatedNormal: (c) => truncatedNormal(num(c.mean, 0), num(c.stddev, 0.05), seeded(c)),
  GlorotUniform: (c) => glorotUniform(seeded(c)),
  GlorotNormal: (c) => glorotNormal(seeded(c)),
  HeUniform: (c) => heUniform(seeded(c)),
  HeNormal: (c) => heNormal(seeded(c)),
  Orthogonal: (c) => orthogonal(num(c.gain, 1), seeded(c)),
  VarianceScaling: (c) => varianceScaling(num(c.scale, 1), String(c.mode ?? 'fan_in'), String(c.distribution ?? 'truncated_normal'), seeded(c)),
  LecunNormal: (c) => varianceScaling(1, 'fan_in', 'truncated_normal', seeded(c)),
  LecunUniform: (c) => varianceScaling(1, 'fan_in', 'uniform', seeded(c)),
};

function num(v: unknown, dflt: number): number {
  return typeof v === 'number' ? v : dflt;
}

function seeded(c: Record<string, unknown>): InitializerConfig {
  return typeof c.seed === 'number' ? { seed: c.seed } : {};
}

/**
 * The initializer a file describes (`{ class_name: 'GlorotUniform', config: { seed: null } }`, or
 * a bare name such as 'glorot_uniform'). `owner` names the layer in errors.
 */
export function initializerFromDescription(desc: unknown, owner = 'initializer'): Initializer {
  if (typeof desc === 'string') return getInitializer(desc, owner);
  const d = desc as InitializerDescription | null;
  if (d === null || typeof d !== 'object' || typeof d.class_name !== 'string') {
    throw new Error(`${owner}: expected an initializer { class_name, config }, received ${JSON.stringify(desc)}`);
  }
  // Keras 2 also writes 'VarianceScaling'-based names as their own class; tfjs writes the same names
  const make = fromKeras[d.class_name];
  if (!make) throw new Error(`${owner}: unknown initializer class '${d.class_name}'; expected one of ${Object.keys(fromKeras).join(', ')}`);
  return make(d.config ?? {});
}
