/**
 * A learner's path through backpropagation through time (`npm run example -- bptt`), on one small
 * problem: the adding problem of `npm start` (sum the two marked values of a sequence).
 *
 *   1. one LSTM step: the gate equations applied by hand to one timestep, values shown, held to
 *      the library's LSTMCell;
 *   2. the reference scan: the cell stepped over a sequence, h_t at every step;
 *   3. the tape that scan records: the ops, in execution order, that backward walks in reverse;
 *   4. those gradients held to central finite differences (float64);
 *   5. vanishing gradients: the norm of dL/dh_t at every timestep, SimpleRNN against LSTM, at
 *      initialization and after a short training on the same task (printed and plotted);
 *   6. the fused kernel (one tape node, hand-written BPTT) agreeing with the reference scan, and how
 *      much faster it is.
 *
 * dL/dh_t is the total derivative through every later step. It is read off the tape with a probe:
 * h_t + e_t with e_t = 0 leaves every value unchanged, and ∂L/∂e_t = dL/dh_t.
 */
import * as A from '@seqlab/autograd';
import { Variable } from '@seqlab/autograd';
import { hiddenGradNorms, readoutLoss } from '../lib/grad_norms';
import { Adam, Dense, LSTM, LSTMCell, RecurrentCell, Sequential, SimpleRNN, StepFn, asStepResult, scan, setSeed } from '@seqlab/layers';
import * as T from '@seqlab/tensor';
import { Tensor } from '@seqlab/tensor';
import { Example, Figures, RunOptions, logger, machine, outputDir, saveFigures, seconds, table } from '../lib/common';
import { COLORS, saveSvg } from '../lib/plot';
import { addingProblem } from './adding';

/** The vanishing-gradient experiment: sequence length, sizes and training (measured: the LSTM learns in 4 epochs, about 10 s on 2 loaded cores). */
export const FULL = { length: 30, units: 32, trainSamples: 4000, probeSamples: 100, epochs: 6, batchSize: 50, learningRate: 0.01, fusedReps: 5 };
export const SMOKE = { ...FULL, trainSamples: 200, epochs: 1, fusedReps: 2 };
type Config = typeof FULL;

const fmt = (v: number, d = 4) => (v >= 0 ? ' ' : '') + v.toFixed(d);
/** A [1, n] (or [n]) tensor as "[ 0.1234, -0.5678 ]". */
const vec = (t: Tensor, d = 4) => `[${Array.from(t.data, (v) => fmt(v, d)).join(', ')} ]`;
const maxAbsDiff = (a: Tensor, b: Tensor) => T.max(T.abs(T.sub(a, b))).item();
const norm = A.l2Norm;
const single = (t: Tensor | Tensor[]): Tensor => (Array.isArray(t) ? t[0] : t);
/** The cell's step as the scan calls it. */
const stepOf = (cell: RecurrentCell): StepFn => (x, states) => cell.step(x, states);

/** Runs `fn` with the variables holding `values` for a while (a gradient check varies weights as plain inputs). */
function withValues<R>(variables: Variable[], values: Tensor[], fn: () => R): R {
  const saved = variables.map((v) => v.value);
  variables.forEach((v, i) => (v.value = values[i]));
  try {
    return fn();
  } finally {
    variables.forEach((v, i) => (v.value = saved[i]));
  }
}

