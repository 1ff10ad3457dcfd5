/**
 * `Dataset`: a stream of elements that can be read again, as `tf.data.Dataset` users know it.
 *
 * A dataset is a recipe: every `for await (const e of ds)` starts a fresh pass from the source
 * (a new shuffle order, a new read of the files), so one dataset serves every epoch of `fit`.
 * Transformations (`map`, `filter`, `batch`, `unbatch`, `shuffle`, `take`, `skip`, `repeat`,
 * `prefetch`, `cache`) return new datasets and read their input lazily, one element at a time:
 * nothing is held in memory that the pipeline does not hold by design (a shuffle buffer, a
 * prefetch queue, a cache).
 *
 * Elements are tensors, strings, numbers, or arrays of those (tuples such as `[text, label]`).
 * `batch(n)` stacks each component: tensors of one shape into a tensor with a new leading axis,
 * strings into a `string[]`, numbers into a float32 tensor `[n]`. `unbatch()` undoes it; there an
 * array whose entries are all strings is read as a batch of texts, any other array as a tuple.
 *
 * Differs from tf.data: no `numParallelCalls` (map runs one element at a time; `prefetch` overlaps
 * reading with the consumer instead), `cache()` is in memory only, there is no padded batch.
 * The layers package reads a dataset through the plain async-iterable protocol, so any iterable
 * of `[x, y]` batches works there too.
 *
 * @example
 * const ds = Dataset.fromTensorSlices([texts, labels]).shuffle(1000, { seed: 1 }).batch(32);
 * for await (const [x, y] of ds.take(1)) console.log(x.length, y.shape); // 32 [32]
 */
import { Rng, Tensor, fmtShape, stack } from '@seqlab/tensor';

/** What a dataset element can be: a tensor, a string, a number, or a tuple of elements. */
export type Element = Tensor | string | number | readonly Element[];

/** `cardinality()` of a dataset that never ends (tf.data's INFINITE_CARDINALITY). */
export const INFINITE_CARDINALITY = -1;
/** `cardinality()` when the number of elements is not known before reading (tf.data's UNKNOWN_CARDINALITY). */
export const UNKNOWN_CARDINALITY = -2;

type Opener<T> = () => AsyncIterator<T>;
type Source<T> = Iterable<T> | AsyncIterable<T> | Iterator<T> | AsyncIterator<T>;

/** Options of `Dataset.shuffle`. */
export interface ShuffleOptions {
  /** Seed of the order; without one each program run shuffles differently. */
  seed?: number;
  /** A new order on every pass (default true, as tf.data). */
  reshuffleEachIteration?: boolean;
}

function toAsyncIterator<T>(src: Source<T>, who: string): AsyncIterator<T> {
  const s = src as Partial<AsyncIterable<T> & Iterable<T> & AsyncIterator<T>>;
  if (typeof s[Symbol.asyncIterator] === 'function') return s[Symbol.asyncIterator]!();
  if (typeof s[Symbol.iterator] === 'function') {
    const it = s[Symbol.iterator]!();
    return { next: async () => it.next(), return: async (v?: unknown) => (it.return ? it.return(v) : { done: true, value: v }) } as AsyncIterator<T>;
  }
  if (typeof s.next === 'function') return { next: async () => (s as Iterator<T> | AsyncIterator<T>).next() } as AsyncIterator<T>;
  throw new Error(`${who}: expected an iterable, an async iterable or an iterator, received ${src === null ? 'null' : typeof src}`);
}

function checkCount(who: string, name: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min) throw new Error(`${who}: ${name} must be an integer >= ${min}, received ${n}`);
}

function describe(e: unknown): string {
  if (e instanceof Tensor) return `a tensor ${fmtShape(e.shape)}`;
  if (Array.isArray(e)) return `an array of ${e.length}`;
  return e === null ? 'null' : typeof e;
}

/** Row `i` of a tensor along axis 0, as a tensor of rank one less. */
function row(t: Tensor, i: number): Tensor {
  const inner = t.size / t.shape[0];
  return new Tensor(t.data.slice(i * inner, (i + 1) * inner), t.shape.slice(1));
}

