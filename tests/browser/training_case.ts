/**
 * One small training case run the same way in Node and in a page: an LSTM and a Dense head on
 * a deterministic sequence task, trained with Adam. Returns the per-epoch losses, the predictions
 * and the weights file's bytes, so runs can be compared bit for bit.
 */
import { Adam, Dense, LSTM, Sequential, setSeed } from '@seqlab/layers';
import { Tensor, setKernels } from '@seqlab/tensor';
import { addingProblem } from '../../examples/src/lib/adding_problem';

export interface CaseOptions {
  kernels: 'js' | 'wasm';
  batch: number;
  time: number;
  units: number;
  epochs: number;
  /** Samples (a multiple of batch). */
  samples: number;
  /** When fit yields to the event loop (default 'batch'). */
  yieldEvery?: 'batch' | 'never';
  /** Called after every epoch (the page reports progress with it). */
  onEpoch?: (epoch: number, loss: number) => void;
  /** Called as each batch begins and after it ends (before fit yields), with the batch's index. */
  onBatchBegin?: (batch: number) => void;
  onBatchEnd?: (batch: number) => void;
}

export interface CaseResult {
  losses: number[];
  predictions: number[];
  weights: Uint8Array;
  /** Predictions of a second model, built with other initial weights, after loadWeights(bytes). */
  restored: number[];
  ms: number;
}

export async function trainCase(o: CaseOptions): Promise<CaseResult> {
  const was = setKernels(o.kernels);
  try {
    setSeed(5);
    const { x, y } = addingProblem(o.samples, o.time, 9);
    const model = new Sequential([new LSTM({ units: o.units, inputShape: [o.time, 2] }), new Dense({ units: 1 })]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
    const start = performance.now();
    const history = await model.fit(x, y, {
      epochs: o.epochs,
      batchSize: o.batch,
      shuffle: false,
      verbose: 0,
      yieldEvery: o.yieldEvery ?? 'batch',
      callbacks: [
        {
          onEpochEnd: (epoch: number, logs: Record<string, unknown>) => o.onEpoch?.(epoch, Number(logs.loss)),
          onBatchBegin: (batch: number) => o.onBatchBegin?.(batch),
          onBatchEnd: (batch: number) => o.onBatchEnd?.(batch),
        },
      ],
    });
    const ms = performance.now() - start;
    const predictions = Array.from((model.predict(x) as Tensor).data.subarray(0, 8));
    const weights = await model.saveWeights();
    setSeed(6);
    const other = new Sequential([new LSTM({ units: o.units, inputShape: [o.time, 2] }), new Dense({ units: 1 })]);
    await other.loadWeights(weights);
    const restored = Array.from((other.predict(x) as Tensor).data.subarray(0, 8));
    return { losses: history.history.loss as number[], predictions, weights, restored, ms };
  } finally {
    setKernels(was);
  }
}