/** 1. One LSTM step by hand: z = x·W + h·U + b split into i, f, c̃, o; c_t = f⊙c + i⊙c̃; h_t = o⊙tanh(c_t). */
function oneStep(log: (s: string) => void, cell: LSTMCell, x: Tensor): Figures {
  const [k, u, b] = cell.weights.map((w) => w.value);
  const xs = T.split(x, x.shape[1], 1).map((s) => T.reshape(s, [1, x.shape[2]])); // x_0, x_1, ...
  const [, first] = cell.step(xs[0], cell.zeroStates(1)); // step 0 from zeros, so step 1 has a non-zero h and c
  const [hPrev, cPrev] = first;
  const xt = xs[1];
  log(`x_1 = ${vec(xt)}   (value, marker)`);
  log(`h_0 = ${vec(hPrev)}`);
  log(`c_0 = ${vec(cPrev)}`);
  const z = T.add(T.add(T.matmul(xt, k), T.matmul(hPrev, u)), b);
  const [zi, zf, zc, zo] = T.split(z, 4, 1);
  const i = T.sigmoid(zi);
  const f = T.sigmoid(zf);
  const g = T.tanh(zc);
  const o = T.sigmoid(zo);
  const c = T.add(T.mul(f, cPrev), T.mul(i, g));
  const h = T.mul(o, T.tanh(c));
  log(`z   = x_1·W + h_0·U + b, W ${JSON.stringify(k.shape)}, U ${JSON.stringify(u.shape)}, b ${JSON.stringify(b.shape)}; split in four (Keras order i, f, c, o):`);
  log(`i   = σ(z_i)            = ${vec(i)}   input gate`);
  log(`f   = σ(z_f)            = ${vec(f)}   forget gate (its bias starts at 1)`);
  log(`c̃   = tanh(z_c)         = ${vec(g)}   candidate`);
  log(`o   = σ(z_o)            = ${vec(o)}   output gate`);
  log(`c_1 = f ⊙ c_0 + i ⊙ c̃   = ${vec(c)}`);
  log(`h_1 = o ⊙ tanh(c_1)     = ${vec(h)}`);
  const [libH, [, libC]] = cell.step(xt, [hPrev, cPrev]);
  const diff = Math.max(maxAbsDiff(h, libH), maxAbsDiff(c, libC));
  log(`LSTMCell.step gives the same h_1 and c_1: max |difference| ${diff.toExponential(1)}`);
  return { h: Array.from(h.data), c: Array.from(c.data), gates: { i: Array.from(i.data), f: Array.from(f.data), c: Array.from(g.data), o: Array.from(o.data) }, maxDiffToCell: diff };
}

/** 2-4. The scan, its tape and the gradient check, on a batch of `x` with a Dense(1) read-out. */
function scanTapeCheck(log: (s: string) => void, cell: LSTMCell, readout: Dense, x: Tensor, y: Tensor): Figures {
  const [, steps] = x.shape;
  // 2. the reference scan
  const { output } = A.noGrad(() => scan(stepOf(cell), x, cell.zeroStates(x.shape[0]), { returnSequences: true }));
  const hs = A.split(output, steps, 1).map((s) => T.reshape(s, [x.shape[0], -1]));
  const rows = hs.map((h, t) => [String(t), fmt(x.data[t * 2], 3), String(x.data[t * 2 + 1]), vec(T.slice(h, [0, 0], [1, -1]))]);
  for (const line of table(['t', 'value', 'marker', 'h_t (first sequence)'], rows)) log(line);
  log(`target y = ${y.data[0].toFixed(4)} (the sum of the two marked values); prediction = Dense(1)(h_${steps - 1})`);

  // 3. the tape: what one forward pass records, step by step
  log('');
  log('## 3. The tape');
  const weights = [...cell.weights, ...readout.weights];
  const boundaries: number[] = [];
  let entries: A.TapeEntryInfo[] = [];
  A.gradients(() => {
    const probe: StepFn = (xt, states) => {
      boundaries.push(A.tapeSize());
      return cell.step(xt, states);
    };
    const last = scan(probe, x, cell.zeroStates(x.shape[0])).output;
    boundaries.push(A.tapeSize());
    const loss = readoutLoss(readout, last, y);
    entries = A.tapeEntries();
    return loss;
  }, weights.map((w) => w.value));
  const shapes = (s: number[][]) => s.map((d) => `[${d.join(',')}]`).join(' ');
  const show = (from: number, to: number) => entries.slice(from, to).map((e, k) => `  ${String(from + k).padStart(3)}  ${e.name.padEnd(11)} ${shapes(e.inputShapes)} -> ${shapes(e.outputShapes)}`);
  const perStep = boundaries[1] - boundaries[0];
  log(`${entries.length} entries (x needs no gradient, so cutting it into timesteps records nothing).`);
  show(0, boundaries[0]).forEach((l) => log(l));
  log(`step 0 (${perStep} entries; every step records the same ops):`);
  show(boundaries[0], boundaries[1]).forEach((l) => log(l));
  log(`  ... steps 1 to ${steps - 1} ...`);
  log('the loss:');
  show(boundaries[steps], entries.length).forEach((l) => log(l));
  log('Backward walks these entries from the last to the first, each calling its op\'s vector-Jacobian product.');

  // 4. the gradient check
  log('');
  log('## 4. The gradients against finite differences');
  const x64 = x.cast('float64');
  const y64 = y.cast('float64');
  const check = A.checkGradients(
    (...ws: Tensor[]) => withValues(weights, ws, () => readoutLoss(readout, scan(stepOf(cell), x64, cell.zeroStates(x.shape[0], 'float64')).output, y64)),
    weights.map((w) => w.value),
  );
  log(`float64, central differences (L(w + ε) - L(w - ε)) / 2ε with ε = 1e-6, every one of the ${check.checked} weights`);
  log(`(kernel, recurrent kernel, bias, read-out): max abs error ${check.maxAbsError.toExponential(2)}, max rel error ${check.maxRelError.toExponential(2)}`);
  log(`zero upstream gradient gives zero gradients: ${check.zeroUpstreamOk}; a rerun is bit-identical: ${check.reproducible}; ${check.ok ? 'passed' : 'FAILED'}`);
  return {
    scan: hs.map((h) => Array.from(T.slice(h, [0, 0], [1, -1]).data)),
    tape: { entries: entries.length, beforeLoop: boundaries[0], perStep, loss: entries.length - boundaries[steps], names: entries.map((e) => e.name) },
    gradientCheck: { ok: check.ok, checked: check.checked, maxAbsError: check.maxAbsError, maxRelError: check.maxRelError, zeroUpstreamOk: check.zeroUpstreamOk, reproducible: check.reproducible },
  };
}

