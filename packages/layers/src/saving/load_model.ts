/**
 * `loadModel(path | bytes)`: the model file (saving/model_file.ts) back into a model.
 */
import type { Model } from '../models/model';
import { fileAccess } from '../training/file_access';
import { BYTES_INSTEAD, LoadOptions, modelFromBytes } from './model_file';

/**
 * Loads a model saved by `model.save`: from a path (Node) or from the bytes.
 * @example
 *   await model.save('model.seqlab');
 *   const again = await loadModel('model.seqlab', { customObjects: { TextVectorization } });
 */
export async function loadModel(source: string | Uint8Array, options: LoadOptions = {}): Promise<Model> {
  if (source instanceof Uint8Array) return modelFromBytes(source, options) as Model;
  if (typeof source !== 'string' || source === '') throw new Error(`loadModel: expected a file path or the bytes of a model file (Uint8Array), received ${String(source)}`);
  let bytes: Uint8Array;
  try {
    bytes = await fileAccess('loadModel', BYTES_INSTEAD).readFile(source);
  } catch (e) {
    throw new Error(`loadModel: cannot read ${source}: ${(e as Error).message}`);
  }
  return modelFromBytes(bytes, options, source) as Model;
}
