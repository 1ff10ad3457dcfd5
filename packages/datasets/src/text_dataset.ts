/**
 * `textDatasetFromDirectory`: Keras's `keras.utils.text_dataset_from_directory`, streaming.
 *
 * Indexing (as Keras's `index_directory`): with `labels: 'inferred'` every subfolder of `dir`
 * not starting with '.' is a class, in alphanumeric order (or the order of `classNames`, which
 * may name a subset); each class folder is walked recursively (symlinked subfolders only with
 * `followLinks`), folders in path order and files sorted within each; only names ending in
 * `.txt` (any case) count. With `shuffle` (default) the file list is permuted once with
 * `new Rng(seed)`; the validation split is then the last `floor(validationSplit * n)` files and
 * training the rest, so the same seed gives disjoint subsets that cover every file.
 *
 * Reading: the dataset holds the file list only; each pass reads the files lazily as batches
 * are consumed (shuffle buffer of `8 * batchSize` files, then read, batch, prefetch), so memory
 * stays bounded by a few batches whatever the number of files.
 *
 * Elements: `[text, label]`, or `text` with `labelMode: null`. Batched (default `batchSize` 32):
 * texts as `string[]`, labels as float32 tensors: `'int'` `[batch]` (Keras: int32), `'binary'`
 * `[batch, 1]`, `'categorical'` one-hot `[batch, classes]`.
 *
 * Messages (printed through `log`, default console.log, unless `verbose: false`) are Keras's:
 * "Found 25000 files belonging to 2 classes.", "Using 20000 files for training.".
 *
 * Differs from Keras: the shuffle uses seqlab's generator, so the order (not the sizes nor the
 * disjointness) differs from TensorFlow's for the same seed; `maxLength` cuts the UTF-8 bytes of
 * a text at a character boundary (Keras may cut inside a character); a `validationSplit` too small
 * to hold one file gives every file to training (Keras's slice `[:-0]` gives none).
 */
import * as fs from 'fs';
import * as path from 'path';
import { Rng, Tensor, permutation } from '@seqlab/tensor';
import { Dataset, Element } from './dataset';

/**
 * How `textDatasetFromDirectory` gives labels: 'int' (class index), 'categorical' (one-hot),
 * 'binary' (0/1 float, two classes), or null (no labels).
 */
export type LabelMode = 'int' | 'categorical' | 'binary' | null;

/**
 * Options of `textDatasetFromDirectory` (Keras's `text_dataset_from_directory`): labels, batching,
 * shuffling, a validation split and its subset.
 */
export interface TextDatasetOptions {
  /** 'inferred' (default: from the class folders), null (no labels), or one integer label per file in path order. */
  labels?: 'inferred' | null | number[];
  labelMode?: LabelMode;
  /** Class folders to use, in this order (a subset of the subfolders). */
  classNames?: string[];
  /** Batch size (default 32); null yields single elements. */
  batchSize?: number | null;
  /** Keep at most this many UTF-8 bytes of each text. */
  maxLength?: number | null;
  /** Shuffle the files (default true); false keeps the alphanumeric order. */
  shuffle?: boolean;
  /** Seed of the shuffle; required with validationSplit and shuffle. */
  seed?: number;
  validationSplit?: number | null;
  subset?: 'training' | 'validation' | 'both' | null;
  followLinks?: boolean;
  /** Print the "Found ..." and "Using ..." lines (default true). */
  verbose?: boolean;
  /** Where the "Found ..." lines go (default console.log). */
  log?: (line: string) => void;
}

interface Indexed {
  files: string[];
  labels: number[] | null;
  classNames: string[] | null;
}

/** Files under `dir` ending in `.txt`, as Keras's walk: folders in path order, files sorted. */
function walkTexts(dir: string, followLinks: boolean): string[] {
  const folders: string[] = [];
  const visit = (d: string): void => {
    folders.push(d);
    for (const entry of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory() || (followLinks && entry.isSymbolicLink() && fs.statSync(p).isDirectory())) visit(p);
    }
  };
  visit(dir);
  folders.sort();
  const out: string[] = [];
  for (const d of folders) {
    const names = fs
      .readdirSync(d, { withFileTypes: true })
      .filter((e) => !e.isDirectory() && e.name.toLowerCase().endsWith('.txt') && (!e.isSymbolicLink() || fs.statSync(path.join(d, e.name)).isFile()))
      .map((e) => e.name)
      .sort();
    for (const n of names) out.push(path.join(d, n));
  }
  return out;
}

