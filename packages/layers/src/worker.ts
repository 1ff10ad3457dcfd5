/**
 * `@seqlab/layers/worker`: the script of a page's pool workers (bundle it on its own, then
 * `useWebWorkers(url)` in the page). It serves GEMM bands and the recurrent layers' time loops.
 */
import { serveWebWorker } from '@seqlab/tensor';
import { columnSumsCols, runBands } from './recurrent/fused/rows';

serveWebWorker({ runBands, columnSumsCols });
