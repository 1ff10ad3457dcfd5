/** The row strides of a GEMM's operands (GemmArgs lda, ldb, ldc), with their defaults. */
import type { GemmArgs } from './gemm';
import type { Layout } from './parallel';

/**
 * The row strides of A, B and C as stored: the given ones, else those of dense operands (A [m, k]
 * or, for TN, [k, m]; B [k, n] or, for NT, [n, k]; C [m, n]).
 */
export function strides(layout: Layout, args: GemmArgs): { lda: number; ldb: number; ldc: number } {
  const { m, n, k } = args;
  return { lda: args.lda ?? (layout === 'TN' ? m : k), ldb: args.ldb ?? (layout === 'NT' ? k : n), ldc: args.ldc ?? n };
}