function indexDirectory(dir: string, labels: 'inferred' | null | number[], classNames: string[] | undefined, followLinks: boolean, who: string): Indexed {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) throw new Error(`${who}: ${dir} is not a directory`);
  if (labels !== 'inferred') {
    if (classNames) throw new Error(`${who}: classNames can only be given with labels: 'inferred'`);
    const files = walkTexts(dir, followLinks);
    if (labels === null) return { files, labels: null, classNames: null };
    if (labels.length !== files.length) throw new Error(`${who}: labels has ${labels.length} entries but ${files.length} .txt files were found in ${dir}`);
    labels.forEach((l, i) => {
      if (!Number.isInteger(l) || l < 0) throw new Error(`${who}: labels[${i}] must be a non-negative integer, received ${l}`);
    });
    return { files, labels: labels.slice(), classNames: Array.from(new Set(labels)).sort((a, b) => a - b).map(String) };
  }
  const subdirs = fs
    .readdirSync(dir)
    .filter((n) => !n.startsWith('.') && fs.statSync(path.join(dir, n)).isDirectory())
    .sort();
  let classes = subdirs;
  if (classNames) {
    const missing = classNames.filter((c) => !subdirs.includes(c));
    if (missing.length > 0) throw new Error(`${who}: classNames ${JSON.stringify(missing)} are not subfolders of ${dir}; expected some of ${JSON.stringify(subdirs)}`);
    classes = classNames.slice();
  }
  const files: string[] = [];
  const ids: number[] = [];
  classes.forEach((c, k) => {
    for (const f of walkTexts(path.join(dir, c), followLinks)) {
      files.push(f);
      ids.push(k);
    }
  });
  return { files, labels: ids, classNames: classes };
}

/** Cuts a UTF-8 buffer to at most `max` bytes without splitting a character. */
function cutUtf8(buf: Buffer, max: number | null): Buffer {
  if (max === null || buf.length <= max) return buf;
  let end = max;
  while (end > 0 && (buf[end] & 0xc0) === 0x80) end--;
  return buf.subarray(0, end);
}

function labelElement(label: number, mode: LabelMode, classes: number): Element {
  if (mode === 'binary') return new Tensor(Float32Array.of(label), [1]);
  if (mode === 'categorical') {
    const hot = new Float32Array(classes);
    hot[label] = 1;
    return new Tensor(hot, [classes]);
  }
  return label;
}

function toDataset(files: string[], labels: number[] | null, o: { mode: LabelMode; classes: number; maxLength: number | null; shuffle: boolean; seed: number; batchSize: number | null; classNames: string[] | null }): Dataset<Element> {
  const index = Array.from(files.keys());
  let ds: Dataset<Element> = Dataset.fromTensorSlices(index);
  if (o.shuffle) ds = ds.shuffle(o.batchSize !== null ? o.batchSize * 8 : 1024, { seed: o.seed });
  // a synchronous read of one small file costs tens of microseconds, several times less than the
  // promise round trips of fs.promises.readFile; prefetch still overlaps batches with training
  ds = ds.map((i) => {
    const text = cutUtf8(fs.readFileSync(files[i as number]), o.maxLength).toString('utf8');
    return labels === null || o.mode === null ? text : [text, labelElement(labels[i as number], o.mode, o.classes)];
  });
  if (o.batchSize !== null) ds = ds.batch(o.batchSize);
  ds = ds.prefetch(2);
  if (o.classNames) ds.classNames = o.classNames;
  ds.filePaths = files.slice();
  return ds;
}

/**
 * A dataset of the `.txt` files under `dir`, labelled by their class folder.
 * @example
 * const trainDs = await textDatasetFromDirectory('aclImdb/train', { batchSize: 128, validationSplit: 0.2, subset: 'training', seed: 123 });
 * // Found 25000 files belonging to 2 classes.
 * // Using 20000 files for training.
 */
