/**
 * Every differentiable op against central finite differences (float64, eps 1e-6, pass when
 * |analytic - numeric| <= 1e-6 + 1e-5·|numeric|), over random shapes with broadcasting and
 * size-1 axes. Values are kept away from the kinks of relu/abs/max/clip (|x| > 0.05 and no
 * near-ties), where a finite difference straddles two branches.
 *
 * Each block declares the ops it checks (`covers`), and the last test fails when a function
 * exported by @seqlab/autograd is neither checked here nor listed as not being an op.
 */
import fc from 'fast-check';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import * as A from '@seqlab/autograd';
import { checkGradients } from '@seqlab/autograd';

const RUNS = { seed: 20261122, numRuns: 40 };

/** The exported op functions that some test below holds to finite differences. */
const checked = new Set<unknown>();
const covers = (...ops: unknown[]): void => ops.forEach((op) => checked.add(op));

/** Exports of @seqlab/autograd that are not differentiable ops, and what they are instead. */
const NOT_OPS: Record<string, string> = {
  record: 'records an op on the tape', recordMulti: 'records an op with several outputs',
  gradients: 'runs a function on a tape and back-propagates', grad: 'a transformation of a function',
  valueAndGrad: 'a transformation of a function', variableGrads: 'gradients with respect to variables',
  noGrad: 'runs without recording', isRecording: 'a tape query', isTracked: 'a tape query', tapeSize: 'a tape query',
  tapeEntries: 'a tape query',
  checkGradients: 'this very check', Variable: 'a weight holder',
  unbroadcast: 'reduces a gradient to a shape inside VJPs (not recorded)',
  clipByValue: 'gradient clipping (applied to gradients, not differentiated)', clipByNorm: 'gradient clipping',
  clipByGlobalNorm: 'gradient clipping', globalNorm: 'a norm of gradients', l2Norm: 'a norm of a gradient',
};

/** A random shape of rank 1..3 with sizes 1..4. */
const shapeArb = fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 1, maxLength: 3 });

/** A shape that broadcasts against `shape`: a suffix of it, some axes set to 1. */
function broadcastPartner(shape: number[]): fc.Arbitrary<number[]> {
  return fc
    .tuple(fc.integer({ min: 0, max: shape.length }), fc.array(fc.boolean(), { minLength: shape.length, maxLength: shape.length }))
    .map(([drop, ones]) => shape.slice(drop).map((d, i) => (ones[i + drop] ? 1 : d)));
}

/** Values in [lo, hi] with |x| >= 0.05, as a float64 tensor. */
function valuesFor(shape: number[], seed: number, lo = -2, hi = 2): Tensor {
  const rng = new T.Rng(seed);
  const n = T.sizeOf(shape);
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let v = 0;
    while (Math.abs(v) < 0.05) v = rng.uniform(lo, hi);
    out[i] = v;
  }
  return new Tensor(out, shape);
}

function expectPass(r: A.CheckGradientsResult): void {
  if (!r.ok) throw new Error(r.message);
  expect(r.ok).toBe(true);
}

describe('binary broadcasting ops match finite differences', () => {
  const cases: [string, (a: Tensor, b: Tensor) => Tensor, (t: Tensor) => Tensor][] = [
    ['add', A.add, (t) => t],
    ['sub', A.sub, (t) => t],
    ['mul', A.mul, (t) => t],
    ['div', A.div, (t) => T.add(T.abs(t), 0.5)], // keep the divisor away from 0
    ['pow', A.pow, (t) => t],
    ['maximum', A.maximum, (t) => t],
    ['minimum', A.minimum, (t) => t],
  ];
  covers(...cases.map((c) => c[1]));
  for (const [name, op, fixB] of cases) {
    test(name, () => {
      fc.assert(
        fc.property(
          shapeArb.chain((s) => fc.tuple(fc.constant(s), broadcastPartner(s), fc.boolean(), fc.nat())),
          ([sa, sb, swap, seed]) => {
            let a = valuesFor(sa, seed);
            let b = fixB(valuesFor(sb, seed + 1));
            if (name === 'pow') a = T.add(T.abs(a), 0.5); // positive base: ln(a) exists
            if (name === 'maximum' || name === 'minimum') b = T.add(b, 0.013); // no exact ties
            const [x, y] = swap && name !== 'pow' && name !== 'div' ? [b, a] : [a, b];
            expectPass(checkGradients(op, [x, y]));
          },
        ),
        RUNS,
      );
    });
  }
});

