// The box office in a real browser: staff (the demo's `admin`) create an
// event from the concert hall's venue file, block a row, and cancel a
// customer's reservation with a reason, which the customer then reads; a
// customer sees blocked seats marked and cannot hold one, and never sees
// (or downloads) the box office. axe-core finds no violations on any of
// its pages and states, on desktop and phone. It takes the README's
// picture of the staff's seat view: target/browser/box-office.png.
//
//   cd booking-http/tests/browser && npm ci && npm test

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import {
  DESKTOP, PHONE, accessibilityViolations, launchBrowser, logIn, openEvent, root, seat, seatBecomes, seatState, startServer,
} from './harness.mjs';

const concertHall = join(root, 'examples/venues/concert-hall.json');
// Where the README's picture of the staff's seat view goes (a copy is kept at docs/box-office.png).
const screenshot = process.env.BOX_OFFICE_SCREENSHOT ?? join(root, 'target/browser/box-office.png');

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

/** Staff's page, on the box office. */
async function boxOffice(viewport = DESKTOP) {
  const page = await logIn(browser, server.base, 'admin', 'admin123', viewport);
  await page.getByRole('link', { name: 'Box office' }).click();
  await page.getByRole('heading', { level: 1, name: 'Box office' }).waitFor();
  return page;
}

/**
 * Creates an event named `name` from the concert hall's file on the box
 * office's New event page, checking its preview first; the page ends on
 * the event's details.
 */
async function createConcert(page, name, { onPreview } = {}) {
  await page.getByRole('link', { name: 'New event' }).click();
  const form = page.getByRole('form', { name: 'New event' });
  await form.getByLabel('Name').fill(name);
  await form.getByLabel('Starts at').fill('2027-03-01T19:30');
  await form.getByLabel('Venue file', { exact: true }).setInputFiles(concertHall);
  const preview = page.getByRole('region', { name: 'Preview' });
  await preview.getByText('1,200 seats in 3 sections').waitFor();
  await onPreview?.(preview);
  await form.getByRole('button', { name: 'Create event' }).click();
  await page.getByRole('heading', { level: 1, name }).waitFor();
  await page.getByRole('alert').filter({ hasText: `${name} is created, with 1,200 seats.` }).waitFor();
}

/** Goes to one of the event's pages by its link. */
async function tab(page, name) {
  await page.getByRole('navigation', { name: 'Event pages' }).getByRole('link', { name, exact: true }).click();
  await page.locator('nav.tabs a[aria-current=page]').filter({ hasText: name }).waitFor();
}

/** `page`'s fetch of `path` with its session and CSRF token: the status and the body. */
function fetchAs(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const token = document.cookie.split('; ').find((c) => c.startsWith('csrftoken=')).split('=')[1];
    const r = await fetch(p, {
      method: m,
      headers: { 'X-CSRFToken': token, 'Content-Type': 'application/json' },
      body: b === undefined ? undefined : JSON.stringify(b),
    });
    return { status: r.status, body: await r.json() };
  }, [method, path, body]);
}

