/**
 * What the recurrent layers compute: masking, goBackwards, initial states, statefulness, dropout,
 * custom and stacked cells, the GRU resetAfter variant held to a step computed by hand, and the
 * errors for inputs that do not fit.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import fc from 'fast-check';
import {
  Bidirectional, Embedding, GRU, GRUCell, LSTM, LSTMCell, Model, RNN, RecurrentCell, Sequential, SimpleRNN, SimpleRNNCell,
  StepDropout, StackedRNNCells, clearSession, getRng, input, referenceSequence, scan, setSeed,
} from '@seqlab/layers';
import { Variable } from '@seqlab/autograd';
import { expectClose } from '../../../tests/support';

beforeEach(() => {
  clearSession();
  setSeed(3);
});

const rand = (shape: number[], seed = 11, lo = -1, hi = 1) => T.randomUniform(shape, lo, hi, { rng: new T.Rng(seed) });
const arr = (t: Tensor) => Array.from(t.data);
/** Outputs of these small layers lie within ±1 (tanh, gates): 1e-6 is an absolute bound. */
const TOL = 1e-6;
const timeSlice = (x: Tensor, t0: number, n: number) => T.slice(x, [0, t0, 0], [x.shape[0], n, x.shape[2]]);

type Kind = 'SimpleRNN' | 'LSTM' | 'GRU';
const make = (kind: Kind, args: Record<string, unknown>) =>
  kind === 'SimpleRNN' ? new SimpleRNN({ units: 3, ...args }) : kind === 'LSTM' ? new LSTM({ units: 3, ...args }) : new GRU({ units: 3, ...args });
/** A second layer of the same kind with the same weights. */
function twin(kind: Kind, src: RNN, args: Record<string, unknown>, inputDim: number): RNN {
  const l = make(kind, args);
  l.ensureBuilt([null, null, inputDim]);
  l.setWeights(src.getWeights());
  return l;
}