/** Combines elements of one structure into one batched element (see the top of the file). */
export function batchElements(items: readonly unknown[], who = 'Dataset.batch'): Element {
  const first = items[0];
  if (first instanceof Tensor) {
    items.forEach((t, i) => {
      if (!(t instanceof Tensor) || t.shape.length !== first.shape.length || t.shape.some((d, k) => d !== first.shape[k])) {
        throw new Error(`${who}: element ${i} is ${describe(t)} but element 0 is ${describe(first)}; tensors in a batch must share one shape (pad them first, e.g. with padSequences)`);
      }
    });
    return stack(items as Tensor[], 0);
  }
  if (typeof first === 'string') {
    items.forEach((s, i) => {
      if (typeof s !== 'string') throw new Error(`${who}: element ${i} is ${describe(s)} but element 0 is a string`);
    });
    return items.slice() as string[];
  }
  if (typeof first === 'number') {
    const out = new Float32Array(items.length);
    items.forEach((v, i) => {
      if (typeof v !== 'number') throw new Error(`${who}: element ${i} is ${describe(v)} but element 0 is a number`);
      out[i] = v;
    });
    return new Tensor(out, [items.length]);
  }
  if (Array.isArray(first)) {
    const arity = first.length;
    items.forEach((e, i) => {
      if (!Array.isArray(e) || e.length !== arity) throw new Error(`${who}: element ${i} is ${describe(e)} but element 0 is a tuple of ${arity}`);
    });
    return Array.from({ length: arity }, (_, k) => batchElements(items.map((e) => (e as unknown[])[k]), who));
  }
  throw new Error(`${who}: cannot batch ${describe(first)}; elements must be tensors, strings, numbers or arrays of those`);
}

/** Splits one batched element back into its elements. */
export function unbatchElement(e: unknown, who = 'Dataset.unbatch'): Element[] {
  if (e instanceof Tensor) {
    if (e.rank === 0) throw new Error(`${who}: cannot unbatch a scalar tensor`);
    return Array.from({ length: e.shape[0] }, (_, i) => row(e, i));
  }
  if (Array.isArray(e)) {
    if (e.every((s) => typeof s === 'string')) return e.slice();
    const parts = e.map((c) => unbatchElement(c, who));
    const n = parts[0]?.length ?? 0;
    parts.forEach((p, k) => {
      if (p.length !== n) throw new Error(`${who}: component ${k} has ${p.length} rows but component 0 has ${n}`);
    });
    return Array.from({ length: n }, (_, i) => parts.map((p) => p[i]));
  }
  throw new Error(`${who}: cannot unbatch ${describe(e)}; expected a tensor, a string array or a tuple of those`);
}

/**
 * A stream of elements in the style of tf.data: built from arrays, tensors, generators or files,
 * transformed lazily (`map`, `filter`, `batch`, `shuffle`, `prefetch`, ...), read with `for await`,
 * and passed to `fit` as training or validation data. An element is a tensor, a string array, or a
 * tuple of those (`[x, y]`); `batch(n)` stacks n elements along a new first axis.
 * @example
 *   const ds = Dataset.fromTensorSlices([x, y]).shuffle(1000, { seed: 1 }).batch(32);   // x [N, T, I], y [N, 1]
 *   for await (const [xb, yb] of ds) { ... }   // xb [32, T, I] (the last batch may be smaller)
 */
export class Dataset<T = Element> implements AsyncIterable<T> {
  /** Class names, set by `textDatasetFromDirectory` (as Keras sets `class_names`). */
  classNames?: string[];
  /** The files read, before any per-pass shuffle (set by `textDatasetFromDirectory`). */
  filePaths?: string[];

  protected constructor(
    private readonly opener: Opener<T>,
    private readonly size: number,
  ) {}

  // ---------------------------------------------------------------------------------------------
  // sources

  /** Elements read from a fresh iterable on every pass: `fn` is called once per pass. */
  static fromGenerator<T>(fn: () => Source<T>, cardinality = UNKNOWN_CARDINALITY): Dataset<T> {
    if (typeof fn !== 'function') throw new Error(`Dataset.fromGenerator: expected a function returning an iterable, received ${typeof fn}`);
    return new Dataset(() => toAsyncIterator(fn(), 'Dataset.fromGenerator'), cardinality);
  }

  /** One element (tf.data's `from_tensors`). */
  static fromTensors<T>(element: T): Dataset<T> {
    return Dataset.fromGenerator(() => [element], 1);
  }

