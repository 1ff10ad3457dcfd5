/**
 * The Tensor: a contiguous row-major typed array plus a shape.
 *
 * `float32` is the working precision of seqlab. `float64` exists so that gradient checks can run
 * with finite differences that are not drowned in rounding error; every op keeps the precision of
 * its inputs (and promotes to float64 when the inputs mix).
 */

/** Element precision: 'float32' (the working precision) or 'float64' (gradient checks). */
export type DType = 'float32' | 'float64';
/** The buffer behind a tensor: Float32Array for 'float32', Float64Array for 'float64'. */
export type DataArray = Float32Array | Float64Array;
/** Sizes of the axes, outermost first: `[batch, time, features]` is a shape of rank 3; `[]` a scalar. */
export type Shape = readonly number[];
/** Nested arrays of numbers, as `toArray()` returns them and `tensor()` accepts them. */
export type NestedArray = number | NestedArray[];

/**
 * A tensor: `data`, a contiguous row-major typed array of `size` elements, viewed with `shape`.
 * Element `[i, j, k]` of a `[I, J, K]` tensor is `data[(i * J + j) * K + k]`. Ops never modify
 * their inputs; `reshape` shares the buffer, everything else allocates.
 *
 * @example
 *   const t = new Tensor(new Float32Array([1, 2, 3, 4, 5, 6]), [2, 3]);
 *   t.rank;          // 2
 *   t.toArray();     // [[1, 2, 3], [4, 5, 6]]
 */
export class Tensor {
  readonly data: DataArray;
  readonly shape: number[];
  readonly dtype: DType;
  readonly size: number;

  constructor(data: DataArray, shape: Shape) {
    checkShape('Tensor', shape);
    const size = sizeOf(shape);
    if (data.length !== size) {
      throw new Error(`Tensor: data has ${data.length} elements but shape ${fmtShape(shape)} needs ${size}`);
    }
    this.data = data;
    this.shape = shape.slice();
    this.dtype = data instanceof Float64Array ? 'float64' : 'float32';
    this.size = size;
  }

  get rank(): number {
    return this.shape.length;
  }

  /** Nested JavaScript arrays (a plain number for a scalar). */
  toArray(): NestedArray {
    if (this.shape.length === 0) return this.data[0];
    const build = (dim: number, offset: number): NestedArray[] => {
      const n = this.shape[dim];
      const out: NestedArray[] = new Array(n);
      if (dim === this.shape.length - 1) {
        for (let i = 0; i < n; i++) out[i] = this.data[offset + i];
        return out;
      }
      const stride = sizeOf(this.shape.slice(dim + 1));
      for (let i = 0; i < n; i++) out[i] = build(dim + 1, offset + i * stride);
      return out;
    };
    return build(0, 0);
  }

  /** The single value of a size-1 tensor. */
  item(): number {
    if (this.size !== 1) throw new Error(`item: expected a tensor with one element, received shape ${fmtShape(this.shape)}`);
    return this.data[0];
  }

  /** Same data, new shape (one axis may be -1). Shares the buffer. */
  reshape(shape: Shape): Tensor {
    return reshape(this, shape);
  }

  /** A copy with its own buffer (same shape and dtype). */
  clone(): Tensor {
    return new Tensor(this.data.slice(), this.shape);
  }

  /** A copy in the given precision. */
  cast(dtype: DType): Tensor {
    if (dtype === this.dtype) return this.clone();
    return new Tensor(dtype === 'float64' ? Float64Array.from(this.data) : Float32Array.from(this.data), this.shape);
  }

  /** `Tensor([2,3], float32) [[1,2,3],[4,5,6]]`: shape, dtype and the values as nested arrays. */
  toString(): string {
    return `Tensor(${fmtShape(this.shape)}, ${this.dtype}) ${JSON.stringify(this.toArray())}`;
  }
}

// ---------------------------------------------------------------------------------------------
// shape helpers

/** Number of elements of a shape (the product of its sizes; 1 for `[]`). */
export function sizeOf(shape: Shape): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** Row-major strides of a shape, in elements: `stridesOf([2, 3, 4])` is `[12, 4, 1]`. */
export function stridesOf(shape: Shape): number[] {
  const strides = new Array<number>(shape.length);
  let s = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    strides[i] = s;
    s *= shape[i];
  }
  return strides;
}

