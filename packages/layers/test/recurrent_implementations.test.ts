/**
 * The layers' two implementations, 'fused' (default) and 'reference', held to each other through
 * the layer API: values and the gradients of every weight and of the input, with masks,
 * goBackwards, initial states, dropout in training, and inside Bidirectional.
 */
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import fc from 'fast-check';
import { Bidirectional, GRU, LSTM, Layer, RNN, SimpleRNN, clearSession, setSeed } from '@seqlab/layers';
import { maxAbsDiff } from '../../../tests/support';

beforeEach(() => clearSession());

const kinds = ['SimpleRNN', 'LSTM', 'GRU', 'GRUv1'] as const;
type Kind = (typeof kinds)[number];
function make(kind: Kind, implementation: 'fused' | 'reference', opts: Record<string, unknown>): RNN {
  const args = { units: 3, implementation, ...opts };
  if (kind === 'SimpleRNN') return new SimpleRNN(args);
  if (kind === 'LSTM') return new LSTM(args);
  return new GRU({ ...args, resetAfter: kind === 'GRU' });
}

const flat = (out: Tensor | Tensor[]) => A.concat((Array.isArray(out) ? out : [out]).map((o) => A.reshape(o, [-1])), 0);

/** Output and gradients (of a fixed random projection) w.r.t. every weight and the input. */
function run(layer: Layer, x: Tensor, mask: Tensor | null, initialState: Tensor[] | undefined, training: boolean) {
  const wrt = [...layer.weights.map((w) => w.value), x];
  let out: Tensor | null = null;
  const { grads } = A.gradients(() => {
    setSeed(23); // the same dropout masks for both implementations
    out = flat(layer.call(x, { mask, initialState, training }));
    const proj = T.randomUniform(out.shape, -1, 1, { rng: new T.Rng(4) });
    return A.sum(A.mul(out, proj));
  }, wrt);
  return { out: out as unknown as Tensor, grads };
}

function maxRelDiff(a: Tensor, b: Tensor): number {
  let scale = 1e-3;
  for (let i = 0; i < a.size; i++) scale = Math.max(scale, Math.abs(b.data[i]));
  return maxAbsDiff(a, b) / scale;
}

test('fused and reference layers agree (values 1e-5, gradients 1e-4 relative)', () => {
  fc.assert(
    fc.property(
      fc.record({
        kind: fc.constantFrom<Kind>(...kinds),
        steps: fc.integer({ min: 1, max: 6 }),
        goBackwards: fc.boolean(),
        returnSequences: fc.boolean(),
        returnState: fc.boolean(),
        masked: fc.boolean(),
        withState: fc.boolean(),
        training: fc.boolean(),
        bidirectional: fc.constantFrom(false, 'concat', 'sum', 'mul', 'ave', null),
        seed: fc.integer({ min: 0, max: 1000 }),
      }),
      (c) => {
        const rng = new T.Rng(c.seed);
        const opts = {
          goBackwards: c.goBackwards, returnSequences: c.returnSequences, returnState: c.returnState,
          dropout: c.training ? 0.25 : 0, recurrentDropout: c.training ? 0.25 : 0,
        };
        const wrap = (l: RNN): Layer => (c.bidirectional === false ? l : new Bidirectional({ layer: l, mergeMode: c.bidirectional }));
        const fused = wrap(make(c.kind, 'fused', opts));
        const ref = wrap(make(c.kind, 'reference', opts));
        const x = T.randomUniform([2, c.steps, 2], -1, 1, { rng });
        fused.apply(x);
        ref.apply(x);
        ref.setWeights(fused.weights.map((w) => T.randomUniform(w.shape, -0.6, 0.6, { rng })));
        fused.setWeights(ref.getWeights());
        const mask = c.masked ? T.tensor(Array.from({ length: 2 * c.steps }, () => (rng.next() < 0.6 ? 1 : 0)), [2, c.steps]) : null;
        const nStates = (c.kind === 'LSTM' ? 2 : 1) * (c.bidirectional === false ? 1 : 2);
        const init = c.withState ? Array.from({ length: nStates }, () => T.randomUniform([2, 3], -1, 1, { rng })) : undefined;
        const a = run(fused, x, mask, init, c.training);
        const b = run(ref, x, mask, init, c.training);
        expect(maxRelDiff(a.out, b.out)).toBeLessThanOrEqual(1e-5);
        a.grads.forEach((g, i) => expect(maxRelDiff(g, b.grads[i])).toBeLessThanOrEqual(1e-4));
      },
    ),
    { seed: 42, numRuns: 40 },
  );
});
