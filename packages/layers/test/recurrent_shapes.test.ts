/**
 * Shapes and parameter counts of the recurrent layers, held to the seed chapters' summary tables
 * (seed 002: IMDb and MNIST autoencoders; seed 003: stacked SimpleRNN; seed 004: layer shapes).
 */
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import {
  BatchNormalization, Bidirectional, Dense, Dropout, Embedding, GRU, LSTM, Model, RepeatVector, Sequential,
  SimpleRNN, TimeDistributed, clearSession, input, setSeed,
} from '@seqlab/layers';

beforeEach(() => {
  clearSession();
  setSeed(1);
});

const data = (shape: number[]) => T.randomUniform(shape, 0, 1, { rng: new T.Rng(7) });

/** The first line of a layer's summary row, whitespace collapsed (long names wrap, as in Keras). */
function rowOf(lines: string[], name: string): string {
  const line = lines.find((l) => l.startsWith(` ${name} (`));
  if (!line) throw new Error(`no row for ${name} in\n${lines.join('\n')}`);
  return line.replace(/\s+/g, ' ').trim();
}

/** The totals as the summary prints them (with Keras's thousands separators: '652,577'). */
function totals(lines: string[]): [string, string, string] {
  const get = (k: string) => lines.find((l) => l.startsWith(k))!.split(':')[1].trim().split(' ')[0];
  return [get('Total params'), get('Trainable params'), get('Non-trainable params')];
}

describe('seed 004: output shapes of LSTM(32) on (100, 10, 1)', () => {
  const x = data([100, 10, 1]);
  test('default: last output [100, 32]', () => {
    const y = new LSTM({ units: 32, activation: 'tanh' }).apply(x) as Tensor;
    expect(y.shape).toEqual([100, 32]);
  });
  test('returnSequences: [100, 10, 32]', () => {
    const y = new LSTM({ units: 32, returnSequences: true }).apply(x) as Tensor;
    expect(y.shape).toEqual([100, 10, 32]);
  });
  test('returnState: output, h, c; output = h', () => {
    const out = new LSTM({ units: 32, returnState: true }).apply(x) as Tensor[];
    expect(out.map((t) => t.shape)).toEqual([[100, 32], [100, 32], [100, 32]]);
    expect(Array.from(out[0].data)).toEqual(Array.from(out[1].data));
  });
  test('returnSequences + returnState: h is the last element of the output', () => {
    const [seq, h, c] = new LSTM({ units: 32, returnSequences: true, returnState: true }).apply(x) as Tensor[];
    expect([seq.shape, h.shape, c.shape]).toEqual([[100, 10, 32], [100, 32], [100, 32]]);
    expect(Array.from(T.slice(seq, [0, 9, 0], [100, 1, 32]).data)).toEqual(Array.from(h.data));
  });
  test('goBackwards + returnSequences: the last processed step is timestep 0, stored last', () => {
    const layer = new GRU({ units: 4, returnSequences: true, returnState: true, goBackwards: true });
    const [seq, h] = layer.apply(x) as Tensor[];
    expect(seq.shape).toEqual([100, 10, 4]);
    expect(Array.from(T.slice(seq, [0, 9, 0], [100, 1, 4]).data)).toEqual(Array.from(h.data));
    // processing order: step 0 of the output saw only the last input timestep
    const one = new GRU({ units: 4 });
    one.ensureBuilt([100, 1, 1]);
    one.setWeights(layer.getWeights());
    const last = one.apply(T.slice(x, [0, 9, 0], [100, 1, 1])) as Tensor;
    const first = T.slice(seq, [0, 0, 0], [100, 1, 4]).reshape([100, 4]);
    expect(Array.from(first.data)).toEqual(Array.from(last.data));
  });
  test('SimpleRNN and GRU: returnState gives [output, h]', () => {
    for (const L of [SimpleRNN, GRU]) {
      const out = new L({ units: 16, returnSequences: true, returnState: true }).apply(data([1, 10, 4])) as Tensor[];
      expect(out.map((t) => t.shape)).toEqual([[1, 10, 16], [1, 16]]);
    }
  });
  test('symbolic shapes, with a list for returnState', () => {
    const x0 = input({ shape: [null, 10] });
    const outs = new LSTM({ units: 8, returnSequences: true, returnState: true }).apply(x0);
    expect((outs as { shape: unknown }[]).map((o) => o.shape)).toEqual([[null, null, 8], [null, 8], [null, 8]]);
    const y = new Bidirectional({ layer: new LSTM({ units: 8, returnSequences: true }) }).apply(x0);
    expect((y as { shape: unknown }).shape).toEqual([null, null, 16]);
  });
});

