/**
 * ONNX export: a seqlab model as an ONNX graph (opset 14; recurrent ops time-major between two
 * Transposes, since ONNX Runtime does not run their batch-first `layout = 1`) that ONNX Runtime
 * runs with seqlab's predictions. The weight conversions are in
 * onnx/layouts.ts, the encoding in onnx/proto.ts.
 *
 * Masks: ONNX recurrent ops take `sequence_lens`, one length per row, so a mask can be exported
 * when it marks a prefix of each row: post-padded sequences (`padSequences({ padding: 'post' })`).
 * The graph computes the lengths from the ids (Embedding maskZero) or features (Masking) by
 * counting unmasked steps; with pre-padded input it would count right and run the wrong steps, so
 * a model with a mask is exported only when the caller declares post-padded inputs
 * (`{ padding: 'post' }`) and refused otherwise. A returned sequence repeats the last output
 * at masked steps, as Keras does (Bidirectional: zeros, as Keras does there).
 *
 * Recurrent layers export with their returnState outputs and initial states (encoder-decoder
 * graphs). Refused, with the reason: stateful layers, goBackwards with returnSequences outside
 * Bidirectional, mergeMode null, custom cells or activations ONNX's recurrent ops lack, text
 * vectorizers, masks without `{ padding: 'post' }`, and layers with no ONNX mapping here.
 */
import { Tensor } from '@seqlab/tensor';
import { activationName } from '../activations';
import { InputLayer } from '../engine/input';
import { Layer } from '../engine/layer';
import { classNameOf } from '../engine/registry';
import { SymbolicTensor } from '../engine/symbolic';
import { Activation, Dropout, Flatten, RepeatVector, Reshape } from '../layers/core';
import { Dense } from '../layers/dense';
import { Embedding } from '../layers/embedding';
import { Masking } from '../layers/masking';
import { Add, Concatenate, GlobalAveragePooling1D } from '../layers/merge';
import { BatchNormalization } from '../layers/normalization';
import { TimeDistributed } from '../layers/time_distributed';
import { Model } from '../models/model';
import { Bidirectional } from '../recurrent/bidirectional';
import { KerasCell } from '../recurrent/cells';
import { GRUCell } from '../recurrent/gru/cell';
import { LSTMCell } from '../recurrent/lstm/cell';
import { SimpleRNNCell } from '../recurrent/simple_rnn/cell';
import { RNN } from '../recurrent/rnn';
import { batchNormAffine, gateBias, gateMatrix, rnnActivation } from './layouts';
import { OnnxAttribute, OnnxGraphSpec, OnnxInitializer, OnnxNode, encodeOnnxModel } from './proto';

/** A tensor of the ONNX graph, with the mask that travels with it (post-padded lengths). */
interface Value {
  name: string;
  /** int32 [B]: unmasked steps per row, or null. */
  lens: string | null;
  /** float [B, T]: 1 at unmasked steps, or null. */
  mask: string | null;
}

/** Options of the ONNX export. */
export interface OnnxExportOptions {
  /**
   * 'post' declares that masked inputs will be post-padded (`padSequences(x, { padding: 'post' })`),
   * which is what lets a mask (Embedding maskZero, Masking) be exported as sequence lengths. Without
   * it a model with a mask is refused: Keras's default padding is 'pre', for which the exported
   * lengths would run the wrong steps.
   */
  padding?: 'post';
}

class GraphBuilder {
  readonly nodes: OnnxNode[] = [];
  constructor(readonly options: OnnxExportOptions) {}
  readonly initializers: OnnxInitializer[] = [];
  private count = 0;

  fresh(base: string): string {
    return `${base.replace(/[^A-Za-z0-9_]/g, '_')}_${this.count++}`;
  }

  constant(base: string, dims: number[], values: ArrayLike<number>, type: 'float32' | 'int64' = 'float32'): string {
    const name = this.fresh(base);
    this.initializers.push({ name, dims, type, values });
    return name;
  }

