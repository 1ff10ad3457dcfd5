/**
 * The adding problem of Hochreiter & Schmidhuber (1997), used by `npm start`, the bptt walk, the
 * demo page and the browser tests: no Node module, so it bundles for a page.
 */
import { Rng, Tensor } from '@seqlab/tensor';

/** `n` adding-problem sequences of `length` steps: x [n, length, 2], y [n, 1]. */
export function addingProblem(n: number, length: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const half = Math.floor(length / 2);
  const x = new Float32Array(n * length * 2);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < length; t++) x[(i * length + t) * 2] = rng.next();
    const a = rng.int(half); // first marker in the first half
    const b = half + rng.int(length - half); // second marker in the second half
    x[(i * length + a) * 2 + 1] = 1;
    x[(i * length + b) * 2 + 1] = 1;
    y[i] = x[(i * length + a) * 2] + x[(i * length + b) * 2];
  }
  return { x: new Tensor(x, [n, length, 2]), y: new Tensor(y, [n, 1]) };
}