test('staff create an event from the concert hall file, block a row and cancel a reservation; the customer sees why', async () => {
  const staff = await boxOffice();
  await createConcert(staff, 'Mahler Two', {
    async onPreview(preview) {
      const sections = await preview.getByRole('table', { name: 'Sections' }).getByRole('row').allInnerTexts();
      assert.deepEqual(sections.slice(1).map((r) => r.split('\t').slice(0, 3).join(' ')),
        ['Orchestra 20 720', 'Mezzanine 8 320', 'Balcony 5 160']);
      const categories = await preview.getByRole('table', { name: 'Price categories' }).getByRole('row').allInnerTexts();
      assert.equal(categories.length, 4, categories.join(' / '));
      assert.match(categories[1], /Premium\s+\$150\.00/);
    },
  });

  // A row off sale: Balcony A, 32 seats.
  await tab(staff, 'Seats');
  const whole = staff.getByRole('form', { name: 'A row or a section' });
  await whole.getByLabel('Section').selectOption('Balcony');
  await whole.getByLabel('Row').selectOption('A');
  await whole.getByLabel('Reason').fill('Camera platform for the broadcast');
  await whole.getByRole('button', { name: 'Block', exact: true }).click();
  await staff.getByRole('alert').filter({ hasText: 'are not for sale now.' }).waitFor();
  const blocked = staff.getByRole('table', { name: /^Seats not for sale/ });
  // A row blocked at once is one line of the list.
  await blocked.getByRole('row').filter({ hasText: 'Balcony A1 to A32 (32 seats)' }).waitFor();
  assert.match(await blocked.getByRole('row').nth(1).innerText(), /Camera platform for the broadcast\s+admin/);
  assert.equal(await seat(staff, 'Balcony A5').getAttribute('aria-label'),
    'Seat Balcony A5, not for sale: Camera platform for the broadcast, $45.00');

  // The customer: the row is marked, by more than colour, and cannot be held.
  const alice = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  assert.equal(await alice.getByRole('link', { name: 'Box office' }).count(), 0);
  await openEvent(alice, 'Mahler Two');
  assert.equal(await seatState(alice, 'Balcony A5'), 'not for sale');
  assert.equal(await seat(alice, 'Balcony A5').getAttribute('aria-disabled'), 'true');
  await alice.getByRole('list', { name: 'Legend' }).getByText('Not for sale').waitFor();
  const look = (label) => seat(alice, label).evaluate((b) => getComputedStyle(b).backgroundImage);
  assert.match(await look('Balcony A5'), /linear-gradient.*linear-gradient/, 'a blocked seat is crossed out');
  assert.equal(await look('Balcony B5'), 'none', 'an available seat is not');
  await seat(alice, 'Balcony A5').click({ force: true }); // aria-disabled, but a person can still click it
  await alice.getByRole('alert').filter({ hasText: 'Seat Balcony A5 is not for sale.' }).waitFor();
  const id = Number(await seat(alice, 'Balcony A5').getAttribute('data-seat'));
  const eventId = alice.url().match(/events\/(\d+)/)[1];
  const refused = await fetchAs(alice, 'POST', `/api/events/${eventId}/seats/${id}/lock/`);
  assert.equal(refused.status, 409);
  assert.equal(refused.body.code, 'seat_blocked');

  // Staff block a seat by clicking it while the customer looks: it shows
  // as not for sale on the customer's page, live.
  await seat(staff, 'Balcony B7').click();
  const chosen = staff.getByRole('form', { name: 'Chosen seats' });
  await chosen.getByText('1 seat chosen: Balcony B7.').waitFor();
  await chosen.getByLabel('Reason').fill('Broken seat');
  await chosen.getByRole('button', { name: 'Block', exact: true }).click();
  await staff.getByRole('alert').filter({ hasText: 'Balcony B7 is not for sale now.' }).waitFor();
  await seatBecomes(alice, 'Balcony B7', 'not for sale', 2000);

  // The README's picture of the staff's seat view: the balcony, its front
  // row and a seat blocked, two seats chosen.
  await seat(staff, 'Balcony C9').click();
  await seat(staff, 'Balcony C10').click();
  await staff.evaluate(() => {
    document.querySelector('.hall-scroll').scrollTop = 1e6;
    window.scrollTo(0, document.querySelector('.hall-scroll').getBoundingClientRect().top + window.scrollY - 260);
  });
  await staff.getByRole('alert').evaluate((notice) => { notice.hidden = true; });
  mkdirSync(dirname(screenshot), { recursive: true });
  await staff.screenshot({ path: screenshot });
  await chosen.getByRole('button', { name: 'Clear the choice' }).click();

  // The customer reserves two seats; staff cancel the reservation, with a reason.
  await seat(alice, 'Orchestra A1').click();
  await seatBecomes(alice, 'Orchestra A1', 'held by you', 2000);
  await seat(alice, 'Orchestra A2').click();
  await seatBecomes(alice, 'Orchestra A2', 'held by you', 2000);
  await alice.getByRole('button', { name: 'Confirm reservation' }).click();
  await alice.getByRole('alert').filter({ hasText: 'Reserved Orchestra A1, Orchestra A2' }).waitFor();

  // A block of a row with a reserved seat blocks nothing, and says which seats stop it.
  await whole.getByLabel('Section').selectOption('Orchestra');
  await whole.getByLabel('Row').selectOption('A');
  await whole.getByRole('button', { name: 'Block', exact: true }).click();
  await staff.getByRole('alert')
    .filter({ hasText: 'Nothing was blocked: Orchestra A1 is reserved, Orchestra A2 is reserved.' }).waitFor();
  assert.equal(await seatState(alice, 'Orchestra A3'), 'available');

  // The keyboard chooses seats too: the arrow keys move, Enter chooses.
  await seat(staff, 'Balcony B7').focus();
  await staff.keyboard.press('ArrowRight');
  await staff.keyboard.press('Enter');
  await chosen.getByText('1 seat chosen: Balcony B8.').waitFor();
  await staff.keyboard.press('ArrowDown');
  await staff.keyboard.press('Enter');
  await chosen.getByText('2 seats chosen: Balcony B8, Balcony C8.').waitFor();
  await chosen.getByRole('button', { name: 'Clear the choice' }).click();
  await chosen.getByText('Click seats to choose them.').waitFor();

  await tab(staff, 'Reservations');
  const search = staff.getByRole('search', { name: 'Find reservations' });
  await search.getByLabel('Customer').fill('alice');
  await search.getByRole('button', { name: 'Find' }).click();
  await staff.getByRole('table', { name: 'Reservations found' }).waitFor();
  const row = staff.getByRole('row').filter({ hasText: 'Orchestra A1, Orchestra A2' });
  assert.match(await row.innerText(), /alice[\s\S]*\$180.00[\s\S]*confirmed/);
  // The export link gives the reservations found, as CSV.
  const exported = await staff.evaluate(async (href) => {
    const r = await fetch(href);
    return { type: r.headers.get('content-type'), text: await r.text() };
  }, await staff.getByRole('link', { name: 'Export these as CSV' }).getAttribute('href'));
  assert.equal(exported.type, 'text/csv; charset=utf-8');
  assert.match(exported.text, /^reservation_id,status,user_id,username,seats,/);
  assert.match(exported.text, /\r\n\d+,confirmed,\d+,alice,Orchestra A1 Orchestra A2,2,18000,180\.00,/);
  await row.getByRole('button', { name: /^Cancel reservation/ }).click();
  const dialog = staff.getByRole('dialog', { name: /^Cancel reservation/ });
  await dialog.getByLabel('Reason').fill('The orchestra needs the front row');
  await dialog.getByRole('button', { name: 'Cancel the reservation' }).click();
  await staff.getByRole('alert').filter({ hasText: 'is cancelled. Its seats are available again.' }).waitFor();
  await row.filter({ hasText: 'cancelled by the box office: The orchestra needs the front row' }).waitFor();
  assert.equal(await dialog.count(), 0);
  await seatBecomes(alice, 'Orchestra A1', 'available', 2000);

  await alice.getByRole('link', { name: 'My reservations' }).click();
  await alice.getByRole('heading', { name: 'My reservations' }).waitFor();
  const mine = alice.getByRole('row').filter({ hasText: 'Mahler Two' });
  assert.match(await mine.innerText(), /cancelled by the box office: The orchestra needs the front row/);

  // What sold and who did what: the sales and the audit log agree.
  await tab(staff, 'Sales');
  const economy = staff.getByRole('row').filter({ has: staff.getByRole('rowheader', { name: 'Economy' }) });
  assert.match(await economy.innerText(), /\$45\.00\s+160\s+0\s+0\s+127\s+33\s+\$0\.00/);
  await staff.getByRole('navigation', { name: 'Event pages' }).getByRole('link', { name: 'Audit log' }).click();
  await staff.getByRole('heading', { level: 1, name: 'Audit log' }).waitFor();
  const log = staff.getByRole('table', { name: /^Records found/ });
  await log.waitFor();
  const actions = await log.locator('td[data-column=Action]').allInnerTexts();
  assert.deepEqual(actions, ['Cancelled a reservation', 'Reserved', 'Blocked seats', 'Blocked seats', 'Created the event']);
  assert.match(await log.getByRole('row').nth(1).innerText(), /admin[\s\S]*Orchestra A1, Orchestra A2[\s\S]*The orchestra needs the front row/);
  // Filtered by action: the blocks, the row as one run of seats.
  const filters = staff.getByRole('search', { name: 'Filter the audit log' });
  await filters.getByLabel('Action').selectOption('block');
  await filters.getByRole('button', { name: 'Filter' }).click();
  await staff.waitForFunction(() => location.hash.includes('action=block'));
  await log.waitFor();
  assert.deepEqual(await log.locator('td[data-column=Seats]').allInnerTexts(), ['Balcony B7', 'Balcony A1 to A32']);
  await staff.context().close();
  await alice.context().close();
});

