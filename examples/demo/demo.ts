/**
 * The live demo page: vanishing gradients as they happen. SimpleRNN, LSTM and GRU train side by
 * side on the adding problem; their loss curves and ||dL/dh_t|| at every timestep (log scale)
 * redraw after every epoch, while `fit` yields so the page stays responsive. A second panel
 * trains a character-level LSTM on Hamlet and samples text at a chosen temperature.
 */
import { Adam, Dense, GRU, LSTM, Sequential, SimpleRNN, setSeed } from '@seqlab/layers';
import { Rng, useWebWorkers } from '@seqlab/tensor';
import { addingProblem as adding } from '../src/lib/adding_problem';
import { charLmData, charLmModel, continueText } from '../src/lib/char_lm';
import { hiddenGradNorms } from '../src/lib/grad_norms';

const $ = <E extends HTMLElement>(id: string) => document.getElementById(id) as E;
const CELLS = { SimpleRNN, LSTM, GRU } as const;
type CellName = keyof typeof CELLS;
const COLORS: Record<CellName, string> = { SimpleRNN: '#d62728', LSTM: '#1f77b4', GRU: '#2ca02c' };

/** A line chart as SVG: one polyline per series, optional log-scale y, optional dashed reference line. */
function chart(svg: SVGSVGElement, series: { name: string; color: string; values: number[] }[], title: string, logY: boolean, ref?: { value: number; label: string }): void {
  const W = 360, H = 220, L = 48, R = 8, Tp = 22, B = 28;
  const ys = series.flatMap((s) => s.values).filter((v) => Number.isFinite(v) && (!logY || v > 0));
  if (ref && ys.length) ys.push(ref.value);
  const f = (v: number) => (logY ? Math.log10(v) : v);
  const lo = ys.length ? Math.min(...ys.map(f)) : 0;
  const hi = ys.length ? Math.max(...ys.map(f)) : 1;
  const n = Math.max(2, ...series.map((s) => s.values.length));
  const px = (i: number) => L + ((W - L - R) * i) / (n - 1);
  const py = (v: number) => Tp + (H - Tp - B) * (1 - (f(v) - lo) / (hi - lo || 1));
  const lines = series
    .filter((s) => s.values.length > 0)
    .map((s) => `<polyline fill="none" stroke="${s.color}" stroke-width="2" points="${s.values.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ')}"><title>${s.name}</title></polyline>`);
  const label = (v: number) => (logY ? (10 ** v).toExponential(1) : v.toPrecision(3));
  svg.setAttribute('viewBox', `0 0 ${W} ${H}`);
  svg.innerHTML =
    `<text x="${L}" y="14" font-size="12">${title}</text>` +
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}" stroke="#888"/><line x1="${L}" y1="${Tp}" x2="${L}" y2="${H - B}" stroke="#888"/>` +
    `<text x="2" y="${Tp + 8}" font-size="10">${label(hi)}</text><text x="2" y="${H - B}" font-size="10">${label(lo)}</text>` +
    lines.join('') +
    (ref && ys.length ? `<line x1="${L}" y1="${py(ref.value).toFixed(1)}" x2="${W - R}" y2="${py(ref.value).toFixed(1)}" stroke="#888" stroke-dasharray="4 3"/><text x="${W - R - 4}" y="${(py(ref.value) - 4).toFixed(1)}" font-size="10" fill="#666" text-anchor="end">${ref.label}</text>` : '') +
    series.map((s, k) => `<text x="${L + 8 + k * 95}" y="${H - 6}" font-size="11" fill="${s.color}">${s.name}</text>`).join('');
}

/** MSE of always answering 1, the mean of the sum (its variance: 2 · 1/12): a model must get below it to have learned anything. */
const BASELINE = { value: 1 / 6, label: 'baseline: always 1 (0.167)' };

let stop: AbortController | null = null;

