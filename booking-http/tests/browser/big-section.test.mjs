// A 10,000-seat event of one section (the compact notation `A-CV:1-100`)
// in the web app. Past 2,000 seats the page reads what it shows by rows:
// the rows' outline first (`GET /rows/`), then 20 rows at a time as they
// scroll into view, each part with its own live stream (`?rows=`). Never
// the whole map (2.65 MB). Speed is measured by benches/webapp.sh, not here.
// The last test takes pictures of the section scrolled, desktop and phone:
// target/browser/big-section.png and big-section-phone.png.
//
//   cd booking-http/tests/browser && npm ci && npm test

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DESKTOP, PHONE, accessibilityViolations, addEvent, launchBrowser, logIn, openEvent, root, seat, seatBecomes, startServer,
} from './harness.mjs';

const EVENT = 'Big Hall';
let server;
let browser;

before(async () => {
  server = await startServer();
  addEvent(server, ['--name', EVENT, '--starts-at', '2026-12-20T15:00:00Z', '--location', 'Arena', '--seats', 'A-CV:1-100:5000']);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** The API requests `page` makes, as paths with their query. */
function recordRequests(page) {
  const requests = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) requests.push(url.pathname + url.search);
  });
  return requests;
}

/** Every read of seats and every stream names its rows: never the whole map. */
function assertByRows(requests) {
  const seatReads = requests.filter((path) => /\/(seats|stream)\/(\?|$)/.test(path));
  assert.ok(seatReads.length > 0, 'the page streams its rows');
  for (const path of seatReads) assert.match(path, /\/(seats|stream)\/\?rows=[A-Z]+-[A-Z]+$/);
}

/** The labels of the rows drawn with their seats. */
const rowsDrawn = (page) => page.locator('.grid .row').evaluateAll((rows) =>
  rows.filter((row) => row.querySelector('button.seat')).map((row) => row.querySelector('.row-label').textContent));

/** Scrolls the seats' box to `top` (px). */
const scrollHall = (page, top) => page.locator('.hall-scroll').evaluate((box, y) => { box.scrollTop = y; }, top);

test('a 10,000-seat section opens by rows, reads more as it scrolls, and streams what it shows', async () => {
  const alice = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  const requests = recordRequests(alice);
  await openEvent(alice, EVENT);
  await seat(alice, 'A1').waitFor();
  // Every row is laid out (100 of them), a part of them with their seats.
  assert.equal(await alice.locator('.grid .row').count(), 100);
  const first = await rowsDrawn(alice);
  assert.ok(first.length >= 10 && first.length <= 40, `rows drawn at first: ${first.join(' ')}`);
  assert.equal(await alice.locator('button.seat').count(), first.length * 100);
  assert.ok(requests.some((path) => path.endsWith('/rows/')), requests.join(' '));

  // Another buyer's hold in a row on screen comes by the stream, as a change.
  const bob = await logIn(browser, server.base, 'bob', 'bob123', DESKTOP);
  await openEvent(bob, EVENT);
  await seat(bob, 'B7').click();
  await seatBecomes(bob, 'B7', 'held by you', 5000);
  const reads = requests.length;
  await seatBecomes(alice, 'B7', 'held by someone else', 5000);
  assert.deepEqual(requests.slice(reads), [], 'a change is not a reload');

  // Scrolled to the back: the last rows are read, and streamed.
  await scrollHall(alice, 1e6);
  await seat(alice, 'CV100').waitFor();
  await seat(alice, 'CV50').click();
  await seatBecomes(alice, 'CV50', 'held by you', 5000);
  await scrollHall(bob, 1e6);
  await seatBecomes(bob, 'CV50', 'held by someone else', 5000);
  await seat(bob, 'CV52').click();
  await seatBecomes(bob, 'CV52', 'held by you', 5000);
  await seatBecomes(alice, 'CV52', 'held by someone else', 5000);
  const drawn = await rowsDrawn(alice);
  assert.ok(drawn.includes('CV') && drawn.length < 100, `rows drawn after scrolling: ${drawn.join(' ')}`);
  assertByRows(requests);
  assert.ok(requests.some((path) => /stream\/\?rows=CC-CV$/.test(path)), requests.join(' '));

  // Best available holds the best seats (the front row) and shows them.
  const form = alice.getByRole('form', { name: 'Best available' });
  await form.getByRole('button', { name: 'Find seats' }).click();
  await alice.getByRole('status').filter({ hasText: /^Holding A\d+, A\d+ for you\.$/ }).waitFor();
  const [label] = (await alice.getByRole('status').filter({ hasText: /^Holding/ }).textContent()).match(/A\d+/);
  await seatBecomes(alice, label, 'held by you', 5000);
  const box = await alice.locator('.hall-scroll').boundingBox();
  const place = await seat(alice, label).boundingBox();
  assert.ok(place.y >= box.y - 1 && place.y + place.height <= box.y + box.height + 1, 'the seats held are in view');
  const summary = alice.getByRole('complementary', { name: 'Your seats' });
  await summary.getByText('CV50 · $50.00').waitFor();
  await bob.context().close();
  await alice.context().close();
});

