/**
 * Element-wise primitives over ranges of typed arrays, the vocabulary the fused recurrent cells
 * write their gate math in (packages/layers, recurrent/<cell>/). Each takes an output range and
 * input ranges as (array, offset) pairs, then a length:
 *
 *   lanes.mul2add(cs, next, gates, go + F, cs, prev, gates, go + I, gates, go + C, H)
 *   // c_t = f ⊙ c_{t-1} + i ⊙ g
 *
 * Where every range is in this thread's wasm memory (a `wasmWorkspace`), the primitive runs on
 * the lanes module (wasm/lanes_kernel.ts, f32x4); otherwise it is the scalar loop below. For
 * float32 the scalar loop rounds after each operation (Math.fround), as the f32x4 lanes do, so
 * the two agree bit for bit and may be mixed; for float64 (gradient checks) it keeps float64.
 * An output range may be one of the input ranges (in place), never partly overlap one.
 */
import { getKernels } from './kernels';
import type { DataArray } from './tensor';
import type { ReservedProduct } from './wasm/gemm_wasm';
import { LANE_OPS, LaneOp } from './wasm/lanes_kernel';
import { inWasm, laneExports, wasmWorkspaceViews } from './wasm/lanes_wasm';

export type { ReservedProduct, LaneOp };

type R = (x: number) => number;
const same: R = (x) => x;
/** The rounding after each operation: to float32 for a float32 output, none for float64. */
const rounding = (out: DataArray): R => (out instanceof Float32Array ? Math.fround : same);
/** Byte pointer of out[o] in wasm memory. */
const at = (a: DataArray, o: number): number => a.byteOffset + 4 * o;

function checkOut(name: string, out: DataArray, oo: number, n: number): void {
  if (oo < 0 || oo + n > out.length) throw new RangeError(`lanes.${name}: output range [${oo}, ${oo + n}) outside an array of ${out.length} (a detached wasm view has none)`);
}

