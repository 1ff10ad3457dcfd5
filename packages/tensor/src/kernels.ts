/**
 * Which kernels run float32 products: `'wasm'`, WebAssembly SIMD emitted at run time (the default
 * wherever the engine validates it), or `'js'`, the scalar TypeScript kernels (the readable
 * reference, and the fallback). Float64 always runs on the scalar kernels (gradient checks).
 *
 *   SEQLAB_KERNELS=js node …    the scalar kernels from the start
 *   setKernels('wasm')          wasm from now on (an error where the engine has no wasm SIMD)
 */
import { simdAvailable } from './wasm/runtime';

/** The float32 product kernels: 'wasm' (WebAssembly SIMD, the default) or 'js' (scalar TypeScript). */
export type KernelsName = 'wasm' | 'js';

function envKernels(): string | undefined {
  // browser-safe: no `process` there
  return typeof process !== 'undefined' && process.env ? process.env.SEQLAB_KERNELS : undefined;
}

function check(where: string, k: unknown): KernelsName {
  if (k !== 'wasm' && k !== 'js') throw new Error(`${where}: expected 'wasm' or 'js', received '${String(k)}'`);
  if (k === 'wasm' && !simdAvailable()) throw new Error(`${where}: 'wasm' needs WebAssembly SIMD, which this engine does not validate; use 'js'`);
  return k;
}

function defaultKernels(): KernelsName {
  const env = envKernels();
  if (env !== undefined && env !== '') return check('SEQLAB_KERNELS', env);
  return simdAvailable() ? 'wasm' : 'js';
}

let current: KernelsName = defaultKernels();

/**
 * Selects the kernels for float32 products from now on; returns the previous choice.
 * @example const was = setKernels('js'); try { model.predict(x); } finally { setKernels(was); }
 */
export function setKernels(kernels: KernelsName): KernelsName {
  const was = current;
  current = check('setKernels', kernels);
  return was;
}

/** The kernels float32 products run on now. */
export function getKernels(): KernelsName {
  return current;
}
