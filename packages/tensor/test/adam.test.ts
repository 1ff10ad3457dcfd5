/**
 * The Adam step on the wasm kernel (wasm/adam_kernel.ts) held to the scalar reference
 * `adamUpdateJs` bit for bit: weights and every slot, over several steps in a row, with amsgrad on
 * and off, on sizes with odd tails and across the scratch's chunks; and the slot store's memory
 * (views renewed when it grows, buffers reused when set again).
 */
import fc from 'fast-check';
import { AdamStep, Rng, SlotStore, adamUpdate, adamUpdateJs, getKernels, setKernels, slotStore, wasmModules } from '@seqlab/tensor';
import { CHUNK, WasmSlots } from '../src/wasm/adam_wasm';
import { simdAvailable } from '../src/wasm/runtime';

const wasmIt = simdAvailable() ? test : test.skip;

/** The first element where a and b differ in their bits (two NaNs count as equal: neither spec fixes NaN payloads), or -1. */
function firstBitDifference(a: Float32Array | Float64Array, b: Float32Array | Float64Array): number {
  if (a.length !== b.length) return 0;
  const wide = a instanceof Float64Array;
  const ua = wide ? new BigUint64Array(a.buffer, a.byteOffset, a.length) : new Uint32Array(a.buffer, a.byteOffset, a.length);
  const ub = wide ? new BigUint64Array(b.buffer, b.byteOffset, b.length) : new Uint32Array(b.buffer, b.byteOffset, b.length);
  for (let i = 0; i < a.length; i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

function expectSameBits(what: string, a: Float32Array | Float64Array, b: Float32Array | Float64Array): void {
  const i = firstBitDifference(a, b);
  if (i >= 0) throw new Error(`${what}: element ${i} of ${a.length} differs: reference ${a[i]}, received ${b[i]}`);
}

/** Gradient values: ordinary ones, and 0, -0, huge and tiny float32 values (subnormal too). */
const SPECIAL = [0, -0, 3.4e38, -3.4e38, 1e30, 1e-30, -1e-38, 1.4e-45, 1, -1];

function gradient(rng: Rng, n: number, special: number): Float32Array {
  return Float32Array.from({ length: n }, () => (rng.uniform() < special ? SPECIAL[Math.floor(rng.uniform() * SPECIAL.length)] : rng.normal() * 0.1));
}

interface Case {
  n: number;
  amsgrad: boolean;
  steps: number;
  lr: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  special: number;
  seed: number;
}

/** Runs `steps` Adam steps on the reference (plain arrays) and on adamUpdate (slots in `store`); compares bits after each. */
function run(c: Case, store: SlotStore<string>, key = 'w'): void {
  const rng = new Rng(c.seed);
  const w0 = Float32Array.from({ length: c.n }, () => rng.normal());
  const count = c.amsgrad ? 3 : 2;
  const ref = { w: w0.slice(), slots: Array.from({ length: count }, () => new Float64Array(c.n)) };
  const w = w0.slice();
  store.set(key, Array.from({ length: count }, () => new Float64Array(c.n)));
  for (let t = 1; t <= c.steps; t++) {
    const g = gradient(rng, c.n, c.special);
    const step: AdamStep = { alpha: (c.lr * Math.sqrt(1 - c.beta2 ** t)) / (1 - c.beta1 ** t), beta1: c.beta1, beta2: c.beta2, epsilon: c.epsilon };
    adamUpdateJs(ref.w, g, ref.slots, step);
    adamUpdate(w, g, store.get(key)!, step, store);
    const where = `${JSON.stringify(c)} step ${t}`;
    expectSameBits(`${where}: w`, ref.w, w);
    store.get(key)!.forEach((s, i) => expectSameBits(`${where}: slot ${['m', 'v', 'vhat'][i]}`, ref.slots[i], s));
  }
}

const caseArb: fc.Arbitrary<Case> = fc.record({
  n: fc.integer({ min: 1, max: 70 }),
  amsgrad: fc.boolean(),
  steps: fc.integer({ min: 1, max: 4 }),
  lr: fc.double({ min: 1e-6, max: 1, noNaN: true }),
  beta1: fc.double({ min: 0, max: 0.999, noNaN: true }),
  beta2: fc.double({ min: 0, max: 0.9999, noNaN: true }),
  epsilon: fc.double({ min: 1e-12, max: 1, noNaN: true }),
  special: fc.constantFrom(0, 0.1, 0.5),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

describe('adamUpdate on the wasm kernel against the scalar reference, bit for bit', () => {
  let was: ReturnType<typeof getKernels>;
  beforeAll(() => { was = getKernels(); });
  afterAll(() => { setKernels(was); });

  wasmIt('property: random sizes (1..70), hyperparameters, steps in a row, amsgrad on and off, gradients with 0 and huge and tiny values', () => {
    setKernels('wasm');
    // one store for all cases: each case's key lands on fresh buffers after the ones before
    const store = slotStore<string>();
    let k = 0;
    const kernel = jest.spyOn(WasmSlots.prototype, 'adam');
    fc.assert(fc.property(caseArb, (c) => run(c, store, `w${k++}`)), { seed: 2024, numRuns: 300 });
    // the kernel ran (every step of every case), not the reference on both sides
    expect(kernel.mock.calls.length).toBeGreaterThanOrEqual(300);
    kernel.mockRestore();
  });

  wasmIt('sizes across the scratch chunks (CHUNK ± 1, 2·CHUNK + 3), the default hyperparameters', () => {
    setKernels('wasm');
    for (const n of [CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK + 3]) {
      for (const amsgrad of [false, true]) run({ n, amsgrad, steps: 3, lr: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7, special: 0.01, seed: n }, slotStore());
    }
  });

  wasmIt('amsgrad keeps v̂ where v is NaN (v > v̂ is false), as the scalar comparison does', () => {
    setKernels('wasm');
    const store = slotStore<string>();
    const g = Float32Array.of(NaN, Infinity, 1, -Infinity, 0);
    const w = new Float32Array(5).fill(1);
    const ref = { w: w.slice(), slots: [0, 0, 0].map(() => new Float64Array(5)) };
    store.set('w', [0, 0, 0].map(() => new Float64Array(5)));
    const step = { alpha: 1e-3, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
    for (let t = 0; t < 3; t++) {
      adamUpdateJs(ref.w, g, ref.slots, step);
      adamUpdate(w, g, store.get('w')!, step, store);
    }
    expect(Number.isNaN(store.get('w')![1][1])).toBe(true); // v: Inf - Inf on the second step
    expect(store.get('w')![2][1]).toBe(Infinity); // v̂ kept its Inf
    expectSameBits('w', ref.w, w);
    store.get('w')!.forEach((s, i) => expectSameBits(`slot ${i}`, ref.slots[i], s));
  });

  test("the 'js' kernels and float64 weights (gradient checks) run the reference on the same slots", () => {
    for (const kernels of simdAvailable() ? (['js', 'wasm'] as const) : (['js'] as const)) {
      setKernels(kernels);
      const rng = new Rng(5);
      for (const dtype of [Float32Array, Float64Array]) {
        const n = 37;
        const w0 = dtype.from({ length: n }, () => rng.normal());
        const g = dtype.from({ length: n }, () => rng.normal());
        const ref = { w: w0.slice(), slots: [new Float64Array(n), new Float64Array(n)] };
        const w = w0.slice();
        const store = slotStore<string>();
        store.set('w', [new Float64Array(n), new Float64Array(n)]);
        const step = { alpha: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };
        for (let t = 0; t < 3; t++) {
          adamUpdateJs(ref.w, g, ref.slots, step);
          adamUpdate(w, g, store.get('w')!, step, store);
        }
        expectSameBits(`${kernels} ${dtype.name} w`, ref.w, w);
        // a float64 w is never rounded to float32: it differs from the float32 result
        if (dtype === Float64Array) expect(Array.from(w).some((x) => x !== Math.fround(x))).toBe(true);
      }
    }
  });

  test('refuses slots that do not match w, naming sizes', () => {
    expect(() => adamUpdate(new Float32Array(3), new Float32Array(3), [new Float64Array(3)], { alpha: 1, beta1: 0.9, beta2: 0.9, epsilon: 1 }))
      .toThrow('adamUpdate: expected g and 2 or 3 slots of 3 values, received g of 3 and slots of [3]');
  });
});

describe('slotStore', () => {
  wasmIt('buffers live in wasm memory; growth renews every view and keeps the values; a key set again with the same sizes keeps its buffers', () => {
    const store = slotStore<string>();
    store.set('a', [Float64Array.of(1, 2, 3), Float64Array.of(4, 5, 6)]);
    const before = store.get('a')!;
    // 8 MiB more: the memory grows, the first views detach, get('a') gives new ones with the values
    store.set('b', [new Float64Array(1 << 20).fill(7)]);
    expect(before[0].length).toBe(0);
    expect(store.get('a')!.map((a) => Array.from(a))).toEqual([[1, 2, 3], [4, 5, 6]]);
    expect(store.get('b')![0][(1 << 20) - 1]).toBe(7);
    const a = store.get('a')!;
    store.set('a', [Float64Array.of(9, 9, 9), Float64Array.of(8, 8, 8)]);
    expect(store.get('a')![0]).toBe(a[0]);
    expect(Array.from(a[1])).toEqual([8, 8, 8]);
    // every buffer 16-byte aligned, none overlapping
    const all = [...store.get('a')!, ...store.get('b')!];
    for (const x of all) expect(x.byteOffset % 16).toBe(0);
    all.forEach((x, i) => all.slice(i + 1).forEach((y) => expect(x.byteOffset + x.byteLength <= y.byteOffset || y.byteOffset + y.byteLength <= x.byteOffset).toBe(true)));
  });

  wasmIt('the adam module is listed for printing and validates', () => {
    const adam = wasmModules().find((m) => m.name === 'adam');
    expect(adam).toBeDefined();
    expect(WebAssembly.validate(adam!.bytes)).toBe(true);
  });
});