interface GradientRun {
  cell: string;
  initial: number[];
  trained: number[];
  testMse: number;
  seconds: number;
}

/** 5. SimpleRNN and LSTM on the same task: dL/dh_t at initialization, then after `epochs` of training. */
async function vanishing(log: (s: string) => void, cfg: Config): Promise<GradientRun[]> {
  const train = addingProblem(cfg.trainSamples, cfg.length, 1);
  const probe = addingProblem(cfg.probeSamples, cfg.length, 3);
  const runs: GradientRun[] = [];
  for (const [name, Layer] of [['SimpleRNN', SimpleRNN], ['LSTM', LSTM]] as const) {
    setSeed(1);
    const rnn = new Layer({ units: cfg.units, inputShape: [cfg.length, 2] });
    const readout = new Dense({ units: 1 });
    const model = new Sequential([rnn, readout]);
    model.compile({ optimizer: new Adam({ learningRate: cfg.learningRate, clipnorm: 1 }), loss: 'mse' });
    const initial = hiddenGradNorms(rnn.cell, readout, probe.x, probe.y);
    const start = Date.now();
    await model.fit(train.x, train.y, { batchSize: cfg.batchSize, epochs: cfg.epochs, verbose: 0, seed: 7 });
    const trained = hiddenGradNorms(rnn.cell, readout, probe.x, probe.y);
    const testMse = model.evaluate(probe.x, probe.y) as number;
    runs.push({ cell: name, initial, trained, testMse, seconds: seconds(start) });
  }
  const last = cfg.length - 1;
  const marks = [0, 5, 10, 15, 20, 25, last].filter((t, k, all) => t <= last && all.indexOf(t) === k);
  const header = ['', ...marks.map((t) => `t=${t}`), `t=0 / t=${last}`];
  const row = (label: string, n: number[]) => [label, ...marks.map((t) => n[t].toExponential(1)), (n[0] / n[last]).toExponential(1)];
  log(`||dL/dh_t|| over ${cfg.probeSamples} probe sequences of length ${cfg.length} (L: MSE of a Dense(1) read-out of h_${last}):`);
  const rows = runs.flatMap((r) => [row(`${r.cell}, initial`, r.initial), row(`${r.cell}, trained`, r.trained)]);
  for (const line of table(header, rows)) log(line);
  log('');
  // the geometric mean of ||dL/dh_{t-1}|| / ||dL/dh_t|| over the sequence: what one step back multiplies the gradient by
  const perStep = (n: number[]) => Math.pow(n[0] / n[last], 1 / last).toFixed(2);
  for (const r of runs) {
    log(`${r.cell}: test MSE ${r.testMse.toFixed(4)} after ${cfg.epochs} epochs (baseline 0.167: no memory), ${r.seconds}s;`);
    log(`  one step back multiplies ||dL/dh_t|| by ${perStep(r.initial)} on average at initialization, by ${perStep(r.trained)} after training.`);
  }
  log('Each step back multiplies the gradient by that step\'s Jacobian. SimpleRNN: dL/dh_k = (dL/dh_k+1 ⊙ tanh\'(a_k+1))·Uᵀ,');
  log('with 0 < tanh\' <= 1. LSTM: its cell carries dL/dc_k = dL/dc_k+1 ⊙ f_k+1 + (terms through h), a product of forget');
  log('gates: f ≈ σ(1) ≈ 0.73 at initialization (the forget bias starts at 1); training pushes f towards 1 where memory is needed.');
  return runs;
}