  ints(base: string, values: number[]): string {
    return this.constant(base, [values.length], values, 'int64');
  }

  op(opType: string, inputs: string[], attributes: OnnxAttribute[] = [], outputs = 1): string[] {
    const names = Array.from({ length: outputs }, () => this.fresh(opType.toLowerCase()));
    this.nodes.push({ opType, inputs, outputs: names, attributes });
    return names;
  }

  one(opType: string, inputs: string[], attributes: OnnxAttribute[] = []): string {
    return this.op(opType, inputs, attributes)[0];
  }
}

function refuse(layer: Layer, why: string): never {
  throw new Error(`exportOnnx: ${layer.label}: ${why}`);
}

/** y = activation(x) as ONNX ops ('linear': x itself). */
function activate(b: GraphBuilder, x: string, spec: unknown, layer: Layer): string {
  const name = activationName(spec as never);
  switch (name) {
    case 'linear':
      return x;
    case 'tanh':
    case 'sigmoid':
    case 'relu':
    case 'elu':
    case 'selu':
    case 'softplus':
      return b.one(name[0].toUpperCase() + name.slice(1), [x]);
    case 'softmax':
      return b.one('Softmax', [x], [{ name: 'axis', i: -1 }]);
    case 'hardSigmoid':
    case 'hardSigmoidKeras2': {
      const a = rnnActivation(name)!;
      return b.one('HardSigmoid', [x], [{ name: 'alpha', f: a.alpha! }, { name: 'beta', f: a.beta! }]);
    }
    default:
      return refuse(layer, `the activation ${name === null ? 'is a custom function' : `'${name}'`} has no ONNX export here`);
  }
}

/** Lengths and a float mask [B, T] from a 0/1 "step is real" tensor (bool [B, T]); `layer` makes the mask. */
function maskFrom(b: GraphBuilder, real: string, layer: Layer): { lens: string; mask: string } {
  if (b.options.padding !== 'post') {
    refuse(
      layer,
      "it makes a mask, which ONNX can express only as one length per row (sequence_lens): right for post-padded inputs, wrong for pre-padded ones (Keras's default). " +
        "Export with { padding: 'post' } and feed post-padded sequences (padSequences(x, { padding: 'post' })), or leave the mask out",
    );
  }
  const mask = b.one('Cast', [real], [{ name: 'to', i: 1 }]);
  const count = b.one('ReduceSum', [mask, b.ints('axis1', [1])], [{ name: 'keepdims', i: 0 }]);
  return { mask, lens: b.one('Cast', [count], [{ name: 'to', i: 6 }]) };
}

/** The weights of a built-in recurrent layer as ONNX W, R, B for one direction. */
function directionWeights(layer: RNN): { kind: 'simpleRNN' | 'lstm' | 'gru'; w: Float32Array; r: Float32Array; bias: Float32Array; acts: string[]; cell: KerasCell } {
  const cell = layer.cell;
  // ONNX has an op for exactly these three cells (not for subclasses, whose step may differ)
  const kind = cell.constructor === SimpleRNNCell ? 'simpleRNN' : cell.constructor === LSTMCell ? 'lstm' : cell.constructor === GRUCell ? 'gru' : null;
  if (kind === null) refuse(layer, `its cell (${classNameOf(cell)}) is not a built-in SimpleRNN, LSTM or GRU cell; ONNX has no op for it`);
  const c = cell as KerasCell;
  const names = c.activationNames;
  if (!names) refuse(layer, 'a custom activation function has no ONNX recurrent activation');
  const w = c.stepWeights();
  const units = c.units;
  const [act, rec] = names as [string, string];
  const k = kind as 'simpleRNN' | 'lstm' | 'gru';
  const acts = k === 'simpleRNN' ? [act] : k === 'lstm' ? [rec, act, act] : [rec, act];
  return { kind: k, cell: c, acts, w: gateMatrix(k, w.kernel, units), r: gateMatrix(k, w.recurrentKernel, units), bias: gateBias(k, w.bias, units) };
}