/** A shape as error messages print it: `fmtShape([2, 3])` is `'[2,3]'`. */
export function fmtShape(shape: Shape): string {
  return `[${shape.join(',')}]`;
}

/** True when two shapes have the same rank and sizes. */
export function shapesEqual(a: Shape, b: Shape): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * Normalizes a possibly negative axis; throws naming `op` (and `shape`, when given) when out of range.
 */
export function normAxis(op: string, axis: number, rank: number, shape?: Shape): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) {
    const what = shape ? `shape ${fmtShape(shape)}` : `a tensor of rank ${rank}`;
    throw new Error(`${op}: axis ${axis} is out of range for ${what}`);
  }
  return a;
}

/** Where `allocLike` takes its arrays while set (step_buffers.ts `lendAllocations`), else null: new arrays. */
let arraySource: ((dtype: DType, n: number, zeroed?: boolean) => DataArray) | null = null;

/**
 * Sets where `allocLike` takes its zero-filled arrays (null: new arrays); returns the previous
 * source. step_buffers.ts sets it while a training step lends what ops allocate (`lendAllocations`).
 */
export function setArraySource(source: ((dtype: DType, n: number, zeroed?: boolean) => DataArray) | null): ((dtype: DType, n: number, zeroed?: boolean) => DataArray) | null {
  const prev = arraySource;
  arraySource = source;
  return prev;
}

/**
 * A zero-filled buffer of `n` elements in the given precision. `zeroed` false: the caller writes
 * every element before reading any, so a buffer the array source recycles (a step buffer) need
 * not be cleared; a new array is zero-filled all the same.
 */
export function allocLike(dtype: DType, n: number, zeroed = true): DataArray {
  if (arraySource !== null) return arraySource(dtype, n, zeroed);
  return dtype === 'float64' ? new Float64Array(n) : new Float32Array(n);
}

/** float64 if any input is float64, else float32. */
export function resultType(...ts: Tensor[]): DType {
  for (const t of ts) if (t.dtype === 'float64') return 'float64';
  return 'float32';
}

/** Throws naming `op` unless every axis of `shape` is a non-negative integer. */
export function checkShape(op: string, shape: Shape): void {
  for (const d of shape) {
    if (!Number.isInteger(d) || d < 0) throw new Error(`${op}: invalid shape ${fmtShape(shape)}`);
  }
}

// ---------------------------------------------------------------------------------------------
// creation

/** Options of the creation functions: `dtype` (default 'float32'). */
export interface CreateOptions {
  dtype?: DType;
}

function inferShape(values: NestedArray): number[] {
  const shape: number[] = [];
  let v: NestedArray = values;
  while (Array.isArray(v)) {
    shape.push(v.length);
    if (v.length === 0) break;
    v = v[0];
  }
  return shape;
}

function flattenInto(op: string, values: NestedArray, shape: number[], dim: number, out: DataArray, pos: { i: number }): void {
  if (dim === shape.length) {
    if (typeof values !== 'number') throw new Error(`${op}: ragged nested array: expected a number at depth ${dim}`);
    out[pos.i++] = values;
    return;
  }
  if (!Array.isArray(values) || values.length !== shape[dim]) {
    const got = Array.isArray(values) ? `length ${values.length}` : typeof values;
    throw new Error(`${op}: ragged nested array: expected length ${shape[dim]} at depth ${dim}, received ${got}`);
  }
  for (const v of values) flattenInto(op, v, shape, dim + 1, out, pos);
}

/**
 * Creates a tensor from nested arrays, or from a flat array / typed array and a shape.
 * @example tensor([[1, 2], [3, 4]]).shape  // [2, 2]
 * @example tensor(new Float32Array(6), [2, 3])
 */
