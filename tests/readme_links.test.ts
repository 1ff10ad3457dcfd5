/**
 * The READMEs' relative links point at files and folders that exist (the reading order in the
 * root README names source files, which move when code is reorganized).
 */
import * as fs from 'fs';
import * as path from 'path';

const root = path.resolve(__dirname, '..');
const READMES = ['README.md', 'examples/README.md', 'bench/README.md', ...['tensor', 'autograd', 'layers', 'datasets'].map((p) => `packages/${p}/README.md`)];

test.each(READMES)('%s: every relative link exists', (readme) => {
  const text = fs.readFileSync(path.join(root, readme), 'utf8');
  const targets = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]).filter((t) => !/^[a-z]+:/i.test(t) && !t.startsWith('#'));
  const missing = targets.filter((t) => !fs.existsSync(path.join(root, path.dirname(readme), t.split('#')[0])));
  expect(missing).toEqual([]);
});