const concat = (arrays: Float32Array[]): Float32Array => {
  const out = new Float32Array(arrays.reduce((n, a) => n + a.length, 0));
  let at = 0;
  for (const a of arrays) {
    out.set(a, at);
    at += a.length;
  }
  return out;
};

/**
 * One ONNX RNN / LSTM / GRU node over 1 or 2 directions, from initial states when given (each
 * direction's [h] or [h, c], [B, H] each); returns Y [B, T, D, H], Y_h and (LSTM) Y_c [B, D, H],
 * batch first.
 */
function recurrentOp(b: GraphBuilder, x: Value, layers: RNN[], direction: string, owner: Layer, states: Value[]): { y: string; yh: string; yc: string | null } {
  const parts = layers.map(directionWeights);
  const p = parts[0];
  const units = p.cell.units;
  const D = parts.length;
  const gh = p.w.length / p.cell.inputDim;
  const W = b.constant(`${owner.name}_W`, [D, gh, p.cell.inputDim], concat(parts.map((q) => q.w)));
  const R = b.constant(`${owner.name}_R`, [D, gh, units], concat(parts.map((q) => q.r)));
  const B = b.constant(`${owner.name}_B`, [D, 2 * gh], concat(parts.map((q) => q.bias)));
  const acts = parts.flatMap((q) => q.acts.map((a) => rnnActivation(a) ?? refuse(owner, `activation '${a}' has no ONNX recurrent activation (tanh, sigmoid, relu, hard_sigmoid)`)));
  const attrs: OnnxAttribute[] = [
    { name: 'hidden_size', i: units },
    { name: 'direction', s: direction },
    { name: 'activations', strings: acts.map((a) => a.name) },
  ];
  const withAlpha = acts.filter((a) => a.alpha !== undefined);
  if (withAlpha.length > 0) {
    attrs.push({ name: 'activation_alpha', floats: withAlpha.map((a) => a.alpha!) }, { name: 'activation_beta', floats: withAlpha.map((a) => a.beta!) });
  }
  if (p.kind === 'gru') attrs.push({ name: 'linear_before_reset', i: p.cell.stepWeights().resetAfter ? 1 : 0 });
  const opType = p.kind === 'simpleRNN' ? 'RNN' : p.kind === 'lstm' ? 'LSTM' : 'GRU';
  // time-major in and out (ONNX Runtime has no batch-first `layout = 1` for these ops)
  const xt = b.one('Transpose', [x.name], [{ name: 'perm', ints: [1, 0, 2] }]);
  const perDirection = p.kind === 'lstm' ? 2 : 1;
  // initial_h (and initial_c) [D, B, H]: each direction's state stacked on a new first axis
  const initial = (k: number): string =>
    states.length === 0 ? '' : b.one('Concat', parts.map((_, d) => b.one('Unsqueeze', [states[d * perDirection + k].name, b.ints('axes', [0])])), [{ name: 'axis', i: 0 }]);
  const inputs = [xt, W, R, B, x.lens ?? '', initial(0), ...(p.kind === 'lstm' ? [initial(1)] : [])];
  const [y, yh, yc] = b.op(opType, inputs, attrs, perDirection + 1); // Y [T, D, B, H], Y_h (Y_c) [D, B, H]
  const toBatchFirst = (t: string) => b.one('Transpose', [t], [{ name: 'perm', ints: [1, 0, 2] }]);
  return { y: b.one('Transpose', [y], [{ name: 'perm', ints: [2, 0, 1, 3] }]), yh: toBatchFirst(yh), yc: yc ? toBatchFirst(yc) : null };
}