export function tensor(values: NestedArray | ArrayLike<number>, shape?: Shape, options: CreateOptions = {}): Tensor {
  if (values instanceof Float32Array || values instanceof Float64Array) {
    const s = shape ?? [values.length];
    checkShape('tensor', s);
    if (options.dtype && options.dtype !== (values instanceof Float64Array ? 'float64' : 'float32')) {
      return new Tensor(values, s).cast(options.dtype);
    }
    return new Tensor(values, s);
  }
  const dtype = options.dtype ?? 'float32';
  if (typeof values === 'number') {
    const out = allocLike(dtype, 1);
    out[0] = values;
    return new Tensor(out, shape ?? []);
  }
  // a flat list: an explicit shape over non-nested values, or any non-Array ArrayLike (Int32Array...)
  if ((shape !== undefined && !isNested(values)) || !Array.isArray(values)) {
    const flat = values as ArrayLike<number>;
    shape = shape ?? [flat.length];
    checkShape('tensor', shape);
    if (flat.length !== sizeOf(shape)) {
      throw new Error(`tensor: ${flat.length} values do not fill shape ${fmtShape(shape)} (${sizeOf(shape)} elements)`);
    }
    const out = allocLike(dtype, flat.length);
    for (let i = 0; i < flat.length; i++) out[i] = flat[i];
    return new Tensor(out, shape);
  }
  const nested = values as NestedArray;
  const inferred = inferShape(nested);
  const out = allocLike(dtype, sizeOf(inferred));
  flattenInto('tensor', nested, inferred, 0, out, { i: 0 });
  if (shape !== undefined) {
    if (sizeOf(shape) !== out.length) {
      throw new Error(`tensor: values of shape ${fmtShape(inferred)} do not fit shape ${fmtShape(shape)}`);
    }
    return new Tensor(out, shape);
  }
  return new Tensor(out, inferred);
}

function isNested(values: unknown): boolean {
  return Array.isArray(values) && values.length > 0 && Array.isArray(values[0]);
}

/** A rank-0 tensor (shape `[]`) holding `value`. */
export function scalar(value: number, options: CreateOptions = {}): Tensor {
  return tensor(value, [], options);
}

/**
 * A tensor of `shape` filled with 0.
 * @example zeros([2, 3], { dtype: 'float64' }).dtype  // 'float64'
 */
export function zeros(shape: Shape, options: CreateOptions = {}): Tensor {
  checkShape('zeros', shape);
  return new Tensor(allocLike(options.dtype ?? 'float32', sizeOf(shape)), shape);
}

/** A tensor of `shape` filled with `value`. */
export function fill(shape: Shape, value: number, options: CreateOptions = {}): Tensor {
  checkShape('fill', shape);
  const out = allocLike(options.dtype ?? 'float32', sizeOf(shape));
  out.fill(value);
  return new Tensor(out, shape);
}

/** A tensor of `shape` filled with 1. */
export function ones(shape: Shape, options: CreateOptions = {}): Tensor {
  return fill(shape, 1, options);
}

/** Zeros with the shape and dtype of `t`. */
export function zerosLike(t: Tensor): Tensor {
  return zeros(t.shape, { dtype: t.dtype });
}

/** Ones with the shape and dtype of `t`. */
export function onesLike(t: Tensor): Tensor {
  return ones(t.shape, { dtype: t.dtype });
}

/** Identity matrix `[n, m]` (m defaults to n). */
export function eye(n: number, m: number = n, options: CreateOptions = {}): Tensor {
  const t = zeros([n, m], options);
  for (let i = 0; i < Math.min(n, m); i++) t.data[i * m + i] = 1;
  return t;
}

/** `[start, start + step, ...)` up to but excluding `stop`; `range(n)` is `0..n-1`. */
export function range(start: number, stop?: number, step = 1, options: CreateOptions = {}): Tensor {
  if (stop === undefined) {
    stop = start;
    start = 0;
  }
  if (step === 0) throw new Error('range: step must not be 0');
  const n = Math.max(0, Math.ceil((stop - start) / step));
  const out = allocLike(options.dtype ?? 'float32', n);
  for (let i = 0; i < n; i++) out[i] = start + i * step;
  return new Tensor(out, [n]);
}

/** Same buffer viewed with a new shape; one entry may be -1 and is inferred. */
export function reshape(t: Tensor, shape: Shape): Tensor {
  const s = shape.slice();
  const unknown = s.indexOf(-1);
  if (unknown >= 0) {
    if (s.indexOf(-1, unknown + 1) >= 0) throw new Error(`reshape: only one axis may be -1, received ${fmtShape(shape)}`);
    const known = sizeOf(s.filter((_, i) => i !== unknown));
    if (known === 0 || t.size % known !== 0) {
      throw new Error(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} elements) into ${fmtShape(shape)}`);
    }
    s[unknown] = t.size / known;
  }
  checkShape('reshape', s);
  if (sizeOf(s) !== t.size) {
    throw new Error(`reshape: cannot reshape ${fmtShape(t.shape)} (${t.size} elements) into ${fmtShape(shape)}`);
  }
  return new Tensor(t.data, s);
}
