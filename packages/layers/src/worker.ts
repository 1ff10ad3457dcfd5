/**
 * `@seqlab/layers/worker`: the script of a page's pool workers (bundle it on its own, then
 * `useWebWorkers(url)` in the page). It serves GEMM bands, the built-in cells' time loops and the
 * one-hot kernel gradient's column bands by the names the kernels give them (threads.ts
 * `compiledModule`).
 */
import { serveWebWorker } from '@seqlab/tensor';
import { columnSumsCols, runBands, serveRowsModule } from './recurrent/fused/bands';
import { oneHotKernelGradCols } from './recurrent/fused/one_hot';
import * as gruAfter from './recurrent/gru/rows_reset_after';
import * as gruBefore from './recurrent/gru/rows_reset_before';
import * as lstm from './recurrent/lstm/rows';
import * as simpleRnn from './recurrent/simple_rnn/rows';

serveRowsModule('lstm/rows.js', lstm);
serveRowsModule('simple_rnn/rows.js', simpleRnn);
serveRowsModule('gru/rows_reset_after.js', gruAfter);
serveRowsModule('gru/rows_reset_before.js', gruBefore);
serveWebWorker({
  runBands: runBands as (j: never) => void,
  columnSumsCols: columnSumsCols as (j: never) => void,
  oneHotKernelGradCols: oneHotKernelGradCols as (j: never) => void,
});
