/**
 * Whether a page's timer ran while `fit` trained: a timer that is due when fit yields after a
 * batch runs at that yield or the next one. Checked on the times of the timer's ticks and of the
 * batches' begins and ends (page.ts), not on a count of ticks over the training's duration, which
 * a loaded machine thins out without any fault of fit.
 *
 * Why the next one too: Chromium's scheduler queues a timer that fell due during a batch behind
 * the message fit posted to yield (yielding.ts `nextTurn`), which was queued while the batch ran;
 * by the next yield the timer is queued first. Seen in the page: a timer due during batch b ran
 * after batch b+1 about a third of the time, never later.
 */

/** The times (performance.now(), ms) a page records while it trains: ticks of a `tickMs` timer, batch begins and ends. */
export interface FitTimeline {
  tickMs: number;
  ticks: number[];
  begins: number[];
  ends: number[];
}

/**
 * The ticks between the first batch's begin and the last one's end; how many yields found the
 * timer due, and after how many of them it did not run within two yields.
 */
export interface YieldCheck {
  ticks: number;
  due: number;
  missed: number;
}

/**
 * Slack (ms) on "due": a tick that ran at time t is due again by t + tickMs (an interval timer
 * is scheduled from its planned times, never later than from its last run), and the page
 * coarsens its clock.
 */
const SLACK_MS = 2;

/**
 * For each yield after batch b that has two batches after it: the timer is due when its last tick
 * before batch b ended is more than `tickMs` (+ slack) old, or, with no tick since the first batch
 * began, when that began more than `tickMs` (+ slack) before; it missed when no tick falls between
 * batch b's end and batch b+2's begin (at the yield after b or after b+1: a batch itself runs
 * without a break). A fit that never yields misses at every one.
 */
export function checkYields(t: FitTimeline): YieldCheck {
  let due = 0;
  let missed = 0;
  let k = 0;
  let last = t.begins.length > 0 ? t.begins[0] : 0;
  // the tick before the first batch, if any, anchors the timer's schedule
  while (k < t.ticks.length && t.ticks[k] <= last) k++;
  if (k > 0) last = t.ticks[k - 1];
  for (let b = 0; b + 2 < t.begins.length && b < t.ends.length; b++) {
    const end = t.ends[b];
    while (k < t.ticks.length && t.ticks[k] <= end) last = t.ticks[k++];
    if (end - last <= t.tickMs + SLACK_MS) continue;
    due++;
    if (k >= t.ticks.length || t.ticks[k] >= t.begins[b + 2]) missed++;
  }
  const first = t.begins.length > 0 ? t.begins[0] : 0;
  const lastEnd = t.ends.length > 0 ? t.ends[t.ends.length - 1] : 0;
  const ticks = t.ticks.filter((x) => x > first && x < lastEnd).length;
  return { ticks, due, missed };
}
