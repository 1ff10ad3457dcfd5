#!/usr/bin/env node
/**
 * The ESM builds of a package (run in the package's folder after `tsc -b`, which makes the
 * CommonJS build and the types in dist/):
 *
 *   dist/esm/*.mjs       the platform-neutral entries (index.ts, and the package's other
 *                        neutral entries), for browsers and bundlers: no Node module
 *   dist/esm/node/*.mjs  the Node entries (node.ts, ...), where `__dirname` is dist/ as in the
 *                        CommonJS build (workers load the compiled CommonJS modules from there)
 *
 * Entries of one build share chunks (esbuild's code splitting), so two entries of a package
 * loaded together share one copy of each module. Other packages and dependencies stay imports.
 */
const path = require('path');
const fs = require('fs');
const esbuild = require('esbuild');

const pkgDir = process.cwd();
const pkg = JSON.parse(fs.readFileSync(path.join(pkgDir, 'package.json'), 'utf8'));
const { neutral = ['index'], node = [] } = pkg.esmEntries ?? {};
const external = ['@seqlab/*', ...Object.keys(pkg.dependencies ?? {}).filter((d) => !d.startsWith('@seqlab/'))];
const out = path.join(pkgDir, 'dist', 'esm');
fs.rmSync(out, { recursive: true, force: true });

const common = {
  bundle: true,
  splitting: true,
  format: 'esm',
  target: 'es2021',
  outExtension: { '.js': '.mjs' },
  // chunks beside the entries: one depth for the __dirname of every file
  chunkNames: '[name]-[hash]',
  external,
  sourcemap: true,
  logLevel: 'warning',
};
const entry = (names) => Object.fromEntries(names.map((n) => [n, path.join(pkgDir, 'src', `${n}.ts`)]));

esbuild.buildSync({ ...common, entryPoints: entry(neutral), outdir: out, platform: 'neutral', mainFields: ['module', 'main'] });
if (node.length > 0) {
  esbuild.buildSync({
    ...common,
    entryPoints: entry(node),
    outdir: path.join(out, 'node'),
    platform: 'node',
    // CommonJS names the Node code uses; __dirname is dist/ (three levels up from any file of the build)
    banner: {
      js: [
        "import { createRequire as __seqlabCreateRequire } from 'module';",
        "import { fileURLToPath as __seqlabFileURLToPath } from 'url';",
        "import { dirname as __seqlabDirname } from 'path';",
        'const require = __seqlabCreateRequire(import.meta.url);',
        'const __dirname = __seqlabDirname(__seqlabDirname(__seqlabDirname(__seqlabFileURLToPath(import.meta.url))));',
      ].join('\n'),
    },
  });
}
