// A stadium in the web app: 60,000 seats in 120 blocks (examples/venues/
// stadium.json). The page opens on an overview of the blocks, loads and
// streams one block at a time, lists the buyer's seats from every block,
// and stays accessible on desktop and phone. It prints what it measures
// (time to the first seats, click to held, the longest main-thread task);
// benches/webapp.sh measures more, and BENCHMARKS.md has the figures. Speed is reported, not
// asserted: what is asserted is that the page never loads the whole map.
// The last test takes the README's pictures: target/browser/venue.png and
// venue-phone.png (copies kept in docs/).
//
//   cd booking-http/tests/browser && npm ci && npm test

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import {
  DESKTOP, PHONE, TOUCH, accessibilityViolations, addEvent, launchBrowser, line, logIn, root, seat, seatBecomes, startServer,
  touchGesture,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  addEvent(server, ['--name', 'Cup Final', '--starts-at', '2026-12-20T15:00:00Z',
    '--venue', join(root, 'examples/venues/stadium.json')]);
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

/** Opens the Cup Final's overview from the events list. */
async function openStadium(page) {
  await page.getByRole('article').filter({ hasText: 'Cup Final' }).getByRole('link', { name: 'Choose seats' }).click();
  await page.getByRole('heading', { level: 1, name: 'Cup Final', exact: true }).waitFor();
}

/** The API requests `page` makes, as paths with their query. */
function recordRequests(page) {
  const requests = [];
  page.on('request', (request) => {
    const url = new URL(request.url());
    if (url.pathname.startsWith('/api/')) requests.push(url.pathname + url.search);
  });
  return requests;
}

/** Starts counting main-thread tasks longer than 50 ms on `page`. */
async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.longestTask = 0;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) window.longestTask = Math.max(window.longestTask, entry.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
}

test('the stadium opens on its blocks; a block loads and streams alone; your seats span blocks', async () => {
  const alice = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  const requests = recordRequests(alice);
  await openStadium(alice);
  assert.equal(await alice.locator('.venue-map [data-section]').count(), 120, 'every block on the map');
  const sections = alice.getByRole('list', { name: 'Sections', exact: true });
  assert.equal(await sections.getByRole('listitem').count(), 120);
  assert.match(await sections.getByRole('listitem').first().textContent(), /Block 101\s*500 of 500 seats available/);

  // A block from the map: its 500 seats, read by section.
  let started = Date.now();
  await alice.locator('.venue-map [data-section="Block 101"]').click();
  await alice.getByRole('heading', { name: 'Cup Final: Block 101' }).waitFor();
  await seat(alice, 'Block 101 A1').waitFor();
  const firstSeats = Date.now() - started;
  assert.equal(await alice.locator('button.seat').count(), 500);
  await watchLongTasks(alice);
  started = Date.now();
  await seat(alice, 'Block 101 C5').click();
  await seatBecomes(alice, 'Block 101 C5', 'held by you', 5000);
  const clickToHeld = Date.now() - started;

  // Another buyer's hold in this block arrives by the stream, as a change.
  const bob = await logIn(browser, server.base, 'bob', 'bob123', DESKTOP);
  await bob.goto(`${new URL(alice.url()).origin}/${new URL(alice.url()).hash}`);
  await seat(bob, 'Block 101 C7').click();
  await seatBecomes(bob, 'Block 101 C7', 'held by you', 5000);
  const reads = requests.length;
  await seatBecomes(alice, 'Block 101 C7', 'held by someone else', 5000);
  assert.deepEqual(requests.slice(reads), [], 'a change is not a reload');

  // Another block, from the list: the seat held in Block 101 is still hers.
  await alice.getByRole('link', { name: 'All sections' }).click();
  await alice.getByRole('link', { name: 'Block 205', exact: true }).click();
  await seat(alice, 'Block 205 A3').click();
  await seatBecomes(alice, 'Block 205 A3', 'held by you', 5000);
  const summary = alice.getByRole('complementary', { name: 'Your seats' });
  await summary.getByText('Block 101 C5 · $220.00').waitFor();
  await summary.getByText('Block 205 A3 · $140.00').waitFor();
  await alice.getByRole('button', { name: 'Confirm reservation' }).click();
  await alice.getByRole('alert').filter({ hasText: 'Reserved Block 101 C5, Block 205 A3 for $360.00.' }).waitFor();

  // Never the whole map: every read of seats, and every stream, names its
  // block (the page starts from the stream's first message).
  const seatReads = requests.filter((path) => /\/(seats|stream)\/(\?|$)/.test(path));
  assert.ok(seatReads.filter((path) => path.includes('/stream/')).length >= 2, seatReads.join(' '));
  for (const path of seatReads) assert.match(path, /\/(seats|stream)\/\?section=Block%20\d+$/);
  const longest = await alice.evaluate(() => window.longestTask);
  console.log(`stadium block: first seats ${firstSeats} ms after the click, click to held ${clickToHeld} ms, `
    + `longest task ${longest.toFixed(0)} ms`);
  await bob.context().close();
  await alice.context().close();
});

