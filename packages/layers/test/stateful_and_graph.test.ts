/**
 * What the model and the trainer learn from layers without reaching into them: `stateful` and
 * `resetStates` through wrappers and nested models, `stepOutputs` leaving the layer as it was,
 * and one global gradient norm per training step.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Bidirectional, Dense, LSTM, SGD, Sequential, SimpleRNN } from '@seqlab/layers';

describe('stateful layers are found through wrappers and nested models', () => {
  test('stateful is true for a stateful RNN, a Bidirectional of one, and a model holding either', () => {
    const plain = new LSTM({ units: 2 });
    const stateful = new LSTM({ units: 2, stateful: true, batchInputShape: [3, 4, 1] });
    expect(plain.stateful).toBe(false);
    expect(stateful.stateful).toBe(true);
    const bi = new Bidirectional({ layer: new SimpleRNN({ units: 2, stateful: true }), batchInputShape: [3, 4, 1] });
    expect(bi.stateful).toBe(true);
    expect(new Dense({ units: 1 }).stateful).toBe(false);
    const inner = new Sequential([bi]);
    const outer = new Sequential([inner, new Dense({ units: 1 })]);
    expect(inner.stateful).toBe(true);
    expect(outer.stateful).toBe(true);
    expect(new Sequential([new LSTM({ units: 2, inputShape: [4, 1] })]).stateful).toBe(false);
  });

  test('fit keeps the batch size of a stateful Bidirectional and refuses samples it does not divide', async () => {
    const m = new Sequential([new Bidirectional({ layer: new SimpleRNN({ units: 2, stateful: true }), batchInputShape: [3, 4, 1] }), new Dense({ units: 1 })]);
    m.compile({ optimizer: 'sgd', loss: 'mse' });
    await expect(m.fit(T.ones([4, 4, 1]), T.ones([4, 1]), { verbose: 0, shuffle: false, batchSize: 3 })).rejects.toThrow('does not divide the 4 training samples');
  });

  test('Model.resetStates zeroes the states of a stateful layer inside a Bidirectional', () => {
    const bi = new Bidirectional({ layer: new SimpleRNN({ units: 2, stateful: true }), batchInputShape: [1, 3, 1] });
    const m = new Sequential([bi]);
    const x = T.ones([1, 3, 1]);
    const first = m.predict(x) as T.Tensor;
    const second = m.predict(x) as T.Tensor;
    expect(Array.from(second.data)).not.toEqual(Array.from(first.data)); // the state was carried
    m.resetStates();
    expect(Array.from((m.predict(x) as T.Tensor).data)).toEqual(Array.from(first.data));
  });
});

describe('stepOutputs', () => {
  test('returns every step without changing returnSequences or the carried state', () => {
    const rnn = new SimpleRNN({ units: 3, stateful: true, batchInputShape: [2, 5, 1] });
    const x = T.randomNormal([2, 5, 1], 0, 1, { seed: 3 });
    const last = rnn.apply(x) as T.Tensor;
    const statesBefore = rnn.getStates();
    const steps = rnn.stepOutputs(x, null, [T.zeros([2, 3])]);
    expect(steps.shape).toEqual([2, 5, 3]);
    expect(rnn.returnSequences).toBe(false);
    expect(rnn.getStates().map((s) => Array.from(s.data))).toEqual(statesBefore.map((s) => Array.from(s.data)));
    // the last step of the sequence is what the layer returned from the same (zero) state
    expect(Array.from(T.slice(steps, [0, 4, 0], [2, 1, 3]).data)).toEqual(Array.from(last.data));
  });
});

describe('one global norm per step', () => {
  test('clipByGlobalNorm takes a norm the caller measured (useNorm) instead of computing it again', () => {
    const g = [T.tensor([3, 4]), T.tensor([12])];
    expect(A.clipByGlobalNorm(g, 6.5).globalNorm).toBe(13);
    // a norm given as 26 halves the scale: the given norm is the one used
    const { grads, globalNorm } = A.clipByGlobalNorm(g, 6.5, 26);
    expect(globalNorm).toBe(26);
    expect(Array.from(grads[0].data)).toEqual([0.75, 1]);
  });

  test('the optimizer clips with the norm passed to applyGradients', () => {
    const v = new A.Variable(T.zeros([2]), 'w');
    new SGD({ learningRate: 1, globalClipnorm: 1 }).applyGradients([v], [T.tensor([3, 4])], 10);
    // scale 1/10 from the given norm (the true norm 5 would give 1/5)
    expect(Array.from(v.value.data).map((x) => Math.round(x * 1e6) / 1e6)).toEqual([-0.3, -0.4]);
  });
});