describe('masking', () => {
  const kinds: Kind[] = ['SimpleRNN', 'LSTM', 'GRU'];
  test.each(kinds)('%s: post-padding gives the output and states of the unpadded sequence', (kind) => {
    const x = rand([2, 5, 2]);
    const layer = make(kind, { returnState: true });
    const mask = T.tensor([[1, 1, 1, 0, 0], [1, 1, 1, 1, 1]]);
    const out = layer.apply(x, { mask }) as Tensor[];
    const short = twin(kind, layer, { returnState: true }, 2).apply(timeSlice(x, 0, 3)) as Tensor[];
    const full = twin(kind, layer, { returnState: true }, 2).apply(x) as Tensor[];
    out.forEach((o, i) => {
      expectClose(T.slice(o, [0, 0], [1, 3]), T.slice(short[i], [0, 0], [1, 3]), TOL);
      expectClose(T.slice(o, [1, 0], [1, 3]), T.slice(full[i], [1, 0], [1, 3]), TOL);
    });
  });

  test.each(kinds)('%s: pre-padding (padSequences default) skips the leading steps', (kind) => {
    const x = rand([1, 5, 2]);
    const layer = make(kind, {});
    const y = layer.apply(x, { mask: T.tensor([[0, 0, 1, 1, 1]]) }) as Tensor;
    const ref = twin(kind, layer, {}, 2).apply(timeSlice(x, 2, 3)) as Tensor;
    expectClose(y, ref, TOL);
  });

  test('returnSequences: a masked step repeats the previous output (zeros before the first real step)', () => {
    const x = rand([1, 5, 2]);
    const layer = new LSTM({ units: 3, returnSequences: true });
    const y = layer.apply(x, { mask: T.tensor([[0, 1, 0, 1, 0]]) }) as Tensor;
    const step = (t: number) => arr(T.slice(y, [0, t, 0], [1, 1, 3]));
    expect(step(0)).toEqual([0, 0, 0]);
    expect(step(2)).toEqual(step(1));
    expect(step(4)).toEqual(step(3));
    expect(step(3)).not.toEqual(step(1));
  });

  test('zeroOutputForMask: masked steps output zeros, states still carry', () => {
    const x = rand([1, 4, 2]);
    const layer = new GRU({ units: 3, returnSequences: true, returnState: true, zeroOutputForMask: true });
    const [y, h] = layer.apply(x, { mask: T.tensor([[1, 0, 1, 0]]) }) as Tensor[];
    expect(arr(T.slice(y, [0, 1, 0], [1, 1, 3]))).toEqual([0, 0, 0]);
    expect(arr(T.slice(y, [0, 3, 0], [1, 1, 3]))).toEqual([0, 0, 0]);
    expect(arr(h)).toEqual(arr(T.slice(y, [0, 2, 0], [1, 1, 3])));
  });

  test('Embedding(maskZero) -> LSTM in a model: padded reviews give the same output as unpadded ones', () => {
    const ids = input({ shape: [null] });
    const emb = new Embedding({ inputDim: 20, outputDim: 4, maskZero: true });
    const lstm = new LSTM({ units: 5 });
    const m = new Model({ inputs: ids, outputs: lstm.apply(emb.apply(ids) as never) as never });
    const padded = m.predict(T.tensor([[0, 0, 3, 7, 9]])) as Tensor;
    const plain = m.predict(T.tensor([[3, 7, 9]])) as Tensor;
    expectClose(padded, plain, TOL);
    // and the mask is not dropped: without it the padding would change the result
    const noMask = new Sequential([new Embedding({ inputDim: 20, outputDim: 4 }), new LSTM({ units: 5 })]);
    noMask.build([null, 5]);
    noMask.setWeights(m.getWeights());
    expect(arr(noMask.predict(T.tensor([[0, 0, 3, 7, 9]])) as Tensor)).not.toEqual(arr(padded));
  });

  test('output mask: passed on with returnSequences, dropped otherwise, none for states', () => {
    const x = rand([1, 3, 2]);
    const mask = T.tensor([[1, 1, 0]]);
    expect(new LSTM({ units: 2, returnSequences: true }).computeMask(x, mask)).toBe(mask);
    expect(new LSTM({ units: 2 }).computeMask(x, mask)).toBeNull();
    expect(new LSTM({ units: 2, returnSequences: true, returnState: true }).computeMask(x, mask)).toEqual([mask, null, null]);
  });

  test('Bidirectional with returnSequences outputs zeros at masked steps (Keras), in both halves', () => {
    const x = rand([1, 4, 2]);
    const bi = new Bidirectional({ layer: new LSTM({ units: 3, returnSequences: true }) });
    const y = bi.apply(x, { mask: T.tensor([[1, 1, 1, 0]]) }) as Tensor;
    expect(arr(T.slice(y, [0, 3, 0], [1, 1, 6]))).toEqual([0, 0, 0, 0, 0, 0]);
    // the unmasked part equals the two directions run on the 3 real steps
    const short = timeSlice(x, 0, 3);
    const f = twin('LSTM', bi.forwardLayer, { returnSequences: true }, 2).apply(short) as Tensor;
    const b = twin('LSTM', bi.backwardLayer, { returnSequences: true, goBackwards: true }, 2).apply(short) as Tensor;
    expectClose(T.slice(y, [0, 0, 0], [1, 3, 6]), T.concat([f, T.reverse(b, 1)], -1), TOL);
  });
});

