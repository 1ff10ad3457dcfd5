/**
 * The fused sequence kernels held to the step-by-step references, in float64: values to 1e-10 and
 * every gradient (x, kernel, recurrentKernel, bias, initial states) to 1e-9, over random sizes,
 * masks (fully masked rows, first step masked), goBackwards, returnSequences, zeroOutputForMask,
 * dropout masks, activations, and each cell kind (GRU with and without resetAfter).
 *
 * Two references: the test-only scan in helpers/scan_reference.ts (written beside the kernels,
 * independently) and src/recurrent/reference.ts (`referenceSequence`, the library's own).
 */
import fc from 'fast-check';
import * as A from '@seqlab/autograd';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { ONE_HOT_MIN_FEATURES, oneHotRows } from '../src/recurrent/fused/one_hot';
import type { SequenceResult } from '../src/recurrent/sequence';
import { BuiltinArgs, BuiltinRunner, fusedSequence, fusedSupports, referenceSequence } from './helpers/builtin_args';
import { wasmBandCount } from '../src/recurrent/fused/wasm_band';
import { scanReference } from './helpers/scan_reference';

const references: [string, BuiltinRunner][] = [
  ['scanReference', scanReference],
  ['referenceSequence', referenceSequence],
];

type Kind = 'simpleRNN' | 'lstm' | 'gruAfter' | 'gruBefore';

interface Config {
  kind: Kind;
  B: number;
  T: number;
  I: number;
  H: number;
  activation: string;
  recurrentActivation: string;
  useBias: boolean;
  /** 'none', 'random', or 'hard': random plus a fully masked row and a masked first step. */
  mask: 'none' | 'random' | 'hard';
  goBackwards: boolean;
  returnSequences: boolean;
  zeroOutputForMask: boolean;
  initialStates: boolean;
  inputDropout: boolean;
  recurrentDropout: boolean;
  seed: number;
}

const configArb: fc.Arbitrary<Config> = fc.record({
  kind: fc.constantFrom<Kind>('simpleRNN', 'lstm', 'gruAfter', 'gruBefore'),
  B: fc.integer({ min: 1, max: 6 }),
  T: fc.integer({ min: 1, max: 5 }),
  I: fc.integer({ min: 1, max: 5 }),
  H: fc.integer({ min: 1, max: 6 }),
  activation: fc.constantFrom('tanh', 'tanh', 'relu', 'linear', 'sigmoid', 'hardSigmoid'),
  recurrentActivation: fc.constantFrom('sigmoid', 'sigmoid', 'hardSigmoid', 'hardSigmoidKeras2', 'tanh'),
  useBias: fc.boolean(),
  mask: fc.constantFrom<Config['mask']>('none', 'random', 'hard'),
  goBackwards: fc.boolean(),
  returnSequences: fc.boolean(),
  zeroOutputForMask: fc.boolean(),
  initialStates: fc.boolean(),
  inputDropout: fc.boolean(),
  recurrentDropout: fc.boolean(),
  seed: fc.integer({ min: 1, max: 1_000_000 }),
});

const G: Record<Kind, number> = { simpleRNN: 1, lstm: 4, gruAfter: 3, gruBefore: 3 };

function uniform(rng: T.Rng, shape: number[], lo = -1, hi = 1): Tensor {
  const n = T.sizeOf(shape);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(lo, hi);
  return new Tensor(d, shape);
}

function dropoutMask(rng: T.Rng, shape: number[], rate: number): Tensor {
  const n = T.sizeOf(shape);
  const d = new Float64Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.next() < rate ? 0 : 1 / (1 - rate);
  return new Tensor(d, shape);
}

