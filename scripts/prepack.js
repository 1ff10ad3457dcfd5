#!/usr/bin/env node
/**
 * `prepack` of a package (run in its folder): a clean build, so the tarball holds exactly what
 * the sources compile to (no file left in dist/ by a module since removed): the CommonJS build
 * and types (tsc), then the ESM builds (build_esm.js).
 */
const { execFileSync } = require('child_process');
const fs = require('fs');
const path = require('path');

fs.rmSync('dist', { recursive: true, force: true });
fs.rmSync('tsconfig.tsbuildinfo', { force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', '.'], { stdio: 'inherit' });
execFileSync(process.execPath, [path.join(__dirname, 'build_esm.js')], { stdio: 'inherit' });
