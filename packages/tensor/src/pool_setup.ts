/**
 * `setPoolHost`: installs a source of workers (pool_host.ts) and enables the splits that use them,
 * the GEMM's (parallel.ts) and the row kernels' (row_split.ts). Without a host no worker starts and
 * `getThreads()` stays 1, so the splits could never run: a program that never installs a host (a
 * page without `useWebWorkers`) carries none of their code.
 */
import { PoolHost, installPoolHost } from './pool_host';
import { enableGemmSplit } from './parallel';
import { enableRowSplit } from './row_split';

/** Installs the source of workers (the Node entry does so for worker_threads; `useWebWorkers` in a page). */
export function setPoolHost(h: PoolHost): void {
  enableGemmSplit();
  enableRowSplit();
  installPoolHost(h);
}
