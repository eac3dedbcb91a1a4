// The web app's defects found by trying it as a buyer would, each kept fixed
// by a test here: keyboard and mouse together, the menu on the login page,
// unknown events, lost answers, expiring holds, phones, and accessibility
// (axe-core, no violations on any page, desktop and phone).
//
//   cd booking-http/tests/browser && npm ci && npm test

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, accessibilityViolations, launchBrowser, logIn, openEvent, seat, seatBecomes, startServer,
} from './harness.mjs';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('a click moves the arrow keys\' starting point: click D5, then → and Enter hold D6', async () => {
  const page = await logIn(browser, server.base, 'alice', 'alice123');
  await openEvent(page, 'Taylor Swift');
  await seat(page, 'D5').click();
  await seatBecomes(page, 'D5', 'held by you', 2000);
  await page.keyboard.press('ArrowRight');
  assert.match(await page.evaluate(() => document.activeElement.getAttribute('aria-label')), /^Seat D6,/);
  await page.keyboard.press('Enter');
  await seatBecomes(page, 'D6', 'held by you', 2000);
  // The grid keeps one Tab stop: the seat last used.
  assert.deepEqual(await page.locator('[role=gridcell][tabindex="0"]').evaluateAll((b) => b.map((x) => x.title.split(',')[0])),
    ['Seat D6']);
  await page.context().close();
});

test('the login page shows no menu, and focus starts at each page\'s heading', async () => {
  const context = await browser.newContext({ viewport: DESKTOP });
  const page = await context.newPage();
  await page.goto(server.base);
  await page.getByRole('form', { name: 'Log in' }).waitFor();
  assert.equal(await page.locator('#nav').isVisible(), false);
  assert.equal(await page.getByRole('link', { name: 'My reservations' }).count(), 0);
  await page.keyboard.press('Tab');
  assert.notEqual(await page.evaluate(() => document.activeElement.textContent), 'Events');

  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('User name').fill('bob');
  await form.getByLabel('Password').fill('bob123');
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  assert.equal(await page.evaluate(() => document.activeElement.tagName), 'H1');
  await openEvent(page, 'The Matrix');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'The Matrix');
  await context.close();
});

test('an unknown event says so, and replaces the event that was on screen', async () => {
  const page = await logIn(browser, server.base, 'bob', 'bob123');
  await openEvent(page, 'The Matrix');
  await page.evaluate(() => { location.hash = '#/events/999'; });
  await page.getByRole('heading', { name: 'Not found' }).waitFor();
  assert.equal(await page.getByRole('grid').count(), 0);
  await page.getByRole('link', { name: 'Back to the events' }).click();
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  await page.context().close();
});

test('a reserve whose answer is lost ends with the reservation shown, made once', async () => {
  const page = await logIn(browser, server.base, 'alice', 'alice123');
  await openEvent(page, 'Python Conf');
  await seat(page, 'E1').click();
  await seatBecomes(page, 'E1', 'held by you', 2000);
  // The first reserve reaches the server and commits; its answer is lost on
  // the way back. The page must ask again with the same key.
  const keys = [];
  await page.route('**/reserve/', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    if (keys.length === 1) {
      await route.fetch();
      await route.abort('connectionreset');
    } else {
      await route.continue();
    }
  });
  await page.getByRole('button', { name: 'Confirm reservation' }).click();
  await page.getByRole('alert').filter({ hasText: 'Reserved E1 for' }).waitFor({ timeout: 10_000 });
  assert.equal(keys.length, 2);
  assert.ok(keys[0] && keys[0] === keys[1], `one key for both attempts: ${keys}`);
  await page.unroute('**/reserve/');

  await page.getByRole('link', { name: 'My reservations' }).click();
  await page.getByRole('heading', { name: 'My reservations' }).waitFor();
  assert.equal(await page.getByRole('row').filter({ hasText: 'Python Conf' }).filter({ hasText: 'E1' }).count(), 1);
  await page.context().close();
});

