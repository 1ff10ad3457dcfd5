/**
 * getConfig / fromConfig: every layer, cell, wrapper and model writes Keras's `{ class_name,
 * config }` with snake_case keys, and rebuilding from that JSON gives the same configuration and,
 * with the weights copied, bit-identical predictions.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as L from '../src/node';

const rng = new T.Rng(7);
const floats = (shape: number[]) => T.randomNormal(shape, 0, 1, { rng });
function ids(shape: number[], vocab: number, padFrom?: number): Tensor {
  const t = T.randomUniform(shape, 1, vocab, { rng });
  const d = t.data;
  for (let i = 0; i < d.length; i++) d[i] = Math.floor(d[i]);
  if (padFrom !== undefined) for (let b = 0; b < shape[0]; b++) for (let s = padFrom + b; s < shape[1]; s++) d[b * shape[1] + s] = 0;
  return t;
}

/** JSON in, model out, same JSON back and the same predictions once the weights are copied. */
function roundTrip(model: L.Model, x: Tensor | Tensor[]): L.Model {
  const json = JSON.parse(JSON.stringify(model.toConfig()));
  const again = L.deserialize<L.Model>(json);
  expect(again.toConfig()).toEqual(json);
  again.setWeights(model.getWeights());
  const a = model.predict(x);
  const b = again.predict(x);
  const list = (v: Tensor | Tensor[]) => (Array.isArray(v) ? v : [v]);
  expect(list(b).length).toBe(list(a).length);
  list(a).forEach((t, i) => expect(Array.from(list(b)[i].data)).toEqual(Array.from(t.data)));
  return again;
}

/** A user's cell: h_t = tanh(x·W + h·U) with a scale option, registered by name. */
class ScaledCell implements L.RecurrentCell {
  name = 'scaled_cell';
  built = false;
  readonly units: number;
  readonly scale: number;
  kernel!: A.Variable;
  recurrentKernel!: A.Variable;
  constructor(args: { units: number; scale?: number; name?: string }) {
    this.units = args.units;
    this.scale = args.scale ?? 1;
    if (args.name) this.name = args.name;
  }
  get stateSize() {
    return [this.units];
  }
  get outputSize() {
    return this.units;
  }
  get weights() {
    return this.built ? [this.kernel, this.recurrentKernel] : [];
  }
  build(inputDim: number) {
    this.kernel = new A.Variable(L.initializers.glorotUniform()([inputDim, this.units]), `${this.name}/kernel`);
    this.recurrentKernel = new A.Variable(L.initializers.orthogonal()([this.units, this.units]), `${this.name}/recurrent_kernel`);
    this.built = true;
  }
  step(x: Tensor, [h]: Tensor[]): L.StepResult {
    const y = A.mul(A.tanh(A.add(A.matmul(x, this.kernel.value), A.matmul(h, this.recurrentKernel.value))), this.scale);
    return [y, [y]];
  }
  clone() {
    return new ScaledCell({ units: this.units, scale: this.scale });
  }
  getConfig() {
    return { name: this.name, units: this.units, scale: this.scale };
  }
}
L.registerCell('ScaledCell', ScaledCell);