test('the arrow keys move into rows not read yet, and a click moves them too', async () => {
  const page = await logIn(browser, server.base, 'admin', 'admin123', DESKTOP);
  const requests = recordRequests(page);
  await openEvent(page, EVENT);
  await seat(page, 'A1').waitFor();
  const first = await rowsDrawn(page);
  const last = first.at(-1);
  // A click on the last row drawn, then down into rows not read yet.
  await seat(page, `${last}3`).click();
  await seatBecomes(page, `${last}3`, 'held by you', 5000);
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label')?.split(',')[0]);
  // Five rows down: past the last row drawn at first.
  let row = last;
  for (let n = 0; n < 5; n += 1) {
    await page.keyboard.press('ArrowDown');
    const all = await page.locator('.grid .row .row-label').allTextContents();
    row = all[all.indexOf(row) + 1];
    await page.waitForFunction((label) => document.activeElement?.getAttribute('aria-label')?.startsWith(`Seat ${label},`), `${row}3`);
  }
  assert.ok(!first.includes(row), `row ${row} was not drawn at first (${first.join(' ')})`);
  assert.equal(await focused(), `Seat ${row}3`);
  // The seat reached by keys is on screen, and Enter holds it.
  const box = await page.locator('.hall-scroll').boundingBox();
  const place = await seat(page, `${row}3`).boundingBox();
  assert.ok(place.y >= box.y - 1 && place.y + place.height <= box.y + box.height + 1, 'the focused seat is in view');
  await page.keyboard.press('ArrowRight');
  await page.keyboard.press('Enter');
  await seatBecomes(page, `${row}4`, 'held by you', 5000);
  // Keys pressed quickly, faster than rows are read, all count.
  await page.keyboard.press('End');
  for (let n = 0; n < 25; n += 1) await page.keyboard.press('ArrowDown');
  const all = await page.locator('.grid .row .row-label').allTextContents();
  const target = `${all[Math.min(all.length - 1, all.indexOf(row) + 25)]}100`;
  await page.waitForFunction((label) => document.activeElement?.getAttribute('aria-label')?.startsWith(`Seat ${label},`), target);
  // + and − zoom the seats from the keyboard, the outlines of rows not
  // read yet with them.
  const zoom = () => page.locator('.hall').evaluate((hall) => Number(hall.style.getPropertyValue('--zoom') || 1));
  const outline = () => page.locator('.row-unread').first().evaluate((row) => row.getBoundingClientRect().width);
  const [wide, zoomed] = [await outline(), await zoom()];
  await page.keyboard.press('-');
  assert.ok(await zoom() < zoomed, 'zoomed out');
  assert.ok(await outline() < wide, 'the rows not read yet shrank with the seats');
  await page.keyboard.press('+');
  assert.ok(Math.abs(await zoom() - zoomed) < 1e-9, 'zoomed back');
  assertByRows(requests);
  await page.context().close();
});

for (const [size, viewport, user, pick] of [['desktop', DESKTOP, 'alice', 'AU2'], ['phone', PHONE, 'bob', 'AU3']]) {
  test(`no accessibility violations on the 10,000-seat section, scrolled (${size})`, async () => {
    const page = await logIn(browser, server.base, user, `${user}123`, viewport);
    await openEvent(page, EVENT);
    await seat(page, 'A1').waitFor();
    const found = { opened: await accessibilityViolations(page) };
    await page.locator('.hall-scroll').scrollIntoViewIfNeeded();
    await scrollHall(page, 1800);
    await page.locator('.grid .row', { hasText: 'AU' }).locator('button.seat').first().waitFor();
    await seat(page, pick).scrollIntoViewIfNeeded();
    await seat(page, pick).click();
    await seatBecomes(page, pick, 'held by you', 5000);
    found.scrolled = await accessibilityViolations(page);
    const dir = join(root, 'target/browser');
    mkdirSync(dir, { recursive: true });
    await page.screenshot({ path: join(dir, size === 'phone' ? 'big-section-phone.png' : 'big-section.png') });
    // Seats scrolled sideways: the row labels stay at the left of the box,
    // and the Confirm button on screen. A phone's seats are 44 px targets.
    await page.locator('.hall-scroll').evaluate((box) => { box.scrollLeft = 1500; });
    const hall = await page.locator('.hall-scroll').boundingBox();
    const label = await page.locator('.row-label').filter({ hasText: /^AU$/ }).boundingBox();
    assert.ok(Math.abs(label.x - hall.x) < 2, `row label at ${label.x} px, the box at ${hall.x} px`);
    const confirm = await page.getByRole('button', { name: 'Confirm reservation' }).boundingBox();
    assert.ok(confirm.y >= 0 && confirm.y + confirm.height <= viewport.height, 'the Confirm button is on screen');
    if (size === 'phone') assert.ok((await seat(page, pick).boundingBox()).width >= 44, 'a 44 px seat');
    await page.context().close();
    for (const [name, violations] of Object.entries(found)) assert.deepEqual(violations, [], `${name} page`);
  });
}
