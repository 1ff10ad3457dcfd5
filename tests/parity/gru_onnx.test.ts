/**
 * GRU with `resetAfter: true` (Keras's default, which TensorFlow.js cannot run) held to an
 * independent implementation: ONNX Runtime's GRU operator with `linear_before_reset = 1`,
 *
 *   z = σ(x·W_zᵀ + h·R_zᵀ + Wb_z + Rb_z)      r = σ(x·W_rᵀ + h·R_rᵀ + Wb_r + Rb_r)
 *   ĥ = tanh(x·W_hᵀ + r ⊙ (h·R_hᵀ + Rb_h) + Wb_h)      h' = (1 - z) ⊙ ĥ + z ⊙ h
 *
 * with the weights copied over: ONNX's W [3H, I] and R [3H, H] are Keras's kernel [I, 3H] and
 * recurrent kernel [H, 3H] transposed (gate order z, r, h in both), and its B [6H] is Keras's
 * bias [2, 3H] (input bias row, then recurrent bias row) flattened.
 *
 * Values: random configurations (fast-check, fixed seed) with initial states, goBackwards (ONNX
 * direction 'reverse', whose outputs stay in input order) and post-padded masks (ONNX
 * sequence_lens, whose final state is the state at the last valid step). Gradients: seqlab's
 * weight gradients of L = Σ Y ⊙ P against central finite differences of the ONNX graph.
 * Everything ONNX Runtime computes runs in one child process (see tests/support/onnx.ts).
 */
import fc from 'fast-check';
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { GRU, clearSession } from '@seqlab/layers';
import { OnnxGraph, OnnxOutputs, OnnxTensor, expectClose, maxAbsDiff, runOnnx } from '../support';

const H = 4;

/** Two GRU nodes over the same inputs: forward and reverse. Every dimension but H is free. */
const graph: OnnxGraph = {
  nodes: (['forward', 'reverse'] as const).map((direction) => ({
    opType: 'GRU',
    inputs: ['X', 'W', 'R', 'B', 'sequence_lens', 'initial_h'],
    outputs: [`Y_${direction}`, `Yh_${direction}`],
    attributes: [
      { name: 'hidden_size', i: H },
      { name: 'linear_before_reset', i: 1 },
      { name: 'direction', s: direction },
    ],
  })),
  inputs: [
    { name: 'X', dims: [null, null, null] },
    { name: 'W', dims: [1, 3 * H, null] },
    { name: 'R', dims: [1, 3 * H, H] },
    { name: 'B', dims: [1, 6 * H] },
    { name: 'sequence_lens', dims: [null], type: 'int32' },
    { name: 'initial_h', dims: [1, null, H] },
  ],
  outputs: ['forward', 'reverse'].flatMap((d) => [
    { name: `Y_${d}`, dims: [null, 1, null, H] },
    { name: `Yh_${d}`, dims: [1, null, H] },
  ]),
};

