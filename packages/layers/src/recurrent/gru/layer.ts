/**
 * The GRU layer: an RNN of the GRU cell (cell.ts), with the Keras options.
 *
 *   new GRU({ units: 32, resetAfter: false }).apply(x)   // x [B, T, I] -> [B, 32]
 */
import { registerLayer } from '../../engine/layer';
import { cellArgs, nameCell } from '../builtin_layer';
import { RNN, RecurrentLayerArgs } from '../rnn';
import { GRUCell } from './cell';

/**
 * Options of the GRU layer: CellArgs and BaseRNNArgs, plus `resetAfter` (default true, as Keras:
 * bias [2, 3H], the cuDNN-compatible variant).
 */
export interface GRUArgs extends RecurrentLayerArgs {
  resetAfter?: boolean;
}

/** Gated recurrent unit; `resetAfter: true` by default (Keras). */
export class GRU extends RNN {
  declare readonly cell: GRUCell;
  constructor(args: GRUArgs) {
    super({ ...args, cell: new GRUCell(cellArgs(args)) });
    nameCell(this);
  }
}
registerLayer('GRU', GRU);
