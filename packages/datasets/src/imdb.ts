/**
 * IMDb movie reviews (Maas et al., ACL 2011), built from the raw `aclImdb` reviews, with the
 * options and output of Keras's `keras.datasets.imdb`.
 *
 * Source: a directory holding `aclImdb/` (or the `aclImdb` folder itself), or a `.tar.gz` of that
 * layout, streamed (the reduced `aclImdb-reviews.tar.gz` of ../shared/data and the original
 * `aclImdb_v1.tar.gz` both work; `unsup/` and the bag-of-words files are ignored). Every review
 * `aclImdb/{train,test}/{pos,neg}/ID_RATING.txt` must be valid UTF-8.
 *
 * Tokenization (`imdbTokenize`), exactly:
 *   1. lowercase (`String.prototype.toLowerCase`),
 *   2. replace every `<br />` (also `<br/>`, `<br>`) by a space, and `’` by `'`,
 *   3. tokens are maximal runs of Unicode letters and digits, joined by single inner
 *      apostrophes: `/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*\/gu`. So "don't" and "it's" stay whole,
 *      quotes around words are dropped, "10/10" is two tokens "10", and all other punctuation
 *      separates tokens.
 *
 * Word ids: words are ranked by their count over all 50,000 train and test reviews, most frequent
 * first (rank 1); equal counts are ordered by the word (code-unit order), so the ranking does not
 * depend on the order files are read. `getWordIndex()` returns these ranks (word -> rank from 1,
 * no offset), like Keras's `get_word_index()`. In `loadData` a word of rank r has id
 * `r + indexFrom`, so the most frequent word is `1 + indexFrom`.
 *
 * Order: each split is sorted by label (neg, then pos) and review id, then shuffled with
 * `new Rng(seed)`: one generator draws the train permutation, then the test permutation, as Keras
 * does with `np.random.RandomState(seed)` (same idea, different generator, so different order).
 *
 * Verification: the reviews read are counted per split and label and held to `expectedCounts`
 * (default `IMDB_COUNTS`, the published 12,500 negative and 12,500 positive reviews in each of train
 * and test); a source that falls short (an interrupted extraction, an archive cut at an entry
 * boundary) is refused, naming the counts, before anything is cached. Pass `expectedCounts: null`
 * for a corpus of your own in the aclImdb layout.
 *
 * Cache: the tokenized corpus is written to `<cacheDir>/imdb/tokenized-<key>.bin` (temp file +
 * rename); the key hashes the source's real path, size and mtime (each file's, for a directory) and
 * the tokenizer version, so a changed source is tokenized again. The file carries a sha256 of its
 * contents, checked on every read with the ranges of labels, offsets and ids: a cache that fails any
 * check is rebuilt from the source. It is also kept in memory.
 *
 * @packageDocumentation
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { Rng, Tensor, permutation } from '@seqlab/tensor';
import { DataFileSpec, LocateOptions, locateDataFile, writeFileAtomic } from './data_dir';
import { Tokenized, TokenizedSplit, cacheFile, cacheKey, readCache, serialize } from './imdb_cache';
import { readTarGz } from './tar';

/** Bump when tokenization or the cache layout changes: old cache files are then ignored. */

/** Reviews per label in one split: `{ neg, pos }`. */
export interface LabelCounts {
  neg: number;
  pos: number;
}

/** How many reviews of each label each split holds. */
export interface ImdbCounts {
  train: LabelCounts;
  test: LabelCounts;
}

/** The published figures of the aclImdb corpus (Maas et al. 2011): 25,000 labelled reviews per split, half of each label. */
export const IMDB_COUNTS: ImdbCounts = Object.freeze({
  train: Object.freeze({ neg: 12500, pos: 12500 }),
  test: Object.freeze({ neg: 12500, pos: 12500 }),
});

