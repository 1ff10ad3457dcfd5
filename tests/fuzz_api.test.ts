/**
 * Fuzz test of the public API (fast-check, fixed seed, bounded time): random layer kinds, sizes,
 * data shapes and values, options valid and invalid, through construction, fit, evaluate and
 * predict. A valid call gives finite results, and predictions equal to the reference
 * implementation (step-by-step autograd scan) with the same weights; an invalid one throws an
 * Error whose message begins with its caller (the function, or the layer); nothing hangs; the
 * weights are never left non-finite. The counts are printed.
 */
import * as fc from 'fast-check';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { Dense, GRU, LSTM, Layer, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';

type Kind = 'Dense' | 'SimpleRNN' | 'LSTM' | 'GRU';

interface Case {
  kind: Kind;
  units: unknown;
  n: number;
  steps: number;
  features: number;
  poison: 'none' | 'NaN' | 'Infinity' | '-Infinity';
  loss: string;
  options: Record<string, unknown>;
  predictBatch: unknown;
}

/** Mostly valid, sometimes one of the bad values. */
const mostly = <V>(valid: fc.Arbitrary<V>, ...bad: unknown[]): fc.Arbitrary<unknown> =>
  fc.oneof({ weight: 12, arbitrary: valid as fc.Arbitrary<unknown> }, { weight: 1, arbitrary: fc.constantFrom(...bad) });

const batchSizes = mostly(fc.integer({ min: 1, max: 8 }), 0, -1, 1.5, NaN, Infinity, '4', null);

const arbCase: fc.Arbitrary<Case> = fc.record({
  kind: fc.constantFrom<Kind>('Dense', 'SimpleRNN', 'LSTM', 'GRU'),
  units: mostly(fc.integer({ min: 1, max: 5 }), 0, -2, 2.5, NaN, 'x'),
  n: fc.integer({ min: 0, max: 7 }),
  steps: fc.integer({ min: 1, max: 5 }),
  features: fc.integer({ min: 1, max: 3 }),
  poison: fc.constantFrom('none', 'none', 'none', 'none', 'none', 'NaN', 'Infinity', '-Infinity'),
  loss: mostly(fc.constantFrom('meanSquaredError', 'meanAbsoluteError', 'binaryCrossentropy'), 'meanSquaredErrr') as fc.Arbitrary<string>,
  options: fc
    .tuple(
      fc.record(
        {
          batchSize: batchSizes,
          epochs: mostly(fc.integer({ min: 0, max: 2 }), -1, 1.5, NaN),
          validationSplit: mostly(fc.constantFrom(0, 0.25, 0.5), 0.99, NaN, 1, -0.1),
          shuffle: mostly(fc.boolean(), 'yes'),
        },
        { requiredKeys: [] },
      ),
      fc.integer({ min: 0, max: 12 }),
    )
    .map(([o, r]) => (r === 0 ? { ...o, batch_size: 4 } : o)), // now and then Keras's snake_case name
  predictBatch: batchSizes,
});

const CALLERS = /^(fit|fit \(validationData\)|evaluate|predict|compile|(Dense|SimpleRNN|LSTM|GRU)(Cell)? '[\w/]+'): /;

function build(c: Case, implementation: 'fused' | 'reference'): Sequential {
  setSeed(5);
  const units = c.units as number;
  const layer: Layer =
    c.kind === 'Dense'
      ? new Dense({ units, activation: 'sigmoid', inputShape: [c.features] })
      : new (c.kind === 'SimpleRNN' ? SimpleRNN : c.kind === 'LSTM' ? LSTM : GRU)({ units, implementation, inputShape: [c.steps, c.features] });
  const m = new Sequential([layer, new Dense({ units: 1, activation: 'sigmoid' })]);
  m.compile({ optimizer: 'adam', loss: c.loss });
  return m;
}

function data(c: Case): [Tensor, Tensor] {
  const shape = c.kind === 'Dense' ? [c.n, c.features] : [c.n, c.steps, c.features];
  const x = T.randomNormal(shape, 0, 1, { seed: c.n * 31 + c.steps });
  if (c.poison !== 'none' && x.size > 0) x.data[x.size >> 1] = Number(c.poison);
  const y = T.randomUniform([c.n, 1], 0, 1, { seed: 7 });
  return [x, y];
}

const finite = (ts: Tensor[]): boolean => ts.every((t) => t.data.every(Number.isFinite));

test('random shapes, values and options: clear errors or finite results equal to the reference path', async () => {
  const counts = { tried: 0, valid: 0, clearErrors: 0, silentWrong: 0, crashes: 0, nonFiniteWeights: 0 };
  const problems: string[] = [];
  await fc.assert(
    fc.asyncProperty(arbCase, async (c) => {
      counts.tried++;
      const note = (what: string): void => void problems.push(`${what}: ${JSON.stringify(c, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? String(v) : v))}`);
      let m: Sequential | null = null;
      try {
        m = build(c, 'fused');
        const [x, y] = data(c);
        await m.fit(x, y, { verbose: 0, ...c.options });
        const p = m.predict(x, { batchSize: c.predictBatch as number }) as Tensor;
        const e = m.evaluate(x, y) as number;
        counts.valid++;
        // the reference implementation with the same weights gives the same predictions
        const ref = build(c, 'reference');
        ref.setWeights(m.getWeights());
        const q = ref.predict(x) as Tensor;
        const close = p.data.every((v, i) => Math.abs(v - q.data[i]) <= 1e-5);
        if (!finite([p]) || !Number.isFinite(e) || !close) {
          counts.silentWrong++;
          note('silent wrong result');
        }
      } catch (err) {
        if (err instanceof Error && CALLERS.test(err.message)) counts.clearErrors++;
        else {
          counts.crashes++;
          note(`error not naming its caller (${err instanceof Error ? err.message : String(err)})`);
        }
      }
      if (m && !finite(m.getWeights())) {
        counts.nonFiniteWeights++;
        note('non-finite weights');
      }
    }),
    { seed: 20261202, numRuns: 300, interruptAfterTimeLimit: 20_000 },
  );
  console.log(`fuzz: ${JSON.stringify(counts)}`);
  expect(problems).toEqual([]);
  expect(counts.tried).toBeGreaterThanOrEqual(50);
  expect(counts.valid).toBeGreaterThan(0);
  expect(counts.clearErrors).toBeGreaterThan(0);
});
