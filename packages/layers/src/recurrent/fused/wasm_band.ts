/**
 * Running a band's time loop with its per-sequence buffers in wasm memory: the band's rows of every
 * buffer the loop touches are copied into a workspace of this thread's wasm memory once (step-major,
 * b1 - b0 rows a step), the cell's rows run there unchanged, on a job whose batch is the band, and
 * what the loop wrote is copied back once at the end. Inside, the per-step GEMMs, the vector
 * activations and the lanes primitives work on wasm memory in place (no copy per step). No cell
 * math here: a cell names its own buffers (`BandBuffers`), the common ones are known here.
 *
 * Only for float32 jobs on the 'wasm' kernels; otherwise the rows run on the job as given.
 * Results are the same either way, bit for bit: the same operations on the same values per row.
 */
import { DataArray, wasmWorkspace } from '@seqlab/tensor';
import type { BackJob, RowsJob } from './loop';

/**
 * How a buffer is laid over batch rows: step-major [T·B, w], states [(T+1)·B, w], one row per
 * batch row [B, w], or not by rows at all ('whole': every band reads all of it, as a bias).
 */
export type BandLayout = 'steps' | 'states' | 'rows' | 'whole';

/** A cell's own buffers in its job, by field name: layout, width (values per row), and whether the loop reads or writes them. */
export interface BandBuffer {
  field: string;
  layout: BandLayout;
  width: number;
  /**
   * 'in': read (copied in), 'out': written (copied back), 'inout': both, 'scratch': neither. States
   * ('states' layout) that a forward loop reads and writes are 'inout': only their first block,
   * the initial state, is copied in (the loop writes every later block before reading it).
   */
  io: 'in' | 'out' | 'inout' | 'scratch';
}

/** What a cell tells about its loop: its own buffers and its GEMMs ([rows of the band, n, k], B packed or not). */
export interface BandBuffers {
  buffers: BandBuffer[];
  products: { layout: 'NN' | 'NT'; n: number; k: number; packed: boolean }[];
  /** Floats of scratch the loop takes with `scratch(j, n)` (per-step temporaries). */
  scratch: number;
}

/** A job run in wasm memory carries a bump allocator over the workspace's scratch. */
interface Scratchy {
  takeScratch?: (n: number) => DataArray;
}

/** `n` values of scratch for the loop: in the workspace when the job runs in wasm memory, else a new array like `like`. */
export function scratch(j: RowsJob, n: number, like: DataArray): DataArray {
  const take = (j as RowsJob & Scratchy).takeScratch;
  return take !== undefined ? take(n) : new (like.constructor as new (n: number) => DataArray)(n);
}

interface Placed {
  field: string;
  layout: BandLayout;
  width: number;
  io: BandBuffer['io'];
  shared: DataArray;
}

function rowsOf(layout: BandLayout, T: number): number {
  return layout === 'steps' ? T : layout === 'states' ? T + 1 : 1;
}

/** Values of the band's copy of a buffer. */
function bandSize(p: Placed, T: number, nb: number): number {
  return p.layout === 'whole' ? p.shared.length : rowsOf(p.layout, T) * nb * p.width;
}

/**
 * Copies the band's rows between the shared buffer [·B, w] and the band's [·nb, w], block by block
 * (the first `blocks` blocks only, when given).
 */
function copyBand(p: Placed, local: DataArray, B: number, T: number, b0: number, b1: number, toLocal: boolean, blocks = rowsOf(p.layout, T)): void {
  if (p.layout === 'whole') {
    if (toLocal) local.set(p.shared);
    return;
  }
  const w = p.width;
  const nb = b1 - b0;
  for (let s = 0; s < blocks; s++) {
    const from = (s * B + b0) * w;
    const to = s * nb * w;
    if (toLocal) local.set(p.shared.subarray(from, from + nb * w), to);
    else p.shared.set(local.subarray(to, to + nb * w), from);
  }
}

/** The band's rows of a step-major byte or index mask [T·B] ([T·nb], a copy). */
function maskRows<A extends Uint8Array | Int32Array>(m: A | null, B: number, T: number, b0: number, b1: number): A | null {
  if (m === null) return null;
  const nb = b1 - b0;
  const out = new (m.constructor as new (n: number) => A)(T * nb);
  for (let s = 0; s < T; s++) out.set(m.subarray(s * B + b0, s * B + b1), s * nb);
  return out;
}

let bandsInWasm = 0;

/** How many bands ran in wasm memory on this thread so far (tests check the path is taken). */
export function wasmBandCount(): number {
  return bandsInWasm;
}

/**
 * Runs `rows` on the band [j.b0, j.b1) of `j` in this thread's wasm memory when it can (float32,
 * 'wasm' kernels), else on `j` itself.
 */
