/**
 * Headless Chromium through puppeteer-core (ESM only, so it runs in this child process rather
 * than in jest's module registry). Reads one JSON command per line on stdin, answers one JSON
 * line on stdout: { id, result } or { id, error }.
 *
 *   { op: 'open', url }                      -> page number (console errors and page errors are kept)
 *   { op: 'evaluate', page, fn, arg }        -> what `(fn)(arg)` returns in the page (awaited)
 *   { op: 'screenshot', page, file }         -> writes a PNG
 *   { op: 'errors' }                         -> the console errors so far
 *   { op: 'close' }
 */
import puppeteer from 'puppeteer-core';
import { createInterface } from 'readline';

const browser = await puppeteer.launch({
  executablePath: process.argv[2],
  headless: true,
  // a headless page counts as hidden: without these its timers and renderer are throttled
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run', '--no-default-browser-check',
    '--disable-background-timer-throttling', '--disable-renderer-backgrounding', '--disable-backgrounding-occluded-windows'],
});
const pages = [];
const errors = [];

async function handle(c) {
  switch (c.op) {
    case 'open': {
      const page = await browser.newPage();
      await page.setViewport({ width: c.width ?? 1200, height: c.height ?? 900 });
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`${c.url}: ${m.text()}`);
        if (process.env.SEQLAB_BROWSER_LOG) process.stderr.write(`[page ${m.type()}] ${m.text()}\n`);
      });
      page.on('pageerror', (e) => errors.push(`${c.url}: ${String(e)}`));
      await page.goto(c.url, { waitUntil: 'load' });
      pages.push(page);
      return pages.length - 1;
    }
    case 'evaluate':
      return pages[c.page].evaluate(`(${c.fn})(${JSON.stringify(c.arg ?? null)})`);
    case 'screenshot':
      await pages[c.page].screenshot({ path: c.file, fullPage: false });
      return c.file;
    case 'errors':
      return errors;
    case 'close':
      await browser.close();
      setImmediate(() => process.exit(0));
      return null;
    default:
      throw new Error(`unknown op ${c.op}`);
  }
}

process.stdout.write(JSON.stringify({ ready: true }) + '\n');
for await (const line of createInterface({ input: process.stdin })) {
  const c = JSON.parse(line);
  try {
    process.stdout.write(JSON.stringify({ id: c.id, result: (await handle(c)) ?? null }) + '\n');
  } catch (e) {
    process.stdout.write(JSON.stringify({ id: c.id, error: String(e && e.stack ? e.stack : e) }) + '\n');
  }
}
