/**
 * Where the batches of fit, evaluate and predict come from: in-memory arrays, sliced (and shuffled)
 * pass by pass, or a batch source, which is any iterable or async iterable of `[x, y]` or
 * `[x, y, sampleWeight]` batches. A `Dataset` of @seqlab/datasets is one (so is a generator);
 * this package reads it through the iteration protocol alone and never imports the datasets
 * package. A source may say how many batches one pass holds through `cardinality()` (tf.data's
 * convention: a count, -1 for a source that never ends, -2 for not known).
 *
 * Epochs over a source follow Keras:
 * - without `stepsPerEpoch` every epoch reads one fresh pass to its end;
 * - with `stepsPerEpoch` an epoch is that many batches and the pass goes on across epochs; a
 *   pass of known length read through, or one that ends where an epoch begins, starts afresh at
 *   the next epoch. A source that runs out within an epoch's `stepsPerEpoch` batches interrupts
 *   training (with Keras's warning) after that epoch: build the dataset with `repeat()`.
 *
 * Refused with a source, as Keras refuses them: `y` and `sampleWeight` arguments (targets and
 * weights come from the batches), `batchSize` (the batches have their size), `validationSplit`
 * (a stream cannot be split), a source that never ends without `stepsPerEpoch` (or `steps`,
 * `validationSteps`). `shuffle` and `seed` do not apply (shuffle the dataset itself).
 */
import * as T from '@seqlab/tensor';
import { NestedArray, Tensor } from '@seqlab/tensor';

/** A batch as the training loop consumes it. */
export interface Batch {
  xs: Tensor[];
  ys: Tensor[];
  weights: Tensor | null;
  size: number;
}

/** Whole arrays, converted and checked (the trainer's `prepare`). */
export interface Prepared {
  xs: Tensor[];
  ys: Tensor[];
  weights: Float32Array | null;
  n: number;
}

/** Any iterable or async iterable of batches, optionally telling its length as tf.data does. */
export type BatchSource = (AsyncIterable<unknown> | Iterable<unknown>) & {
  /** Batches in one pass: a count, -1 when it never ends, -2 when not known (tf.data's convention). */
  cardinality?(): number;
};

/** tf.data's cardinality of a source that never ends. */
const INFINITE = -1;

/**
 * True for a batch source: an object that can be iterated and is not data itself (a tensor,
 * an array of numbers, strings or tensors, a typed array).
 */
export function isBatchSource(x: unknown): x is BatchSource {
  if (x === null || typeof x !== 'object' || x instanceof Tensor || Array.isArray(x) || ArrayBuffer.isView(x)) return false;
  return typeof (x as AsyncIterable<unknown>)[Symbol.asyncIterator] === 'function' || typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

const describe = (v: unknown): string =>
  v instanceof Tensor
    ? `a Tensor of shape [${v.shape.join(', ')}]`
    : Array.isArray(v)
      ? `an array of length ${v.length}`
      : typeof v === 'number' || typeof v === 'boolean' || v === null || v === undefined
        ? String(v)
        : typeof v;

/**
 * `fit(source, options)` or `fit(x, y, options)`: for a source, the second argument is the options
 * (or undefined); a `y` given beside a source is refused.
 */
export function sourceCall<O>(who: string, x: unknown, y: unknown, options: O | undefined): { source: BatchSource; options: O } | null {
  if (!isBatchSource(x)) return null;
  const yIsOptions = y !== null && typeof y === 'object' && !(y instanceof Tensor) && !Array.isArray(y) && !ArrayBuffer.isView(y);
  if (y !== undefined && !yIsOptions) {
    throw new Error(`${who}: y must not be given when x is a dataset (the targets come from its [x, y] batches), received ${describe(y)}`);
  }
  if (yIsOptions && options !== undefined) throw new Error(`${who}: with a dataset the options are the second argument: ${who.split(' ')[0]}(dataset, options)`);
  return { source: x, options: ((yIsOptions ? y : options) ?? {}) as O };
}

/** Options that do not apply to a source, refused as Keras refuses them. */
export function refuseArrayOptions(who: string, options: { batchSize?: unknown; sampleWeight?: unknown; validationSplit?: unknown }): void {
  if (options.batchSize !== undefined) {
    throw new Error(`${who}: batchSize must not be given with a dataset, received ${String(options.batchSize)}; its batches have their own size (batch the dataset instead)`);
  }
  if (options.sampleWeight !== undefined) {
    throw new Error(`${who}: sampleWeight must not be given with a dataset; give the weights in its batches as [x, y, sampleWeight]`);
  }
  if (options.validationSplit !== undefined && options.validationSplit !== 0) {
    throw new Error(`${who}: validationSplit is only supported for arrays and tensors, not for a dataset, received ${String(options.validationSplit)}; split the dataset (validationSplit and subset in textDatasetFromDirectory) and pass validationData`);
  }
}

/** A positive integer step count option, or null when not given. */
export function stepsOption(who: string, name: string, value: unknown): number | null {
  if (value === undefined || value === null) return null;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) throw new Error(`${who}: ${name} must be an integer >= 1, received ${describe(value)}`);
  return value;
}

