/**
 * MNIST handwritten digits from IDX files (LeCun, Cortes, Burges), gzipped or not.
 *
 * IDX: a big-endian header `0x00 0x00 type ndims`, then `ndims` uint32 sizes, then the values.
 * Images are type 0x08 (uint8) with 3 dims (magic 0x00000803), labels uint8 with 1 dim
 * (0x00000801). A wrong magic, or a file whose length is not exactly header + product of sizes,
 * is an error.
 *
 * Only the 10,000-image test split is in ../shared/data. `loadTest` reads it; `loadTrainValidation`
 * splits it with a seed (default 8,000 / 2,000) for examples that need a training set offline.
 * `loadData` is Keras's `load_data` and needs the 60,000-image training files (found locally, or
 * downloaded when a sha256 for them is given).
 *
 * One source: the labels are read from the folder the images were found in (never from another data
 * directory). Verification (default on; `verify: false` for IDX files of your own): the image count
 * and size (10,000 or 60,000 of 28x28) and, for the test files whose checksums seqlab knows, the
 * sha256 of the uncompressed content, so a flipped pixel or label is refused whether the file is
 * gzipped or not.
 *
 * Images are float32 `[n, 28, 28]`: pixel values 0..255 by default (Keras returns uint8), in [0, 1]
 * with `normalize: true` (the `x / 255.` of the seeds). Labels are float32 `[n]` of digits 0..9.
 *
 * @packageDocumentation
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import * as zlib from 'zlib';
import { Rng, Tensor, permutation } from '@seqlab/tensor';
import { DataFileSpec, LocateOptions, locateDataFile } from './data_dir';

const MIRROR = 'https://storage.googleapis.com/cvdf-datasets/mnist';

/** A data file spec with the sha256 of the uncompressed IDX content, when known. */
type IdxSpec = DataFileSpec & { contentSha256: string | null };

function spec(base: string, sha256: string | null, contentSha256: string | null = null): IdxSpec {
  const dotted = base.replace(/-(idx\d)-/, '.$1-');
  return {
    contentSha256,
    name: `mnist ${base}`,
    relPaths: [`mnist/${base}.gz`, `mnist/${base}`, `mnist/${dotted}`],
    download: { url: `${MIRROR}/${base}.gz`, relPath: `mnist/${base}.gz`, sha256 },
  };
}

/** Where the four MNIST files are looked for and downloaded from, with the checksums seqlab knows. */
export const MNIST_SPECS = {
  testImages: spec(
    't10k-images-idx3-ubyte',
    '167310007f03058885c7e95e6c0b19c20de5c7fd3031f4cbdadc9014a523d80b',
    '0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7',
  ),
  testLabels: spec(
    't10k-labels-idx1-ubyte',
    'fc607395669ec21321ea83e4b82c0544b7e8e63ff5b34337c06bc0a17cc0da3c',
    'ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2',
  ),
  // seqlab ships no checksum for the training files: pass { sha256 } or the files themselves.
  trainImages: spec('train-images-idx3-ubyte', null),
  trainLabels: spec('train-labels-idx1-ubyte', null),
};

/** An IDX file's contents: its dimensions and its bytes (`[n, 28, 28]` images, `[n]` labels). */
export interface IdxArray {
  dims: number[];
  data: Uint8Array;
}

/**
 * Parses an IDX buffer (gunzipping it first if it starts with the gzip magic).
 * @example
 * const { dims, data } = parseIdx(fs.readFileSync('t10k-labels-idx1-ubyte.gz'), 1); // dims [10000]
 */
export function parseIdx(buffer: Uint8Array, expectedDims: number, name = 'IDX data'): IdxArray {
  return parseIdxBytes(gunzipIdx(buffer, name), expectedDims, name);
}

/** The IDX bytes of a file, gunzipped when it starts with the gzip magic. */
function gunzipIdx(buffer: Uint8Array, name: string): Buffer {
  const buf = Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
  if (buf.length < 2 || buf[0] !== 0x1f || buf[1] !== 0x8b) return buf;
  try {
    return zlib.gunzipSync(buf);
  } catch (e) {
    throw new Error(`parseIdx: ${name} is a truncated or corrupt gzip file: ${(e as Error).message}`);
  }
}

