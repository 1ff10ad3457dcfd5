/**
 * Debian's Chromium, headless, driven through puppeteer-core (no browser download), and a small
 * static server for the pages: with `isolated`, the headers that make a page cross-origin isolated
 * (shared memory, the thread pool on Web Workers); with `csp`, a strict content security policy
 * (scripts from the page's origin only; WebAssembly compiled, nothing else evaluated).
 */
import * as esbuild from 'esbuild';
import * as fs from 'fs';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { spawn } from 'child_process';
import * as path from 'path';
import { createInterface } from 'readline';

export const root = path.resolve(__dirname, '..', '..');

/** CHROME_PATH, else Debian's /usr/bin/chromium; null when neither exists. */
export function chromiumPath(): string | null {
  const candidates = [process.env.CHROME_PATH, '/usr/bin/chromium'].filter((p): p is string => !!p);
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

export const NO_CHROMIUM =
  'The browser tests did not run: no Chromium at /usr/bin/chromium (or CHROME_PATH). Install it with `apt-get install -y chromium` (.ci/run does).';

/** The script-src a strict page allows: its own scripts and WebAssembly compilation, no eval. */
export const STRICT_CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:";

/** The @seqlab packages' platform-neutral entries, from their sources (what a bundler resolves for a page). */
export const neutralAlias = Object.fromEntries(
  ['tensor', 'autograd', 'layers', 'datasets'].map((p) => [`@seqlab/${p}`, path.join(root, 'packages', p, 'src', 'index.ts')]),
);

/** Bundles `entries` (name -> file) for the browser into `outdir` as IIFE scripts; returns the minified sizes. */
export function bundle(entries: Record<string, string>, outdir: string, minify = true): Record<string, number> {
  const r = esbuild.buildSync({
    entryPoints: entries,
    outdir,
    bundle: true,
    minify,
    format: 'iife',
    platform: 'browser',
    target: 'es2021',
    alias: { ...neutralAlias, '@seqlab/layers/worker': path.join(root, 'packages', 'layers', 'src', 'worker.ts') },
    metafile: true,
    logLevel: 'error',
  });
  return Object.fromEntries(Object.entries(r.metafile.outputs).map(([f, o]) => [path.basename(f), o.bytes]));
}

export interface Server {
  url: string;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.json': 'application/json', '.txt': 'text/plain', '.map': 'application/json' };

/** Serves `dir` on 127.0.0.1 (a free port); `extra` answers paths it knows (e.g. generated data). */
export function serve(dir: string, options: { isolated?: boolean; csp?: string; extra?: (p: string) => Buffer | string | null } = {}): Promise<Server> {
  const server = http.createServer((req, res) => {
    const p = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const headers: Record<string, string> = {};
    if (options.isolated) {
      headers['Cross-Origin-Opener-Policy'] = 'same-origin';
      headers['Cross-Origin-Embedder-Policy'] = 'require-corp';
    }
    if (options.csp) headers['Content-Security-Policy'] = options.csp;
    const extra = options.extra?.(p) ?? null;
    if (extra !== null) {
      res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(p)] ?? 'application/octet-stream' });
      res.end(extra);
      return;
    }
    const file = path.join(dir, p === '/' ? 'index.html' : p);
    if (!file.startsWith(dir) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404, headers);
      res.end('not found');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({ url: `http://127.0.0.1:${port}`, close: () => new Promise((r) => server.close(() => r())) });
    });
  });
}

/** A page in the driven browser. */
export interface BrowserPage {
  /** `fn(arg)` run in the page (awaited); `fn` must not close over anything (it is sent as text). */
  evaluate<A, R>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<R>;
  screenshot(file: string): Promise<void>;
}

export interface BrowserSession {
  open(url: string, size?: { width: number; height: number }): Promise<BrowserPage>;
  /** Console errors and uncaught page errors of every page so far. */
  errors(): Promise<string[]>;
  close(): Promise<void>;
}

/**
 * Headless Chromium through puppeteer-core, driven from a child process (browser_driver.mjs):
 * puppeteer-core is ESM only, which jest's module registry does not load.
 */
export async function launch(executablePath: string): Promise<BrowserSession> {
  const child = spawn(process.execPath, [path.join(root, 'tests', 'support', 'browser_driver.mjs'), executablePath], { stdio: ['pipe', 'pipe', 'inherit'] });
  const waiting = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  let ready: () => void;
  const started = new Promise<void>((r) => (ready = r));
  createInterface({ input: child.stdout }).on('line', (line) => {
    const m = JSON.parse(line) as { ready?: boolean; id?: number; result?: unknown; error?: string };
    if (m.ready) return ready();
    const w = waiting.get(m.id as number);
    waiting.delete(m.id as number);
    if (m.error !== undefined) w?.reject(new Error(m.error));
    else w?.resolve(m.result);
  });
  child.on('exit', (code) => {
    for (const w of waiting.values()) w.reject(new Error(`the browser driver exited (${code})`));
  });
  await started;
  let next = 0;
  const send = <R>(c: Record<string, unknown>): Promise<R> =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve: resolve as (v: unknown) => void, reject });
      child.stdin.write(JSON.stringify({ ...c, id }) + '\n');
    });
  return {
    async open(url, size) {
      const page = await send<number>({ op: 'open', url, ...size });
      return {
        evaluate: (fn, arg) => send({ op: 'evaluate', page, fn: fn.toString(), arg }),
        screenshot: (file) => send({ op: 'screenshot', page, file }),
      };
    },
    errors: () => send({ op: 'errors' }),
    close: async () => {
      await send({ op: 'close' }).catch(() => undefined);
    },
  };
}