function makeArgs(c: Config): BuiltinArgs {
  const rng = new T.Rng(c.seed);
  const { B, H, I } = c;
  const steps = c.T;
  const g = G[c.kind];
  let mask: Tensor | null = null;
  if (c.mask !== 'none') {
    const d = new Float64Array(B * steps);
    for (let i = 0; i < d.length; i++) d[i] = rng.next() < 0.6 ? 1 : 0;
    if (c.mask === 'hard') {
      for (let t = 0; t < steps; t++) d[t] = 0; // row 0 fully masked
      for (let b = 0; b < B; b++) d[b * steps + (c.goBackwards ? steps - 1 : 0)] = 0; // first processed step masked
      if (B > 1) d[1 * steps + (c.goBackwards ? 0 : steps - 1)] = 0; // row 1: last processed step masked
    }
    mask = new Tensor(d, [B, steps]);
  }
  let bias: Tensor | null = null;
  if (c.useBias) bias = uniform(rng, c.kind === 'gruAfter' ? [2, 3 * H] : [g * H], -0.5, 0.5);
  const nStates = c.kind === 'lstm' ? 2 : 1;
  return {
    kind: c.kind === 'gruAfter' || c.kind === 'gruBefore' ? 'gru' : c.kind,
    x: uniform(rng, [B, steps, I]),
    kernel: uniform(rng, [I, g * H], -0.8, 0.8),
    recurrentKernel: uniform(rng, [H, g * H], -0.8, 0.8),
    bias,
    initialStates: c.initialStates ? Array.from({ length: nStates }, () => uniform(rng, [B, H], -0.9, 0.9)) : [],
    mask,
    goBackwards: c.goBackwards,
    returnSequences: c.returnSequences,
    activation: c.activation,
    recurrentActivation: c.recurrentActivation,
    resetAfter: c.kind === 'gruAfter' ? true : c.kind === 'gruBefore' ? false : undefined,
    zeroOutputForMask: c.zeroOutputForMask,
    inputDropoutMask: c.inputDropout ? dropoutMask(rng, [B, I], 0.3) : null,
    recurrentDropoutMask: c.recurrentDropout ? dropoutMask(rng, [B, H], 0.3) : null,
  };
}

/** The library's reference needs initial states; give zeros when the config has none. */
function withStates(args: BuiltinArgs): BuiltinArgs {
  if (args.initialStates.length) return args;
  const [B] = args.x.shape;
  const H = args.recurrentKernel.shape[0];
  const n = args.kind === 'lstm' ? 2 : 1;
  return { ...args, initialStates: Array.from({ length: n }, () => T.zeros([B, H], { dtype: 'float64' })) };
}

function expectClose(what: string, actual: Tensor, expected: Tensor, tol: number): void {
  expect(actual.shape).toEqual(expected.shape);
  for (let i = 0; i < expected.size; i++) {
    const a = actual.data[i];
    const e = expected.data[i];
    if (!(Math.abs(a - e) <= tol * Math.max(1, Math.abs(e)))) {
      throw new Error(`${what}: element ${i} of ${T.fmtShape(expected.shape)}: fused ${a}, reference ${e} (tol ${tol})`);
    }
  }
}

/** L = Σ output ⊙ R0 + Σ_k state_k ⊙ R_k, and its gradients with respect to every differentiable input. */
function lossAndGrads(run: BuiltinRunner, args: BuiltinArgs, seed: number): { result: SequenceResult; grads: Tensor[]; names: string[] } {
  const wrt = [args.x, args.kernel, args.recurrentKernel];
  const names = ['x', 'kernel', 'recurrentKernel'];
  if (args.bias) {
    wrt.push(args.bias);
    names.push('bias');
  }
  args.initialStates.forEach((s, k) => {
    wrt.push(s);
    names.push(`initialStates[${k}]`);
  });
  let result!: SequenceResult;
  const { grads } = A.gradients(() => {
    result = run(args);
    const rng = new T.Rng(seed);
    let loss = A.sum(A.mul(result.output, uniform(rng, result.output.shape)));
    for (const s of result.states) loss = A.add(loss, A.sum(A.mul(s, uniform(rng, s.shape))));
    return loss;
  }, wrt);
  return { result, grads, names };
}

