/**
 * Symbolic shapes (null = unknown, as Keras's None) and the shape errors every layer raises:
 *   LSTM 'encoder': expected input [batch, time, 28], received [100, 28]
 */
import { fmtShape } from '@seqlab/tensor';

/** A shape whose axes may be unknown (`null`), the batch axis first. */
export type SymShape = (number | null)[];

/** An expected shape: numbers must match, strings name free axes ('batch', 'time'). */
export type ShapePattern = (number | string)[];

/** A shape as Keras's summary prints it: `(None, 128, 64)`. */
export function fmtSymShape(shape: readonly (number | null)[]): string {
  return `(${shape.map((d) => (d === null ? 'None' : String(d))).join(', ')}${shape.length === 1 ? ',' : ''})`;
}

/** An expected shape as errors print it: `[batch, time, 28]`. */
export function fmtPattern(p: ShapePattern): string {
  return `[${p.join(', ')}]`;
}

/** A received shape as errors print it, unknown sizes as None: `[None, 28]`. */
export function fmtReceived(shape: readonly (number | null)[]): string {
  return fmtShape(shape.map((d) => (d === null ? -1 : d))).replace(/-1/g, 'None').replace(/,/g, ', ');
}

/** Throws unless `shape` fits `pattern` (same rank, equal where the pattern has numbers). */
export function expectShape(owner: string, what: string, shape: readonly (number | null)[], pattern: ShapePattern): void {
  const ok =
    shape.length === pattern.length &&
    pattern.every((p, i) => typeof p === 'string' || shape[i] === null || shape[i] === p);
  if (!ok) throw new Error(`${owner}: expected ${what} ${fmtPattern(pattern)}, received ${fmtReceived(shape)}`);
}

/** Number of elements of a shape, or null when a size is unknown. */
export function symSize(shape: readonly (number | null)[]): number | null {
  let n = 1;
  for (const d of shape) {
    if (d === null) return null;
    n *= d;
  }
  return n;
}
