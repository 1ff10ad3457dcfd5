/**
 * The wasm SIMD kernels held to the scalar ones, and the switch between them.
 *
 * Without relaxed SIMD the wasm GEMM is exactly specified: each element of C is a float32 sum over
 * k in ascending order, per block of 256 steps of k, of float32 products, the first block
 * overwriting C (beta 0) and each later one added once. `f32Gemm` below computes that with
 * Math.fround, so the kernel is held to it bit for bit; with relaxed SIMD (FMA), within rounding.
 */
import fc from 'fast-check';
import { GemmArgs, Rng, gemmNN, gemmNT, gemmTN, getKernels, packGemmB, setKernels, wasmModules } from '@seqlab/tensor';
import { relaxedAvailable, simdAvailable } from '../src/wasm/runtime';
import { naiveGemm } from './helpers';

type Layout = 'NN' | 'TN' | 'NT';
const gemms: Record<Layout, (args: GemmArgs) => void> = { NN: gemmNN, TN: gemmTN, NT: gemmNT };
const KC = 256;
const f = Math.fround;

/** The wasm kernel's arithmetic, element by element (see the header). */
function f32Gemm(m: number, n: number, k: number, A: (i: number, p: number) => number, B: (p: number, j: number) => number, c0: ArrayLike<number> | null): Float32Array {
  const out = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let cij = c0 === null ? 0 : c0[i * n + j];
      for (let pc = 0; pc < k; pc += KC) {
        let acc = 0;
        for (let p = pc; p < Math.min(k, pc + KC); p++) acc = f(acc + f(A(i, p) * B(p, j)));
        cij = pc === 0 && c0 === null ? acc : f(cij + acc);
      }
      out[i * n + j] = cij;
    }
  }
  return out;
}

interface Case {
  layout: Layout;
  m: number; n: number; k: number;
  aOff: number; bOff: number; cOff: number;
  lda: number; // extra columns of A's stored rows (A a band of a wider matrix)
  ldb: number; // the same for B's
  ldc: number; // and C's (C a band of columns of a wider C)
  beta: 0 | 1;
  packed: boolean;
  seed: number;
}

function run(c: Case): void {
  const { layout, m, n, k, aOff, bOff, cOff, beta } = c;
  const rng = new Rng(c.seed);
  const filled = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
  const aRows = layout === 'TN' ? k : m;
  const aCols = layout === 'TN' ? m : k;
  const bRows = layout === 'NT' ? n : k;
  const bCols = layout === 'NT' ? k : n;
  const lda = aCols + c.lda;
  const ldb = bCols + c.ldb;
  const ldc = n + c.ldc;
  const a = filled(aOff + aRows * lda + 3);
  const b = filled(bOff + bRows * ldb + 3);
  const cBuf = filled(cOff + m * ldc + 3);
  const before = Float32Array.from(cBuf);
  const A = layout === 'TN' ? (i: number, p: number) => a[aOff + p * lda + i] : (i: number, p: number) => a[aOff + i * lda + p];
  const B = layout === 'NT' ? (p: number, j: number) => b[bOff + j * ldb + p] : (p: number, j: number) => b[bOff + p * ldb + j];
  // a packed B is packed from a dense copy (packGemmB takes no stride); the product then ignores b's
  const dense = Float32Array.from({ length: bRows * bCols }, (_, i) => b[bOff + Math.floor(i / bCols) * ldb + (i % bCols)]);
  const packedB = c.packed ? packGemmB(dense, k, n, layout === 'NT') : undefined;
  gemms[layout]({ m, n, k, a, aOffset: aOff, lda, b, bOffset: bOff, ldb, c: cBuf, cOffset: cOff, ldc, beta, packedB });
  const at = (i: number) => cOff + Math.floor(i / n) * ldc + (i % n); // C[i / n, i % n] in cBuf
  const c0 = beta === 1 ? Float32Array.from({ length: m * n }, (_, i) => before[at(i)]) : null;
  const where = `${layout} m=${m} n=${n} k=${k} offsets ${aOff}/${bOff}/${cOff} lda+${c.lda} ldb+${c.ldb} ldc+${c.ldc} beta=${beta} packed=${c.packed}`;
  if (!relaxedAvailable()) {
    const want = f32Gemm(m, n, k, A, B, c0);
    for (let i = 0; i < m * n; i++) {
      if (!Object.is(cBuf[at(i)], want[i])) throw new Error(`${where}: C[${Math.floor(i / n)}, ${i % n}] = ${cBuf[at(i)]}, float32 reference ${want[i]}`);
    }
  } else {
    const want = naiveGemm(m, n, k, A, B);
    for (let i = 0; i < m * n; i++) {
      const w = want[i] + (c0 === null ? 0 : c0[i]);
      if (Math.abs(cBuf[at(i)] - w) > 1e-5 * Math.sqrt(k) * 4) throw new Error(`${where}: C[${Math.floor(i / n)}, ${i % n}] = ${cBuf[at(i)]}, reference ${w}`);
    }
  }
  // nothing outside C's band is written: before it, between its rows, after it
  const inC = new Uint8Array(cBuf.length);
  for (let i = 0; i < m * n; i++) inC[at(i)] = 1;
  for (let i = 0; i < cBuf.length; i++) if (!inC[i] && !Object.is(cBuf[i], before[i])) throw new Error(`${where}: wrote outside C at ${i}`);
}