describe('unary ops match finite differences', () => {
  const cases: [string, (x: Tensor) => Tensor, number, number][] = [
    ['neg', A.neg, -3, 3],
    ['square', A.square, -3, 3],
    ['exp', A.exp, -3, 3],
    ['log', A.log, 0.1, 4],
    ['sqrt', A.sqrt, 0.1, 4],
    ['tanh', A.tanh, -3, 3],
    ['sigmoid', A.sigmoid, -6, 6],
    ['relu', A.relu, -3, 3],
    ['abs', A.abs, -3, 3],
    ['hardSigmoid', A.hardSigmoid, -2.9, 2.9],
    ['elu', A.elu, -3, 3],
    ['selu', A.selu, -3, 3],
    ['softplus', A.softplus, -5, 5],
    ['clip', (x: Tensor) => A.clip(x, -1.01, 1.03), -3, 3],
    ['scale', (x: Tensor) => A.scale(x, -2.5), -3, 3],
    ['sign', A.sign, -3, 3],
    ['linear', A.linear, -3, 3],
  ];
  covers(...cases.map((c) => c[1]), A.clip, A.scale);
  for (const [name, op, lo, hi] of cases) {
    test(name, () => {
      fc.assert(
        fc.property(shapeArb, fc.nat(), (shape, seed) => {
          expectPass(checkGradients(op, [valuesFor(shape, seed, lo, hi)]));
        }),
        RUNS,
      );
    });
  }
});

/** Random non-empty subset of axes, or null (all axes). */
function axesFor(rank: number): fc.Arbitrary<number[] | null> {
  return fc.option(fc.subarray(Array.from({ length: rank }, (_, i) => i), { minLength: 1 }), { nil: null });
}

describe('reductions match finite differences', () => {
  covers(A.sum, A.mean, A.max, A.min, A.softmax, A.logSoftmax);
  for (const [name, op] of [['sum', A.sum], ['mean', A.mean], ['max', A.max], ['min', A.min]] as const) {
    test(name, () => {
      fc.assert(
        fc.property(
          shapeArb.chain((s) => fc.tuple(fc.constant(s), axesFor(s.length), fc.boolean(), fc.nat())),
          ([shape, axes, keepDims, seed]) => {
            // distinct values so max/min have a unique winner
            const x = T.add(valuesFor(shape, seed), T.mul(T.range(T.sizeOf(shape), undefined, 1, { dtype: 'float64' }).reshape(shape), 0.01));
            expectPass(checkGradients((t) => op(t, axes, keepDims), [x]));
          },
        ),
        RUNS,
      );
    });
  }

  for (const [name, op] of [['softmax', A.softmax], ['logSoftmax', A.logSoftmax]] as const) {
    test(name, () => {
      fc.assert(
        fc.property(
          shapeArb.chain((s) => fc.tuple(fc.constant(s), fc.integer({ min: -s.length, max: s.length - 1 }), fc.nat())),
          ([shape, axis, seed]) => {
            expectPass(checkGradients((t) => op(t, axis), [valuesFor(shape, seed, -3, 3)]));
          },
        ),
        RUNS,
      );
    });
  }
});

describe('cross-entropy from logits matches finite differences', () => {
  covers(A.softmaxCrossentropy, A.sparseSoftmaxCrossentropy);
  // rows of 1..5 classes under 0..2 leading axes; labels: one-hot, probabilities or any non-negative weights
  const caseArb = fc.tuple(fc.array(fc.integer({ min: 1, max: 3 }), { maxLength: 2 }), fc.integer({ min: 1, max: 5 }), fc.nat());

  test('softmaxCrossentropy: logits and labels', () => {
    fc.assert(
      fc.property(caseArb, ([lead, classes, seed]) => {
        const shape = [...lead, classes];
        const labels = T.abs(valuesFor(shape, seed + 1, 0, 1.5));
        expectPass(checkGradients((z, y) => A.softmaxCrossentropy(z, y), [valuesFor(shape, seed, -4, 4), labels]));
      }),
      RUNS,
    );
  });

  test('sparseSoftmaxCrossentropy: logits', () => {
    fc.assert(
      fc.property(caseArb, ([lead, classes, seed]) => {
        const rng = new T.Rng(seed + 7);
        const ids = T.tensor(Array.from({ length: T.sizeOf(lead) }, () => Math.floor(rng.uniform(0, classes))), undefined).reshape(lead);
        expectPass(checkGradients((z) => A.sparseSoftmaxCrossentropy(z, ids), [valuesFor([...lead, classes], seed, -4, 4)]));
      }),
      RUNS,
    );
  });
});

describe('matmul matches finite differences', () => {
  covers(A.matmul);
  test('2-D and batched, with transposes and batch broadcasting', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.integer({ min: 1, max: 5 }),
        fc.constantFrom<number[][]>([[], []], [[2], [2]], [[3], []], [[], [2]], [[2, 1], [3]]),
        fc.boolean(),
        fc.boolean(),
        fc.nat(),
        (m, k, n, [ba, bb], ta, tb) => {
          if (ta && tb) return;
          const a = valuesFor([...ba, ...(ta ? [k, m] : [m, k])], m * 7 + k);
          const b = valuesFor([...bb, ...(tb ? [n, k] : [k, n])], n * 11 + k);
          expectPass(checkGradients((x, y) => A.matmul(x, y, { transposeA: ta, transposeB: tb }), [a, b]));
        },
      ),
      RUNS,
    );
  });
});

