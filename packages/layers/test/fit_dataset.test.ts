/**
 * fit, evaluate and predict on a batch source (any iterable or async iterable of [x, y] or
 * [x, y, sampleWeight] batches): the same numbers as arrays cut into the same batches, Keras's
 * epoch rules for stepsPerEpoch, and Keras's refusals. Cross-package tests with the datasets
 * package's Dataset are in tests/fit_dataset.test.ts.
 */
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { AbortError, Callback, Dense, LSTM, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';

/** Sequences [n, 6, 2] whose label says whether the first feature sums above zero. */
function sequences(n: number, seed: number): [Tensor, Tensor, Tensor] {
  const x = T.randomNormal([n, 6, 2], 0, 1, { seed });
  const y = new Float32Array(n);
  const w = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let t = 0; t < 6; t++) s += x.data[(i * 6 + t) * 2];
    y[i] = s > 0 ? 1 : 0;
    w[i] = 0.5 + (i % 3) * 0.25;
  }
  return [x, new Tensor(y, [n, 1]), new Tensor(w, [n])];
}

function model(seed = 3, rnn: 'lstm' | 'simple' = 'lstm'): Sequential {
  setSeed(seed);
  const cell = rnn === 'lstm' ? new LSTM({ units: 5, inputShape: [6, 2] }) : new SimpleRNN({ units: 5, inputShape: [6, 2] });
  const m = new Sequential([cell, new Dense({ units: 1, activation: 'sigmoid' })]);
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy', metrics: ['accuracy'] });
  return m;
}

/** The rows of arrays cut into batches of `size`, as a list of [x, y] or [x, y, w] tuples. */
function cut(size: number, ...arrays: Tensor[]): Tensor[][] {
  const n = arrays[0].shape[0];
  const out: Tensor[][] = [];
  for (let s = 0; s < n; s += size) out.push(arrays.map((a) => T.slice(a, [s], [Math.min(size, n - s)])));
  return out;
}

/** A reusable async source over fixed batches, with a known length unless told otherwise, counting its passes. */
function source<E>(batches: E[], known = true): AsyncIterable<E> & { cardinality(): number; passes: number; read: number } {
  const s = {
    passes: 0,
    read: 0,
    cardinality: () => (known ? batches.length : -2),
    async *[Symbol.asyncIterator]() {
      s.passes++;
      for (const b of batches) {
        s.read++;
        yield b;
      }
    },
  };
  return s;
}

const weightsOf = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.data));

