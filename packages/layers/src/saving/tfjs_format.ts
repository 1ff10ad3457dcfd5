/**
 * The TensorFlow.js layers format, both ways (no Node module here; saving/tfjs_files.ts reads and
 * writes the directory):
 *
 *   model.json   { format: 'layers-model', generatedBy, convertedBy: null,
 *                  modelTopology: { class_name, config, backend },
 *                  weightsManifest: [{ paths: ['group1-shard1of1.bin', ...], weights: [{ name, shape, dtype }] }] }
 *   *.bin        the weights' float32 values, little-endian, in manifest order, cut into shards
 *
 * The topology is the Keras JSON of `getConfig()`. Weights are written under Keras 2's names
 * (`tfjsWeightNames`: 'lstm/lstm_cell/kernel'), which the Python converter looks up and which
 * `tf.loadLayersModel` reads by dropping the cell part ('lstm/kernel', its own naming); files
 * from TensorFlow.js, with its names, are read the same way.
 *
 * What the two libraries mean differently:
 * - 'hard_sigmoid' in a TensorFlow.js file is Keras 2's clip(0.2·x + 0.5, 0, 1) (TensorFlow.js's
 *   LSTM and GRU default). seqlab reads it as 'hard_sigmoid_keras2'; seqlab's own 'hard_sigmoid'
 *   (Keras 3's x/6 + 0.5) has no TensorFlow.js equivalent and is refused on export.
 * - GRU with resetAfter (Keras's default) is written as Keras writes it (reset_after: true, bias
 *   [2, 3·units]); TensorFlow.js itself refuses to load it ("GRUCell does not support
 *   reset_after parameter set to true"); Keras and seqlab read it. The export says so in its warnings.
 */
import { Variable } from '@seqlab/autograd';
import { Rng, Tensor, fmtShape } from '@seqlab/tensor';
import { CustomObjects, LayerConfig, deserialize } from '../engine/config';
import { InputLayer } from '../engine/input';
import { Layer, snakeCase } from '../engine/layer';
import { classNameOf } from '../engine/registry';
import { withRng } from '../initializers';
import { TimeDistributed } from '../layers/time_distributed';
import { Model } from '../models/model';
import { Bidirectional } from '../recurrent/bidirectional';
import { RNN } from '../recurrent/rnn';
import { builtInClasses } from './builtins';
import { DataWriter, readArray } from './container';

/** One weight in a TensorFlow.js weights manifest: its name, shape and dtype. */
export interface TfjsWeightSpec {
  name: string;
  shape: number[];
  dtype: string;
  quantization?: unknown;
}

/** TensorFlow.js's model.json: the topology (Keras JSON) and the weights manifest. */
export interface TfjsModelJson {
  format: 'layers-model';
  generatedBy: string;
  convertedBy: string | null;
  modelTopology: Record<string, unknown>;
  weightsManifest: { paths: string[]; weights: TfjsWeightSpec[] }[];
}

/** Layer classes TensorFlow.js's layers API can load. */
const TFJS_CLASSES = new Set([
  'InputLayer', 'Dense', 'Activation', 'Dropout', 'Flatten', 'Reshape', 'RepeatVector', 'Embedding', 'Masking', 'Concatenate',
  'Add', 'GlobalAveragePooling1D', 'BatchNormalization', 'TimeDistributed', 'Bidirectional', 'RNN', 'SimpleRNN', 'LSTM', 'GRU',
  'SimpleRNNCell', 'LSTMCell', 'GRUCell', 'StackedRNNCells', 'Sequential', 'Functional', 'Model',
]);

const NESTED_KEYS = ['layer', 'backward_layer', 'cell'];

/** Applies `fn` to a layer config and every layer or cell config nested in it. */
function walkLayers(lc: LayerConfig, fn: (lc: LayerConfig) => void): void {
  fn(lc);
  const c = lc.config ?? {};
  for (const k of NESTED_KEYS) if (c[k] && typeof c[k] === 'object') walkLayers(c[k] as LayerConfig, fn);
  for (const k of ['layers', 'cells']) if (Array.isArray(c[k])) for (const e of c[k] as LayerConfig[]) walkLayers(e, fn);
}

const MODEL_CLASSES = new Set(['Sequential', 'Functional', 'Model']);

/**
 * TensorFlow.js counts a nested model's own creation as its node 0, so a reference to its first
 * application reads [name, 1, k] where Keras 2 and seqlab write [name, 0, k]. `shift` adds 1 to
 * those references (export); 'read' takes 1 off where a file uses TensorFlow.js's count, seen as a
 * reference one past the layer's applications (import).
 */
