/**
 * The two recurrent layers of a layer that runs one each way (Bidirectional), found by its shape
 * rather than by `instanceof Bidirectional`: the modules that look inside one (non-finite reports,
 * functional configs) then do not make a page that never uses Bidirectional bundle it.
 */
import type { Layer } from '../engine/layer';
import { RNN } from './rnn';

/** A layer with a forward and a backward recurrent layer (Bidirectional). */
export interface TwoDirections extends Layer {
  readonly forwardLayer: RNN;
  readonly backwardLayer: RNN;
}

/** `layer` when its `forwardLayer` and `backwardLayer` are RNNs (a Bidirectional), else null. */
export function twoDirections(layer: Layer): TwoDirections | null {
  const l = layer as Partial<TwoDirections>;
  return l.forwardLayer instanceof RNN && l.backwardLayer instanceof RNN ? (layer as TwoDirections) : null;
}
