/**
 * The IMDb loader's cache of the tokenized corpus (imdb.ts): one file per source, written
 * atomically, carrying a sha256 of its contents that is checked, with the ranges of every array, on
 * each read. A file that fails a check is treated as absent, so the corpus is tokenized again.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { cacheDir } from './data_dir';

/** Bump when tokenization or the cache layout changes: old cache files are then ignored. */
const TOKENIZER_VERSION = 1;
const CACHE_MAGIC = 'SQIMDB02';

export interface TokenizedSplit {
  labels: Uint8Array;
  /** Review r holds ids[offsets[r] .. offsets[r+1]). */
  offsets: Uint32Array;
  /** Word ranks from 1. */
  ids: Uint32Array;
}

export interface Tokenized {
  /** vocab[r - 1] is the word of rank r. */
  vocab: string[];
  train: TokenizedSplit;
  test: TokenizedSplit;
}

export function cacheFile(key: string): string {
  return path.join(cacheDir(), 'imdb', `tokenized-${key}.bin`);
}

/** The cache key of a source: its kind ('archive' or 'directory') and the fingerprint of its files, with the tokenizer version. */
export function cacheKey(kind: string, fingerprint: string): string {
  return crypto.createHash('sha256').update(`v${TOKENIZER_VERSION}|${kind}|${fingerprint}`).digest('hex').slice(0, 32);
}

/**
 * Layout: magic (8 bytes), sha256 of everything after it (32 bytes), u32 header length, header
 * JSON, pad to 4, then per split labels (padded to 4), offsets and ids.
 */
export function serialize(key: string, t: Tokenized): Buffer {
  const header = Buffer.from(JSON.stringify({ key, vocab: t.vocab, train: t.train.labels.length, test: t.test.labels.length }), 'utf8');
  const pad4 = (n: number): number => (4 - (n % 4)) % 4;
  const len = Buffer.alloc(4);
  len.writeUInt32LE(header.length, 0);
  const parts: Buffer[] = [len, header, Buffer.alloc(pad4(HEAD + 4 + header.length))];
  for (const s of [t.train, t.test]) {
    parts.push(Buffer.from(s.labels.buffer, s.labels.byteOffset, s.labels.byteLength), Buffer.alloc(pad4(s.labels.length)));
    parts.push(Buffer.from(s.offsets.buffer, s.offsets.byteOffset, s.offsets.byteLength));
    parts.push(Buffer.from(s.ids.buffer, s.ids.byteOffset, s.ids.byteLength));
  }
  const body = Buffer.concat(parts);
  return Buffer.concat([Buffer.from(CACHE_MAGIC, 'ascii'), crypto.createHash('sha256').update(body).digest(), body]);
}

/** Bytes before the header length: magic and checksum. */
const HEAD = 8 + 32;

/** A split is well formed: labels 0/1, offsets rising from 0 to the id count, ids in [1, vocabulary size]. */
function wellFormed(s: TokenizedSplit, vocabSize: number): boolean {
  const n = s.labels.length;
  if (s.offsets[0] !== 0 || s.offsets[n] !== s.ids.length) return false;
  for (let r = 0; r < n; r++) if (s.labels[r] > 1 || s.offsets[r + 1] < s.offsets[r]) return false;
  for (let k = 0; k < s.ids.length; k++) if (s.ids[k] < 1 || s.ids[k] > vocabSize) return false;
  return true;
}

/** The cached corpus, or null when the file is not a complete, unaltered cache for `key`. */
function deserialize(key: string, buf: Buffer): Tokenized | null {
  if (buf.length < HEAD + 4 || buf.toString('ascii', 0, 8) !== CACHE_MAGIC) return null;
  const sum = crypto.createHash('sha256').update(buf.subarray(HEAD)).digest();
  if (!sum.equals(buf.subarray(8, HEAD))) return null;
  const hlen = buf.readUInt32LE(HEAD);
  const header = JSON.parse(buf.toString('utf8', HEAD + 4, HEAD + 4 + hlen)) as { key: string; vocab: string[]; train: number; test: number };
  if (header.key !== key) return null;
  // Copy into a fresh, aligned buffer so the typed-array views below are valid.
  const bytes = new Uint8Array(buf.length);
  bytes.set(buf);
  let off = HEAD + 4 + hlen;
  off += (4 - (off % 4)) % 4;
  const readSplit = (n: number): TokenizedSplit | null => {
    if (off + n + 4 * (n + 1) > bytes.length) return null;
    const labels = bytes.slice(off, off + n);
    off += n + ((4 - (n % 4)) % 4);
    const offsets = new Uint32Array(bytes.buffer, off, n + 1);
    off += 4 * (n + 1);
    const total = offsets[n];
    if (off + 4 * total > bytes.length) return null;
    const ids = new Uint32Array(bytes.buffer, off, total);
    off += 4 * total;
    return { labels, offsets, ids };
  };
  const train = readSplit(header.train);
  const test = train && readSplit(header.test);
  if (!train || !test || off !== bytes.length) return null;
  if (!wellFormed(train, header.vocab.length) || !wellFormed(test, header.vocab.length)) return null;
  return { vocab: header.vocab, train, test };
}

/** The cache file for `key` when it is present, complete and unaltered; null otherwise (it is then rebuilt). */
export function readCache(key: string): Tokenized | null {
  const file = cacheFile(key);
  if (!fs.existsSync(file)) return null;
  try {
    return deserialize(key, fs.readFileSync(file));
  } catch {
    return null;
  }
}

