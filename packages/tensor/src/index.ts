/**
 * @seqlab/tensor: contiguous row-major Float32Array tensors, broadcasting element-wise ops,
 * reductions, a register-blocked GEMM, shape ops and a seeded random generator.
 *
 * This is the entry for every platform (browsers, bundlers): nothing here imports a Node module
 * or generates code at run time. Node's entry (node.ts) adds the worker_threads pool and the
 * ndarray interop (ndarray-ops builds functions with `new Function`, which a strict content
 * security policy refuses); elsewhere the interop is `@seqlab/tensor/ndarray`.
 */
export * from './tensor';
export * from './random';
export * from './broadcast';
export * from './elementwise';
export * from './reduce';
export * from './softmax_rows';
export * from './crossentropy_rows';
export * from './gather_rows';
export { setRowSplit, rowSplits, sharedBands } from './row_split';
export * from './gemm';
export * from './kernels';
export * from './vector';
export * from './lanes';
export * from './adam';
export { wasmModules } from './wasm/modules';
export type { WasmModuleBytes } from './wasm/modules';
/** The wasm emitter the kernels are written with, for a reader's own kernels (bench/src/peak.ts uses it). */
export { Func as WasmFunc, encodeModule, I32, F32, F64, V128 } from './wasm/encode';
export * from './matmul';
export * from './shape_ops';
export {
  PARALLEL_MIN_WORK,
  setGemmSplit,
  allocShared,
  gemmSplits,
  getThreads,
  isShared,
  parallelGemm,
  poolHeldBuffers,
  poolJobMessages,
  poolJobsPosted,
  poolJobsWithdrawn,
  poolServes,
  runOnPool,
  setThreads,
  sharedBuffer,
  toShared,
} from './parallel';
export type { Layout, RunOnPoolOptions, SerialGemm } from './parallel';
export * from './buffer_pool';
export * from './step_buffers';
export { setPoolHost } from './pool_setup';
export type { PoolHost, PoolWorkerHandle } from './pool_host';
export type { PoolTask } from './pool_job';
export { HELD_LIMIT_BYTES } from './pool_wire';
export type { PoolChannel, WireMessage } from './pool_wire';
export * from './parallel_web';
export * from './web_worker';