async function runAdding(): Promise<void> {
  stop?.abort();
  const ctl = new AbortController();
  stop = ctl;
  const T = Number(($('length') as HTMLInputElement).value);
  const lr = Number(($('lr') as HTMLInputElement).value);
  const pick = ($('cell') as HTMLSelectElement).value;
  const epochs = Number(($('epochs') as HTMLInputElement).value);
  const samples = Number(($('samples') as HTMLInputElement).value);
  const names = (pick === 'all' ? Object.keys(CELLS) : [pick]) as CellName[];
  const train = adding(samples, T, 1);
  const probe = adding(32, T, 3);
  const runs = names.map((name) => {
    setSeed(1);
    const rnn = new CELLS[name]({ units: 16, inputShape: [T, 2] });
    const readout = new Dense({ units: 1 });
    const model = new Sequential([rnn, readout]);
    model.compile({ optimizer: new Adam({ learningRate: lr, clipnorm: 1 }), loss: 'mse' });
    return { name, rnn, readout, model, losses: [] as number[], norms: [] as number[] };
  });
  const draw = () => {
    chart($('loss') as unknown as SVGSVGElement, runs.map((r) => ({ name: r.name, color: COLORS[r.name], values: r.losses })), `training loss (MSE), T = ${T}`, false, BASELINE);
    chart($('grads') as unknown as SVGSVGElement, runs.map((r) => ({ name: r.name, color: COLORS[r.name], values: r.norms })), '||dL/dh_t|| at each timestep t (log scale)', true);
  };
  for (let epoch = 0; epoch < epochs && !ctl.signal.aborted; epoch++) {
    for (const r of runs) {
      try {
        const h = await r.model.fit(train.x, train.y, { epochs: 1, batchSize: 32, verbose: 0, yieldEvery: 'batch', signal: ctl.signal, seed: epoch });
        r.losses.push((h.history.loss as number[])[0]);
      } catch (e) {
        if ((e as Error).name === 'AbortError') return;
        throw e;
      }
      r.norms = hiddenGradNorms(r.rnn.cell, r.readout, probe.x, probe.y);
      draw();
      $('status').textContent = `epoch ${epoch + 1}/${epochs}: ${runs.map((q) => `${q.name} ${q.losses[q.losses.length - 1]?.toFixed(4) ?? '-'}`).join(', ')}`;
    }
  }
  $('status').textContent += ' (done)';
}

/** Hamlet's whole text, windows of STEPS characters; LSTM(HAMLET_UNITS) (char_lm.ts). */
const STEPS = 50;
const HAMLET_UNITS = 128;

async function runHamlet(): Promise<void> {
  const text = await (await fetch('hamlet.txt')).text();
  const { vocab, ids, x, y } = charLmData(text, STEPS);
  setSeed(2);
  const model = charLmModel(vocab.size, STEPS, HAMLET_UNITS, 0.01);
  const rng = new Rng(4);
  const epochs = Number(($('hepochs') as HTMLInputElement).value);
  $('hamlet').textContent = `training on ${ids.length} characters of Hamlet (${x.shape[0]} windows of ${STEPS})...`;
  for (let epoch = 0; epoch < epochs; epoch++) {
    const h = await model.fit(x, y, { epochs: 1, batchSize: 32, verbose: 0, yieldEvery: 'batch', seed: epoch });
    const temperature = Number(($('temperature') as HTMLInputElement).value);
    const out = continueText(model, vocab, ids.subarray(0, STEPS), STEPS, 300, temperature, rng);
    $('hamlet').textContent = `epoch ${epoch + 1}, loss ${(h.history.loss as number[])[0].toFixed(3)}, temperature ${temperature}:\n${out}`;
  }
}

async function main(): Promise<void> {
  const threads = await useWebWorkers('worker.js', { threads: 2 }).catch(() => 1);
  $('threads').textContent = `${threads} thread${threads > 1 ? 's (Web Workers over shared memory)' : ''}`;
  let ticks = 0;
  setInterval(() => ($('clock').textContent = `page responsive: ${++ticks} ticks`), 100);
  $('start').addEventListener('click', () => void runAdding());
  $('hstart').addEventListener('click', () => void runHamlet());
  (window as unknown as { demo: unknown }).demo = { runAdding, runHamlet };
}

void main();