describe('Bidirectional output shapes for every merge mode', () => {
  const x = data([3, 5, 2]);
  const cases: [('concat' | 'sum' | 'mul' | 'ave' | null), number][] = [['concat', 12], ['sum', 6], ['mul', 6], ['ave', 6], [null, 6]];
  test.each(cases)('mergeMode %p', (mode, width) => {
    for (const returnSequences of [false, true]) {
      for (const returnState of [false, true]) {
        const layer = new Bidirectional({ layer: new LSTM({ units: 6, returnSequences, returnState }), mergeMode: mode });
        const y = layer.apply(x);
        const ys = Array.isArray(y) ? y : [y];
        const predicted = layer.computeOutputShape([null, 5, 2]);
        const pred = (Array.isArray(predicted[0]) ? predicted : [predicted]) as (number | null)[][];
        const outShape = returnSequences ? [3, 5, width] : [3, width];
        const expected = [...(mode === null ? [outShape, outShape] : [outShape]), ...(returnState ? [[3, 6], [3, 6], [3, 6], [3, 6]] : [])];
        expect(ys.map((t) => t.shape)).toEqual(expected);
        expect(pred.map((s) => [3, ...s.slice(1)])).toEqual(expected);
      }
    }
  });
  test('names and weight order: forward_<name> then backward_<name>', () => {
    const inner = new LSTM({ units: 3 });
    const bi = new Bidirectional({ layer: inner });
    bi.apply(x);
    expect(bi.name).toBe('bidirectional');
    expect(bi.forwardLayer.name).toBe('forward_lstm');
    expect(bi.backwardLayer.name).toBe('backward_lstm');
    expect(bi.backwardLayer.goBackwards).toBe(true);
    expect(bi.weights.map((w) => w.name)).toEqual([
      'forward_lstm/lstm_cell/kernel', 'forward_lstm/lstm_cell/recurrent_kernel', 'forward_lstm/lstm_cell/bias',
      'backward_lstm/lstm_cell/kernel', 'backward_lstm/lstm_cell/recurrent_kernel', 'backward_lstm/lstm_cell/bias',
    ]);
    expect(bi.weights.map((w) => w.shape)).toEqual([[2, 12], [3, 12], [12], [2, 12], [3, 12], [12]]);
  });
  test('bad merge mode and mismatched backwardLayer are rejected', () => {
    expect(() => new Bidirectional({ layer: new LSTM({ units: 2 }), mergeMode: 'max' as 'sum' })).toThrow(/mergeMode must be one of/);
    expect(() => new Bidirectional({ layer: new LSTM({ units: 2 }), backwardLayer: new LSTM({ units: 2 }) })).toThrow(/opposite goBackwards/);
  });
});