function shiftNestedModelRefs(lc: LayerConfig, mode: 'write' | 'read'): void {
  walkLayers(lc, (m) => {
    const layers = m.config?.layers;
    if (!Array.isArray(layers) || !Array.isArray(m.config.output_layers)) return; // not a functional config
    const entries = layers as LayerConfig[];
    const refs: unknown[][] = [];
    for (const e of entries) for (const node of (e.inbound_nodes ?? []) as unknown[][]) for (const r of node) refs.push(r as unknown[]);
    refs.push(...(m.config.output_layers as unknown[][]));
    for (const e of entries) {
      if (!MODEL_CLASSES.has(e.class_name)) continue;
      const mine = refs.filter((r) => r[0] === e.name);
      const applied = (e.inbound_nodes ?? []).length;
      const shift = mode === 'write' ? 1 : mine.some((r) => r[1] === applied) ? -1 : 0;
      for (const r of mine) r[1] = (r[1] as number) + shift;
    }
  });
}

/** The last part of a variable's name ('lstm/lstm_cell/kernel' -> 'kernel'). */
const shortName = (v: Variable): string => v.name.slice(v.name.lastIndexOf('/') + 1);

/**
 * Each weight of `model` with the name Keras 2 gives it, in `model.weights` order: `<layer>/<weight>`
 * ('dense/kernel'), a recurrent layer's with its cell ('lstm/lstm_cell/kernel'), Bidirectional's
 * under its own name ('bidirectional/forward_lstm/lstm_cell/kernel'), TimeDistributed's under its
 * own ('time_distributed/kernel'); a nested model's layers keep their names. The Python converter
 * looks weights up by these names; TensorFlow.js drops the cell part, see `tfjsShortName`.
 */
export function tfjsWeightNames(model: Model): Map<Variable, string> {
  const names = new Map<Variable, string>();
  const add = (v: Variable, name: string, owner: Layer) => {
    if ([...names.values()].includes(name)) {
      throw new Error(`${owner.label}: two weights would both be named '${name}' in the TensorFlow.js format (an RNN of several cells cannot be written in it)`);
    }
    names.set(v, name);
  };
  const walk = (layer: Layer, prefix: string): void => {
    if (layer instanceof InputLayer) return;
    if (layer instanceof Model) for (const l of layer.layers) walk(l, '');
    else if (layer instanceof Bidirectional) for (const l of [layer.forwardLayer, layer.backwardLayer]) walk(l, `${prefix}${layer.name}/`);
    else if (layer instanceof TimeDistributed) for (const v of layer.layer.weights) add(v, `${prefix}${layer.name}/${shortName(v)}`, layer);
    else if (layer instanceof RNN) for (const v of layer.weights) add(v, `${prefix}${layer.name}/${snakeCase(classNameOf(layer.cell))}/${shortName(v)}`, layer);
    else for (const v of layer.weights) add(v, `${prefix}${layer.name}/${shortName(v)}`, layer);
  };
  for (const l of model.layers) walk(l, '');
  return names;
}

/** TensorFlow.js's reading of a weight name with a cell in it: 'lstm/lstm_cell/kernel' -> 'lstm/kernel'. */
export function tfjsShortName(name: string): string {
  const tokens = name.split('/');
  return [...tokens.slice(0, -2), tokens[tokens.length - 1]].join('/');
}

/** What `toTfjs` gives: model.json, the weight shards, and what TensorFlow.js will refuse. */
export interface TfjsExport {
  modelJson: TfjsModelJson;
  shards: { path: string; bytes: Uint8Array }[];
  /** What TensorFlow.js will refuse or read differently (GRU resetAfter). Empty when it loads as is. */
  warnings: string[];
}

/** model.json and weight shards (of at most `shardBytes`, 4 MB by default as TensorFlow.js cuts them). */
export function toTfjs(model: Model, options: { shardBytes?: number } = {}): TfjsExport {
  const who = `saveTfjsModel(${model.label})`;
  const topology = JSON.parse(JSON.stringify(model.toConfig())) as LayerConfig;
  const warnings: string[] = [];
  walkLayers(topology, (lc) => {
    const c = lc.config;
    const name = `${lc.class_name} '${String(c.name)}'`;
    if (!TFJS_CLASSES.has(lc.class_name)) {
      throw new Error(`${who}: ${name} has no TensorFlow.js layer (TensorFlow.js has: ${[...TFJS_CLASSES].join(', ')})`);
    }
    for (const key of ['activation', 'recurrent_activation']) {
      if (c[key] === 'hard_sigmoid') {
        throw new Error(`${who}: ${name} uses ${key} 'hard_sigmoid' (Keras 3: clip(x/6 + 1/2, 0, 1)), which TensorFlow.js does not have (its 'hard_sigmoid' is Keras 2's clip(0.2·x + 1/2, 0, 1)); use 'hard_sigmoid_keras2' or 'sigmoid' to export`);
      }
      if (c[key] === 'hard_sigmoid_keras2') c[key] = 'hard_sigmoid';
    }
    if ((lc.class_name === 'GRU' || lc.class_name === 'GRUCell') && c.reset_after === true) {
      warnings.push(
        `${name} has resetAfter: true (Keras's default). The file is valid Keras JSON and seqlab and Keras (through the Python converter) read it, ` +
          `but TensorFlow.js itself refuses to load it ("GRUCell does not support reset_after parameter set to true"); build the GRU with resetAfter: false for TensorFlow.js`,
      );
    }
  });
  shiftNestedModelRefs(topology, 'write');
  const names = tfjsWeightNames(model);
  const data = new DataWriter();
  const specs: TfjsWeightSpec[] = model.weights.map((v) => {
    data.add('float32', v.value.data);
    return { name: names.get(v)!, shape: v.shape.slice(), dtype: 'float32' };
  });
  const bytes = data.bytes();
  const shardBytes = options.shardBytes ?? 4 * 1024 * 1024;
  const count = Math.max(1, Math.ceil(bytes.length / shardBytes));
  const shards = Array.from({ length: count }, (_, i) => ({
    path: `group1-shard${i + 1}of${count}.bin`,
    bytes: bytes.subarray(i * shardBytes, Math.min(bytes.length, (i + 1) * shardBytes)),
  }));
  const modelJson: TfjsModelJson = {
    format: 'layers-model',
    generatedBy: 'seqlab',
    convertedBy: null,
    modelTopology: { ...topology, backend: 'tensor_flow.js' },
    weightsManifest: [{ paths: shards.map((s) => s.path), weights: specs }],
  };
  return { modelJson, shards, warnings };
}