  /**
   * One element per row: a tensor sliced along axis 0, a string or number array item by item,
   * or a tuple of those zipped (all of one length).
   */
  static fromTensorSlices(data: Tensor | readonly string[] | readonly number[] | readonly (Tensor | readonly string[] | readonly number[])[]): Dataset<Element> {
    const who = 'Dataset.fromTensorSlices';
    const isLeaf = (d: unknown): boolean => d instanceof Tensor || (Array.isArray(d) && d.every((v) => typeof v === 'string' || typeof v === 'number'));
    const lengthOf = (d: unknown): number => (d instanceof Tensor ? (d.rank === 0 ? -1 : d.shape[0]) : (d as unknown[]).length);
    const itemAt = (d: unknown, i: number): Element => (d instanceof Tensor ? row(d, i) : (d as Element[])[i]);
    if (isLeaf(data)) {
      const n = lengthOf(data);
      if (n < 0) throw new Error(`${who}: cannot slice a scalar tensor`);
      return new Dataset(Dataset.counting(n, (i) => itemAt(data, i)), n);
    }
    const parts = data as readonly unknown[];
    if (!Array.isArray(parts) || parts.length === 0 || !parts.every(isLeaf)) {
      throw new Error(`${who}: expected a tensor, an array of strings or numbers, or a tuple of those, received ${describe(data)}`);
    }
    const n = lengthOf(parts[0]);
    parts.forEach((p, k) => {
      if (lengthOf(p) !== n) throw new Error(`${who}: component ${k} has ${lengthOf(p)} rows but component 0 has ${n}`);
    });
    return new Dataset(Dataset.counting(n, (i) => parts.map((p) => itemAt(p, i))), n);
  }

  /** The numbers `start, start + step, ...` below `stop` (`range(5)` is 0..4). */
  static range(start: number, stop?: number, step = 1): Dataset<number> {
    const [lo, hi] = stop === undefined ? [0, start] : [start, stop];
    if (!Number.isFinite(lo) || !Number.isFinite(hi) || !Number.isFinite(step) || step === 0) {
      throw new Error(`Dataset.range: expected finite start, stop and a non-zero step, received ${start}, ${stop}, ${step}`);
    }
    const n = Math.max(0, Math.ceil((hi - lo) / step));
    return new Dataset(Dataset.counting(n, (i) => lo + i * step), n);
  }

  private static counting<E>(n: number, at: (i: number) => E): Opener<E> {
    return () => {
      let i = 0;
      return { next: async () => (i < n ? { done: false, value: at(i++) } : { done: true, value: undefined }) } as AsyncIterator<E>;
    };
  }

