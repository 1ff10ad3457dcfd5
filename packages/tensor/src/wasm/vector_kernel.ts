/**
 * The vector activations module: σ, tanh and exp in place over float32 values in wasm memory,
 * two at a time in f64x2 lanes, computing exactly what the scalar `exp32`, `sigmoid32`, `tanh32`
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

/** fn(p, n): buf[p .. p + 4n) (bytes) = fn(buf) in place, n rounded up to even (callers leave room). */
function vectorFunction(fn: VectorFn): Func {
  const f = new Func(fn, [['p', I32], ['n', I32]]);
  const [end, x, r, e, nf] = [f.local('end', I32), f.local('x', V128), f.local('r', V128), f.local('e', V128), f.local('nf', V128)];
  // end = p + 4·n
  f.get('p').get('n').i32(2).op('i32.shl').op('i32.add').set(end);
  f.block(() => f.loop(() => {
    f.get('p').get(end).op('i32.ge_u').brIf(1);
    // x: two float32 values, widened
    f.get('p').op('v128.load64_zero').op('f64x2.promote_low_f32x4').set(x);
    if (fn === 'sigmoid') f.get(x).op('f64x2.neg').set(x);
    if (fn === 'tanh') f.f64x2(2).get(x).op('f64x2.mul').set(x);
    const [lo, hi] = fn === 'exp' ? [EXP_MIN, EXP_MAX] : [-CLAMP, CLAMP];
    f.get(x).f64x2(hi).op('f64x2.min').f64x2(lo).op('f64x2.max').set(x);
    // n = floor(x·log2 e + 1/2);  r = x - n·ln 2
    f.get(x).f64x2(LOG2E).op('f64x2.mul').f64x2(0.5).op('f64x2.add').op('f64x2.floor').set(nf);
    f.get(x).get(nf).f64x2(LN2).op('f64x2.mul').op('f64x2.sub').set(r);
    // e^r by Horner: e = c0; e = c_i + r·e
    f.f64x2(EXP_TAYLOR[0]).set(e);
    for (const c of EXP_TAYLOR.slice(1)) f.f64x2(c).get(r).get(e).op('f64x2.mul').op('f64x2.add').set(e);
    // · 2^n, built from its exponent bits: (n + 1023) << 52
    f.get(e);
    f.get(nf).op('i32x4.trunc_sat_f64x2_s_zero').op('i64x2.extend_low_i32x4_s').i64x2(1023).op('i64x2.add').i32(52).op('i64x2.shl');
    f.op('f64x2.mul').set(e);
    if (fn === 'sigmoid') f.f64x2(1).f64x2(1).get(e).op('f64x2.add').op('f64x2.div').set(e);
    if (fn === 'tanh') f.f64x2(1).f64x2(2).get(e).f64x2(1).op('f64x2.add').op('f64x2.div').op('f64x2.sub').set(e);
    // back to float32, stored over the two inputs
    f.get('p').get(e).op('f32x4.demote_f64x2_zero').storeLane('v128.store64_lane', 0, 0);
    f.inc('p', 8).br(0);
  }));
  return f;
}

/** The vector module's bytes: sigmoid, tanh, exp. */
export function vectorModule(): Uint8Array {
  return encodeModule([vectorFunction('sigmoid'), vectorFunction('tanh'), vectorFunction('exp')]);
}