test('customers never see the box office, nor download its pages', async () => {
  const alice = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  const fetched = [];
  alice.on('request', (request) => fetched.push(new URL(request.url()).pathname));
  assert.equal(await alice.getByRole('link', { name: 'Box office' }).count(), 0);
  await alice.evaluate(() => { location.hash = '#/admin/events/new'; });
  await alice.getByRole('heading', { level: 1, name: 'Events' }).waitFor();
  assert.deepEqual(fetched.filter((path) => path.startsWith('/admin')), []);
  const refused = await fetchAs(alice, 'GET', '/api/admin/events/');
  assert.equal(refused.status, 403);
  assert.equal(refused.body.code, 'forbidden');
  await alice.context().close();
});

test('a venue file\'s mistake is named in the preview, with its place in the file', async () => {
  const staff = await boxOffice();
  await staff.getByRole('link', { name: 'New event' }).click();
  const form = staff.getByRole('form', { name: 'New event' });
  const preview = staff.getByRole('region', { name: 'Preview' });
  await form.getByLabel('The venue file\'s text').fill(JSON.stringify({
    name: 'Hall',
    categories: [{ name: 'Stalls', price_cents: 2000, color: '#1f6fb2' }],
    sections: [{ name: 'Stalls', category: 'Circle', rows: [{ label: 'A', seats: ['1-5'] }] }],
  }));
  await form.getByRole('button', { name: 'Preview the seats' }).click();
  await preview.getByText('A mistake in the venue file, at sections[0] (Stalls).rows[0] (A): category "Circle" is not defined.').waitFor();
  await form.getByLabel('The venue file\'s text').fill('{"name": ');
  await form.getByRole('button', { name: 'Preview the seats' }).click();
  await preview.getByText(/^The venue file is not JSON/).waitFor();
  // The compact notation, previewed and created.
  await form.getByLabel('From a seat map in the compact notation').check();
  await form.getByLabel('Seat map', { exact: true }).fill('A-B:1-5:2500');
  await form.getByRole('button', { name: 'Preview the seats' }).click();
  await preview.getByText('10 seats', { exact: true }).waitFor();
  await form.getByLabel('Name').fill('Poetry reading');
  await form.getByLabel('Starts at').fill('2027-04-01T18:00');
  await form.getByLabel('Location').fill('The small room');
  await form.getByRole('button', { name: 'Create event' }).click();
  await staff.getByRole('heading', { level: 1, name: 'Poetry reading' }).waitFor();
  await staff.getByText('The small room ·').waitFor();
  await staff.context().close();
});