function parseIdxBytes(buf: Buffer, expectedDims: number, name: string): IdxArray {
  if (buf.length < 4) throw new Error(`parseIdx: ${name} has ${buf.length} bytes, too short for an IDX header`);
  const magic = buf.readUInt32BE(0);
  const expectedMagic = 0x0800 | expectedDims;
  if (magic !== expectedMagic) {
    throw new Error(`parseIdx: ${name} has magic number 0x${magic.toString(16).padStart(8, '0')}, expected 0x${expectedMagic.toString(16).padStart(8, '0')} (uint8, ${expectedDims} dims)`);
  }
  const headerBytes = 4 + 4 * expectedDims;
  if (buf.length < headerBytes) throw new Error(`parseIdx: ${name} ends inside its header (${buf.length} of ${headerBytes} bytes)`);
  const dims: number[] = [];
  for (let d = 0; d < expectedDims; d++) dims.push(buf.readUInt32BE(4 + 4 * d));
  const size = dims.reduce((a, b) => a * b, 1);
  if (buf.length !== headerBytes + size) {
    throw new Error(`parseIdx: ${name} has ${buf.length - headerBytes} bytes of data but its header [${dims.join(', ')}] says ${size}`);
  }
  return { dims, data: new Uint8Array(buf.buffer, buf.byteOffset + headerBytes, size) };
}

/** Options of the MNIST loaders: where to look (LocateOptions), scaling to [0, 1], verification. */
export interface MnistOptions extends LocateOptions {
  /** Scale pixels to [0, 1] (default false: 0..255). */
  normalize?: boolean;
  /** Check counts, sizes and known checksums (default true); false for IDX files of your own. */
  verify?: boolean;
}

/** One MNIST split: images float32 `[n, 28, 28]` and labels float32 `[n]`. */
export interface MnistSplit {
  /** float32 `[n, 28, 28]`. */
  images: Tensor;
  /** float32 `[n]`, digits 0..9. */
  labels: Tensor;
}

async function locateIn(s: DataFileSpec, options: LocateOptions): Promise<string> {
  if (options.path === undefined) return locateDataFile(s, options);
  // With { path }, it names the folder that holds the IDX files (or a folder with mnist/ inside).
  return locateBeside(s, path.resolve(options.path), 'under the path option');
}

/** The file of `s` in `dir` (or `dir/mnist`), else an error: no other folder is searched. */
function locateBeside(s: DataFileSpec, dir: string, where: string): string {
  const tried: string[] = [];
  for (const rel of s.relPaths) {
    for (const p of [path.join(dir, path.basename(rel)), path.join(dir, rel)]) {
      if (fs.existsSync(p)) return p;
      tried.push(p);
    }
  }
  throw new Error(`${s.name}: not found ${where} ${dir}; looked for ${tried.join(', ')}`);
}

/** Reads one IDX file and, with `verify`, holds it to the published checksum and sample count. */
function readIdx(s: IdxSpec, file: string, dims: number, verify: boolean, count: number): IdxArray {
  const bytes = gunzipIdx(fs.readFileSync(file), file);
  const idx = parseIdxBytes(bytes, dims, file);
  if (!verify) return idx;
  if (idx.dims[0] !== count || (dims === 3 && (idx.dims[1] !== 28 || idx.dims[2] !== 28))) {
    throw new Error(`mnist: ${file} has dimensions [${idx.dims.join(', ')}], expected [${dims === 3 ? `${count}, 28, 28` : count}] for ${s.name}; pass verify: false for IDX files of your own`);
  }
  if (s.contentSha256 !== null) {
    const sum = crypto.createHash('sha256').update(bytes).digest('hex');
    if (sum !== s.contentSha256) {
      throw new Error(
        `mnist: ${file} is not the published ${path.basename(s.relPaths[1])}: the sha256 of its uncompressed content is ${sum}, expected ${s.contentSha256}. ` +
          `The file is damaged or altered: replace it, or pass verify: false for IDX files of your own`,
      );
    }
  }
  return idx;
}

