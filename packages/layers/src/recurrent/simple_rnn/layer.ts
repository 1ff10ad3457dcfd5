/**
 * The SimpleRNN layer: an RNN of the SimpleRNN cell (cell.ts), with the Keras options.
 *
 *   new SimpleRNN({ units: 16 }).apply(x)   // x [B, T, I] -> [B, 16]
 */
import { registerLayer } from '../../engine/layer';
import { cellArgs, nameCell } from '../builtin_layer';
import { RNN, RecurrentLayerArgs } from '../rnn';
import { SimpleRNNCell } from './cell';

/** Fully-connected RNN: h_t = φ(x_t·W + h_{t-1}·U + b). */
export class SimpleRNN extends RNN {
  declare readonly cell: SimpleRNNCell;
  constructor(args: RecurrentLayerArgs) {
    super({ ...args, cell: new SimpleRNNCell(cellArgs(args)) });
    nameCell(this);
  }
}
registerLayer('SimpleRNN', SimpleRNN);
