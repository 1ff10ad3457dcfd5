/**
 * Character vocabularies and the batching of seed 001's character-level language model.
 *
 * Seed 001 (Raschka, "Python Machine Learning", ch. 16) encodes Hamlet as one long id sequence,
 * then `reshape_data` cuts it into `batchSize` rows of `totalSteps` characters (targets are the
 * same text shifted by one character), and `create_batch_generator` slices those rows into
 * `[batchSize, numSteps]` windows, left to right, so row r of window b+1 continues row r of
 * window b (what a stateful RNN needs).
 *
 * Differs from the seed because `set(text)` has no fixed order in Python: the vocabulary here is
 * sorted by code point, so ids are the same on every run.
 */
import { Tensor } from '@seqlab/tensor';

/**
 * A character vocabulary: ids are positions in the sorted character list (stable on every run).
 * @example
 *   const vocab = charVocabulary('to be or not');
 *   vocab.encode('be');            // Int32Array of two ids
 *   vocab.decode(vocab.encode('to be'));   // 'to be'
 */
export class CharVocabulary {
  /** Characters, sorted by code point; the id of a character is its position. */
  readonly chars: string[];
  readonly charToId: Map<string, number>;

  constructor(chars: string[]) {
    const seen = new Map<string, number>();
    chars.forEach((c, i) => {
      if (seen.has(c)) throw new Error(`CharVocabulary: the character ${JSON.stringify(c)} appears twice`);
      seen.set(c, i);
    });
    this.chars = chars.slice();
    this.charToId = seen;
  }

  get size(): number {
    return this.chars.length;
  }

  /** Text to ids; a character outside the vocabulary is an error (there is no OOV id). */
  encode(text: string): Int32Array {
    const chars = Array.from(text);
    const out = new Int32Array(chars.length);
    for (let i = 0; i < chars.length; i++) {
      const id = this.charToId.get(chars[i]);
      if (id === undefined) {
        throw new Error(`CharVocabulary.encode: character ${JSON.stringify(chars[i])} at position ${i} is not in the vocabulary of ${this.size} characters`);
      }
      out[i] = id;
    }
    return out;
  }

  /** The text of a sequence of ids; an id outside the vocabulary is refused with its position. */
  decode(ids: ArrayLike<number>): string {
    let s = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined) throw new Error(`CharVocabulary.decode: id ${ids[i]} at position ${i} is outside [0, ${this.size})`);
      s += c;
    }
    return s;
  }

  /** The characters in id order (what a model file stores; `new CharVocabulary(chars)` restores it). */
  toJSON(): string[] {
    return this.chars.slice();
  }
}

/**
 * The sorted set of characters of `text` (code points, so surrogate pairs stay whole).
 * @example
 * const v = charVocabulary('hello');
 * v.chars;              // ['e', 'h', 'l', 'o']
 * v.encode('hole');     // Int32Array [1, 3, 2, 0]
 * v.decode([1, 0]);     // 'he'
 */
