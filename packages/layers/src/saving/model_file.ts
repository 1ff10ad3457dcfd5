/**
 * The seqlab model file (`.seqlab`): everything needed to use or keep training a model without
 * the code that built it. A checksummed container (saving/container.ts, magic "SEQLABM1") whose
 * manifest holds
 *
 *   model_config      { class_name, config }: the architecture as Keras writes it (snake_case keys)
 *   weights           [{ name, shape, offset }]: float32 values, in `model.weights` order
 *   compile_config    { optimizer: { class_name, config }, loss, metrics } or null
 *   optimizer_state   { iterations, slots: [{ weight, arrays: [{ offset, length }] }] } (float64) or null
 *   preprocessing     { key: { class_name, json } }: a Tokenizer (or anything with toJSON) saved beside it
 *
 * Text vectorizers inside the model keep their vocabulary in their layer config. The same bytes
 * in Node and in a page: `model.save()` with no path resolves to them, `loadModel(bytes)` reads
 * them. Loading checks the whole file (checksums, version, every class known, every weight's shape,
 * the optimizer state's sizes) before it returns a model, and draws no random numbers from the
 * user's generator while it builds the layers.
 */
import { Rng, Tensor, fmtShape } from '@seqlab/tensor';
import { CustomObjects, LayerConfig, deserialize } from '../engine/config';
import { withRng } from '../initializers';
import type { Variable } from '@seqlab/autograd';
import type { Layer } from '../engine/layer';
import { Optimizer } from '../training/optimizers';
import type { CompileArgs } from '../training/evaluator';
import { lossName } from '../training/losses';
import { fileAccess } from '../training/file_access';
import { DataWriter, decodeContainer, encodeContainer, readArray } from './container';

/** What saving needs of a model (models/model.ts implements it; this module does not import it). */
export interface SavableModel {
  readonly label: string;
  readonly weights: Variable[];
  readonly layers: Layer[];
  readonly built: boolean;
  readonly compileArgs: CompileArgs | null;
  readonly optimizer: Optimizer | null;
  preprocessing: Record<string, unknown>;
  /** The architecture as Keras-shaped JSON. */
  toConfig(): LayerConfig;
  /** Compiles the model (used when a saved compile configuration is restored). */
  compile(args: CompileArgs): void;
}

const MAGIC = 'SEQLABM1';
const FORMAT = 'seqlab-model';
const VERSION = 1;

/** Options of `save`: whether to keep the optimizer's state, and preprocessing objects to keep. */
export interface SaveOptions {
  /** Keep the optimizer's state (iterations and moments) so that training resumes exactly. Default true. */
  includeOptimizer?: boolean;
  /** Preprocessing objects to keep with the model (anything with `toJSON(): string`, such as a Tokenizer). */
  preprocessing?: Record<
    string,
    {
      /** The object as JSON text (what `loadModel` hands back under the same key). */
      toJSON(): string;
    }
  >;
}

/** Options of `loadModel`. */
export interface LoadOptions {
  /** Classes by name that this package does not register itself (TextVectorization, Tokenizer, a user's layer). */
  customObjects?: CustomObjects;
  /** Compile the model as it was saved (default true when the file holds a compile configuration). */
  compile?: boolean;
}

interface WeightRecord {
  name: string;
  shape: number[];
  offset: number;
}

interface OptimizerState {
  iterations: number;
  slots: { weight: number; arrays: { offset: number; length: number }[] }[];
}

interface ModelManifest {
  format: string;
  version: number;
  dataByteLength: number;
  dataSha256: string;
  model_config: LayerConfig;
  weights: WeightRecord[];
  compile_config: { optimizer: LayerConfig; loss: string | string[]; metrics: string[] } | null;
  optimizer_state: OptimizerState | null;
  preprocessing: Record<string, { class_name: string | null; json: string }>;
}

