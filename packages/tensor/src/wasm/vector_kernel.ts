/**
 * The vector activations module: σ, tanh and exp in place over float32 values in wasm memory,
 * two at a time in f64x2 lanes (four pairs a loop trip), computing exactly what the scalar `exp32`, `sigmoid32`, `tanh32`
 * (vector.ts) compute, operation for operation, so the results are bit-identical to them:
 *
 *   z = clamp(x')                        x' = -x for σ, 2x for tanh (to ±80), x for exp (to [-104, 89])
 *   n = floor(z·log2(e) + 1/2)           e^z = 2^n · e^r,  r = z - n·ln 2 in [-ln2/2, ln2/2]
 *   e^r = 1 + r(1 + r(1/2 + r(1/6 + r(1/24 + r(1/120 + r(1/720 + r/5040))))))   (Taylor, degree 7)
 *   2^n: the float64 with exponent field n + 1023                (exact for |n| <= 150)
 *   σ(x) = 1 / (1 + e^z),   tanh(x) = 1 - 2 / (e^z + 1)
 *
 * Working in float64 keeps the relative error of e^z under 1e-8 before the one rounding to float32
 * (the same accuracy as the scalar path, which these functions replace where wasm runs).
 */
import { Func, I32, V128, encodeModule } from './encode';

export const LOG2E = 1.4426950408889634;
export const LN2 = 0.6931471805599453;
/** Taylor coefficients of e^r, highest first (1/5040 … 1/2, 1, 1): the scalar code uses the same. */
export const EXP_TAYLOR = [1 / 5040, 1 / 720, 1 / 120, 1 / 24, 1 / 6, 0.5, 1, 1];
/** σ and tanh clamp their exponent to ±CLAMP; exp clamps x to [EXP_MIN, EXP_MAX] (0 and Infinity in float32 beyond). */
export const CLAMP = 80;
export const EXP_MIN = -104;
export const EXP_MAX = 89;

/** The vector activations emitted as wasm: σ, tanh and exp over a float32 buffer. */
export type VectorFn = 'sigmoid' | 'tanh' | 'exp';

/** Pairs of values worked per loop trip: independent chains the core overlaps (one chain leaves it waiting on latencies). */
const CHAINS = 4;

/**
 * fn(p, n): buf[p .. p + 4n) (bytes) = fn(buf) in place, n rounded up to even (callers leave room).
 * The main loop works CHAINS pairs at a time, the tail one pair at a time; each pair is the same
 * operations either way. Two choices keep the instruction count down without changing a value:
 * the clamp is `pmin`/`pmax` (one instruction each; x first, so a NaN passes through as NaN, as in
 * the scalar clamp), and 2^n is read from the bits of n + 2⁵² + 1023 (a float64 whose low mantissa
 * bits hold the integer n + 1023, shifted up into the exponent field) instead of a conversion to
 * integers.
 */
function vectorFunction(fn: VectorFn): Func {
  const f = new Func(fn, [['p', I32], ['n', I32]]);
  const end = f.local('end', I32);
  const chains = Array.from({ length: CHAINS }, (_, u) => ({
    x: f.local(`x${u}`, V128), r: f.local(`r${u}`, V128), e: f.local(`e${u}`, V128), nf: f.local(`nf${u}`, V128),
  }));
  const [lo, hi] = fn === 'exp' ? [EXP_MIN, EXP_MAX] : [-CLAMP, CLAMP];
  /** The pairs at p + 8u for the first `count` chains, one stage at a time across the chains. */
  const pairs = (count: number) => {
    const each = (stage: (c: (typeof chains)[number], u: number) => void) => chains.slice(0, count).forEach(stage);
    // x: two float32 values, widened; x' = -x for σ, 2x for tanh; clamped
    each(({ x }, u) => f.get('p').op('v128.load64_zero', 8 * u).op('f64x2.promote_low_f32x4').set(x));
    if (fn === 'sigmoid') each(({ x }) => f.get(x).op('f64x2.neg').set(x));
    if (fn === 'tanh') each(({ x }) => f.f64x2(2).get(x).op('f64x2.mul').set(x));
    each(({ x }) => f.get(x).f64x2(hi).op('f64x2.pmin').f64x2(lo).op('f64x2.pmax').set(x));
    // n = floor(x·log2 e + 1/2);  r = x - n·ln 2
    each(({ x, nf }) => f.get(x).f64x2(LOG2E).op('f64x2.mul').f64x2(0.5).op('f64x2.add').op('f64x2.floor').set(nf));
    each(({ x, r, nf }) => f.get(x).get(nf).f64x2(LN2).op('f64x2.mul').op('f64x2.sub').set(r));
    // e^r by Horner: e = c0; e = c_i + r·e
    each(({ e }) => f.f64x2(EXP_TAYLOR[0]).set(e));
    for (const c of EXP_TAYLOR.slice(1)) each(({ r, e }) => f.f64x2(c).get(r).get(e).op('f64x2.mul').op('f64x2.add').set(e));
    // · 2^n: the bits of n + 2⁵² + 1023, shifted left by 52, are the float64 2^n
    each(({ e, nf }) => f.get(e).get(nf).f64x2(2 ** 52 + 1023).op('f64x2.add').i32(52).op('i64x2.shl').op('f64x2.mul').set(e));
    if (fn === 'sigmoid') each(({ e }) => f.f64x2(1).f64x2(1).get(e).op('f64x2.add').op('f64x2.div').set(e));
    if (fn === 'tanh') each(({ e }) => f.f64x2(1).f64x2(2).get(e).f64x2(1).op('f64x2.add').op('f64x2.div').op('f64x2.sub').set(e));
    // back to float32, stored over the inputs
    each(({ e }, u) => f.get('p').get(e).op('f32x4.demote_f64x2_zero').storeLane('v128.store64_lane', 8 * u, 0));
    f.inc('p', 8 * count);
  };
  // end = p + 4·n
  f.get('p').get('n').i32(2).op('i32.shl').op('i32.add').set(end);
  // CHAINS pairs a trip while they fit, then one pair a trip
  f.block(() => f.loop(() => {
    f.get('p').i32(8 * CHAINS).op('i32.add').get(end).op('i32.gt_u').brIf(1);
    pairs(CHAINS);
    f.br(0);
  }));
  f.block(() => f.loop(() => {
    f.get('p').get(end).op('i32.ge_u').brIf(1);
    pairs(1);
    f.br(0);
  }));
  return f;
}

/** The vector module's bytes: sigmoid, tanh, exp. */
export function vectorModule(): Uint8Array {
  return encodeModule([vectorFunction('sigmoid'), vectorFunction('tanh'), vectorFunction('exp')]);
}
