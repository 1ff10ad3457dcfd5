/**
 * `exportOnnx(model, path)`: the ONNX file (onnx/export.ts) written atomically through the
 * file-access seam; without a path it resolves to the bytes (in a page).
 */
import type { Model } from '../models/model';
import { fileAccess } from '../training/file_access';
import { toOnnx } from './export';

/**
 * Writes `model` as an ONNX file (opset 14) that ONNX Runtime runs; resolves to the bytes when
 * `path` is omitted.
 * @example await exportOnnx(model, 'model.onnx'); // then ort.InferenceSession.create('model.onnx')
 */
export async function exportOnnx(model: Model, path?: string): Promise<Uint8Array> {
  const bytes = toOnnx(model);
  if (path === undefined) return bytes;
  if (typeof path !== 'string' || path === '') throw new Error(`exportOnnx: the path must be a non-empty string, received ${String(path)}`);
  await fileAccess('exportOnnx', 'call exportOnnx(model) with no path for the bytes').writeFileAtomic(path, bytes, 'exportOnnx');
  return bytes;
}
