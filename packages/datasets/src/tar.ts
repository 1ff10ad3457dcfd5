/**
 * Streaming reader for `.tar.gz` (and plain `.tar`) archives: gunzip -> tar-stream, one file at a
 * time, never the whole archive in memory. A truncated or corrupt archive rejects with an error
 * naming the archive; callers collect into local state and return nothing on failure.
 */
import * as fs from 'fs';
import * as zlib from 'zlib';
import { extract } from 'tar-stream';

/** Called for each regular file; return false to skip its contents (they are not buffered). */
export type TarEntryFilter = (name: string) => boolean;
/** Receives each wanted regular file of an archive: its name and its contents. */
export type TarEntryHandler = (name: string, data: Buffer) => void;

/**
 * Reads a .tar.gz archive as a stream, handing each wanted regular file to `onEntry`; resolves to
 * the number of files handed over.
 *
 * @example
 * await readTarGz('aclImdb_v1.tar.gz', (n) => n.endsWith('.txt'), (n, data) => files.set(n, data));
 */
export function readTarGz(file: string, wanted: TarEntryFilter, onEntry: TarEntryHandler, caller = 'readTarGz'): Promise<number> {
  return new Promise((resolve, reject) => {
    let settled = false;
    let count = 0;
    const source = fs.createReadStream(file);
    const tar = extract();
    const fail = (what: string, e: Error): void => {
      if (settled) return;
      settled = true;
      source.destroy();
      tar.destroy();
      reject(new Error(`${caller}: could not read ${file}: ${what}: ${e.message}`));
    };
    // gzip magic 1f 8b; anything else is read as a plain tar.
    const head = Buffer.alloc(2);
    let fd: number;
    try {
      fd = fs.openSync(file, 'r');
    } catch (e) {
      reject(new Error(`${caller}: could not open ${file}: ${(e as Error).message}`));
      return;
    }
    fs.readSync(fd, head, 0, 2, 0);
    fs.closeSync(fd);
    const gzipped = head[0] === 0x1f && head[1] === 0x8b;

    tar.on('entry', (header, stream, next) => {
      if (header.type !== 'file' || !wanted(header.name)) {
        stream.on('end', next);
        stream.resume();
        return;
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: unknown) => {
        chunks.push(c as Buffer);
      });
      stream.on('end', () => {
        if (settled) return;
        try {
          onEntry(header.name, Buffer.concat(chunks));
          count++;
          next();
        } catch (e) {
          fail(`entry ${header.name}`, e as Error);
        }
      });
      stream.on('error', (e: Error) => fail(`entry ${header.name}`, e));
    });
    tar.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve(count);
    });
    tar.on('error', (e: Error) => fail('the archive is truncated or not a valid tar', e));
    source.on('error', (e) => fail('read error', e));
    if (gzipped) {
      const gunzip = zlib.createGunzip();
      gunzip.on('error', (e) => fail('the gzip stream is truncated or corrupt', e));
      source.pipe(gunzip).pipe(tar);
    } else {
      source.pipe(tar);
    }
  });
}