test('a reserve answered 503 timeout, after the server made it, is asked again and shown made', async () => {
  const page = await logIn(browser, server.base, 'bob', 'bob123');
  await openEvent(page, 'Python Conf');
  await seat(page, 'E9').click();
  await seatBecomes(page, 'E9', 'held by you', 2000);
  // The reservation is made; the answer the page gets is the server's
  // `timeout` (its outcome unknown). The page asks again with the same key.
  const keys = [];
  await page.route('**/reserve/', async (route) => {
    keys.push(route.request().headers()['idempotency-key']);
    if (keys.length === 1) {
      await route.fetch();
      await route.fulfill({ status: 503, json: { error: 'The request took too long.', code: 'timeout' } });
    } else {
      await route.continue();
    }
  });
  await page.getByRole('button', { name: 'Confirm reservation' }).click();
  await page.getByRole('alert').filter({ hasText: 'Reserved E9 for' }).waitFor({ timeout: 10_000 });
  assert.equal(keys.length, 2);
  assert.ok(keys[0] && keys[0] === keys[1], `one key for both attempts: ${keys}`);
  await page.unroute('**/reserve/');
  await page.context().close();
});

test('a hold that is about to end is announced, and so is its end', async () => {
  const short = await startServer(['--lock-ttl-secs', '4']);
  try {
    const page = await logIn(browser, short.base, 'bob', 'bob123');
    await openEvent(page, 'Taylor Swift');
    await seat(page, 'A7').click();
    await seatBecomes(page, 'A7', 'held by you', 2000);
    await page.getByText(/A seat you hold is kept for you for [34] seconds\./).waitFor();
    await page.getByRole('alert').filter({ hasText: 'Your hold on A7 ends in less than a minute.' })
      .waitFor({ timeout: 10_000 });
    await page.getByRole('alert').filter({ hasText: 'Your hold on A7 has ended.' }).waitFor({ timeout: 10_000 });
    await seatBecomes(page, 'A7', 'available', 2000);
    await page.context().close();
  } finally {
    short.stop();
  }
});

test('a seat the server refuses is explained in the page\'s words, as a sentence', async () => {
  const alice = await logIn(browser, server.base, 'alice', 'alice123');
  await openEvent(alice, 'Python Conf');
  await seat(alice, 'B5').click();
  await seatBecomes(alice, 'B5', 'held by you', 2000);
  // Bob's page has not heard of Alice's hold yet: no stream, and a map that
  // still shows B5 available.
  const bob = await logIn(browser, server.base, 'bob', 'bob123');
  await bob.route('**/stream/', (route) => route.abort());
  await bob.route('**/seats/', async (route) => {
    const answer = await route.fetch();
    const body = await answer.json();
    for (const s of body.seats) {
      if (s.seat_number === 'B5') Object.assign(s, { status: 'available', is_locked: false, locked_until: null, locked_by_me: false });
    }
    await route.fulfill({ response: answer, json: body });
  });
  await openEvent(bob, 'Python Conf');
  await seat(bob, 'B5').click();
  await bob.getByRole('alert').filter({ hasText: 'Seat B5 is held by someone else.' }).waitFor();
  await bob.unrouteAll({ behavior: 'ignoreErrors' });
  await alice.context().close();
  await bob.context().close();
});

test('"cannot be reached" goes away when the server answers again', async () => {
  const page = await logIn(browser, server.base, 'bob', 'bob123');
  await openEvent(page, 'Taylor Swift');
  await page.route('**/lock/', (route) => route.abort('connectionrefused'));
  await seat(page, 'B2').click();
  await page.getByRole('alert').filter({ hasText: 'The server cannot be reached.' }).waitFor();
  await page.unroute('**/lock/');
  await seat(page, 'B3').click();
  await seatBecomes(page, 'B3', 'held by you', 2000);
  assert.equal(await page.getByRole('alert').isVisible(), false);
  await page.context().close();
});

