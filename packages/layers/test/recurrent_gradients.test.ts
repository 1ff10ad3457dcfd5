/**
 * Gradient checks (float64 central differences) of every recurrent layer's weights, inputs and
 * initial states, through the reference scan: masks, goBackwards, returnSequences, returnState,
 * dropout masks, Bidirectional in every merge mode. Configurations come from fast-check with a
 * fixed seed.
 */
import * as A from '@seqlab/autograd';
import { checkGradients } from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import fc from 'fast-check';
import { Bidirectional, GRU, LSTM, Layer, RNN, SimpleRNN, clearSession, setSeed } from '@seqlab/layers';

beforeEach(() => {
  clearSession();
  setSeed(5);
});

/** All outputs of a layer call as one flat vector (so one projection checks every output). */
const flat = (out: Tensor | Tensor[]) => A.concat((Array.isArray(out) ? out : [out]).map((o) => A.reshape(o, [-1])), 0);

interface Case {
  layer: Layer;
  x: Tensor;
  mask: Tensor | null;
  initialState: Tensor[];
  training?: boolean;
}

/** Checks d(outputs)/d(weights, x, initial states) in float64. */
function check({ layer, x, mask, initialState, training }: Case): void {
  layer.apply(x.cast('float32'), { mask, initialState: initialState.length ? initialState : undefined });
  const vars = layer.weights;
  for (const v of vars) v.value = v.value.cast('float64');
  const n = vars.length;
  const f = (...ts: Tensor[]) => {
    ts.slice(0, n).forEach((t, i) => (vars[i].value = t));
    const states = ts.slice(n + 1);
    // fixed dropout masks: the same seed before every evaluation
    if (training) setSeed(17);
    return flat(layer.call(ts[n], { mask, initialState: states.length ? states : undefined, training }));
  };
  const result = checkGradients(f, [...vars.map((v) => v.value), x, ...initialState]);
  if (!result.ok) throw new Error(`${layer.label}: ${result.message}`);
  expect(result.checked).toBeGreaterThan(0);
}

const kinds = ['SimpleRNN', 'LSTM', 'GRU', 'GRUv1'] as const;
type Kind = (typeof kinds)[number];
function make(kind: Kind, units: number, opts: Record<string, unknown>): RNN {
  const args = { units, implementation: 'reference' as const, ...opts };
  if (kind === 'SimpleRNN') return new SimpleRNN(args);
  if (kind === 'LSTM') return new LSTM(args);
  return new GRU({ ...args, resetAfter: kind === 'GRU' });
}

const configArb = fc.record({
  kind: fc.constantFrom<Kind>(...kinds),
  batch: fc.integer({ min: 1, max: 2 }),
  steps: fc.integer({ min: 1, max: 4 }),
  features: fc.integer({ min: 1, max: 3 }),
  units: fc.integer({ min: 1, max: 3 }),
  goBackwards: fc.boolean(),
  returnSequences: fc.boolean(),
  returnState: fc.boolean(),
  masked: fc.boolean(),
  withState: fc.boolean(),
  seed: fc.integer({ min: 0, max: 1000 }),
});

test('every recurrent layer: weights, inputs and initial states (masks, goBackwards, returnSequences/State)', () => {
  fc.assert(
    fc.property(configArb, (c) => {
      const rng = new T.Rng(c.seed);
      const layer = make(c.kind, c.units, { goBackwards: c.goBackwards, returnSequences: c.returnSequences, returnState: c.returnState });
      const x = T.randomUniform([c.batch, c.steps, c.features], -1, 1, { rng, dtype: 'float64' });
      const mask = c.masked ? T.tensor(Array.from({ length: c.batch * c.steps }, () => (rng.next() < 0.6 ? 1 : 0)), [c.batch, c.steps]) : null;
      const nStates = c.kind === 'LSTM' ? 2 : 1;
      const initialState = c.withState
        ? Array.from({ length: nStates }, () => T.randomUniform([c.batch, c.units], -1, 1, { rng, dtype: 'float64' }))
        : [];
      // non-zero biases, so that the bias gradients are not checked only at 0
      layer.apply(x.cast('float32'));
      layer.weights.forEach((w) => (w.value = T.randomUniform(w.shape, -0.5, 0.5, { rng })));
      check({ layer, x, mask, initialState });
    }),
    { seed: 42, numRuns: 30 },
  );
});

test('dropout and recurrent dropout masks (training) are differentiated through', () => {
  for (const kind of kinds) {
    const layer = make(kind, 3, { dropout: 0.3, recurrentDropout: 0.4, returnSequences: true });
    const x = T.randomUniform([2, 3, 2], -1, 1, { rng: new T.Rng(1), dtype: 'float64' });
    check({ layer, x, mask: null, initialState: [], training: true });
  }
});

test('Bidirectional in every merge mode, with masks, returnSequences and returnState', () => {
  const modes = ['concat', 'sum', 'mul', 'ave', null] as const;
  fc.assert(
    fc.property(fc.constantFrom(...modes), fc.constantFrom<Kind>(...kinds), fc.boolean(), fc.boolean(), fc.boolean(), (mode, kind, seqs, state, masked) => {
      const layer = new Bidirectional({ layer: make(kind, 2, { returnSequences: seqs, returnState: state }), mergeMode: mode });
      const x = T.randomUniform([2, 3, 2], -1, 1, { rng: new T.Rng(3), dtype: 'float64' });
      const mask = masked ? T.tensor([[1, 1, 0], [0, 1, 1]]) : null;
      check({ layer, x, mask, initialState: [] });
    }),
    { seed: 42, numRuns: 15 },
  );
});

test('a long masked LSTM sequence (T = 12) still checks', () => {
  const layer = make('LSTM', 2, { returnSequences: true });
  const x = T.randomUniform([1, 12, 2], -1, 1, { rng: new T.Rng(9), dtype: 'float64' });
  const mask = T.tensor([[1, 1, 1, 0, 1, 1, 1, 1, 0, 0, 1, 1]]);
  check({ layer, x, mask, initialState: [T.randomUniform([1, 2], -1, 1, { rng: new T.Rng(2), dtype: 'float64' }), T.zeros([1, 2], { dtype: 'float64' })] });
});