describe('goBackwards and initial states', () => {
  test('goBackwards equals the forward layer on the time-reversed input', () => {
    fc.assert(
      fc.property(fc.constantFrom<Kind>('SimpleRNN', 'LSTM', 'GRU'), fc.integer({ min: 1, max: 5 }), fc.boolean(), (kind, steps, seqs) => {
        const x = rand([2, steps, 3], steps);
        const back = make(kind, { goBackwards: true, returnSequences: seqs });
        const y = back.apply(x) as Tensor;
        const fwd = twin(kind, back, { returnSequences: seqs }, 3).apply(T.reverse(x, 1)) as Tensor;
        expectClose(y, fwd, TOL);
      }),
      { seed: 42, numRuns: 20 },
    );
  });

  test('initial states: splitting a sequence and passing the states on gives the whole run', () => {
    const x = rand([2, 6, 3]);
    const a = new LSTM({ units: 3, returnState: true, returnSequences: true });
    const [yAll, hAll, cAll] = a.apply(x) as Tensor[];
    const b = twin('LSTM', a, { returnState: true, returnSequences: true }, 3);
    const [y1, h1, c1] = b.apply(timeSlice(x, 0, 2)) as Tensor[];
    const [y2, h2, c2] = b.apply(timeSlice(x, 2, 4), { initialState: [h1, c1] }) as Tensor[];
    expectClose(T.concat([y1, y2], 1), yAll, TOL);
    expectClose(h2, hAll, TOL);
    expectClose(c2, cAll, TOL);
  });

  test('symbolic initialState in a functional model (encoder states into a decoder)', () => {
    const enc = input({ shape: [null, 3] });
    const [, h, c] = new LSTM({ units: 4, returnState: true }).apply(enc) as never[];
    const dec = input({ shape: [null, 2] });
    const y = new LSTM({ units: 4, returnSequences: true }).apply(dec, { initialState: [h, c] });
    const m = new Model({ inputs: [enc, dec], outputs: y as never });
    const out = m.predict([rand([2, 5, 3]), rand([2, 3, 2], 5)]) as Tensor;
    expect(out.shape).toEqual([2, 3, 4]);
  });
});

describe('stateful layers', () => {
  test('two calls equal one call on the concatenated sequence; resetStates starts over', () => {
    const layer = new GRU({ units: 3, stateful: true, batchInputShape: [2, 3, 2] });
    const x = rand([2, 6, 2]);
    layer.ensureBuilt([2, 3, 2]);
    const ref = twin('GRU', layer, {}, 2).apply(x) as Tensor;
    layer.apply(timeSlice(x, 0, 3));
    const second = layer.apply(timeSlice(x, 3, 3)) as Tensor;
    expectClose(second, ref, TOL);
    expectClose(layer.getStates()[0], second, TOL);
    layer.resetStates();
    expect(arr(layer.getStates()[0])).toEqual(new Array(6).fill(0));
    const fresh = twin('GRU', layer, {}, 2).apply(timeSlice(x, 0, 3)) as Tensor;
    expectClose(layer.apply(timeSlice(x, 0, 3)) as Tensor, fresh, TOL);
  });

  test('carried states are detached: the gradient of the second batch stops at the batch boundary', () => {
    const layer = new SimpleRNN({ units: 3, stateful: true, batchInputShape: [2, 2, 2] });
    const x = rand([2, 4, 2]);
    layer.apply(timeSlice(x, 0, 2));
    const carried = layer.getStates();
    const weights = layer.weights.map((w) => w.value);
    const { grads } = A.gradients(() => A.sum(layer.apply(timeSlice(x, 2, 2)) as Tensor), weights);
    const plain = twin('SimpleRNN', layer, {}, 2);
    const pw = plain.weights.map((w) => w.value);
    const expected = A.gradients(() => A.sum(plain.apply(timeSlice(x, 2, 2), { initialState: carried }) as Tensor), pw).grads;
    grads.forEach((g, i) => expectClose(g, expected[i], TOL));
  });

  test('setStates and the batch-size checks', () => {
    const layer = new LSTM({ units: 2, stateful: true, batchInputShape: [1, 2, 1] });
    layer.ensureBuilt([1, 2, 1]);
    layer.setStates([T.tensor([[1, 2]]), T.tensor([[3, 4]])]);
    expect(layer.getStates().map(arr)).toEqual([[1, 2], [3, 4]]);
    expect(() => layer.setStates([T.tensor([[1, 2]])])).toThrow(/expected 2 initial states \(h, c\), received 1/);
    expect(() => layer.apply(rand([3, 2, 1]))).toThrow(/stateful layer built for batch size 1, received input \[3,2,1\]/);
    const unbatched = new LSTM({ units: 2, stateful: true });
    expect(() => new Sequential([input({ shape: [2, 1] }) as never, unbatched])).toThrow(/stateful RNN needs a fixed batch size/);
  });
});

