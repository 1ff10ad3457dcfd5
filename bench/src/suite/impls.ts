/**
 * One implementation of one case, ready to be timed: `setup` builds the model (or operands) and
 * returns `step`, the unit of work a repetition times, or the reason this implementation cannot
 * run the case.
 *
 * Same work everywhere: seqlab builds its model from a fixed seed; TensorFlow.js builds the same
 * architecture and receives seqlab's initial weights through `setWeights` (Keras order in both);
 * inputs and targets come from one seeded generator. Every tfjs setup also evaluates the loss (or
 * the predictions) of seqlab's model and its own on the same batch and reports the difference,
 * and, for training, again after one Adam step each: the comparison is of the same computation.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-var-requires */
import * as path from 'path';
import { Rng, Tensor, gemmNN, setThreads } from '@seqlab/tensor';
import { Adam, Dense, Embedding, GRU, LSTM, Layer, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';
import { Case, Impl, LayerCase, ModelCase } from './cases';

export interface Ready {
  /** The unit of work of one repetition. */
  step: () => void | Promise<void>;
  /** Calls of the measured operation per step (GEMM cases batch many calls in one step). */
  callsPerStep: number;
  /** What exactly was measured, when it is not plain "the case". */
  notes: string[];
  /** Agreement with seqlab on the same batch (tfjs): name -> value. */
  checks: Record<string, number>;
  /** Runs once after the first warm-up step (the post-step agreement check of training cases). */
  afterFirstStep?: () => Promise<void> | void;
}

export type Setup = Ready | { unsupported: string };

const SEED = 1234;

// ---------------------------------------------------------------------------------------------
// data (every process draws the same numbers)

function uniform(shape: number[], lo: number, hi: number, rng: Rng): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  const d = new Float32Array(n);
  for (let i = 0; i < n; i++) d[i] = rng.uniform(lo, hi);
  return d;
}

interface Batch {
  x: Float32Array;
  xShape: number[];
  y: Float32Array;
  yShape: number[];
  /** charlm: the character ids of x (brain.js trains on ids). */
  ids?: Int32Array;
}

function layerBatch(c: LayerCase): Batch {
  const [B, T, I, H] = c.shape;
  const rng = new Rng(SEED);
  return { x: uniform([B, T, I], -1, 1, rng), xShape: [B, T, I], y: uniform([B, H], -0.5, 0.5, rng), yShape: [B, H] };
}

function modelBatch(c: ModelCase): Batch {
  const rng = new Rng(SEED);
  if (c.kind === 'imdb') {
    const [B, L, V] = c.dims;
    const x = new Float32Array(B * L);
    for (let i = 0; i < x.length; i++) x[i] = 1 + Math.floor(rng.next() * (V - 1)); // ids 1..V-1
    const y = new Float32Array(B);
    for (let i = 0; i < B; i++) y[i] = rng.next() < 0.5 ? 0 : 1;
    return { x, xShape: [B, L], y, yShape: [B, 1] };
  }
  const [B, T, V] = c.dims;
  const ids = new Int32Array(B * (T + 1));
  for (let i = 0; i < ids.length; i++) ids[i] = Math.floor(rng.next() * V);
  const x = new Float32Array(B * T * V);
  const y = new Float32Array(B * T * V);
  for (let b = 0; b < B; b++) {
    for (let t = 0; t < T; t++) {
      x[(b * T + t) * V + ids[b * (T + 1) + t]] = 1; //  one-hot of the character
      y[(b * T + t) * V + ids[b * (T + 1) + t + 1]] = 1; // one-hot of the next one
    }
  }
  return { x, xShape: [B, T, V], y, yShape: [B, T, V], ids };
}

// ---------------------------------------------------------------------------------------------
// seqlab

function seqlabLayer(c: LayerCase): Layer {
  const [, T, I, H] = c.shape;
  const common = { units: H, inputShape: [T, I], activation: 'tanh', recurrentActivation: 'sigmoid' };
  if (c.cell === 'SimpleRNN') return new SimpleRNN({ units: H, inputShape: [T, I] });
  if (c.cell === 'LSTM') return new LSTM(common);
  return new GRU({ ...common, resetAfter: false });
}

