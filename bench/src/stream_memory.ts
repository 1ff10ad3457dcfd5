/**
 * Peak resident memory of training on the IMDb training reviews, streamed against loaded first.
 *
 *   npm run bench:stream-memory                          # after a build; about 5-10 minutes on 2 cores
 *   node bench/dist/stream_memory.js --files 2500        # a shorter run on the first 2,500 batches' worth
 *
 * Each measurement runs in a fresh child process (one thread), so each peak (the kernel's maxRSS)
 * belongs to that path alone:
 * - `stream`: `textDatasetFromDirectory('aclImdb/train', { batchSize: 128, classNames: ['neg',
 *   'pos'], seed: 123 })` (the files are read as their batch is consumed), `adapt` on the text-only
 *   map, `fit(dataset)`: the seed-003 data path;
 * - `load`: every review read into memory first (a `string[]` and a label array), `adapt` on the
 *   array, the reviews vectorized into one `[n, 100]` tensor, `fit(x, y, { batchSize: 128 })`;
 * - `stream` again on a tenth of the files, to show the streamed peak does not grow with the
 *   number of files.
 * All three train the same model one epoch: TextVectorization(10,000 tokens, 100 ids) ->
 * Embedding(10000, 32) -> SimpleRNN(16) -> Dense(1) (smaller than seed 003's stacked model, so the
 * epoch is short; the model's memory is the same on both paths).
 */
import { spawnSync } from 'child_process';
import * as path from 'path';
import { Dense, Embedding, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';
import { Dataset, Element, TextVectorization, getFile, textDatasetFromDirectory } from '@seqlab/datasets';
import { Tensor } from '@seqlab/tensor';
import * as fs from 'fs';
import * as os from 'os';

const IMDB_URL = 'https://ai.stanford.edu/~amaas/data/sentiment/aclImdb_v1.tar.gz';
const MB = 2 ** 20;

interface Measure {
  mode: 'stream' | 'load';
  files: number;
  seconds: number;
  rssStartMB: number;
  peakRssMB: number;
  peakHeapMB: number;
  loss: number;
}

function model(tv: TextVectorization): Sequential {
  setSeed(1);
  const m = new Sequential([tv as never, new Embedding({ inputDim: 10000, outputDim: 32 }), new SimpleRNN({ units: 16 }), new Dense({ units: 1, activation: 'sigmoid' })]);
  m.compile({ optimizer: 'adam', loss: 'binaryCrossentropy' });
  return m;
}

/** One measurement, in this process. */
async function child(mode: 'stream' | 'load', files: number): Promise<Measure> {
  const aclImdb = path.join(await getFile('aclImdb_v1.tar.gz', IMDB_URL, { untar: true, log: null }), 'aclImdb');
  const rssStartMB = process.memoryUsage().rss / MB;
  let peakHeapMB = 0;
  const sample = (): void => void (peakHeapMB = Math.max(peakHeapMB, process.memoryUsage().heapUsed / MB));
  const t0 = Date.now();
  let full: Dataset<Element> = await textDatasetFromDirectory(path.join(aclImdb, 'train'), { batchSize: 128, classNames: ['neg', 'pos'], seed: 123, verbose: false });
  const batches = Math.ceil(files / 128);
  if (batches < full.cardinality()) full = full.take(batches);
  const tv = new TextVectorization({ maxTokens: 10000, outputSequenceLength: 100 });
  let loss: number;
  if (mode === 'stream') {
    await tv.adapt(full.map((e) => (e as [string[], Tensor])[0]));
    sample();
    const h = await model(tv).fit(full, { epochs: 1, verbose: 0, callbacks: [{ onBatchEnd: sample }] });
    loss = h.history.loss[0];
  } else {
    // everything in memory first: the texts and labels, then one tensor of ids
    const texts: string[] = [];
    const labels: number[] = [];
    for await (const [x, y] of full as AsyncIterable<[string[], Tensor]>) {
      texts.push(...x);
      labels.push(...y.data);
    }
    tv.adapt(texts);
    const ids = tv.call(texts) as Tensor;
    sample();
    const y = new Tensor(Float32Array.from(labels), [labels.length, 1]);
    const h = await model(tv).fit(ids, y, { batchSize: 128, epochs: 1, shuffle: false, verbose: 0, callbacks: [{ onBatchEnd: sample }] });
    loss = h.history.loss[0];
  }
  return { mode, files: Math.min(files, 25000), seconds: (Date.now() - t0) / 1000, rssStartMB, peakRssMB: process.resourceUsage().maxRSS / 1024, peakHeapMB, loss };
}

function runChild(mode: string, files: number): Measure {
  const r = spawnSync(process.execPath, [__filename, '--child', mode, String(files)], { env: { ...process.env, SEQLAB_THREADS: '1' }, encoding: 'utf8', maxBuffer: 1 << 24 });
  const line = r.stdout.split('\n').find((l) => l.startsWith('@@ '));
  if (r.status !== 0 || !line) throw new Error(`stream_memory: the ${mode} child failed (status ${r.status}):\n${r.stderr}`);
  return JSON.parse(line.slice(3)) as Measure;
}

async function main(): Promise<void> {
  const argv = process.argv;
  const i = argv.indexOf('--child');
  if (i >= 0) {
    const m = await child(argv[i + 1] as 'stream' | 'load', Number(argv[i + 2]));
    process.stdout.write(`@@ ${JSON.stringify(m)}\n`);
    return;
  }
  const f = argv.indexOf('--files');
  const files = f >= 0 ? Number(argv[f + 1]) : 25000;
  console.log(`load average at start: ${os.loadavg().map((v) => v.toFixed(2)).join(' ')} (${os.cpus().length} CPUs); node ${process.version}`);
  const rows: Measure[] = [];
  for (const [mode, n] of [['stream', files], ['load', files], ['stream', Math.round(files / 10)]] as const) {
    const m = runChild(mode, n);
    rows.push(m);
    console.log(`${m.mode.padEnd(6)} ${String(m.files).padStart(5)} reviews: peak RSS ${m.peakRssMB.toFixed(0)} MB (at start ${m.rssStartMB.toFixed(0)} MB), peak heap ${m.peakHeapMB.toFixed(0)} MB, ${m.seconds.toFixed(0)} s, loss ${m.loss.toFixed(4)}`);
  }
  console.log(`load average at end: ${os.loadavg().map((v) => v.toFixed(2)).join(' ')}`);
  const out = path.join(__dirname, '..', 'results', 'stream_memory.json');
  fs.writeFileSync(out, `${JSON.stringify({ date: new Date().toISOString(), loadavg: os.loadavg(), rows }, null, 2)}\n`);
  console.log(`written: ${path.relative(process.cwd(), out)}`);
}

main().catch((e: Error) => {
  console.error(e.stack ?? e.message);
  process.exitCode = 1;
});