test('staff edit an event and cancel it with a reason; its customers read why, and it leaves their list', async () => {
  const staff = await boxOffice();
  await createConcert(staff, 'Bruckner Seven');
  const alice = await logIn(browser, server.base, 'alice', 'alice123', DESKTOP);
  await openEvent(alice, 'Bruckner Seven');
  await seat(alice, 'Mezzanine C3').click();
  await seatBecomes(alice, 'Mezzanine C3', 'held by you', 2000);
  await alice.getByRole('button', { name: 'Confirm reservation' }).click();
  await alice.getByRole('alert').filter({ hasText: 'Reserved Mezzanine C3' }).waitFor();

  const details = staff.getByRole('form', { name: 'Details' });
  await details.getByLabel('Name').fill('Bruckner Seventh');
  await details.getByLabel('Description').fill('With the Wagner tubas.');
  await details.getByRole('button', { name: 'Save changes' }).click();
  await staff.getByRole('alert').filter({ hasText: 'The changes are saved.' }).waitFor();
  await staff.getByRole('heading', { level: 1, name: 'Bruckner Seventh' }).waitFor();

  await staff.getByRole('button', { name: 'Cancel the event…' }).click();
  const dialog = staff.getByRole('dialog', { name: 'Cancel Bruckner Seventh' });
  await dialog.getByLabel('Reason').fill('The conductor is ill');
  await dialog.getByRole('button', { name: 'Cancel the event' }).click();
  await staff.getByRole('alert').filter({ hasText: 'Bruckner Seventh is cancelled, and its one reservation with it.' }).waitFor();
  await staff.getByText(/^Cancelled .*: The conductor is ill$/).waitFor();
  assert.equal(await details.getByRole('button', { name: 'Save changes' }).isDisabled(), true);
  assert.deepEqual(await accessibilityViolations(staff), [], 'a cancelled event\'s details');
  await staff.getByRole('link', { name: '← Box office' }).click();
  const card = staff.getByRole('article', { name: 'Bruckner Seventh' });
  await card.getByText('Cancelled: The conductor is ill').waitFor();
  assert.deepEqual(await accessibilityViolations(staff), [], 'the box office with a cancelled event');

  await alice.getByRole('link', { name: 'My reservations' }).click();
  const mine = alice.getByRole('row').filter({ hasText: 'Bruckner Seventh' });
  await mine.waitFor();
  assert.match(await mine.innerText(), /cancelled by the box office: The conductor is ill/);
  await alice.getByRole('link', { name: 'Events', exact: true }).click();
  await alice.getByRole('heading', { name: 'Events' }).waitFor();
  assert.equal(await alice.getByRole('article').filter({ hasText: 'Bruckner' }).count(), 0);
  // Its page, from an old link, says why instead of showing seats that cannot be held.
  const { events } = (await fetchAs(staff, 'GET', '/api/admin/events/')).body;
  const eventId = events.find((e) => e.name === 'Bruckner Seventh').id;
  await alice.evaluate((id) => { location.hash = `#/events/${id}`; }, eventId);
  await alice.getByText('Bruckner Seventh is cancelled: The conductor is ill.').waitFor();
  assert.equal(await alice.getByRole('grid').count(), 0);
  await staff.context().close();
  await alice.context().close();
});

