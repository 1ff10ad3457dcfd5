/**
 * Plots as SVG files: a vega-lite spec is compiled to vega and rendered headless in Node
 * (`renderer: 'none'`, no canvas, no browser). PNG would need node-canvas, which is not a
 * dependency, so every plot is SVG. Files are written atomically.
 */
import * as path from 'path';
import * as vega from 'vega';
import * as vl from 'vega-lite';
import { writeFileAtomic } from './common';
import { dataUrl, grayPng } from './png';

// vega-lite's TopLevelSpec type is large; specs here are plain objects checked by vega-lite at compile time.
export type Spec = Record<string, unknown>;

/** The seed's two colors (matplotlib in seed 002: '#785ef0' train, '#dc267f' test) and more. */
export const COLORS = ['#785ef0', '#dc267f', '#fe6100', '#648fff', '#ffb000'];

/** Renders a vega-lite spec to an SVG string. */
export async function renderSvg(spec: Spec): Promise<string> {
  const compiled = vl.compile(spec as unknown as vl.TopLevelSpec).spec;
  const view = new vega.View(vega.parse(compiled), { renderer: 'none' });
  const svg = await view.toSVG();
  view.finalize();
  return svg;
}

/** Renders `spec` to `<dir>/<file>` and returns the path. */
export async function saveSvg(dir: string, file: string, spec: Spec): Promise<string> {
  const out = path.join(dir, file);
  writeFileAtomic(out, await renderSvg({ $schema: 'https://vega.github.io/schema/vega-lite/v5.json', ...spec }));
  return out;
}

/** Training and validation loss per epoch (seed 002's "Model Loss Progress"). */
export function lossCurveSpec(history: Record<string, number[]>, title: string, yTitle: string, series: [string, string][] = [['loss', 'Training set'], ['val_loss', 'Validation set']]): Spec {
  const values: { epoch: number; loss: number; set: string }[] = [];
  for (const [key, label] of series) (history[key] ?? []).forEach((v, i) => values.push({ epoch: i + 1, loss: v, set: label }));
  return {
    title,
    width: 480,
    height: 280,
    data: { values },
    mark: { type: 'line', point: true },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'Epoch', axis: { tickMinStep: 1 } },
      y: { field: 'loss', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'set', type: 'nominal', title: null, scale: { range: COLORS } },
    },
  };
}

/** ROC curve with the chance diagonal and the AUC in the legend (seed 002's figure 5.5). */
export function rocSpec(fpr: number[], tpr: number[], aucValue: number, title = 'Receiver Operating Characteristic Curve'): Spec {
  // thin the curve to at most ~600 points for a small file; the ends are kept
  const stride = Math.max(1, Math.floor(fpr.length / 600));
  const pts = fpr.map((f, i) => ({ fpr: f, tpr: tpr[i], i })).filter((p) => p.i % stride === 0 || p.i === fpr.length - 1);
  const label = `ROC curve (AUC = ${aucValue.toFixed(2)})`;
  return {
    title,
    width: 400,
    height: 360,
    layer: [
      {
        data: { values: pts.map((p) => ({ ...p, curve: label })) },
        mark: { type: 'line' },
        encoding: {
          x: { field: 'fpr', type: 'quantitative', title: 'False Positive Rate', scale: { domain: [0, 1] } },
          y: { field: 'tpr', type: 'quantitative', title: 'True Positive Rate', scale: { domain: [0, 1.05] } },
          order: { field: 'i', type: 'quantitative' },
          color: { field: 'curve', type: 'nominal', title: null, scale: { range: COLORS }, legend: { orient: 'bottom-right' } },
        },
      },
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: 'line', strokeDash: [6, 4], color: COLORS[1] },
        encoding: { x: { field: 'fpr', type: 'quantitative' }, y: { field: 'tpr', type: 'quantitative' } },
      },
    ],
  };
}

/**
 * A grid of grayscale images (28 x 28 digits, values in [0, 1], shown white on black as
 * matplotlib's 'gray' map does): each panel is an image mark holding a small PNG data URL, so
 * the SVG stays small. `titles` label the panels.
 */
export function imageGridSpec(images: ArrayLike<number>[], titles: string[], rows: number, cols: number, title: string, columns = 5): Spec {
  const values = images.map((img, k) => ({ panel: k, label: titles[k], url: dataUrl(grayPng(img, cols, rows, 3)) }));
  return {
    title,
    data: { values },
    facet: { field: 'panel', type: 'ordinal', header: { title: null, labelExpr: `${JSON.stringify(titles)}[datum.value]`, labelFontSize: 11 } },
    columns,
    spec: {
      width: cols * 3,
      height: rows * 3,
      mark: { type: 'image', width: cols * 3, height: rows * 3, align: 'left', baseline: 'top', smooth: false },
      encoding: { url: { field: 'url', type: 'nominal' }, x: { value: 0 }, y: { value: 0 } },
    },
  };
}

/** 2-d scatter colored by a class label (seed 002's latent-space figure 5.13). */
export function scatterSpec(points: { x: number; y: number; label: string }[], title: string, xTitle: string, yTitle: string): Spec {
  return {
    title,
    width: 460,
    height: 400,
    data: { values: points },
    mark: { type: 'circle', size: 8, opacity: 0.75 },
    encoding: {
      x: { field: 'x', type: 'quantitative', title: xTitle, scale: { zero: false } },
      y: { field: 'y', type: 'quantitative', title: yTitle, scale: { zero: false } },
      color: { field: 'label', type: 'nominal', title: 'digit', scale: { scheme: 'tableau10' } },
    },
  };
}

/** Writes PNG bytes to `<dir>/<file>` atomically and returns the path. */
export function savePng(dir: string, file: string, png: Buffer): string {
  const out = path.join(dir, file);
  writeFileAtomic(out, png);
  return out;
}
