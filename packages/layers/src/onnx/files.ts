/**
 * `exportOnnx(model, path)`: the ONNX file (onnx/export.ts) written atomically through the
 * file-access seam; without a path it resolves to the bytes (in a page).
 */
import type { Model } from '../models/model';
import { fileAccess } from '../training/file_access';
import { OnnxExportOptions, toOnnx } from './export';

/**
 * Writes `model` as an ONNX file (opset 14) that ONNX Runtime runs; resolves to the bytes when
 * `path` is omitted. A model with a mask needs `{ padding: 'post' }` (see onnx/export.ts).
 * @example await exportOnnx(model, 'model.onnx', { padding: 'post' }); // then ort.InferenceSession.create('model.onnx')
 */
export async function exportOnnx(model: Model, path?: string, options: OnnxExportOptions = {}): Promise<Uint8Array> {
  const bytes = toOnnx(model, options);
  if (path === undefined) return bytes;
  if (typeof path !== 'string' || path === '') throw new Error(`exportOnnx: the path must be a non-empty string, received ${String(path)}`);
  await fileAccess('exportOnnx', 'call exportOnnx(model) with no path for the bytes').writeFileAtomic(path, bytes, 'exportOnnx');
  return bytes;
}