/** 6. The fused LSTM kernel against the reference scan: same weights, values and gradients, then time. */
function fusedAgainstReference(log: (s: string) => void, reps: number): Figures {
  const [B, steps, I, H] = [32, 50, 2, 64];
  const x = addingProblem(B, steps, 5).x;
  setSeed(2);
  const fused = new LSTM({ units: H, returnSequences: true, implementation: 'fused' });
  const reference = new LSTM({ units: H, returnSequences: true, implementation: 'reference' });
  A.noGrad(() => [fused.apply(x), reference.apply(x)]);
  reference.setWeights(fused.getWeights());
  const dy = T.randomUniform([B, steps, H], -1, 1, { seed: 9 });
  // one training step's worth: forward, then backward to the weights and the input
  const run = (layer: LSTM) => A.gradients(() => A.sum(A.mul(single(layer.apply(x)), dy)), [...layer.weights.map((w) => w.value), x]);
  const a = run(fused);
  const b = run(reference);
  // what each records on the tape for the whole sequence
  const tapeOf = (layer: LSTM) => {
    let n = 0;
    A.gradients(() => {
      const y = single(layer.apply(x));
      n = A.tapeSize();
      return A.sum(y);
    }, layer.weights.map((w) => w.value));
    return n;
  };
  const tape = { fused: tapeOf(fused), reference: tapeOf(reference) };
  const valueDiff = maxAbsDiff(A.noGrad(() => single(fused.apply(x))), A.noGrad(() => single(reference.apply(x))));
  const gradDiffs = a.grads.map((g, i) => maxAbsDiff(g, b.grads[i]) / Math.max(1, norm(b.grads[i]) / Math.sqrt(g.size)));
  const time = (layer: LSTM) => {
    const ms: number[] = [];
    for (let r = 0; r < reps; r++) {
      const start = performance.now();
      run(layer);
      ms.push(performance.now() - start);
    }
    return ms.sort((p, q) => p - q)[Math.floor(reps / 2)];
  };
  const threads = T.getThreads();
  T.setThreads(1); // the reference scan runs on one thread: compare the kernels like for like
  let fusedMs: number;
  let referenceMs: number;
  try {
    fusedMs = time(fused);
    referenceMs = time(reference);
  } finally {
    T.setThreads(threads);
  }
  const load = machine().loadAverage;
  log(`LSTM(${H}) on [${B}, ${steps}, ${I}], returnSequences, float32, the same weights:`);
  log(`tape: the fused kernel records ${tape.fused} entr${tape.fused === 1 ? 'y' : 'ies'} for the whole sequence, the reference scan ${tape.reference}`);
  log(`outputs: max |fused - reference| = ${valueDiff.toExponential(2)}`);
  log(`gradients (kernel, recurrent kernel, bias, input): max |difference| = ${Math.max(...gradDiffs).toExponential(2)} (relative to each gradient's RMS where it exceeds 1)`);
  log(`forward + backward, median of ${reps}, one thread: reference scan ${referenceMs.toFixed(1)} ms, fused kernel ${fusedMs.toFixed(1)} ms: ${(referenceMs / fusedMs).toFixed(1)}x faster (load average ${load[0]})`);
  return { shape: [B, steps, I, H], tape, valueMaxDiff: valueDiff, gradMaxDiff: Math.max(...gradDiffs), referenceMs, fusedMs, speedup: referenceMs / fusedMs, reps, loadAverage: load };
}

