// Measures the web app as a buyer meets it (not a test: benches/webapp.sh
// runs it against a release server, and BENCHMARKS.md has the figures).
//
//   node measure.mjs BASE_URL EVENT_NAME [SECTION]
//
// Prints one JSON line: the time from choosing the event (or, with SECTION,
// the section on the venue's map) to its first seat on screen, from a click
// on a seat to the seat shown as held, the bytes the browser received to
// open it (API answers and the live stream's first message), and the
// longest main-thread task over the next MEASURE_SECS seconds while the
// command in CHURN runs (benches/webapp.sh: 32 other users locking and
// unlocking seats of the event).

import { spawn } from 'node:child_process';
import { DESKTOP, launchBrowser, logIn, seatBecomes } from './harness.mjs';

const [base, eventName, section] = process.argv.slice(2);
const seconds = Number(process.env.MEASURE_SECS ?? 10);
const browser = await launchBrowser();
const page = await logIn(browser, base, 'alice', 'alice123', DESKTOP);

// Every byte received, the live stream's included, from the browser's own count.
const cdp = await page.context().newCDPSession(page);
await cdp.send('Network.enable');
// Bytes on the wire of each finished request (the live stream never
// finishes: see mapBytes below).
const received = new Map();
cdp.on('Network.loadingFinished', (e) => received.set(e.requestId, e.encodedDataLength));
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
}
let started = performance.now();
if (section) await page.locator(`.venue-map [data-section="${section}"]`).click();
await firstSeat.waitFor();
const firstSeatsMs = performance.now() - started;
// Opening includes the stream's first message (the whole map or section).
await page.waitForTimeout(1500);
// The live stream's first message is the map (or section) the page starts
// from; the browser does not report an event stream's bytes reliably, so
// they are counted as the same seats read once more (the message is that
// JSON on a `data:` line).
const apiBytes = bytesSince(before);
const mapBytes = await page.evaluate(async (part) => {
  const event = location.hash.match(/events\/(\d+)/)[1];
  return (await (await fetch(`/api/events/${event}/seats/${part}`)).text()).length;
}, section ? `?section=${encodeURIComponent(section)}` : '');
const openBytes = apiBytes + mapBytes;

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
await page.waitForTimeout(seconds * 1000);
const [longestTaskMs, longTasks] = await page.evaluate(() => [window.longestTask, window.longTasks]);
churn?.kill();
const seats = await page.locator('button.seat').count();

console.log(JSON.stringify({
  event: eventName, section: section ?? null, seats_on_page: seats,
  first_seats_ms: Math.round(firstSeatsMs), click_to_held_ms: Math.round(clickToHeldMs),
  open_bytes: openBytes, longest_task_ms: Math.round(longestTaskMs), tasks_over_50_ms: longTasks, measured_secs: seconds, churn: Boolean(churn),
}));
await browser.close();