/** The primitives (wasm/lanes_kernel.ts lists them with their f32x4 expressions). */
export const lanes = {
  /** out = a (a range of 32 or more values outside wasm memory is one block copy: faster than the loop, measured at 64) */
  copy(out: DataArray, oo: number, a: DataArray, ao: number, n: number): void {
    checkOut('copy', out, oo, n);
    if (inWasm(out) && inWasm(a)) return laneExports().copy(at(out, oo), at(a, ao), n);
    if (n >= 32) out.set(a.subarray(ao, ao + n) as never, oo);
    else for (let k = 0; k < n; k++) out[oo + k] = a[ao + k];
  },

  /** out = a ⊙ b */
  mul(out: DataArray, oo: number, a: DataArray, ao: number, b: DataArray, bo: number, n: number): void {
    checkOut('mul', out, oo, n);
    if (inWasm(out) && inWasm(a) && inWasm(b)) return laneExports().mul(at(out, oo), at(a, ao), at(b, bo), n);
    for (let k = 0; k < n; k++) out[oo + k] = a[ao + k] * b[bo + k];
  },

  /** out = a + b */
  add(out: DataArray, oo: number, a: DataArray, ao: number, b: DataArray, bo: number, n: number): void {
    checkOut('add', out, oo, n);
    if (inWasm(out) && inWasm(a) && inWasm(b)) return laneExports().add(at(out, oo), at(a, ao), at(b, bo), n);
    for (let k = 0; k < n; k++) out[oo + k] = a[ao + k] + b[bo + k];
  },

  /** out = a ⊙ b + c */
  madd(out: DataArray, oo: number, a: DataArray, ao: number, b: DataArray, bo: number, c: DataArray, co: number, n: number): void {
    checkOut('madd', out, oo, n);
    if (inWasm(out) && inWasm(a) && inWasm(b) && inWasm(c)) return laneExports().madd(at(out, oo), at(a, ao), at(b, bo), at(c, co), n);
    const r = rounding(out);
    for (let k = 0; k < n; k++) out[oo + k] = r(a[ao + k] * b[bo + k]) + c[co + k];
  },

  /** out = a ⊙ b + c ⊙ d */
  mul2add(out: DataArray, oo: number, a: DataArray, ao: number, b: DataArray, bo: number, c: DataArray, co: number, d: DataArray, dO: number, n: number): void {
    checkOut('mul2add', out, oo, n);
    if (inWasm(out) && inWasm(a) && inWasm(b) && inWasm(c) && inWasm(d)) return laneExports().mul2add(at(out, oo), at(a, ao), at(b, bo), at(c, co), at(d, dO), n);
    const r = rounding(out);
    for (let k = 0; k < n; k++) out[oo + k] = r(a[ao + k] * b[bo + k]) + r(c[co + k] * d[dO + k]);
  },

  /** out = z ⊙ a + (1 - z) ⊙ b */
  lerp(out: DataArray, oo: number, z: DataArray, zo: number, a: DataArray, ao: number, b: DataArray, bo: number, n: number): void {
    checkOut('lerp', out, oo, n);
    if (inWasm(out) && inWasm(z) && inWasm(a) && inWasm(b)) return laneExports().lerp(at(out, oo), at(z, zo), at(a, ao), at(b, bo), n);
    const r = rounding(out);
    for (let k = 0; k < n; k++) {
      const zk = z[zo + k];
      out[oo + k] = r(zk * a[ao + k]) + r(r(1 - zk) * b[bo + k]);
    }
  },

  /** out = a ⊙ (b - c) */
  mulDiff(out: DataArray, oo: number, a: DataArray, ao: number, b: DataArray, bo: number, c: DataArray, co: number, n: number): void {
    checkOut('mulDiff', out, oo, n);
    if (inWasm(out) && inWasm(a) && inWasm(b) && inWasm(c)) return laneExports().mulDiff(at(out, oo), at(a, ao), at(b, bo), at(c, co), n);
    const r = rounding(out);
    for (let k = 0; k < n; k++) out[oo + k] = a[ao + k] * r(b[bo + k] - c[co + k]);
  },

  /** out = a ⊙ (1 - b) */
  mulCompl(out: DataArray, oo: number, a: DataArray, ao: number, b: DataArray, bo: number, n: number): void {
    checkOut('mulCompl', out, oo, n);
    if (inWasm(out) && inWasm(a) && inWasm(b)) return laneExports().mulCompl(at(out, oo), at(a, ao), at(b, bo), n);
    const r = rounding(out);
    for (let k = 0; k < n; k++) out[oo + k] = a[ao + k] * r(1 - b[bo + k]);
  },

  /** out = d ⊙ σ'(x) = d ⊙ y ⊙ (1 - y), through the stored y = σ(x) */
  sigmoidGrad(out: DataArray, oo: number, d: DataArray, dO: number, y: DataArray, yo: number, n: number): void {
    checkOut('sigmoidGrad', out, oo, n);
    if (inWasm(out) && inWasm(d) && inWasm(y)) return laneExports().sigmoidGrad(at(out, oo), at(d, dO), at(y, yo), n);
    const r = rounding(out);
    for (let k = 0; k < n; k++) {
      const v = y[yo + k];
      out[oo + k] = d[dO + k] * r(v * r(1 - v));
    }
  },

  /** out = d ⊙ tanh'(x) = d ⊙ (1 - y²), through the stored y = tanh(x) */
  tanhGrad(out: DataArray, oo: number, d: DataArray, dO: number, y: DataArray, yo: number, n: number): void {
    checkOut('tanhGrad', out, oo, n);
    if (inWasm(out) && inWasm(d) && inWasm(y)) return laneExports().tanhGrad(at(out, oo), at(d, dO), at(y, yo), n);
    const r = rounding(out);
    for (let k = 0; k < n; k++) {
      const v = y[yo + k];
      out[oo + k] = d[dO + k] * r(1 - r(v * v));
    }
  },
};

