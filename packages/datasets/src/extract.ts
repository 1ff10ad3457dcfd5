/**
 * Safe extraction of a `.tar.gz` / `.tar` archive into a folder (what `getFile` uses).
 *
 * - No entry is written outside the target: absolute names, `..` segments and backslashes are
 *   skipped with a warning (Keras's `filter_safe_tarinfos` skips them the same way); symbolic and
 *   hard links are not created at all, so nothing written later can be redirected through one.
 * - All or nothing: entries go to a unique temporary folder beside the target, which is renamed
 *   into place only after the whole archive was read; on any failure (corrupt or truncated
 *   archive, full disk) the temporary folder is deleted and the target does not exist.
 */
import * as crypto from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { readTarGz } from './tar';

/** What an archive extraction wrote, and the entry names it refused. */
export interface ExtractResult {
  /** Regular files written. */
  files: number;
  /** Entry names skipped because they would leave the target folder. */
  skipped: string[];
}

/** The path of `name` inside `root`, or null when the name would leave it. */
export function safeEntryPath(root: string, name: string): string | null {
  if (name.length === 0 || name.includes('\\') || name.includes('\0') || path.posix.isAbsolute(name) || path.win32.isAbsolute(name)) return null;
  if (name.split('/').some((part) => part === '..')) return null;
  const target = path.resolve(root, name);
  return target.startsWith(root + path.sep) ? target : null;
}

/**
 * Extracts `archive` so that `dest` appears complete or not at all.
 * @example
 * await extractTarArchive('aclImdb_v1.tar.gz', '/home/me/.cache/seqlab/datasets/aclImdb_v1_extracted');
 */
export async function extractTarArchive(archive: string, dest: string, caller = 'extractTarArchive'): Promise<ExtractResult> {
  const target = path.resolve(dest);
  if (fs.existsSync(target)) throw new Error(`${caller}: ${target} already exists; remove it to extract again`);
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = `${target}.partial-${process.pid}-${crypto.randomBytes(4).toString('hex')}`;
  fs.mkdirSync(tmp);
  const skipped: string[] = [];
  try {
    const files = await readTarGz(
      archive,
      (name) => {
        if (safeEntryPath(tmp, name) !== null) return true;
        skipped.push(name);
        return false;
      },
      (name, data) => {
        const file = safeEntryPath(tmp, name)!;
        fs.mkdirSync(path.dirname(file), { recursive: true });
        fs.writeFileSync(file, data);
      },
      caller,
    );
    try {
      fs.renameSync(tmp, target);
    } catch (e) {
      // another process finished the same extraction first: keep theirs
      if (!fs.existsSync(target)) throw e;
      fs.rmSync(tmp, { recursive: true, force: true });
    }
    if (skipped.length > 0) {
      console.warn(`${caller}: skipped ${skipped.length} archive entr${skipped.length === 1 ? 'y' : 'ies'} whose path leaves ${target}: ${skipped.slice(0, 5).map((s) => JSON.stringify(s)).join(', ')}${skipped.length > 5 ? ', ...' : ''}`);
    }
    return { files, skipped };
  } catch (e) {
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
}
