/**
 * The benchmark suite: seqlab against TensorFlow.js (cpu and wasm backends) and brain.js on the
 * same work, in one run, with ratios.
 *
 *   npm run bench                     full: >= 2 warm-ups (>= 2 s), median of >= 7 reps (>= 3 s), 60 s budget per rep
 *   npm run bench -- --quick          >= 1 warm-up, median of >= 3 reps, 1.5 s budget per rep, fewer GEMM
 *                                     shapes, two threads on training steps only, no post-step check (< 3 min)
 *   node bench/dist/run.js --smoke    tiny shapes, 1 rep, every case and implementation (the test)
 *   options: --only <text>[,<text>...] (cases whose id contains one of them), --impls <name>[,<name>...]
 *            (only these implementations, e.g. seqlab,tfjs-wasm), --out <dir> (default bench/results),
 *            --reps N, --warmup N, --min-warm-ms <ms of warm-up at least>, --budget <seconds per rep>,
 *            --clock cpu (time each rep by the process's CPU time, user + system, instead of wall
 *            time: on a machine shared with other jobs a process waits for a core, and wall time
 *            measures the others' load; two-thread runs are left out, CPU time does not show them;
 *            it charges a process for its background threads too: GC, wasm compilation)
 *   node bench/dist/run.js --report bench/results/latest.json
 *                                     render latest.md again from the saved samples (runs nothing)
 *
 * Method. Each implementation of each case runs in its own Node.js process (bench/src/child.ts),
 * back to back: seqlab (one thread), seqlab with two threads (large cases), tfjs-cpu, tfjs-wasm,
 * brain.js. A process builds the model with seqlab's initial weights, warms up, then times each
 * repetition; we report the median, min and max, the peak RSS of the process, and the ratio
 * peer median / seqlab median. A repetition that overruns the budget stops the case for that
 * implementation ("over budget", with the time of the rep that did finish, or the budget if none
 * did); a case an implementation cannot run is reported with the reason, never dropped.
 *
 * Writes <out>/latest.json (every sample) and <out>/latest.md (the tables), and prints the tables.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Case, IMPLS, Impl, allCases, gemmFlops } from './suite/cases';
import { ChildOptions, Result, median, runChild } from './suite/child_run';

export type { Result };

/** The suite's options: how each child runs (its after-check follows the mode), which cases and implementations, where the results go. */
interface Args extends Omit<ChildOptions, 'afterCheck'> {
  only: string | null;
  impls: Impl[] | null;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const has = (f: string) => argv.includes(f);
  const val = (f: string): string | null => {
    const i = argv.indexOf(f);
    return i >= 0 && i + 1 < argv.length ? argv[i + 1] : null;
  };
  const mode = has('--smoke') ? 'smoke' : has('--quick') ? 'quick' : 'full';
  // warm-up reps, timed reps, budget per rep (s), minimum warm-up time (ms), minimum timed time (ms)
  const defaults = { full: [2, 7, 60, 2000, 3000], quick: [1, 3, 1.5, 200, 200], smoke: [0, 1, 30, 0, 0] }[mode];
  return {
    mode,
    only: val('--only'),
    impls: val('--impls') === null ? null : ((val('--impls') as string).split(',') as Impl[]),
    out: val('--out') ?? path.join(__dirname, '..', 'results'),
    warmup: Number(val('--warmup') ?? defaults[0]),
    reps: Number(val('--reps') ?? defaults[1]),
    budgetMs: 1000 * Number(val('--budget') ?? defaults[2]),
    minWarmMs: Number(val('--min-warm-ms') ?? defaults[3]),
    minTimeMs: defaults[4],
    clock: val('--clock') === 'cpu' ? 'cpu' : 'wall',
  };
}

/** Which implementations run a case: two threads only where it could pay (large cases, GEMMs). */
function implsFor(c: Case, mode: Args['mode'], clock: Args['clock'] = 'wall', chosen: Impl[] | null = null): Impl[] {
  // two threads (the default on a 2-core machine) on every case; quick mode: training steps and GEMMs only;
  // none by CPU time (it sums the threads)
  const twoThreads = clock === 'wall' && (c.kind === 'gemm' || mode !== 'quick' || c.mode === 'train');
  return IMPLS.filter((i) => (i !== 'seqlab-2t' || twoThreads) && (chosen === null || chosen.includes(i)));
}

/** Quick mode leaves out the GEMM shapes that only repeat what the others show. */
function inMode(c: Case, mode: Args['mode']): boolean {
  return mode !== 'quick' || c.kind !== 'gemm' || c.large || c.mkn.join('x') === '256x256x256' || c.mkn.join('x') === '100x32x128';
}