const caseArb = (maxDim: number) =>
  fc.record({
    layout: fc.constantFrom<Layout>('NN', 'TN', 'NT'),
    m: fc.integer({ min: 1, max: maxDim }),
    n: fc.integer({ min: 1, max: maxDim }),
    k: fc.oneof(fc.constant(1), fc.integer({ min: 1, max: maxDim })),
    aOff: fc.integer({ min: 0, max: 5 }),
    bOff: fc.integer({ min: 0, max: 5 }),
    cOff: fc.integer({ min: 0, max: 5 }),
    lda: fc.constantFrom(0, 0, 3),
    ldb: fc.constantFrom(0, 0, 1, 9),
    ldc: fc.constantFrom(0, 0, 1, 9),
    beta: fc.constantFrom<0 | 1>(0, 1),
    packed: fc.boolean(),
    seed: fc.integer({ min: 0, max: 1 << 30 }),
  });

describe('wasm GEMM', () => {
  beforeAll(() => expect(getKernels()).toBe('wasm'));

  test('the engine validates SIMD, so wasm is the default', () => {
    expect(simdAvailable()).toBe(true);
  });

  test('property: random shapes (odd sizes, edge tiles, k = 1), every layout, offsets, row strides lda, ldb, ldc, beta, packed B', () => {
    fc.assert(fc.property(caseArb(21), (c) => run(c)), { seed: 12, numRuns: 150 });
  });

  test('property: held to the scalar kernel (float64 sums) on tile edges (4i ± 1 rows, 8j ± 1 columns) and k across the 256 block, every layout', () => {
    const edge = (step: number, max: number) => fc.integer({ min: 1, max }).chain((q) => fc.constantFrom(step * q - 1, step * q, step * q + 1)).filter((v) => v >= 1);
    fc.assert(
      fc.property(fc.constantFrom<Layout>('NN', 'TN', 'NT'), edge(4, 6), edge(8, 5), fc.constantFrom(1, 2, 3, 31, 255, 256, 257, 300), fc.boolean(), fc.integer({ min: 0, max: 1 << 30 }), (layout, m, n, k, packed, seed) => {
        const rng = new Rng(seed);
        const a = Float32Array.from({ length: m * k }, () => rng.normal());
        const b = Float32Array.from({ length: k * n }, () => rng.normal());
        const product = (kernels: 'wasm' | 'js') => {
          const was = setKernels(kernels);
          try {
            const c = new Float32Array(m * n);
            gemms[layout]({ m, n, k, a, b, c, packedB: packed ? packGemmB(b, k, n, layout === 'NT') : undefined });
            return c;
          } finally {
            setKernels(was);
          }
        };
        const wasm = product('wasm');
        const js = product('js');
        // float32 sums of k products against float64 sums rounded once: |error| <= k·2⁻²³·Σ|a·b| (a loose, sure bound)
        const A = layout === 'TN' ? (i: number, p: number) => a[p * m + i] : (i: number, p: number) => a[i * k + p];
        const B = layout === 'NT' ? (p: number, j: number) => b[j * k + p] : (p: number, j: number) => b[p * n + j];
        for (let i = 0; i < m; i++) {
          for (let j = 0; j < n; j++) {
            let mag = 0;
            for (let p = 0; p < k; p++) mag += Math.abs(A(i, p) * B(p, j));
            const bound = (k + 1) * 2 ** -23 * mag + 1e-30;
            if (!(Math.abs(wasm[i * n + j] - js[i * n + j]) <= bound)) {
              throw new Error(`${layout} m=${m} n=${n} k=${k} packed=${packed}: C[${i}, ${j}] wasm ${wasm[i * n + j]}, js ${js[i * n + j]}, bound ${bound}`);
            }
          }
        }
      }),
      { seed: 31, numRuns: 30 },
    );
  });

  test('blocks: k past one k block (256), n past one column block (512)', () => {
    let seed = 1;
    for (const layout of ['NN', 'TN', 'NT'] as Layout[]) {
      for (const packed of [false, true]) {
        run({ layout, m: 6, n: 517, k: 263, aOff: 1, bOff: 2, cOff: 3, lda: 0, ldb: 0, ldc: 0, beta: 1, packed, seed: seed++ });
        run({ layout, m: 9, n: 517, k: 263, aOff: 1, bOff: 2, cOff: 3, lda: 2, ldb: 5, ldc: 7, beta: 1, packed, seed: seed++ });
      }
    }
  });

  test('bColumnSums: the same float64 column sums as the scalar kernel', () => {
    const rng = new Rng(5);
    const m = 5, n = 11, k = 300;
    const a = Float32Array.from({ length: k * m }, () => rng.normal());
    const b = Float32Array.from({ length: k * n }, () => rng.normal());
    const sums = (kernels: 'wasm' | 'js') => {
      const was = setKernels(kernels);
      const s = new Float32Array(n).fill(0.5);
      gemmTN({ m, n, k, a, b, c: new Float32Array(m * n), bColumnSums: s });
      setKernels(was);
      return s;
    };
    expect(Array.from(sums('wasm'))).toEqual(Array.from(sums('js')));
  });

  test('bColumnSums on the wasm kernel: float64 sums of a plain loop, bit for bit (widths around 8, strided B, NN and TN)', () => {
    const rng = new Rng(12);
    const was = setKernels('wasm');
    try {
      for (const n of [1, 2, 7, 8, 9, 16, 19]) {
        for (const extra of [0, 5]) {
          for (const layout of ['NN', 'TN'] as const) {
            const m = 3, k = 37, ldb = n + extra;
            const a = Float32Array.from({ length: k * m }, () => rng.normal());
            const b = Float32Array.from({ length: k * ldb }, () => rng.normal() * 100);
            const sums = new Float64Array(n).fill(0.25);
            const args = { m, n, k, a, b, ldb, c: new Float32Array(m * n), bColumnSums: sums };
            if (layout === 'NN') gemmNN(args);
            else gemmTN(args);
            const expected = Array.from({ length: n }, (_, j) => {
              let s = 0;
              for (let p = 0; p < k; p++) s += b[p * ldb + j];
              return 0.25 + s;
            });
            expect({ n, extra, layout, sums: Array.from(sums) }).toEqual({ n, extra, layout, sums: expected });
          }
        }
      }
    } finally {
      setKernels(was);
    }
  });

  test('float64 operands stay on the scalar kernel: bit-identical under either switch', () => {
    const rng = new Rng(9);
    const m = 7, n = 9, k = 13;
    const a = Float64Array.from({ length: m * k }, () => rng.normal());
    const b = Float64Array.from({ length: k * n }, () => rng.normal());
    const out = (kernels: 'wasm' | 'js') => {
      const was = setKernels(kernels);
      const c = new Float64Array(m * n);
      gemmNN({ m, n, k, a, b, c });
      setKernels(was);
      return Array.from(c);
    };
    expect(out('wasm')).toEqual(out('js'));
  });
});

