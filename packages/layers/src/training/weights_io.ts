/**
 * The seqlab weights file (`.slw`): the model file's checksummed container (saving/container.ts)
 * under its own magic, little-endian throughout:
 *
 *   offset 0   8 bytes   magic "SEQLABW1"
 *   offset 8   uint32    manifest length M in bytes
 *   offset 12  32 bytes  SHA-256 of the manifest bytes
 *   offset 44  M bytes   manifest, UTF-8 JSON:
 *                          { format: "seqlab-weights", version: 1, dataByteLength, dataSha256,
 *                            weights: [{ key, name, shape, dtype: "float32", offset, byteLength }] }
 *   offset 44+M          data: each weight's float32 values, row-major, at its `offset`
 *
 * `key` is structural ("<layer index>:<layer class>:<weight index in layer>"), so a file loads into
 * an identical architecture built in another process, whatever its auto-generated names.
 * The same bytes in Node and in a page (`saveWeights()` with no path resolves to them, and
 * `loadWeights(bytes)` takes them). Writing a file is atomic (a temporary file beside the target,
 * fsync, rename): a crash mid-write leaves the previous file intact. Loading verifies everything before assigning anything: a truncated,
 * corrupted or mismatching file is refused and the model keeps its weights.
 */
import { Variable } from '@seqlab/autograd';
import { Tensor, fmtShape } from '@seqlab/tensor';
import { fileAccess } from './file_access';
import { ContainerManifest, DataWriter, decodeContainer, encodeContainer, isCount, readArray } from '../saving/container';

const MAGIC = 'SEQLABW1';
const FORMAT = 'seqlab-weights';

/** One weight in a weights file's manifest: key, name, shape, dtype and where its bytes are. */
export interface WeightEntry {
  key: string;
  name: string;
  shape: number[];
  dtype: 'float32';
  offset: number;
  byteLength: number;
}

/** The JSON manifest of a weights file (the layout at the top of this file). */
export interface Manifest extends ContainerManifest {
  format: 'seqlab-weights';
  version: 1;
  weights: WeightEntry[];
}

/** A weight to save or load, with its structural key. */
export interface KeyedWeight {
  key: string;
  variable: Variable;
}

/** The bytes of a weights file holding `weights` (the layout at the top of this file), in the model file's container. */
export function encodeWeights(weights: KeyedWeight[]): Uint8Array {
  const data = new DataWriter();
  const entries: WeightEntry[] = weights.map(({ key, variable }) => {
    const offset = data.add('float32', variable.value.data);
    return { key, name: variable.name, shape: variable.shape.slice(), dtype: 'float32', offset, byteLength: variable.value.size * 4 };
  });
  return encodeContainer(MAGIC, { format: FORMAT, version: 1, weights: entries }, data.bytes());
}

/** Every field of the entries a crafted or damaged manifest could get wrong, checked before any use. */
function checkEntries(m: Manifest, fail: (why: string) => never): void {
  if (!Array.isArray(m.weights)) fail(`weights is ${JSON.stringify(m.weights)}, expected a list of entries`);
  m.weights.forEach((w, i) => {
    const at = `entry ${i}`;
    if (w === null || typeof w !== 'object') fail(`${at} is ${JSON.stringify(w)}, expected an object`);
    if (typeof w.key !== 'string' || typeof w.name !== 'string') fail(`${at} needs string key and name`);
    if (!Array.isArray(w.shape) || !w.shape.every(isCount) || w.shape.length > 8) fail(`${at} ('${w.name}') has shape ${JSON.stringify(w.shape)}, expected a list of sizes`);
    if (!isCount(w.offset) || !isCount(w.byteLength) || w.offset % 4 !== 0) fail(`${at} ('${w.name}') has offset ${w.offset} and byteLength ${w.byteLength}, expected byte counts (offset a multiple of 4)`);
    if (w.dtype !== 'float32' || w.byteLength !== w.shape.reduce((a, b) => a * b, 1) * 4) {
      fail(`${at} ('${w.name}') has an inconsistent dtype, shape ${fmtShape(w.shape)} or byte range`);
    }
  });
}

