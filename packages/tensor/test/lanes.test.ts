/**
 * The lanes primitives (lanes.ts) on wasm memory held bit for bit to their scalar versions, and
 * those to their expressions (wasm/lanes_kernel.ts) evaluated with one float32 rounding per
 * operation; the workspaces the fused loops keep their buffers in: GEMMs on them in place,
 * bit-identical to GEMMs on JavaScript copies, vector activations on them, and the guard against
 * the memory growing under them.
 */
import fc from 'fast-check';
import { DataArray, GemmArgs, Rng, gemmNN, gemmNT, gemmTN, getKernels, laneRows, lanes, packGemmB, setKernels, setStepBufferMode, sigmoid32, tanh32, vectorActivate, wasmWorkspace } from '@seqlab/tensor';
import { LANE_OPS, LaneExpr, LaneOp } from '../src/wasm/lanes_kernel';

const OPS = Object.keys(LANE_OPS) as LaneOp[];
type Call = (out: DataArray, oo: number, ...rest: (DataArray | number)[]) => void;

/** The expression of `op` at one element, rounding after each operation with `r`. */
function evaluate(e: LaneExpr, env: Record<string, number>, r: (x: number) => number): number {
  if (e === 1) return 1;
  if (typeof e === 'string') return env[e];
  const [op, x, y] = e;
  const a = evaluate(x, env, r);
  const b = evaluate(y, env, r);
  return r(op === 'add' ? a + b : op === 'sub' ? a - b : a * b);
}

interface Case {
  op: LaneOp;
  n: number;
  /** offsets of out and each operand in their arrays */
  offsets: number[];
  /** out is the first operand's range (in place) */
  inPlace: boolean;
  seed: number;
}

const caseArb = fc.record({
  op: fc.constantFrom(...OPS),
  n: fc.oneof(fc.integer({ min: 0, max: 9 }), fc.integer({ min: 10, max: 70 })),
  offsets: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: 5, maxLength: 5 }),
  inPlace: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1 << 30 }),
});

/** Operand values: normals at two scales, and the special values in some places. */
function values(rng: Rng, len: number): number[] {
  const special = [0, -0, 1, -1, 1e-30, 3e38, -3e38, Infinity, -Infinity, NaN];
  return Array.from({ length: len }, () => (rng.uniform() < 0.1 ? special[Math.floor(rng.uniform() * special.length)] : rng.normal() * (rng.uniform() < 0.5 ? 1 : 50)));
}

/** Runs one case on arrays made by `make` (copies of the same values); returns out and the expected float32 values. */
function runCase(c: Case, make: (vals: number[]) => Float32Array): { got: Float32Array; want: number[]; where: string } {
  const { args, expr } = LANE_OPS[c.op];
  const rng = new Rng(c.seed);
  const ins = args.map((_, i) => make(values(rng, c.offsets[i + 1] + c.n + 2)));
  const out = c.inPlace ? ins[0] : make(values(rng, c.offsets[0] + c.n + 2));
  const oo = c.inPlace ? c.offsets[1] : c.offsets[0];
  const before = Array.from(out);
  const snapshot = ins.map((a) => Array.from(a));
  const want = before.slice();
  for (let k = 0; k < c.n; k++) {
    const env: Record<string, number> = {};
    args.forEach((name, i) => (env[name] = snapshot[i][c.offsets[i + 1] + k]));
    want[oo + k] = Math.fround(evaluate(expr as LaneExpr, env, Math.fround));
  }
  const rest: (DataArray | number)[] = [];
  args.forEach((_, i) => rest.push(ins[i], c.offsets[i + 1]));
  (lanes[c.op] as Call)(out, oo, ...rest, c.n);
  return { got: out, want, where: `${c.op} n=${c.n} offsets ${c.offsets.join('/')} inPlace=${c.inPlace}` };
}

function expectSame(got: ArrayLike<number>, want: ArrayLike<number>, where: string): void {
  for (let i = 0; i < want.length; i++) {
    if (!Object.is(got[i], want[i])) throw new Error(`${where}: out[${i}] = ${got[i]}, expected ${want[i]}`);
  }
}