describe('fusedSequence against the step-by-step references (float64)', () => {
  test.each(references)('values and all gradients equal %s', (_name, reference) => {
    fc.assert(
      fc.property(configArb, (c) => {
        const args = makeArgs(c);
        const refArgs = reference === scanReference ? args : withStates(args);
        const fused = lossAndGrads(fusedSequence, refArgs, c.seed + 1);
        const ref = lossAndGrads(reference, refArgs, c.seed + 1);
        const tag = JSON.stringify(c);
        expectClose(`output ${tag}`, fused.result.output, ref.result.output, 1e-10);
        expect(fused.result.states.length).toBe(ref.result.states.length);
        fused.result.states.forEach((s, k) => expectClose(`state ${k} ${tag}`, s, ref.result.states[k], 1e-10));
        fused.grads.forEach((g, k) => expectClose(`d${fused.names[k]} ${tag}`, g, ref.grads[k], 1e-9));
      }),
      { seed: 42, numRuns: 150 },
    );
  });

  test('one-hot inputs (the projection copies rows of W, dW adds rows of dG) agree with the reference', () => {
    fc.assert(
      fc.property(configArb, fc.integer({ min: ONE_HOT_MIN_FEATURES, max: ONE_HOT_MIN_FEATURES + 8 }), (c0, I) => {
        const c = { ...c0, I, inputDropout: false };
        const args = makeArgs(c);
        // rows with a single 1, one in five all zeros (padding)
        const rng = new T.Rng(c.seed + 7);
        const x = new Float64Array(c.B * c.T * I);
        for (let r = 0; r < c.B * c.T; r++) if (rng.next() >= 0.2) x[r * I + Math.floor(rng.next() * I)] = 1;
        const oneHotArgs = withStates({ ...args, x: new Tensor(x, [c.B, c.T, I]) });
        expect(oneHotRows(x, c.B, c.T, I, c.goBackwards)).not.toBeNull();
        const fused = lossAndGrads(fusedSequence, oneHotArgs, c.seed + 1);
        const ref = lossAndGrads(referenceSequence, oneHotArgs, c.seed + 1);
        const tag = JSON.stringify(c);
        expectClose(`output ${tag}`, fused.result.output, ref.result.output, 1e-10);
        fused.result.states.forEach((s, k) => expectClose(`state ${k} ${tag}`, s, ref.result.states[k], 1e-10));
        fused.grads.forEach((g, k) => expectClose(`d${fused.names[k]} ${tag}`, g, ref.grads[k], 1e-9));
      }),
      { seed: 43, numRuns: 60 },
    );
  });

  test('oneHotRows: the index per row in processing order, -1 for zeros; null for anything else', () => {
    const I = ONE_HOT_MIN_FEATURES;
    const x = new Float32Array(2 * 3 * I); // [B = 2, T = 3, I]
    x[0 * I + 4] = 1; // b 0, t 0
    x[1 * I + 0] = 1; // b 0, t 1 (b 0, t 2: zeros)
    x[3 * I + I - 1] = 1; // b 1, t 0
    x[4 * I + 2] = 1; // b 1, t 1
    x[5 * I + 3] = 1; // b 1, t 2
    // processing order s·B + b
    expect(Array.from(oneHotRows(x, 2, 3, I, false) as Int32Array)).toEqual([4, I - 1, 0, 2, -1, 3]);
    expect(Array.from(oneHotRows(x, 2, 3, I, true) as Int32Array)).toEqual([-1, 3, 0, 2, 4, I - 1]);
    const two = x.slice();
    two[4 * I + 5] = 1; // a row with two ones
    expect(oneHotRows(two, 2, 3, I, false)).toBeNull();
    const scaled = x.slice();
    scaled[0 * I + 4] = 2; // not a one
    expect(oneHotRows(scaled, 2, 3, I, false)).toBeNull();
    expect(oneHotRows(new Float32Array(2 * 3 * 4), 2, 3, 4, false)).toBeNull(); // too few features to matter
  });
});