describe('dropout', () => {
  test('only when training; masks from getRng(), the same mask at every step', () => {
    const x = rand([2, 4, 3]);
    const layer = new LSTM({ units: 3, dropout: 0.5, recurrentDropout: 0.3, returnSequences: true });
    const plain = layer.apply(x) as Tensor;
    const plainAgain = layer.apply(x, { training: false }) as Tensor;
    expect(arr(plainAgain)).toEqual(arr(plain));
    setSeed(99);
    const trained = layer.apply(x, { training: true }) as Tensor;
    expect(arr(trained)).not.toEqual(arr(plain));
    // the same run, with the masks drawn by hand in the same order from the same seed
    setSeed(99);
    const inMask = T.dropoutMask([2, 3], 0.5, getRng());
    const recMask = T.dropoutMask([2, 3], 0.3, getRng());
    const [kernel, recurrentKernel, bias] = layer.weights.map((w) => w.value);
    const ref = referenceSequence({
      cell: new LSTMCell({ units: 3 }), x, weights: [kernel, recurrentKernel, bias], initialStates: [T.zeros([2, 3]), T.zeros([2, 3])], mask: null,
      goBackwards: false, returnSequences: true, dropout: { input: inMask, recurrent: recMask },
    });
    expectClose(trained, ref.output, TOL);
  });
});

describe('GRU resetAfter', () => {
  // one step by hand: I = 2, H = 1
  const x = T.tensor([[0.5, -1]]);
  const h0 = 0.5;
  const W = [[0.1, 0.2, 0.3], [0.4, 0.5, 0.6]];
  const U = [0.7, 0.8, 0.9];
  const sig = (v: number) => 1 / (1 + Math.exp(-v));
  const xW = [0, 1, 2].map((g) => 0.5 * W[0][g] - 1 * W[1][g]); // [-0.35, -0.4, -0.45]

  test('resetAfter true: h̃ = tanh(x·W_h + b_h + r ⊙ (h·U_h + b\'_h))', () => {
    const b = [[0.01, 0.02, 0.03], [0.04, 0.05, 0.06]];
    const z = sig(xW[0] + b[0][0] + h0 * U[0] + b[1][0]);
    const r = sig(xW[1] + b[0][1] + h0 * U[1] + b[1][1]);
    const hh = Math.tanh(xW[2] + b[0][2] + r * (h0 * U[2] + b[1][2]));
    const expected = z * h0 + (1 - z) * hh;
    const layer = new GRU({ units: 1 });
    layer.ensureBuilt([1, 1, 2]);
    layer.setWeights([T.tensor(W), T.tensor([U]), T.tensor(b)]);
    const y = layer.apply(T.reshape(x, [1, 1, 2]), { initialState: [T.tensor([[h0]])] }) as Tensor;
    expect(y.data[0]).toBeCloseTo(expected, 6);
    // and resetAfter false (bias [3H]) is a different function of the same weights
    const v1 = new GRU({ units: 1, resetAfter: false });
    v1.ensureBuilt([1, 1, 2]);
    v1.setWeights([T.tensor(W), T.tensor([U]), T.tensor(b[0])]);
    // resetAfter false: h̃ = tanh(x·W_h + b_h + (r ⊙ h)·U_h)
    const z1 = sig(xW[0] + b[0][0] + h0 * U[0]);
    const r1 = sig(xW[1] + b[0][1] + h0 * U[1]);
    const hh1 = Math.tanh(xW[2] + b[0][2] + r1 * h0 * U[2]);
    const y1 = v1.apply(T.reshape(x, [1, 1, 2]), { initialState: [T.tensor([[h0]])] }) as Tensor;
    expect(y1.data[0]).toBeCloseTo(z1 * h0 + (1 - z1) * hh1, 6);
    expect(Math.abs(y1.data[0] - y.data[0])).toBeGreaterThan(1e-3);
  });

  test('the layer equals the GRUCell stepped by hand', () => {
    fc.assert(
      fc.property(fc.boolean(), fc.integer({ min: 1, max: 4 }), (resetAfter, steps) => {
        const layer = new GRU({ units: 3, resetAfter, returnSequences: true, implementation: 'reference' });
        const xs = rand([2, steps, 2], steps + 100);
        const y = layer.apply(xs) as Tensor;
        const cell = new GRUCell({ units: 3, resetAfter });
        cell.build(2);
        [cell.kernel, cell.recurrentKernel, cell.bias!].forEach((v, i) => v.assign(layer.getWeights()[i]));
        let states = cell.zeroStates(2);
        for (let t = 0; t < steps; t++) {
          const [out, next] = cell.step(T.reshape(timeSlice(xs, t, 1), [2, 2]), states);
          expectClose(T.reshape(T.slice(y, [0, t, 0], [2, 1, 3]), [2, 3]), out, TOL);
          states = next;
        }
      }),
      { seed: 42, numRuns: 10 },
    );
  });
});

