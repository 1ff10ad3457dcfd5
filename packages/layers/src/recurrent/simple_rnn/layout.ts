/**
 * The SimpleRNN's weight layout (Keras): kernel W [I, H], recurrentKernel U [H, H], bias b [H]: one
 * block, the pre-activation a. Imports nothing (pool workers load it).
 */

/** Gate blocks (G in the shapes): the one pre-activation a. */
export const SIMPLE_RNN_GATES = 1;

/** States: h. */
export const SIMPLE_RNN_STATES = 1;

export function simpleRnnBiasShape(H: number): number[] {
  return [H];
}
