/**
 * One small training case run the same way in Node and in a page: an LSTM and a Dense head on
 * a deterministic sequence task, trained with Adam. Returns the per-epoch losses, the predictions
 * and the weights file's bytes, so runs can be compared bit for bit.
 */
import { Adam, Dense, LSTM, Sequential, setSeed } from '@seqlab/layers';
import { Rng, Tensor, setKernels } from '@seqlab/tensor';

export interface CaseOptions {
  kernels: 'js' | 'wasm';
  batch: number;
  time: number;
  units: number;
  epochs: number;
  /** Samples (a multiple of batch). */
  samples: number;
  /** Called after every epoch (the page reports progress with it). */
  onEpoch?: (epoch: number, loss: number) => void;
}

export interface CaseResult {
  losses: number[];
  predictions: number[];
  weights: Uint8Array;
  /** Predictions of a second model, built with other initial weights, after loadWeights(bytes). */
  restored: number[];
  ms: number;
}

/** The adding problem: x[t] = (value, marker), y = the sum of the two marked values. */
export function addingData(samples: number, time: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Float32Array(samples * time * 2);
  const y = new Float32Array(samples);
  for (let s = 0; s < samples; s++) {
    const a = Math.floor(rng.uniform(0, time / 2));
    const b = Math.floor(rng.uniform(time / 2, time));
    for (let t = 0; t < time; t++) {
      const v = rng.uniform(0, 1);
      x[(s * time + t) * 2] = v;
      x[(s * time + t) * 2 + 1] = t === a || t === b ? 1 : 0;
      if (t === a || t === b) y[s] += v;
    }
  }
  return { x: new Tensor(x, [samples, time, 2]), y: new Tensor(y, [samples, 1]) };
}

export async function trainCase(o: CaseOptions): Promise<CaseResult> {
  const was = setKernels(o.kernels);
  try {
    setSeed(5);
    const { x, y } = addingData(o.samples, o.time, 9);
    const model = new Sequential([new LSTM({ units: o.units, inputShape: [o.time, 2] }), new Dense({ units: 1 })]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'mse' });
    const start = performance.now();
    const history = await model.fit(x, y, {
      epochs: o.epochs,
      batchSize: o.batch,
      shuffle: false,
      verbose: 0,
      yieldEvery: 'batch',
      callbacks: [{ onEpochEnd: (epoch: number, logs: Record<string, unknown>) => o.onEpoch?.(epoch, Number(logs.loss)) }],
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