describe('generic RNN: custom and stacked cells', () => {
  /** h_t = h_{t-1} + x_t·w: a running weighted sum. */
  class SumCell implements RecurrentCell {
    name = 'sum_cell';
    stateSize = [1];
    outputSize = 1;
    built = false;
    w!: Variable;
    build(inputDim: number): void {
      this.w = new Variable(T.ones([inputDim, 1]), 'sum_cell/w');
      this.built = true;
    }
    get weights(): Variable[] {
      return this.built ? [this.w] : [];
    }
    step(x: Tensor, [h]: Tensor[], _d?: StepDropout): [Tensor, Tensor[]] {
      const y = A.add(h, A.matmul(x, this.w.value));
      return [y, [y]];
    }
    clone(): RecurrentCell {
      return new SumCell();
    }
  }

  test('RNN({ cell }) scans a custom cell (with masks and goBackwards)', () => {
    const x = T.tensor([[[1], [2], [3], [4]]]);
    expect(arr(new RNN({ cell: new SumCell(), returnSequences: true }).apply(x) as Tensor)).toEqual([1, 3, 6, 10]);
    expect(arr(new RNN({ cell: new SumCell(), returnSequences: true, goBackwards: true }).apply(x) as Tensor)).toEqual([4, 7, 9, 10]);
    expect(arr(new RNN({ cell: new SumCell() }).apply(x, { mask: T.tensor([[1, 0, 1, 0]]) }) as Tensor)).toEqual([4]);
    const r = new RNN({ cell: new SumCell() });
    r.apply(x);
    expect(r.countParams()).toBe(1);
    expect(r.className).toBe('RNN');
  });

  test('a list of cells is a stack: RNN([LSTMCell, SimpleRNNCell]) equals LSTM(seq) then SimpleRNN', () => {
    const x = rand([2, 4, 3]);
    const stacked = new RNN({ cell: [new LSTMCell({ units: 4 }), new SimpleRNNCell({ units: 2 })], returnState: true });
    const [y, h1, c1, h2] = stacked.apply(x) as Tensor[];
    expect(stacked.weights.map((w) => w.shape)).toEqual([[3, 16], [4, 16], [16], [4, 2], [2, 2], [2]]);
    const w = stacked.getWeights();
    const l1 = new LSTM({ units: 4, returnSequences: true, returnState: true });
    l1.ensureBuilt([2, 4, 3]);
    l1.setWeights(w.slice(0, 3));
    const l2 = new SimpleRNN({ units: 2 });
    l2.ensureBuilt([2, 4, 4]);
    l2.setWeights(w.slice(3));
    const [seq, eh, ec] = l1.apply(x) as Tensor[];
    expectClose(y, l2.apply(seq) as Tensor, TOL);
    expectClose(h1, eh, TOL);
    expectClose(c1, ec, TOL);
    expectClose(h2, y, TOL);
    expect(new StackedRNNCells([new GRUCell({ units: 2 }), new GRUCell({ units: 5 })]).stateSize).toEqual([2, 5]);
  });

  test('reference and the layer agree for every implementation flag; scan equals referenceSequence', () => {
    const x = rand([2, 3, 2]);
    const a = new LSTM({ units: 3, implementation: 'reference', returnSequences: true });
    const ya = a.apply(x) as Tensor;
    const b = twin('LSTM', a, { implementation: 'fused', returnSequences: true }, 2);
    expectClose(b.apply(x) as Tensor, ya, 1e-6);
    const cell = new LSTMCell({ units: 3 });
    cell.build(2);
    [cell.kernel, cell.recurrentKernel, cell.bias!].forEach((v, i) => v.assign(a.getWeights()[i]));
    const viaScan = scan((xt, s) => cell.step(xt, s), x, cell.zeroStates(2), { returnSequences: true });
    expectClose(viaScan.output, ya, 0);
  });
});

