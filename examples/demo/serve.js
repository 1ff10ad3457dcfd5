#!/usr/bin/env node
/**
 * `npm run demo`: builds the demo page with esbuild (the packages' platform-neutral entries) and
 * serves it on localhost with the headers that enable shared memory (COOP/COEP), so the pool runs
 * on Web Workers. hamlet.txt comes from @seqlab/datasets' lookup (textCorpus) at serve time.
 *
 *   npm run demo [-- --port 8080]
 */
const esbuild = require('esbuild');
const fs = require('fs');
const http = require('http');
const path = require('path');

const root = path.resolve(__dirname, '..', '..');
const out = path.join(__dirname, 'dist');

function build() {
  const alias = Object.fromEntries(['tensor', 'autograd', 'layers', 'datasets'].map((p) => [`@seqlab/${p}`, path.join(root, 'packages', p, 'src', 'index.ts')]));
  alias['@seqlab/layers/worker'] = path.join(root, 'packages', 'layers', 'src', 'worker.ts');
  esbuild.buildSync({
    entryPoints: { demo: path.join(__dirname, 'demo.ts'), worker: path.join(__dirname, 'worker.ts') },
    outdir: out, bundle: true, minify: true, format: 'iife', platform: 'browser', target: 'es2021', alias, logLevel: 'warning',
  });
  fs.copyFileSync(path.join(__dirname, 'index.html'), path.join(out, 'index.html'));
}

/** Starts the server; resolves to { url, close }. */
async function startDemo({ port = 8080 } = {}) {
  build();
  const { textCorpus } = require('@seqlab/datasets');
  const hamlet = await textCorpus('hamlet');
  const types = { '.html': 'text/html', '.js': 'text/javascript', '.txt': 'text/plain; charset=utf-8' };
  const server = http.createServer((req, res) => {
    const p = new URL(req.url, 'http://x').pathname;
    const headers = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
    if (p === '/hamlet.txt') {
      res.writeHead(200, { ...headers, 'Content-Type': types['.txt'] });
      return res.end(hamlet);
    }
    const file = path.join(out, p === '/' ? 'index.html' : p);
    if (!file.startsWith(out) || !fs.existsSync(file)) {
      res.writeHead(404, headers);
      return res.end('not found');
    }
    res.writeHead(200, { ...headers, 'Content-Type': types[path.extname(file)] ?? 'application/octet-stream' });
    fs.createReadStream(file).pipe(res);
  });
  await new Promise((r) => server.listen(port, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, close: () => new Promise((r) => server.close(r)) };
}

module.exports = { startDemo };

if (require.main === module) {
  const i = process.argv.indexOf('--port');
  startDemo({ port: i > 0 ? Number(process.argv[i + 1]) : 8080 }).then(({ url }) => console.log(`seqlab demo on ${url} (Ctrl-C stops it)`));
}