test('a notice does not move the seats; each seat names its price and category, in its label and tooltip', async () => {
  const page = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  await openEvent(page, "Beethoven's Ninth");
  const categories = await page.getByRole('list', { name: 'Price categories' }).getByRole('listitem').allInnerTexts();
  const named = page.locator('[role=gridcell]').nth(5);
  const [name, tooltip] = [await named.getAttribute('aria-label'), await named.getAttribute('title')];
  assert.equal(tooltip, name);
  const [, state, price, category] = name.split(', ');
  assert.equal(state, 'available');
  assert.ok(categories.some((c) => c.startsWith(`${category} ${price} `)), `${name} (legend: ${categories.join(' / ')})`);

  const before = await named.boundingBox();
  await page.route('**/lock/', (route) => route.abort('connectionrefused'));
  await page.locator('[role=gridcell]').nth(6).click();
  await page.getByRole('alert').filter({ hasText: 'The server cannot be reached.' }).waitFor();
  assert.deepEqual(await named.boundingBox(), before, 'the seats stay where they were under the notice');
  await page.unroute('**/lock/');
  await page.context().close();
});

test('My reservations fits a phone and shows when and where', async () => {
  const page = await logIn(browser, server.base, 'bob', 'bob123', PHONE);
  await openEvent(page, 'Python Conf');
  await seat(page, 'F9').click();
  await seatBecomes(page, 'F9', 'held by you', 2000);
  await page.getByRole('button', { name: 'Confirm reservation' }).click();
  await page.getByRole('alert').filter({ hasText: 'Reserved F9' }).waitFor();
  await page.getByRole('link', { name: 'My reservations' }).click();
  // The seat grid's row F is a row with F9 too, until the page changes.
  await page.getByRole('heading', { name: 'My reservations' }).waitFor();
  const row = page.getByRole('row').filter({ hasText: 'F9' });
  await row.waitFor();
  assert.match(await row.innerText(), /Python Conf[\s\S]*Convention Center/);
  const width = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(width <= PHONE.width, `the page is ${width} px wide on a ${PHONE.width} px phone`);
  assert.ok(await row.getByRole('button', { name: /Cancel reservation/ }).isVisible());
  const box = await row.getByRole('button', { name: /Cancel reservation/ }).boundingBox();
  assert.ok(box.x >= 0 && box.x + box.width <= PHONE.width, 'Cancel is on screen');
  await page.context().close();
});

test('an idle seat page repaints nothing but its countdowns', async () => {
  const page = await logIn(browser, server.base, 'alice', 'alice123');
  await openEvent(page, 'The Matrix');
  const changes = await page.evaluate(() => new Promise((resolve) => {
    let seen = 0;
    const observer = new MutationObserver((records) => { seen += records.length; });
    observer.observe(document.querySelector('[role=grid]'), { subtree: true, attributes: true, childList: true, characterData: true });
    setTimeout(() => { observer.disconnect(); resolve(seen); }, 2500);
  }));
  assert.equal(changes, 0, `${changes} changes to an idle grid in 2.5 s`);
  await page.context().close();
});

