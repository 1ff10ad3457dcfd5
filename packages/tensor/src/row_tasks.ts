/**
 * The row kernels a pool worker runs by name (row_split.ts `runRowKernel`): the workers of every
 * platform have them, as they have the GEMM bands, with no module to load.
 */
import { crossentropyBand, crossentropyGradBand, sparseCrossentropyGradBand } from './crossentropy_rows';
import { gatherBand, scatterAddBand } from './gather_rows';
import { RowBandsJob, RowKernel, takeRowBands } from './row_split';
import { softmaxBackwardBand, softmaxBand } from './softmax_rows';

const kernels: Record<string, RowKernel<never>> = {
  softmax: softmaxBand,
  softmaxBackward: softmaxBackwardBand,
  crossentropy: crossentropyBand,
  crossentropyGrad: crossentropyGradBand,
  sparseCrossentropyGrad: sparseCrossentropyGradBand,
  gather: gatherBand,
  scatterAdd: scatterAddBand,
};

/** A worker's part of a row split: takes bands of rows and runs the kernel `j.kernel` on them. */
export function rows(j: RowBandsJob): void {
  const kernel = kernels[j.kernel] as RowKernel | undefined;
  if (kernel === undefined) throw new Error(`row tasks: no row kernel '${j.kernel}'`);
  takeRowBands(j, kernel);
}
