/**
 * Ops that move data without arithmetic: transpose, slice, concat, stack, split, gather, oneHot,
 * reverse. Each copies into a new contiguous tensor.
 */
import { Shape, Tensor, allocLike, fmtShape, normAxis, resultType, sizeOf, stridesOf } from './tensor';
import { gatherRows } from './gather_rows';
import { aroundAxis } from './reduce';

/** Permutes axes; default reverses them. `transpose(x, [0, 2, 1])` swaps the last two of a 3-D x. */
export function transpose(t: Tensor, perm?: number[]): Tensor {
  const rank = t.rank;
  const p = perm ?? Array.from({ length: rank }, (_, i) => rank - 1 - i);
  const seen = new Set(p);
  if (p.length !== rank || seen.size !== rank || p.some((x) => !Number.isInteger(x) || x < 0 || x >= rank)) {
    throw new Error(`transpose: ${JSON.stringify(p)} is not a permutation of the axes of ${fmtShape(t.shape)}`);
  }
  const outShape = p.map((i) => t.shape[i]);
  const inStrides = stridesOf(t.shape);
  const strides = p.map((i) => inStrides[i]); // input stride for each output axis
  const out = allocLike(t.dtype, t.size);
  if (rank === 2 && p[0] === 1) {
    const [r, c] = t.shape;
    for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = t.data[i * c + j];
    return new Tensor(out, outShape);
  }
  const idx = new Array<number>(rank).fill(0);
  let src = 0;
  const d = t.data;
  for (let o = 0; o < out.length; o++) {
    out[o] = d[src];
    for (let k = rank - 1; k >= 0; k--) {
      idx[k]++;
      src += strides[k];
      if (idx[k] < outShape[k]) break;
      src -= strides[k] * outShape[k];
      idx[k] = 0;
    }
  }
  return new Tensor(out, outShape);
}

/**
 * Slice with `begin` per axis and `size` per axis (-1 = to the end), as tf.slice.
 * @example slice(x, [0, 1], [-1, 2])  // all rows, columns 1..2
 */
export function slice(t: Tensor, begin: number[], size?: number[]): Tensor {
  if (begin.length > t.rank) throw new Error(`slice: begin ${JSON.stringify(begin)} has more axes than ${fmtShape(t.shape)}`);
  const b = t.shape.map((_, i) => begin[i] ?? 0);
  const s = t.shape.map((d, i) => {
    const v = size?.[i] ?? -1;
    return v === -1 ? d - b[i] : v;
  });
  for (let i = 0; i < t.rank; i++) {
    if (!Number.isInteger(b[i]) || !Number.isInteger(s[i]) || b[i] < 0 || s[i] < 0 || b[i] + s[i] > t.shape[i]) {
      throw new Error(`slice: begin ${JSON.stringify(b)} size ${JSON.stringify(s)} is out of bounds for ${fmtShape(t.shape)}`);
    }
  }
  const out = allocLike(t.dtype, sizeOf(s));
  if (out.length === 0) return new Tensor(out, s);
  if (t.rank === 0) {
    out[0] = t.data[0];
    return new Tensor(out, s);
  }
  const strides = stridesOf(t.shape);
  const rank = t.rank;
  const inner = s[rank - 1];
  const idx = new Array<number>(rank).fill(0);
  let o = 0;
  for (;;) {
    let src = 0;
    for (let k = 0; k < rank; k++) src += (b[k] + idx[k]) * strides[k];
    out.set(t.data.subarray(src, src + inner), o);
    o += inner;
    let k = rank - 2;
    for (; k >= 0; k--) {
      idx[k]++;
      if (idx[k] < s[k]) break;
      idx[k] = 0;
    }
    if (k < 0) break;
  }
  return new Tensor(out, s);
}