/** Where the IMDb reviews are looked for and downloaded from (Stanford's aclImdb_v1.tar.gz). */
export const IMDB_SPEC: DataFileSpec = {
  name: 'imdb',
  relPaths: ['imdb/aclImdb-reviews.tar.gz', 'imdb/aclImdb_v1.tar.gz', 'imdb/aclImdb'],
  download: { url: 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz', relPath: 'imdb/aclImdb_v1.tar.gz', sha256: null },
};

/** The aclImdb splits. */
export type Split = 'train' | 'test';

/** One review as read from the aclImdb archive. */
export interface RawReview {
  split: Split;
  /** 0 = negative, 1 = positive. */
  label: number;
  /** The review's number (the ID of ID_RATING.txt). */
  id: number;
  /** The star rating, 1-10 (the RATING of ID_RATING.txt). */
  rating: number;
  text: string;
}

/** What a review source must hold to be accepted. */
export interface VerifyOptions {
  /** Counts the source must hold (default IMDB_COUNTS); null accepts any non-empty corpus in the aclImdb layout. */
  expectedCounts?: ImdbCounts | null;
}

/** Where the reviews come from (LocateOptions), the counts they must have, and the tokenized cache. */
export interface ImdbSourceOptions extends LocateOptions, VerifyOptions {
  /** Use the tokenized cache on disk (default true). */
  cache?: boolean;
}

/**
 * Options of `imdb.loadData`, as Keras's `imdb.load_data`: vocabulary size, skipped top words,
 * maximum length, the start, out-of-vocabulary and first-word ids, the shuffle seed.
 */
export interface ImdbLoadOptions extends ImdbSourceOptions {
  /** Keep words of id < numWords (after the indexFrom shift); the others become oovChar. */
  numWords?: number | null;
  /** Ids below skipTop (start mark included, as in Keras) become oovChar. */
  skipTop?: number;
  /** Drop reviews whose length (start mark included) is not below maxlen, as Keras does. */
  maxlen?: number | null;
  seed?: number;
  startChar?: number | null;
  /** null drops out-of-range words instead of marking them. */
  oovChar?: number | null;
  indexFrom?: number;
}

/** `[[xTrain, yTrain], [xTest, yTest]]`, y as float32 `[n]` tensors of 0/1. */
export type ImdbData = [[number[][], Tensor], [number[][], Tensor]];
/** `[[trainTexts, yTrain], [testTexts, yTest]]`: the raw review texts, y as float32 `[n]` tensors of 0/1. */
export type ImdbTexts = [[string[], Tensor], [string[], Tensor]];

/** Tokenizes one review as documented at the top of this file. */
export function imdbTokenize(text: string): string[] {
  const s = text.toLowerCase().replace(/<br\s*\/?>/g, ' ').replace(/\u2019/g, "'");
  return s.match(/[\p{L}\p{N}]+(?:'[\p{L}\p{N}]+)*/gu) ?? [];
}

// ---------------------------------------------------------------------------------------------
// reading raw reviews

const REVIEW_PATH = /(?:^|\/)aclImdb\/(train|test)\/(pos|neg)\/(\d+)_(\d+)\.txt$/;

interface SourceInfo {
  kind: 'archive' | 'directory';
  path: string;
  /** Identity of the content for the cache key. */
  fingerprint: string;
  /** Directory only: the review files found. */
  files?: { rel: string; abs: string }[];
}

function describeSource(p: string): SourceInfo {
  const real = fs.realpathSync(p);
  const st = fs.statSync(real);
  if (st.isFile()) return { kind: 'archive', path: real, fingerprint: `${real}|${st.size}|${st.mtimeMs}` };
  let root = real;
  if (!fs.existsSync(path.join(root, 'train')) && fs.existsSync(path.join(root, 'aclImdb'))) root = path.join(root, 'aclImdb');
  const files: { rel: string; abs: string }[] = [];
  const parts: string[] = [root];
  for (const split of ['train', 'test']) {
    for (const label of ['neg', 'pos']) {
      const dir = path.join(root, split, label);
      if (!fs.existsSync(dir)) continue;
      for (const name of fs.readdirSync(dir).sort()) {
        const rel = `aclImdb/${split}/${label}/${name}`;
        if (!REVIEW_PATH.test(rel)) continue;
        const abs = path.join(dir, name);
        const fst = fs.statSync(abs);
        files.push({ rel, abs });
        parts.push(`${rel}:${fst.size}:${fst.mtimeMs}`);
      }
    }
  }
  if (files.length === 0) {
    throw new Error(`imdb: no reviews in ${real}: expected the aclImdb layout {train,test}/{pos,neg}/ID_RATING.txt (in that folder or in an aclImdb/ subfolder)`);
  }
  return { kind: 'directory', path: root, fingerprint: crypto.createHash('sha256').update(parts.join('\n')).digest('hex'), files };
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function parseReview(rel: string, data: Uint8Array, source: string): RawReview {
  const m = REVIEW_PATH.exec(rel) as RegExpExecArray;
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    throw new Error(`imdb: review ${rel} in ${source} is not valid UTF-8; expected UTF-8 text as in the original aclImdb archive`);
  }
  return { split: m[1] as Split, label: m[2] === 'pos' ? 1 : 0, id: Number(m[3]), rating: Number(m[4]), text };
}

async function readReviews(info: SourceInfo): Promise<RawReview[]> {
  const reviews: RawReview[] = [];
  if (info.kind === 'directory') {
    for (const f of info.files ?? []) reviews.push(parseReview(f.rel, fs.readFileSync(f.abs), info.path));
  } else {
    await readTarGz(
      info.path,
      (name) => REVIEW_PATH.test(name),
      (name, data) => reviews.push(parseReview(name, data, info.path)),
      'imdb',
    );
    if (reviews.length === 0) {
      throw new Error(`imdb: no reviews in ${info.path}: expected a tar archive with aclImdb/{train,test}/{pos,neg}/ID_RATING.txt entries`);
    }
  }
  // Canonical order, whatever order the files came in: split, label (neg first), id.
  reviews.sort((a, b) => (a.split === b.split ? 0 : a.split === 'train' ? -1 : 1) || a.label - b.label || a.id - b.id);
  return reviews;
}

const fmt = (n: number): string => n.toLocaleString('en-US');

/**
 * Refuses a corpus whose counts differ from `expected`: `counts(split, label)` gives what was read.
 * Called on what the source gave and on what a cache holds, before either is used or cached.
 */
function verifyCounts(counts: (split: Split, label: number) => number, expected: ImdbCounts | null | undefined, source: string): void {
  if (expected === null) return;
  const want = expected ?? IMDB_COUNTS;
  const got: ImdbCounts = {
    train: { neg: counts('train', 0), pos: counts('train', 1) },
    test: { neg: counts('test', 0), pos: counts('test', 1) },
  };
  const same = (['train', 'test'] as const).every((s) => got[s].neg === want[s].neg && got[s].pos === want[s].pos);
  if (same) return;
  const show = (c: ImdbCounts): string =>
    (['train', 'test'] as const).map((s) => `${s} ${fmt(c[s].neg)} neg + ${fmt(c[s].pos)} pos`).join(', ');
  throw new Error(
    `imdb: ${source} holds ${show(got)}; expected ${show(want)}${expected === undefined ? ' (the published aclImdb figures)' : ''}. ` +
      `The source looks incomplete or altered (an interrupted download or extraction?): remove it and fetch it again, ` +
      `or pass expectedCounts: null for a corpus of your own`,
  );
}

function verifyReviews(reviews: RawReview[], expected: ImdbCounts | null | undefined, source: string): void {
  const n = { train: [0, 0], test: [0, 0] };
  for (const r of reviews) n[r.split][r.label]++;
  verifyCounts((split, label) => n[split][label], expected, source);
}

async function sourceInfo(options: LocateOptions): Promise<SourceInfo> {
  return describeSource(await locateDataFile(IMDB_SPEC, options));
}

/**
 * The raw reviews and labels, shuffled with `seed` exactly as `loadData` shuffles (without
 * `maxlen`, `texts[i]` is the text of `loadData`'s `x[i]`).
 * @example
 * const [[texts, labels]] = await imdb.loadTexts();
 */
export async function loadTexts(options: LocateOptions & VerifyOptions & { seed?: number } = {}): Promise<ImdbTexts> {
  const info = await sourceInfo(options);
  const reviews = await readReviews(info);
  verifyReviews(reviews, options.expectedCounts, info.path);
  const train = reviews.filter((r) => r.split === 'train');
  const test = reviews.filter((r) => r.split === 'test');
  const rng = new Rng(options.seed ?? 113);
  const pick = (rs: RawReview[], order: number[]): [string[], Tensor] => [
    order.map((i) => rs[i].text),
    new Tensor(Float32Array.from(order, (i) => rs[i].label), [order.length]),
  ];
  const trainOrder = permutation(train.length, rng);
  const testOrder = permutation(test.length, rng);
  return [pick(train, trainOrder), pick(test, testOrder)];
}

/** Every review with split, label, id and rating, in canonical order (no shuffle). */
export async function loadReviews(options: LocateOptions & VerifyOptions = {}): Promise<RawReview[]> {
  const info = await sourceInfo(options);
  const reviews = await readReviews(info);
  verifyReviews(reviews, options.expectedCounts, info.path);
  return reviews;
}

// ---------------------------------------------------------------------------------------------
// tokenized corpus and its cache

const memo = new Map<string, Tokenized>();

function tokenizeAll(reviews: RawReview[]): Tokenized {
  const tmpId = new Map<string, number>();
  const words: string[] = [];
  const counts: number[] = [];
  const perReview: Uint32Array[] = new Array(reviews.length);
  for (let r = 0; r < reviews.length; r++) {
    const tokens = imdbTokenize(reviews[r].text);
    const ids = new Uint32Array(tokens.length);
    for (let k = 0; k < tokens.length; k++) {
      const w = tokens[k];
      let id = tmpId.get(w);
      if (id === undefined) {
        id = words.length;
        tmpId.set(w, id);
        words.push(w);
        counts.push(0);
      }
      counts[id]++;
      ids[k] = id;
    }
    perReview[r] = ids;
  }
  const order = Array.from(words.keys()).sort((a, b) => counts[b] - counts[a] || (words[a] < words[b] ? -1 : words[a] > words[b] ? 1 : 0));
  const rankOf = new Uint32Array(words.length);
  order.forEach((tmp, i) => (rankOf[tmp] = i + 1));
  const build = (split: Split): TokenizedSplit => {
    const idx = reviews.map((r, i) => (r.split === split ? i : -1)).filter((i) => i >= 0);
    const offsets = new Uint32Array(idx.length + 1);
    idx.forEach((r, k) => (offsets[k + 1] = offsets[k] + perReview[r].length));
    const ids = new Uint32Array(offsets[idx.length]);
    idx.forEach((r, k) => {
      const src = perReview[r];
      const o = offsets[k];
      for (let t = 0; t < src.length; t++) ids[o + t] = rankOf[src[t]];
    });
    return { labels: Uint8Array.from(idx, (r) => reviews[r].label), offsets, ids };
  };
  return { vocab: order.map((t) => words[t]), train: build('train'), test: build('test') };
}

function verifyTokenized(t: Tokenized, expected: ImdbCounts | null | undefined, source: string): void {
  const count = (s: TokenizedSplit, label: number): number => s.labels.reduce((a, l) => a + (l === label ? 1 : 0), 0);
  verifyCounts((split, label) => count(split === 'train' ? t.train : t.test, label), expected, source);
}

async function tokenized(options: ImdbSourceOptions): Promise<Tokenized> {
  const info = await sourceInfo(options);
  const key = cacheKey(info.kind, info.fingerprint);
  const useCache = options.cache ?? true;
  const kept = memo.get(key) ?? (useCache ? readCache(key) : null);
  if (kept) {
    // a corpus cached under `expectedCounts: null` is held to the counts asked for now
    verifyTokenized(kept, options.expectedCounts, info.path);
    memo.set(key, kept);
    return kept;
  }
  const reviews = await readReviews(info);
  verifyReviews(reviews, options.expectedCounts, info.path); // refused before anything is cached
  const t = tokenizeAll(reviews);
  if (useCache) writeFileAtomic(cacheFile(key), serialize(key, t));
  memo.set(key, t);
  return t;
}

/** Forgets the in-memory copy of tokenized corpora (the disk cache stays). */
export function clearMemoryCache(): void {
  memo.clear();
}

// ---------------------------------------------------------------------------------------------
// Keras API

/**
 * Keras `imdb.load_data`: reviews as lists of word ids, labels 0/1.
 * @example
 * const [[xTrain, yTrain], [xTest, yTest]] = await imdb.loadData({ numWords: 10000, skipTop: 20 });
 * const x = padSequences(xTrain, { maxlen: 128 });
 */
export async function loadData(options: ImdbLoadOptions = {}): Promise<ImdbData> {
  const { numWords = null, skipTop = 0, maxlen = null, seed = 113, startChar = 1, oovChar = 2, indexFrom = 3 } = options;
  const checkInt = (name: string, v: number | null, min: number): void => {
    if (v !== null && (!Number.isInteger(v) || v < min)) throw new Error(`imdb.loadData: ${name} must be an integer >= ${min}${v === null ? '' : ' or null'}, received ${v}`);
  };
  checkInt('numWords', numWords, 1);
  checkInt('skipTop', skipTop, 0);
  checkInt('maxlen', maxlen, 1);
  checkInt('startChar', startChar, 0);
  checkInt('oovChar', oovChar, 0);
  checkInt('indexFrom', indexFrom, 0);
  const t = await tokenized(options);
  const rng = new Rng(seed);
  const orders = [permutation(t.train.labels.length, rng), permutation(t.test.labels.length, rng)];

  // Differs from Keras: without numWords Keras uses the largest id as the limit, which turns that
  // one word into oovChar by its strict `w < num_words`; here every word is kept.
  const limit = numWords ?? Infinity;
  const out: [number[][], number[]][] = [];
  [t.train, t.test].forEach((split, s) => {
    const xs: number[][] = [];
    const ys: number[] = [];
    for (const r of orders[s]) {
      const from = split.offsets[r];
      const to = split.offsets[r + 1];
      const len = to - from + (startChar !== null ? 1 : 0);
      if (maxlen !== null && !(len < maxlen)) continue;
      const seq: number[] = [];
      const put = (w: number): void => {
        if (skipTop <= w && w < limit) seq.push(w);
        else if (oovChar !== null) seq.push(oovChar);
      };
      if (startChar !== null) put(startChar);
      for (let k = from; k < to; k++) put(split.ids[k] + indexFrom);
      xs.push(seq);
      ys.push(split.labels[r]);
    }
    out.push([xs, ys]);
  });
  if (maxlen !== null && (out[0][0].length === 0 || out[1][0].length === 0)) {
    throw new Error(`imdb.loadData: after dropping reviews of ${maxlen} ids or more, no ${out[0][0].length === 0 ? 'train' : 'test'} review is left; increase maxlen`);
  }
  const asTensor = (ys: number[]): Tensor => new Tensor(Float32Array.from(ys), [ys.length]);
  return [
    [out[0][0], asTensor(out[0][1])],
    [out[1][0], asTensor(out[1][1])],
  ];
}

/** Keras `imdb.get_word_index`: word -> frequency rank from 1 (no indexFrom offset). */
export async function getWordIndex(options: ImdbSourceOptions = {}): Promise<Map<string, number>> {
  const t = await tokenized(options);
  const index = new Map<string, number>();
  t.vocab.forEach((w, i) => index.set(w, i + 1));
  return index;
}

const reverses = new WeakMap<Map<string, number>, string[]>();

/**
 * Ids of `loadData` back to words: `id - indexFrom` is looked up in the word index; reserved and
 * unknown ids (padding, start, OOV) become `unknown` ('?' as in the Keras examples).
 */
export function decodeReview(
  ids: ArrayLike<number>,
  wordIndex: Map<string, number>,
  options: { indexFrom?: number; unknown?: string; skipPadding?: boolean } = {},
): string[] {
  const { indexFrom = 3, unknown = '?', skipPadding = true } = options;
  let reverse = reverses.get(wordIndex);
  if (!reverse) {
    reverse = [];
    for (const [w, r] of wordIndex) reverse[r] = w;
    reverses.set(wordIndex, reverse);
  }
  const words: string[] = [];
  for (let k = 0; k < ids.length; k++) {
    if (skipPadding && ids[k] === 0) continue;
    words.push(reverse[ids[k] - indexFrom] ?? unknown);
  }
  return words;
}