test('best available from the page: the seats are held, shown and in view; a split is offered when needed', async () => {
  const page = await logIn(browser, server.base, 'bob', 'bob123');
  await openEvent(page, "Beethoven's Ninth");
  const categories = page.getByRole('list', { name: 'Price categories' });
  await categories.getByText(/^Premium \$150\.00/).waitFor();
  // Sections are named above their rows; wheelchair spaces and companion
  // seats are marked, in the legend and in each seat's name.
  assert.deepEqual(await page.getByRole('grid').getByRole('rowheader').filter({ hasText: /^[A-Z][a-z]+$/ }).allInnerTexts(),
    ['Orchestra', 'Mezzanine', 'Balcony']);
  await page.getByRole('list', { name: 'Legend' }).getByText('Wheelchair space').waitFor();
  assert.equal(await page.locator('[role=gridcell][aria-label*="wheelchair space"]').count(), 12);
  assert.equal(await page.locator('[role=gridcell][aria-label*="companion seat"]').count(), 12);
  const form = page.getByRole('form', { name: 'Best available' });
  await form.getByLabel('Seats together').fill('3');
  await form.getByLabel('Category').selectOption('Standard');
  await form.getByRole('button', { name: 'Find seats' }).click();
  const status = form.getByRole('status');
  await status.filter({ hasText: /^Holding .+, .+, .+ for you\.$/ }).waitFor();
  const labels = (await status.innerText()).replace(/^Holding | for you\.$/g, '').split(', ');
  for (const label of labels) await seatBecomes(page, label, 'held by you', 2000);
  assert.ok(await seat(page, labels[0]).isVisible());
  const box = await seat(page, labels[0]).boundingBox();
  const hall = await page.getByRole('region', { name: 'Seating plan' }).boundingBox();
  assert.ok(box.y >= hall.y && box.y + box.height <= hall.y + hall.height, 'the first seat is scrolled into view');
  assert.deepEqual(await accessibilityViolations(page), [], 'the concert hall page');

  // The hall's twelve wheelchair spaces are each beside a companion seat:
  // two seats with one wheelchair space are a space and its companion seat.
  await form.getByLabel('Seats together').fill('2');
  await form.getByLabel('Category').selectOption('');
  await form.getByLabel('Wheelchair spaces among them').fill('1');
  await form.getByRole('button', { name: 'Find seats' }).click();
  await status.filter({ hasText: /^Holding .+, .+ for you\.$/ }).waitFor();
  const pair = (await status.innerText()).replace(/^Holding | for you\.$/g, '').split(', ');
  for (const label of pair) await seatBecomes(page, label, 'held by you', 2000);
  const names = await Promise.all(pair.map((label) => seat(page, label).getAttribute('aria-label')));
  assert.equal(names.filter((name) => name.includes('wheelchair space')).length, 1, names.join(' / '));
  assert.equal(names.filter((name) => name.includes('companion seat')).length, 1, names.join(' / '));
  // No two spaces are side by side: the page says so, and offers two rows.
  await form.getByLabel('Wheelchair spaces among them').fill('2');
  await form.getByRole('button', { name: 'Find seats' }).click();
  await status.filter({ hasText: 'No 2 seats together with 2 wheelchair spaces match.' }).waitFor();
  assert.ok(await form.getByRole('button', { name: 'Take them in two rows' }).isVisible());
  assert.deepEqual(await accessibilityViolations(page), [], 'the best-available form with wheelchair spaces');
  await page.context().close();
});

test('the favicon is served', async () => {
  for (const path of ['/favicon.ico', '/favicon.svg']) {
    const answer = await fetch(`${server.base}${path}`);
    assert.equal(answer.status, 200, path);
    assert.equal(answer.headers.get('content-type'), 'image/svg+xml');
  }
});

for (const [size, viewport, pick, more] of [
  ['desktop', DESKTOP, 'C2', ['D1', 'D2', 'D3', 'D4']], ['phone', PHONE, 'C3', ['D7', 'D8', 'D9', 'D10']]]) {
  test(`no accessibility violations on any page (${size})`, async () => {
    const context = await browser.newContext({ viewport, bypassCSP: true });
    const login = await context.newPage();
    await login.goto(server.base);
    await login.getByRole('form', { name: 'Log in' }).waitFor();
    const found = { login: await accessibilityViolations(login) };
    await context.close();

    const page = await logIn(browser, server.base, 'alice', 'alice123', viewport);
    found.events = await accessibilityViolations(page);
    await openEvent(page, 'The Matrix');
    await seat(page, pick).click();
    await seatBecomes(page, pick, 'held by you', 2000);
    found.seats = await accessibilityViolations(page);
    // Enough seats that their list scrolls in a phone's sheet.
    for (const label of more) {
      await seat(page, label).click();
      await seatBecomes(page, label, 'held by you', 2000);
    }
    found.fiveSeats = await accessibilityViolations(page);
    await page.evaluate(() => { location.hash = '#/reservations'; });
    await page.getByRole('heading', { name: 'My reservations' }).waitFor();
    found.reservations = await accessibilityViolations(page);
    await page.evaluate(() => { location.hash = '#/events/999'; });
    await page.getByRole('heading', { name: 'Not found' }).waitFor();
    found.notFound = await accessibilityViolations(page);
    await page.context().close();
    for (const [name, violations] of Object.entries(found)) assert.deepEqual(violations, [], `${name} page`);
  });
}