/** 1e-k ticks from the smallest relative norm up to 1, for the plot's log axis. */
function decades(runs: GradientRun[]): number[] {
  const smallest = Math.min(...runs.flatMap((r) => [r.initial, r.trained].map((n) => Math.min(...n) / n[n.length - 1])));
  const out: number[] = [];
  for (let e = 0; e >= Math.floor(Math.log10(smallest)); e--) out.push(Math.pow(10, e));
  return out;
}

export async function run(options: RunOptions = {}): Promise<Figures> {
  const log = logger(options);
  const cfg = options.smoke ? SMOKE : FULL;
  const dir = outputDir('bptt', options);
  const start = Date.now();
  log('Backpropagation through time, step by step, on the adding problem (sum the two marked values).');
  log('');
  log('## 1. One LSTM step');
  setSeed(1);
  const cell = new LSTMCell({ units: 3 });
  cell.build(2);
  const readout = new Dense({ units: 1 });
  readout.build([null, 3]);
  const seq = addingProblem(4, 8, 11);
  const step = oneStep(log, cell, T.slice(seq.x, [0, 0, 0], [1, -1, -1]));
  log('');
  log(`## 2. The reference scan: the same cell stepped over a sequence of ${seq.x.shape[1]}`);
  const walk = scanTapeCheck(log, cell, readout, seq.x, seq.y);
  log('');
  log('## 5. Vanishing gradients: SimpleRNN against LSTM');
  const runs = await vanishing(log, cfg);
  const plot = await saveSvg(dir, 'vanishing-gradients.svg', {
    title: { text: `How much gradient reaches each timestep (adding problem, T = ${cfg.length})`, subtitle: `||dL/dh_t|| relative to the last step's; the loss reads h_${cfg.length - 1} only; trained: ${cfg.epochs} epochs, Adam(${cfg.learningRate})` },
    data: { values: runs.flatMap((r) => (['initial', 'trained'] as const).flatMap((phase) => r[phase].map((n, t, all) => ({ cell: r.cell, phase: phase === 'initial' ? 'at initialization' : `after ${cfg.epochs} epochs`, t, n: n / all[all.length - 1] })))) },
    facet: { column: { field: 'phase', type: 'nominal', title: null, sort: ['at initialization'] } },
    spec: {
      width: 300,
      height: 240,
      mark: { type: 'line', point: { size: 20 } },
      encoding: {
        x: { field: 't', type: 'quantitative', title: 'timestep t' },
        y: { field: 'n', type: 'quantitative', title: `||dL/dh_t|| / ||dL/dh_${cfg.length - 1}|| (log scale)`, scale: { type: 'log' }, axis: { format: '.0e', values: decades(runs) } },
        color: { field: 'cell', type: 'nominal', title: 'Layer', scale: { range: COLORS } },
      },
    },
  });
  log(`Plot: ${plot}`);
  log('');
  log('## 6. The fused kernel against the reference scan');
  const fused = fusedAgainstReference(log, cfg.fusedReps);
  const total = seconds(start);
  log('');
  log(`Total ${total}s.`);
  const figures: Figures = { config: cfg, step, ...walk, vanishing: runs, fused, plot, seconds: total, machine: machine() };
  saveFigures(dir, figures);
  return figures;
}

export const example: Example = { name: 'bptt', description: "a learner's path: an LSTM step, the scan, the tape, gradient checks, vanishing gradients, the fused kernel", run };