describe('weights in Keras order and shapes', () => {
  test('LSTM: kernel [in, 4H], recurrent [H, 4H], bias [4H] with the forget block at 1', () => {
    const l = new LSTM({ units: 3 });
    l.apply(data([1, 2, 5]));
    expect(l.weights.map((w) => [w.name, w.shape])).toEqual([
      ['lstm/lstm_cell/kernel', [5, 12]], ['lstm/lstm_cell/recurrent_kernel', [3, 12]], ['lstm/lstm_cell/bias', [12]],
    ]);
    expect(Array.from(l.weights[2].value.data)).toEqual([0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 0]);
    const noForget = new LSTM({ units: 2, unitForgetBias: false });
    noForget.apply(data([1, 2, 1]));
    expect(Array.from(noForget.weights[2].value.data)).toEqual(new Array(8).fill(0));
  });
  test('GRU: bias [2, 3H] with resetAfter (default), [3H] without', () => {
    const g = new GRU({ units: 4 });
    g.apply(data([1, 2, 3]));
    expect(g.weights.map((w) => w.shape)).toEqual([[3, 12], [4, 12], [2, 12]]);
    const g2 = new GRU({ units: 4, resetAfter: false });
    g2.apply(data([1, 2, 3]));
    expect(g2.weights.map((w) => w.shape)).toEqual([[3, 12], [4, 12], [12]]);
    expect(g2.countParams()).toBe(3 * (3 * 4 + 4 * 4 + 4));
  });
  test('useBias false: kernel and recurrent kernel only', () => {
    const s = new SimpleRNN({ units: 4, useBias: false });
    s.apply(data([1, 2, 3]));
    expect(s.weights.map((w) => w.shape)).toEqual([[3, 4], [4, 4]]);
  });
  test('recurrent kernel is orthogonal by default', () => {
    const s = new SimpleRNN({ units: 6 });
    s.apply(data([1, 2, 3]));
    const U = s.weights[1].value;
    const UtU = T.matmul(U, U, { transposeA: true });
    const I = T.eye(6);
    for (let i = 0; i < 36; i++) expect(UtU.data[i]).toBeCloseTo(I.data[i], 5);
  });
});