describe('lanes primitives', () => {
  beforeAll(() => expect(getKernels()).toBe('wasm'));

  test('property: on wasm memory, bit-identical to the expression rounded to float32 after each operation (odd n, tails, offsets, in place, ±0, ±Infinity, NaN)', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        // every array of the case in one workspace
        const sizes = [c.offsets[0] + c.n + 2, ...LANE_OPS[c.op].args.map((_, i) => c.offsets[i + 1] + c.n + 2)];
        const ws = wasmWorkspace(sizes) as Float32Array[];
        // the inputs take ws[1..], out (unless in place) ws[0]
        let i = 1;
        const byRole = (vals: number[]) => {
          const view = i < sizes.length ? ws[i++] : ws[0];
          view.set(vals);
          return view;
        };
        const { got, want, where } = runCase(c, byRole);
        expectSame(got, want, `wasm ${where}`);
      }),
      { seed: 21, numRuns: 300 },
    );
  });

  test('property: the scalar float32 versions (JavaScript arrays) give the same bits', () => {
    fc.assert(
      fc.property(caseArb, (c) => {
        const { got, want, where } = runCase(c, (vals) => Float32Array.from(vals));
        expectSame(got, want, `scalar ${where}`);
      }),
      { seed: 22, numRuns: 300 },
    );
  });

  test('property: laneRows over strided rows (wasm memory and JavaScript arrays) equals the primitive row by row, and leaves the gaps alone', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...OPS), fc.integer({ min: 1, max: 4 }), fc.integer({ min: 1, max: 13 }),
        fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 5, maxLength: 5 }), fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 5, maxLength: 5 }),
        fc.boolean(), fc.integer({ min: 0, max: 1 << 30 }),
        (op, rows, n, gaps, offsets, inPlace, seed) => {
          const arity = LANE_OPS[op].args.length;
          const rng = new Rng(seed);
          const strides = gaps.map((g) => n + g);
          if (inPlace) [strides[0], offsets[0]] = [strides[1], offsets[1]];
          const sizes = strides.slice(0, arity + 1).map((st, i) => offsets[i] + rows * st + 1);
          const vals = sizes.map((len) => values(rng, len));
          // the reference: lanes[op] row by row on JavaScript arrays
          const ref = vals.map((v) => Float32Array.from(v));
          if (inPlace) ref[0] = ref[1];
          for (let r = 0; r < rows; r++) {
            const rest: (DataArray | number)[] = [];
            for (let i = 1; i <= arity; i++) rest.push(ref[i], offsets[i] + r * strides[i]);
            (lanes[op] as Call)(ref[0], offsets[0] + r * strides[0], ...rest, n);
          }
          for (const where of ['wasm', 'js'] as const) {
            const arrays = where === 'wasm' ? (wasmWorkspace(sizes) as Float32Array[]) : sizes.map((len) => new Float32Array(len));
            arrays.forEach((a, i) => a.set(vals[i]));
            if (inPlace) arrays[0] = arrays[1];
            const ops: (DataArray | number | null)[] = [];
            for (let i = 1; i <= 4; i++) ops.push(i <= arity ? arrays[i] : null, i <= arity ? offsets[i] : 0, i <= arity ? strides[i] : 0);
            (laneRows as (...a: unknown[]) => void)(op, rows, n, arrays[0], offsets[0], strides[0], ...ops);
            expectSame(arrays[0], ref[0], `${where} laneRows ${op} rows=${rows} n=${n} strides ${strides.join('/')} inPlace=${inPlace}`);
          }
        },
      ),
      { seed: 23, numRuns: 200 },
    );
    expect(() => laneRows('mul', 2, 4, new Float32Array(8), 0, 4, new Float32Array(8), 0, 4)).toThrow('laneRows(mul): expected 2 operand(s) after out, received 1');
  });

  test('float64 arrays keep float64: the expression without rounding', () => {
    const rng = new Rng(5);
    for (const op of OPS) {
      const { args, expr } = LANE_OPS[op];
      const n = 13;
      const ins = args.map(() => Float64Array.from({ length: n }, () => rng.normal()));
      const out = new Float64Array(n);
      const rest: (DataArray | number)[] = [];
      ins.forEach((a) => rest.push(a, 0));
      (lanes[op] as Call)(out, 0, ...rest, n);
      for (let k = 0; k < n; k++) {
        const env: Record<string, number> = {};
        args.forEach((name, i) => (env[name] = ins[i][k]));
        expect(out[k]).toBe(evaluate(expr as LaneExpr, env, (x) => x));
      }
    }
  });

  test('an output range past the end is an error naming the primitive', () => {
    const a = new Float32Array(4);
    expect(() => lanes.mul(a, 2, a, 0, a, 0, 3)).toThrow('lanes.mul: output range [2, 5) outside an array of 4');
  });
});