describe('the js fallback', () => {
  test('setKernels("js") runs the scalar kernel (float64 sums rounded once), and back', () => {
    const rng = new Rng(3);
    const m = 6, n = 10, k = 37;
    const a = Float32Array.from({ length: m * k }, () => rng.normal());
    const b = Float32Array.from({ length: k * n }, () => rng.normal());
    const A = (i: number, p: number) => a[i * k + p];
    const B = (p: number, j: number) => b[p * n + j];
    const was = setKernels('js');
    expect(was).toBe('wasm');
    const c = new Float32Array(m * n);
    gemmNN({ m, n, k, a, b, c, packedB: packGemmB(b, k, n, false) });
    expect(Array.from(c)).toEqual(Array.from(Float32Array.from(naiveGemm(m, n, k, A, B))));
    setKernels(was);
    gemmNN({ m, n, k, a, b, c });
    if (!relaxedAvailable()) expect(Array.from(c)).toEqual(Array.from(f32Gemm(m, n, k, A, B, null)));
  });

  test('a B packed for one kernel is repacked by the other', () => {
    const rng = new Rng(4);
    const m = 3, n = 9, k = 5;
    const a = Float32Array.from({ length: m * k }, () => rng.normal());
    const b = Float32Array.from({ length: k * n }, () => rng.normal());
    const plain = new Float32Array(m * n);
    const viaPacked = new Float32Array(m * n);
    const packed = packGemmB(b, k, n, false); // packed for wasm
    const was = setKernels('js');
    gemmNN({ m, n, k, a, b, c: plain });
    gemmNN({ m, n, k, a, b, c: viaPacked, packedB: packed });
    setKernels(was);
    expect(Array.from(viaPacked)).toEqual(Array.from(plain));
  });

  test('bad values are errors naming the switch, the values expected and what came', () => {
    expect(() => setKernels('simd' as never)).toThrow("setKernels: expected 'wasm' or 'js', received 'simd'");
    expect(getKernels()).toBe('wasm');
    const saved = process.env.SEQLAB_KERNELS;
    process.env.SEQLAB_KERNELS = 'fast';
    try {
      jest.isolateModules(() => {
        expect(() => require('../src/kernels')).toThrow("SEQLAB_KERNELS: expected 'wasm' or 'js', received 'fast'");
      });
      process.env.SEQLAB_KERNELS = 'js';
      jest.isolateModules(() => {
        expect(require('../src/kernels').getKernels()).toBe('js');
      });
    } finally {
      if (saved === undefined) delete process.env.SEQLAB_KERNELS;
      else process.env.SEQLAB_KERNELS = saved;
    }
  });
});