/** The seqlab model of a case, compiled with Adam (lr 1e-3) and the case's loss. */
export function seqlabModel(c: LayerCase | ModelCase): { model: Sequential; loss: string } {
  setSeed(SEED);
  let model: Sequential;
  let loss: string;
  if (c.kind === 'layer') {
    model = new Sequential([seqlabLayer(c)]);
    loss = 'meanSquaredError';
  } else if (c.kind === 'imdb') {
    const [, L, V, E, H] = c.dims;
    model = new Sequential([
      new Embedding({ inputDim: V, outputDim: E, inputLength: L }),
      new LSTM({ units: H }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    loss = 'binaryCrossentropy';
  } else {
    const [, T, V, H] = c.dims;
    model = new Sequential([
      new LSTM({ units: H, returnSequences: true, inputShape: [T, V] }),
      new Dense({ units: V, activation: 'softmax' }),
    ]);
    loss = 'categoricalCrossentropy';
  }
  model.compile({ optimizer: new Adam({ learningRate: 1e-3 }), loss });
  return { model, loss };
}

function seqlabSetup(c: LayerCase | ModelCase): Ready {
  const batch = c.kind === 'layer' ? layerBatch(c) : modelBatch(c);
  const { model } = seqlabModel(c);
  const x = new Tensor(batch.x, batch.xShape);
  const y = new Tensor(batch.y, batch.yShape);
  const B = batch.xShape[0];
  const step = c.mode === 'train' ? () => void model.trainOnBatch(x, y) : () => void model.predict(x, { batchSize: B });
  return { step, callsPerStep: 1, notes: [], checks: {} };
}

// ---------------------------------------------------------------------------------------------
// TensorFlow.js

let tfLoaded: any = null;

/** tfjs with the requested backend; the wasm backend loads its .wasm files from node_modules. */
async function loadTf(backend: 'cpu' | 'wasm'): Promise<{ tf: any; notes: string[] }> {
  const tf = tfLoaded ?? require('@tensorflow/tfjs');
  tfLoaded = tf;
  // (IS_TEST, which would quiet tfjs's "install @tensorflow/tfjs-node" notice, also turns on a
  // per-kernel leak check that makes wasm training throw, so the notice stays)
  const notes: string[] = [];
  if (backend === 'wasm') {
    const wasm = require('@tensorflow/tfjs-backend-wasm');
    wasm.setWasmPaths(path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm')) + path.sep);
    if (!(await tf.setBackend('wasm'))) throw new Error('tfjs: the wasm backend did not initialize');
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT');
    const mt = await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT');
    notes.push(`wasm binary: ${simd ? 'SIMD' : 'plain'}${mt ? ', multithreaded' : ', single thread'}`);
  } else {
    await tf.setBackend('cpu');
  }
  return { tf, notes };
}

function tfModel(tf: any, c: LayerCase | ModelCase): any {
  const fast = { kernelInitializer: 'zeros', recurrentInitializer: 'zeros' }; // overwritten by setWeights
  const layers: any[] = [];
  if (c.kind === 'layer') {
    const [, T, I, H] = c.shape;
    const args = { units: H, inputShape: [T, I], activation: 'tanh', ...fast };
    if (c.cell === 'SimpleRNN') layers.push(tf.layers.simpleRNN(args));
    else if (c.cell === 'LSTM') layers.push(tf.layers.lstm({ ...args, recurrentActivation: 'sigmoid', unitForgetBias: true }));
    else layers.push(tf.layers.gru({ ...args, recurrentActivation: 'sigmoid', resetAfter: false }));
  } else if (c.kind === 'imdb') {
    const [, L, V, E, H] = c.dims;
    layers.push(tf.layers.embedding({ inputDim: V, outputDim: E, inputLength: L, embeddingsInitializer: 'zeros' }));
    layers.push(tf.layers.lstm({ units: H, recurrentActivation: 'sigmoid', unitForgetBias: true, ...fast }));
    layers.push(tf.layers.dense({ units: 1, activation: 'sigmoid', kernelInitializer: 'zeros' }));
  } else {
    const [, T, V, H] = c.dims;
    layers.push(tf.layers.lstm({ units: H, returnSequences: true, inputShape: [T, V], recurrentActivation: 'sigmoid', unitForgetBias: true, ...fast }));
    layers.push(tf.layers.dense({ units: V, activation: 'softmax', kernelInitializer: 'zeros' }));
  }
  return tf.sequential({ layers });
}

async function tfSetup(c: LayerCase | ModelCase, backend: 'cpu' | 'wasm'): Promise<Setup> {
  const { tf, notes } = await loadTf(backend);
  const batch = c.kind === 'layer' ? layerBatch(c) : modelBatch(c);
  const { model: ours, loss } = seqlabModel(c);
  const theirs = tfModel(tf, c);
  theirs.setWeights(ours.getWeights().map((w) => tf.tensor(Array.from(w.data), w.shape)));
  theirs.compile({ optimizer: tf.train.adam(1e-3, 0.9, 0.999, 1e-7), loss });
  const B = batch.xShape[0];
  const x = tf.tensor(batch.x, batch.xShape);
  const y = tf.tensor(batch.y, batch.yShape);
  const ox = new Tensor(batch.x, batch.xShape);
  const oy = new Tensor(batch.y, batch.yShape);
  const checks: Record<string, number> = {};
  const lossDiff = (): number => {
    const mine = ours.evaluate(ox, oy, { batchSize: B }) as number;
    const t = theirs.evaluate(x, y, { batchSize: B });
    const v = t.dataSync()[0];
    t.dispose();
    return Math.abs(mine - v);
  };
  if (c.mode === 'infer') {
    const mine = ours.predict(ox, { batchSize: B }) as Tensor;
    const p = theirs.predict(x, { batchSize: B });
    const v = p.dataSync();
    p.dispose();
    let d = 0;
    for (let i = 0; i < v.length; i++) d = Math.max(d, Math.abs(v[i] - mine.data[i]));
    checks['max |prediction difference|'] = d;
    const step = () => {
      const out = theirs.predict(x, { batchSize: B });
      out.dataSync();
      out.dispose();
    };
    return { step, callsPerStep: 1, notes, checks };
  }
  checks['|loss difference| before training'] = lossDiff();
  const step = async () => {
    await theirs.trainOnBatch(x, y);
  };
  const afterFirstStep = () => {
    ours.trainOnBatch(ox, oy);
    checks['|loss difference| after one Adam step'] = lossDiff();
  };
  return { step, callsPerStep: 1, notes, checks, afterFirstStep };
}

// ---------------------------------------------------------------------------------------------
// brain.js 1.6.1: recurrent nets train one sequence of integer tokens at a time

function brainSetup(c: LayerCase | ModelCase): Setup {
  if (c.kind === 'layer') {
    return { unsupported: 'cannot express: brain.recurrent nets take sequences of integer tokens, not [time, 64] float feature vectors, and train one sequence at a time (no batch)' };
  }
  if (c.kind === 'imdb') {
    return { unsupported: 'cannot express: brain.recurrent has no Embedding(10000, 64) + many-to-one classifier head; it models the next token of a sequence' };
  }
  const brain = require('brain.js');
  const [B, T, V, H] = c.dims;
  const batch = modelBatch(c);
  const ids = batch.ids as Int32Array;
  const seqs: number[][] = [];
  for (let b = 0; b < B; b++) seqs.push(Array.from(ids.subarray(b * (T + 1), b * (T + 1) + T)));
  const net = new brain.recurrent.LSTM({ inputSize: V, inputRange: V, hiddenLayers: [H], outputSize: V });
  net.initialize();
  const notes = [
    `brain.recurrent.LSTM(hiddenLayers [${H}]), ${B} sequences of ${T} character ids, one at a time:`,
    c.mode === 'train'
      ? 'trainPattern per sequence (forward, BPTT, its own RMSProp-style update after every sequence, not Adam); the time is for all the sequences'
      : 'trainInput per sequence (the forward pass with every step\'s softmax and loss, no update); the time is for all the sequences',
    `its input is a learned ${V + 1}x${V} lookup (equivalent to one-hot·W) and it adds start/end tokens (${T + 1} predictions per sequence)`,
  ];
  const step =
    c.mode === 'train'
      ? () => {
          for (const s of seqs) net.trainPattern(s);
        }
      : () => {
          for (const s of seqs) net.trainInput(s);
        };
  return { step, callsPerStep: 1, notes, checks: {} };
}

// ---------------------------------------------------------------------------------------------
// GEMM

/** Enough calls per step that a step takes about 20 ms (small shapes run many calls). */
function callsFor(flops: number): number {
  return Math.max(1, Math.round((20e-3 * 4e9) / flops));
}

async function gemmSetup(c: Case & { kind: 'gemm' }, impl: Impl): Promise<Setup> {
  const [m, k, n] = c.mkn;
  const rng = new Rng(SEED);
  const a = uniform([m, k], -1, 1, rng);
  const b = uniform([k, n], -1, 1, rng);
  const calls = callsFor(2 * m * n * k);
  if (impl === 'seqlab' || impl === 'seqlab-2t') {
    const cOut = new Float32Array(m * n);
    const step = () => {
      for (let i = 0; i < calls; i++) gemmNN({ m, n, k, a, b, c: cOut });
    };
    return { step, callsPerStep: calls, notes: [], checks: {} };
  }
  if (impl === 'brain') return { unsupported: 'cannot express: brain.js exposes no matrix product' };
  const { tf, notes } = await loadTf(impl === 'tfjs-cpu' ? 'cpu' : 'wasm');
  const ta = tf.tensor(a, [m, k]);
  const tb = tf.tensor(b, [k, n]);
  const step = () => {
    for (let i = 0; i < calls; i++) {
      const p = tf.matMul(ta, tb);
      p.dataSync();
      p.dispose();
    }
  };
  return { step, callsPerStep: calls, notes, checks: {} };
}

// ---------------------------------------------------------------------------------------------

/** Builds implementation `impl` of case `c` (seqlab-2t: seqlab with two threads). */
export async function setup(c: Case, impl: Impl): Promise<Setup> {
  setThreads(impl === 'seqlab-2t' ? 2 : 1);
  if (c.kind === 'gemm') return gemmSetup(c, impl);
  switch (impl) {
    case 'seqlab':
    case 'seqlab-2t':
      return seqlabSetup(c);
    case 'tfjs-cpu':
      return tfSetup(c, 'cpu');
    case 'tfjs-wasm':
      return tfSetup(c, 'wasm');
    case 'brain':
      return brainSetup(c);
  }
}