async function loadPair(images: IdxSpec, labels: IdxSpec, options: MnistOptions, count: number): Promise<MnistSplit> {
  const verify = options.verify ?? true;
  const imgFile = await locateIn(images, options);
  // the labels come from the images' folder: a pair is one source, never two data directories
  const lblFile = locateBeside(labels, path.dirname(imgFile), 'beside the images in');
  const img = readIdx(images, imgFile, 3, verify, count);
  const lbl = readIdx(labels, lblFile, 1, verify, count);
  const [n, h, w] = img.dims;
  if (lbl.dims[0] !== n) {
    throw new Error(`mnist: ${imgFile} holds ${n} images but ${lblFile} holds ${lbl.dims[0]} labels`);
  }
  const scale = options.normalize ? 1 / 255 : 1;
  const px = new Float32Array(img.data.length);
  for (let i = 0; i < px.length; i++) px[i] = img.data[i] * scale;
  const ys = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    if (lbl.data[i] > 9) throw new Error(`mnist: label ${i} of ${lblFile} is ${lbl.data[i]}, expected a digit 0..9`);
    ys[i] = lbl.data[i];
  }
  return { images: new Tensor(px, [n, h, w]), labels: new Tensor(ys, [n]) };
}

/** The 10,000 test images and labels. */
export async function loadTest(options: MnistOptions = {}): Promise<MnistSplit> {
  return loadPair(MNIST_SPECS.testImages, MNIST_SPECS.testLabels, options, 10000);
}

/**
 * Keras `mnist.load_data()`: `[[xTrain, yTrain], [xTest, yTest]]`. Needs the training files,
 * which are not in ../shared/data; offline, use `loadTrainValidation`.
 */
export async function loadData(options: MnistOptions = {}): Promise<[[Tensor, Tensor], [Tensor, Tensor]]> {
  try {
    // Only a missing file is reported as "not available"; a corrupt one fails below as itself.
    const images = await locateIn(MNIST_SPECS.trainImages, options);
    locateBeside(MNIST_SPECS.trainLabels, path.dirname(images), 'beside the images in');
  } catch (e) {
    throw new Error(
      `mnist.loadData: the 60,000-image training split is not available (${(e as Error).message})\n` +
        `Only the 10,000-image test split is in ../shared/data; mnist.loadTrainValidation({ validationSplit, seed }) splits it into train and validation sets.`,
    );
  }
  const train = await loadPair(MNIST_SPECS.trainImages, MNIST_SPECS.trainLabels, options, 60000);
  const test = await loadTest(options);
  return [
    [train.images, train.labels],
    [test.images, test.labels],
  ];
}

/**
 * A seeded split of `[n, ...]` samples: the last `round(n * validationSplit)` of a permutation
 * drawn from `new Rng(seed)` are the validation set. Returns `[[xTrain, yTrain], [xVal, yVal]]`.
 */
export function trainValidationSplit(
  x: Tensor,
  y: Tensor,
  options: { validationSplit?: number; seed?: number } = {},
): [[Tensor, Tensor], [Tensor, Tensor]] {
  const { validationSplit = 0.2, seed = 113 } = options;
  if (!(validationSplit > 0 && validationSplit < 1)) {
    throw new Error(`trainValidationSplit: validationSplit must be in (0, 1), received ${validationSplit}`);
  }
  const n = x.shape[0];
  if (y.shape[0] !== n) throw new Error(`trainValidationSplit: x has ${n} samples but y has ${y.shape[0]}`);
  const order = permutation(n, new Rng(seed));
  const nVal = Math.round(n * validationSplit);
  const take = (t: Tensor, idx: number[]): Tensor => {
    const row = t.size / t.shape[0];
    const out = new Float32Array(idx.length * row);
    idx.forEach((r, k) => out.set(t.data.subarray(r * row, (r + 1) * row), k * row));
    return new Tensor(out, [idx.length, ...t.shape.slice(1)]);
  };
  const trainIdx = order.slice(0, n - nVal);
  const valIdx = order.slice(n - nVal);
  return [
    [take(x, trainIdx), take(y, trainIdx)],
    [take(x, valIdx), take(y, valIdx)],
  ];
}

/**
 * The test split cut into train and validation sets (8,000 / 2,000 by default), for working
 * offline where the training files are missing. Say so when reporting results.
 * @example
 * const [[xTrain, yTrain], [xVal, yVal]] = await mnist.loadTrainValidation({ normalize: true, seed: 1 });
 */
export async function loadTrainValidation(
  options: MnistOptions & { validationSplit?: number; seed?: number } = {},
): Promise<[[Tensor, Tensor], [Tensor, Tensor]]> {
  const test = await loadTest(options);
  return trainValidationSplit(test.images, test.labels, options);
}
