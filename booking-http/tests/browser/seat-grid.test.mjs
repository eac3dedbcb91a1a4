// Two people book through the web app in a real browser (Debian's Chromium),
// against a real booking-server on a loopback port.
//
//   cd booking-http/tests/browser && npm ci && npm test
//
// The server and the browser are set up as harness.mjs says. SCREENSHOT
// names where the seat-grid picture goes (default:
// target/browser/seat-grid.png; the README shows a copy kept at
// docs/seat-grid.png). A phone-sized one goes beside it.

import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser, logIn as logInAt, openEvent, root, seat, seatBecomes, seatState, startServer } from './harness.mjs';

const screenshot = process.env.SCREENSHOT ?? join(root, 'target/browser/seat-grid.png');

let server;
let base;
let browser;

before(async () => {
  server = await startServer();
  base = server.base;
  browser = await launchBrowser();
});

after(async () => {
  await browser?.close();
  server?.stop();
});

const logIn = (name, password) => logInAt(browser, base, name, password);

test('two users book the same seat in turn, live', async () => {
  const alice = await logIn('alice', 'alice123');
  const bob = await logIn('bob', 'bob123');
  await openEvent(alice, 'The Matrix');
  await openEvent(bob, 'The Matrix');
  assert.equal(await seatState(bob, 'A1'), 'available');
  assert.equal(await seat(bob, 'A1').getAttribute('aria-label'), 'Seat A1, available, $100.00');

  // Alice holds A1; Bob sees it held within two seconds, with no reload.
  await seat(alice, 'A1').click();
  await seatBecomes(alice, 'A1', 'held by you', 2000);
  await alice.getByText(/A1 · \$100\.00 · held for [45]:\d\d/).waitFor();
  await seatBecomes(bob, 'A1', 'held by someone else', 2000);

  // Bob cannot take it: the grid refuses, and so does the server.
  await seat(bob, 'A1').click({ force: true }); // aria-disabled, but a person can still click it
  await bob.getByRole('alert').filter({ hasText: 'Seat A1 is held by someone else.' }).waitFor();
  const refused = await bob.evaluate(async (id) => {
    const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
    const event = location.hash.match(/events\/(\d+)/)[1];
    const r = await fetch(`/api/events/${event}/seats/${id}/lock/`, { method: 'POST', headers: { 'X-CSRFToken': token } });
    return { status: r.status, body: await r.json() };
  }, Number(await seat(bob, 'A1').getAttribute('data-seat')));
  assert.equal(refused.status, 409);
  assert.equal(refused.body.code, 'seat_locked');

  // Alice confirms and sees the reservation with the right total.
  await alice.getByText('Total: $100.00').waitFor();
  await alice.getByRole('button', { name: 'Confirm reservation' }).click();
  await alice.getByRole('alert').filter({ hasText: 'Reserved A1 for $100.00.' }).waitFor();
  await seatBecomes(bob, 'A1', 'reserved', 2000);
  await alice.getByRole('link', { name: 'My reservations' }).click();
  const row = alice.getByRole('row').filter({ hasText: 'The Matrix' });
  await row.waitFor();
  assert.match(await row.innerText(), /A1\s+\$100\.00\s+confirmed/);

  // Alice cancels; Bob sees A1 available again and reserves it, by keyboard.
  await row.getByRole('button', { name: /Cancel reservation/ }).click();
  await alice.getByRole('alert').filter({ hasText: 'is cancelled' }).waitFor();
  await alice.getByRole('row').filter({ hasText: 'The Matrix' }).filter({ hasText: 'cancelled' }).waitFor();
  await seatBecomes(bob, 'A1', 'available', 2000);

  await seat(bob, 'A1').focus();
  await bob.keyboard.press('ArrowRight');
  assert.equal(await bob.evaluate(() => document.activeElement.getAttribute('aria-label')), 'Seat A2, available, $100.00');
  await bob.keyboard.press('ArrowLeft');
  await bob.keyboard.press('Enter');
  await seatBecomes(bob, 'A1', 'held by you', 2000);
  await seat(bob, 'A3').click();
  await seatBecomes(bob, 'A3', 'held by you', 2000);
  await bob.getByRole('button', { name: 'Confirm reservation' }).click();
  await bob.getByRole('alert').filter({ hasText: 'Reserved A1, A3 for $200.00.' }).waitFor();

  // A picture of the grid as Alice sees it: Bob's reservation (A1, A3), a
  // seat Bob holds (B4) and two Alice holds (C5, C6).
  await seat(bob, 'B4').click();
  await alice.getByRole('link', { name: 'Events' }).click();
  await openEvent(alice, 'The Matrix');
  await seat(alice, 'C5').click();
  await seatBecomes(alice, 'C5', 'held by you', 2000);
  await seat(alice, 'C6').click();
  await seatBecomes(alice, 'C6', 'held by you', 2000);
  await seatBecomes(alice, 'B4', 'held by someone else', 2000);
  await seat(alice, 'D5').focus();
  mkdirSync(dirname(screenshot), { recursive: true });
  await alice.screenshot({ path: screenshot, fullPage: true });
  await alice.setViewportSize({ width: 390, height: 844 });
  await alice.screenshot({ path: screenshot.replace(/\.png$/, '-phone.png'), fullPage: true });
});