describe('fit on a dataset of batches', () => {
  test('bit-identical to fit on the same batches as arrays: losses, metrics, validation, sample weights, weights', async () => {
    const [x, y, w] = sequences(50, 11);
    const [vx, vy] = sequences(20, 12);
    const a = model();
    const ha = await a.fit(x, y, { batchSize: 16, epochs: 3, shuffle: false, sampleWeight: w, validationData: [vx, vy], verbose: 0 });
    const b = model();
    const hb = await b.fit(source(cut(16, x, y, w)), { epochs: 3, validationData: source(cut(16, vx, vy)), verbose: 0 });
    expect(hb.history).toEqual(ha.history);
    expect(hb.history.loss).toHaveLength(3);
    expect(hb.history.val_loss).toHaveLength(3);
    expect(weightsOf(b)).toEqual(weightsOf(a));
    // evaluate and predict agree too, and a sync iterable (an array's iterator made reusable) works
    const batches = cut(7, vx, vy);
    const sync = { [Symbol.iterator]: () => batches[Symbol.iterator]() };
    expect(await b.evaluate(sync, { returnDict: true })).toEqual(a.evaluate(vx, vy, { batchSize: 7, returnDict: true }));
    expect(await b.evaluateAsync(source(batches))).toEqual(a.evaluate(vx, vy, { batchSize: 7 }));
    const p = (await b.predict(source(batches))) as Tensor;
    expect(Array.from(p.data)).toEqual(Array.from((a.predict(vx, { batchSize: 7 }) as Tensor).data));
    // predict reads bare x batches as well, and `steps` stops early
    const bare = (await b.predictAsync(source(cut(7, vx)), { steps: 2 })) as Tensor;
    expect(bare.shape).toEqual([14, 1]);
    expect(Array.from(bare.data)).toEqual(Array.from(p.data.slice(0, 14)));
  });

  test('a simple RNN trained on a generator function per pass matches arrays; classWeight applies to the batches', async () => {
    const [x, y] = sequences(40, 21);
    const a = model(5, 'simple');
    const ha = await a.fit(x, y, { batchSize: 10, epochs: 2, shuffle: false, classWeight: { 0: 1, 1: 3 }, verbose: 0 });
    const b = model(5, 'simple');
    const gen = { *[Symbol.iterator]() { yield* cut(10, x, y); } };
    const hb = await b.fit(gen, { epochs: 2, classWeight: { 0: 1, 1: 3 }, verbose: 0 });
    expect(hb.history).toEqual(ha.history);
    expect(weightsOf(b)).toEqual(weightsOf(a));
  });

  test('callbacks see every batch and epoch; stopTraining from a callback ends fit', async () => {
    const [x, y] = sequences(40, 31);
    const m = model();
    const seen: string[] = [];
    const cb: Callback = {
      onEpochBegin: (e) => void seen.push(`epoch ${e}`),
      onBatchEnd: (b, logs) => void seen.push(`batch ${b} size ${logs.size}`),
      onEpochEnd: (e, logs) => void seen.push(`end ${e} ${typeof logs.val_loss}`),
    };
    await m.fit(source(cut(16, x, y)), { epochs: 2, validationData: source(cut(16, x, y)), callbacks: [cb], verbose: 0 });
    expect(seen).toEqual(['epoch 0', 'batch 0 size 16', 'batch 1 size 16', 'batch 2 size 8', 'end 0 number', 'epoch 1', 'batch 0 size 16', 'batch 1 size 16', 'batch 2 size 8', 'end 1 number']);
    const stopper: Callback = { onBatchEnd: (b) => void (b === 1 && (m.stopTraining = true)) };
    const h = await m.fit(source(cut(8, x, y)), { epochs: 5, callbacks: [stopper], verbose: 0 });
    expect(h.history.loss).toHaveLength(1);
  });

  test('yieldEvery and an AbortSignal work as with arrays', async () => {
    const [x, y] = sequences(48, 41);
    const m = model();
    let turns = 0;
    let done = false;
    const spin = (): void => {
      if (!done) {
        turns++;
        setImmediate(spin);
      }
    };
    setImmediate(spin);
    await m.fit(source(cut(8, x, y)), { epochs: 2, yieldEvery: 'batch', verbose: 0 });
    done = true;
    expect(turns).toBe(12);
    const ctl = new AbortController();
    let last: number[][] = [];
    const spy: Callback = {
      onBatchEnd: (b) => {
        last = weightsOf(m);
        if (b === 3) setImmediate(() => ctl.abort());
      },
    };
    const err = await m.fit(source(cut(8, x, y)), { epochs: 3, yieldEvery: 'batch', signal: ctl.signal, callbacks: [spy], verbose: 0 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect(weightsOf(m)).toEqual(last);
  });

  test('stepsPerEpoch: the pass goes on across epochs; a known pass read through starts afresh', async () => {
    const [x, y] = sequences(60, 51);
    const m = model();
    const s = source(cut(10, x, y)); // 6 batches
    const batches: number[] = [];
    const h = await m.fit(s, { epochs: 4, stepsPerEpoch: 3, verbose: 0, callbacks: [{ onEpochEnd: () => void batches.push(s.read) }] });
    expect(h.history.loss).toHaveLength(4);
    expect(batches).toEqual([3, 6, 9, 12]);
    expect(s.passes).toBe(2);
    // the same epochs as arrays: stepsPerEpoch over arrays reads the same batches
    const a = model();
    const b = model();
    const ha = await a.fit(x, y, { batchSize: 10, epochs: 4, stepsPerEpoch: 3, shuffle: false, verbose: 0 });
    const hb = await b.fit(source(cut(10, x, y)), { epochs: 4, stepsPerEpoch: 3, verbose: 0 });
    expect(hb.history).toEqual(ha.history);
    // an unknown-length pass that ends where an epoch begins starts afresh too
    const u = source(cut(10, x, y), false);
    await m.fit(u, { epochs: 3, stepsPerEpoch: 6, verbose: 0 });
    expect([u.passes, u.read]).toEqual([3, 18]);
  });

  test("a dataset that runs out before stepsPerEpoch interrupts training with Keras's warning; a one-shot generator stops after one epoch", async () => {
    const [x, y] = sequences(30, 61);
    const m = model();
    const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      const h = await m.fit(source(cut(10, x, y), false), { epochs: 5, stepsPerEpoch: 4, verbose: 0 });
      expect(h.history.loss).toHaveLength(1);
      expect(warn).toHaveBeenCalledWith(expect.stringContaining('Your input ran out of data; interrupting training.'));
      warn.mockClear();
      const once = (function* () {
        yield* cut(10, x, y);
      })();
      const h2 = await m.fit(once, { epochs: 3, verbose: 0 });
      expect(h2.history.loss).toHaveLength(1);
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
    }
    await expect(m.fit(source([]), { verbose: 0 })).rejects.toThrow('fit: the dataset yielded no batches; there is nothing to train on');
  });

  test("Keras's refusals with a dataset, before any weight changes", async () => {
    const [x, y, w] = sequences(20, 71);
    const m = model();
    const before = weightsOf(m);
    const ds = source(cut(10, x, y));
    await expect(m.fit(ds, { validationSplit: 0.2, verbose: 0 })).rejects.toThrow('fit: validationSplit is only supported for arrays and tensors, not for a dataset, received 0.2');
    await expect(m.fit(ds, { batchSize: 8, verbose: 0 })).rejects.toThrow('fit: batchSize must not be given with a dataset, received 8');
    await expect(m.fit(ds, { sampleWeight: w, verbose: 0 })).rejects.toThrow('fit: sampleWeight must not be given with a dataset; give the weights in its batches as [x, y, sampleWeight]');
    await expect(m.fit(ds, y as never, { verbose: 0 })).rejects.toThrow('fit: y must not be given when x is a dataset (the targets come from its [x, y] batches), received a Tensor of shape [20, 1]');
    const endless = Object.assign(source(cut(10, x, y)), { cardinality: () => -1 });
    await expect(m.fit(endless, { verbose: 0 })).rejects.toThrow('fit: the dataset never ends (cardinality -1, e.g. after repeat()); give stepsPerEpoch');
    await expect(m.fit(ds, { validationData: endless, verbose: 0 })).rejects.toThrow('fit: validationData never ends (cardinality -1, e.g. after repeat()); give validationSteps');
    await expect(m.fit(ds, { stepsPerEpoch: 0, verbose: 0 })).rejects.toThrow('fit: stepsPerEpoch must be an integer >= 1, received 0');
    await expect(m.fit(ds, { validationSteps: 2, verbose: 0 })).rejects.toThrow('fit: validationSteps needs validationData (or validationSplit)');
    await expect(m.fit(source([[x]]), { verbose: 0 })).rejects.toThrow('fit: batch 0 of the dataset must be [x, y] or [x, y, sampleWeight], received an array of length 1');
    await expect(m.fit(source([[x, T.slice(y, [0], [5])]]), { verbose: 0 })).rejects.toThrow('fit (batch 0): x and y must have the same number of samples');
    await expect(m.evaluate(ds, { batchSize: 4 })).rejects.toThrow('evaluate: batchSize must not be given with a dataset');
    await expect(m.predict(ds, { batchSize: 4 })).rejects.toThrow('predict: batchSize must not be given with a dataset');
    expect(weightsOf(m)).toEqual(before);
    // an endless dataset is fine with stepsPerEpoch and validationSteps
    const h = await m.fit(endlessOf(cut(10, x, y)), { epochs: 2, stepsPerEpoch: 3, validationData: endlessOf(cut(10, x, y)), validationSteps: 1, verbose: 0 });
    expect(h.history.val_loss).toHaveLength(2);
  });

  test('progress: the bar knows the length from cardinality; an unknown length shows n/Unknown until the first epoch ends', async () => {
    const [x, y] = sequences(30, 81);
    const m = model();
    const known: string[] = [];
    await m.fit(source(cut(10, x, y)), { epochs: 1, progressSink: { isTTY: true, write: (s) => void known.push(s) } });
    expect(known.some((s) => s.startsWith('\r1/3 ['))).toBe(true);
    const unknown: string[] = [];
    await m.fit(source(cut(10, x, y), false), { epochs: 2, progressSink: { isTTY: true, write: (s) => void unknown.push(s) } });
    const text = unknown.join('');
    expect(text).toMatch(/\r1\/Unknown - \d+s \d+ms\/step - loss: /);
    expect(text).toMatch(/\r3\/3 \[=+\] - /);
    expect(text.split('Epoch 2/2')[1]).toMatch(/\r1\/3 \[/);
  });
});

/** A source that never ends (cardinality -1), cycling over fixed batches. */
function endlessOf<E>(batches: E[]): AsyncIterable<E> & { cardinality(): number } {
  return {
    cardinality: () => -1,
    async *[Symbol.asyncIterator]() {
      for (;;) yield* batches;
    },
  };
}
