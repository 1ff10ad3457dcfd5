/**
 * Models that travel: train in seqlab, then take the model elsewhere and check it still predicts
 * the same there.
 *
 *   1. a masked sequence classifier (Embedding with maskZero -> Bidirectional LSTM -> Dense) trained
 *      on post-padded synthetic sequences: is token 1 among the real tokens more often than token 2?
 *   2. `model.save` / `loadModel`: the seqlab model file, bit-identical predictions
 *   3. `saveTfjsModel`: model.json + shards, loaded by TensorFlow.js itself (`tf.loadLayersModel`)
 *   4. `exportOnnx`: model.onnx, run by ONNX Runtime (onnxruntime-web, its wasm backend)
 *
 * Each runtime predicts the held-out sequences; the table gives the largest difference from
 * seqlab's predictions and the file sizes.
 */
/* eslint-disable @typescript-eslint/no-explicit-any, @typescript-eslint/no-var-requires */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { Adam, Bidirectional, Dense, Embedding, LSTM, Sequential, exportOnnx, loadModel, saveTfjsModel, setSeed } from '@seqlab/layers';
import { Rng, Tensor } from '@seqlab/tensor';
import { Example, Figures, RunOptions, logger, outputDir, repoRoot, saveFigures, table } from '../lib/common';

const VOCAB = 12;
const LENGTH = 12;

/** Post-padded sequences of 3..LENGTH ids in [1, VOCAB); label 1 when id 1 occurs more often than id 2. */
export function countingTask(n: number, seed: number): { x: Tensor; y: Tensor } {
  const rng = new Rng(seed);
  const x = new Float32Array(n * LENGTH);
  const y = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const len = 3 + rng.int(LENGTH - 2);
    let ones = 0;
    let twos = 0;
    for (let t = 0; t < len; t++) {
      const id = 1 + rng.int(VOCAB - 1);
      x[i * LENGTH + t] = id;
      if (id === 1) ones++;
      if (id === 2) twos++;
    }
    y[i] = ones > twos ? 1 : 0;
  }
  return { x: new Tensor(x, [n, LENGTH]), y: new Tensor(y, [n, 1]) };
}

const maxAbsDiff = (a: ArrayLike<number>, b: ArrayLike<number>): number => {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
};

/** TensorFlow.js (cpu backend) loads the directory through an IO handler and predicts. */
async function tfjsPredict(dir: string, x: Tensor): Promise<Float32Array> {
  const tf = require('@tensorflow/tfjs');
  tf.env().set('IS_TEST', true); // no "install tfjs-node" notice
  await tf.setBackend('cpu');
  const json = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const shards = Buffer.concat(json.weightsManifest.flatMap((g: any) => g.paths).map((p: string) => fs.readFileSync(path.join(dir, p))));
  const model = await tf.loadLayersModel({
    load: async () => ({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g: any) => g.weights),
      weightData: shards.buffer.slice(shards.byteOffset, shards.byteOffset + shards.byteLength),
    }),
  });
  return model.predict(tf.tensor(Array.from(x.data), x.shape)).dataSync();
}

/**
 * ONNX Runtime (onnxruntime-web, wasm) runs the file in a child Node process: it loads its wasm
 * glue with a dynamic import, which some module loaders (jest's) refuse in-process.
 */
function onnxPredict(file: string, inputName: string, x: Tensor): Float32Array {
  const script = `
    const ort = require('onnxruntime-web');
    const fs = require('fs');
    (async () => {
      const req = JSON.parse(fs.readFileSync(0, 'utf8'));
      ort.env.wasm.numThreads = 1;
      const session = await ort.InferenceSession.create(fs.readFileSync(req.file));
      const out = await session.run({ [req.input]: new ort.Tensor('float32', Float32Array.from(req.data), req.dims) });
      process.stdout.write(JSON.stringify(Array.from(out[session.outputNames[0]].data)));
    })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`;
  const stdout = execFileSync(process.execPath, ['-e', script], {
    input: JSON.stringify({ file, input: inputName, data: Array.from(x.data), dims: x.shape }),
    cwd: repoRoot,
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  return Float32Array.from(JSON.parse(stdout) as number[]);
}

export const example: Example = {
  name: 'moving-models',
  description: 'train a masked BiLSTM classifier, save it (seqlab file), export it to TensorFlow.js and ONNX, and run it in both runtimes',
  async run(options: RunOptions = {}): Promise<Figures> {
    const log = logger(options);
    const dir = outputDir('moving-models', options);
    setSeed(3);
    const train = countingTask(options.smoke ? 200 : 4000, 1);
    const test = countingTask(options.smoke ? 50 : 500, 2);
    const model = new Sequential([
      new Embedding({ inputDim: VOCAB, outputDim: 8, maskZero: true, inputLength: LENGTH }),
      new Bidirectional({ layer: new LSTM({ units: 16 }) }),
      new Dense({ units: 1, activation: 'sigmoid' }),
    ]);
    model.compile({ optimizer: new Adam({ learningRate: 0.01 }), loss: 'binaryCrossentropy', metrics: ['accuracy'] });
    await model.fit(train.x, train.y, { epochs: options.smoke ? 1 : 8, batchSize: 50, verbose: 0, seed: 4 });
    const [, accuracy] = model.evaluate(test.x, test.y) as number[];
    log(`trained: test accuracy ${accuracy.toFixed(3)} on ${test.x.shape[0]} held-out sequences`);
    const ours = (model.predict(test.x) as Tensor).data;

    const seqlabFile = path.join(dir, 'model.seqlab');
    await model.save(seqlabFile);
    const again = await loadModel(seqlabFile);
    const seqlabDiff = maxAbsDiff((again.predict(test.x) as Tensor).data, ours);

    const tfjsDir = path.join(dir, 'tfjs');
    const { files } = await saveTfjsModel(model, tfjsDir);
    const tfjsDiff = maxAbsDiff(await tfjsPredict(tfjsDir, test.x), ours);

    const onnxFile = path.join(dir, 'model.onnx');
    await exportOnnx(model, onnxFile, { padding: 'post' }); // the mask becomes sequence lengths: post-padded inputs
    const onnxDiff = maxAbsDiff(onnxPredict(onnxFile, model.inputs[0].node.layer.name, test.x), ours);

    const size = (files: string[]) => files.reduce((n, f) => n + fs.statSync(f).size, 0);
    const rows = [
      ['seqlab model file', 'loadModel (seqlab)', size([seqlabFile]), seqlabDiff.toExponential(2)],
      ['TensorFlow.js layers', 'tf.loadLayersModel', size(files), tfjsDiff.toExponential(2)],
      ['ONNX (opset 14)', 'onnxruntime-web (wasm)', size([onnxFile]), onnxDiff.toExponential(2)],
    ];
    for (const line of table(['format', 'runtime', 'bytes', 'max |diff| vs seqlab'], rows)) log(line);
    log(`files in ${dir}`);
    const figures: Figures = { accuracy, seqlabDiff, tfjsDiff, onnxDiff, files: { seqlab: seqlabFile, tfjs: files, onnx: onnxFile } };
    saveFigures(dir, figures);
    return figures;
  },
};