test('the concert hall: every seat shown, best available and a reservation, live', async () => {
  // A hall of 1,200 seats is shown whole (only larger venues open on an
  // overview of their sections: venue.test.mjs), each seat labelled with
  // its section and price category.
  const page = await logIn('admin', 'admin123');
  await openEvent(page, "Beethoven's Ninth");
  assert.equal(await page.locator('button.seat').count(), 1200);
  assert.equal(await seat(page, 'Balcony E1').getAttribute('aria-label'), 'Seat Balcony E1, available, $45.00, Economy, restricted view');

  // Best available through the API (the page has no button for it yet):
  // the page shows the seats held by this user, by the live stream.
  const answer = await page.evaluate(async () => {
    const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
    const event = location.hash.match(/events\/(\d+)/)[1];
    const r = await fetch(`/api/events/${event}/best-available/`, {
      method: 'POST',
      headers: { 'X-CSRFToken': token, 'Content-Type': 'application/json' },
      body: JSON.stringify({ count: 2, categories: ['Premium'] }),
    });
    return { status: r.status, body: await r.json() };
  });
  assert.equal(answer.status, 200, JSON.stringify(answer.body));
  const labels = answer.body.seats.map((s) => s.seat_number);
  assert.deepEqual(labels, ['Orchestra A18', 'Orchestra A19']);
  for (const label of labels) await seatBecomes(page, label, 'held by you', 2000);
  await page.getByText('Total: $300.00').waitFor();
  await page.getByRole('button', { name: 'Confirm reservation' }).click();
  await page.getByRole('alert').filter({ hasText: 'Reserved Orchestra A18, Orchestra A19 for $300.00.' }).waitFor();
  await seatBecomes(page, 'Orchestra A18', 'reserved', 2000);
});

test('the page is small', async () => {
  // Every body is read before the sum: a body still being read when the
  // assertion ran went uncounted, and the page passed at 65,651 bytes.
  const bodies = [];
  const context = await browser.newContext();
  const page = await context.newPage();
  page.on('response', (response) => {
    if (response.url().startsWith(base) && !response.url().includes('/api/')) {
      bodies.push(response.body().then((body) => body.length));
    }
  });
  await page.goto(base, { waitUntil: 'load' });
  await page.getByRole('form', { name: 'Log in' }).waitFor();
  const bytes = (await Promise.all(bodies)).reduce((sum, length) => sum + length, 0);
  const timing = await page.evaluate(() => {
    const [nav] = performance.getEntriesByType('navigation');
    return { domInteractive: nav.domInteractive, load: nav.loadEventEnd };
  });
  console.log(`page transfer: ${bytes} bytes; DOM interactive at ${timing.domInteractive.toFixed(0)} ms, load at ${timing.load.toFixed(0)} ms`);
  assert.ok(bytes < 64 * 1024, `the page's own files are ${bytes} bytes`);
  await context.close();
});