describe('an engine without wasm SIMD (the fallback)', () => {
  test('the default is js, wasm is refused, and products, activations, lanes and workspaces run on the scalar code', () => {
    const validate = jest.spyOn(WebAssembly, 'validate').mockReturnValue(false);
    const memory = jest.spyOn(WebAssembly, 'Memory');
    try {
      jest.isolateModules(() => {
        // eslint-disable-next-line @typescript-eslint/no-var-requires
        const t = require('../src/index') as typeof import('../src/index');
        expect(t.getKernels()).toBe('js');
        expect(() => t.setKernels('wasm')).toThrow("setKernels: 'wasm' needs WebAssembly SIMD, which this engine does not validate; use 'js'");
        const rng = new Rng(6);
        const m = 5, n = 9, k = 40;
        const a = Float32Array.from({ length: m * k }, () => rng.normal());
        const b = Float32Array.from({ length: k * n }, () => rng.normal());
        const c = new Float32Array(m * n);
        t.gemmNN({ m, n, k, a, b, c, packedB: t.packGemmB(b, k, n, false) });
        expect(Array.from(c)).toEqual(Array.from(Float32Array.from(naiveGemm(m, n, k, (i, p) => a[i * k + p], (p, j) => b[p * n + j]))));
        const x = Float32Array.from({ length: 50 }, () => rng.normal() * 3);
        const y = Float32Array.from(x);
        t.vectorActivate('tanh', y, 0, 50);
        expect(Array.from(y)).toEqual(Array.from(x, (v) => Math.fround(t.tanh32(v))));
        expect(t.wasmWorkspace([8])).toBeNull();
        const out = new Float32Array(5);
        t.lanes.lerp(out, 0, Float32Array.of(0, 1, 0.5, 0.25, 2), 0, Float32Array.of(1, 2, 3, 4, 5), 0, Float32Array.of(6, 7, 8, 9, 10), 0, 5);
        expect(Array.from(out)).toEqual([6, 2, 5.5, 7.75, 0]);
        // no wasm memory was ever made
        expect(memory).not.toHaveBeenCalled();
      });
      const saved = process.env.SEQLAB_KERNELS;
      process.env.SEQLAB_KERNELS = 'wasm';
      try {
        jest.isolateModules(() => {
          expect(() => require('../src/kernels')).toThrow("SEQLAB_KERNELS: 'wasm' needs WebAssembly SIMD");
        });
      } finally {
        if (saved === undefined) delete process.env.SEQLAB_KERNELS;
        else process.env.SEQLAB_KERNELS = saved;
      }
    } finally {
      validate.mockRestore();
      memory.mockRestore();
    }
  });
});

describe('the generated modules', () => {
  test('wabt validates and prints each module, with and without relaxed SIMD', async () => {
    // eslint-disable-next-line @typescript-eslint/no-var-requires
    const wabt = await require('wabt')();
    const expected: Record<string, string[]> = {
      gemm: ['(func $kernel', '(func $packA', '(func $packB', '(func $packBT', 'v128.load32_splat'],
      vector: ['(func $sigmoid', '(func $tanh', '(func $exp', 'f64x2.floor'],
      lanes: ['(func $mul', '(func $mul2add', '(func $lerp', '(func $tanhGrad', 'f32x4.mul', 'f32.mul'],
      adam: ['(func $adam', '(func $adamAmsgrad', 'f64x2.sqrt', 'f64x2.pmax', 'f32x4.demote_f64x2_zero'],
    };
    for (const relaxed of [false, true]) {
      const modules = wasmModules(relaxed);
      expect(modules.map((m) => m.name)).toEqual(Object.keys(expected));
      for (const { name, bytes, relaxed: usesRelaxed } of modules) {
        const module = wabt.readWasm(bytes, { simd: true, relaxed_simd: true, readDebugNames: true });
        module.validate();
        module.applyNames();
        const text: string = module.toText({});
        module.destroy();
        for (const s of expected[name]) expect(text).toContain(s);
        expect(text.includes('relaxed')).toBe(usesRelaxed);
      }
    }
  });
});