describe('fusedSequence in float32 on the wasm kernels (band buffers in wasm memory, lanes primitives)', () => {
  const cast = (t: Tensor | null | undefined, dtype: 'float32' | 'float64') => (t ? t.cast(dtype) : null);
  /** Every tensor of the arguments cast to `dtype`. */
  function castArgs(args: BuiltinArgs, dtype: 'float32' | 'float64'): BuiltinArgs {
    return {
      ...args,
      x: args.x.cast(dtype),
      kernel: args.kernel.cast(dtype),
      recurrentKernel: args.recurrentKernel.cast(dtype),
      bias: cast(args.bias, dtype),
      initialStates: args.initialStates.map((t) => t.cast(dtype)),
      mask: args.mask,
      inputDropoutMask: cast(args.inputDropoutMask, dtype),
      recurrentDropoutMask: cast(args.recurrentDropoutMask, dtype),
    };
  }
  // larger batches and units than the float64 property: whole GEMM tiles (4 rows, 8 columns) and edges
  const wideArb = fc.record({ c: configArb, B: fc.integer({ min: 1, max: 9 }), H: fc.integer({ min: 1, max: 12 }) }).map(({ c, B, H }) => ({ ...c, B, H }));

  test('property: values and every gradient within float32 rounding of the float64 reference and of the js kernels; the same values outside a gradient computation', () => {
    fc.assert(
      fc.property(wideArb, (c) => {
        const args32 = castArgs(withStates(makeArgs(c)), 'float32');
        const args64 = castArgs(args32, 'float64'); // the same values, in float64
        const bands = wasmBandCount();
        const wasm = lossAndGrads(fusedSequence, args32, c.seed + 1);
        expect(wasmBandCount()).toBe(bands + 2); // forward and backward ran in wasm memory
        // without a gradient computation (the band keeps only the states): the same values, bit for bit
        const plain = A.noGrad(() => fusedSequence(args32));
        expect(Array.from(plain.output.data)).toEqual(Array.from(wasm.result.output.data));
        plain.states.forEach((st, k) => expect(Array.from(st.data)).toEqual(Array.from(wasm.result.states[k].data)));
        const was = T.setKernels('js');
        let js: ReturnType<typeof lossAndGrads>;
        try {
          js = lossAndGrads(fusedSequence, args32, c.seed + 1);
        } finally {
          T.setKernels(was);
        }
        const ref = lossAndGrads(referenceSequence, args64, c.seed + 1);
        const tag = JSON.stringify(c);
        expect(wasm.result.output.dtype).toBe('float32');
        for (const [name, other, tol] of [['reference', ref, 2e-5], ['js kernels', js, 2e-5]] as const) {
          expectClose(`output vs ${name} ${tag}`, wasm.result.output, other.result.output, tol);
          wasm.result.states.forEach((s, k) => expectClose(`state ${k} vs ${name} ${tag}`, s, other.result.states[k], tol));
          wasm.grads.forEach((g, k) => expectClose(`d${wasm.names[k]} vs ${name} ${tag}`, g, other.grads[k], 10 * tol));
        }
      }),
      { seed: 44, numRuns: 50 },
    );
  });
});

describe('fusedSequence: gradient checks against finite differences', () => {
  const kinds: Kind[] = ['simpleRNN', 'lstm', 'gruAfter', 'gruBefore'];
  test.each(kinds)('%s: checkGradients over x, weights and initial states, with masks and dropout', (kind) => {
    const c: Config = {
      kind, B: 3, T: 4, I: 3, H: 4, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true,
      mask: 'random', goBackwards: true, returnSequences: true, zeroOutputForMask: false,
      initialStates: true, inputDropout: true, recurrentDropout: true, seed: 7,
    };
    const args = makeArgs(c);
    const inputs = [args.x, args.kernel, args.recurrentKernel, args.bias as Tensor, ...args.initialStates];
    const nStates = args.initialStates.length;
    const r = A.checkGradients(
      (x, kernel, recurrentKernel, bias, ...states) => {
        const out = fusedSequence({ ...args, x, kernel, recurrentKernel, bias, initialStates: states.slice(0, nStates) });
        // output and every final state in one tensor, so the projection checks them all
        return A.concat([A.reshape(out.output, [-1]), ...out.states.map((s) => A.reshape(s, [-1]))], 0);
      },
      inputs,
      { seed: 3 },
    );
    if (!r.ok) throw new Error(r.message);
    expect(r.ok).toBe(true);
  });
});