// ---------------------------------------------------------------------------------------------
// report

const fmtMs = (ms: number | undefined): string =>
  ms === undefined ? '' : ms < 1 ? ms.toFixed(3) : ms < 10 ? ms.toFixed(2) : ms < 100 ? ms.toFixed(1) : ms.toFixed(0);

function cell(r: Result | undefined): string {
  if (!r) return '—';
  if (r.status === 'unsupported') return 'cannot run¹';
  if (r.status === 'over budget') return r.medianMs !== undefined ? `over budget (1 rep ${fmtMs(r.medianMs)})` : 'over budget';
  return `${fmtMs(r.medianMs)} (${fmtMs(r.minMs)}–${fmtMs(r.maxMs)})`;
}

function ratio(peer: Result | undefined, ours: Result | undefined): string {
  if (!peer || !ours || ours.status !== 'ok' || peer.medianMs === undefined || ours.medianMs === undefined) return '—';
  const x = peer.medianMs / ours.medianMs;
  return peer.status === 'ok' ? `${x.toFixed(1)}x` : `> ${x.toFixed(0)}x`;
}

function machine(): Record<string, unknown> {
  const cpus = os.cpus();
  let commit = 'unknown';
  try {
    // git itself: .git is a file in a worktree, and refs may be packed
    commit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path.join(__dirname, '..', '..'), encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    // not a git checkout, or no git
  }
  const version = (p: string): string => {
    try {
      return require(`${p}/package.json`).version;
    } catch {
      return 'not installed';
    }
  };
  return {
    cpu: cpus[0]?.model ?? 'unknown',
    cpus: cpus.length,
    mhz: cpus[0]?.speed,
    memGB: +(os.totalmem() / 2 ** 30).toFixed(1),
    platform: `${os.platform()} ${os.release()}`,
    node: process.version,
    tfjs: version('@tensorflow/tfjs'),
    tfjsWasm: version('@tensorflow/tfjs-backend-wasm'),
    brain: version('brain.js'),
    commit: commit.slice(0, 12),
  };
}

function describe(c: Case): string {
  if (c.kind === 'layer') return `${c.cell} ${c.mode === 'train' ? 'train step' : 'inference'} (${c.shape.join(', ')})`;
  if (c.kind === 'imdb') return `IMDb Embedding(${c.dims[2]}, ${c.dims[3]})+LSTM(${c.dims[4]})+Dense(1) ${c.mode === 'train' ? 'train step' : 'inference'} (batch ${c.dims[0]}, length ${c.dims[1]})`;
  if (c.kind === 'charlm') return `char LSTM(${c.dims[3]}) one-hot ${c.dims[2]} ${c.mode === 'train' ? 'train step' : 'inference'} (batch ${c.dims[0]}, ${c.dims[1]} steps)`;
  if (c.kind !== 'gemm') return c.id;
  return `GEMM [${c.mkn[0]},${c.mkn[1]}]x[${c.mkn[1]},${c.mkn[2]}] (${c.role})`;
}

interface Target {
  target: string;
  measured: string;
  /** met on one thread (null: not measurable) */
  met: boolean | null;
  /** for the ratios to peers: met with two threads, the default on a 2-core machine */
  metTwoThreads?: boolean;
}

interface Report {
  markdown: string;
  targets: Target[];
}