/** An element of a source split into x, y and sample weights. */
export function splitBatch(who: string, e: unknown, index: number): { x: unknown; y: unknown; w: unknown } {
  if (!Array.isArray(e) || e.length < 2 || e.length > 3 || e.every((v) => typeof v === 'string')) {
    throw new Error(`${who}: batch ${index} of the dataset must be [x, y] or [x, y, sampleWeight], received ${describe(e)}`);
  }
  return { x: e[0], y: e[1], w: e[2] };
}

/** The inputs of an element for predict: a bare x (a tensor, a batch of texts) or the x of [x], [x, y], [x, y, w]. */
export function inputsOf(who: string, e: unknown, index: number): unknown {
  if (e instanceof Tensor) return e;
  if (Array.isArray(e) && e.length > 0 && e.every((v) => typeof v === 'string')) return e;
  if (Array.isArray(e) && e.length >= 1 && e.length <= 3) return e[0];
  throw new Error(`${who}: batch ${index} of the dataset must be x, [x], [x, y] or [x, y, sampleWeight], received ${describe(e)}`);
}

/** Batches one pass at a time; `batchesPerPass` is known, null (not known) or Infinity (never ends). */
export interface BatchFeed {
  readonly batchesPerPass: number | null;
  /** Starts a pass: a fresh iterator over its batches. */
  open(): AsyncIterator<Batch>;
}

/** Batches of `batchSize` rows of arrays, in a new `order()` each pass (null: in order). */
export function arrayFeed(data: Prepared, batchSize: number, order: () => number[] | null): BatchFeed {
  const steps = Math.ceil(data.n / batchSize);
  return {
    batchesPerPass: steps,
    open: () => {
      const perm = order();
      let b = 0;
      return {
        next: async (): Promise<IteratorResult<Batch>> => {
          if (b >= steps) return { done: true, value: undefined };
          const start = b++ * batchSize;
          return { done: false, value: takeBatch(data, start, Math.min(batchSize, data.n - start), perm) };
        },
      };
    },
  };
}

/** The batches of a source, each element turned into a Batch by `convert` (which checks it). */
export function sourceFeed(who: string, source: BatchSource, convert: (element: unknown, index: number) => Batch): BatchFeed {
  const c = typeof source.cardinality === 'function' ? source.cardinality() : null;
  const batchesPerPass = typeof c === 'number' && c >= 0 ? c : c === INFINITE ? Infinity : null;
  return {
    batchesPerPass,
    open: () => {
      const s = source as Partial<AsyncIterable<unknown> & Iterable<unknown>>;
      const it: Iterator<unknown> | AsyncIterator<unknown> = s[Symbol.asyncIterator] ? s[Symbol.asyncIterator]!() : s[Symbol.iterator]!();
      if (!it || typeof it.next !== 'function') throw new Error(`${who}: the dataset's iterator has no next()`);
      let i = 0;
      return {
        next: async (): Promise<IteratorResult<Batch>> => {
          const r = await it.next();
          return r.done ? { done: true, value: undefined } : { done: false, value: convert(r.value, i++) };
        },
        return: async (): Promise<IteratorResult<Batch>> => {
          await it.return?.();
          return { done: true, value: undefined };
        },
      };
    },
  };
}

