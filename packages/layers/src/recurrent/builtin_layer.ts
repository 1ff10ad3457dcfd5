/**
 * What the layers of the built-in cells (SimpleRNN, LSTM, GRU) share: the cell's options taken out
 * of the layer's, and the cell named after its layer. Each layer lives beside its cell
 * (simple_rnn/layer.ts, lstm/layer.ts, gru/layer.ts), so a page bundles only the cells it uses.
 */
import { snakeCase } from '../engine/layer';
import { classNameOf } from '../engine/registry';
import { CellArgs } from './cells';
import { RNN, RecurrentLayerArgs } from './rnn';

/** The cell's options out of a built-in recurrent layer's options. */
export function cellArgs(args: RecurrentLayerArgs & { unitForgetBias?: boolean; resetAfter?: boolean }): CellArgs {
  const { units, activation, recurrentActivation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, dropout, recurrentDropout } = args;
  return {
    units, activation, recurrentActivation, useBias, kernelInitializer, recurrentInitializer, biasInitializer, dropout, recurrentDropout,
    unitForgetBias: args.unitForgetBias,
    resetAfter: args.resetAfter,
  };
}

/** Names the built-in cell after its layer, as Keras paths do: 'lstm/lstm_cell/kernel'. */
export function nameCell(layer: RNN): void {
  layer.cell.name = `${layer.name}/${snakeCase(classNameOf(layer.cell))}`;
}