/** Joins tensors along an existing axis. */
export function concat(ts: Tensor[], axis = 0): Tensor {
  if (ts.length === 0) throw new Error('concat: expected at least one tensor');
  const a = normAxis('concat', axis, ts[0].rank, ts[0].shape);
  const ref = ts[0].shape;
  for (const t of ts) {
    if (t.rank !== ref.length || t.shape.some((d, i) => i !== a && d !== ref[i])) {
      throw new Error(`concat: shapes ${ts.map((x) => fmtShape(x.shape)).join(', ')} differ outside axis ${a}`);
    }
  }
  const outShape = ref.slice();
  outShape[a] = ts.reduce((acc, t) => acc + t.shape[a], 0);
  const out = allocLike(resultType(...ts), sizeOf(outShape));
  const { outer } = aroundAxis(outShape, a);
  const rowOut = sizeOf(outShape.slice(a));
  let colOff = 0;
  for (const t of ts) {
    const row = sizeOf(t.shape.slice(a));
    for (let o = 0; o < outer; o++) out.set(t.data.subarray(o * row, (o + 1) * row), o * rowOut + colOff);
    colOff += row;
  }
  return new Tensor(out, outShape);
}

/** Joins same-shaped tensors along a new axis. */
export function stack(ts: Tensor[], axis = 0): Tensor {
  if (ts.length === 0) throw new Error('stack: expected at least one tensor');
  const ref = ts[0].shape;
  for (const t of ts) {
    if (t.rank !== ref.length || t.shape.some((d, i) => d !== ref[i])) {
      throw new Error(`stack: shapes differ: ${ts.map((x) => fmtShape(x.shape)).join(', ')}`);
    }
  }
  const a = normAxis('stack', axis, ref.length + 1, ref);
  const expanded = ref.slice();
  expanded.splice(a, 0, 1);
  return concat(ts.map((t) => new Tensor(t.data, expanded)), a);
}

/** Splits along an axis into `n` equal parts or parts of the given sizes. */
export function split(t: Tensor, sizes: number | number[], axis = 0): Tensor[] {
  const a = normAxis('split', axis, t.rank, t.shape);
  const d = t.shape[a];
  let parts: number[];
  if (typeof sizes === 'number') {
    if (!Number.isInteger(sizes) || sizes <= 0 || d % sizes !== 0) {
      throw new Error(`split: axis ${a} of ${fmtShape(t.shape)} (size ${d}) cannot be split into ${sizes} equal parts`);
    }
    parts = new Array(sizes).fill(d / sizes);
  } else {
    parts = sizes;
    if (parts.reduce((x, y) => x + y, 0) !== d || parts.some((p) => !Number.isInteger(p) || p < 0)) {
      throw new Error(`split: sizes ${JSON.stringify(sizes)} do not add up to ${d} (axis ${a} of ${fmtShape(t.shape)})`);
    }
  }
  const out: Tensor[] = [];
  let off = 0;
  for (const p of parts) {
    const begin = t.shape.map(() => 0);
    begin[a] = off;
    const size = t.shape.slice();
    size[a] = p;
    out.push(slice(t, begin, size));
    off += p;
  }
  return out;
}

/** Checks that `v` is a valid integer index below `n`; names the op and the bad value. */
export function checkIndex(op: string, v: number, n: number, where: string, context?: string): void {
  if (!Number.isInteger(v) || v < 0 || v >= n) {
    throw new Error(`${op}: index ${v} at ${where} is not an integer in [0, ${n})${context ? ` (${context})` : ''}`);
  }
}

/**
 * Rows of `t` (along `axis`, default 0) picked by integer indices; the result has the indices'
 * shape in place of that axis. `gather(table [V, D], ids [B, T])` -> `[B, T, D]`.
 */
