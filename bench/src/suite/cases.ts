/**
 * The cases of the benchmark suite: what is timed, at which shapes, and what "the same
 * work" means for every implementation.
 *
 *   layer cases   SimpleRNN / LSTM / GRU alone, one training step (forward, backward, Adam update,
 *                 mean squared error against a [B, units] target) and one inference pass, at
 *                 (batch, time, features, units) = (32, 32, 64, 32) and (100, 128, 64, 32); and
 *                 LSTM / GRU at real model sizes, (64, 64, 128, units) for units 128, 256, 512
 *   imdb          seed 002: Embedding(10000, 64) -> LSTM(32) -> Dense(1, sigmoid), binary
 *                 crossentropy, batch 100, length 128 (the seed's Dropout and BatchNormalization
 *                 are left out, as the case is defined, so every implementation does deterministic work)
 *   charlm        seed 001: one-hot 65 -> LSTM(128, returnSequences) -> Dense(65, softmax) at
 *                 every step, categorical crossentropy, batch 64, 100 steps; and the same at 512 units
 *   gemm          GFLOP/s of C = A·B at the shapes the cases run (seqlab's GEMM and tfjs matMul)
 *
 * GRUs use resetAfter: false everywhere: TensorFlow.js has no resetAfter GRU (bias [3H]).
 * Every random input comes from a seeded generator, so every process builds the same data.
 */
export type Mode = 'train' | 'infer';
export type CellName = 'SimpleRNN' | 'LSTM' | 'GRU';

/** (batch, time, features, units) */
export type Shape4 = [number, number, number, number];

export interface LayerCase {
  kind: 'layer';
  id: string;
  cell: CellName;
  shape: Shape4;
  mode: Mode;
  large: boolean;
}

export interface ModelCase {
  kind: 'imdb' | 'charlm';
  id: string;
  mode: Mode;
  /** imdb: (batch, length, vocab, embedding dim, units); charlm: (batch, steps, vocab, units). */
  dims: number[];
  large: boolean;
}

export interface GemmCase {
  kind: 'gemm';
  id: string;
  /** [m, k, n]: C[m,n] = A[m,k]·B[k,n] */
  mkn: [number, number, number];
  /** Where this shape occurs. */
  role: string;
  large: boolean;
}

export type Case = LayerCase | ModelCase | GemmCase;

export const IMPLS = ['seqlab', 'seqlab-2t', 'tfjs-cpu', 'tfjs-wasm', 'brain'] as const;
export type Impl = (typeof IMPLS)[number];

export type Size = 'full' | 'smoke';

/**
 * Every case of the suite. `smoke` keeps the structure (every case, every implementation) with
 * tiny shapes, for the test that checks that every case runs.
 */
export function allCases(size: Size): Case[] {
  const smoke = size === 'smoke';
  const shapes: [Shape4, boolean][] = smoke
    ? [[[4, 3, 5, 3], false], [[6, 4, 5, 3], true]]
    : [[[32, 32, 64, 32], false], [[100, 128, 64, 32], true]];
  const out: Case[] = [];
  for (const [shape, large] of shapes) {
    for (const cell of ['SimpleRNN', 'LSTM', 'GRU'] as CellName[]) {
      for (const mode of ['train', 'infer'] as Mode[]) {
        out.push({ kind: 'layer', id: `${cell.toLowerCase()}-${mode}-${shape.join('x')}`, cell, shape, mode, large });
      }
    }
  }
  // real model sizes: batch 64, 64 steps, 128 features (smoke: one size, the code path is the same)
  const units = smoke ? [5] : [128, 256, 512];
  for (const H of units) {
    const shape: Shape4 = smoke ? [4, 3, 5, H] : [64, 64, 128, H];
    for (const cell of ['LSTM', 'GRU'] as CellName[]) {
      for (const mode of ['train', 'infer'] as Mode[]) {
        out.push({ kind: 'layer', id: `${cell.toLowerCase()}-${mode}-${shape.join('x')}`, cell, shape, mode, large: true });
      }
    }
  }
  const imdb = smoke ? [4, 6, 50, 8, 4] : [100, 128, 10000, 64, 32];
  const charlm = smoke ? [4, 5, 65, 8] : [64, 100, 65, 128];
  for (const mode of ['train', 'infer'] as Mode[]) {
    out.push({ kind: 'imdb', id: `imdb-${mode}`, mode, dims: imdb, large: true });
    out.push({ kind: 'charlm', id: `charlm-${mode}`, mode, dims: charlm, large: true });
    // the same model at 512 units (smoke: left out, the char case above runs its code)
    if (!smoke) out.push({ kind: 'charlm', id: `charlm512-${mode}`, mode, dims: [64, 100, 65, 512], large: true });
  }
  const gemm: [[number, number, number], string, boolean][] = smoke
    ? [[[4, 3, 12], 'recurrent step', false], [[12, 5, 12], 'input projection', false]]
    : [
        [[32, 32, 128], 'LSTM recurrent step, B=32', false],
        [[100, 32, 128], 'LSTM recurrent step, B=100', false],
        [[64, 128, 512], 'char-model LSTM recurrent step', false],
        [[1024, 64, 128], 'LSTM input projection, (32, 32)', false],
        [[12800, 64, 128], 'LSTM input projection, (100, 128)', true],
        [[6400, 65, 512], 'char-model input projection', true],
        [[6400, 128, 65], 'char-model Dense on every step', true],
        [[256, 256, 256], 'square reference', false],
        [[64, 256, 1024], 'LSTM(256) recurrent step, B=64', false],
        [[64, 512, 2048], 'LSTM(512) recurrent step, B=64', true],
        [[4096, 128, 1024], 'LSTM(256) input projection, (64, 64, 128)', true],
      ];
  for (const [mkn, role, large] of gemm) out.push({ kind: 'gemm', id: `gemm-${mkn.join('x')}`, mkn, role, large });
  return out;
}

export function findCase(id: string, size: Size): Case {
  const c = allCases(size).find((k) => k.id === id);
  if (!c) throw new Error(`bench: no case '${id}' (size ${size})`);
  return c;
}

/** Useful floating-point work of a case, for GFLOP/s columns: GEMM flops only (2·m·n·k each). */
export function gemmFlops(c: Case): number {
  if (c.kind === 'gemm') return 2 * c.mkn[0] * c.mkn[1] * c.mkn[2];
  if (c.kind === 'layer') {
    const [B, T, I, H] = c.shape;
    const G = c.cell === 'LSTM' ? 4 : c.cell === 'GRU' ? 3 : 1;
    const proj = 2 * B * T * I * G * H; //       x·W over all steps
    const rec = 2 * B * T * H * G * H; //        h·U, every step
    if (c.mode === 'infer') return proj + rec;
    // backward: dh·Uᵀ every step, dW = Xᵀ·dz, dU = Hᵀ·dz (the input needs no gradient)
    return proj + rec + rec + proj + rec;
  }
  return 0;
}
