/**
 * Non-finite values during training: a step whose loss or gradients are not finite is not applied
 * and is reported (layer, weight, and for recurrent layers the timestep in input order, with
 * goBackwards and Bidirectional); an infinite input is blamed on the data, not the weights.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { Bidirectional, Dense, Logs, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';

const weightsOf = (m: Sequential): number[][] => m.getWeights().map((w) => Array.from(w.data));

/** mean(sqrt(|p - y|)): finite, but its gradient at p = y is not (0.5 / sqrt(0)). */
const sqrtLoss = (y: Tensor, p: Tensor): Tensor => A.mean(A.sqrt(A.sqrt(A.square(A.sub(p, y)))), -1);

/** A linear SimpleRNN(2) on 2 features, kernel all ones, recurrent kernel identity. */
function linearRnn(goBackwards: boolean, bidirectional = false): Sequential {
  setSeed(2);
  const rnn = new SimpleRNN({ units: 2, activation: 'linear', goBackwards, returnSequences: false, ...(bidirectional ? {} : { inputShape: [6, 2] }) });
  const m = new Sequential([bidirectional ? new Bidirectional({ layer: rnn, inputShape: [6, 2] }) : rnn]);
  const one = [T.tensor([[1, 1], [1, 1]]), T.tensor([[1, 0], [0, 1]]), T.zeros([2])]; // kernel, recurrent kernel, bias
  m.setWeights(bidirectional ? [...one, ...one] : one);
  return m;
}

/** x [1, 6, 2] with 3e38 (whose double overflows float32) at input timestep 2, zeros elsewhere. */
function spike(): Tensor {
  const x = T.zeros([1, 6, 2]);
  x.data[2 * 2] = 3e38;
  x.data[2 * 2 + 1] = 3e38;
  return x;
}

test('gradients not finite while the loss is: the step is not applied, the weight is named, fit goes on', async () => {
  setSeed(1);
  const m = new Sequential([new Dense({ units: 1, inputShape: [2], kernelInitializer: 'zeros' })]);
  m.compile({ optimizer: 'sgd', loss: sqrtLoss });
  const before = weightsOf(m);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const batches: Logs[] = [];
  try {
    const h = await m.fit(T.tensor([[1, 2], [3, 4]]), T.tensor([[0], [0]]), { verbose: 0, epochs: 2, shuffle: false, callbacks: [{ onBatchEnd: (_b: number, l: Logs) => void batches.push(l) }] });
    expect(h.history.loss).toEqual([0, 0]);
    expect(h.history.skipped_steps).toEqual([1, 1]);
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/^fit: epoch 1, batch 1: step not applied: the gradients of '[\w/]*kernel', '[\w/]*bias' are not finite\.$/));
  } finally {
    warn.mockRestore();
  }
  expect(batches.map((l) => l.nan_report)).toEqual([expect.stringMatching(/^step not applied: the gradients of/), expect.stringMatching(/^step not applied/)]);
  expect(weightsOf(m)).toEqual(before);
  expect(weightsOf(m).flat().every(Number.isFinite)).toBe(true);
});

test('an infinite loss: the step is not applied and the layer where infinity appears is named', async () => {
  setSeed(1);
  const m = new Sequential([new Dense({ units: 1, inputShape: [2], kernelInitializer: 'ones' })]);
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const before = weightsOf(m);
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  try {
    await m.fit(T.tensor([[3e38, 3e38]]), T.tensor([[0]]), { verbose: 0 });
    expect(warn).toHaveBeenCalledWith(expect.stringMatching(/step not applied: the loss is Infinity\. NaN or infinity first appears in the output of Dense 'dense\w*'\./));
  } finally {
    warn.mockRestore();
  }
  expect(weightsOf(m)).toEqual(before);
});

describe('the timestep is given in input order', () => {
  test.each([
    [false, /^NaN or infinity first appears in the output of SimpleRNN '\w+' at input timestep 2\.$/],
    [true, /^NaN or infinity first appears in the output of SimpleRNN '\w+' at input timestep 2 \(it runs backwards: that is its processing step 3\)\.$/],
  ])('SimpleRNN goBackwards %s', (goBackwards, report) => {
    expect(linearRnn(goBackwards).traceNaN([spike()])).toMatch(report);
  });

  test('Bidirectional: both directions searched, each in input order', () => {
    expect(linearRnn(false, true).traceNaN([spike()])).toMatch(
      /^NaN or infinity first appears in the output of Bidirectional '\w+' \(forward layer at input timestep 2; backward layer at input timestep 2\)\.$/,
    );
  });

  test('an infinite input is blamed on the data, not the weights', () => {
    const x = T.zeros([1, 6, 2]);
    x.data[2 * 3 + 1] = -Infinity;
    expect(linearRnn(true).traceNaN([x])).toBe('NaN or infinity is in the data, not the weights: input 0 holds -Infinity at [0, 3, 1].');
  });
});

/**
 * Forward finite, backward overflowing: a linear SimpleRNN(1), kernel 1, recurrent kernel u, bias 0,
 * on x [1, 6, 1] holding a single 1. The output is 1·u at the step after the spike (1e10, the loss
 * 1e20: finite); BPTT multiplies the gradient by u at each step back, 2e10, 2e20, 2e30, 2e40: the
 * third step before the last (processing step 2) overflows float32.
 */
