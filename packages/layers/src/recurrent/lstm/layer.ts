/**
 * The LSTM layer: an RNN of the LSTM cell (cell.ts), with the Keras options.
 *
 *   new LSTM({ units: 32 }).apply(x)                                  // x [B, T, I] -> [B, 32]
 *   new LSTM({ units: 32, returnSequences: true, returnState: true })  // -> [[B, T, 32], h, c]
 */
import { registerLayer } from '../../engine/layer';
import { cellArgs, nameCell } from '../builtin_layer';
import { RNN, RecurrentLayerArgs } from '../rnn';
import { LSTMCell } from './cell';

/**
 * Options of the LSTM layer: CellArgs and BaseRNNArgs, plus `unitForgetBias` (default true: the
 * forget gate's bias starts at 1).
 */
export interface LSTMArgs extends RecurrentLayerArgs {
  unitForgetBias?: boolean;
}

/** Long short-term memory; states [h, c]. */
export class LSTM extends RNN {
  declare readonly cell: LSTMCell;
  constructor(args: LSTMArgs) {
    super({ ...args, cell: new LSTMCell(cellArgs(args)) });
    nameCell(this);
  }
}
registerLayer('LSTM', LSTM);
