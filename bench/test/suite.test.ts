/**
 * Every case of the benchmark suite runs (untimed): the whole suite in --smoke mode (every case,
 * every implementation, tiny shapes, one repetition), through the compiled runner, the way
 * `npm run bench` runs it. Checks that every case has a result for every implementation, that
 * nothing fails without a stated reason, and that the peers compute what seqlab computes.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';

const root = path.join(__dirname, '..', '..');

jest.setTimeout(240_000);

test('every bench case runs one repetition in smoke mode', () => {
  // build the runner (and the packages it uses) exactly as npm run bench does
  execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-b', 'packages/tensor', 'packages/autograd', 'packages/layers', 'bench'], { cwd: root, stdio: 'pipe' });
  const out = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-bench-smoke-'));
  try {
    execFileSync(process.execPath, [path.join(root, 'bench', 'dist', 'run.js'), '--smoke', '--out', out], { cwd: root, stdio: 'pipe' });
    const report = JSON.parse(fs.readFileSync(path.join(out, 'latest.json'), 'utf8'));
    const md = fs.readFileSync(path.join(out, 'latest.md'), 'utf8');
    expect(md).toContain('## Training steps and inference');
    expect(md).toContain('## GEMM');
    expect(md).toContain('| wasm / 1t | wasm / 2t |');
    // --report renders the same tables again from the saved samples
    const again = execFileSync(process.execPath, [path.join(root, 'bench', 'dist', 'run.js'), '--report', path.join(out, 'latest.json')], { cwd: root, stdio: 'pipe' }).toString();
    expect(again).toBe(md);
    const cases: { id: string; kind: string; large: boolean }[] = report.cases;
    const results: { case: string; impl: string; status: string; reason?: string; samplesMs: number[]; checks: Record<string, number> }[] = report.results;
    // 12 small layer cases and 4 at model size (LSTM, GRU; one size in smoke mode), 2 IMDb, 2 char model, GEMMs
    expect(cases.filter((c) => c.kind === 'layer')).toHaveLength(16);
    expect(cases.filter((c) => c.kind === 'imdb' || c.kind === 'charlm')).toHaveLength(4);
    for (const c of cases) {
      const impls = results.filter((r) => r.case === c.id).map((r) => r.impl);
      expect(impls).toEqual(expect.arrayContaining(['seqlab', 'tfjs-cpu', 'tfjs-wasm', 'brain']));
      expect(impls).toContain('seqlab-2t');
    }
    for (const r of results) {
      if (r.impl.startsWith('seqlab')) {
        // seqlab runs everything
        expect({ id: `${r.case} ${r.impl}`, status: r.status }).toEqual({ id: `${r.case} ${r.impl}`, status: 'ok' });
        expect(r.samplesMs.length).toBeGreaterThanOrEqual(1);
      } else if (r.status !== 'ok') {
        // a peer that cannot run a case says why
        expect(r.reason).toMatch(/^(cannot express|cannot run|over budget)/);
      }
      // tfjs computes the same thing (same weights, same batch)
      for (const [name, v] of Object.entries(r.checks)) expect({ check: `${r.case} ${r.impl} ${name}`, ok: v < 1e-4 }).toEqual({ check: `${r.case} ${r.impl} ${name}`, ok: true });
    }
    // tfjs cpu runs every layer case; the one known wasm gap is the embedding gradient
    for (const r of results.filter((x) => x.impl === 'tfjs-cpu' && !x.case.startsWith('gemm'))) expect(r.status).toBe('ok');
    const wasmImdb = results.find((r) => r.case === 'imdb-train' && r.impl === 'tfjs-wasm');
    expect(wasmImdb?.status === 'ok' || /UnsortedSegmentSum|cannot run/.test(wasmImdb?.reason ?? '')).toBe(true);
  } finally {
    fs.rmSync(out, { recursive: true, force: true });
  }
});
