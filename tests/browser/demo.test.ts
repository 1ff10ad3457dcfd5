/**
 * The live demo (`npm run demo`, examples/demo) in Debian's Chromium: served with COOP/COEP, the
 * page runs the pool on two Web Workers, trains the three cells on the adding problem and draws
 * their loss curves and ||dL/dh_t|| at every timestep, the Hamlet panel generates text, the page
 * keeps ticking, a screenshot is not blank, and nothing is logged as an error.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { BrowserSession, chromiumPath, launch } from '../support/browser';

// eslint-disable-next-line @typescript-eslint/no-var-requires
const { startDemo } = require('../../examples/demo/serve.js') as { startDemo(o: { port: number }): Promise<{ url: string; close(): Promise<void> }> };

const chromium = chromiumPath();
const describeBrowser = chromium ? describe : describe.skip;
jest.setTimeout(60_000);

describeBrowser('the demo page', () => {
  let browser: BrowserSession;
  let demo: { url: string; close(): Promise<void> };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-demo-'));
  beforeAll(async () => {
    demo = await startDemo({ port: 0 });
    browser = await launch(chromium as string);
  });
  afterAll(async () => {
    await browser?.close();
    await demo?.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('trains SimpleRNN, LSTM and GRU, draws both plots, generates Hamlet, stays responsive, no errors', async () => {
    const page = await browser.open(`${demo.url}/`);
    const blank = path.join(dir, 'blank.png');
    await page.screenshot(blank);
    const state = await page.evaluate(async () => {
      const $ = (id: string) => document.getElementById(id) as HTMLInputElement;
      for (let i = 0; i < 100 && !$('threads').textContent; i++) await new Promise((r) => setTimeout(r, 50));
      $('length').value = '12';
      $('samples').value = '512';
      $('epochs').value = '3';
      $('hepochs').value = '1';
      const clock = () => Number(/(\d+) ticks/.exec($('clock').textContent ?? '')?.[1] ?? 0);
      const before = clock();
      const d = (window as unknown as { demo: { runAdding(): Promise<void>; runHamlet(): Promise<void> } }).demo;
      await d.runAdding();
      await d.runHamlet();
      return {
        threads: $('threads').textContent,
        ticks: clock() - before,
        status: $('status').textContent,
        lossLines: document.querySelectorAll('#loss polyline').length,
        gradLines: document.querySelectorAll('#grads polyline').length,
        gradPoints: (document.querySelector('#grads polyline')?.getAttribute('points') ?? '').trim().split(' ').length,
        hamlet: $('hamlet').textContent ?? '',
      };
    });
    expect(state.threads).toMatch(/^2 threads/);
    expect(state.status).toMatch(/epoch 3\/3: SimpleRNN [\d.]+, LSTM [\d.]+, GRU [\d.]+ \(done\)/);
    expect(state.lossLines).toBe(3);
    expect(state.gradLines).toBe(3);
    expect(state.gradPoints).toBe(12); // one point per timestep
    expect(state.hamlet).toMatch(/^epoch 1, loss [\d.]+, temperature 0\.8:\n[\s\S]{160}/);
    expect(state.ticks).toBeGreaterThan(3);
    const shot = path.join(dir, 'demo.png');
    await page.screenshot(shot);
    // a page with plots and text compresses far worse than the blank page before training
    expect(fs.statSync(shot).size).toBeGreaterThan(2 * fs.statSync(blank).size);
    if (process.env.SEQLAB_DEMO_SCREENSHOT) fs.copyFileSync(shot, process.env.SEQLAB_DEMO_SCREENSHOT);
    expect(await browser.errors()).toEqual([]);
  });
});