interface Case {
  batch: number;
  steps: number;
  features: number;
  /** Valid steps per sample (post-padding); all `steps` when unmasked. */
  lengths: number[];
  masked: boolean;
  seed: number;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({ batch: fc.integer({ min: 1, max: 3 }), steps: fc.integer({ min: 1, max: 6 }), features: fc.integer({ min: 1, max: 3 }), masked: fc.boolean(), seed: fc.nat(1 << 20) })
  .chain((c) => fc.array(fc.integer({ min: 1, max: c.steps }), { minLength: c.batch, maxLength: c.batch }).map((lengths) => ({ ...c, lengths: c.masked ? lengths : lengths.map(() => c.steps) })));

const CASES = fc.sample(caseArb, { seed: 20261201, numRuns: 12 });

interface Weights {
  kernel: Tensor;
  recurrentKernel: Tensor;
  bias: Tensor;
  x: Tensor;
  h0: Tensor;
}

function weightsFor(c: Case): Weights {
  const rng = new T.Rng(c.seed);
  const u = (shape: number[], scale: number) => T.randomUniform(shape, -scale, scale, { rng });
  return { kernel: u([c.features, 3 * H], 0.8), recurrentKernel: u([H, 3 * H], 0.8), bias: u([2, 3 * H], 0.5), x: u([c.batch, c.steps, c.features], 1), h0: u([c.batch, H], 0.5) };
}

/** ONNX feeds for these weights: time-major X, transposed W and R. */
function feedsFor(c: Case, w: Weights): Record<string, OnnxTensor> {
  return {
    X: { data: T.transpose(w.x, [1, 0, 2]).data, dims: [c.steps, c.batch, c.features] },
    W: { data: T.transpose(w.kernel).data, dims: [1, 3 * H, c.features] },
    R: { data: T.transpose(w.recurrentKernel).data, dims: [1, 3 * H, H] },
    B: { data: w.bias.data, dims: [1, 6 * H] },
    sequence_lens: { data: c.lengths, dims: [c.batch], type: 'int32' },
    initial_h: { data: w.h0.data, dims: [1, c.batch, H] },
  };
}

/** seqlab's GRU (default fused kernel) with the copied weights: [sequence [B, T, H], final h [B, H]]. */
function seqlabGru(c: Case, w: Weights, goBackwards: boolean): [Tensor, Tensor, GRU] {
  const layer = new GRU({ units: H, resetAfter: true, returnSequences: true, returnState: true, goBackwards });
  layer.ensureBuilt([null, null, c.features]);
  layer.setWeights([w.kernel, w.recurrentKernel, w.bias]);
  const mask = c.masked ? T.tensor(c.lengths.map((n) => Array.from({ length: c.steps }, (_, t) => (t < n ? 1 : 0)))) : null;
  const [y, h] = layer.call(w.x, { mask, initialState: [w.h0] }) as Tensor[];
  return [y, h, layer];
}

/** ONNX's Y [T, 1, B, H] as [B, T, H]. */
const batchMajor = (y: { data: Float32Array }, c: Case): Tensor => T.transpose(new Tensor(Float32Array.from(y.data), [c.steps, c.batch, H]), [1, 0, 2]);

// ---------------------------------------------------------------------------------------------
// the gradient case: L = Σ Y_forward ⊙ P, finite differences over every element of W, R and B

const GRAD_CASE: Case = { batch: 2, steps: 5, features: 3, lengths: [5, 5], masked: false, seed: 4242 };
const EPS = 1e-2;
const projection = T.randomUniform([GRAD_CASE.steps, 1, GRAD_CASE.batch, H], -1, 1, { rng: new T.Rng(9) });

/** The perturbed feeds, two per weight element (+ε, -ε), in the order W, R, B. */
function perturbedFeeds(c: Case, w: Weights): Record<string, OnnxTensor>[] {
  const base = feedsFor(c, w);
  const out: Record<string, OnnxTensor>[] = [];
  for (const name of ['W', 'R', 'B'] as const) {
    const data = base[name].data;
    for (let i = 0; i < data.length; i++) {
      for (const sign of [1, -1]) {
        const copy = Float32Array.from(data);
        copy[i] += sign * EPS;
        out.push({ ...base, [name]: { data: copy, dims: base[name].dims } });
      }
    }
  }
  return out;
}

const loss = (o: OnnxOutputs): number => {
  let s = 0;
  const y = o.Y_forward.data;
  for (let i = 0; i < y.length; i++) s += y[i] * projection.data[i];
  return s;
};

// ---------------------------------------------------------------------------------------------

let valueRuns: OnnxOutputs[] = [];
let gradRuns: OnnxOutputs[] = [];

beforeAll(() => {
  const values = CASES.map((c) => feedsFor(c, weightsFor(c)));
  const grads = perturbedFeeds(GRAD_CASE, weightsFor(GRAD_CASE));
  const all = runOnnx(graph, [...values, ...grads]);
  valueRuns = all.slice(0, values.length);
  gradRuns = all.slice(values.length);
});

beforeEach(() => clearSession());

test('the sampled configurations cover masks, one step, one feature and several samples', () => {
  expect(CASES.some((c) => c.masked && c.lengths.some((n) => n < c.steps))).toBe(true);
  expect(CASES.some((c) => c.steps === 1)).toBe(true);
  expect(CASES.some((c) => c.batch > 1 && c.features > 1)).toBe(true);
});

test('values: outputs and final states agree with ONNX Runtime (1e-5), forward and goBackwards', () => {
  let worst = 0;
  CASES.forEach((c, k) => {
    const w = weightsFor(c);
    const onnx = valueRuns[k];
    const tag = `case ${k} ${JSON.stringify(c)}`;
    for (const goBackwards of [false, true]) {
      const [y, h] = seqlabGru(c, w, goBackwards);
      const dir = goBackwards ? 'reverse' : 'forward';
      expectClose(h, new Tensor(onnx[`Yh_${dir}`].data, [c.batch, H]), { atol: 1e-5 }, `${tag} final h (${dir})`);
      const oy = batchMajor(onnx[`Y_${dir}`], c);
      // Keras returns the sequence in processing order: with goBackwards, step t is input position T-1-t
      const ours = goBackwards ? T.reverse(y, 1) : y;
      for (let b = 0; b < c.batch; b++) {
        // ONNX zeroes the outputs at padded positions, Keras repeats the previous output there:
        // compare the valid positions (in both directions, position p saw the same inputs)
        const n = c.lengths[b];
        const mine = T.slice(ours, [b, 0, 0], [1, n, H]);
        const theirs = T.slice(oy, [b, 0, 0], [1, n, H]);
        expectClose(mine, theirs, { atol: 1e-5 }, `${tag} outputs of sample ${b} (${dir})`);
        worst = Math.max(worst, maxAbsDiff(mine, theirs));
      }
    }
  });
  console.log(`GRU resetAfter against ONNX Runtime: largest value difference ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(1e-5);
});

test('gradients: dL/dkernel, dL/drecurrentKernel, dL/dbias agree with finite differences of ONNX Runtime', () => {
  const c = GRAD_CASE;
  const w = weightsFor(c);
  const [, , layer] = seqlabGru(c, w, false);
  const vars = layer.trainableWeights;
  const p = T.transpose(projection.reshape([c.steps, c.batch, H]), [1, 0, 2]); // as [B, T, H]
  const { grads } = A.variableGrads(() => {
    const [y] = layer.call(w.x, { initialState: [w.h0] }) as Tensor[];
    return A.sum(A.mul(y, p));
  }, vars);
  // ONNX's element order is W = kernelᵀ, R = recurrentKernelᵀ, B = bias: bring ours to it
  const ours = [T.transpose(grads[0]), T.transpose(grads[1]), grads[2]];
  let run = 0;
  let worst = 0;
  ours.forEach((g, which) => {
    const numeric = new Float64Array(g.size);
    for (let i = 0; i < g.size; i++) {
      numeric[i] = (loss(gradRuns[run]) - loss(gradRuns[run + 1])) / (2 * EPS);
      run += 2;
    }
    const name = ['kernel', 'recurrentKernel', 'bias'][which];
    // float32 central differences with ε = 1e-2: truncation ~ε², rounding ~1e-7·|L|/ε
    expectClose(g.data, numeric, { atol: 2e-4, rtol: 2e-3 }, `dL/d${name}`);
    for (let i = 0; i < g.size; i++) worst = Math.max(worst, Math.abs(g.data[i] - numeric[i]));
  });
  expect(run).toBe(gradRuns.length);
  // the check is not vacuous: the gradients are of order one
  expect(Math.max(...Array.from(ours[2].data, Math.abs))).toBeGreaterThan(0.1);
  console.log(`GRU resetAfter weight gradients against ONNX finite differences: largest difference ${worst.toExponential(2)}`);
  expect(worst).toBeLessThan(2e-4);
});
