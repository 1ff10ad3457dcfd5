/**
 * `downloadFile`: HTTP(S) GET to a temporary file beside the destination, sha256 computed while
 * streaming, then checked, then renamed into place. On any failure (HTTP error, refused or broken
 * connection, checksum mismatch) the temporary file is deleted, so the cache never holds a
 * half-written file or one that fails its checksum. Resolves with the sha256 of what was written.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as http from 'http';
import * as https from 'https';
import * as path from 'path';
import { SingleBar, Presets } from 'cli-progress';

/** Options of `downloadFile`: the expected checksum, progress, time-out and redirects. */
export interface DownloadOptions {
  /**
   * Expected sha256 (hex): the file is put in place only if it matches. `null` accepts any content
   * (what `getFile` does without a `fileHash`, as Keras does); the digest is still computed.
   */
  sha256: string | null;
  /** Progress bar on stderr (default: only when stderr is a terminal). */
  progress?: boolean;
  /** Milliseconds without data before giving up (default 30 s). */
  timeoutMs?: number;
  /** Redirects to follow (default 5). */
  maxRedirects?: number;
}

/**
 * Downloads `url` to `dest` through a temporary file, checking its sha256, and returns `dest`;
 * nothing is left at `dest` when the download fails or the checksum differs.
 *
 * @example
 * await downloadFile('https://www.gutenberg.org/cache/epub/2265/pg2265.txt',
 *   '/home/me/.cache/seqlab/text/hamlet-pg2265.txt', { sha256: '048e9e99...' });
 */
export async function downloadFile(url: string, dest: string, options: DownloadOptions): Promise<string> {
  const expected = options.sha256 === null ? null : String(options.sha256).toLowerCase();
  if (expected !== null && !/^[0-9a-f]{64}$/.test(expected)) {
    throw new Error(`downloadFile: sha256 must be 64 hex digits, received '${options.sha256}'`);
  }
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  const tmp = `${dest}.download-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  try {
    const actual = await fetchToFile(url, tmp, options, options.maxRedirects ?? 5);
    if (expected !== null && actual !== expected) {
      throw new Error(`downloadFile: checksum mismatch for ${url}: expected sha256 ${expected}, received ${actual}; the downloaded file was deleted`);
    }
    fs.renameSync(tmp, dest);
    return actual;
  } finally {
    fs.rmSync(tmp, { force: true });
  }
}

/** Streams `url` into `file`; resolves with the sha256 of the bytes written. */
function fetchToFile(url: string, file: string, options: DownloadOptions, redirectsLeft: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new Error(`downloadFile: not a valid URL: '${url}'`));
      return;
    }
    const get = parsed.protocol === 'https:' ? https.get : parsed.protocol === 'http:' ? http.get : null;
    if (!get) {
      reject(new Error(`downloadFile: only http and https URLs are supported, received '${url}'`));
      return;
    }
    const req = get(parsed, { headers: { 'user-agent': 'seqlab-datasets' } }, (res) => {
      const status = res.statusCode ?? 0;
      if (status >= 300 && status < 400 && res.headers.location) {
        res.resume();
        if (redirectsLeft <= 0) {
          reject(new Error(`downloadFile: too many redirects fetching ${url}`));
          return;
        }
        const next = new URL(res.headers.location, parsed).toString();
        fetchToFile(next, file, options, redirectsLeft - 1).then(resolve, reject);
        return;
      }
      if (status !== 200) {
        res.resume();
        reject(new Error(`downloadFile: server answered HTTP ${status} ${res.statusMessage ?? ''} for ${url}`.trimEnd()));
        return;
      }
      const total = Number(res.headers['content-length'] ?? 0);
      const showBar = options.progress ?? Boolean(process.stderr.isTTY);
      const bar = showBar
        ? new SingleBar(
            { format: `${path.basename(file).replace(/\.download-.*$/, '')} [{bar}] {percentage}% | {value}/{total} bytes`, stream: process.stderr },
            Presets.shades_classic,
          )
        : null;
      bar?.start(total || 1, 0);
      const hash = crypto.createHash('sha256');
      const out = fs.createWriteStream(file);
      let received = 0;
      let error: Error | null = null;
      // Settle only once the file is closed, so the caller's cleanup never races a pending open.
      const fail = (err: Error): void => {
        if (error) return;
        error = err;
        bar?.stop();
        res.destroy();
        out.destroy();
      };
      res.on('data', (chunk: Buffer) => {
        received += chunk.length;
        hash.update(chunk);
        bar?.update(total ? received : 0);
      });
      res.on('error', (e) => fail(new Error(`downloadFile: connection to ${url} broke after ${received} bytes: ${e.message}`)));
      res.on('aborted', () => fail(new Error(`downloadFile: connection to ${url} was closed after ${received} bytes`)));
      out.on('error', (e) => fail(new Error(`downloadFile: could not write ${file}: ${e.message}`)));
      out.on('close', () => {
        bar?.stop();
        if (error) reject(error);
        else if (total && received !== total) reject(new Error(`downloadFile: ${url} announced ${total} bytes but sent ${received}`));
        else resolve(hash.digest('hex'));
      });
      res.pipe(out);
    });
    req.setTimeout(options.timeoutMs ?? 30000, () => {
      req.destroy(new Error(`no data for ${(options.timeoutMs ?? 30000) / 1000} s`));
    });
    req.on('error', (e: NodeJS.ErrnoException) => {
      const why = e.code === 'ECONNREFUSED' ? 'connection refused' : e.code === 'ENOTFOUND' ? 'host not found (no network?)' : e.message;
      reject(new Error(`downloadFile: could not fetch ${url}: ${why}`));
    });
  });
}
