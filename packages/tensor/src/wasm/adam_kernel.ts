/**
 * The Adam module: one Adam step over a variable, two values at a time in f64x2 lanes (an odd last
 * value alone), computing exactly what the scalar loop `adamUpdateJs` (adam.ts) computes, operation
 * for operation in float64, so the results are bit-identical to it:
 *
 *   m ← m + (g - m)·c1                  c1 = 1 - β₁
 *   v ← v + (g·g - v)·c2                c2 = 1 - β₂
 *   (amsgrad)  v̂ ← v > v̂ ? v : v̂,  d = v̂        (else d = v)
 *   w ← w - (α·m) / (√d + ε)            α = lr·√(1-β₂ᵗ)/(1-β₁ᵗ), computed once in JavaScript
 *
 * w and g are float32 (promoted exactly to float64, as reading a Float32Array does), m, v, v̂
 * float64; w is rounded to float32 once, at the store, as `w[i] -= …` on a Float32Array does.
 * IEEE add, sub, mul, div and sqrt are exactly rounded in both JavaScript and wasm, so the same
 * operations in the same order give the same bits. The amsgrad maximum is `f64x2.pmax(v̂, v)`,
 * defined as `v̂ < v ? v : v̂`: the scalar `if (v > v̂) v̂ = v`, also when v is NaN (v̂ kept).
 *
 *   adam(w, g, m, v, n, α, c1, c2, ε)                 byte pointers, n values
 *   adamAmsgrad(w, g, m, v, vhat, n, α, c1, c2, ε)
 */
import { F64, Func, I32, V128, encodeModule } from './encode';

/** Emits one step at the pointers: a pair of values, or (`single`) one value in lane 0. */
function emitStep(f: Func, amsgrad: boolean, single: boolean): void {
  const load64 = single ? 'v128.load64_zero' : 'v128.load';
  const load32 = single ? 'v128.load32_zero' : 'v128.load64_zero';
  const store64 = (ptr: string, x: string) => {
    f.get(ptr).get(x);
    if (single) f.storeLane('v128.store64_lane', 0, 0); else f.op('v128.store');
  };
  // g, widened to float64
  f.get('g').op(load32).op('f64x2.promote_low_f32x4').set('gi');
  // m ← m + (g - m)·c1
  f.get('m').op(load64).set('mi');
  f.get('mi').get('gi').get('mi').op('f64x2.sub').get('c1_x2').op('f64x2.mul').op('f64x2.add').set('mi');
  store64('m', 'mi');
  // v ← v + (g·g - v)·c2
  f.get('v').op(load64).set('vi');
  f.get('vi').get('gi').get('gi').op('f64x2.mul').get('vi').op('f64x2.sub').get('c2_x2').op('f64x2.mul').op('f64x2.add').set('vi');
  store64('v', 'vi');
  // amsgrad: v̂ ← pmax(v̂, v) = (v̂ < v ? v : v̂); the denominator uses v̂
  if (amsgrad) {
    f.get('vhat').op(load64).get('vi').op('f64x2.pmax').set('vi');
    store64('vhat', 'vi');
  }
  // w ← float32(w - (α·m) / (√d + ε))
  f.get('w');
  f.get('w').op(load32).op('f64x2.promote_low_f32x4');
  f.get('alpha_x2').get('mi').op('f64x2.mul');
  f.get('vi').op('f64x2.sqrt').get('eps_x2').op('f64x2.add');
  f.op('f64x2.div').op('f64x2.sub').op('f32x4.demote_f64x2_zero');
  if (single) f.storeLane('v128.store32_lane', 0, 0); else f.storeLane('v128.store64_lane', 0, 0);
}

/** adam or adamAmsgrad: the pairs, then the odd last value. */
function adamFunction(amsgrad: boolean): Func {
  const ptrs = amsgrad ? ['w', 'g', 'm', 'v', 'vhat'] : ['w', 'g', 'm', 'v'];
  const scalars = ['alpha', 'c1', 'c2', 'eps'];
  const f = new Func(amsgrad ? 'adamAmsgrad' : 'adam', [
    ...ptrs.map((p): [string, typeof I32] => [p, I32]),
    ['n', I32],
    ...scalars.map((s): [string, typeof F64] => [s, F64]),
  ]);
  for (const s of scalars) f.local(`${s}_x2`, V128);
  for (const x of ['gi', 'mi', 'vi']) f.local(x, V128);
  const [k, pairs] = [f.local('k', I32), f.local('pairs', I32)];
  // the scalars, splat to both lanes (alpha_x2 = [α, α], …)
  for (const s of scalars) f.get(s).op('f64x2.splat').set(`${s}_x2`);
  f.get('n').i32(1).op('i32.shr_u').set(pairs);
  f.for(k, 0, pairs, 1, () => {
    emitStep(f, amsgrad, false);
    // float32 pointers advance 8 bytes a pair, float64 pointers 16
    for (const p of ptrs) f.inc(p, p === 'w' || p === 'g' ? 8 : 16);
  });
  f.get('n').i32(1).op('i32.and').if(() => emitStep(f, amsgrad, true));
  return f;
}

/** The Adam module's bytes: adam and adamAmsgrad. */
export function adamModule(): Uint8Array {
  return encodeModule([adamFunction(false), adamFunction(true)]);
}