test('best available from the overview opens the block of the seats it holds', async () => {
  const page = await logIn(browser, server.base, 'bob', 'bob123', DESKTOP);
  await openStadium(page);
  const form = page.getByRole('form', { name: 'Best available' });
  await form.getByLabel('Seats together').fill('3');
  await form.getByLabel('Category').selectOption('Category D');
  await form.getByRole('button', { name: 'Find seats' }).click();
  const alert = page.getByRole('alert').filter({ hasText: /^Holding Block 4\d\d [A-Z]+\d+, / });
  await alert.waitFor();
  const labels = (await alert.textContent()).replace(/^Holding | for you\.$/g, '').split(', ');
  assert.equal(labels.length, 3);
  const block = labels[0].split(' ').slice(0, 2).join(' ');
  await page.getByRole('heading', { name: `Cup Final: ${block}` }).waitFor();
  for (const label of labels) await seatBecomes(page, label, 'held by you', 5000);
  await page.context().close();
});

test('the map zooms with its buttons and keys, and pans by dragging', async () => {
  const page = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  await openStadium(page);
  const viewBox = () => page.locator('.venue-map').getAttribute('viewBox').then((v) => v.split(' ').map(Number));
  const [, , fullWidth] = await viewBox();
  await page.getByRole('button', { name: 'Zoom in' }).click();
  assert.ok((await viewBox())[2] < fullWidth * 0.7, 'zoomed in');
  await page.getByRole('group', { name: /^Map of the sections/ }).focus();
  await page.keyboard.press('-');
  assert.ok(Math.abs((await viewBox())[2] - fullWidth) < 1, 'zoomed out again');
  const [x] = await viewBox();
  const frame = await page.locator('.map-frame').boundingBox();
  await page.mouse.move(frame.x + 100, frame.y + 100);
  await page.mouse.down();
  await page.mouse.move(frame.x + 200, frame.y + 100, { steps: 5 });
  await page.mouse.up();
  assert.ok((await viewBox())[0] < x, 'dragged to the right: the view moved left');
  await page.getByRole('button', { name: 'Fit' }).click();
  assert.equal((await viewBox())[2], fullWidth);
  await page.context().close();
});

test('on a touch screen, two fingers zoom the map and the seats, and one finger moves them', async () => {
  const page = await logIn(browser, server.base, 'alice', 'alice123', PHONE, TOUCH);
  await openStadium(page);
  const viewBox = () => page.locator('.venue-map').getAttribute('viewBox').then((v) => v.split(' ').map(Number));
  const [, , fullWidth] = await viewBox();
  const frame = await page.locator('.map-frame').boundingBox();
  const middle = { x: frame.x + frame.width / 2, y: frame.y + frame.height / 2 };
  const off = (dx) => ({ x: middle.x + dx, y: middle.y });
  // Spread two fingers from 40 px apart to 160 px: four times closer.
  await touchGesture(page, [line(off(-20), off(-80)), line(off(20), off(80))]);
  const [xZoomed, , pinched] = await viewBox();
  assert.ok(pinched < fullWidth / 2, `the map zoomed in (viewBox width ${pinched} of ${fullWidth})`);
  await touchGesture(page, [line(off(-60), off(40))]);
  assert.ok((await viewBox())[0] < xZoomed, 'a finger moved to the right: the view moved left');
  // A tap on a block still opens it.
  await page.getByRole('button', { name: 'Fit' }).click();
  const tile = await page.locator('.venue-map [data-section="Block 101"]').boundingBox();
  await page.touchscreen.tap(tile.x + tile.width / 2, tile.y + tile.height / 2);
  await page.getByRole('heading', { name: 'Cup Final: Block 101' }).waitFor();
  // The seats at the top of the screen, clear of the sheet at its foot.
  await page.locator('.hall-scroll').evaluate((box) => box.scrollIntoView({ block: 'start' }));
  const box = await page.locator('.hall-scroll').boundingBox();
  const centre = { x: box.x + box.width / 2, y: box.y + 200 };
  const zoom = () => page.locator('.hall').evaluate((hall) => Number(hall.style.getPropertyValue('--zoom') || 1));
  // Fingers that spread apart also drift, as real ones do: the browser must
  // not take that for a scroll of the page.
  await touchGesture(page, [
    line({ x: centre.x - 30, y: centre.y }, { x: centre.x - 70, y: centre.y + 60 }),
    line({ x: centre.x + 30, y: centre.y }, { x: centre.x + 110, y: centre.y + 60 })]);
  assert.ok(await zoom() > 1.5, `the seats grew (zoom ${await zoom()})`);
  // One finger scrolls the seats by as far as it moves (the browser's own
  // scrolling, not doubled by the page's), and a tap still holds a seat.
  const scrolled = () => page.locator('.hall-scroll').evaluate((b) => ({ x: b.scrollLeft, y: b.scrollTop }));
  const before = await scrolled();
  await touchGesture(page, [line({ x: centre.x + 100, y: centre.y }, { x: centre.x - 60, y: centre.y })]);
  const moved = (await scrolled()).x - before.x;
  assert.ok(moved > 80 && moved <= 170, `a finger moved 160 px, and the seats ${moved} px`);
  const target = seat(page, 'Block 101 A1');
  await target.scrollIntoViewIfNeeded();
  const place = await target.boundingBox();
  await page.touchscreen.tap(place.x + place.width / 2, place.y + place.height / 2);
  await seatBecomes(page, 'Block 101 A1', 'held by you', 5000);
  await page.context().close();
});

