/**
 * The browser targets, measured: the min+gzip size of a page bundle using LSTM + Dense + Adam;
 * training in Debian's Chromium on one thread against Node on the same case; two threads on Web
 * Workers in a cross-origin-isolated page against one. Best of a few runs each; prints the load.
 * SEQLAB_KERNELS=js: the scalar kernels; SEQLAB_BENCH_YIELD=never: fit without yielding.
 *
 *   npm run bench:browser
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import { setThreads } from '@seqlab/tensor';
import { STRICT_CSP, bundle, chromiumPath, launch, serve } from '../../tests/support/browser';
import { CaseOptions, trainCase } from '../../tests/browser/training_case';

const RUNS = 3;

async function main(): Promise<void> {
  const chromium = chromiumPath();
  if (!chromium) throw new Error('no Chromium at /usr/bin/chromium (or CHROME_PATH)');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-bench-browser-'));
  const entry = path.join(dir, 'lstm_page.ts');
  fs.writeFileSync(
    entry,
    `import { Adam, Dense, LSTM, Sequential } from '@seqlab/layers';
     const m = new Sequential([new LSTM({ units: 32, inputShape: [10, 1] }), new Dense({ units: 1 })]);
     m.compile({ optimizer: new Adam(), loss: 'mse' });
     (window as unknown as { model: unknown }).model = m;`,
  );
  const sizes = bundle({ lstm_page: entry }, dir);
  const min = fs.readFileSync(path.join(dir, 'lstm_page.js'));
  const gz = zlib.gzipSync(min, { level: 9 }).length;
  console.log(`bundle of a page with LSTM + Dense + Adam: ${(sizes['lstm_page.js'] / 1024).toFixed(1)} KiB minified, ${(gz / 1024).toFixed(1)} KiB (${gz} bytes) min+gzip (target <= 60 KB)`);

  bundle({ page: path.join(__dirname, '..', '..', 'tests', 'browser', 'page.ts'), worker: path.join(__dirname, '..', '..', 'tests', 'browser', 'worker.ts') }, dir);
  fs.writeFileSync(path.join(dir, 'index.html'), '<!doctype html><meta charset="utf-8"><title>seqlab</title><link rel="icon" href="data:,"><p id="progress"></p><script src="page.js"></script>');
  const plain = await serve(dir, { csp: STRICT_CSP });
  const isolated = await serve(dir, { isolated: true, csp: STRICT_CSP });
  const browser = await launch(chromium);
  try {
    const c: CaseOptions = { kernels: process.env.SEQLAB_KERNELS === 'js' ? 'js' : 'wasm', batch: 64, time: 32, units: 64, epochs: 2, samples: 512, yieldEvery: process.env.SEQLAB_BENCH_YIELD === 'never' ? 'never' : 'batch' };
    const best = async (f: () => Promise<number>): Promise<number> => {
      let b = Infinity;
      for (let i = 0; i < RUNS; i++) b = Math.min(b, await f());
      return b;
    };
    setThreads(1);
    const node = await best(async () => (await trainCase(c)).ms);
    const page = await browser.open(`${plain.url}/`);
    const inPage = (p: typeof page) => p.evaluate(new Function('o', 'return window.seqlab.train(o).then((r) => r.ms)') as (o: CaseOptions) => number, c);
    const web1 = await best(() => inPage(page));
    const iso = await browser.open(`${isolated.url}/`);
    const iso1 = await best(() => inPage(iso));
    const threads = await iso.evaluate(new Function('return window.seqlab.useWorkers(2)') as () => number);
    const iso2 = await best(() => inPage(iso));
    const f = (ms: number) => `${ms.toFixed(0)} ms`;
    console.log(`LSTM(${c.units}) + Dense on the adding problem, batch ${c.batch}, T ${c.time}, ${c.samples} samples x ${c.epochs} epochs, ${c.kernels} kernels, fit yielding every ${c.yieldEvery === 'never' ? 'never' : 'batch'}, best of ${RUNS}:`);
    console.log(`  Node ${process.version}, 1 thread:            ${f(node)}`);
    console.log(`  Chromium, 1 thread:                ${f(web1)}  (${(web1 / node).toFixed(2)}x Node; target <= 1.3x)`);
    console.log(`  Chromium isolated page, 1 thread:  ${f(iso1)}`);
    console.log(`  Chromium isolated page, ${threads} threads: ${f(iso2)}  (${(iso1 / iso2).toFixed(2)}x faster than 1 thread)`);
    // the same comparison on a larger case: threads pay when a batch's work outweighs the hand-off
    const big: CaseOptions = { ...c, time: 64, units: 128, epochs: 1 };
    await iso.evaluate(new Function('return window.seqlab.setThreads(1)') as () => number);
    const big1 = await best(() => iso.evaluate(new Function('o', 'return window.seqlab.train(o).then((r) => r.ms)') as (o: CaseOptions) => number, big));
    await iso.evaluate(new Function('n', 'return window.seqlab.setThreads(n)') as (n: number) => number, threads);
    const big2 = await best(() => iso.evaluate(new Function('o', 'return window.seqlab.train(o).then((r) => r.ms)') as (o: CaseOptions) => number, big));
    console.log(`LSTM(${big.units}), batch ${big.batch}, T ${big.time}, ${big.samples} samples x ${big.epochs} epoch, Chromium isolated page: 1 thread ${f(big1)}, ${threads} threads ${f(big2)} (${(big1 / big2).toFixed(2)}x faster than 1 thread)`);
    console.log(`  load average: ${os.loadavg().map((l) => l.toFixed(2)).join(', ')} on ${os.cpus().length} cores`);
  } finally {
    await browser.close();
    await plain.close();
    await isolated.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e) => {
    console.error(e);
    process.exit(1);
  },
);