/** A loss or metric written by name (Keras's spelling); a custom function cannot be. */
function specName(spec: unknown, what: string, owner: string): string {
  const name = typeof spec === 'string' ? spec : typeof spec === 'function' ? lossName(spec as never) : null;
  if (name === null) {
    throw new Error(`${owner}.save: the ${what} is a custom function, which a file cannot hold; compile with a named ${what}, or save with compile left out by saving before compile`);
  }
  return name;
}

function compileConfig(model: SavableModel): ModelManifest['compile_config'] {
  const args = model.compileArgs;
  if (!args) return null;
  const opt = args.optimizer as Optimizer;
  const loss = Array.isArray(args.loss) ? args.loss.map((l) => specName(l, 'loss', model.label)) : specName(args.loss, 'loss', model.label);
  const metrics = (args.metrics ?? []).map((m) => {
    if (typeof m !== 'string') throw new Error(`${model.label}.save: metric '${m.name}' is an object, which a file cannot hold; compile with metric names`);
    return m;
  });
  return { optimizer: { class_name: opt.className, config: opt.getConfig() }, loss, metrics };
}

/** The model file's bytes (see the header). */
export function modelToBytes(model: SavableModel, options: SaveOptions = {}): Uint8Array {
  const who = `${model.label}.save`;
  const weights = model.weights;
  if (weights.length === 0 && model.layers.length > 0 && !model.built) {
    throw new Error(`${who}: the model is not built; give the first layer an inputShape or call it on data before saving`);
  }
  const model_config = model.toConfig();
  const data = new DataWriter();
  const records: WeightRecord[] = weights.map((w) => ({ name: w.name, shape: w.shape.slice(), offset: data.add('float32', w.value.data) }));
  const compile_config = compileConfig(model);
  let optimizer_state: OptimizerState | null = null;
  const opt = model.optimizer;
  if (compile_config && opt && options.includeOptimizer !== false) {
    const slots: OptimizerState['slots'] = [];
    weights.forEach((w, i) => {
      const arrays = opt.getSlots(w);
      if (arrays) slots.push({ weight: i, arrays: arrays.map((a) => ({ offset: data.add('float64', a), length: a.length })) });
    });
    optimizer_state = { iterations: opt.iterations, slots };
  }
  const preprocessing: ModelManifest['preprocessing'] = {};
  for (const [key, obj] of Object.entries(options.preprocessing ?? model.preprocessing)) {
    const o = obj as { toJSON?: () => string; className?: string };
    if (typeof o?.toJSON !== 'function') throw new Error(`${who}: preprocessing '${key}' has no toJSON(); expected an object such as a Tokenizer`);
    const json = o.toJSON();
    let className: string | null = typeof o.className === 'string' ? o.className : null;
    try {
      const parsed = JSON.parse(json) as { className?: unknown; class_name?: unknown };
      className ??= typeof parsed.className === 'string' ? parsed.className : typeof parsed.class_name === 'string' ? parsed.class_name : null;
    } catch {
      // not JSON text: kept as it is
    }
    preprocessing[key] = { class_name: className, json };
  }
  return encodeContainer(MAGIC, { format: FORMAT, version: VERSION, model_config, weights: records, compile_config, optimizer_state, preprocessing }, data.bytes());
}

/**
 * Rebuilds a model from the model file's bytes; `source` names the file in errors. The classes it
 * names must be registered: `modelFromBytes` (load_model.ts) makes sure every built-in one is.
 */