export function charVocabulary(text: string): CharVocabulary {
  if (typeof text !== 'string') throw new Error(`charVocabulary: expected a string, received ${typeof text}`);
  const set = new Set(Array.from(text));
  return new CharVocabulary(Array.from(set).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * Seed 001's `reshape_data`: cuts `sequence` into `batchSize` rows of `totalSteps` ids,
 * `x` from `sequence[0 : n]` and `y` from `sequence[1 : n + 1]` where `n = batchSize * totalSteps`,
 * `totalSteps = numBatches * numSteps`, and `numBatches` is the largest count that leaves one
 * id over for the shifted targets. Leftover ids at the end are dropped.
 */
export function reshapeData(sequence: ArrayLike<number>, batchSize: number, numSteps: number): { x: Tensor; y: Tensor } {
  if (!Number.isInteger(batchSize) || batchSize < 1) throw new Error(`reshapeData: batchSize must be a positive integer, received ${batchSize}`);
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new Error(`reshapeData: numSteps must be a positive integer, received ${numSteps}`);
  const miniBatchLength = batchSize * numSteps;
  let numBatches = Math.floor(sequence.length / miniBatchLength);
  if (numBatches * miniBatchLength + 1 > sequence.length) numBatches -= 1;
  if (numBatches < 1) {
    throw new Error(`reshapeData: a sequence of ${sequence.length} ids is too short for batchSize ${batchSize} x numSteps ${numSteps} (needs at least ${miniBatchLength + 1})`);
  }
  const n = numBatches * miniBatchLength;
  const totalSteps = n / batchSize;
  const x = new Float32Array(n);
  const y = new Float32Array(n);
  // np.split(x, batchSize) + np.stack: row r is the contiguous slice [r * totalSteps, (r+1) * totalSteps).
  for (let i = 0; i < n; i++) {
    x[i] = sequence[i];
    y[i] = sequence[i + 1];
  }
  return { x: new Tensor(x, [batchSize, totalSteps]), y: new Tensor(y, [batchSize, totalSteps]) };
}

/**
 * Seed 001's `create_batch_generator`: `[batch, totalSteps]` rows to `[batch, numSteps]` windows,
 * left to right; a last partial window is dropped.
 */
export function* createBatchGenerator(x: Tensor, y: Tensor, numSteps: number): Generator<{ x: Tensor; y: Tensor }> {
  if (x.rank !== 2 || y.rank !== 2 || x.shape[0] !== y.shape[0] || x.shape[1] !== y.shape[1]) {
    throw new Error(`createBatchGenerator: expected x and y of the same shape [batch, totalSteps], received [${x.shape}] and [${y.shape}]`);
  }
  if (!Number.isInteger(numSteps) || numSteps < 1) throw new Error(`createBatchGenerator: numSteps must be a positive integer, received ${numSteps}`);
  const [batch, total] = x.shape;
  const numBatches = Math.floor(total / numSteps);
  for (let b = 0; b < numBatches; b++) {
    const xw = new Float32Array(batch * numSteps);
    const yw = new Float32Array(batch * numSteps);
    for (let r = 0; r < batch; r++) {
      const from = r * total + b * numSteps;
      xw.set(x.data.subarray(from, from + numSteps), r * numSteps);
      yw.set(y.data.subarray(from, from + numSteps), r * numSteps);
    }
    yield { x: new Tensor(xw, [batch, numSteps]), y: new Tensor(yw, [batch, numSteps]) };
  }
}

/** All windows of `createBatchGenerator` as an array. */
export function charWindows(x: Tensor, y: Tensor, numSteps: number): { x: Tensor; y: Tensor }[] {
  return Array.from(createBatchGenerator(x, y, numSteps));
}

/**
 * The layout `fit(x, y, { batchSize, shuffle: false })` needs for truncated BPTT with a stateful
 * model: the windows of `createBatchGenerator` stacked along the sample axis, so batch k of `fit`
 * is window k and row r of every batch continues row r of the previous one. Returns
 * `{ x, y }` of shape `[numWindows · batch, numSteps]`, and `batchSize` to pass to `fit`.
 */
export function statefulWindows(sequence: ArrayLike<number>, batchSize: number, numSteps: number): { x: Tensor; y: Tensor; batchSize: number; numWindows: number } {
  const { x, y } = reshapeData(sequence, batchSize, numSteps);
  const windows = charWindows(x, y, numSteps);
  const n = windows.length * batchSize * numSteps;
  const xs = new Float32Array(n);
  const ys = new Float32Array(n);
  windows.forEach((w, k) => {
    xs.set(w.x.data, k * batchSize * numSteps);
    ys.set(w.y.data, k * batchSize * numSteps);
  });
  return { x: new Tensor(xs, [windows.length * batchSize, numSteps]), y: new Tensor(ys, [windows.length * batchSize, numSteps]), batchSize, numWindows: windows.length };
}
