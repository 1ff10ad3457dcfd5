/**
 * The vector activations module: σ, tanh and exp in place over float32 values in wasm memory,
 * two at a time in f64x2 lanes (four pairs a loop trip, an odd last value alone), computing exactly what the scalar `exp32`, `sigmoid32`, `tanh32`
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

type Chain = { x: string; r: string; e: string; nf: string };

/**
 * Emits fn over `count` chains at p + 8u (u < count): `single` works one value (the odd last of a
 * row) instead of a pair. Each value goes through the same operations either way. Two choices
 * keep the instruction count down without changing a value: the clamp is `pmin`/`pmax` (one
 * instruction each; x first, so a NaN passes through as NaN, as in the scalar clamp), and 2^n is
 * read from the bits of n + 2⁵² + 1023 (a float64 whose low mantissa bits hold the integer
 * n + 1023, shifted up into the exponent field) instead of a conversion to integers.
 */
function emitValues(f: Func, fn: VectorFn, chains: Chain[], single = false): void {
  const [lo, hi] = fn === 'exp' ? [EXP_MIN, EXP_MAX] : [-CLAMP, CLAMP];
  const each = (stage: (c: Chain, u: number) => void) => chains.forEach(stage);
  // x: two float32 values (or one), widened; x' = -x for σ, 2x for tanh; clamped
  each(({ x }, u) => f.get('p').op(single ? 'v128.load32_zero' : 'v128.load64_zero', 8 * u).op('f64x2.promote_low_f32x4').set(x));
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
  each(({ e }, u) => f.get('p').get(e).op('f32x4.demote_f64x2_zero').storeLane(single ? 'v128.store32_lane' : 'v128.store64_lane', 8 * u, 0));
}

/** The locals of CHAINS chains. */
function chainLocals(f: Func): Chain[] {
  return Array.from({ length: CHAINS }, (_, u) => ({
    x: f.local(`x${u}`, V128), r: f.local(`r${u}`, V128), e: f.local(`e${u}`, V128), nf: f.local(`nf${u}`, V128),
  }));
}

/** buf[p .. end) (bytes) = fn in place: CHAINS pairs a trip while they fit, then a pair a trip, then the odd last value. */
function emitRange(f: Func, fn: VectorFn, chains: Chain[], end: string): void {
  f.block(() => f.loop(() => {
    f.get('p').i32(8 * CHAINS).op('i32.add').get(end).op('i32.gt_u').brIf(1);
    emitValues(f, fn, chains);
    f.inc('p', 8 * CHAINS).br(0);
  }));
  f.block(() => f.loop(() => {
    f.get('p').i32(8).op('i32.add').get(end).op('i32.gt_u').brIf(1);
    emitValues(f, fn, chains.slice(0, 1));
    f.inc('p', 8).br(0);
  }));
  f.get('p').get(end).op('i32.lt_u').if(() => emitValues(f, fn, chains.slice(0, 1), true));
}

/** fn(p, n): buf[p .. p + 4n) (bytes) = fn(buf) in place. */
function vectorFunction(fn: VectorFn): Func {
  const f = new Func(fn, [['p', I32], ['n', I32]]);
  const end = f.local('end', I32);
  const chains = chainLocals(f);
  f.get('p').get('n').i32(2).op('i32.shl').op('i32.add').set(end);
  emitRange(f, fn, chains, end);
  return f;
}

/**
 * fnRows(p, n, rows, stride): fn over `rows` rows of n values, the row r at byte p + r·stride (a
 * gate block of every batch row of a step: one call instead of one per row).
 */
function vectorRowsFunction(fn: VectorFn): Func {
  const f = new Func(`${fn}Rows`, [['p', I32], ['n', I32], ['rows', I32], ['stride', I32]]);
  const [end, row, r] = [f.local('end', I32), f.local('row', I32), f.local('r', I32)];
  const chains = chainLocals(f);
  f.get('p').set(row);
  f.for(r, 0, 'rows', 1, () => {
    f.get(row).set('p');
    f.get(row).get('n').i32(2).op('i32.shl').op('i32.add').set(end);
    emitRange(f, fn, chains, end);
    f.inc(row, 'stride');
  });
  return f;
}

/** The vector module's bytes: sigmoid, tanh, exp, and their row versions (sigmoidRows, tanhRows, expRows). */
export function vectorModule(): Uint8Array {
  const fns: VectorFn[] = ['sigmoid', 'tanh', 'exp'];
  return encodeModule([...fns.map(vectorFunction), ...fns.map(vectorRowsFunction)]);
}
