/**
 * @seqlab/tensor: contiguous row-major Float32Array tensors, broadcasting element-wise ops,
 * reductions, a register-blocked GEMM, shape ops and a seeded random generator.
 */
export * from './tensor';
export * from './random';
export * from './broadcast';
export * from './elementwise';
export * from './reduce';
export * from './gemm';
export * from './kernels';
export { wasmModules } from './wasm/modules';
export * from './matmul';
export * from './shape_ops';
export * from './ndarray_interop';
export * from './parallel';