/**
 * Parses and verifies a weights file (magic, checksums, lengths, version: saving/container.ts;
 * then every entry); returns the manifest and one Float32Array per weight.
 */
export function decodeWeights(buf: Uint8Array, source: string): { manifest: Manifest; arrays: Float32Array[] } {
  const { manifest, data } = decodeContainer<Manifest>(buf, { magic: MAGIC, format: FORMAT, version: 1, who: 'loadWeights', source });
  const fail = (why: string): never => {
    throw new Error(`loadWeights: ${source} is not a valid ${FORMAT} file: ${why}`);
  };
  checkEntries(manifest, fail);
  // each range checked against the data section (container.ts readArray)
  const arrays = manifest.weights.map((w, i) => readArray(data, 'float32', w.offset, w.byteLength / 4, `entry ${i} ('${w.name}')`, fail) as Float32Array);
  return { manifest, arrays };
}

const BYTES_INSTEAD = 'call saveWeights() with no path for the bytes, and loadWeights(bytes) to load them';

/** The weights file's bytes; a model without weights (not built yet) is refused rather than saved empty. */
export function weightsBytes(weights: KeyedWeight[], owner = 'the model'): Uint8Array {
  if (weights.length === 0) {
    throw new Error(`saveWeights: ${owner} has no weights yet (it is not built); call it on data or give the first layer an inputShape before saving`);
  }
  return encodeWeights(weights);
}

/** Saves atomically to a file. */
export async function saveWeightsFile(file: string, weights: KeyedWeight[], owner = 'the model'): Promise<void> {
  if (typeof file !== 'string' || file === '') throw new Error(`saveWeights: the path must be a non-empty string, received ${String(file)}`);
  const files = fileAccess('saveWeights', BYTES_INSTEAD);
  await files.writeFileAtomic(file, weightsBytes(weights, owner), 'saveWeights');
}

/** Loads from a file path or the bytes of a weights file (see `loadWeightsBytes`). */
export async function loadWeightsFile(source: string | Uint8Array, weights: KeyedWeight[], owner: string): Promise<void> {
  if (source instanceof Uint8Array) return loadWeightsBytes(source, 'the given bytes', weights, owner);
  if (typeof source !== 'string' || source === '') {
    throw new Error(`loadWeights: expected a file path or the bytes of a weights file (Uint8Array), received ${String(source)}`);
  }
  const files = fileAccess('loadWeights', BYTES_INSTEAD);
  let buf: Uint8Array;
  try {
    buf = await files.readFile(source);
  } catch (e) {
    throw new Error(`loadWeights: cannot read ${source}: ${(e as Error).message}`);
  }
  loadWeightsBytes(buf, source, weights, owner);
}

/** Loads into `weights` only after the bytes and every name, shape and length have been checked. */
export function loadWeightsBytes(buf: Uint8Array, file: string, weights: KeyedWeight[], owner: string): void {
  const { manifest, arrays } = decodeWeights(buf, file);
  if (manifest.weights.length !== weights.length) {
    throw new Error(`loadWeights: ${file} holds ${manifest.weights.length} weights but ${owner} has ${weights.length}`);
  }
  manifest.weights.forEach((e, i) => {
    const { key, variable } = weights[i];
    if (e.key !== key) throw new Error(`loadWeights: weight ${i} of ${file} is '${e.key}' (${e.name}) but ${owner} expects '${key}' (${variable.name})`);
    if (e.shape.length !== variable.shape.length || e.shape.some((d, j) => d !== variable.shape[j])) {
      throw new Error(`loadWeights: weight '${e.name}' of ${file} has shape ${fmtShape(e.shape)} but ${owner}'s '${variable.name}' has shape ${fmtShape(variable.shape)}`);
    }
  });
  weights.forEach(({ variable }, i) => variable.assign(new Tensor(arrays[i], variable.shape)));
}
