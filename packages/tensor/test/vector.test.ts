/**
 * Vector activations (vector.ts): the wasm module is bit-identical to the scalar exp32 / sigmoid32
 * / tanh32 on every float32 input tried (random, extremes, ±0, ±Infinity, NaN), and those are as
 * accurate as claimed against Math.exp / Math.tanh.
 */
import fc from 'fast-check';
import { Rng, exp32, getKernels, setKernels, sigmoid32, tanh32, vectorActivate, vectorActivateRows, wasmModules, wasmWorkspace } from '@seqlab/tensor';

const fns = { sigmoid: sigmoid32, tanh: tanh32, exp: exp32 } as const;
type Fn = keyof typeof fns;

function inputs(n: number, seed: number, scale: number): Float32Array {
  const rng = new Rng(seed);
  const x = Float32Array.from({ length: n }, () => rng.normal() * scale);
  const special = [0, -0, 1e-30, -1e-30, 80, -80, 88.7, 89.5, -87, -103.9, -104.5, 200, -200, Infinity, -Infinity, NaN];
  x.set(special.slice(0, Math.min(n, special.length)));
  return x;
}

describe('vector activations', () => {
  beforeAll(() => expect(getKernels()).toBe('wasm'));

  test.each(['sigmoid', 'tanh', 'exp'] as Fn[])('%s on wasm is bit-identical to the scalar reference', (fn) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 300 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 1 << 30 }), fc.constantFrom(1, 10, 60), (n, off, seed, scale) => {
        const x = inputs(off + n + 3, seed, scale);
        const got = Float32Array.from(x);
        vectorActivate(fn, got, off, n);
        for (let i = 0; i < x.length; i++) {
          const want = i >= off && i < off + n ? Math.fround(fns[fn](x[i])) : x[i];
          if (!Object.is(got[i], want)) throw new Error(`${fn}(${x[i]}) at ${i} (range ${off}..${off + n}): wasm ${got[i]}, scalar ${want}`);
        }
      }),
      { seed: 7, numRuns: 60 },
    );
  });

  test.each(['sigmoid', 'tanh', 'exp'] as Fn[])('%s over strided rows in wasm memory (and over odd ranges there) is bit-identical to the scalar reference, and leaves the gaps alone', (fn) => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 0, max: 9 }), fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 1 << 30 }), (n, gap, rows, off, seed) => {
        const stride = n + gap;
        const x = inputs(off + rows * stride + 2, seed, 10);
        const [ws] = wasmWorkspace([x.length]) as Float32Array[];
        ws.set(x);
        vectorActivateRows(fn, ws, off, n, rows, stride);
        for (let i = 0; i < x.length; i++) {
          const inRow = i >= off && (i - off) % stride < n && i < off + rows * stride;
          const want = inRow ? Math.fround(fns[fn](x[i])) : x[i];
          if (!Object.is(ws[i], want)) throw new Error(`${fn}(${x[i]}) at ${i} (rows of ${n}, stride ${stride}): wasm ${ws[i]}, scalar ${want}`);
        }
        // one range of odd length in wasm memory: every value, the odd last one too
        ws.set(x);
        vectorActivate(fn, ws, off, 2 * n + 1);
        for (let i = 0; i < x.length; i++) {
          const want = i >= off && i < off + 2 * n + 1 ? Math.fround(fns[fn](x[i])) : x[i];
          if (!Object.is(ws[i], want)) throw new Error(`${fn}(${x[i]}) at ${i} (range of ${2 * n + 1}): wasm ${ws[i]}, scalar ${want}`);
        }
      }),
      { seed: 11, numRuns: 60 },
    );
  });

  test('the js kernels run the scalar loop, with the same results', () => {
    const x = inputs(500, 3, 5);
    const onWasm = Float32Array.from(x);
    vectorActivate('tanh', onWasm, 0, x.length);
    const was = setKernels('js');
    const onJs = Float32Array.from(x);
    vectorActivate('tanh', onJs, 0, x.length);
    setKernels(was);
    expect(Array.from(onWasm)).toEqual(Array.from(onJs));
  });

  test('accuracy: exp within 1e-8 relative before rounding, so within 1 ulp of float32 e^x; σ and tanh within 2e-7 absolute', () => {
    let worstExp = 0;
    let worstUlps = 0;
    let worstSig = 0;
    let worstTanh = 0;
    const x = new Float32Array(20001);
    for (let i = 0; i < x.length; i++) x[i] = -103 + (191 * i) / (x.length - 1);
    const e = Float32Array.from(x);
    vectorActivate('exp', e, 0, x.length);
    for (let i = 0; i < x.length; i++) {
      const exact = Math.exp(x[i]);
      worstExp = Math.max(worstExp, Math.abs(exp32(x[i]) - exact) / exact);
      const ulp = Math.abs(Math.fround(exact) - Math.fround(exact * (1 + 2 ** -23))) || 1e-45;
      if (exact > 1e-37 && exact < 3e38) worstUlps = Math.max(worstUlps, Math.abs(e[i] - exact) / ulp);
    }
    const small = Float32Array.from({ length: 4001 }, (_, i) => -20 + i / 100);
    const s = Float32Array.from(small);
    const t = Float32Array.from(small);
    vectorActivate('sigmoid', s, 0, s.length);
    vectorActivate('tanh', t, 0, t.length);
    for (let i = 0; i < small.length; i++) {
      worstSig = Math.max(worstSig, Math.abs(s[i] - 1 / (1 + Math.exp(-small[i]))));
      worstTanh = Math.max(worstTanh, Math.abs(t[i] - Math.tanh(small[i])));
    }
    expect(worstExp).toBeLessThan(1e-8);
    expect(worstUlps).toBeLessThanOrEqual(1);
    expect(worstSig).toBeLessThan(2e-7);
    expect(worstTanh).toBeLessThan(2e-7);
    // saturation and the float32 range
    const ends = Float32Array.of(89.5, -104.5, 100, -100, 0, NaN, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
    vectorActivate('exp', ends, 0, ends.length);
    expect(Array.from(ends.subarray(0, 6))).toEqual([Infinity, 0, Infinity, Math.fround(Math.exp(-100)), 1, NaN]);
  });

  test('the module validates in wabt', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const wabt = await require('wabt')();
    const vector = wasmModules(false).find((m) => m.name === 'vector');
    expect(vector).toBeDefined();
    const module = wabt.readWasm(vector!.bytes, { simd: true, readDebugNames: true });
    module.validate();
    module.applyNames();
    expect(module.toText({})).toContain('(func $sigmoid');
    module.destroy();
  });
});