describe('getConfig / fromConfig', () => {
  beforeAll(() => L.setSeed(11));

  test('a layer config has the Keras keys, snake_case', () => {
    const lstm = new L.LSTM({ units: 3, returnSequences: true, name: 'enc' });
    const c = lstm.toConfig();
    expect(c.class_name).toBe('LSTM');
    expect(Object.keys(c.config).sort()).toEqual(
      [
        'name', 'trainable', 'dtype', 'return_sequences', 'return_state', 'go_backwards', 'stateful', 'unroll', 'units',
        'activation', 'recurrent_activation', 'use_bias', 'kernel_initializer', 'recurrent_initializer', 'bias_initializer',
        'unit_forget_bias', 'kernel_regularizer', 'recurrent_regularizer', 'bias_regularizer', 'kernel_constraint',
        'recurrent_constraint', 'bias_constraint', 'dropout', 'recurrent_dropout', 'implementation',
      ].sort(),
    );
    expect(c.config.kernel_initializer).toEqual({ class_name: 'GlorotUniform', config: { seed: null } });
    expect(c.config.recurrent_initializer).toEqual({ class_name: 'Orthogonal', config: { gain: 1, seed: null } });
    expect(c.config.return_sequences).toBe(true);
    const emb = new L.Embedding({ inputDim: 9, outputDim: 4, maskZero: true }).getConfig();
    expect(emb.embeddings_initializer).toEqual({ class_name: 'RandomUniform', config: { minval: -0.05, maxval: 0.05, seed: null } });
    expect(new L.GRU({ units: 2, resetAfter: false }).getConfig().reset_after).toBe(false);
  });

  test('Sequential with every recurrent layer, wrappers and core layers', () => {
    const m = new L.Sequential([
      new L.Embedding({ inputDim: 12, outputDim: 5, maskZero: true, inputLength: 7 }),
      new L.SimpleRNN({ units: 4, returnSequences: true, activation: 'relu' }),
      new L.Bidirectional({ layer: new L.LSTM({ units: 3, returnSequences: true, unitForgetBias: false }), mergeMode: 'sum' }),
      new L.GRU({ units: 3, returnSequences: true, resetAfter: false, recurrentActivation: 'hard_sigmoid' }),
      new L.Bidirectional({ layer: new L.GRU({ units: 2, returnSequences: true }) }),
      new L.TimeDistributed({ layer: new L.Dense({ units: 3, activation: 'tanh' }) }),
      new L.BatchNormalization({ momentum: 0.9, epsilon: 0.01 }),
      new L.Dropout({ rate: 0.3, seed: 4 }),
      new L.LSTM({ units: 4 }),
      new L.RepeatVector({ n: 2 }),
      new L.Reshape({ targetShape: [8] }),
      new L.Activation({ activation: 'sigmoid' }),
      new L.Dense({ units: 2, useBias: false, kernelInitializer: L.initializers.randomNormal(0, 0.1, { seed: 3 }) }),
    ]);
    const again = roundTrip(m, ids([3, 7], 12, 4));
    expect(again.layers.map((l) => l.className)).toEqual(m.layers.map((l) => l.className));
    expect(again.layers.map((l) => l.name)).toEqual(m.layers.map((l) => l.name));
  });

  test('Masking, Flatten, GlobalAveragePooling1D, RNN of a stack of cells, goBackwards, stateful', () => {
    const m = new L.Sequential([
      new L.Masking({ maskValue: -1, inputShape: [5, 3] }),
      new L.RNN({ cell: [new L.LSTMCell({ units: 3 }), new L.GRUCell({ units: 2 })], returnSequences: true, goBackwards: true }),
      new L.GlobalAveragePooling1D(),
    ]);
    const x = floats([2, 5, 3]);
    x.data.fill(-1, 12, 15);
    roundTrip(m, x);
    const s = new L.Sequential([new L.SimpleRNN({ units: 2, stateful: true, batchInputShape: [2, 4, 3], returnSequences: true }), new L.Flatten()]);
    const again = roundTrip(s, floats([2, 4, 3]));
    expect((again.layers[0] as L.RNN).stateful).toBe(true);
  });

  test('a functional model: shared layer, Concatenate, Add, returnState into initialState, nested models', () => {
    const a = L.input({ shape: [6, 3], name: 'a' });
    const b = L.input({ shape: [6, 3], name: 'b' });
    const shared = new L.Dense({ units: 4, name: 'shared' });
    const ha = shared.apply(a) as L.SymbolicTensor;
    const hb = shared.apply(b) as L.SymbolicTensor;
    const [seq, h, c] = new L.LSTM({ units: 4, returnSequences: true, returnState: true, name: 'enc' }).apply(ha) as L.SymbolicTensor[];
    const dec = new L.LSTM({ units: 4, returnSequences: true, name: 'dec' }).apply(hb, { initialState: [h, c] }) as L.SymbolicTensor;
    const sum = new L.Add().apply([seq, dec]) as L.SymbolicTensor;
    const inner = new L.Sequential({ name: 'inner_seq', layers: [new L.GRU({ units: 3, inputShape: [6, 4] }), new L.Dense({ units: 2 })] });
    const xi = L.input({ shape: [6, 4] });
    const innerF = new L.Model({ inputs: xi, outputs: new L.Dense({ units: 2 }).apply(new L.SimpleRNN({ units: 2 }).apply(xi) as L.SymbolicTensor) as L.SymbolicTensor, name: 'inner_f' });
    const cat = new L.Concatenate().apply([inner.apply(sum) as L.SymbolicTensor, innerF.apply(sum) as L.SymbolicTensor, h]) as L.SymbolicTensor;
    const model = new L.Model({ inputs: [a, b], outputs: [cat, seq], name: 'outer' });
    const cfg = model.getConfig() as { layers: { name: string; inbound_nodes: unknown[] }[] };
    expect(cfg.layers.find((l) => l.name === 'shared')!.inbound_nodes).toEqual([[['a', 0, 0, {}]], [['b', 0, 0, {}]]]);
    expect(cfg.layers.find((l) => l.name === 'dec')!.inbound_nodes).toEqual([[['shared', 1, 0, {}], ['enc', 0, 1, {}], ['enc', 0, 2, {}]]]);
    const again = roundTrip(model, [floats([2, 6, 3]), floats([2, 6, 3])]);
    expect(again.getLayer('inner_seq')).toBeInstanceOf(L.Sequential);
    expect(again.getLayer('inner_f')).toBeInstanceOf(L.Model);
  });

  test("a user's cell registered by name", () => {
    const m = new L.Sequential([new L.RNN({ cell: new ScaledCell({ units: 3, scale: 0.5 }), inputShape: [4, 2] })]);
    const c = m.toConfig() as { config: { layers: L.LayerConfig[] } };
    expect(c.config.layers[0].config.cell).toEqual({ class_name: 'ScaledCell', config: { name: 'scaled_cell', units: 3, scale: 0.5 } });
    const again = roundTrip(m, floats([2, 4, 2]));
    expect(((again.layers[0] as L.RNN).cell as ScaledCell).scale).toBe(0.5);
  });

  test('refusals name what is wrong', () => {
    expect(() => L.deserialize({ class_name: 'NoSuchLayer', config: {} })).toThrow(/unknown class 'NoSuchLayer'.*registerLayer/);
    expect(() => new L.Dense({ units: 2, activation: (x: Tensor) => x }).getConfig()).toThrow(/Dense '.*': getConfig: the activation is a custom function/);
    const bare = { name: 'bare', stateSize: [1], outputSize: 1, built: false, weights: [], build() {}, step: (x: Tensor, s: Tensor[]) => [x, s] as L.StepResult, clone() { return bare; } };
    expect(() => new L.RNN({ cell: bare }).getConfig()).toThrow(/cannot be written to a file: the cell has no getConfig/);
    expect(() => L.deserialize({ class_name: 'Dense', config: { units: 2, kernel_initializer: { class_name: 'Mystery', config: {} } } })).toThrow(/unknown initializer class 'Mystery'/);
    expect(() => L.deserialize({ class_name: 'Functional', config: { name: 'f', layers: [], input_layers: [['x', 0, 0]], output_layers: [] } })).toThrow(/input_layers names \["x",0,0\]/);
  });
});