/** Direction d's final states [h] or [h, c], [B, H] each, from Y_h and Y_c [B, D, H]. */
function finalStates(b: GraphBuilder, r: { yh: string; yc: string | null }, d: number): Value[] {
  const pick = (t: string) => ({ name: b.one('Gather', [t, b.constant('direction', [], [d], 'int64')], [{ name: 'axis', i: 1 }]), lens: null, mask: null });
  return r.yc ? [pick(r.yh), pick(r.yc)] : [pick(r.yh)];
}

function checkRecurrent(layer: RNN, owner: Layer): void {
  if (layer.stateful) refuse(owner, 'a stateful layer carries states between calls, which an ONNX graph does not');
}

/** A recurrent layer: its output, then its final states with returnState. */
function emitRNN(b: GraphBuilder, layer: RNN, x: Value, states: Value[]): Value[] {
  checkRecurrent(layer, layer);
  if (layer.goBackwards && layer.returnSequences) refuse(layer, 'goBackwards with returnSequences returns the sequence in processing order, which is not exported (Bidirectional is)');
  const r = recurrentOp(b, x, [layer], layer.goBackwards ? 'reverse' : 'forward', layer, states);
  const { y, yh } = r;
  const withStates = (out: Value): Value[] => (layer.returnState ? [out, ...finalStates(b, r, 0)] : [out]);
  if (!layer.returnSequences) return withStates({ name: b.one('Reshape', [yh, b.ints('shape', [0, -1])]), lens: null, mask: null });
  let seq = b.one('Reshape', [y, b.ints('shape', [0, 0, -1])]);
  if (x.mask) {
    // Keras: a masked step repeats the previous output; post-padded, that is the last real output
    const m = b.one('Unsqueeze', [x.mask, b.ints('axes', [2])]);
    const last = b.one('Reshape', [yh, b.ints('shape', [0, 1, -1])]);
    const keep = b.one('Mul', [seq, m]);
    const fill = b.one('Mul', [last, b.one('Sub', [b.constant('one', [], [1]), m])]);
    seq = b.one('Add', [keep, fill]);
  }
  return withStates({ name: seq, lens: x.lens, mask: x.mask });
}

/** Bidirectional: the merged output, then (returnState) the forward layer's states and the backward layer's. */
function emitBidirectional(b: GraphBuilder, layer: Bidirectional, x: Value, states: Value[]): Value[] {
  checkRecurrent(layer.forwardLayer, layer);
  if (layer.mergeMode === null) refuse(layer, "mergeMode null returns two outputs, which is not exported; use 'concat', 'sum', 'mul' or 'ave'");
  if (layer.forwardLayer.goBackwards || !layer.backwardLayer.goBackwards) refuse(layer, 'only a forward layer with its backward copy is exported');
  const r = recurrentOp(b, x, [layer.forwardLayer, layer.backwardLayer], 'bidirectional', layer, states);
  const { y, yh } = r;
  const seq = layer.returnSequences;
  const out = seq ? y : yh; // [B, T, 2, H] or [B, 2, H]
  const dirAxis = seq ? 2 : 1;
  const reduce = { sum: 'ReduceSum', ave: 'ReduceMean', mul: 'ReduceProd' } as const;
  let merged: string;
  if (layer.mergeMode === 'concat') merged = b.one('Reshape', [out, b.ints('shape', seq ? [0, 0, -1] : [0, -1])]);
  else if (layer.mergeMode === 'sum') merged = b.one('ReduceSum', [out, b.ints('axes', [dirAxis])], [{ name: 'keepdims', i: 0 }]);
  else merged = b.one(reduce[layer.mergeMode], [out], [{ name: 'axes', ints: [dirAxis] }, { name: 'keepdims', i: 0 }]);
  const result: Value = seq ? { name: merged, lens: x.lens, mask: x.mask } : { name: merged, lens: null, mask: null };
  return layer.returnState ? [result, ...finalStates(b, r, 0), ...finalStates(b, r, 1)] : [result];
}

