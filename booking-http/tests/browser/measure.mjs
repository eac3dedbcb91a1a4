// Measures the web app as a buyer meets it (not a test: benches/webapp.sh
// runs it against a release server, and BENCHMARKS.md has the figures).
//
//   node measure.mjs BASE_URL EVENT_NAME [SECTION]
//
// Prints one JSON line: the time from choosing the event (or, with SECTION,
// the section on the venue's map) to its first seat on screen, from a click
// on a seat to the seat shown as held, the bytes the browser received to
// open it (API answers and the live streams' first messages), and the
// longest main-thread task over the next MEASURE_SECS seconds while the
// command in CHURN runs (benches/webapp.sh: 32 other users locking and
// unlocking seats of the event). With TRACE=FILE, the browser's trace of
// that time is written to FILE, and the long tasks in it explained (below).

import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { DESKTOP, launchBrowser, logIn, seatBecomes } from './harness.mjs';

const [base, eventName, section] = process.argv.slice(2);
const seconds = Number(process.env.MEASURE_SECS ?? 10);
const browser = await launchBrowser();
const page = await logIn(browser, base, 'alice', 'alice123', DESKTOP);

// Every byte received: the answers' bytes on the wire, and the live
// streams' messages (a stream never finishes, so its bytes on the wire are
// not reported until it closes: its messages are counted instead, as their
// data's length).
const cdp = await page.context().newCDPSession(page);
await cdp.send('Network.enable');
const received = new Map();
cdp.on('Network.loadingFinished', (e) => received.set(e.requestId, e.encodedDataLength));
let streamed = 0;
cdp.on('Network.eventSourceMessageReceived', (e) => { streamed += e.data.length; });
const bytesSince = (before) => [...received].filter(([id]) => !before.has(id)).reduce((sum, [, n]) => sum + n, 0);
let before = new Set();
await page.evaluate(() => {
  window.longestTask = 0;
  window.longTasks = 0;
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      window.longestTask = Math.max(window.longestTask, entry.duration);
      window.longTasks += 1;
    }
  }).observe({ type: 'longtask' });
});

const firstSeat = page.locator('button.seat').first();
await page.getByRole('article').filter({ hasText: eventName }).getByRole('link', { name: 'Choose seats' }).click();
if (section) {
  await page.locator('.venue-map [data-section]').first().waitFor();
  before = new Set(received.keys());
  streamed = 0;
}
let started = performance.now();
if (section) await page.locator(`.venue-map [data-section="${section}"]`).click();
await firstSeat.waitFor();
const firstSeatsMs = performance.now() - started;
// Opening includes the streams' first messages (the seats shown).
await page.waitForTimeout(1500);
const openBytes = bytesSince(before) + streamed;
const rowsDrawn = await page.locator('.grid .row:has(button.seat)').count();

const free = await page.locator('button.seat.available').nth(3);
const label = (await free.getAttribute('aria-label')).split(', ')[0].replace(/^Seat /, '');
started = performance.now();
await free.click();
await seatBecomes(page, label, 'held by you', 10_000);
const clickToHeldMs = performance.now() - started;

const [command, ...args] = (process.env.CHURN ?? '').split(' ').filter(Boolean);
const churn = command ? spawn(command, args, { stdio: 'ignore' }) : null;
await page.waitForTimeout(2000); // the churn under way
await page.evaluate(() => { window.longestTask = 0; window.longTasks = 0; });
if (process.env.TRACE) await browser.startTracing(page, { categories: ['devtools.timeline', 'disabled-by-default-devtools.timeline'] });
await page.waitForTimeout(seconds * 1000);
const [longestTaskMs, longTasks] = await page.evaluate(() => [window.longestTask, window.longTasks]);
const traced = process.env.TRACE ? explainLongTasks(await browser.stopTracing()) : {};
churn?.kill();
const seats = await page.locator('button.seat').count();

console.log(JSON.stringify({
  event: eventName, section: section ?? null, seats_on_page: seats, rows_drawn_at_open: rowsDrawn,
  first_seats_ms: Math.round(firstSeatsMs), click_to_held_ms: Math.round(clickToHeldMs),
  open_bytes: openBytes, longest_task_ms: Math.round(longestTaskMs), tasks_over_50_ms: longTasks, measured_secs: seconds, churn: Boolean(churn),
  ...traced,
}));
await browser.close();

/**
 * With TRACE set: the page's main-thread tasks over 50 ms in the browser's
 * trace of the churn, each with its time on the CPU (a task also lasts
 * while the thread waits for a CPU: on a loaded machine, most of a long
 * task can be waiting) and what took its time (the trace's events inside
 * it of 2 ms or more), on standard error. Answers the longest task's time
 * and the most CPU time one task took, for the JSON line; the trace is kept
 * at $TRACE, for Chromium's DevTools (Performance, Load profile).
 */
function explainLongTasks(buffer) {
  writeFileSync(process.env.TRACE, buffer);
  const { traceEvents } = JSON.parse(buffer.toString());
  const main = traceEvents.find((e) => e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const onMain = traceEvents.filter((e) => e.ph === 'X' && e.pid === main.pid && e.tid === main.tid);
  const tasks = onMain.filter((e) => e.name === 'RunTask');
  for (const task of tasks.filter((e) => e.dur > 50_000)) {
    const inside = onMain.filter((e) => e !== task && e.ts >= task.ts && e.ts + e.dur <= task.ts + task.dur && e.dur >= 2000);
    const parts = inside.map((e) => `${e.name}${e.args?.data?.functionName ? `(${e.args.data.functionName})` : ''} ${(e.dur / 1000).toFixed(1)}`);
    console.error(`task ${(task.dur / 1000).toFixed(1)} ms, ${(task.tdur / 1000).toFixed(1)} ms on the CPU: ${parts.join(', ')}`);
  }
  const most = (key) => Math.round(Math.max(0, ...tasks.map((t) => t[key] ?? 0)) / 1000);
  return { traced_longest_task_ms: most('dur'), traced_most_cpu_in_a_task_ms: most('tdur') };
}
