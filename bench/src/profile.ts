/**
 * Where the time of one case goes: V8's sampling profiler over repetitions of a suite case's step
 * (seqlab, one thread), self time summed by what the code is.
 *
 *   npm run bench:profile                                          the LSTM training step at 256 units
 *   node bench/dist/profile.js --case gru-train-64x64x128x256 --reps 6 --warmup 2
 *   node bench/dist/profile.js --case charlm-train --threads 2   the calling thread of a two-thread step
 *
 * Categories, by function (wasm functions by their names in the modules' name section, the rest by
 * source file):
 *   GEMM          the wasm micro-kernel and packers, and gemm*.js (operand copies, blocking)
 *   activations   the wasm σ / tanh / exp module and vector*.js
 *   lanes         the wasm element-wise primitives and lanes*.js (the cells' gate products and updates)
 *   cell loops    the cells' rows, fused/*.js (band copies in and out of wasm memory, masks, one-hot)
 *   rest          everything else: autograd, loss, optimizer, tensor ops, garbage collection
 * A js-to-wasm call wrapper counts with the module it enters (V8's sampler often charges a wasm
 * function's time to the wrapper that called it).
 * With the case's GEMM flops, the GEMM share gives the rate GEMM runs at inside the step.
 *
 * With `--threads n` (n > 1) the profile is of the calling thread only (the workers are other
 * isolates), and its time is also split into what runs inside the pool's sections (under
 * `runOnPool` or a GEMM's split: the workers work alongside) and outside them: the serial part, which
 * a second thread cannot shorten.
 */
import { Session } from 'inspector';
import { GemmArgs, Rng, gemmNN, gemmNT, gemmTN, getThreads, packGemmB } from '@seqlab/tensor';
import { findCase } from './suite/cases';
import { setup } from './suite/impls';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(name);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const GEMM_WASM = new Set(['kernel', 'packA', 'packB', 'packBT']);
const ACT_WASM = new Set(['sigmoid', 'tanh', 'exp']);
const LANE_WASM = new Set(['copy', 'mul', 'add', 'madd', 'mul2add', 'lerp', 'mulDiff', 'mulCompl', 'sigmoidGrad', 'tanhGrad']);

/**
 * The category of a wasm function by its name; null for the engine's js-to-wasm call wrappers
 * ("js-to-wasm:iiii:"), which take the category of the module they enter (`wasmModules`).
 */
function wasmCategory(fn: string): string | null {
  const name = fn.replace(/Rows$/, ''); // a primitive's rows version counts with it
  if (GEMM_WASM.has(name)) return 'GEMM';
  if (ACT_WASM.has(name)) return 'activations';
  if (LANE_WASM.has(name)) return 'lanes';
  return name.startsWith('js-to-wasm') ? null : 'rest';
}

/** Each wasm module's category (by its url), from the named functions the profile shows in it. */
function wasmModules(nodes: ProfileNode[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const { callFrame: f } of nodes) {
    const cat = f.url.startsWith('wasm') ? wasmCategory(f.functionName.replace(/^\$/, '')) : null;
    if (cat !== null && cat !== 'rest') out.set(f.url, cat);
  }
  return out;
}