const tensorOf = (v: Tensor | undefined | null): Tensor | null => v ?? null;

/** One layer application: inputs (and initial states) to every output of the layer. */
function emitLayer(b: GraphBuilder, layer: Layer, ins: Value[], states: Value[]): Value[] {
  if (layer instanceof Model) return emitModel(b, layer, ins);
  if (layer instanceof Bidirectional) return emitBidirectional(b, layer, ins[0], states);
  if (layer instanceof RNN) return emitRNN(b, layer, ins[0], states);
  return [emitSingle(b, layer, ins)];
}

/** A layer of one output: inputs to output (mask carried as the layer passes it on). */
function emitSingle(b: GraphBuilder, layer: Layer, ins: Value[]): Value {
  const x = ins[0];
  const same = (name: string): Value => ({ name, lens: x.lens, mask: x.mask });
  if (layer instanceof Embedding) {
    const ids = b.one('Cast', [x.name], [{ name: 'to', i: 7 }]);
    const e = b.one('Gather', [b.constant(`${layer.name}_embeddings`, layer.embeddings.shape.slice(), layer.embeddings.value.data), ids], [{ name: 'axis', i: 0 }]);
    if (!layer.maskZero) return { name: e, lens: null, mask: null };
    return { name: e, ...maskFrom(b, b.one('Not', [b.one('Equal', [x.name, b.constant('zero', [], [0])])]), layer) };
  }
  if (layer instanceof Masking) {
    const differs = b.one('Cast', [b.one('Not', [b.one('Equal', [x.name, b.constant('mask_value', [], [layer.maskValue])])])], [{ name: 'to', i: 1 }]);
    const real = b.one('Cast', [b.one('ReduceMax', [differs], [{ name: 'axes', ints: [2] }, { name: 'keepdims', i: 0 }])], [{ name: 'to', i: 9 }]);
    const m = maskFrom(b, real, layer);
    return { name: b.one('Mul', [x.name, b.one('Unsqueeze', [m.mask, b.ints('axes', [2])])]), ...m };
  }
  if (layer instanceof Dense) {
    let y = b.one('MatMul', [x.name, b.constant(`${layer.name}_kernel`, layer.kernel.shape.slice(), layer.kernel.value.data)]);
    if (layer.bias) y = b.one('Add', [y, b.constant(`${layer.name}_bias`, layer.bias.shape.slice(), layer.bias.value.data)]);
    return same(activate(b, y, layer.getConfig().activation, layer));
  }
  if (layer instanceof Activation) return same(activate(b, x.name, layer.getConfig().activation, layer));
  if (layer instanceof Dropout) return x; // inference: the identity
  if (layer instanceof BatchNormalization) {
    const { scale, shift } = batchNormAffine(tensorOf(layer.gamma?.value), tensorOf(layer.beta?.value), layer.movingMean.value, layer.movingVariance.value, layer.epsilon);
    const y = b.one('Mul', [x.name, b.constant(`${layer.name}_scale`, [scale.length], scale)]);
    return same(b.one('Add', [y, b.constant(`${layer.name}_shift`, [shift.length], shift)]));
  }
  if (layer instanceof TimeDistributed) {
    const inner = layer.layer;
    if (!(inner instanceof Dense || inner instanceof Activation || inner instanceof Dropout || inner instanceof BatchNormalization)) {
      refuse(layer, `TimeDistributed(${inner.className}) is not exported (Dense, Activation, Dropout and BatchNormalization are)`);
    }
    return emitSingle(b, inner, ins); // these apply to the last axis of a [B, T, ...] tensor as they are
  }
  if (layer instanceof Concatenate) return same(b.one('Concat', ins.map((v) => v.name), [{ name: 'axis', i: layer.axis }]));
  if (layer instanceof Add) return same(b.one('Sum', ins.map((v) => v.name)));
  if (layer instanceof Flatten) return { name: b.one('Flatten', [x.name], [{ name: 'axis', i: 1 }]), lens: null, mask: null };
  if (layer instanceof Reshape) return { name: b.one('Reshape', [x.name, b.ints('shape', [0, ...layer.targetShape])]), lens: null, mask: null };
  if (layer instanceof RepeatVector) {
    const y = b.one('Tile', [b.one('Unsqueeze', [x.name, b.ints('axes', [1])]), b.ints('repeats', [1, layer.n, 1])]);
    return { name: y, lens: null, mask: null };
  }
  if (layer instanceof GlobalAveragePooling1D) {
    if (!x.mask) return { name: b.one('ReduceMean', [x.name], [{ name: 'axes', ints: [1] }, { name: 'keepdims', i: 0 }]), lens: null, mask: null };
    const m = b.one('Unsqueeze', [x.mask, b.ints('axes', [2])]);
    const total = b.one('ReduceSum', [b.one('Mul', [x.name, m]), b.ints('axis1', [1])], [{ name: 'keepdims', i: 0 }]);
    const count = b.one('Max', [b.one('ReduceSum', [m, b.ints('axis1', [1])], [{ name: 'keepdims', i: 0 }]), b.constant('tiny', [], [1e-12])]);
    return { name: b.one('Div', [total, count]), lens: null, mask: null };
  }
  return refuse(layer, `${layer.className} has no ONNX export (exported: Embedding, Masking, Dense, Activation, Dropout, BatchNormalization, TimeDistributed, SimpleRNN, LSTM, GRU, RNN of one built-in cell, Bidirectional, Concatenate, Add, Flatten, Reshape, RepeatVector, GlobalAveragePooling1D, nested models)`);
}

