/**
 * TimeDistributed(layer): applies `layer` to every timestep, y[:, t] = layer(x[:, t]), by folding
 * time into the batch: [B, T, ...] -> [B·T, ...] -> layer -> [B, T, ...].
 *
 * The output is a new tensor, as in Keras (which stacks the steps' outputs): a softmax's logits do
 * not come with it, so a cross-entropy on TimeDistributed(Dense(softmax)) uses the clipped
 * probabilities, as Keras's does. Dense on 3-D input keeps them (Keras: `_keras_logits`).
 */
import * as A from '@seqlab/autograd';
import { Tensor } from '@seqlab/tensor';
import { CallArgs, Layer, LayerArgs, registerLayer } from '../engine/layer';
import { SymShape, fmtReceived } from '../engine/shapes';

/** Options of a wrapper layer (TimeDistributed, Bidirectional): the wrapped layer. */
export interface WrapperArgs extends LayerArgs {
  layer: Layer;
}

/**
 * Applies a layer to every timestep: x [batch, time, ...] runs through `layer` as [batch·time, ...]
 * and comes back as [batch, time, ...out]. One set of weights for all steps.
 * @example new TimeDistributed({ layer: new Dense({ units: 28 }) })   // [B, T, H] -> [B, T, 28]
 */
export class TimeDistributed extends Layer {
  readonly layer: Layer;

  constructor(args: WrapperArgs) {
    super(args);
    if (!(args.layer instanceof Layer)) throw new Error(`${this.label}: expected a Layer as 'layer'`);
    this.layer = args.layer;
    this.supportsMasking = true;
  }

  override getConfig(): Record<string, unknown> {
    return { ...super.getConfig(), layer: this.layer.toConfig() };
  }

  protected override sublayers(): Layer[] {
    return [this.layer];
  }

  private innerShape(inputShape: SymShape): SymShape {
    if (inputShape.length < 3) throw new Error(`${this.label}: expected input [batch, time, ...], received ${fmtReceived(inputShape)}`);
    return [null, ...inputShape.slice(2)];
  }

  override build(inputShape: SymShape): void {
    this.layer.ensureBuilt(this.innerShape(inputShape));
  }

  computeOutputShape(inputShape: SymShape): SymShape {
    const inner = this.layer.computeOutputShape(this.innerShape(inputShape)) as SymShape;
    return [inputShape[0], inputShape[1], ...inner.slice(1)];
  }

  call(x: Tensor, args: CallArgs): Tensor {
    const [b, t] = x.shape;
    const folded = A.reshape(x, [b * t, ...x.shape.slice(2)]);
    const y = this.layer.call(folded, { training: args.training, mask: null }) as Tensor;
    return A.reshape(y, [b, t, ...y.shape.slice(1)]);
  }
}
registerLayer('TimeDistributed', TimeDistributed);