function category(f: ProfileNode['callFrame'], modules: Map<string, string>): string {
  const name = f.functionName.replace(/^\$/, '');
  if (f.url.startsWith('wasm')) return wasmCategory(name) ?? modules.get(f.url) ?? 'rest';
  const file = f.url.split('/').pop() ?? '';
  if (/^gemm/.test(file)) return 'GEMM';
  if (/^vector/.test(file)) return 'activations';
  if (/^lanes/.test(file)) return 'lanes';
  if (/recurrent\/(fused|lstm|gru|simple_rnn)\//.test(f.url)) return 'cell loops';
  return 'rest';
}

/** 2·m·n·k summed over the products of a layer case's training step (x needs no gradient) or inference. */
function caseGemmFlops(B: number, T: number, I: number, H: number, G: number, train: boolean): number {
  const forward = 2 * B * T * G * H * (I + H); // input projection and recurrent product
  if (!train) return forward;
  return forward + 2 * B * T * G * H * H + 2 * B * T * G * H * (I + H); // dz·Uᵀ per step; dW, dU over all steps
}

/**
 * The wasm GEMM's own rate on the products of an LSTM training step (B, T, I, H), run alone: per
 * step the input projection and the recurrent product (B packed), dz·Uᵀ (Uᵀ packed); once, dW and
 * dU over all steps. GFLOP/s by CPU time, best of `rounds`.
 */
function lstmGemmRate(B: number, T: number, I: number, H: number, rounds: number): number {
  const rng = new Rng(1);
  const fill = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  const G = 4 * H;
  const x = fill(T * B * I), h = fill(T * B * H), W = fill(I * G), U = fill(H * G), z = fill(T * B * G);
  const c = new Float32Array(T * B * G), dh = new Float32Array(B * H), dW = new Float32Array(I * G), dU = new Float32Array(H * G);
  const pw = packGemmB(W, I, G, false);
  const pu = packGemmB(U, H, G, false);
  const put = packGemmB(U, G, H, true);
  const products: [(a: GemmArgs) => void, GemmArgs][] = [];
  for (let s = 0; s < T; s++) {
    products.push([gemmNN, { m: B, n: G, k: I, a: x, aOffset: s * B * I, b: W, packedB: pw, c, cOffset: s * B * G, beta: 1 }]);
    products.push([gemmNN, { m: B, n: G, k: H, a: h, aOffset: s * B * H, b: U, packedB: pu, c, cOffset: s * B * G, beta: 1 }]);
    products.push([gemmNT, { m: B, n: H, k: G, a: z, aOffset: s * B * G, b: U, packedB: put, c: dh, beta: 1 }]);
  }
  products.push([gemmTN, { m: I, n: G, k: T * B, a: x, b: z, c: dW }]);
  products.push([gemmTN, { m: H, n: G, k: T * B, a: h, b: z, c: dU }]);
  const flops = products.reduce((sum, [, a]) => sum + 2 * a.m * a.n * a.k, 0);
  let best = 0;
  for (let r = 0; r < rounds; r++) {
    const cpu0 = process.cpuUsage();
    for (const [f, a] of products) f(a);
    const cpu = process.cpuUsage(cpu0);
    best = Math.max(best, flops / ((cpu.user + cpu.system) * 1e3));
  }
  return best;
}

/** Functions whose callees run while the pool's workers work alongside (parallel.ts). */
const POOL_SECTIONS = new Set(['runOnPool', 'splitRows', 'splitColumns']);

/** The nodes of the call tree at or under a pool section's frame. */
function pooledNodes(nodes: ProfileNode[], byNode: Map<number, ProfileNode>): Set<ProfileNode> {
  const out = new Set<ProfileNode>();
  const stack = nodes.filter((n) => POOL_SECTIONS.has(n.callFrame.functionName));
  while (stack.length > 0) {
    const n = stack.pop() as ProfileNode;
    if (out.has(n)) continue;
    out.add(n);
    for (const c of n.children ?? []) stack.push(byNode.get(c) as ProfileNode);
  }
  return out;
}

async function main(): Promise<void> {
  const id = arg('--case', 'lstm-train-64x64x128x256');
  const reps = Number(arg('--reps', '5'));
  const warmup = Number(arg('--warmup', '2'));
  const wantThreads = Number(arg('--threads', '1'));
  const c = findCase(id, 'full');
  if (wantThreads !== 1 && wantThreads !== 2) throw new Error(`profile: --threads must be 1 or 2, received ${wantThreads}`);
  const ready = await setup(c, wantThreads === 2 ? 'seqlab-2t' : 'seqlab');
  if ('unsupported' in ready) throw new Error(`profile: ${ready.unsupported}`);
  for (let i = 0; i < warmup; i++) await ready.step();
  const threads = getThreads();
  if (threads !== wantThreads) throw new Error(`profile: ${wantThreads} threads asked for, ${threads} running after the warm-up`);

  const session = new Session();
  session.connect();
  const post = <T>(method: string, params?: object) =>
    new Promise<T>((resolve, reject) => session.post(method, params ?? {}, (err, res) => (err ? reject(err) : resolve(res as T))));
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 200 });
  await post('Profiler.start');
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  for (let i = 0; i < reps; i++) await ready.step();
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const cpuMs = (cpu.user + cpu.system) / 1000;
  const { profile } = await post<{ profile: Profile }>('Profiler.stop');
  session.disconnect();

  const byNode = new Map<number, ProfileNode>(profile.nodes.map((n) => [n.id, n]));
  const pooled = pooledNodes(profile.nodes, byNode);
  let inPool = 0;
  const selfUs = new Map<ProfileNode, number>();
  profile.samples.forEach((id, i) => {
    const n = byNode.get(id) as ProfileNode;
    selfUs.set(n, (selfUs.get(n) ?? 0) + profile.timeDeltas[i]);
  });
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0);
  const cats = new Map<string, number>();
  const fns = new Map<string, number>();
  const serialFns = new Map<string, number>();
  const modules = wasmModules(profile.nodes);
  for (const [n, us] of selfUs) {
    if (n.callFrame.functionName === '(idle)' || n.callFrame.functionName === '(program)') continue;
    if (pooled.has(n)) inPool += us;
    const cat = category(n.callFrame, modules);
    cats.set(cat, (cats.get(cat) ?? 0) + us);
    const key = `${n.callFrame.functionName || '(anonymous)'} ${n.callFrame.url.split('/').slice(-2).join('/')}`;
    fns.set(key, (fns.get(key) ?? 0) + us);
    if (!pooled.has(n)) serialFns.set(key, (serialFns.get(key) ?? 0) + us);
  }
  const counted = [...cats.values()].reduce((a, b) => a + b, 0);
  const perStep = wall / reps;
  // on a shared machine the process waits for a core: the CPU time it got is the better measure
  console.log(`${id}: ${reps} steps; per step ${perStep.toFixed(1)} ms wall, ${(cpuMs / reps).toFixed(1)} ms CPU, ${(counted / 1000 / reps).toFixed(1)} ms sampled running (of ${(total / 1000 / reps).toFixed(1)} sampled)`);
  if (threads > 1) {
    const serial = (counted - inPool) / 1000 / reps;
    console.log(`${threads} threads, the calling thread: ${(inPool / 1000 / reps).toFixed(1)} ms a step inside the pool's sections, ${serial.toFixed(1)} ms outside them (serial)`);
  }
  console.log('| part | ms per step | share |');
  console.log('|---|---:|---:|');
  for (const cat of ['GEMM', 'activations', 'lanes', 'cell loops', 'rest']) {
    const us = cats.get(cat) ?? 0;
    console.log(`| ${cat} | ${(us / 1000 / reps).toFixed(1)} | ${((100 * us) / counted).toFixed(0)}% |`);
  }
  if (c.kind === 'layer') {
    const [B, T, I, H] = c.shape;
    const G = c.cell === 'LSTM' ? 4 : c.cell === 'GRU' ? 3 : 1;
    const flops = caseGemmFlops(B, T, I, H, G, c.mode === 'train');
    const share = (cats.get('GEMM') ?? 0) / counted;
    const gemmMs = (share * cpuMs) / reps;
    const inStep = flops / gemmMs / 1e6;
    console.log(`GEMM: ${(flops / 1e9).toFixed(2)} GFLOP per step in ${gemmMs.toFixed(1)} ms (its share of the CPU time) = ${inStep.toFixed(1)} GFLOP/s`);
    if (c.cell === 'LSTM' && c.mode === 'train') {
      const alone = lstmGemmRate(B, T, I, H, 3);
      console.log(`the same products alone: ${alone.toFixed(1)} GFLOP/s (CPU time, best of 3): inside the step GEMM runs at ${((100 * inStep) / alone).toFixed(0)}% of its own rate`);
    }
  }
  console.log('top functions by self time:');
  for (const [k, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, 12)) console.log(`  ${((100 * us) / counted).toFixed(1).padStart(5)}%  ${k}`);
  if (threads > 1) {
    console.log('outside the pool\'s sections, top functions (ms a step):');
    for (const [k, us] of [...serialFns].sort((a, b) => b[1] - a[1]).slice(0, 16)) console.log(`  ${(us / 1000 / reps).toFixed(2).padStart(6)}  ${k}`);
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