export function gather(t: Tensor, indices: Tensor | number[], axis = 0): Tensor {
  const a = normAxis('gather', axis, t.rank, t.shape);
  const idx = indices instanceof Tensor ? indices : new Tensor(Float32Array.from(indices), [indices.length]);
  const { outer, n, inner } = aroundAxis(t.shape, a);
  const k = idx.size;
  const out = allocLike(t.dtype, outer * k * inner, false); // every row written below
  for (let i = 0; i < k; i++) {
    const v = idx.data[i];
    if (!Number.isInteger(v) || v < 0 || v >= n) checkIndex('gather', v, n, `position ${i}`, `axis ${a} of ${fmtShape(t.shape)}`);
  }
  // each of the `outer` blocks is a table [n, inner] whose rows the ids pick (gather_rows.ts)
  for (let o = 0; o < outer; o++) gatherRows(t.data.subarray(o * n * inner, (o + 1) * n * inner), idx.data, inner, out.subarray(o * k * inner, (o + 1) * k * inner));
  const shape = [...t.shape.slice(0, a), ...idx.shape, ...t.shape.slice(a + 1)];
  return new Tensor(out, shape);
}

/** One-hot encoding: indices of shape S give `[...S, depth]`. */
export function oneHot(indices: Tensor | number[], depth: number, onValue = 1, offValue = 0): Tensor {
  const idx = indices instanceof Tensor ? indices : new Tensor(Float32Array.from(indices), [indices.length]);
  const out = new Float32Array(idx.size * depth);
  if (offValue !== 0) out.fill(offValue);
  for (let i = 0; i < idx.size; i++) {
    checkIndex('oneHot', idx.data[i], depth, `position ${i}`, `depth ${depth}`);
    out[i * depth + idx.data[i]] = onValue;
  }
  return new Tensor(out, [...idx.shape, depth]);
}

/** Reverses the order of elements along one or more axes. */
export function reverse(t: Tensor, axis: number | number[] = 0): Tensor {
  const axes = (Array.isArray(axis) ? axis : [axis]).map((x) => normAxis('reverse', x, t.rank, t.shape));
  let cur = t;
  for (const a of axes) {
    const { outer, n, inner } = aroundAxis(cur.shape, a);
    const out = allocLike(cur.dtype, cur.size);
    for (let o = 0; o < outer; o++) {
      for (let j = 0; j < n; j++) {
        const src = (o * n + j) * inner;
        out.set(cur.data.subarray(src, src + inner), (o * n + (n - 1 - j)) * inner);
      }
    }
    cur = new Tensor(out, cur.shape);
  }
  return cur === t ? t.clone() : cur;
}

/** Inserts a size-1 axis. */
export function expandDims(t: Tensor, axis = 0): Tensor {
  const a = normAxis('expandDims', axis, t.rank + 1, t.shape);
  const s = t.shape.slice();
  s.splice(a, 0, 1);
  return new Tensor(t.data, s);
}

/** Removes size-1 axes (all of them, or the given ones). */
export function squeeze(t: Tensor, axes?: number[]): Tensor {
  const drop = axes ? axes.map((a) => normAxis('squeeze', a, t.rank, t.shape)) : t.shape.map((d, i) => (d === 1 ? i : -1)).filter((i) => i >= 0);
  for (const a of drop) {
    if (t.shape[a] !== 1) throw new Error(`squeeze: axis ${a} of ${fmtShape(t.shape)} has size ${t.shape[a]}, not 1`);
  }
  return new Tensor(t.data, t.shape.filter((_, i) => !drop.includes(i)));
}

/** Repeats the tensor along each axis (`reps[i]` times), as tf.tile. */
export function tile(t: Tensor, reps: Shape): Tensor {
  if (reps.length !== t.rank) throw new Error(`tile: reps ${JSON.stringify(reps)} must have one entry per axis of ${fmtShape(t.shape)}`);
  if (reps.some((r) => !Number.isInteger(r) || r < 0)) {
    throw new Error(`tile: reps ${JSON.stringify(reps)} must be non-negative integers (shape ${fmtShape(t.shape)})`);
  }
  if (reps.some((r) => r === 0)) return new Tensor(allocLike(t.dtype, 0), t.shape.map((d, i) => d * reps[i]));
  let cur = t;
  for (let a = 0; a < reps.length; a++) {
    if (reps[a] !== 1) cur = concat(new Array(reps[a]).fill(cur), a);
  }
  return cur === t ? t.clone() : cur;
}