function overflowingRnn(u: number, options: { goBackwards?: boolean; implementation?: 'fused' | 'reference' } = {}): SimpleRNN {
  return new SimpleRNN({ units: 1, activation: 'linear', ...options });
}
const rnnWeights = (u: number): Tensor[] => [T.tensor([[1]]), T.tensor([[u]]), T.zeros([1])];

/** x [1, 6, 1]: 1 at input timestep t, zeros elsewhere. */
function spikeAt(t: number): Tensor {
  const x = T.zeros([1, 6, 1]);
  x.data[t] = 1;
  return x;
}

/** The warning of fit's single step on (x, 0) and the batch log's nan_report. */
async function failedStepReport(m: Sequential, x: Tensor): Promise<{ warning: string; nanReport: unknown; skipped: number[] }> {
  m.compile({ optimizer: 'sgd', loss: 'meanSquaredError' });
  const warn = jest.spyOn(console, 'warn').mockImplementation(() => undefined);
  const logs: Logs[] = [];
  try {
    const h = await m.fit(x, T.zeros([1, m.outputs[0].shape[1] as number]), { verbose: 0, batchSize: 1, shuffle: false, callbacks: [{ onBatchEnd: (_b: number, l: Logs) => void logs.push(l) }] });
    expect(warn).toHaveBeenCalledTimes(1);
    return { warning: String(warn.mock.calls[0][0]), nanReport: logs[0].nan_report, skipped: h.history.skipped_steps as number[] };
  } finally {
    warn.mockRestore();
  }
}

describe('only the backward pass overflows: the report names the layer, the weights and the timestep where BPTT overflowed', () => {
  test.each(['fused', 'reference'] as const)('SimpleRNN (%s): input timestep 2', async (implementation) => {
    setSeed(3);
    const m = new Sequential([overflowingRnn(1e10, { implementation, inputShape: [6, 1] } as never)]);
    m.setWeights(rnnWeights(1e10));
    const x = spikeAt(4);
    expect(Array.from((m.predict(x) as Tensor).data)).toEqual([1e10]); // forward finite
    expect(m.traceNaN([x])).toBeNull();
    const before = weightsOf(m);
    const r = await failedStepReport(m, x);
    expect(r.warning).toMatch(
      /^fit: epoch 1, batch 1: step not applied: the gradients of ('[\w/]+', )*'simple_rnn\w*\/simple_rnn_cell\/bias' are not finite\. NaN or infinity first appears in the backward pass, in SimpleRNN 'simple_rnn\w*' at input timestep 2\.$/,
    );
    expect(r.nanReport).toBe(r.warning.replace(/^fit: epoch 1, batch 1: /, ''));
    expect(r.skipped).toEqual([1]);
    expect(weightsOf(m)).toEqual(before);
  });

  test('goBackwards: the timestep in input order, with the processing step', async () => {
    setSeed(3);
    const m = new Sequential([overflowingRnn(1e10, { goBackwards: true, inputShape: [6, 1] } as never)]);
    m.setWeights(rnnWeights(1e10));
    const r = await failedStepReport(m, spikeAt(1)); // processing step 4
    expect(r.warning).toMatch(/ NaN or infinity first appears in the backward pass, in SimpleRNN '\w+' at input timestep 3 \(it runs backwards: that is its processing step 2\)\.$/);
  });

  test('Bidirectional: the direction whose backward pass overflowed', async () => {
    setSeed(3);
    const m = new Sequential([new Bidirectional({ layer: overflowingRnn(1), inputShape: [6, 1] })]);
    m.setWeights([...rnnWeights(1), ...rnnWeights(1e10)]); // only the backward layer's recurrence overflows
    const r = await failedStepReport(m, spikeAt(1));
    expect(r.warning).toMatch(/'backward_simple_rnn\w*\/simple_rnn_cell\/bias' are not finite\. NaN or infinity first appears in the backward pass, in Bidirectional '\w+' \(backward layer at input timestep 3\)\.$/);
    expect(r.warning).not.toMatch(/'forward_/);
  });

  // the second layer's gradient is finite (2 at each of its steps) and reaches the first at every
  // timestep as 2e-10; there BPTT sums 2e-10·u^(5-t): 2e30 at t = 1, 2e40 at t = 0
  test('a recurrent layer after the one that overflows: the origin is named, not the layer it flows into', async () => {
    setSeed(3);
    const first = overflowingRnn(1e10, { inputShape: [6, 1], returnSequences: true } as never);
    const second = new SimpleRNN({ units: 1, activation: 'linear' });
    const m = new Sequential([first, second]);
    m.setWeights([...rnnWeights(1e10), T.tensor([[1e-10]]), T.tensor([[1]]), T.zeros([1])]);
    const r = await failedStepReport(m, spikeAt(4));
    expect(r.warning).toMatch(new RegExp(`NaN or infinity first appears in the backward pass, in SimpleRNN '${first.name}' at input timestep 0\\.$`));
  });
});

test('a stateful layer: the diagnosis starts from the states the step started from and leaves those the step left', async () => {
  setSeed(3);
  const rnn = overflowingRnn(1e10, { stateful: true, batchInputShape: [1, 6, 1] } as never);
  const m = new Sequential([rnn]);
  m.setWeights(rnnWeights(1e10));
  const r = await failedStepReport(m, spikeAt(4));
  expect(r.warning).toMatch(/ NaN or infinity first appears in the backward pass, in SimpleRNN '\w+' at input timestep 2\.$/);
  expect(Array.from(rnn.getStates()[0].data)).toEqual([1e10]); // the failed step's final state, not advanced by the diagnosis
});