describe('workspaces', () => {
  const gemms = { NN: gemmNN, TN: gemmTN, NT: gemmNT };
  type Layout = keyof typeof gemms;

  test('property: GEMMs with operands in a workspace are bit-identical to GEMMs on JavaScript copies (every layout, edge tiles, whole tiles written in place, row strides ldb and ldc, beta, packed B, k = 1)', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Layout>('NN', 'TN', 'NT'),
        fc.oneof(fc.integer({ min: 1, max: 13 }), fc.constantFrom(4, 8, 12)),
        fc.oneof(fc.integer({ min: 1, max: 19 }), fc.constantFrom(8, 16)),
        fc.oneof(fc.constant(1), fc.integer({ min: 1, max: 30 })),
        fc.constantFrom(0, 1),
        fc.boolean(),
        fc.constantFrom(0, 0, 3), // B's and C's rows longer than the band the product reads or writes
        fc.constantFrom(0, 0, 5, 8),
        fc.integer({ min: 0, max: 1 << 30 }),
        (layout, m, n, k, beta, packed, bExtra, cExtra, seed) => {
          const rng = new Rng(seed);
          const fill = (len: number) => Float32Array.from({ length: len }, () => rng.normal());
          const bRows = layout === 'NT' ? n : k;
          const ldb = (layout === 'NT' ? k : n) + bExtra;
          const ldc = n + cExtra;
          const a = fill(m * k + 3);
          const b = fill(bRows * ldb + 2);
          const c = fill(m * ldc + 5);
          const dense = Float32Array.from({ length: k * n }, (_, i) => b[2 + Math.floor(i / (ldb - bExtra)) * ldb + (i % (ldb - bExtra))]);
          const pb = packed ? packGemmB(dense, k, n, layout === 'NT') : undefined;
          const args = (x: Float32Array, y: Float32Array, z: Float32Array): GemmArgs => ({ m, n, k, a: x, aOffset: 3, b: y, bOffset: 2, ldb, c: z, cOffset: 5, ldc, beta, packedB: pb });
          const ws = wasmWorkspace([a.length, b.length, c.length], [{ layout, m, n, k, packed }]) as Float32Array[];
          ws[0].set(a);
          ws[1].set(b);
          ws[2].set(c);
          const before = ws[0].buffer;
          gemms[layout](args(ws[0], ws[1], ws[2]));
          gemms[layout](args(a, b, c));
          expect(ws[0].buffer).toBe(before);
          expectSame(ws[2], c, `${layout} m=${m} n=${n} k=${k} ldb+${bExtra} ldc+${cExtra} beta=${beta} packed=${packed}`);
        },
      ),
      { seed: 23, numRuns: 150 },
    );
  });

  test('vector activations work a workspace range in place (odd lengths too), bit-identical to the scalar functions', () => {
    const rng = new Rng(8);
    for (const n of [1, 2, 3, 7, 33, 64]) {
      const x = Float32Array.from({ length: n + 3 }, () => rng.normal() * 4);
      // (one workspace: the next call on the thread reuses its memory)
      const [ws, w2] = wasmWorkspace([x.length, x.length]) as Float32Array[];
      ws.set(x);
      vectorActivate('sigmoid', ws, 1, n);
      w2.set(x);
      vectorActivate('tanh', w2, 1, n);
      for (let i = 0; i < x.length; i++) {
        const inside = i >= 1 && i < 1 + n;
        expect(ws[i]).toBe(inside ? Math.fround(sigmoid32(x[i])) : x[i]);
      }
      for (let i = 0; i < x.length; i++) expect(w2[i]).toBe(i >= 1 && i < 1 + n ? Math.fround(tanh32(x[i])) : x[i]);
    }
  });

  test('a product that was not reserved and would grow the memory under its operands is an error', () => {
    const m = 1500, k = 1500;
    const [a, c] = wasmWorkspace([m * k, m * 8]) as Float32Array[];
    expect(() => gemmNN({ m, n: 8, k, a, b: new Float32Array(k * 8), c })).toThrow(/gemmNN: wasm memory grew under operands that live in it/);
  });

  test('buffers are zeroed unless the caller says it writes them first; those hold NaN in poison mode, the zeroed ones still zeros', () => {
    const sizes = [5, 8, 3];
    const first = wasmWorkspace(sizes) as Float32Array[];
    first.forEach((b) => b.fill(7));
    const kept = wasmWorkspace(sizes, [], [false, true, false]) as Float32Array[];
    expect(kept.map((b) => Array.from(b))).toEqual([[7, 7, 7, 7, 7], new Array(8).fill(0), [7, 7, 7]]);
    const prev = setStepBufferMode('poison');
    try {
      const poisoned = wasmWorkspace(sizes, [], [false, true, false]) as Float32Array[];
      expect(poisoned.map((b) => Array.from(b))).toEqual([new Array(5).fill(NaN), new Array(8).fill(0), new Array(3).fill(NaN)]);
    } finally {
      setStepBufferMode(prev);
    }
  });

  test('the js kernels get no workspace', () => {
    const was = setKernels('js');
    try {
      expect(wasmWorkspace([4])).toBeNull();
    } finally {
      setKernels(was);
    }
  });
});
