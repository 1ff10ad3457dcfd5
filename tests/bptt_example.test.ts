/**
 * The learner's walk (`npm run example -- bptt`) in smoke mode: every fact it prints is held to
 * what it computed, and what it computed to what it claims (the hand-written step equals the
 * cell, the tape lists the step's ops, the gradient check passes, the fused kernel agrees).
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { run } from '../examples/src/examples/bptt';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'seqlab-bptt-'));
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

interface Figures {
  step: { maxDiffToCell: number; h: number[]; c: number[]; gates: Record<string, number[]> };
  scan: number[][];
  tape: { entries: number; beforeLoop: number; perStep: number; loss: number; names: string[] };
  gradientCheck: { ok: boolean; checked: number; maxAbsError: number; maxRelError: number; zeroUpstreamOk: boolean; reproducible: boolean };
  vanishing: { cell: string; initial: number[]; trained: number[]; testMse: number }[];
  fused: { tape: { fused: number; reference: number }; valueMaxDiff: number; gradMaxDiff: number; referenceMs: number; fusedMs: number; speedup: number };
  config: { length: number };
}

let figures: Figures;
let lines: string[];
const outDir = path.join(tmp, 'bptt');

beforeAll(async () => {
  lines = [];
  figures = (await run({ smoke: true, outDir, log: (s) => lines.push(s) })) as unknown as Figures;
}, 60000);

const printed = (s: string) => expect(lines.some((l) => l.includes(s))).toBe(true);

test('one LSTM step: the gate equations by hand equal LSTMCell.step, and the printed h_1 is the computed one', () => {
  expect(figures.step.maxDiffToCell).toBeLessThan(1e-6);
  const { i, f, c, o } = figures.step.gates;
  [i, f, o].forEach((g) => g.forEach((v) => expect(v > 0 && v < 1).toBe(true))); // sigmoids
  c.forEach((v) => expect(Math.abs(v)).toBeLessThan(1)); // tanh
  // c_1 = f ⊙ c_0 + i ⊙ c̃ and h_1 = o ⊙ tanh(c_1) hold on the printed values (4 decimals)
  figures.step.h.forEach((h, k) => expect(h).toBeCloseTo(o[k] * Math.tanh(figures.step.c[k]), 6));
  printed(`h_1 = o ⊙ tanh(c_1)     = [${figures.step.h.map((v) => (v >= 0 ? ' ' : '') + v.toFixed(4)).join(', ')} ]`);
  printed('LSTMCell.step gives the same h_1 and c_1');
});

test('the scan: one h_t per timestep, h_1 equal to the step worked by hand', () => {
  expect(figures.scan).toHaveLength(8);
  figures.scan.forEach((h) => expect(h).toHaveLength(3));
  // the printed h_1 of section 1 is the scan's h_1 (same cell, same sequence)
  figures.step.h.forEach((v, k) => expect(figures.scan[1][k]).toBeCloseTo(v, 6));
});

test('the tape: the same ops at every step, in the order of the LSTM equations, then the loss', () => {
  const { entries, beforeLoop, perStep, loss, names } = figures.tape;
  expect(entries).toBe(beforeLoop + 8 * perStep + loss);
  const step0 = names.slice(beforeLoop, beforeLoop + perStep);
  // the LSTM's nonlinearities: σ for i, f, o; tanh for c̃ and for c_t
  const count = (op: string) => step0.filter((n) => n === op).length;
  expect([count('sigmoid'), count('tanh')]).toEqual([3, 2]);
  expect(step0.indexOf('matmul')).toBe(0);
  for (let t = 1; t < 8; t++) expect(names.slice(beforeLoop + t * perStep, beforeLoop + (t + 1) * perStep)).toEqual(step0);
  expect(names.slice(entries - loss)).toEqual(['matmul', 'add', 'sub', 'square', 'mean']);
  printed(`${entries} entries`);
});

test('the gradient check passes in float64 with both invariants, and prints its max error', () => {
  const g = figures.gradientCheck;
  expect(g.ok).toBe(true);
  expect(g.zeroUpstreamOk && g.reproducible).toBe(true);
  expect(g.checked).toBe(2 * 12 + 3 * 12 + 12 + 3 + 1); // kernel, recurrent kernel, bias, read-out kernel and bias
  expect(g.maxAbsError).toBeLessThan(1e-8);
  printed(`max abs error ${g.maxAbsError.toExponential(2)}`);
});

test('vanishing gradients: a norm per timestep for both cells; at initialization both shrink going back in time', () => {
  expect(figures.vanishing.map((r) => r.cell)).toEqual(['SimpleRNN', 'LSTM']);
  const T = figures.config.length;
  for (const r of figures.vanishing) {
    for (const n of [r.initial, r.trained]) {
      expect(n).toHaveLength(T);
      n.forEach((v) => expect(v > 0 && Number.isFinite(v)).toBe(true));
    }
    expect(r.initial[0]).toBeLessThan(r.initial[T - 1] / 10);
    expect(Number.isFinite(r.testMse)).toBe(true);
  }
  // the LSTM's forget gates start near σ(1) ≈ 0.73: its gradient shrinks faster than the SimpleRNN's at first
  const [rnn, lstm] = figures.vanishing;
  expect(lstm.initial[0] / lstm.initial[T - 1]).toBeLessThan(rnn.initial[0] / rnn.initial[T - 1]);
  const svg = fs.readFileSync(path.join(outDir, 'vanishing-gradients.svg'), 'utf8');
  expect(svg.startsWith('<svg') && svg.trim().endsWith('</svg>')).toBe(true);
  expect(fs.readdirSync(outDir).sort()).toEqual(['results.json', 'vanishing-gradients.svg']);
});

test('the fused kernel agrees with the reference scan; the timing is printed, not asserted', () => {
  const f = figures.fused;
  expect(f.valueMaxDiff).toBeLessThan(1e-5);
  expect(f.gradMaxDiff).toBeLessThan(1e-4);
  expect(f.speedup).toBeGreaterThan(0);
  // one tape entry for the whole sequence against the scan's entries for each of its 50 steps
  expect(f.tape.fused).toBe(1);
  expect(f.tape.reference).toBeGreaterThan(50 * 10);
  printed(`the fused kernel records 1 entry for the whole sequence, the reference scan ${f.tape.reference}`);
  printed(`max |fused - reference| = ${f.valueMaxDiff.toExponential(2)}`);
  printed(`${(f.referenceMs / f.fusedMs).toFixed(1)}x faster`);
});