/** Refuses a source that never ends when no step count bounds it. */
export function checkBounded(who: string, feed: BatchFeed, steps: number | null, stepsName: string, what = 'the dataset'): void {
  if (feed.batchesPerPass === Infinity && steps === null) {
    throw new Error(`${who}: ${what} never ends (cardinality -1, e.g. after repeat()); give ${stepsName} to say how many batches to read`);
  }
}

/**
 * Reads the batches of one epoch after another from a feed (the rules at the top of the file).
 * `next()` returns null at the end of the epoch.
 */
export class EpochReader {
  private pass: AsyncIterator<Batch> | null = null;
  private inPass = 0;
  private inEpoch = 0;
  /** Set when the source ended before the epoch's `steps` batches. */
  ranOut = false;

  constructor(
    private readonly feed: BatchFeed,
    private readonly steps: number | null,
  ) {}

  /** Batches per epoch when known before reading: the step count, or the length of a pass. */
  get epochLength(): number | null {
    return this.steps ?? this.feed.batchesPerPass;
  }

  /** The next batch of the epoch, or null at its end. */
  async next(): Promise<Batch | null> {
    if (this.steps !== null && this.inEpoch >= this.steps) return null;
    if (!this.pass) {
      this.pass = this.feed.open();
      this.inPass = 0;
    }
    let r = await this.pass.next();
    if (r.done && this.inEpoch === 0 && this.inPass > 0) {
      // a continued pass that ends where an epoch begins: the epoch reads a fresh pass
      this.pass = this.feed.open();
      this.inPass = 0;
      r = await this.pass.next();
    }
    if (r.done) {
      this.pass = null;
      if (this.steps !== null) this.ranOut = true;
      return null;
    }
    this.inPass++;
    this.inEpoch++;
    return r.value;
  }

  /** Ends an epoch: the pass goes on only with a step count and while a pass of known length is not read through. */
  async endEpoch(): Promise<void> {
    this.inEpoch = 0;
    const through = this.feed.batchesPerPass !== null && this.inPass >= this.feed.batchesPerPass;
    if (this.steps === null || through) await this.close();
  }

  /** Ends the current pass (its iterator's `return`), if one is open. */
  async close(): Promise<void> {
    const p = this.pass;
    this.pass = null;
    await p?.return?.();
  }
}

/** Keras's warning when a source runs out before `stepsPerEpoch` batches. */
export const RAN_OUT_WARNING =
  'Your input ran out of data; interrupting training. Make sure that your dataset or generator can generate at least `stepsPerEpoch * epochs` batches. You may need to use the `repeat()` function when building your dataset.';

/** One target or a list of targets (one per output). */
export function toList(y: unknown): (Tensor | NestedArray)[] {
  return Array.isArray(y) && y.length > 0 && y.every((e) => e instanceof Tensor) ? (y as Tensor[]) : [y as Tensor | NestedArray];
}

/** Rows `start .. start+size` (through `order` when shuffled) of every array. */
export function takeBatch(data: Prepared, start: number, size: number, order: number[] | null): Batch {
  if (order === null) {
    const whole = start === 0 && size === data.n;
    const cut = (t: Tensor) => (whole ? t : T.slice(t, [start], [size]));
    return {
      xs: data.xs.map(cut),
      ys: data.ys.map(cut),
      weights: data.weights ? new Tensor(data.weights.slice(start, start + size), [size]) : null,
      size,
    };
  }
  const idx = T.tensor(order.slice(start, start + size));
  return {
    xs: data.xs.map((t) => T.gather(t, idx)),
    ys: data.ys.map((t) => T.gather(t, idx)),
    weights: data.weights ? T.gather(new Tensor(data.weights, [data.n]), idx) : null,
    size,
  };
}

/** A whole prepared batch as the loop consumes it. */
export function asBatch(p: Prepared): Batch {
  return takeBatch(p, 0, p.n, null);
}