/** The graph of `model` applied to `inputs`; returns its outputs. */
function emitModel(b: GraphBuilder, model: Model, inputs: Value[]): Value[] {
  if (model.inputs.length !== inputs.length) refuse(model, `expected ${model.inputs.length} inputs, received ${inputs.length}`);
  const values = new Map<SymbolicTensor, Value>();
  model.inputs.forEach((s, i) => values.set(s, inputs[i]));
  for (const node of model.graph) {
    if (node.layer instanceof InputLayer) continue;
    const ins = node.inputs.map((s) => values.get(s)!);
    const out = emitLayer(b, node.layer, ins, (node.args.initialState ?? []).map((s) => values.get(s)!));
    node.outputs.forEach((s, i) => values.set(s, out[i]));
  }
  return model.outputs.map((o) => values.get(o)!);
}

const dims = (shape: (number | null)[], base: string): (number | string)[] => shape.map((d, i) => (d !== null ? d : i === 0 ? 'batch' : `${base}_${i}`));

/** The ONNX graph of `model` (see the header). Inputs and outputs are float32, named after the model's. */
export function onnxGraph(model: Model, options: OnnxExportOptions = {}): OnnxGraphSpec {
  if (!model.built || model.outputs.length === 0) throw new Error(`exportOnnx: ${model.label} is not built; give the first layer an inputShape or call it on data first`);
  const b = new GraphBuilder(options);
  const inputs = model.inputs.map((s) => ({ name: s.node.layer.name, dims: dims(s.shape, s.node.layer.name) }));
  const outs = emitModel(b, model, inputs.map((i) => ({ name: i.name, lens: null, mask: null })));
  const outputs = model.outputs.map((o, i) => {
    const name = `output_${i}`;
    b.nodes.push({ opType: 'Identity', inputs: [outs[i].name], outputs: [name] });
    return { name, dims: dims(o.shape, name) };
  });
  return { nodes: b.nodes, initializers: b.initializers, inputs, outputs, name: model.name, opset: 14 };
}

/** The ONNX file's bytes of `model`. */
export function toOnnx(model: Model, options: OnnxExportOptions = {}): Uint8Array {
  return encodeOnnxModel(onnxGraph(model, options));
}