describe('bad input', () => {
  test('wrong rank names the layer, the expected and the received shape', () => {
    const lstm = new LSTM({ units: 4 });
    lstm.apply(rand([100, 28, 28]));
    expect(() => lstm.apply(rand([100, 28]))).toThrow("LSTM 'lstm': expected input [batch, time, 28], received [100, 28]");
    const fresh = new GRU({ units: 2 });
    expect(() => fresh.apply(rand([100, 28]))).toThrow("GRU 'gru': expected input [batch, time, features], received [100, 28]");
  });

  test('wrong feature size', () => {
    const rnn = new SimpleRNN({ units: 4, name: 'encoder' });
    rnn.apply(rand([2, 3, 5]));
    expect(() => rnn.apply(rand([2, 3, 4]))).toThrow("SimpleRNN 'encoder': expected input [batch, time, 5], received [2, 3, 4]");
    const m = new Sequential([new LSTM({ units: 2, inputShape: [10, 1] })]);
    expect(() => m.predict(rand([4, 10, 3]))).toThrow(/expected input \[batch, 10, 1\], received \[4, 10, 3\]/);
  });

  test('mask shape mismatch', () => {
    const lstm = new LSTM({ units: 2 });
    expect(() => lstm.apply(rand([3, 4, 1]), { mask: T.ones([3, 5]) })).toThrow(
      "LSTM 'lstm': expected mask [3, 4] (batch, time of input [3,4,1]), received [3,5]",
    );
  });

  test('initial states: count and shape', () => {
    const lstm = new LSTM({ units: 2 });
    const x = rand([3, 4, 1]);
    expect(() => lstm.apply(x, { initialState: [T.zeros([3, 2])] })).toThrow("LSTM 'lstm': expected 2 initial states (h, c), received 1");
    expect(() => lstm.apply(x, { initialState: [T.zeros([3, 2]), T.zeros([3, 5])] })).toThrow(
      "LSTM 'lstm': expected initial state 1 [3, 2], received [3, 5]",
    );
  });

  test('bad options', () => {
    expect(() => new LSTM({ units: 0 })).toThrow(/units must be a positive integer, received 0/);
    expect(() => new GRU({ units: 2, dropout: 1 })).toThrow(/dropout must be in \[0, 1\), received 1/);
    expect(() => new SimpleRNN({ units: 2, activation: 'nope' })).toThrow(/unknown activation 'nope'/);
    expect(() => new LSTM({ units: 2, implementation: 'cudnn' as 'fused' })).toThrow(/implementation must be 'fused' or 'reference'/);
  });
});