/**
 * A seqlab model from TensorFlow.js's model.json and the concatenated bytes of its shards (every
 * group's paths in order). Everything is checked (classes, names, shapes, byte counts) before the
 * model is returned; `source` names the directory in errors.
 */
export function fromTfjs(modelJson: unknown, weightData: Uint8Array, options: { customObjects?: CustomObjects } = {}, source = 'the TensorFlow.js model'): Model {
  builtInClasses(); // every built-in class registered, in a bundle too (builtins.ts)
  const fail = (why: string): never => {
    throw new Error(`loadTfjsModel: ${source}: ${why}`);
  };
  const mj = modelJson as Partial<TfjsModelJson>;
  if (mj === null || typeof mj !== 'object' || typeof mj.modelTopology !== 'object' || mj.modelTopology === null) fail('model.json has no modelTopology');
  if (mj.format !== undefined && mj.format !== 'layers-model') fail(`model.json has format '${mj.format}'; only the layers format ('layers-model') holds a Keras topology (a graph model cannot be read)`);
  const top = mj.modelTopology as Record<string, unknown>;
  // the Python converter wraps it: { keras_version, backend, model_config, training_config }
  const topology = JSON.parse(JSON.stringify(top.model_config ?? top)) as LayerConfig;
  shiftNestedModelRefs(topology, 'read');
  walkLayers(topology, (lc) => {
    if (lc.class_name === 'Model') lc.class_name = 'Functional';
    for (const key of ['activation', 'recurrent_activation']) if (lc.config?.[key] === 'hard_sigmoid') lc.config[key] = 'hard_sigmoid_keras2';
  });
  const model = withRng(new Rng(0), () => deserialize<Model>(topology, options.customObjects ?? {}));
  if (!(model instanceof Model)) fail(`the topology describes a ${topology.class_name}, not a model`);
  const specs = (mj.weightsManifest ?? []).flatMap((g) => g.weights ?? []);
  // Keras's names, and TensorFlow.js's for recurrent weights (it writes them without the cell)
  const byName = new Map<string, Variable>();
  for (const [v, n] of tfjsWeightNames(model)) {
    byName.set(n, v);
    if (n.split('/').length > 2 && !byName.has(tfjsShortName(n))) byName.set(tfjsShortName(n), v);
  }
  const values = new Map<Variable, Tensor>();
  let offset = 0;
  for (const s of specs) {
    if (s.dtype !== 'float32' || s.quantization) fail(`weight '${s.name}' is ${s.quantization ? 'quantized' : s.dtype}; only float32 weights can be read`);
    const v = byName.get(s.name) ?? byName.get(tfjsShortName(String(s.name)));
    if (!v) fail(`weight '${s.name}' matches no weight of the model (expected names: ${[...byName.keys()].join(', ')})`);
    const target = v as Variable;
    if (values.has(target)) fail(`two weights of the file go to '${target.name}'`);
    if (!Array.isArray(s.shape) || s.shape.length !== target.shape.length || s.shape.some((d, i) => d !== target.shape[i])) {
      fail(`weight '${s.name}' has shape ${JSON.stringify(s.shape)}, the model's '${target.name}' has shape ${fmtShape(target.shape)}`);
    }
    values.set(target, new Tensor(readArray(weightData, 'float32', offset, target.value.size, `weight '${s.name}'`, fail) as Float32Array, target.shape));
    offset += target.value.size * 4;
  }
  if (offset !== weightData.length) fail(`the weight files hold ${weightData.length} bytes, the manifest accounts for ${offset}`);
  const missing = model.weights.filter((v) => !values.has(v));
  if (missing.length > 0) fail(`the file has no values for ${missing.map((v) => `'${v.name}'`).join(', ')}`);
  for (const [v, t] of values) v.assign(t);
  return model;
}
