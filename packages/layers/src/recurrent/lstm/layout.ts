/**
 * The LSTM's weight layout (Keras): kernel W [I, 4H], recurrentKernel U [H, 4H], bias b [4H], the
 * four gates side by side as column blocks of H units in Keras order i, f, c, o. A row of the
 * fused kernel's gate buffers [·, 4H] keeps the same blocks. Imports nothing (pool workers load it).
 */

/** Column blocks of W, U, b and of a gates row: gate k is columns [k·H, (k+1)·H). */
export const LSTM_GATE = { i: 0, f: 1, c: 2, o: 3 } as const;

/** Gate blocks (G in the shapes). */
export const LSTM_GATES = 4;

/** States: h, c. */
export const LSTM_STATES = 2;

export function lstmBiasShape(H: number): number[] {
  return [LSTM_GATES * H];
}
