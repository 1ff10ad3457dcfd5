/**
 * The GRU's weight layout (Keras): kernel W [I, 3H], recurrentKernel U [H, 3H], the three gates side
 * by side as column blocks of H units in Keras order z, r, h. Bias: with resetAfter (the default)
 * [2, 3H], row 0 the input bias b, row 1 the recurrent bias b' (added to h·U, inside the reset);
 * without, [3H]. A row of the fused kernel's gate buffers [·, 3H] keeps the same blocks. Imports
 * nothing (pool workers load it).
 */

/** Column blocks of W, U, b and of a gates row: gate k is columns [k·H, (k+1)·H). */
export const GRU_GATE = { z: 0, r: 1, h: 2 } as const;

/** Gate blocks (G in the shapes). */
export const GRU_GATES = 3;

/** States: h. */
export const GRU_STATES = 1;

export function gruBiasShape(H: number, resetAfter: boolean): number[] {
  return resetAfter ? [2, GRU_GATES * H] : [GRU_GATES * H];
}
