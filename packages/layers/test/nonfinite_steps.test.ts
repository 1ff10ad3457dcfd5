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
