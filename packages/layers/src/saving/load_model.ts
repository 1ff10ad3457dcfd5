/**
 * `loadModel(path | bytes)` and `modelFromBytes(bytes)`: the model file (saving/model_file.ts) back
 * into a model, with every built-in class registered (saving/builtins.ts), in a bundle as in Node.
 * (They live apart from model_file.ts, which the model class imports to save.)
 */
import type { Model } from '../models/model';
import { fileAccess } from '../training/file_access';
import { builtInClasses } from './builtins';
import { BYTES_INSTEAD, LoadOptions, SavableModel, decodeModel } from './model_file';

/** Rebuilds a model from the model file's bytes; `source` names the file in errors. */
export function modelFromBytes(bytes: Uint8Array, options: LoadOptions = {}, source = 'the given bytes'): SavableModel {
  builtInClasses(); // every built-in class registered, in a bundle too (builtins.ts)
  return decodeModel(bytes, options, source);
}

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