for (const [size, viewport, pick] of [['desktop', DESKTOP, 'B2'], ['phone', PHONE, 'B3']]) {
  test(`no accessibility violations on the stadium's pages (${size})`, async () => {
    const page = await logIn(browser, server.base, 'alice', 'alice123', viewport);
    await openStadium(page);
    const found = { overview: await accessibilityViolations(page) };
    await page.getByRole('link', { name: 'Block 310', exact: true }).click();
    await page.getByRole('heading', { name: 'Cup Final: Block 310' }).waitFor();
    await seat(page, `Block 310 ${pick}`).click();
    await seatBecomes(page, `Block 310 ${pick}`, 'held by you', 5000);
    found.block = await accessibilityViolations(page);
    // The buyer's seats and the Confirm button stay on screen while the
    // block scrolls: beside it on a desktop, a sheet at the foot of a phone.
    await page.locator('.hall-scroll').scrollIntoViewIfNeeded();
    await page.mouse.wheel(0, 400);
    const confirm = await page.getByRole('button', { name: 'Confirm reservation' }).boundingBox();
    assert.ok(confirm.y >= 0 && confirm.y + confirm.height <= viewport.height,
      `the Confirm button is on screen (${confirm.y.toFixed(0)} px from the top of a ${viewport.height} px screen)`);
    await page.context().close();
    for (const [name, violations] of Object.entries(found)) assert.deepEqual(violations, [], `${name} page`);
  });
}

test('pictures of the venue view, desktop and phone', async () => {
  // Sales first, five seats at a time: two blocks sold out, one nearly,
  // one half, so the map shows each shade.
  const buyer = await logIn(browser, server.base, 'admin', 'admin123', DESKTOP);
  const event = await buyer.evaluate(async () => {
    const { events } = await (await fetch('/api/events/')).json();
    return events.find((e) => e.name === 'Cup Final').id;
  });
  const sold = await buyer.evaluate(async ([id, sales]) => {
    const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
    const post = (path, body) => fetch(path, {
      method: 'POST', headers: { 'X-CSRFToken': token, 'Content-Type': 'application/json' }, body: JSON.stringify(body),
    }).then((r) => r.json());
    let seats = 0;
    for (const [section, count] of sales) {
      for (let n = 0; n < count; n += 5) {
        const best = await post(`/api/events/${id}/best-available/`, { count: 5, sections: [section] });
        if (!best.success) break;
        const reserved = await post(`/api/events/${id}/reserve/`, { seat_ids: best.seats.map((s) => s.id) });
        if (reserved.success) seats += best.seats.length;
      }
    }
    return seats;
  }, [event, [['Block 101', 500], ['Block 102', 500], ['Block 130', 460], ['Block 103', 300], ['Block 201', 300]]]);
  assert.ok(sold >= 2000, `${sold} seats sold`);
  await buyer.context().close();

  const dir = join(root, 'target/browser');
  mkdirSync(dir, { recursive: true });
  const desktop = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  await openStadium(desktop);
  for (const band of ['plenty', 'some', 'last', 'sold-out']) {
    assert.ok(await desktop.locator(`.venue-map .map-section.${band}`).count() > 0, `a block shaded ${band}`);
  }
  await desktop.getByRole('heading', { level: 1 }).scrollIntoViewIfNeeded();
  await desktop.screenshot({ path: join(dir, 'venue.png') });
  await desktop.context().close();

  const phone = await logIn(browser, server.base, 'alice', 'alice123', PHONE);
  await phone.goto(`${server.base}/#/events/${event}/sections/${encodeURIComponent('Block 115')}`);
  for (const pick of ['F12', 'F13']) {
    await seat(phone, `Block 115 ${pick}`).click();
    await seatBecomes(phone, `Block 115 ${pick}`, 'held by you', 5000);
  }
  await phone.locator('.hall-scroll').scrollIntoViewIfNeeded();
  await phone.screenshot({ path: join(dir, 'venue-phone.png') });
  await phone.context().close();
});
