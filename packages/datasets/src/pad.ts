/**
 * `padSequences`: Keras's `pad_sequences`. Stacks sequences of different lengths into one
 * `[n, maxlen]` (ids) or `[n, maxlen, ...features]` (feature vectors) array.
 *
 * Rules, as in Keras:
 * - `maxlen` defaults to the longest sequence;
 * - `truncating: 'pre'` (default) keeps the last `maxlen` steps, `'post'` keeps the first `maxlen`;
 * - `padding: 'pre'` (default) puts the padding before the sequence, `'post'` after it;
 * - `value` (default 0) fills the padding, also every feature of a padded step;
 * - an empty sequence becomes a row of padding;
 * - the feature shape comes from the first non-empty sequence and every step must match it;
 * - `dtype: 'int32'` is the default, as in Keras: the result is an `Int32Padded` ({ data: Int32Array,
 *   shape }), which models take as input directly. Unlike NumPy's cast, a value that is not an
 *   integer in int32 range (NaN, 1.5, 3e9) is refused, naming where it sits, never rounded or
 *   wrapped. `dtype: 'float32'` returns a float32 `Tensor` and keeps any value.
 */
import { Tensor } from '@seqlab/tensor';

/** Which end of a sequence padding or truncation applies to. */
export type PadSide = 'pre' | 'post';

/** A step is a number (token id) or a nested array of numbers (feature vector). */
export type SequenceStep = number | ArrayLike<number> | SequenceStep[];

/**
 * Options of `padSequences`, as Keras's `pad_sequences`: `maxlen` (default the longest),
 * `padding` and `truncating` ('pre' by default), `value` (default 0), `dtype`.
 */
export interface PadOptions {
  maxlen?: number;
  padding?: PadSide;
  truncating?: PadSide;
  value?: number;
  /** `'int32'` (default, as Keras) returns an `Int32Padded`; `'float32'` returns a `Tensor`. */
  dtype?: 'float32' | 'int32';
}

/** Largest integer a float32 holds exactly: int32 ids above it would change when fed to a model. */
const FLOAT32_EXACT = 2 ** 24;

/** Padded int32 ids: `data` row-major in `shape`. Models take it as input (converted to float32 exactly). */
export class Int32Padded {
  constructor(readonly data: Int32Array, readonly shape: number[]) {}

  /** Nested arrays, as Tensor.toArray gives. */
  toArray(): unknown[] {
    return new Tensor(Float64Array.from(this.data), this.shape).toArray() as unknown[];
  }

  /** The ids as a float32 Tensor; refused when one is beyond 2^24, where float32 would change it. */
  toTensor(): Tensor {
    for (let i = 0; i < this.data.length; i++) {
      if (Math.abs(this.data[i]) > FLOAT32_EXACT) {
        throw new Error(`Int32Padded.toTensor: ${this.data[i]} at flat position ${i} is beyond 2^24 and would change in float32; use smaller ids`);
      }
    }
    return new Tensor(Float32Array.from(this.data), this.shape);
  }
}

/**
 * Pads (or truncates) sequences to one length, as Keras's `pad_sequences`: a list of n sequences
 * becomes `[n, maxlen]` (token ids) or `[n, maxlen, ...feature]` (steps that are vectors).
 *
 * @example
 * padSequences([[1, 2], [3]], { maxlen: 3 }).toArray();
 * // [[0, 1, 2], [0, 0, 3]] (an Int32Padded)
 * padSequences([[[2, 1], [3, 3]], [[4, 3], [2, 4], [1, 1]]], { padding: 'post', dtype: 'float32' }).shape;
 * // [2, 3, 2], a Tensor whose first row ends with the step [0, 0]
 */
