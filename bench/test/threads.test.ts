/**
 * The two-thread bench (`npm run bench:threads`) runs its pairs and prints its table: in smoke
 * mode (tiny shapes, the IMDb and char-model training steps, one repetition a process), through
 * the compiled script. A bad --pairs is refused, naming the option.
 */
import { execFileSync, spawnSync } from 'child_process';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');
const script = path.join(root, 'bench', 'dist', 'threads.js');

jest.setTimeout(120_000);

beforeAll(() => {
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/tensor', 'packages/autograd', 'packages/layers', 'bench'], { cwd: root, stdio: 'pipe' });
});

test('smoke mode: a row a case, with both medians, their ratio and the median of the pair ratios', () => {
  const out = execFileSync(process.execPath, [script, '--smoke', '--pairs', '2', '--reps', '1', '--warmup', '0'], { cwd: root, stdio: 'pipe' }).toString();
  expect(out).toContain('2 alternating pairs of processes a case, 1 timed reps each');
  const number = '[0-9]+\\.[0-9]';
  const row = new RegExp(`^\\| (imdb|charlm)-train \\| ${number} \\| ${number} \\| [0-9.]+x \\| [0-9.]+x \\([0-9.]+-[0-9.]+\\) \\|$`);
  const rows = out.split('\n').filter((l) => l.startsWith('| imdb') || l.startsWith('| charlm'));
  expect(rows).toHaveLength(2);
  for (const r of rows) expect(r).toMatch(row);
});

test('a --pairs that is not a positive integer is refused', () => {
  const r = spawnSync(process.execPath, [script, '--smoke', '--pairs', '0'], { cwd: root, stdio: 'pipe' });
  expect(r.status).toBe(1);
  expect(r.stderr.toString()).toContain('threads: --pairs must be a positive integer, received 0');
});
