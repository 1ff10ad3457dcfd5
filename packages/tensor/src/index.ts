/**
 * @seqlab/tensor: contiguous row-major Float32Array tensors, broadcasting element-wise ops,
 * reductions, a register-blocked GEMM, shape ops and a seeded random generator.
 *
 * @packageDocumentation
 * @module @seqlab/tensor
 */
export * from './tensor';
export * from './random';
export * from './broadcast';
export * from './elementwise';
export * from './reduce';
export * from './gemm';
export * from './kernels';
export * from './vector';
export * from './lanes';
export { wasmModules } from './wasm/modules';
export type { WasmModuleBytes } from './wasm/modules';
/** The wasm emitter the kernels are written with, for a reader's own kernels (bench/src/peak.ts uses it). */
export { Func as WasmFunc, encodeModule, I32, F32, V128 } from './wasm/encode';
export * from './matmul';
export * from './shape_ops';
export * from './ndarray_interop';
export * from './parallel';
