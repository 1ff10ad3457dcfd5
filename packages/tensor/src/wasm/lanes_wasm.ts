/**
 * The lanes module on this thread's wasm memory, and the workspaces the fused recurrent loops keep
 * their per-sequence buffers in: float32 views of wasm memory that the lanes primitives, the vector
 * activations and the GEMM use in place, without copies.
 */
import { LaneOp, lanesModule } from './lanes_kernel';
import { ReservedProduct, wasmReserve } from './gemm_wasm';
import { arena } from './runtime';
import { stepBufferMode } from '../step_buffers';

export type LaneExports = Record<LaneOp | `${LaneOp}Rows` | 'gatherRows' | 'scatterAddRows', (...ptrsThenN: number[]) => void>;

let lanes: LaneExports | null = null;

/** The lanes functions, instantiated on this thread's memory on first use. */
export function laneExports(): LaneExports {
  if (lanes === null) lanes = arena().instantiate<LaneExports>(lanesModule());
  return lanes;
}

export { inArena as inWasm } from './runtime';

/**
 * Float32 buffers of the given sizes in this thread's wasm memory, for one sequence's loop on this
 * thread, after reserving the scratch of the GEMMs the loop will run on them (`products`):
 * growing the memory would detach every view, so nothing may grow it while they are in use. The
 * views stay valid until the next call on this thread (each call reuses the same region).
 * Buffer i is zeroed unless `zeroed[i]` is false: then it holds whatever the last loop left there,
 * for a caller that writes it whole before reading it (NaN in `setStepBufferMode('poison')`, so
 * that tests see a read of what was never written).
 */
export function wasmWorkspaceViews(sizes: number[], products: ReservedProduct[], zeroed?: readonly boolean[]): Float32Array[] {
  laneExports();
  wasmReserve(products);
  const mem = arena();
  // each buffer starts on a 16-byte boundary
  const starts: number[] = [];
  let total = 0;
  for (const n of sizes) {
    starts.push(total);
    total += Math.ceil(n / 4) * 4;
  }
  const ptr = mem.region('workspace', Math.max(16, total * 4));
  const f32 = mem.f32;
  const base = ptr >> 2;
  const poison = stepBufferMode() === 'poison';
  sizes.forEach((n, i) => {
    const zero = zeroed === undefined || zeroed[i] !== false;
    if (zero || poison) f32.fill(zero ? 0 : NaN, base + starts[i], base + starts[i] + n);
  });
  return sizes.map((n, i) => f32.subarray(base + starts[i], base + starts[i] + n));
}