function report(cases: Case[], results: Result[], meta: Record<string, unknown>, a: Args): Report {
  const get = (id: string, impl: Impl) => results.find((r) => r.case === id && r.impl === impl);
  const L: string[] = [];
  const m = meta.machine as Record<string, unknown>;
  L.push(`# seqlab benchmark suite (${a.mode} mode)`, '');
  L.push(`- date: ${meta.date}; commit ${m.commit}; total wall time ${meta.wallSeconds} s`);
  L.push(`- machine: ${m.cpu}, ${m.cpus} CPUs (${m.mhz} MHz), ${m.memGB} GB RAM, ${m.platform}, Node.js ${m.node}`);
  L.push(`- load average (1, 5, 15 min): at start ${meta.loadStart}; at end ${meta.loadEnd}`);
  L.push(`- peers: @tensorflow/tfjs ${m.tfjs} (cpu backend), @tensorflow/tfjs-backend-wasm ${m.tfjsWasm}, brain.js ${m.brain}`);
  L.push(
    `- method: one process per case and implementation, back to back; at least ${a.warmup} warm-up rep(s) and ${a.minWarmMs} ms of warm-up, then at least ${a.reps} timed reps and ${a.minTimeMs} ms of them (at most 60); median (min–max) in ms; budget ${a.budgetMs / 1000} s per rep`,
  );
  if (a.clock === 'cpu') {
    L.push('- clock: **CPU time** of each process (user + system), not wall time: the machine was shared with other jobs, so a process waited for a core much of the time; no two-thread runs (CPU time sums the threads). It counts every thread of the process, the background ones too (garbage collection, the compilation of a large wasm binary): a peer that allocates much or has just loaded its binary is charged for them');
  }
  L.push(
    '- seqlab 1t = one thread (SEQLAB_THREADS=1, the switch that forces it); seqlab 2t = two threads (SEQLAB_THREADS=2, the default on a 2-core machine); ratios are peer median / seqlab median; tfjs-wasm runs on one thread in Node.js (its multithreaded binary is browser-only)',
    '',
  );

  const modelCases = cases.filter((c) => c.kind !== 'gemm');
  if (modelCases.length) {
    L.push('## Training steps and inference, ms per batch', '');
    L.push('| case | seqlab 1t | seqlab 2t | tfjs cpu | tfjs wasm | brain.js | cpu / 1t | wasm / 1t | wasm / 2t | 1t / 2t |');
    L.push('|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
    for (const c of modelCases) {
      const s1 = get(c.id, 'seqlab');
      const s2 = get(c.id, 'seqlab-2t');
      L.push(
        `| ${describe(c)} | ${cell(s1)} | ${cell(s2)} | ${cell(get(c.id, 'tfjs-cpu'))} | ${cell(get(c.id, 'tfjs-wasm'))} | ${cell(get(c.id, 'brain'))} | ${ratio(get(c.id, 'tfjs-cpu'), s1)} | ${ratio(get(c.id, 'tfjs-wasm'), s1)} | ${ratio(get(c.id, 'tfjs-wasm'), s2)} | ${s2 ? ratio(s1, s2) : '—'} |`,
      );
    }
    L.push('');
  }
  const gemmCases = cases.filter((c) => c.kind === 'gemm');
  if (gemmCases.length) {
    L.push('## GEMM, GFLOP/s (2·m·n·k / median time per call)', '');
    L.push('| shape | role | seqlab 1t | seqlab 2t | tfjs cpu | tfjs wasm |');
    L.push('|---|---|---:|---:|---:|---:|');
    const gf = (c: Case, impl: Impl): string => {
      const r = get(c.id, impl);
      if (!r) return '—';
      if (r.status !== 'ok' || r.medianMs === undefined) return r.status === 'unsupported' ? 'cannot run¹' : 'over budget';
      return (gemmFlops(c) / (r.medianMs * 1e6)).toFixed(2);
    };
    for (const c of gemmCases) {
      if (c.kind !== 'gemm') continue;
      L.push(`| [${c.mkn[0]},${c.mkn[1]}]x[${c.mkn[1]},${c.mkn[2]}] | ${c.role} | ${gf(c, 'seqlab')} | ${gf(c, 'seqlab-2t')} | ${gf(c, 'tfjs-cpu')} | ${gf(c, 'tfjs-wasm')} |`);
    }
    L.push('');
  }

  // ---- targets
  const targets: Report['targets'] = [];
  const med = (id: string, impl: Impl) => {
    const r = get(id, impl);
    return r && r.status === 'ok' ? r.medianMs : undefined;
  };
  const want = (label: string, id: string, impl: Impl, factor: number) => {
    const ours = med(id, 'seqlab');
    const ours2 = med(id, 'seqlab-2t');
    const r = get(id, impl);
    if (ours === undefined || !r) return;
    if (r.status === 'unsupported') {
      targets.push({ target: label, measured: `peer cannot run the case (${r.reason})`, met: null });
      return;
    }
    // a peer killed before any rep finished took longer than the time it was given
    const peer = r.medianMs ?? (r.status === 'over budget' ? a.budgetMs * 1.5 + 5000 : undefined);
    if (peer === undefined) return;
    const lower = r.status !== 'ok' ? '> ' : '';
    const x = peer / ours;
    const x2 = ours2 === undefined ? undefined : peer / ours2;
    const two = x2 === undefined || ours2 === undefined ? '' : `; 2t: ${lower}${x2.toFixed(2)}x (${fmtMs(peer)} / ${fmtMs(ours2)} ms)`;
    targets.push({
      target: label,
      measured: `1t: ${lower}${x.toFixed(2)}x (${fmtMs(peer)} / ${fmtMs(ours)} ms)${two}`,
      met: x >= factor,
      ...(x2 === undefined ? {} : { metTwoThreads: x2 >= factor }),
    });
  };
  // every training case >= 3x tfjs-wasm and >= 10x tfjs-cpu; every inference case >= 2x tfjs-wasm
  for (const c of modelCases) {
    const name = c.kind === 'layer' ? `${c.cell} ${c.mode} (${c.shape.join(', ')})` : c.kind === 'imdb' ? `IMDb model ${c.mode}` : `char model ${c.dims[3]} ${c.mode}`;
    if (c.mode === 'train') {
      want(`${name}: >= 3x faster than tfjs wasm`, c.id, 'tfjs-wasm', 3);
      want(`${name}: >= 10x faster than tfjs cpu`, c.id, 'tfjs-cpu', 10);
    } else {
      want(`${name}: >= 2x faster than tfjs wasm`, c.id, 'tfjs-wasm', 2);
    }
  }
  // GEMM: >= 28 GFLOP/s on one thread and >= 1.3x tfjs-wasm matMul on every shape with k >= 32
  for (const c of gemmCases) {
    if (c.kind !== 'gemm' || c.mkn[1] < 32) continue;
    const t = med(c.id, 'seqlab');
    const p = med(c.id, 'tfjs-wasm');
    if (t === undefined) continue;
    const rate = gemmFlops(c) / (t * 1e6);
    const x = p === undefined ? undefined : p / t;
    targets.push({
      target: `GEMM [${c.mkn[0]},${c.mkn[1]}]x[${c.mkn[1]},${c.mkn[2]}]: >= 28 GFLOP/s and >= 1.3x tfjs wasm (one thread)`,
      measured: `${rate.toFixed(1)} GFLOP/s; ${x === undefined ? 'tfjs wasm: no figure' : `${x.toFixed(2)}x tfjs wasm`}`,
      met: rate >= 28 && x !== undefined && x >= 1.3,
    });
  }
  const imdb = modelCases.find((c) => c.kind === 'imdb' && c.mode === 'train');
  if (imdb) {
    const t = med(imdb.id, 'seqlab');
    if (t !== undefined) targets.push({ target: 'IMDb model training step < 400 ms (seqlab, one thread)', measured: `${fmtMs(t)} ms`, met: t < 400 });
  }
  // share of the GEMM rate inside the LSTM training step at 256 units: all its GEMM flops over the
  // whole step time (so a lower bound: the step also runs activations, Adam, copies), against the
  // GEMM case of its recurrent step
  const lstm256 = modelCases.find((c) => c.kind === 'layer' && c.cell === 'LSTM' && c.mode === 'train' && c.shape[3] === 256);
  const stepGemm = gemmCases.find((c) => c.kind === 'gemm' && c.mkn.join('x') === '64x256x1024');
  if (lstm256 && stepGemm && stepGemm.kind === 'gemm') {
    const t = med(lstm256.id, 'seqlab');
    const g = med(stepGemm.id, 'seqlab');
    if (t !== undefined && g !== undefined) {
      const flops = gemmFlops(lstm256);
      const rate = flops / (t * 1e6);
      const peak = gemmFlops(stepGemm) / (g * 1e6);
      targets.push({
        target: 'LSTM training step (64, 64, 128, 256): GEMM at >= 60% of the wasm GEMM\'s own rate (one thread)',
        measured: `${(flops / 1e6).toFixed(0)} MFLOP of GEMM in ${fmtMs(t)} ms = ${rate.toFixed(2)} GFLOP/s = ${((100 * rate) / peak).toFixed(0)}% of ${peak.toFixed(2)} GFLOP/s (seqlab GEMM [64,256]x[256,1024])`,
        met: rate / peak >= 0.6,
      });
    }
  }
  // two threads >= 1.6x one thread on every case that takes >= 100 ms on one
  for (const c of modelCases) {
    const t1 = med(c.id, 'seqlab');
    const t2 = med(c.id, 'seqlab-2t');
    if (t1 !== undefined && t2 !== undefined && t1 >= 100) {
      targets.push({ target: `${describe(c)}: two threads >= 1.6x faster than one`, measured: `${(t1 / t2).toFixed(2)}x (${fmtMs(t1)} / ${fmtMs(t2)} ms)`, met: t1 / t2 >= 1.6 });
    }
  }
  if (targets.length) {
    L.push('## Targets', '');
    L.push('| target | measured | met |', '|---|---|---|');
    const verdict = (t: Target): string => {
      if (t.met === null) return 'n/a';
      if (t.met) return t.metTwoThreads === false ? 'yes on one thread; **no** on two' : 'yes';
      return t.metTwoThreads ? 'yes on two threads (the default); **no** on one' : '**no**';
    };
    for (const t of targets) L.push(`| ${t.target} | ${t.measured} | ${verdict(t)} |`);
    L.push('');
  }

  // ---- details: memory, agreement checks, reasons, notes
  L.push('## Details', '');
  L.push('| case | implementation | status | peak RSS (MB) | RSS before setup (MB) | agreement with seqlab |');
  L.push('|---|---|---|---:|---:|---|');
  for (const c of cases) {
    for (const impl of implsFor(c, a.mode, a.clock, a.impls)) {
      const r = get(c.id, impl);
      if (!r) continue;
      const checks = Object.entries(r.checks)
        .map(([k, v]) => `${k} ${v.toExponential(1)}`)
        .join('; ');
      L.push(`| ${c.id} | ${impl} | ${r.status === 'ok' ? 'ok' : r.reason} | ${r.peakRssMB?.toFixed(0) ?? ''} | ${r.rssBeforeMB?.toFixed(0) ?? ''} | ${checks} |`);
    }
  }
  L.push('');
  const notes = new Map<string, string>();
  for (const r of results) if (r.notes.length) notes.set(`${r.impl}${r.case.startsWith('charlm') ? ' (char model)' : ''}`, r.notes.join(' '));
  if (notes.size) {
    L.push('Notes on what was measured:', '');
    for (const [k, v] of notes) L.push(`- ${k}: ${v}`);
    L.push('');
  }
  L.push('¹ see the status column of the details table for the reason.');
  return { markdown: L.join('\n') + '\n', targets };
}

/** `--report FILE`: renders latest.md (and the targets in the JSON) again from a saved latest.json, without running anything. */
function rerender(file: string, a: Args): void {
  const saved = JSON.parse(fs.readFileSync(file, 'utf8'));
  const m = saved.meta.method ?? {};
  const args: Args = { ...a, mode: saved.meta.mode, warmup: m.warmup ?? a.warmup, reps: m.reps ?? a.reps, budgetMs: m.budgetMs ?? a.budgetMs, minWarmMs: m.minWarmMs ?? a.minWarmMs, minTimeMs: m.minTimeMs ?? a.minTimeMs, clock: m.clock ?? 'wall' };
  const { markdown, targets } = report(saved.cases, saved.results, saved.meta, args);
  const dir = path.dirname(file);
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify({ ...saved, targets }, null, 1) + '\n');
  fs.writeFileSync(path.join(dir, 'latest.md'), markdown);
  process.stdout.write(markdown);
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const a = parseArgs(argv);
  const saved = argv.indexOf('--report');
  if (saved >= 0) {
    rerender(argv[saved + 1], a);
    return;
  }
  const size = a.mode === 'smoke' ? 'smoke' : 'full';
  const only = a.only === null ? null : a.only.split(',');
  const cases = allCases(size).filter((c) => (only === null || only.some((o) => c.id.includes(o))) && inMode(c, a.mode));
  const t0 = Date.now();
  const loadStart = os.loadavg().map((v) => v.toFixed(2)).join(', ');
  const results: Result[] = [];
  for (const c of cases) {
    for (const impl of implsFor(c, a.mode, a.clock, a.impls)) {
      const r = await runChild(c, impl, { ...a, afterCheck: a.mode !== 'quick' });
      results.push(r);
      const what = r.status === 'ok' ? `${fmtMs(r.medianMs)} ms` : r.reason;
      process.stderr.write(`${c.id.padEnd(30)} ${impl.padEnd(10)} ${what}  [${r.wallSeconds.toFixed(1)} s]\n`);
    }
  }
  const meta = {
    date: new Date().toISOString(),
    mode: a.mode,
    wallSeconds: Math.round((Date.now() - t0) / 1000),
    loadStart,
    loadEnd: os.loadavg().map((v) => v.toFixed(2)).join(', '),
    machine: machine(),
    method: { warmup: a.warmup, reps: a.reps, budgetMs: a.budgetMs, minWarmMs: a.minWarmMs, minTimeMs: a.minTimeMs, clock: a.clock },
  };
  const { markdown, targets } = report(cases, results, meta, a);
  fs.mkdirSync(a.out, { recursive: true });
  fs.writeFileSync(path.join(a.out, 'latest.json'), JSON.stringify({ meta, cases, results, targets }, null, 1) + '\n');
  fs.writeFileSync(path.join(a.out, 'latest.md'), markdown);
  process.stdout.write(markdown);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