export function decodeModel(bytes: Uint8Array, options: LoadOptions = {}, source = 'the given bytes'): SavableModel {
  const who = 'loadModel';
  const { manifest: m, data } = decodeContainer<ModelManifest>(bytes, { magic: MAGIC, format: FORMAT, version: VERSION, who, source });
  const fail = (why: string): never => {
    throw new Error(`${who}: ${source}: ${why}`);
  };
  const custom = options.customObjects ?? {};
  // layers draw initial weights while they are built: from a private generator, replaced below
  const model = withRng(new Rng(0), () => deserialize<SavableModel>(m.model_config, custom));
  if (!model || typeof model.compile !== 'function' || !Array.isArray(model.layers)) fail(`model_config describes a ${m.model_config?.class_name}, not a model`);
  const vars = model.weights;
  if (!Array.isArray(m.weights) || m.weights.length !== vars.length) {
    fail(`the file holds ${Array.isArray(m.weights) ? m.weights.length : 'no list of'} weights but the architecture it describes has ${vars.length}`);
  }
  const values = m.weights.map((r, i) => {
    const v = vars[i];
    if (!Array.isArray(r.shape) || r.shape.length !== v.shape.length || r.shape.some((d, j) => d !== v.shape[j])) {
      fail(`weight ${i} ('${r.name}') has shape ${Array.isArray(r.shape) ? fmtShape(r.shape) : JSON.stringify(r.shape)} but the architecture's '${v.name}' has shape ${fmtShape(v.shape)}`);
    }
    return new Tensor(readArray(data, 'float32', r.offset, v.value.size, `weight '${r.name}'`, fail) as Float32Array, v.shape);
  });
  let optimizer: Optimizer | null = null;
  const slotValues: [number, Float64Array[]][] = [];
  const c = m.compile_config;
  if (c && options.compile !== false) {
    optimizer = withRng(new Rng(0), () => deserialize<Optimizer>(c.optimizer, custom));
    if (!(optimizer instanceof Optimizer)) fail(`compile_config.optimizer describes a ${c.optimizer?.class_name}, not an optimizer`);
    const s = m.optimizer_state;
    if (s) {
      if (!Number.isSafeInteger(s.iterations) || s.iterations < 0) fail(`optimizer_state.iterations is ${JSON.stringify(s.iterations)}, expected a count`);
      for (const slot of s.slots ?? []) {
        const v = vars[slot.weight];
        if (!v) fail(`optimizer_state names weight ${JSON.stringify(slot.weight)}, which the model does not have`);
        const arrays = slot.arrays.map((a, k) => {
          if (a.length !== v.value.size) fail(`optimizer slot ${k} of '${v.name}' holds ${a.length} values, the weight has ${v.value.size}`);
          return readArray(data, 'float64', a.offset, a.length, `optimizer slot ${k} of '${v.name}'`, fail) as Float64Array;
        });
        slotValues.push([slot.weight, arrays]);
      }
    }
  }
  const preprocessing: Record<string, unknown> = {};
  for (const [key, p] of Object.entries(m.preprocessing ?? {})) {
    const cls = p.class_name ? (custom[p.class_name] as unknown as { fromJSON?: (json: string) => unknown } | undefined) : undefined;
    preprocessing[key] = cls && typeof cls.fromJSON === 'function' ? cls.fromJSON(p.json) : p.json;
  }
  // everything checked: assign
  vars.forEach((v, i) => v.assign(values[i]));
  if (c && optimizer) {
    model.compile({ optimizer, loss: c.loss, metrics: c.metrics });
    if (m.optimizer_state) optimizer.iterations = m.optimizer_state.iterations;
    for (const [i, arrays] of slotValues) optimizer.setSlots(vars[i], arrays);
  }
  model.preprocessing = preprocessing;
  return model;
}

export const BYTES_INSTEAD = 'call model.save() with no path for the bytes, and loadModel(bytes) to load them';

/** Writes the model file atomically (Node), or resolves to its bytes when `path` is omitted. */
export async function saveModel(model: SavableModel, path: string | undefined, options: SaveOptions = {}): Promise<Uint8Array | void> {
  const bytes = modelToBytes(model, options);
  if (path === undefined) return bytes;
  if (typeof path !== 'string' || path === '') throw new Error(`${model.label}.save: the path must be a non-empty string, received ${String(path)}`);
  await fileAccess(`${model.label}.save`, BYTES_INSTEAD).writeFileAtomic(path, bytes, `${model.label}.save`);
}
