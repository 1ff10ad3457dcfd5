/**
 * `getFile`: Keras's `keras.utils.get_file` (Keras 3 rules), with seqlab's data lookup.
 *
 * Where things go (as Keras 3): the folder is `<cacheDir>/<cacheSubdir>` (`cacheSubdir` may be
 * absolute). Without extraction the file is `<folder>/<fname>`. With `untar` or `extract`, an
 * `fname` with a dot (`aclImdb_v1.tar.gz`) is the archive's name and the files go to
 * `<folder>/<fname up to its first dot>_extracted`; an `fname` without a dot names the extraction
 * folder and the archive is `<folder>/<fname>_archive`. The return value is the extraction
 * folder, or the file.
 *
 * Where the file comes from, first found wins:
 *   1. the cache folder above (checked against `fileHash` when one is given; a mismatch means
 *      download again, as Keras does),
 *   2. the data directories seqlab searches (DESIGN section 5: `$SEQLAB_DATA_DIR`,
 *      `../shared/data` beside the repo root, the user cache), under `<cacheSubdir>/<fname>`,
 *      `<fname>`, and, when `origin` is a source seqlab knows (IMDb, MNIST, the text corpora),
 *      the names its loaders use (so the seed's `aclImdb_v1.tar.gz` URL finds the local
 *      `imdb/aclImdb-reviews.tar.gz`, the same layout without the unlabeled `unsup` part),
 *   3. a download from `origin` (unless `download: false` or `$SEQLAB_OFFLINE`).
 * When all fail, the error lists every place it looked.
 *
 * Extraction happens once: an existing extraction folder is used as it is (Keras 3 extracts on
 * every call). It is safe (extract.ts): nothing is written outside the folder, and a failed
 * extraction leaves no folder behind.
 *
 * Differs from Keras: the default `cacheDir` is seqlab's (`$SEQLAB_CACHE_DIR`, else
 * `~/.cache/seqlab`) rather than `~/.keras`; only tar archives (gzipped or not) are extracted, not
 * zip; a file found in a data directory is used where it is, not copied into the cache; an archive
 * that cannot be extracted is an error (Keras warns and returns the folder).
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { DataFileSpec, cacheDir as seqlabCacheDir, dataDirs } from './data_dir';
import { downloadFile } from './download';
import { extractTarArchive } from './extract';
import { IMDB_SPEC } from './imdb';
import { MNIST_SPECS } from './mnist';
import { TEXT_SPECS } from './text';

/** Options of `getFile` (Keras's `get_file`): extraction, cache folder, checksum. */
export interface GetFileOptions {
  /** Extract a tar archive (Keras's deprecated spelling of `extract` for tar files). */
  untar?: boolean;
  /** Extract the archive (tar, tar.gz). */
  extract?: boolean;
  /** Base folder (default: seqlab's cache folder). */
  cacheDir?: string;
  /** Folder under `cacheDir`, or an absolute folder (default 'datasets'). */
  cacheSubdir?: string;
  /** Expected sha256 (64 hex digits) or md5 (32) of the file. */
  fileHash?: string | null;
  /** 'auto' (default: sha256 for a 64-digit hash, else md5), 'sha256' or 'md5'. */
  hashAlgorithm?: 'auto' | 'sha256' | 'md5';
  /** Download even when the file is in the cache. */
  forceDownload?: boolean;
  /** Allow downloading (default: true unless `$SEQLAB_OFFLINE` is set). */
  download?: boolean;
  /** Where "Downloading data from ..." goes (default console.log; null for silence). */
  log?: ((line: string) => void) | null;
}

const KNOWN_SPECS: DataFileSpec[] = [IMDB_SPEC, ...Object.values(MNIST_SPECS), ...Object.values(TEXT_SPECS)];