export function runBandInWasm<J extends RowsJob>(j: J, own: BandBuffers, rows: (job: J) => void): void {
  const { B, T, H, I, b0, b1 } = j;
  const nb = b1 - b0;
  if (!(j.hs instanceof Float32Array) || nb === 0) return rows(j);
  const back = j as unknown as J & Partial<BackJob>;
  const backward = back.dh !== undefined;
  const placed: Placed[] = [];
  const place = (field: string, layout: BandLayout, width: number, io: Placed['io']) => {
    const shared = (j as unknown as Record<string, DataArray | null>)[field];
    if (shared !== null && shared !== undefined) placed.push({ field, layout, width, io, shared });
  };
  // the buffers every loop has: states, dropped states, the step-major input, the state gradient, the dropout mask
  place('hs', 'states', H, backward ? 'in' : 'inout');
  if (j.hd !== j.hs) place('hd', 'steps', H, backward ? 'in' : 'out');
  if (j.hot === null && !backward) {
    place('xs', 'steps', I, 'out'); // backward never reads xs
    place('x', 'rows', T * I, 'in'); // the band's input rows, one block, for buildXs
  }
  if (j.idm !== null && (j.hot === null || backward)) place('idm', 'rows', I, 'in');
  if (j.rdm !== null) place('rdm', 'rows', H, 'in');
  place('bias', 'whole', 0, 'in');
  if (backward) {
    place('dh', 'rows', H, 'inout');
    place('dx', 'rows', T * I, 'out'); // written whole by inputGradRows (when the input needs a gradient)
    place('dOut', 'rows', back.returnSequences ? T * H : H, 'in'); // read a step at a time by addOutputGradRows
  }
  for (const b of own.buffers) place(b.field, b.layout, b.width, b.io);

  // the placed buffers, then the loop's scratch
  const sizes = [...placed.map((p) => bandSize(p, T, nb)), own.scratch];
  const products: NonNullable<Parameters<typeof wasmWorkspace>[1]> = own.products.map((p) => ({ ...p, m: nb }));
  // nothing is zeroed: what a loop reads it has copied in ('in', 'inout': the initial states of a
  // forward loop) or written first, and its scratch it writes before reading (held by the tests in
  // poison mode, where the workspace starts full of NaN); the fill cost ~2.5% of a training step
  const ws = wasmWorkspace(sizes, products, sizes.map(() => false));
  if (ws === null) {
    if (placed.some((p) => p.layout !== 'whole' && p.shared.length < rowsOf(p.layout, T) * B * p.width)) {
      throw new Error('runBandInWasm: step buffers were left out for a loop in wasm memory, but the kernels are not wasm');
    }
    return rows(j);
  }

  const local = { ...j, B: nb, b0: 0, b1: nb } as unknown as Record<string, unknown>;
  // batch-major inputs and outputs ([B, ...] rows b0..b1 are contiguous): views, no copy, unless placed below
  const rowsView = (a: DataArray | null | undefined, perRow: number) => (a === null || a === undefined ? null : a.subarray(b0 * perRow, b1 * perRow));
  local.x = rowsView(j.x, T * I);
  local.idm = rowsView(j.idm, I);
  local.run = maskRows(j.run, B, T, b0, b1);
  local.hot = maskRows(j.hot, B, T, b0, b1);
  if (backward) {
    local.xs = new Float32Array(0);
    local.emit = maskRows(back.emit ?? null, B, T, b0, b1);
    local.dOut = rowsView(back.dOut, back.returnSequences ? T * H : H);
    local.dx = rowsView(back.dx, T * I);
  }
  placed.forEach((p, i) => {
    local[p.field] = ws[i];
    // a forward loop reads of its states only the initial ones (block 0) before writing them
    if (p.io === 'inout' && p.layout === 'states' && !backward) copyBand(p, ws[i], B, T, b0, b1, true, 1);
    else if (p.io === 'in' || p.io === 'inout') copyBand(p, ws[i], B, T, b0, b1, true);
  });
  if (j.hd === j.hs) local.hd = local.hs;
  const pool = ws[ws.length - 1];
  let used = 0;
  local.takeScratch = (n: number) => {
    if (used + n > pool.length) throw new Error(`runBandInWasm: the loop takes more scratch than its ${pool.length} floats`);
    used += n;
    return pool.subarray(used - n, used);
  };

  rows(local as J);
  bandsInWasm++;
  // without a backward pass to come, the forward loop's step buffers are not needed: the states are (outputs, final states)
  const keepAll = backward || j.keep !== false;
  placed.forEach((p, i) => {
    if ((p.io === 'out' || p.io === 'inout') && (keepAll || p.layout === 'states')) copyBand(p, ws[i], B, T, b0, b1, false);
  });
}