export function textDatasetFromDirectory(dir: string, options: TextDatasetOptions & { subset: 'both' }): Promise<[Dataset<Element>, Dataset<Element>]>;
export function textDatasetFromDirectory(dir: string, options?: TextDatasetOptions): Promise<Dataset<Element>>;
export async function textDatasetFromDirectory(dir: string, options: TextDatasetOptions = {}): Promise<Dataset<Element> | [Dataset<Element>, Dataset<Element>]> {
  const who = 'textDatasetFromDirectory';
  const { labels = 'inferred', classNames, batchSize = 32, maxLength = null, shuffle = true, followLinks = false, verbose = true } = options;
  const split = options.validationSplit ?? null;
  const subset = options.subset ?? null;
  let mode: LabelMode = options.labelMode === undefined ? 'int' : options.labelMode;
  const log = verbose ? (options.log ?? ((line: string) => console.log(line))) : () => undefined;
  if (labels !== 'inferred' && labels !== null && !Array.isArray(labels)) {
    throw new Error(`${who}: labels must be 'inferred', null or an array of integer labels, received ${JSON.stringify(labels)}`);
  }
  if (mode !== null && !['int', 'categorical', 'binary'].includes(mode)) throw new Error(`${who}: labelMode must be 'int', 'categorical', 'binary' or null, received '${String(mode)}'`);
  if (labels === null) mode = null;
  if (batchSize !== null && (!Number.isInteger(batchSize) || batchSize < 1)) throw new Error(`${who}: batchSize must be a positive integer or null, received ${batchSize}`);
  if (maxLength !== null && (!Number.isInteger(maxLength) || maxLength < 1)) throw new Error(`${who}: maxLength must be a positive integer or null, received ${maxLength}`);
  if (split !== null && !(split > 0 && split < 1)) throw new Error(`${who}: validationSplit must be between 0 and 1, received ${split}`);
  if ((split !== null) !== (subset !== null)) throw new Error(`${who}: subset and validationSplit go together: received validationSplit ${split} and subset ${subset}`);
  if (subset !== null && !['training', 'validation', 'both'].includes(subset)) throw new Error(`${who}: subset must be 'training', 'validation' or 'both', received '${String(subset)}'`);
  if (split !== null && shuffle && options.seed === undefined) {
    throw new Error(`${who}: with validationSplit and shuffle a seed is required, so that the training and validation subsets do not overlap`);
  }
  if (options.seed !== undefined && !Number.isInteger(options.seed)) throw new Error(`${who}: seed must be an integer, received ${options.seed}`);
  const seed = options.seed ?? Math.floor(Math.random() * 1e6);

  const indexed = indexDirectory(path.resolve(dir), labels, classNames, followLinks, who);
  const classes = indexed.classNames?.length ?? 0;
  log(indexed.labels === null ? `Found ${indexed.files.length} files.` : `Found ${indexed.files.length} files belonging to ${classes} classes.`);
  if (mode === 'binary' && classes !== 2) throw new Error(`${who}: labelMode 'binary' needs exactly 2 classes, found ${classes}: ${JSON.stringify(indexed.classNames)}`);
  let files = indexed.files;
  let ids = indexed.labels;
  if (shuffle) {
    const order = permutation(files.length, new Rng(seed));
    files = order.map((i) => indexed.files[i]);
    ids = ids && order.map((i) => indexed.labels![i]);
  }
  const numVal = split === null ? 0 : Math.floor(split * files.length);
  const part = (which: 'training' | 'validation'): [string[], number[] | null] => {
    const cut = files.length - numVal;
    if (which === 'training') {
      log(`Using ${cut} files for training.`);
      return [files.slice(0, cut), ids && ids.slice(0, cut)];
    }
    log(`Using ${numVal} files for validation.`);
    return [files.slice(cut), ids && ids.slice(cut)];
  };
  const common = { mode, classes, maxLength, seed, batchSize, classNames: indexed.classNames };
  const make = (f: string[], l: number[] | null, shuffled: boolean, what: string): Dataset<Element> => {
    if (f.length === 0) throw new Error(`${who}: no ${what}text files found in directory ${dir}. Allowed format: .txt`);
    return toDataset(f, l, { ...common, shuffle: shuffled });
  };
  if (subset === 'both') {
    const [tf, tl] = part('training');
    const [vf, vl] = part('validation');
    return [make(tf, tl, shuffle, 'training '), make(vf, vl, false, 'validation ')];
  }
  const [f, l] = subset === null ? [files, ids] : part(subset);
  return make(f, l, shuffle, subset === 'validation' ? 'validation ' : subset === 'training' ? 'training ' : '');
}