/** The sha256 or md5 of a file, streamed. */
export async function hashFile(file: string, algorithm: 'sha256' | 'md5' = 'sha256'): Promise<string> {
  const hash = crypto.createHash(algorithm);
  for await (const chunk of fs.createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

function algorithmFor(fileHash: string, algorithm: 'auto' | 'sha256' | 'md5'): 'sha256' | 'md5' {
  return algorithm === 'auto' ? (fileHash.length === 64 ? 'sha256' : 'md5') : algorithm;
}

async function matches(file: string, fileHash: string | null, algorithm: 'sha256' | 'md5'): Promise<boolean> {
  return fileHash === null || (await hashFile(file, algorithm)) === fileHash.toLowerCase();
}

/**
 * The local path of a file (or of its extracted folder), downloading it if needed.
 * @example
 * const dir = await getFile('aclImdb_v1.tar.gz', 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz', { untar: true });
 * // dir = '~/.cache/seqlab/datasets/aclImdb_v1_extracted', holding aclImdb/{train,test}/{neg,pos}/*.txt
 */
export async function getFile(fname: string | null, origin: string, options: GetFileOptions = {}): Promise<string> {
  const who = 'getFile';
  if (typeof origin !== 'string' || origin.length === 0) throw new Error(`${who}: origin must be the URL of the file, received ${JSON.stringify(origin)}`);
  const { untar = false, extract = false, cacheSubdir = 'datasets', forceDownload = false, hashAlgorithm = 'auto' } = options;
  const fileHash = options.fileHash ?? null;
  if (!['auto', 'sha256', 'md5'].includes(hashAlgorithm)) throw new Error(`${who}: hashAlgorithm must be 'auto', 'sha256' or 'md5', received '${String(hashAlgorithm)}'`);
  if (fileHash !== null && !/^[0-9a-fA-F]{32}$|^[0-9a-fA-F]{64}$/.test(fileHash)) {
    throw new Error(`${who}: fileHash must be a sha256 (64 hex digits) or md5 (32 hex digits), received '${fileHash}'`);
  }
  const algorithm = algorithmFor(fileHash ?? '', hashAlgorithm);
  const log = options.log === undefined ? (line: string) => console.log(line) : options.log;
  let name = fname;
  if (!name) {
    name = path.posix.basename(new URL(origin).pathname);
    if (!name) throw new Error(`${who}: cannot take a file name from the origin '${origin}'; pass fname`);
  } else if (name.includes('/') || name.includes('\\')) {
    throw new Error(`${who}: fname must be a file name, not a path (received '${name}'); choose the folder with cacheDir and cacheSubdir`);
  }
  const folder = path.resolve(path.resolve(options.cacheDir ?? seqlabCacheDir()), cacheSubdir);
  const extracting = untar || extract;
  let target: string;
  let extractionDir: string | null = null;
  if (extracting && fname && name.includes('.')) {
    target = path.join(folder, name);
    extractionDir = path.join(folder, `${name.slice(0, name.indexOf('.'))}_extracted`);
  } else if (extracting) {
    extractionDir = path.join(folder, name);
    target = path.join(folder, `${name}_archive`);
  } else {
    target = path.join(folder, name);
  }
  if (extractionDir && fs.existsSync(extractionDir) && !forceDownload) return extractionDir;

  const archive = await findOrDownload(name, origin, target, cacheSubdir, { fileHash, algorithm, forceDownload, download: options.download, log }, who);
  if (extractionDir) {
    if (forceDownload) fs.rmSync(extractionDir, { recursive: true, force: true });
    await extractTarArchive(archive, extractionDir, who);
    return extractionDir;
  }
  return archive;
}

interface FindOptions {
  fileHash: string | null;
  algorithm: 'sha256' | 'md5';
  forceDownload: boolean;
  download?: boolean;
  log: ((line: string) => void) | null;
}

async function findOrDownload(name: string, origin: string, target: string, cacheSubdir: string, o: FindOptions, who: string): Promise<string> {
  const tried: string[] = [];
  if (!o.forceDownload) {
    if (fs.existsSync(target)) {
      if (await matches(target, o.fileHash, o.algorithm)) return target;
      tried.push(`${target} (cache: ${o.algorithm} does not match ${o.fileHash})`);
    } else {
      tried.push(`${target} (cache)`);
    }
    const known = KNOWN_SPECS.filter((s) => s.download?.url === origin).flatMap((s) => s.relPaths);
    const rels = Array.from(new Set([path.join(cacheSubdir, name), name, ...known]));
    for (const { dir, source } of dataDirs()) {
      for (const rel of rels) {
        const p = path.resolve(dir, rel);
        if (p === target) continue;
        if (!fs.existsSync(p) || !fs.statSync(p).isFile()) {
          tried.push(`${p} (${source})`);
        } else if (await matches(p, o.fileHash, o.algorithm)) {
          return p;
        } else {
          tried.push(`${p} (${source}: ${o.algorithm} does not match ${o.fileHash})`);
        }
      }
    }
  }
  const allowed = o.download ?? !process.env.SEQLAB_OFFLINE;
  let failure: string;
  if (allowed) {
    o.log?.(`Downloading data from ${origin}`);
    try {
      await downloadFile(origin, target, { sha256: o.fileHash !== null && o.algorithm === 'sha256' ? o.fileHash : null });
      if (o.algorithm === 'md5' && !(await matches(target, o.fileHash, 'md5'))) {
        fs.rmSync(target, { force: true });
        throw new Error(`the md5 of the download does not match ${o.fileHash}; the file was deleted`);
      }
      return target;
    } catch (e) {
      failure = `the download from ${origin} failed: ${(e as Error).message}`;
    }
  } else {
    failure = 'downloads are disabled (download: false or $SEQLAB_OFFLINE)';
  }
  throw new Error(`${who}: ${name} not found. Looked in:\n  ${tried.join('\n  ')}\nand ${failure}.\nTo provide it: put the file at ${target}, or in one of the data directories above.`);
}