export function padSequences(sequences: ArrayLike<SequenceStep>[], options?: PadOptions & { dtype?: 'int32' }): Int32Padded;
export function padSequences(sequences: ArrayLike<SequenceStep>[], options: PadOptions & { dtype: 'float32' }): Tensor;
export function padSequences(sequences: ArrayLike<SequenceStep>[], options?: PadOptions): Tensor | Int32Padded;
export function padSequences(sequences: ArrayLike<SequenceStep>[], options: PadOptions = {}): Tensor | Int32Padded {
  const { padding = 'pre', truncating = 'pre', value = 0, dtype = 'int32' } = options;
  if (!Array.isArray(sequences)) {
    throw new Error(`padSequences: expected an array of sequences, received ${describe(sequences)}`);
  }
  checkSide('padding', padding);
  checkSide('truncating', truncating);
  if (dtype !== 'float32' && dtype !== 'int32') {
    throw new Error(`padSequences: dtype must be 'float32' or 'int32', received '${String(dtype)}'`);
  }
  if (typeof value !== 'number') throw new Error(`padSequences: value must be a number, received ${describe(value)}`);
  if (dtype === 'int32' && !isInt32(value)) throw new Error(`padSequences: value must be an integer in int32 range for dtype 'int32', received ${value}; pass dtype: 'float32' for other values`);

  let maxlen = options.maxlen;
  if (maxlen === undefined || maxlen === null) {
    maxlen = 0;
    for (let i = 0; i < sequences.length; i++) maxlen = Math.max(maxlen, lengthOf(sequences[i], i));
  } else if (!Number.isInteger(maxlen) || maxlen < 0) {
    throw new Error(`padSequences: maxlen must be a non-negative integer, received ${maxlen}`);
  }

  // The shape of one step: [] for ids, [f] or deeper for feature vectors.
  let stepShape: number[] = [];
  const first = sequences.find((s) => lengthOf(s, -1) > 0);
  if (first !== undefined) stepShape = shapeOf(first[0]);
  const stepSize = stepShape.reduce((a, b) => a * b, 1);

  const n = sequences.length;
  const shape = [n, maxlen, ...stepShape];
  const rowSize = maxlen * stepSize;
  // int32 values are gathered in float64 first so that each can be checked before the cast
  const out = dtype === 'int32' ? new Float64Array(n * rowSize) : new Float32Array(n * rowSize);
  if (value !== 0) out.fill(value);

  for (let i = 0; i < n; i++) {
    const s = sequences[i];
    const len = lengthOf(s, i);
    const kept = Math.min(len, maxlen);
    if (kept === 0) continue;
    const from = truncating === 'pre' ? len - kept : 0; // first kept step of s
    const to = padding === 'pre' ? maxlen - kept : 0; // first row step it lands on
    const base = i * rowSize + to * stepSize;
    if (stepShape.length === 0) {
      for (let t = 0; t < kept; t++) {
        const v = s[from + t];
        if (typeof v !== 'number') {
          throw new Error(`padSequences: sequence ${i} step ${from + t}: expected a number like the other steps, received ${describe(v)}`);
        }
        out[base + t] = v;
      }
    } else {
      for (let t = 0; t < kept; t++) {
        const step = s[from + t];
        const got = shapeOf(step);
        const at = base + t * stepSize;
        if (!sameShape(got, stepShape) || writeFlat(step, out, at) !== at + stepSize) {
          throw new Error(`padSequences: sequence ${i} step ${from + t} has shape [${got}], expected [${stepShape}] like the first step of the first non-empty sequence`);
        }
      }
    }
  }
  if (dtype === 'int32') return new Int32Padded(toInt32(out as Float64Array, stepSize, maxlen), shape);
  return new Tensor(out as Float32Array, shape);
}

const isInt32 = (v: number): boolean => Number.isInteger(v) && v >= -(2 ** 31) && v < 2 ** 31;

/** Casts to int32, refusing what the cast would change (NaN to 0, 1.5 to 1, 3e9 wrapped). */
function toInt32(values: Float64Array, stepSize: number, maxlen: number): Int32Array {
  for (let i = 0; i < values.length; i++) {
    if (isInt32(values[i])) continue;
    const row = Math.floor(i / (maxlen * stepSize));
    const step = Math.floor((i % (maxlen * stepSize)) / stepSize);
    throw new Error(
      `padSequences: dtype 'int32' needs integers in [-2^31, 2^31), received ${values[i]} at row ${row}, step ${step} of the result; ` +
        `pass dtype: 'float32' to keep such values`,
    );
  }
  return Int32Array.from(values);
}

function checkSide(name: string, side: string): void {
  if (side !== 'pre' && side !== 'post') {
    throw new Error(`padSequences: ${name} must be 'pre' or 'post', received '${String(side)}'`);
  }
}

function lengthOf(s: unknown, index: number): number {
  if (s === null || s === undefined || typeof s !== 'object' || typeof (s as ArrayLike<unknown>).length !== 'number') {
    throw new Error(`padSequences: sequence ${index} must be an array, received ${describe(s)}`);
  }
  return (s as ArrayLike<unknown>).length;
}

function shapeOf(step: unknown): number[] {
  const shape: number[] = [];
  let x: unknown = step;
  while (typeof x === 'object' && x !== null && typeof (x as ArrayLike<unknown>).length === 'number') {
    const arr = x as ArrayLike<unknown>;
    shape.push(arr.length);
    if (arr.length === 0) break;
    x = arr[0];
  }
  return shape;
}

function sameShape(a: number[], b: number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}

/** Copies a nested step into `out` at `offset` (row-major), checking it is rectangular. */
function writeFlat(step: unknown, out: Float32Array | Float64Array, offset: number): number {
  if (typeof step === 'number') {
    out[offset] = step;
    return offset + 1;
  }
  const arr = step as ArrayLike<unknown>;
  let o = offset;
  for (let k = 0; k < arr.length; k++) o = writeFlat(arr[k], out, o);
  return o;
}

function describe(x: unknown): string {
  if (x === null) return 'null';
  if (Array.isArray(x)) return `an array of length ${x.length}`;
  if (typeof x === 'string') return `the string '${x.length > 20 ? x.slice(0, 20) + '...' : x}'`;
  return typeof x === 'object' ? (x as object).constructor?.name ?? 'an object' : `${typeof x} ${String(x)}`;
}