  private derive<U>(gen: () => AsyncGenerator<U>, size: number): Dataset<U> {
    const out = new Dataset<U>(gen, size);
    out.classNames = this.classNames;
    out.filePaths = this.filePaths;
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // reading

  /** A fresh pass over the elements (`for await (const e of ds)`); each pass starts from the beginning. */
  [Symbol.asyncIterator](): AsyncIterator<T> {
    return this.opener();
  }

  /**
   * The number of elements, `INFINITE_CARDINALITY` (-1) or `UNKNOWN_CARDINALITY` (-2), as tf.data's
   * `cardinality()`. Known for slices, `range`, and what `map`, `batch`, `take`, `skip`,
   * `repeat`, `shuffle`, `prefetch`, `cache` make of a known count; unknown after `filter`,
   * `unbatch` and for generators.
   */
  cardinality(): number {
    return this.size;
  }

  /** Every element, in order (never ends on an infinite dataset). */
  async toArray(): Promise<T[]> {
    if (this.size === INFINITE_CARDINALITY) throw new Error('Dataset.toArray: the dataset is infinite (repeat() without a count); take(n) first');
    const out: T[] = [];
    for await (const e of this) out.push(e);
    return out;
  }

  // ---------------------------------------------------------------------------------------------
  // transformations

  /** `fn` applied to every element (it may return a promise). */
  map<U>(fn: (element: T) => U | Promise<U>): Dataset<U> {
    if (typeof fn !== 'function') throw new Error(`Dataset.map: expected a function, received ${typeof fn}`);
    const self = this;
    return this.derive(async function* () {
      for await (const e of self) yield await fn(e);
    }, this.size);
  }

  /** The elements for which `predicate` is true. */
  filter(predicate: (element: T) => boolean | Promise<boolean>): Dataset<T> {
    if (typeof predicate !== 'function') throw new Error(`Dataset.filter: expected a function, received ${typeof predicate}`);
    const self = this;
    return this.derive(async function* () {
      for await (const e of self) if (await predicate(e)) yield e;
    }, this.size === INFINITE_CARDINALITY ? INFINITE_CARDINALITY : UNKNOWN_CARDINALITY);
  }

  /** Consecutive elements combined into batches of `batchSize` (the last may be smaller unless `dropRemainder`). */
  batch(batchSize: number, options: { dropRemainder?: boolean } = {}): Dataset<Element> {
    checkCount('Dataset.batch', 'batchSize', batchSize, 1);
    const drop = options.dropRemainder ?? false;
    const self = this;
    const n = this.size;
    const size = n < 0 ? n : drop ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
    return this.derive(async function* () {
      let items: T[] = [];
      for await (const e of self) {
        items.push(e);
        if (items.length === batchSize) {
          yield batchElements(items);
          items = [];
        }
      }
      if (items.length > 0 && !drop) yield batchElements(items);
    }, size);
  }

  /** Each batch split back into its elements. */
  unbatch(): Dataset<Element> {
    const self = this;
    return this.derive(async function* () {
      for await (const b of self) yield* unbatchElement(b);
    }, this.size === INFINITE_CARDINALITY ? INFINITE_CARDINALITY : UNKNOWN_CARDINALITY);
  }

  /**
   * tf.data's buffered shuffle: fill a buffer of `bufferSize` elements, then repeatedly emit a
   * random one and put the next input element in its place. A buffer at least as large as the
   * dataset gives a uniform permutation.
   */
  shuffle(bufferSize: number, options: ShuffleOptions = {}): Dataset<T> {
    checkCount('Dataset.shuffle', 'bufferSize', bufferSize, 1);
    const { seed = Math.floor(Math.random() * 2 ** 31), reshuffleEachIteration = true } = options;
    if (!Number.isInteger(seed)) throw new Error(`Dataset.shuffle: seed must be an integer, received ${seed}`);
    const seeds = new Rng(seed);
    const self = this;
    return this.derive(async function* () {
      const rng = new Rng(reshuffleEachIteration ? seeds.nextUint32() : seed);
      const buffer: T[] = [];
      const it = self[Symbol.asyncIterator]();
      let r = await it.next();
      while (!r.done && buffer.length < bufferSize) {
        buffer.push(r.value);
        r = await it.next();
      }
      while (buffer.length > 0) {
        const i = rng.int(buffer.length);
        const out = buffer[i];
        if (!r.done) {
          buffer[i] = r.value;
          r = await it.next();
        } else {
          buffer[i] = buffer[buffer.length - 1];
          buffer.pop();
        }
        yield out;
      }
    }, this.size);
  }

  /** The first `count` elements (all of them when there are fewer). */
  take(count: number): Dataset<T> {
    checkCount('Dataset.take', 'count', count, 0);
    const self = this;
    const n = this.size;
    return this.derive(async function* () {
      if (count === 0) return;
      let i = 0;
      for await (const e of self) {
        yield e;
        if (++i >= count) return;
      }
    }, n === INFINITE_CARDINALITY ? count : n < 0 ? n : Math.min(n, count));
  }

  /** All but the first `count` elements. */
  skip(count: number): Dataset<T> {
    checkCount('Dataset.skip', 'count', count, 0);
    const self = this;
    const n = this.size;
    return this.derive(async function* () {
      let i = 0;
      for await (const e of self) if (i++ >= count) yield e;
    }, n < 0 ? n : Math.max(0, n - count));
  }

  /** The dataset `count` times over (forever without a count), each pass a fresh read. */
  repeat(count?: number): Dataset<T> {
    if (count !== undefined) checkCount('Dataset.repeat', 'count', count, 0);
    const self = this;
    const n = this.size;
    const size = n === 0 ? 0 : count === undefined ? INFINITE_CARDINALITY : n < 0 ? n : n * count;
    return this.derive(async function* () {
      for (let pass = 0; count === undefined || pass < count; pass++) {
        let any = false;
        for await (const e of self) {
          any = true;
          yield e;
        }
        if (!any) return; // an empty pass would repeat forever
      }
    }, size);
  }

  /**
   * Reads up to `bufferSize` elements ahead of the consumer, so file reads and decoding overlap
   * the work done on each element (a training step).
   */
  prefetch(bufferSize = 1): Dataset<T> {
    checkCount('Dataset.prefetch', 'bufferSize', bufferSize, 0);
    if (bufferSize === 0) return this;
    const self = this;
    return this.derive(async function* () {
      const it = self[Symbol.asyncIterator]();
      const queue: Promise<IteratorResult<T>>[] = [];
      let ended = false;
      const fill = (): void => {
        while (!ended && queue.length < bufferSize) {
          const p = it.next();
          queue.push(p);
          p.then((r) => (ended ||= !!r.done), () => (ended = true));
        }
      };
      try {
        for (;;) {
          fill();
          const r = await queue.shift()!;
          if (r.done) return;
          yield r.value;
        }
      } finally {
        ended = true;
        await Promise.allSettled(queue);
        await it.return?.();
      }
    }, this.size);
  }

  /**
   * Keeps the elements of the first complete pass in memory and replays them on later passes
   * (a pass stopped early is not kept, as tf.data does).
   */
  cache(): Dataset<T> {
    const self = this;
    let kept: T[] | null = null;
    return this.derive(async function* () {
      if (kept) {
        yield* kept;
        return;
      }
      const pass: T[] = [];
      for await (const e of self) {
        pass.push(e);
        yield e;
      }
      kept = pass;
    }, this.size);
  }
}
