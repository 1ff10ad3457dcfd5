/**
 * @seqlab/autograd: tape-based reverse-mode differentiation over @seqlab/tensor.
 * Every differentiable op is exported here under the same name as its @seqlab/tensor kernel;
 * called inside `grad` / `valueAndGrad` / `gradients`, it records itself on the tape.
 *
 * @packageDocumentation
 * @module @seqlab/autograd
 */
export * from './tape';
export * from './variable';
export * from './grad';
export * from './check';
export * from './clip';
export * from './ops/arith';
export * from './ops/unary';
export * from './ops/reduce';
export * from './ops/crossentropy';
export * from './ops/linalg';
export * from './ops/shape';