/**
 * A primitive of `lanes` over `rows` rows of n values: each operand is (array, offset of its first
 * row, stride between its rows), out first, then the primitive's operands in its order (unused
 * trailing ones left out). One wasm call for the whole block where every array is in wasm memory
 * (a gate block of every batch row of a step: the rows are 4H apart in the gates, H apart in the
 * states), else the primitive row by row. The same values either way.
 * @example laneRows('mul', rows, H, hs, ho, H, gates, o, 4 * H, tc, ho, H);  // h = o ⊙ act(c), row by row
 */
export function laneRows(
  op: LaneOp, rows: number, n: number,
  out: DataArray, oo: number, os: number,
  a: DataArray, ao: number, as: number,
  b: DataArray | null = null, bo = 0, bs = 0,
  c: DataArray | null = null, co = 0, cs = 0,
  d: DataArray | null = null, dO = 0, ds = 0,
): void {
  const arity = LANE_OPS[op].args.length;
  const given = 1 + (b === null ? 0 : 1) + (c === null ? 0 : 1) + (d === null ? 0 : 1);
  if (given !== arity) throw new Error(`laneRows(${op}): expected ${arity} operand(s) after out, received ${given}`);
  if (rows <= 0 || n <= 0) return;
  checkOut(op, out, oo + (rows - 1) * os, n);
  if (inWasm(out) && inWasm(a) && (b === null || inWasm(b)) && (c === null || inWasm(c)) && (d === null || inWasm(d))) {
    const f = laneExports()[`${op}Rows`];
    if (arity === 1) return f(at(out, oo), at(a, ao), n, rows, 4 * os, 4 * as);
    if (arity === 2) return f(at(out, oo), at(a, ao), at(b as DataArray, bo), n, rows, 4 * os, 4 * as, 4 * bs);
    if (arity === 3) return f(at(out, oo), at(a, ao), at(b as DataArray, bo), at(c as DataArray, co), n, rows, 4 * os, 4 * as, 4 * bs, 4 * cs);
    return f(at(out, oo), at(a, ao), at(b as DataArray, bo), at(c as DataArray, co), at(d as DataArray, dO), n, rows, 4 * os, 4 * as, 4 * bs, 4 * cs, 4 * ds);
  }
  const one = lanes[op] as (...args: (DataArray | number)[]) => void;
  for (let r = 0; r < rows; r++) {
    if (arity === 1) one(out, oo + r * os, a, ao + r * as, n);
    else if (arity === 2) one(out, oo + r * os, a, ao + r * as, b as DataArray, bo + r * bs, n);
    else if (arity === 3) one(out, oo + r * os, a, ao + r * as, b as DataArray, bo + r * bs, c as DataArray, co + r * cs, n);
    else one(out, oo + r * os, a, ao + r * as, b as DataArray, bo + r * bs, c as DataArray, co + r * cs, d as DataArray, dO + r * ds, n);
  }
}

/**
 * Float32 buffers of the given sizes in this thread's wasm memory, zeroed unless `zeroed[i]` is
 * false (then whatever was there: for a buffer the caller writes whole before reading), where the lanes
 * primitives, vectorActivate and the GEMMs (float32, on the 'wasm' kernels) work on them in place;
 * null when the kernels are 'js'. `products` lists the GEMMs the caller will run while it uses
 * the buffers (their scratch and packed operands are placed now: nothing may grow the memory while
 * views of it are in use). The buffers live until the next call on the same thread.
 * @example
 *   const ws = wasmWorkspace([T * B * 4 * H, (T + 1) * B * H], [{ layout: 'NN', m: B, n: 4 * H, k: H, packed: true }]);
 *   if (ws) { const [gates, hs] = ws; ... }
 */
export function wasmWorkspace(sizes: number[], products: ReservedProduct[] = [], zeroed?: readonly boolean[]): Float32Array[] | null {
  if (getKernels() !== 'wasm') return null;
  return wasmWorkspaceViews(sizes, products, zeroed);
}
