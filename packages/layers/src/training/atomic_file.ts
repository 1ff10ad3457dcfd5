/**
 * Atomic file writes for weights and model files (Node only).
 *
 * A save writes a temporary file beside the target, fsyncs it, renames it over the target and
 * fsyncs the directory, so a reader (or a crash at any instant) sees either the complete old
 * file or the complete new one. Temporary names are `.<file>.<pid>.<random>.tmp`: unique even
 * for two saves to one path in the same millisecond, in one process or several. A save first
 * removes the temporaries of the same target left by processes that no longer exist (a writer
 * killed mid-save), so killed writers never pile up files.
 */
import { randomBytes } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

const escapeRe = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The temporary-file pattern of `base`: captures the writer's pid. */
function tempPattern(base: string): RegExp {
  return new RegExp(`^\\.${escapeRe(base)}\\.(\\d+)\\.[0-9a-f]+\\.tmp$`);
}

function processAlive(pid: number): boolean {
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: it exists but belongs to someone else
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes temporaries of `file` whose writer process is gone; returns how many were removed. */
export async function removeStaleTemporaries(file: string): Promise<number> {
  const dir = path.dirname(path.resolve(file));
  const pattern = tempPattern(path.basename(file));
  let names: string[];
  try {
    names = await fs.promises.readdir(dir);
  } catch {
    return 0;
  }
  let removed = 0;
  for (const name of names) {
    const m = pattern.exec(name);
    if (!m || processAlive(Number(m[1]))) continue;
    await fs.promises.rm(path.join(dir, name), { force: true });
    removed++;
  }
  return removed;
}

/** A clear message for the file-system errors a user can cause, naming the caller and the path. */
function describe(who: string, file: string, e: NodeJS.ErrnoException): Error {
  const why: Record<string, string> = {
    EISDIR: 'it is a directory; give a file path',
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'the file system is read-only',
    ENOSPC: 'no space left on the device',
    ENOTDIR: 'a part of the path is a file, not a directory',
  };
  const err = new Error(`${who}: cannot write ${file}: ${why[e.code ?? ''] ?? e.message}${e.code ? ` (${e.code})` : ''}`);
  (err as NodeJS.ErrnoException).code = e.code;
  return err;
}

/**
 * Writes `bytes` to `file` atomically (unique temporary, fsync, rename, directory fsync).
 * `who` names the caller in errors, e.g. `saveWeights`.
 */
export async function writeFileAtomic(file: string, bytes: Uint8Array, who = 'writeFileAtomic'): Promise<void> {
  const target = path.resolve(file);
  const dir = path.dirname(target);
  try {
    const st = await fs.promises.stat(target).catch(() => null);
    if (st?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    await fs.promises.mkdir(dir, { recursive: true });
  } catch (e) {
    throw describe(who, file, e as NodeJS.ErrnoException);
  }
  await removeStaleTemporaries(target);
  const tmp = path.join(dir, `.${path.basename(target)}.${process.pid}.${randomBytes(8).toString('hex')}.tmp`);
  let handle: fs.promises.FileHandle | null = null;
  try {
    handle = await fs.promises.open(tmp, 'wx');
    await handle.writeFile(bytes);
    await handle.sync();
    await handle.close();
    handle = null;
    await fs.promises.rename(tmp, target);
  } catch (e) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(tmp, { force: true });
    throw describe(who, file, e as NodeJS.ErrnoException);
  }
  await syncDirectory(dir);
}

/** Makes the rename durable; some platforms cannot open a directory, which only loses durability. */
async function syncDirectory(dir: string): Promise<void> {
  let h: fs.promises.FileHandle | null = null;
  try {
    h = await fs.promises.open(dir, 'r');
    await h.sync();
  } catch {
    // best effort (Windows cannot fsync a directory)
  } finally {
    await h?.close().catch(() => undefined);
  }
}