describe('shape ops match finite differences', () => {
  covers(A.reshape, A.transpose, A.slice, A.reverse, A.expandDims, A.squeeze, A.tile, A.concat, A.stack, A.split, A.gather, A.where);
  test('reshape, transpose, slice, reverse, expandDims, squeeze, tile', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), (shape, seed) => {
        const x = valuesFor(shape, seed);
        const rank = shape.length;
        const perm = T.permutation(rank, new T.Rng(seed));
        const begin = shape.map((d) => Math.floor(d / 2));
        const size = shape.map((d, i) => d - begin[i]);
        expectPass(checkGradients((t) => A.reshape(t, [-1]), [x]));
        expectPass(checkGradients((t) => A.transpose(t, perm), [x]));
        expectPass(checkGradients((t) => A.slice(t, begin, size), [x]));
        expectPass(checkGradients((t) => A.reverse(t, seed % rank), [x]));
        expectPass(checkGradients((t) => A.squeeze(A.expandDims(t, 0), [0]), [x]));
        expectPass(checkGradients((t) => A.tile(t, shape.map((_, i) => (i === 0 ? 2 : 1))), [x]));
      }),
      RUNS,
    );
  });

  test('concat, stack, split along a random axis', () => {
    fc.assert(
      fc.property(shapeArb, fc.nat(), (shape, seed) => {
        const axis = seed % shape.length;
        const other = shape.slice();
        other[axis] += 1;
        const a = valuesFor(shape, seed);
        const b = valuesFor(other, seed + 1);
        expectPass(checkGradients((x, y) => A.concat([x, y, x], axis), [a, b]));
        expectPass(checkGradients((x, y) => A.stack([x, y], axis), [a, valuesFor(shape, seed + 2)]));
        const parts = A.split(A.concat([a, b], axis), [shape[axis], other[axis]], axis);
        expect(parts.map((p) => p.shape)).toEqual([shape, other]);
        expectPass(checkGradients((x) => A.mul(A.split(x, [1, other[axis] - 1], axis)[1], 3), [b]));
      }),
      RUNS,
    );
  });

  test('gather scatters gradients back to repeated rows', () => {
    const table = valuesFor([5, 3], 3);
    const ids = T.tensor([[0, 4, 4], [2, 0, 1]]);
    expectPass(checkGradients((t) => A.gather(t, ids), [table]));
    // id 4 used twice: its gradient row is twice the upstream gradient of ones
    const g = A.grad((t: Tensor) => A.sum(A.gather(t, ids)))(table);
    expect(Array.from(g.data.subarray(12, 15))).toEqual([2, 2, 2]);
    expect(Array.from(g.data.subarray(9, 12))).toEqual([0, 0, 0]);
  });

  test('gather along an inner axis: each outer block scatters its own gradient', () => {
    const x = valuesFor([2, 5, 3], 4);
    const ids = T.tensor([[0, 4, 4], [2, 0, 1]]);
    expectPass(checkGradients((t) => A.gather(t, ids, 1), [x]));
    expectPass(checkGradients((t) => A.gather(t, [2, 2, 0], -1), [x]));
    // axis 1: in each of the 2 blocks, row 4 is picked twice, row 3 never
    const g = A.grad((t: Tensor) => A.sum(A.gather(t, ids, 1)))(x);
    for (const o of [0, 1]) {
      expect(Array.from(g.data.subarray(o * 15 + 12, o * 15 + 15))).toEqual([2, 2, 2]);
      expect(Array.from(g.data.subarray(o * 15 + 9, o * 15 + 12))).toEqual([0, 0, 0]);
    }
  });

  test('where routes the gradient by the condition', () => {
    const cond = T.tensor([[1, 0, 1]]);
    expectPass(checkGradients((a, b) => A.where(cond, a, b), [valuesFor([2, 3], 1), valuesFor([3], 2)]));
  });
});

describe('op coverage', () => {
  test('every function exported by @seqlab/autograd has a gradient check above or is listed as not an op', () => {
    const exported = Object.entries(A).filter(([, v]) => typeof v === 'function');
    const unchecked = exported.filter(([name, fn]) => !checked.has(fn) && !(name in NOT_OPS)).map(([name]) => name);
    expect(unchecked).toEqual([]);
    // the list of non-ops holds only names that exist (a renamed helper must be renamed here too)
    expect(Object.keys(NOT_OPS).filter((name) => typeof (A as Record<string, unknown>)[name] !== 'function')).toEqual([]);
    expect(exported.length).toBeGreaterThan(40);
  });
});