for (const [size, viewport] of [['desktop', DESKTOP], ['phone', PHONE]]) {
  test(`no accessibility violations on any box office page or state, and none wider than the screen (${size})`, async () => {
    const page = await boxOffice(viewport);
    const found = {};
    const check = async (name) => {
      found[name] = await accessibilityViolations(page);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      if (width > viewport.width) found[name].push(`the page is ${width} px wide on a ${viewport.width} px screen`);
    };
    await check('events');
    await page.getByRole('link', { name: 'New event' }).click();
    await page.getByRole('heading', { level: 1, name: 'New event' }).waitFor();
    await check('new event');
    const form = page.getByRole('form', { name: 'New event' });
    await form.getByLabel('The venue file\'s text').fill('{"name": "Hall", "sections": []}');
    await form.getByRole('button', { name: 'Preview the seats' }).click();
    await page.locator('.preview .problem').waitFor();
    await check('new event, a mistake in the preview');
    await page.getByRole('link', { name: '← Box office' }).click();
    await page.getByRole('heading', { level: 1, name: 'Box office' }).waitFor();
    await createConcert(page, `Haydn ${size}`);
    await check('details');
    await page.getByRole('button', { name: 'Cancel the event…' }).click();
    await page.getByRole('dialog').waitFor();
    await check('details, cancelling');
    await page.getByRole('dialog').getByRole('button', { name: 'Keep it' }).click();

    await tab(page, 'Seats');
    await check('seats');
    await seat(page, 'Orchestra A3').click();
    await seat(page, 'Orchestra A4').click();
    await page.getByRole('form', { name: 'Chosen seats' }).getByText('2 seats chosen').waitFor();
    await check('seats, two chosen');
    const chosen = page.getByRole('form', { name: 'Chosen seats' });
    await chosen.getByLabel('Reason').fill('House seats');
    await chosen.getByRole('button', { name: 'Block', exact: true }).click();
    await page.getByRole('alert').filter({ hasText: 'are not for sale now.' }).waitFor();
    await check('seats, two blocked');

    // A reservation to list, cancel and find in the audit log.
    const eventId = page.url().match(/events\/(\d+)/)[1];
    const { body } = await fetchAs(page, 'GET', `/api/events/${eventId}/seats/`);
    const free = body.seats.find((s) => s.seat_number === 'Orchestra B1').id;
    assert.equal((await fetchAs(page, 'POST', `/api/events/${eventId}/seats/${free}/lock/`)).status, 200);
    assert.equal((await fetchAs(page, 'POST', `/api/events/${eventId}/reserve/`, { seat_ids: [free] })).status, 201);
    await tab(page, 'Reservations');
    await page.getByRole('table', { name: 'Reservations, newest first' }).waitFor();
    await check('reservations');
    await page.getByRole('button', { name: /^Cancel reservation/ }).click();
    await page.getByRole('dialog').waitFor();
    await check('reservations, cancelling');
    await page.getByRole('dialog').getByLabel('Reason').fill('Sold twice by phone');
    await page.getByRole('dialog').getByRole('button', { name: 'Cancel the reservation' }).click();
    await page.getByRole('alert').filter({ hasText: 'is cancelled.' }).waitFor();
    await check('reservations, one cancelled');
    const search = page.getByRole('search', { name: 'Find reservations' });
    await search.getByLabel('Customer').fill('nobody');
    await search.getByRole('button', { name: 'Find' }).click();
    await page.getByText('No reservation matches.').waitFor();
    await check('reservations, none found');

    await tab(page, 'Sales');
    await page.getByRole('table', { name: 'Sales by price category' }).waitFor();
    await check('sales');
    await page.getByRole('navigation', { name: 'Event pages' }).getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('table', { name: /^Records found/ }).waitFor();
    await check('audit log of one event');
    await page.getByRole('link', { name: 'Show everything' }).click();
    await page.getByRole('table', { name: 'Every record, newest first' }).waitFor();
    await check('audit log');
    await page.context().close();
    for (const [name, violations] of Object.entries(found)) assert.deepEqual(violations, [], `${name} (${size})`);
  });
}