describe('fusedSequence: tape, precision, support', () => {
  const base: Config = {
    kind: 'lstm', B: 5, T: 6, I: 3, H: 4, activation: 'tanh', recurrentActivation: 'sigmoid', useBias: true,
    mask: 'hard', goBackwards: false, returnSequences: true, zeroOutputForMask: false,
    initialStates: true, inputDropout: false, recurrentDropout: false, seed: 11,
  };

  test('a whole sequence is one tape entry', () => {
    for (const kind of ['simpleRNN', 'lstm', 'gruAfter', 'gruBefore'] as Kind[]) {
      const args = makeArgs({ ...base, kind });
      let size = -1;
      A.gradients(() => {
        const { output } = fusedSequence(args);
        size = A.tapeSize();
        return A.sum(output);
      }, [args.kernel]);
      expect(size).toBe(1);
    }
  });

  test('skips the input gradient when x needs none, and the other gradients are unchanged', () => {
    const args = makeArgs(base);
    const all = lossAndGrads(fusedSequence, args, 5);
    const wrt = [args.kernel, args.recurrentKernel];
    const { grads } = A.gradients(() => {
      const r = fusedSequence(args);
      const rng = new T.Rng(5);
      let loss = A.sum(A.mul(r.output, uniform(rng, r.output.shape)));
      for (const s of r.states) loss = A.add(loss, A.sum(A.mul(s, uniform(rng, s.shape))));
      return loss;
    }, wrt);
    expectClose('dkernel', grads[0], all.grads[1], 0);
    expectClose('drecurrentKernel', grads[1], all.grads[2], 0);
  });

  test('an unused output (only a final state downstream) still gives correct gradients', () => {
    for (const kind of ['simpleRNN', 'lstm', 'gruAfter', 'gruBefore'] as Kind[]) {
      const args = makeArgs({ ...base, kind });
      const wrt = [args.x, args.kernel, args.recurrentKernel, args.bias as Tensor, ...args.initialStates];
      const f = (run: BuiltinRunner) => A.gradients(() => A.sum(run(args).states[0]), wrt).grads;
      const got = f(fusedSequence);
      const want = f(scanReference);
      got.forEach((g, k) => expectClose(`${kind} grad ${k}`, g, want[k], 1e-9));
    }
  });

  test('float32 inputs run in float32 and agree with float64 to float32 precision', () => {
    for (const kind of ['simpleRNN', 'lstm', 'gruAfter', 'gruBefore'] as Kind[]) {
      const args = makeArgs({ ...base, kind, inputDropout: true, recurrentDropout: true });
      const cast = (t: Tensor | null | undefined) => (t ? t.cast('float32') : null);
      const args32: BuiltinArgs = {
        ...args,
        x: args.x.cast('float32'),
        kernel: args.kernel.cast('float32'),
        recurrentKernel: args.recurrentKernel.cast('float32'),
        bias: cast(args.bias),
        initialStates: args.initialStates.map((s) => s.cast('float32')),
        inputDropoutMask: cast(args.inputDropoutMask),
        recurrentDropoutMask: cast(args.recurrentDropoutMask),
      };
      const r64 = lossAndGrads(fusedSequence, args, 9);
      const r32 = lossAndGrads(fusedSequence, args32, 9);
      expect(r32.result.output.dtype).toBe('float32');
      expect(r32.grads[1].dtype).toBe('float32');
      expectClose(`${kind} output`, r32.result.output, r64.result.output, 1e-5);
      r32.grads.forEach((g, k) => expectClose(`${kind} grad ${r32.names[k]}`, g, r64.grads[k], 1e-4));
    }
  });

  test('outside a gradient computation it records nothing and gives the same values', () => {
    const args = makeArgs(base);
    const a = fusedSequence(args);
    const b = A.noGrad(() => fusedSequence(args));
    expectClose('output', a.output, b.output, 0);
  });

  test('an empty sequence (T = 0) gives zeros and the initial states, as the reference', () => {
    for (const kind of ['simpleRNN', 'lstm', 'gruAfter', 'gruBefore'] as Kind[]) {
      for (const returnSequences of [false, true]) {
        const args = { ...makeArgs({ ...base, kind, mask: 'none' }), returnSequences };
        const empty = { ...args, x: T.zeros([base.B, 0, base.I], { dtype: 'float64' }) };
        const fused = lossAndGrads(fusedSequence, empty, 3);
        const ref = lossAndGrads(referenceSequence, empty, 3);
        expectClose(`${kind} output`, fused.result.output, ref.result.output, 0);
        fused.result.states.forEach((s, k) => expectClose(`${kind} state ${k}`, s, ref.result.states[k], 0));
        fused.grads.forEach((g, k) => expectClose(`${kind} grad ${fused.names[k]}`, g, ref.grads[k], 0));
      }
    }
  });

  test('fusedSupports: built-in activations yes, others no', () => {
    const args = makeArgs(base);
    expect(fusedSupports(args)).toBe(true);
    expect(fusedSupports({ ...args, activation: 'hard_sigmoid' })).toBe(true);
    expect(fusedSupports({ ...args, activation: 'softplus' })).toBe(false);
    expect(fusedSupports({ ...args, recurrentActivation: 'elu' })).toBe(false);
    expect(fusedSupports({ ...args, kind: 'simpleRNN', recurrentActivation: 'elu' })).toBe(true);
    expect(() => fusedSequence({ ...args, activation: 'softplus' })).toThrow(/unsupported configuration/);
  });

  test('shape errors name the argument and both shapes', () => {
    const args = makeArgs(base);
    expect(() => fusedSequence({ ...args, recurrentKernel: T.zeros([3, 16]) })).toThrow(
      "fusedSequence(LSTMCell 'lstm_cell'): expected recurrentKernel [4,16], received [3,16]",
    );
    expect(() => fusedSequence({ ...args, mask: T.zeros([5, 2]) })).toThrow(/expected mask \[5,6\], received \[5,2\]/);
  });
});
