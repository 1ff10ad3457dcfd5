/**
 * Where data files are found (DESIGN section 5), in this order:
 *   1. an explicit `path` option (used as given; a missing path is an error, no fallback),
 *   2. `$SEQLAB_DATA_DIR/<relPath>`,
 *   3. `<repo root>/../shared/data/<relPath>` (the copies that tests and CI use),
 *   4. the user cache `<cacheDir>/<relPath>` (`$SEQLAB_CACHE_DIR`, else `~/.cache/seqlab`),
 *   5. a download from the canonical source into the user cache, checked against its sha256.
 * When all fail, the error lists every place it looked and how to provide the file.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { downloadFile } from './download';

/** One data file (or directory) a loader needs. */
export interface DataFileSpec {
  /** Short name for messages, e.g. 'IMDb reviews'. */
  name: string;
  /** Paths relative to a data directory, first preferred; any that exists is taken. */
  relPaths: string[];
  /** Canonical download: URL, the relPath it is stored under in the cache, and its sha256. */
  download?: { url: string; relPath: string; sha256: string | null };
}

/** Where a loader looks for its data file, and whether it may download it (DESIGN section 5 order). */
export interface LocateOptions {
  /** Explicit file or directory; bypasses the lookup. */
  path?: string;
  /** Allow the download step (default: true unless `$SEQLAB_OFFLINE` is set). */
  download?: boolean;
  /** Show a progress bar on stderr while downloading (default: when stderr is a terminal). */
  progress?: boolean;
  /** sha256 to check the download against, for files whose checksum seqlab does not know. */
  sha256?: string;
}

/** `$SEQLAB_CACHE_DIR`, else `~/.cache/seqlab` (`$XDG_CACHE_HOME/seqlab` when that is set). */
export function cacheDir(): string {
  const env = process.env.SEQLAB_CACHE_DIR;
  if (env) return path.resolve(env);
  const xdg = process.env.XDG_CACHE_HOME;
  return path.join(xdg ? xdg : path.join(os.homedir(), '.cache'), 'seqlab');
}

/**
 * The monorepo root: the nearest folder above `start` whose package.json declares "workspaces".
 * Returns null when there is none (installed outside the repo).
 */
export function findRepoRoot(start: string = __dirname): string | null {
  let dir = path.resolve(start);
  for (;;) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg)) {
      try {
        const json = JSON.parse(fs.readFileSync(pkg, 'utf8')) as { workspaces?: unknown };
        if (json.workspaces) return dir;
      } catch {
        // an unreadable package.json is not the root; keep walking up
      }
    }
    const parent = path.dirname(dir);
    if (parent === dir) return null;
    dir = parent;
  }
}

/** The data directories searched, in order, each with the reason it is searched. */
export function dataDirs(): { dir: string; source: string }[] {
  const dirs: { dir: string; source: string }[] = [];
  if (process.env.SEQLAB_DATA_DIR) dirs.push({ dir: path.resolve(process.env.SEQLAB_DATA_DIR), source: '$SEQLAB_DATA_DIR' });
  const roots = new Set<string>();
  for (const start of [__dirname, process.cwd()]) {
    const root = findRepoRoot(start);
    if (root) roots.add(root);
  }
  for (const root of roots) dirs.push({ dir: path.resolve(root, '..', 'shared', 'data'), source: `../shared/data beside the repo root ${root}` });
  dirs.push({ dir: cacheDir(), source: 'user cache' });
  return dirs;
}

/**
 * The local path of a data file, downloading it if needed.
 * @example
 * const file = await locateDataFile(HAMLET_SPEC); // '.../shared/data/text/hamlet-pg2265.txt'
 */
export async function locateDataFile(spec: DataFileSpec, options: LocateOptions = {}): Promise<string> {
  if (options.path !== undefined) {
    const p = path.resolve(options.path);
    if (!fs.existsSync(p)) throw new Error(`${spec.name}: the path option points to ${p}, which does not exist`);
    return p;
  }
  const tried: string[] = [];
  for (const { dir, source } of dataDirs()) {
    for (const rel of spec.relPaths) {
      const p = path.join(dir, rel);
      if (fs.existsSync(p)) return p;
      tried.push(`${p} (${source})`);
    }
  }
  const allowDownload = options.download ?? !process.env.SEQLAB_OFFLINE;
  const dl = spec.download;
  let failure = '';
  if (dl && allowDownload) {
    const sha256 = options.sha256 ?? dl.sha256;
    if (sha256 === null) {
      failure = `no download attempted: seqlab knows no sha256 for ${dl.url}; pass { sha256 } to allow it`;
    } else {
      const dest = path.join(cacheDir(), dl.relPath);
      try {
        await downloadFile(dl.url, dest, { sha256, progress: options.progress });
        return dest;
      } catch (e) {
        failure = `download from ${dl.url} failed: ${(e as Error).message}`;
      }
    }
  } else if (dl) {
    failure = 'downloads are disabled (download: false or $SEQLAB_OFFLINE)';
  } else {
    failure = 'no canonical download is known';
  }
  const where = dl ? `${dl.url}` : 'its source';
  throw new Error(
    `${spec.name}: file not found. Looked in:\n  ${tried.join('\n  ')}\n` +
      `and ${failure}.\n` +
      `To provide it: download it from ${where} and pass { path }, or put it at <dir>/${spec.relPaths[0]} ` +
      `with <dir> = $SEQLAB_DATA_DIR, ../shared/data beside the repo root, or ${cacheDir()}.`,
  );
}

/** Writes `data` to `file` atomically: a temporary file in the same directory, then a rename. */
export function writeFileAtomic(file: string, data: Uint8Array | string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`;
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
}
