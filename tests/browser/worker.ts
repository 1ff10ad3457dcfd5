/** The pool's worker script for the test pages: what a page bundles from `@seqlab/layers/worker`. */
import '@seqlab/layers/worker';
