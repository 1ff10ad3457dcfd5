/**
 * `saveTfjsModel(model, dir)` and `loadTfjsModel(dir)`: the TensorFlow.js layers format
 * (saving/tfjs_format.ts) as a directory of model.json and weight shards, through the file-access
 * seam (Node's files; in a page use `toTfjs` / `fromTfjs` with the bytes).
 */
import type { CustomObjects } from '../engine/config';
import type { Model } from '../models/model';
import { fileAccess } from '../training/file_access';
import { TfjsModelJson, fromTfjs, toTfjs } from './tfjs_format';

const INSTEAD = 'use toTfjs(model) / fromTfjs(modelJson, weightBytes) with the bytes instead';

const join = (dir: string, name: string): string => `${dir.replace(/[\\/]+$/, '')}/${name}`;

/** Options of `saveTfjsModel`: the shard size, where warnings go. */
export interface SaveTfjsOptions {
  /** Largest shard in bytes (default 4 MB, as TensorFlow.js). */
  shardBytes?: number;
  /** Where warnings go (GRU resetAfter, which TensorFlow.js refuses); default console.warn. */
  onWarning?: (message: string) => void;
}

/**
 * Writes `dir/model.json` and `dir/group1-shard*of*.bin` (each file atomically), loadable by
 * `tf.loadLayersModel`. Resolves to the files written and the warnings (empty when TensorFlow.js
 * loads the model as it is).
 * @example const { warnings } = await saveTfjsModel(model, 'web/model'); // tf.loadLayersModel('.../model.json')
 */
export async function saveTfjsModel(model: Model, dir: string, options: SaveTfjsOptions = {}): Promise<{ files: string[]; warnings: string[] }> {
  if (typeof dir !== 'string' || dir === '') throw new Error(`saveTfjsModel: the directory must be a non-empty string, received ${String(dir)}`);
  const { modelJson, shards, warnings } = toTfjs(model, options);
  const files = fileAccess('saveTfjsModel', INSTEAD);
  const written: string[] = [];
  for (const s of shards) {
    await files.writeFileAtomic(join(dir, s.path), s.bytes, 'saveTfjsModel');
    written.push(join(dir, s.path));
  }
  // model.json last: a reader never sees a model.json whose shards are not written yet
  await files.writeFileAtomic(join(dir, 'model.json'), new TextEncoder().encode(JSON.stringify(modelJson)), 'saveTfjsModel');
  written.push(join(dir, 'model.json'));
  for (const w of warnings) (options.onWarning ?? console.warn)(`saveTfjsModel: ${w}`);
  return { files: written, warnings };
}

/**
 * Reads a TensorFlow.js layers model directory (from `saveTfjsModel`, `model.save` in TensorFlow.js,
 * or `tensorflowjs_converter` from a Keras model) into a seqlab model. `dir` may also name the
 * model.json itself.
 */
export async function loadTfjsModel(dir: string, options: { customObjects?: CustomObjects } = {}): Promise<Model> {
  if (typeof dir !== 'string' || dir === '') throw new Error(`loadTfjsModel: expected a directory (or its model.json), received ${String(dir)}`);
  const files = fileAccess('loadTfjsModel', INSTEAD);
  const jsonPath = dir.endsWith('.json') ? dir : join(dir, 'model.json');
  const base = jsonPath.slice(0, Math.max(0, jsonPath.lastIndexOf('/'))) || '.';
  const read = async (p: string): Promise<Uint8Array> => {
    try {
      return await files.readFile(p);
    } catch (e) {
      throw new Error(`loadTfjsModel: cannot read ${p}: ${(e as Error).message}`);
    }
  };
  let modelJson: TfjsModelJson;
  try {
    modelJson = JSON.parse(new TextDecoder().decode(await read(jsonPath))) as TfjsModelJson;
  } catch (e) {
    if ((e as Error).message.startsWith('loadTfjsModel')) throw e;
    throw new Error(`loadTfjsModel: ${jsonPath} is not JSON (${(e as Error).message})`);
  }
  const paths = (Array.isArray(modelJson.weightsManifest) ? modelJson.weightsManifest : []).flatMap((g) => g.paths ?? []);
  const parts = await Promise.all(paths.map((p) => read(join(base, p))));
  const total = parts.reduce((n, p) => n + p.length, 0);
  const data = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return fromTfjs(modelJson, data, options, jsonPath);
}
