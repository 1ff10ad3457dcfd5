/**
 * @seqlab/tensor in Node: everything of the platform-neutral entry (index.ts), the ndarray
 * interop, and the thread pool on worker_threads (installed here).
 *
 * @packageDocumentation
 * @module @seqlab/tensor
 */
import { nodePoolHost } from './parallel_node';
import { setPoolHost } from './pool_setup';

export * from './index';
export * from './ndarray_interop';
export { DEFAULT_MAX_THREADS } from './parallel_node';

setPoolHost(nodePoolHost);
