import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { AbortError, Callback, Dense, History, Sequential, setSeed } from '@seqlab/layers';

/** y = [x₀ + x₁ > 0] on n samples. */
function blobs(n: number, seed: number): [Tensor, Tensor] {
  const x = T.randomNormal([n, 2], 0, 1, { seed });
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) y[i] = x.data[2 * i] + x.data[2 * i + 1] > 0 ? 1 : 0;
  return [x, new Tensor(y, [n, 1])];
}

function model(seed = 1): Sequential {
  setSeed(seed);
  const m = new Sequential([new Dense({ units: 8, activation: 'tanh', inputShape: [2] }), new Dense({ units: 1, activation: 'sigmoid' })]);
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  return m;
}

/** How many turns the event loop makes while `run` goes on (a task that re-queues itself runs once per turn). */
async function turnsDuring(run: () => Promise<unknown>): Promise<number> {
  let turns = 0;
  let done = false;
  const spin = (): void => {
    if (done) return;
    turns++;
    setImmediate(spin);
  };
  setImmediate(spin);
  await run();
  done = true;
  return turns;
}

const weightsOf = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.data));

describe('fit yields to the event loop', () => {
  test.each([
    ['batch', 40],
    ['never', 0],
    ['epoch', 4],
  ] as const)("yieldEvery '%s': the event loop turns between batches (%i times)", async (yieldEvery, turnsExpected) => {
    const m = model();
    const [x, y] = blobs(160, 3);
    expect(await turnsDuring(() => m.fit(x, y, { batchSize: 16, epochs: 4, verbose: 0, yieldEvery }))).toBe(turnsExpected);
  });

  test("'auto' and milliseconds yield by elapsed time: a slow batch lets a timer run", async () => {
    const m = model();
    const [x, y] = blobs(32, 3);
    for (const [yieldEvery, busyMs] of [['auto', 130], [5, 10]] as const) {
      let ticks = 0;
      const timer = setInterval(() => ticks++, 0);
      const slow: Callback = { onBatchEnd: () => { const t = Date.now(); while (Date.now() - t < busyMs); } };
      await m.fit(x, y, { batchSize: 16, epochs: 1, verbose: 0, yieldEvery, callbacks: [slow] });
      clearInterval(timer);
      expect(ticks).toBeGreaterThanOrEqual(1);
    }
    // fast batches under 'auto' do not yield after each one
    const [xb, yb] = blobs(320, 4);
    expect(await turnsDuring(() => m.fit(xb, yb, { batchSize: 8, epochs: 1, verbose: 0 }))).toBeLessThan(40);
  });

  test('bad yieldEvery or signal values are refused by name', async () => {
    const m = model();
    const [x, y] = blobs(8, 1);
    await expect(m.fit(x, y, { verbose: 0, yieldEvery: 'sometimes' as never })).rejects.toThrow(
      "fit: yieldEvery must be 'auto', 'batch', 'epoch', 'never' or a number of milliseconds >= 0, received sometimes",
    );
    await expect(m.fit(x, y, { verbose: 0, yieldEvery: -1 })).rejects.toThrow('fit: yieldEvery must be');
    await expect(m.fit(x, y, { verbose: 0, signal: 'stop' as never })).rejects.toThrow('fit: signal must be an AbortSignal');
    expect(() => m.predict(x, { signal: new AbortController().signal })).toThrow('predict: signal and yieldEvery need the asynchronous predictAsync');
  });
});

describe('fit stops on an AbortSignal', () => {
  test('an abort from a timer: rejects with AbortError; weights of the last completed batch; history of completed epochs', async () => {
    const m = model();
    const [x, y] = blobs(64, 5);
    const ctl = new AbortController();
    let lastBatchWeights: number[][] = [];
    let batches = 0;
    const spy: Callback = {
      onBatchEnd: () => {
        lastBatchWeights = weightsOf(m);
        batches++;
        // abort from outside fit, once a few batches of the third epoch have run
        if (batches === 2 * 8 + 3) setImmediate(() => ctl.abort());
      },
    };
    const err = await m.fit(x, y, { batchSize: 8, epochs: 50, verbose: 0, shuffle: false, signal: ctl.signal, yieldEvery: 'batch', callbacks: [spy] }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(AbortError);
    expect((err as Error).name).toBe('AbortError');
    expect((err as Error).message).toBe('fit: aborted by its signal (This operation was aborted)');
    expect(weightsOf(m)).toEqual(lastBatchWeights);
    const history = (err as AbortError).history as History;
    expect(history.history.loss).toHaveLength(2);
    expect(m.history).toBe(history);
    // the model trains again afterwards (no fit left open)
    await m.fit(x, y, { batchSize: 8, epochs: 1, verbose: 0 });
  });

  test('an already aborted signal is refused before any change', async () => {
    const m = model();
    const [x, y] = blobs(16, 5);
    const before = weightsOf(m);
    const ctl = new AbortController();
    ctl.abort(new Error('user pressed stop'));
    const err = await m.fit(x, y, { verbose: 0, signal: ctl.signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AbortError);
    expect((err as AbortError).reason).toEqual(new Error('user pressed stop'));
    expect((err as Error).message).toBe('fit: aborted by its signal (user pressed stop)');
    expect(weightsOf(m)).toEqual(before);
  });

  test('predictAsync and evaluateAsync yield and abort; without abort they equal predict and evaluate', async () => {
    const m = model();
    const [x, y] = blobs(200, 6);
    expect(Array.from(((await m.predictAsync(x, { batchSize: 7 })) as Tensor).data)).toEqual(Array.from((m.predict(x, { batchSize: 7 }) as Tensor).data));
    expect(await m.evaluateAsync(x, y, { batchSize: 7 })).toBe(m.evaluate(x, y, { batchSize: 7 }));
    const ctl = new AbortController();
    let ticks = 0;
    const timer = setInterval(() => {
      ticks++;
      if (ticks === 3) ctl.abort();
    }, 0);
    await expect(m.predictAsync(x, { batchSize: 1, yieldEvery: 'batch', signal: ctl.signal })).rejects.toThrow('predictAsync: aborted by its signal');
    const ctl2 = new AbortController();
    setImmediate(() => ctl2.abort());
    await expect(m.evaluateAsync(x, y, { batchSize: 1, yieldEvery: 'batch', signal: ctl2.signal })).rejects.toThrow('evaluateAsync: aborted by its signal');
    clearInterval(timer);
  });

  test('a model already inside a fit refuses a second one', async () => {
    const m = model();
    const [x, y] = blobs(64, 7);
    const first = m.fit(x, y, { batchSize: 8, epochs: 2, verbose: 0, yieldEvery: 'batch' });
    await expect(m.fit(x, y, { verbose: 0 })).rejects.toThrow("is already inside a fit; await it (or abort it) before starting another");
    await first;
    await m.fit(x, y, { batchSize: 8, epochs: 1, verbose: 0 });
  });
});