describe('parameter counts and summary tables of the seeds', () => {
  test('seed 002: SimpleRNN(10) on (5, 2) = 130', () => {
    const m = new Sequential([new SimpleRNN({ units: 10, inputShape: [5, 2] })]);
    expect(m.countParams()).toBe(130);
    expect(rowOf(m.summaryText(), 'simple_rnn')).toBe('simple_rnn (SimpleRNN) (None, 10) 130');
  });

  test('seed 004 models: 1,121 / 3,201 / 4,385 / 3,393 / 6,449', () => {
    const m1 = new Sequential([new SimpleRNN({ units: 32, activation: 'relu', inputShape: [10, 1] }), new Dense({ units: 1, activation: 'sigmoid' })]);
    expect(rowOf(m1.summaryText(), 'simple_rnn')).toBe('simple_rnn (SimpleRNN) (None, 32) 1088');
    expect(totals(m1.summaryText())).toEqual(['1,121', '1,121', '0']);

    const m2 = new Sequential([
      new SimpleRNN({ units: 32, activation: 'relu', inputShape: [10, 1], returnSequences: true }),
      new SimpleRNN({ units: 32, activation: 'relu' }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    const l2 = m2.summaryText();
    expect(rowOf(l2, 'simple_rnn_1')).toBe('simple_rnn_1 (SimpleRNN) (None, 10, 32) 1088');
    expect(rowOf(l2, 'simple_rnn_2')).toBe('simple_rnn_2 (SimpleRNN) (None, 32) 2080');
    expect(totals(l2)).toEqual(['3,201', '3,201', '0']);

    const m3 = new Sequential([new LSTM({ units: 32, activation: 'tanh', inputShape: [10, 1] }), new Dense({ units: 1, activation: 'sigmoid' })]);
    expect(rowOf(m3.summaryText(), 'lstm')).toBe('lstm (LSTM) (None, 32) 4352');
    expect(totals(m3.summaryText())).toEqual(['4,385', '4,385', '0']);

    const m4 = new Sequential([new GRU({ units: 32, activation: 'tanh', inputShape: [10, 1] }), new Dense({ units: 1, activation: 'sigmoid' })]);
    expect(rowOf(m4.summaryText(), 'gru')).toBe('gru (GRU) (None, 32) 3360');
    expect(totals(m4.summaryText())).toEqual(['3,393', '3,393', '0']);

    const m5 = new Sequential([
      new TimeDistributed({ layer: new Dense({ units: 16, activation: 'relu' }), inputShape: [10, 8] }),
      new LSTM({ units: 32, activation: 'tanh' }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    const l5 = m5.summaryText();
    // as printed in seed 004 (the 65-column table wraps the first column)
    expect(rowOf(l5, 'time_distributed')).toBe('time_distributed (TimeDist (None, 10, 16) 144');
    expect(rowOf(l5, 'lstm_1')).toBe('lstm_1 (LSTM) (None, 32) 6272');
    expect(totals(l5)).toEqual(['6,449', '6,449', '0']);
  });

  test('seed 002: IMDb SimpleRNN model 643,265 (64 non-trainable) and LSTM model 652,577', () => {
    const build = (rnn: SimpleRNN | LSTM) => {
      const inp = input({ shape: [128] });
      let h = new Embedding({ inputDim: 10000, outputDim: 64, inputLength: 128 }).apply(inp);
      h = new Dropout({ rate: 0.3 }).apply(h as never);
      h = rnn.apply(h as never);
      h = new BatchNormalization().apply(h as never);
      h = new Dropout({ rate: 0.2 }).apply(h as never);
      const out = new Dense({ units: 1, activation: 'sigmoid' }).apply(h as never);
      return new Model({ inputs: inp, outputs: out as never });
    };
    const rnn = build(new SimpleRNN({ units: 32 }));
    const lines = rnn.summaryText();
    expect(rowOf(lines, 'embedding')).toBe('embedding (Embedding) (None, 128, 64) 640000');
    expect(rowOf(lines, 'simple_rnn')).toBe('simple_rnn (SimpleRNN) (None, 32) 3104');
    expect(rowOf(lines, 'batch_normalization')).toBe('batch_normalization (Batch (None, 32) 128');
    expect(totals(lines)).toEqual(['643,265', '643,201', '64']);

    clearSession();
    const lstm = build(new LSTM({ units: 32 }));
    const l2 = lstm.summaryText();
    expect(rowOf(l2, 'lstm')).toBe('lstm (LSTM) (None, 32) 12416');
    expect(totals(l2)).toEqual(['652,577', '652,513', '64']);
  });

  test('seed 003: Embedding(10000, 32) -> SimpleRNN(64, seq) -> SimpleRNN(32) -> Dense(16) -> Dense(1) = 329,857', () => {
    const m = new Sequential([
      new Embedding({ inputDim: 10000, outputDim: 32, name: 'embedding', inputShape: [100] }),
      new SimpleRNN({ units: 64, returnSequences: true }),
      new SimpleRNN({ units: 32, returnSequences: false }),
      new Dense({ units: 16, activation: 'relu' }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    const lines = m.summaryText();
    expect(rowOf(lines, 'embedding')).toBe('embedding (Embedding) (None, 100, 32) 320000');
    expect(rowOf(lines, 'simple_rnn')).toBe('simple_rnn (SimpleRNN) (None, 100, 64) 6208');
    expect(rowOf(lines, 'simple_rnn_1')).toBe('simple_rnn_1 (SimpleRNN) (None, 32) 3104');
    expect(totals(lines)).toEqual(['329,857', '329,857', '0']);
  });

  test('seed 002: MNIST LSTM autoencoder 10,950 (112 non-trainable)', () => {
    const seq = 28;
    const inp = input({ shape: [seq, seq] });
    let h = new Dropout({ rate: 0.1 }).apply(inp);
    h = new LSTM({ units: seq, activation: 'tanh', recurrentActivation: 'sigmoid' }).apply(h as never);
    h = new BatchNormalization().apply(h as never);
    h = new Dropout({ rate: 0.1 }).apply(h as never);
    const code = new Dense({ units: 2, activation: 'sigmoid' }).apply(h as never);
    h = new RepeatVector({ n: seq }).apply(code as never);
    h = new LSTM({ units: seq, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: true }).apply(h as never);
    h = new BatchNormalization().apply(h as never);
    const out = new TimeDistributed({ layer: new Dense({ units: seq, activation: 'sigmoid' }) }).apply(h as never);
    const ae = new Model({ inputs: inp, outputs: out as never });
    const lines = ae.summaryText();
    expect(rowOf(lines, 'lstm')).toBe('lstm (LSTM) (None, 28) 6384');
    expect(rowOf(lines, 'lstm_1')).toBe('lstm_1 (LSTM) (None, 28, 28) 3472');
    expect(rowOf(lines, 'time_distributed')).toBe('time_distributed (TimeDist (None, 28, 28) 812');
    expect(totals(lines)).toEqual(['10,950', '10,838', '112']);
    const y = ae.predict(data([2, seq, seq])) as Tensor;
    expect(y.shape).toEqual([2, 28, 28]);
  });

  test('seed 002: BiLSTM autoencoder: encoder 18,692, decoder 30,716, total 49,408 (224 non-trainable)', () => {
    const seq = 28;
    const latent = 100;
    const inp = input({ shape: [seq, seq] });
    let h = new Dropout({ rate: 0.5 }).apply(inp);
    h = new Bidirectional({ layer: new LSTM({ units: seq, activation: 'tanh', recurrentActivation: 'sigmoid' }) }).apply(h as never);
    h = new BatchNormalization().apply(h as never);
    h = new Dropout({ rate: 0.5 }).apply(h as never);
    const l5 = new Dense({ units: latent, activation: 'sigmoid' }).apply(h as never);
    const encoder = new Model({ inputs: inp, outputs: l5 as never, name: 'encoder' });

    const lat = input({ shape: [latent] });
    let d = new Dropout({ rate: 0.1 }).apply(lat);
    d = new RepeatVector({ n: seq }).apply(d as never);
    d = new Bidirectional({ layer: new LSTM({ units: seq, activation: 'tanh', recurrentActivation: 'sigmoid', returnSequences: true }) }).apply(d as never);
    d = new BatchNormalization().apply(d as never);
    const l10 = new TimeDistributed({ layer: new Dense({ units: seq, activation: 'sigmoid' }) }).apply(d as never);
    const decoder = new Model({ inputs: lat, outputs: l10 as never, name: 'decoder' });

    const recon = decoder.apply(encoder.apply(inp) as never);
    const ae = new Model({ inputs: inp, outputs: recon as never, name: 'ae' });

    const el = encoder.summaryText();
    expect(rowOf(el, 'bidirectional')).toBe('bidirectional (Bidirection (None, 56) 12768');
    expect(totals(el)).toEqual(['18,692', '18,580', '112']);
    const dl = decoder.summaryText();
    expect(rowOf(dl, 'bidirectional_1')).toBe('bidirectional_1 (Bidirecti (None, 28, 56) 28896');
    expect(totals(dl)).toEqual(['30,716', '30,604', '112']);
    const al = ae.summaryText();
    expect(rowOf(al, 'encoder')).toBe('encoder (Functional) (None, 100) 18692');
    expect(rowOf(al, 'decoder')).toBe('decoder (Functional) (None, 28, 28) 30716');
    expect(totals(al)).toEqual(['49,408', '49,184', '224']);
    const y = ae.predict(data([2, seq, seq])) as Tensor;
    expect(y.shape).toEqual([2, 28, 28]);
  });
});

describe('summary rows for several outputs and wrapped input shapes', () => {
  test('returnState lists every output shape; Bidirectional takes the inner layer input shape', () => {
    const x = input({ shape: [10, 1] });
    const outs = new LSTM({ units: 8, returnState: true }).apply(x) as never[];
    const m = new Model({ inputs: x, outputs: outs });
    const line = m.summaryText().find((l) => l.startsWith(' lstm (LSTM)'))!;
    // the shape column wraps onto the next line, as Keras wraps it
    expect(line.replace(/\s+/g, ' ')).toContain('lstm (LSTM) [(None, 8), (None, 8), (Non 320');
    const s = new Sequential([new Bidirectional({ layer: new GRU({ units: 4, inputShape: [10, 1] }), mergeMode: 'sum' })]);
    expect(rowOf(s.summaryText(), 'bidirectional')).toBe(`bidirectional (Bidirection (None, 4) ${2 * 3 * (1 * 4 + 4 * 4 + 2 * 4)}`);
    // stateful Model.resetStates reaches the layers, non-stateful ones ignore it
    const st = new Sequential([new SimpleRNN({ units: 2, stateful: true, batchInputShape: [1, 3, 1] }), new Dense({ units: 1 })]);
    st.predict(data([1, 3, 1]));
    const rnn = st.layers[0] as SimpleRNN;
    expect(Array.from(rnn.getStates()[0].data).some((v) => v !== 0)).toBe(true);
    st.resetStates();
    expect(Array.from(rnn.getStates()[0].data)).toEqual([0, 0]);
  });
});
