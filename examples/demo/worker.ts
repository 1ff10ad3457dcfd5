/** The demo's pool workers: GEMM bands and the recurrent layers' time loops. */
import '@seqlab/layers/worker';
