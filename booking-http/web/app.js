// The booking web app. It talks to the server only through the API of
// docs/API.md: a session cookie, and the csrftoken cookie echoed in X-CSRFToken.

const main = document.getElementById('main');
const notice = document.getElementById('notice');
const nav = document.getElementById('nav');
const money = new Intl.NumberFormat('en-US', { style: 'currency', currency: 'USD' });
const dollars = (cents) => money.format(cents / 100);
const when = (iso) => new Date(iso).toLocaleString(undefined, { dateStyle: 'medium', timeStyle: 'short' });

let user = null;
let leaveView = () => {};

// ---- the API

class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

function cookie(name) {
  const pair = document.cookie.split('; ').find((c) => c.startsWith(`${name}=`));
  return pair ? decodeURIComponent(pair.slice(name.length + 1)) : null;
}

async function api(method, path, body, headers = {}) {
  const init = { method, credentials: 'same-origin', headers: { ...headers } };
  if (method !== 'GET') init.headers['X-CSRFToken'] = cookie('csrftoken') ?? '';
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  let response;
  try {
    response = await fetch(path, init);
  } catch {
    throw new ApiError(0, 'network', 'The server cannot be reached. Check your connection and try again.');
  }
  // The server answers again: a "cannot be reached" notice is no longer true.
  if (notice.dataset.code === 'network') quiet();
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data?.code ?? 'error', data?.error ?? `The server answered ${response.status}.`, data);
  }
  return data;
}

// ---- small helpers

/** An element with attributes (on* are listeners) and children (strings are text). */
function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value === true ? '' : value);
  }
  node.append(...children.flat().filter((c) => c !== null && c !== undefined && c !== false));
  return node;
}

function say(message, ok = false, code = '') {
  notice.textContent = message;
  notice.dataset.code = code;
  notice.classList.toggle('ok', ok);
  notice.hidden = false;
}

function quiet() {
  notice.hidden = true;
  notice.textContent = '';
  notice.dataset.code = '';
}

/** An error as a sentence: capitalised, with its full stop (the server's are already). */
function sentence(error) {
  const text = error.message || String(error);
  const capitalised = text.charAt(0).toUpperCase() + text.slice(1);
  return /[.!?…]$/.test(capitalised) ? capitalised : `${capitalised}.`;
}

/** Shows an API error as a sentence; a lost session goes back to the login. */
function fail(error) {
  if (error instanceof ApiError && error.status === 401 && user) {
    user = null;
    say('Your session has ended. Please log in again.');
    location.hash = '#/login';
    return;
  }
  say(sentence(error), false, error.code ?? '');
}

/** A table cell naming its column: a phone shows a table.stack's rows as cards (app.css). */
const cell = (column, ...content) => h('td', { 'data-column': column }, ...content);

/** Replaces the page's content; focus goes to its heading. */
function view(title, ...children) {
  const heading = h('h1', { tabindex: '-1' }, title);
  main.replaceChildren(heading, ...children);
  document.title = `${title} · booking`;
  heading.focus();
}

/** The page for something that cannot be shown (an unknown event, say). */
function showProblem(error) {
  const missing = error instanceof ApiError && error.status === 404;
  view(missing ? 'Not found' : 'Something went wrong',
    h('p', {}, error.message || String(error)),
    h('p', {}, h('a', { href: '#/events' }, 'Back to the events')));
}

// ---- routing

async function route() {
  leaveView();
  leaveView = () => {};
  const hash = location.hash || '#/events';
  if (!user) {
    try {
      user = await api('GET', '/api/me/');
    } catch (error) {
      if (!(error instanceof ApiError && error.status === 401)) fail(error);
      user = null;
    }
  }
  nav.hidden = !user;
  document.getElementById('box-office').hidden = !user?.is_staff;
  document.getElementById('who').textContent = user ? `Signed in as ${user.username}` : '';
  if (!user) return showLogin();
  if (hash === '#/login') return (location.hash = '#/events');
  const seats = hash.match(/^#\/events\/(\d+)(?:\/sections\/(.*))?$/);
  try {
    if (seats) await showEvent(Number(seats[1]), seats[2] && decodeURIComponent(seats[2]));
    else if (hash === '#/reservations') await showReservations();
    // The box office: its module is fetched by staff only.
    else if (hash.startsWith('#/admin') && user.is_staff) await (await import('./admin.js')).show(hash);
    else await showEvents();
  } catch (error) {
    if (error instanceof ApiError && error.status === 401) return fail(error);
    showProblem(error);
  }
}

// ---- login and sign-up

function accountForm(title, button, path, onDone) {
  const name = h('input', { name: 'username', autocomplete: 'username', required: true, maxlength: 150 });
  const password = h('input', {
    name: 'password', type: 'password', required: true,
    autocomplete: path.includes('register') ? 'new-password' : 'current-password',
  });
  const id = title.toLowerCase().replace(/\W+/g, '-');
  name.id = `${id}-username`;
  password.id = `${id}-password`;
  return h('form', {
    class: 'card',
    'aria-label': title,
    onsubmit: async (event) => {
      event.preventDefault();
      try {
        // route() reads who this is, and their role, from /api/me/.
        await api('POST', path, { username: name.value, password: password.value });
        quiet();
        onDone();
      } catch (error) {
        fail(error);
      }
    },
  },
  h('h2', {}, title),
  h('label', { for: name.id }, 'User name'), name,
  h('label', { for: password.id }, 'Password'), password,
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, button)));
}

function showLogin() {
  const done = () => { location.hash = '#/events'; route(); };
  view('Log in',
    h('div', { class: 'cards' },
      accountForm('Log in', 'Log in', '/api/login/', done),
      accountForm('Sign up', 'Create account', '/api/register/', done)));
}

// ---- events

async function showEvents() {
  const { events } = await api('GET', '/api/events/');
  view('Events',
    events.length === 0 ? h('p', { class: 'muted' }, 'No events yet.') : '',
    h('div', { class: 'cards' }, events.map((e) =>
      h('article', { class: 'card' },
        h('h2', {}, e.name),
        h('p', { class: 'muted' }, e.venue, h('br'), when(e.starts_at)),
        h('p', {}, `${e.available_seats} of ${e.total_seats} seats left`),
        h('a', { class: 'button', href: `#/events/${e.id}` }, 'Choose seats')))));
}

// ---- the seat selector

// One vocabulary with the server's messages (a blocked seat is not for sale).
const STATUS_TEXT = {
  available: 'available', mine: 'held by you', held: 'held by someone else', reserved: 'reserved', blocked: 'not for sale',
};

/** The seat as shown now: a hold whose time has passed is available. */
function shown(seat, now = Date.now()) {
  if (seat.blocked) return 'blocked';
  if (seat.status === 'locked' && Date.parse(seat.locked_until) <= now) return 'available';
  if (seat.status === 'locked') return seat.locked_by_me ? 'mine' : 'held';
  return seat.status;
}

/** Whether a click on a seat in `state` holds it or lets it go. */
const clickable = (state) => state === 'available' || state === 'mine';

const secondsLeft = (iso) => Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));

function left(iso) {
  const secs = secondsLeft(iso);
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
}

/** "5 minutes", "1 minute", "30 seconds". */
function duration(secs) {
  const [n, unit] = secs >= 90 ? [Math.round(secs / 60), 'minute'] : secs >= 60 ? [1, 'minute'] : [secs, 'second'];
  return `${n} ${unit}${n === 1 ? '' : 's'}`;
}

/** "$100.00", or "$80.00 to $120.00" when the seats' prices differ. */
function priceRange(seats) {
  const prices = seats.map((s) => s.price_cents);
  if (prices.length === 0) return '';
  const [low, high] = [Math.min(...prices), Math.max(...prices)];
  return low === high ? dollars(low) : `${dollars(low)} to ${dollars(high)}`;
}

/** A key for one checkout: the same seats keep it, other seats get a new one. */
function checkoutKeys() {
  let seats = '';
  let key = '';
  return (ids) => {
    const these = [...ids].sort((a, b) => a - b).join(',');
    if (these !== seats) {
      seats = these;
      key = crypto.randomUUID();
    }
    return key;
  };
}

/** Answers that leave a reserve's outcome unknown: asking again with its key tells. */
const outcomeUnknown = (error) =>
  error instanceof ApiError && (error.status === 0 || error.code === 'timeout' || error.code === 'storage_unavailable');

/**
 * An event's page. A large venue of several sections opens on an overview
 * of its sections; choosing one shows that section's seats, loaded and
 * streamed alone. Smaller events show every seat at once.
 */
async function showEvent(eventId, sectionName) {
  const { event } = await api('GET', `/api/events/${eventId}/`);
  if (event.cancelled_at) throw new ApiError(404, '', `${event.name} is cancelled: ${event.cancel_reason}.`);
  const large = event.sections.length > 1 && event.total_seats > LARGE_VENUE;
  if (sectionName === undefined && large) return showVenue(event);
  if (sectionName !== undefined && !event.sections.some((s) => s.name === sectionName)) {
    throw new ApiError(404, 'not_found', `${event.name} has no section called ${sectionName}.`);
  }
  return showSeats(event, sectionName);
}

/** From how many seats a venue of several sections opens on its overview. */
const LARGE_VENUE = 2000;

const sectionLink = (event, name) => `#/events/${event.id}/sections/${encodeURIComponent(name)}`;

/** A message for the next page shown (after best available moves to a section). */
let nextNotice = null;

/** The price categories, with their colours, prices and seats left. */
function categoryLegend(categories) {
  return h('ul', { class: 'legend', 'aria-label': 'Price categories' },
    categories.map((c) => {
      const swatch = h('span', { class: 'swatch category', 'aria-hidden': 'true' });
      swatch.style.setProperty('--category', c.color);
      return h('li', {}, swatch, `${c.name} ${dollars(c.price_cents)} (${c.available_seats} available)`);
    }));
}

/**
 * From how many seats the page reads what it shows (a section, or an event
 * of one section) a few rows at a time, as they scroll into view, rather
 * than whole: a 10,000-seat section is 2.65 MB of JSON.
 */
const BY_ROWS = 2000;

/**
 * Rows per part of a section read by rows: each part on screen has a live
 * stream of its own (`?rows=`), opened as it scrolls into view and closed
 * as it leaves, so a part is sent once while it stays on screen. At the
 * smallest zoom a desktop's hall shows about 40 rows: three parts, three of
 * the six connections a browser opens to one server.
 */
const PART_ROWS = 20;

/**
 * The seats of `event`, or of its section `sectionName`: the seat grid,
 * the buyer's seats, best available, live. What it shows is read and
 * streamed whole, or, past BY_ROWS seats, by parts of PART_ROWS rows as
 * they scroll into view (the other rows are drawn empty until then).
 */
async function showSeats(event, sectionName) {
  const eventId = event.id;
  const one = sectionName !== undefined;
  const part = one ? `?section=${encodeURIComponent(sectionName)}` : '';
  const size = one ? event.sections.find((s) => s.name === sectionName).total_seats : event.total_seats;
  const byRows = size > BY_ROWS;
  // Live: the server's streams of seat changes. A stream's first message
  // is the seats the page starts from (all it shows, or one part of the
  // rows), so no older read of them can arrive after a click and undo it.
  // Messages queue in `queue` until applied.
  let queue = [];
  let onChanges = null;
  let onStreamError = () => {};
  const streams = new Set();
  function listen(query) {
    const source = new EventSource(`/api/events/${eventId}/stream/${query}`);
    streams.add(source);
    const first = new Promise((resolve) => {
      source.addEventListener('seats', (message) => {
        const batch = JSON.parse(message.data);
        // All seats shown, anew: what was queued is older.
        if (batch.full && !byRows) queue = [];
        queue.push(batch);
        resolve(true);
        onChanges?.();
      });
      // No stream (a proxy that does not pass it, say): the seats are
      // read, and read again every two seconds until the stream comes back.
      source.addEventListener('error', () => resolve(false), { once: true });
    });
    source.addEventListener('error', () => onStreamError());
    return { source, first };
  }
  const stop = (source) => {
    source.close();
    streams.delete(source);
  };

  let streamed;
  let holds;
  let layout;
  let seats = [];
  try {
    const whole = byRows ? null : listen(part);
    [streamed, holds, layout] = await Promise.all([
      whole?.first,
      // Seats held in other sections, or in rows not read yet, are the buyer's too.
      one || byRows ? api('GET', `/api/events/${eventId}/holds/`) : { seats: [] },
      // By rows: the rows to lay out, without their seats.
      byRows ? api('GET', `/api/events/${eventId}/rows/${part}`) : null,
    ]);
    if (!byRows) seats = streamed ? queue.flatMap((b) => b.seats) : (await api('GET', `/api/events/${eventId}/seats/${part}`)).seats;
  } catch (error) {
    for (const source of streams) stop(source);
    throw error;
  }
  queue = [];
  const byId = new Map([...holds.seats, ...seats].map((s) => [s.id, s]));
  const buttons = new Map();
  let focusId = seats[0]?.id;
  let busy = false;
  const keyFor = checkoutKeys();
  // Seats shown as held, by id, with when their hold ends (ms): what the
  // once-a-second tick repaints when their time passes.
  const holdsEnding = new Map();
  // Seats held by this user at the last paint, with when their hold ends
  // (ms), and those already warned of.
  let heldBefore = new Map();
  const warned = new Set();

  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' },
    Object.entries(STATUS_TEXT).map(([key, text]) =>
      h('li', {}, h('span', { class: `swatch ${key}`, 'aria-hidden': 'true' }), text[0].toUpperCase() + text.slice(1))));
  // The marks of seats with attributes, when seats shown have them (added
  // as rows are read, when read by rows).
  const marks = [['accessible', 'Wheelchair space', (s) => s.accessible],
    ['companion', 'Companion seat', (s) => s.companion], ['restricted', 'Restricted view', (s) => s.restricted_view]];
  function noteMarks(some) {
    for (const mark of marks) {
      const [key, text, marked] = mark;
      if (!mark.shown && some.some(marked)) {
        mark.shown = true;
        legend.append(h('li', {}, h('span', { class: `swatch available ${key}`, 'aria-hidden': 'true' }), text));
        if (key === 'accessible') bestForm?.offerWheelchairs();
      }
    }
  }
  let bestForm = null;
  noteMarks(seats);
  // Price categories, with the colour that marks their available seats;
  // an event of one price needs none (its price is in the heading).
  const categories = event.categories ?? [];
  const colourOf = new Map(categories.map((c) => [c.name, c.color]));

  // A row is one row of one section: its label, its seats' ids (null
  // until read, by rows) and how many it has. The seats come by section,
  // then row; by rows, the rows come from the layout.
  const rows = [];
  if (byRows) {
    for (const r of layout.rows) rows.push({ label: r.row, section: r.section, seats: null, count: r.seats });
  } else {
    for (const seat of seats) {
      const last = rows.at(-1);
      if (!last || last.label !== seat.row || last.section !== seat.section) {
        rows.push({ label: seat.row, section: seat.section ?? '', seats: [], count: 0 });
      }
      rows.at(-1).seats.push(seat.id);
      rows.at(-1).count += 1;
    }
  }
  const rowKey = (section, label) => `${section}\n${label}`;
  const rowIndex = new Map(rows.map((row, i) => [rowKey(row.section, row.label), i]));
  // The row of each seat drawn.
  const rowOf = new Map();
  const seatButton = (id) => {
    const button = h('button', { type: 'button', role: 'gridcell', 'data-seat': id, onclick: () => toggle(id) });
    buttons.set(id, button);
    return button;
  };
  const named = rows.some((row) => row.section !== '');
  const grid = h('div', { class: 'grid', role: 'grid', 'aria-label': `Seats of ${event.name}`, onkeydown: move },
    rows.flatMap((row, i) => {
      row.waiters = [];
      row.el = h('div', { class: 'row', role: 'row', 'data-row': i },
        h('span', { class: 'row-label', role: 'rowheader' }, row.label));
      if (row.seats) {
        for (const id of row.seats) rowOf.set(id, i);
        row.el.append(...row.seats.map(seatButton));
      } else {
        // Seats not read yet: their outlines, as wide as the seats will be.
        const empty = h('span', { class: 'row-unread', 'aria-hidden': 'true' });
        empty.style.setProperty('--count', row.count);
        row.el.append(empty);
      }
      return [
        // A section's name above its first row, when the venue names sections.
        named && row.section !== rows[i - 1]?.section
          ? h('div', { class: 'section-name', role: 'row' }, h('span', { role: 'rowheader' }, row.section))
          : '',
        row.el,
      ];
    }));

  /**
   * Draws the rows of `some` (seats of whole rows, as a stream's first
   * message or a read of rows brings them) that are not drawn yet.
   */
  function fill(some) {
    const byRow = new Map();
    for (const seat of some) {
      const i = rowIndex.get(rowKey(seat.section ?? '', seat.row));
      if (i === undefined || rows[i].seats) continue;
      if (!byRow.has(i)) byRow.set(i, []);
      byRow.get(i).push(seat.id);
    }
    for (const [i, ids] of byRow) {
      const row = rows[i];
      row.seats = ids;
      for (const id of ids) rowOf.set(id, i);
      row.el.querySelector('.row-unread').replaceWith(...ids.map(seatButton));
      focusId ??= ids[0];
      for (const resolve of row.waiters.splice(0)) resolve();
    }
    noteMarks(some);
  }

  // The list scrolls when long (a phone's sheet is short): a Tab stop lets
  // a keyboard scroll it too.
  const held = h('ul', { tabindex: 0, 'aria-label': 'Seats you hold' });
  const total = h('p', { class: 'total' });
  const confirm = h('button', { type: 'button', onclick: reserve }, 'Confirm reservation');
  const lifetime = h('p', { class: 'muted' }, 'Click an available seat to hold it while you decide.');
  // Your seats stay on screen: beside the hall on a desktop, as a sheet at
  // the foot of a phone's screen (app.css).
  const summary = h('aside', { class: 'card summary', 'aria-label': 'Your seats' },
    h('h2', {}, 'Your seats'), held, h('div', { class: 'checkout' }, total, confirm), lifetime);
  bestForm = bestAvailableForm(event, {
    section: sectionName,
    wheelchairs: seats.some((s) => s.accessible),
    async onHeld(answer) {
      merge(answer.seats);
      tellLifetime(answer.seats[0].locked_until);
      // In view, and where the arrow keys start (seats held in another
      // section are listed, not drawn; a row not read yet is read first).
      const first = answer.seats[0];
      const i = rowIndex.get(rowKey(first.section ?? '', first.row));
      if (i !== undefined) {
        await need(i);
        if (gone) return '';
        setFocus(first.id);
        buttons.get(first.id).scrollIntoView({ block: 'center', inline: 'center' });
      }
      return `Holding ${answer.seats.map((s) => s.seat_number).join(', ')} for you.`;
    },
  });
  const best = h('aside', { class: 'card best-card', 'aria-label': 'Best available' }, bestForm);

  const hall = h('div', { class: 'hall' }, h('div', { class: 'stage' }, 'Stage'), grid);
  const hallScroll = h('section', { class: 'hall-scroll', 'aria-label': 'Seating plan' }, hall);
  view(one ? `${event.name}: ${sectionName}` : event.name,
    h('p', { class: 'muted' }, `${event.venue} · ${when(event.starts_at)} · seats ${priceRange(byRows ? categories : seats)}`),
    one ? h('p', {}, h('a', { href: `#/events/${eventId}` }, 'All sections')) : '',
    event.description && !one ? h('p', { class: 'description' }, event.description) : '',
    legend,
    categories.length < 2 ? '' : categoryLegend(categories),
    h('div', { class: 'layout' },
      h('div', { class: 'plan' }, zoomControls(seatZoom(hallScroll, hall)), hallScroll),
      summary, best));

  // What each seat's button shows now, so that a paint that changes nothing
  // touches nothing (the stream's full map arrives at every connect).
  const painted = new Map();

  function paint(id) {
    const seat = byId.get(id);
    const state = shown(seat);
    const button = buttons.get(id);
    if (state === 'mine' || state === 'held') holdsEnding.set(id, Date.parse(seat.locked_until));
    else holdsEnding.delete(id);
    // A seat held in another section, or in a row not read yet: listed in
    // the summary, not drawn.
    if (!button) return;
    const name = [`Seat ${seat.seat_number}`, STATUS_TEXT[state], dollars(seat.price_cents),
      seat.category && categories.length > 1 && seat.category,
      seat.accessible && 'wheelchair space', seat.companion && 'companion seat', seat.restricted_view && 'restricted view']
      .filter(Boolean).join(', ');
    const look = `${name}|${id === focusId}`;
    if (painted.get(id) === look) return;
    painted.set(id, look);
    button.className = ['seat', state, seat.accessible && 'accessible', seat.companion && 'companion',
      seat.restricted_view && 'restricted'].filter(Boolean).join(' ');
    if (colourOf.size > 1) button.style.setProperty('--category', colourOf.get(seat.category) ?? 'transparent');
    button.textContent = `${seat.row}${seat.number}`;
    button.tabIndex = id === focusId ? 0 : -1;
    button.title = name;
    button.setAttribute('aria-label', name);
    button.setAttribute('aria-disabled', String(!clickable(state)));
    button.setAttribute('aria-selected', String(state === 'mine'));
  }

  /**
   * The seats this user holds now, in seat order (ids follow it). Read from
   * the seats shown as held, not the whole map: the tick asks every second.
   */
  function mySeats() {
    return [...holdsEnding.keys()].sort((a, b) => a - b).map((id) => byId.get(id)).filter((s) => shown(s) === 'mine');
  }

  // What the summary shows now: it is redrawn only when that changes (other
  // buyers' changes, many a second on a busy event, do not change it).
  let summaryShown = '';
  function paintSummary() {
    const mine = mySeats();
    const look = `${mine.map((s) => `${s.id}@${left(s.locked_until)}`).join()}|${busy}`;
    if (look !== summaryShown) {
      summaryShown = look;
      held.replaceChildren(...(mine.length === 0
        ? [h('li', { class: 'muted' }, 'No seats held yet.')]
        : mine.map((s) => h('li', {}, `${s.seat_number} · ${dollars(s.price_cents)} · `,
          h('span', { class: 'countdown' }, `held for ${left(s.locked_until)}`)))));
      total.textContent = `Total: ${dollars(mine.reduce((sum, s) => sum + s.price_cents, 0))}`;
      confirm.disabled = mine.length === 0 || busy;
    }
    tellAboutHolds(mine);
  }

  /** Warns a minute before a hold ends, and says so when one has ended. */
  function tellAboutHolds(mine) {
    const now = new Map(mine.map((s) => [s.id, Date.parse(s.locked_until)]));
    // A hold has ended when its time has passed. Released seats leave
    // heldBefore when released; reserved ones are not lost; and a seat a
    // stale map shows as available (the live stream's first message may
    // be a second old) is not announced while its hold still runs.
    const ended = [...heldBefore]
      .filter(([id, until]) => !now.has(id) && until <= Date.now() + 1000 && shown(byId.get(id)) !== 'reserved')
      .map(([id]) => id);
    heldBefore = now;
    if (ended.length > 0) {
      const labels = ended.map((id) => byId.get(id).seat_number).join(', ');
      say(`Your hold on ${labels} has ended. Click the seat again to hold it, if it is still available.`, false, 'hold_ended');
      return;
    }
    const ending = mine.filter((s) => secondsLeft(s.locked_until) <= 60 && !warned.has(s.id));
    if (ending.length > 0) {
      for (const s of ending) warned.add(s.id);
      say(`Your hold on ${ending.map((s) => s.seat_number).join(', ')} ends in less than a minute. Confirm the reservation to keep it.`,
        false, 'hold_ending');
    }
  }

  function paintAll() {
    for (const id of byId.keys()) paint(id);
    paintSummary();
  }

  function merge(changed, full) {
    // All seats shown anew (not by rows): seats held in other sections stay.
    if (full && !byRows) for (const id of buttons.keys()) byId.delete(id);
    for (const seat of changed) byId.set(seat.id, seat);
    if (full && !byRows) paintAll();
    else {
      for (const seat of changed) if (buttons.has(seat.id)) paint(seat.id);
      paintSummary();
    }
  }

  /** Says how long the server keeps a hold: as long as the one just taken, until `lockedUntil`. */
  function tellLifetime(lockedUntil) {
    lifetime.textContent = `A seat you hold is kept for you for ${duration(secondsLeft(lockedUntil))}.`;
  }

  /** Moves the grid's one Tab stop (and the arrow keys' starting point) to seat `id`. */
  function setFocus(id) {
    aim = null;
    const previous = focusId;
    focusId = id;
    if (buttons.has(previous)) paint(previous);
    paint(id);
  }

  async function toggle(id) {
    setFocus(id);
    const seat = byId.get(id);
    const state = shown(seat);
    if (busy || !clickable(state)) {
      if (!clickable(state)) say(`Seat ${seat.seat_number} is ${STATUS_TEXT[state]}.`);
      return;
    }
    busy = true;
    try {
      if (state === 'mine') {
        await api('POST', `/api/events/${eventId}/seats/${id}/unlock/`);
        heldBefore.delete(id);
        merge([{ ...seat, status: 'available', is_locked: false, locked_until: null, locked_by_me: false }]);
      } else {
        const answer = await api('POST', `/api/events/${eventId}/seats/${id}/lock/`);
        merge([{ ...seat, status: 'locked', is_locked: true, locked_until: answer.seat.locked_until, locked_by_me: true }]);
        warned.delete(id);
        tellLifetime(answer.seat.locked_until);
      }
      quiet();
    } catch (error) {
      fail(error);
      // Show the seats as they are; unless the server is out of reach, when
      // the live stream catches up once it is back.
      if (error.status !== 0) refresh();
    } finally {
      busy = false;
      paintSummary();
    }
  }

  /**
   * Reserves the held seats. A reserve whose answer is lost (a network error,
   * a timeout) may still have been made: it is asked again, with the same
   * Idempotency-Key, until the server answers. The key makes the server
   * answer the reservation it made, if it made one, and it never books twice.
   */
  async function reserve() {
    const mine = mySeats();
    const ids = mine.map((s) => s.id);
    const key = keyFor(ids);
    busy = true;
    paintSummary();
    try {
      let answer;
      for (let attempt = 0; !answer; attempt += 1) {
        try {
          answer = await api('POST', `/api/events/${eventId}/reserve/`, { seat_ids: ids }, { 'Idempotency-Key': key });
        } catch (error) {
          if (!outcomeUnknown(error) || gone) throw error;
          say('The server did not answer. Checking whether your reservation went through…', false, 'checking');
          await new Promise((resolve) => setTimeout(resolve, Math.min(500 * 2 ** attempt, 5000)));
          if (gone) return;
        }
      }
      const { reservation } = answer;
      merge(mine.map((s) => ({ ...s, status: 'reserved', is_locked: false, locked_until: null, locked_by_me: false })));
      say(`Reserved ${reservation.seats.join(', ')} for ${dollars(reservation.total_cents)}.`, true);
    } catch (error) {
      fail(error);
      refresh();
    } finally {
      busy = false;
      paintSummary();
    }
  }

  // Where a move into a row not read yet goes ({row, column}) while the row
  // is read: the keys pressed meanwhile move on from there.
  let aim = null;
  async function move(event) {
    const keys = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    const r = aim?.row ?? rowOf.get(focusId);
    if (r === undefined) return;
    const c = aim?.column ?? rows[r].seats.indexOf(focusId);
    let to = r;
    let column;
    if (keys[event.key]) {
      const [dr, dc] = keys[event.key];
      to = Math.min(rows.length - 1, Math.max(0, r + dr));
      column = dr ? c : c + dc;
    } else if (event.key === 'Home') column = 0;
    else if (event.key === 'End') column = Infinity;
    else return;
    event.preventDefault();
    aim = null;
    if (!rows[to].seats) {
      const here = { row: to, column };
      aim = here;
      await need(to);
      if (aim !== here || gone) return;
      aim = null;
    }
    const { seats: ids } = rows[to];
    const target = ids[Math.min(ids.length - 1, Math.max(0, column))];
    setFocus(target);
    buttons.get(target).focus();
  }

  async function refresh() {
    try {
      if (!byRows) {
        merge((await api('GET', `/api/events/${eventId}/seats/${part}`)).seats, true);
        return;
      }
      // By rows: the parts on screen.
      const parts = [...open.keys()];
      if (parts.length === 0) return;
      const query = rowsQuery(Math.min(...parts), Math.max(...parts));
      const { seats: read } = await api('GET', `/api/events/${eventId}/seats/${query}`);
      fill(read);
      merge(read);
    } catch (error) {
      fail(error);
    }
  }

  // By rows: the parts (of PART_ROWS rows) with a stream open, by their
  // index; the rows on screen; and rows a key press or best available
  // waits for.
  const open = new Map();
  const onScreen = new Set();
  const wanted = new Set();
  /** `?rows=` of parts `from` to `to` (with `?section=` when one is shown). */
  function rowsQuery(from, to) {
    const labels = rows.slice(from * PART_ROWS, (to + 1) * PART_ROWS).map((row) => row.label);
    // Rows order as the server orders them: by length, then letters (Z < AA).
    const order = (a, b) => a.length - b.length || (a < b ? -1 : a > b ? 1 : 0);
    labels.sort(order);
    return `${part ? `${part}&` : '?'}rows=${labels[0]}-${labels.at(-1)}`;
  }
  /** Opens the stream of each part on screen (or waited for), and closes the others'. */
  function followRows() {
    const parts = new Set([...onScreen, ...wanted].map((i) => Math.floor(i / PART_ROWS)));
    for (const [k, source] of open) {
      if (!parts.has(k)) {
        stop(source);
        open.delete(k);
      }
    }
    for (const k of parts) if (!open.has(k)) open.set(k, listen(rowsQuery(k, k)).source);
  }
  /** Row `i`, read: scrolled into view, its part streamed, and its seats drawn. */
  function need(i) {
    const row = rows[i];
    if (row.seats) return Promise.resolve();
    row.el.scrollIntoView({ block: 'nearest' });
    wanted.add(i);
    followRows();
    return new Promise((resolve) => row.waiters.push(resolve)).finally(() => wanted.delete(i));
  }
  let following = null;
  const observer = byRows ? new IntersectionObserver((entries) => {
    for (const entry of entries) {
      const i = Number(entry.target.dataset.row);
      if (entry.isIntersecting) onScreen.add(i);
      else onScreen.delete(i);
    }
    // The first rows at once; later, once the scrolling pauses.
    clearTimeout(following);
    following = setTimeout(followRows, open.size === 0 ? 0 : 100);
  }, { root: hallScroll }) : null;
  for (const row of byRows ? rows : []) observer.observe(row.el);

  // Polling while a stream is down.
  let poll = null;
  const startPolling = () => { poll ??= setInterval(refresh, 2000); };
  const stopPolling = () => { clearInterval(poll); poll = null; };
  // Changes are applied ten times a second at most, however fast they come:
  // a busy event sends hundreds of messages a second, and each paint of
  // the summary is work the page need not repeat for every one.
  let applying = null;
  const applyChanges = () => {
    applying = null;
    const batches = queue;
    queue = [];
    // By rows, a stream's first message brings the rows of its part.
    if (byRows) for (const batch of batches) if (batch.full) fill(batch.seats);
    // Each seat once, as it is now (the last change queued): a seat that
    // changed ten times since the last paint is painted once.
    const latest = new Map();
    for (const batch of batches) for (const seat of batch.seats) latest.set(seat.id, seat);
    merge([...latest.values()], batches.some((b) => b.full));
  };
  onChanges = () => {
    stopPolling();
    applying ??= setTimeout(applyChanges, byRows && !focusId ? 0 : 100);
  };
  onStreamError = startPolling;
  if (!byRows && !streamed) startPolling();
  // Once a second: the countdowns, and the seats whose hold has just ended
  // (never the whole map: a stadium has tens of thousands of seats).
  const tick = setInterval(() => {
    const now = Date.now();
    for (const [id, ends] of holdsEnding) if (ends <= now) paint(id);
    paintSummary();
  }, 1000);

  paintAll();
  if (nextNotice) {
    say(nextNotice, true);
    nextNotice = null;
  }
  let gone = false; // the page has moved on: stop asking
  leaveView = () => {
    gone = true;
    for (const source of streams) stop(source);
    observer?.disconnect();
    clearTimeout(following);
    clearTimeout(applying);
    stopPolling();
    clearInterval(tick);
  };
}

// ---- a large venue: its sections, and zooming

const SVG = 'http://www.w3.org/2000/svg';

/** An SVG element with attributes and children. */
function svg(tag, attrs = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  node.append(...children);
  return node;
}

/** How much of a section is left, as the overview shades it. */
const BANDS = {
  plenty: 'Half or more available', some: 'Under half available', last: 'Under a tenth available', 'sold-out': 'Sold out',
};

function availabilityBand(s) {
  if (s.available_seats === 0) return 'sold-out';
  if (s.available_seats * 10 < s.total_seats) return 'last';
  return s.available_seats * 2 < s.total_seats ? 'some' : 'plenty';
}

/** "480 of 500 seats available", "Sold out". */
function sectionAvailability(s) {
  return s.available_seats === 0 ? 'Sold out' : `${s.available_seats} of ${s.total_seats} seats available`;
}

/**
 * Where the overview draws each section: the venue file's positions, or a
 * grid in the venue's order when a section has none. Each tile's side is
 * 0.7 of the distance to its nearest neighbour, so no two tiles overlap
 * and sections with room around them (a stadium's outer ring) are drawn
 * larger.
 */
function sectionPlaces(sections) {
  let places = sections.map((s) => s.position);
  if (places.some((p) => !p)) {
    const columns = Math.ceil(Math.sqrt(sections.length));
    places = sections.map((_, i) => ({ x: (i % columns) * 10, y: Math.floor(i / columns) * 10 }));
  }
  const sizes = places.map((p, i) => {
    let nearest = Infinity;
    places.forEach((q, j) => { if (j !== i) nearest = Math.min(nearest, Math.hypot(p.x - q.x, p.y - q.y)); });
    return Number.isFinite(nearest) && nearest > 0 ? nearest * 0.7 : 10;
  });
  return { places, sizes };
}

/**
 * The overview of a large venue: its sections drawn where they are, each
 * shaded by the share of its seats still available, and the same sections
 * as a list of links (the map is for the eye and the pointer; the list is
 * what keyboards and screen readers use). Best available here searches the
 * whole venue and opens the section of the seats it holds.
 */
function showVenue(event) {
  const { places, sizes } = sectionPlaces(event.sections);
  const margin = Math.max(...sizes);
  const xs = places.map((p) => p.x);
  const ys = places.map((p) => p.y);
  const box = {
    x: Math.min(...xs) - margin, y: Math.min(...ys) - margin,
    w: Math.max(...xs) - Math.min(...xs) + 2 * margin, h: Math.max(...ys) - Math.min(...ys) + 2 * margin,
  };
  // The stage: in the middle when the sections surround it (a stadium),
  // else in front of them (a hall).
  const inner = Math.min(...places.map((p, i) => Math.hypot(p.x, p.y) - sizes[i]));
  const surrounded = inner > 0 && xs.some((x) => x < 0) && xs.some((x) => x > 0) && ys.some((y) => y < 0) && ys.some((y) => y > 0);
  let stage;
  if (surrounded) {
    stage = svg('g', { class: 'map-stage' },
      svg('circle', { cx: 0, cy: 0, r: inner * 0.9 }),
      svg('text', { x: 0, y: 0, 'font-size': inner * 0.2 }, 'Stage'));
  } else {
    const depth = margin * 0.8;
    box.y -= depth;
    box.h += depth;
    stage = svg('g', { class: 'map-stage' },
      svg('rect', { x: box.x + margin * 0.5, y: box.y + depth * 0.2, width: box.w - margin, height: depth * 0.8, rx: depth * 0.2 }),
      svg('text', { x: box.x + box.w / 2, y: box.y + depth * 0.6, 'font-size': depth * 0.45 }, 'Stage'));
  }
  const tiles = event.sections.map((s, i) => {
    const { x, y } = places[i];
    const size = sizes[i];
    const short = s.name.replace(/^(block|section)\s+/i, '');
    return svg('g', { class: `map-section ${availabilityBand(s)}`, 'data-section': s.name },
      svg('title', {}, `${s.name}: ${sectionAvailability(s)}`),
      svg('rect', { x: x - size / 2, y: y - size / 2, width: size, height: size, rx: size * 0.12 }),
      svg('text', { x, y, 'font-size': Math.min(size * 0.32, (size * 1.6) / Math.max(short.length, 1)) }, short));
  });
  const bands = h('ul', { class: 'legend map-legend', 'aria-label': 'Sections on the map' },
    Object.entries(BANDS).map(([band, text]) => h('li', {}, h('span', { class: `swatch band ${band}`, 'aria-hidden': 'true' }), text)));
  const map = svg('svg', { class: 'venue-map', viewBox: `${box.x} ${box.y} ${box.w} ${box.h}`, 'aria-hidden': 'true' },
    stage, ...tiles);
  const frame = h('div', {
    class: 'map-frame', tabindex: 0, role: 'group',
    'aria-label': 'Map of the sections. Zoom with + and −, move with the arrow keys; choose a section from the list below.',
  }, map);
  const zoom = mapZoom(frame, map, box, (name) => { location.hash = sectionLink(event, name); });

  const list = h('ul', { class: 'section-list', 'aria-label': 'Sections' },
    event.sections.map((s) => h('li', {},
      h('a', { href: sectionLink(event, s.name) }, s.name),
      h('span', { class: 'muted' }, sectionAvailability(s)))));
  const best = bestAvailableForm(event, {
    wheelchairs: true,
    onHeld(answer) {
      nextNotice = `Holding ${answer.seats.map((x) => x.seat_number).join(', ')} for you.`;
      location.hash = sectionLink(event, answer.seats[0].section);
      return nextNotice;
    },
  });
  view(event.name,
    h('p', { class: 'muted' }, `${event.venue} · ${when(event.starts_at)} · ${event.available_seats} of ${event.total_seats} seats available`),
    event.description ? h('p', { class: 'description' }, event.description) : '',
    categoryLegend(event.categories ?? []),
    h('div', { class: 'layout' },
      h('section', { 'aria-labelledby': 'sections-title' },
        h('h2', { id: 'sections-title' }, 'Choose a section'),
        zoomControls(zoom), frame, bands, list),
      h('aside', { class: 'card best-card', 'aria-label': 'Best available' }, best)));
}

/** Zoom in, zoom out and fit buttons for a zoom (`in`, `out`, `fit`). */
function zoomControls(zoom) {
  return h('div', { class: 'zoom', role: 'group', 'aria-label': 'Zoom' },
    h('button', { type: 'button', class: 'secondary', onclick: zoom.in, 'aria-label': 'Zoom in', title: 'Zoom in (+)' }, '+'),
    h('button', { type: 'button', class: 'secondary', onclick: zoom.out, 'aria-label': 'Zoom out', title: 'Zoom out (−)' }, '−'),
    h('button', { type: 'button', class: 'secondary', onclick: zoom.fit }, 'Fit'));
}

/**
 * Pointer gestures on `element`: `onPan(dx, dy)` for a drag of one pointer
 * (mouse or finger), `onPinch(factor, x, y)` for two fingers, and a
 * Ctrl+wheel (what a touchpad's pinch sends) as a pinch. A drag of more
 * than a few pixels is a pan, and the click that ends it is swallowed.
 */
function gestures(element, { onPan, onPinch }) {
  const pointers = new Map();
  let moved = 0;
  element.addEventListener('pointerdown', (e) => {
    if (e.pointerType === 'mouse' && e.button !== 0) return;
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 1) moved = 0;
  });
  element.addEventListener('pointermove', (e) => {
    const before = pointers.get(e.pointerId);
    if (!before) return;
    const now = { x: e.clientX, y: e.clientY };
    if (pointers.size === 1) {
      moved += Math.abs(now.x - before.x) + Math.abs(now.y - before.y);
      if (moved > 6) {
        if (!element.hasPointerCapture(e.pointerId)) element.setPointerCapture(e.pointerId);
        onPan(now.x - before.x, now.y - before.y);
      }
    } else if (pointers.size === 2) {
      const [other] = [...pointers].filter(([id]) => id !== e.pointerId).map(([, p]) => p);
      const apart = (p) => Math.hypot(p.x - other.x, p.y - other.y);
      if (apart(before) > 0) onPinch(apart(now) / apart(before), (now.x + other.x) / 2, (now.y + other.y) / 2);
      moved = Infinity;
    }
    pointers.set(e.pointerId, now);
  });
  const up = (e) => pointers.delete(e.pointerId);
  element.addEventListener('pointerup', up);
  element.addEventListener('pointercancel', up);
  // The click that ends a pan is not a click on what is under it.
  element.addEventListener('click', (e) => {
    if (moved > 6) {
      e.stopPropagation();
      e.preventDefault();
    }
  }, true);
  element.addEventListener('wheel', (e) => {
    if (!e.ctrlKey) return;
    e.preventDefault();
    onPinch(Math.exp(-e.deltaY / 200), e.clientX, e.clientY);
  }, { passive: false });
}

/**
 * Zooming and panning the overview map by its viewBox: buttons, keys (+, −,
 * 0 and the arrows, while the map has focus), drags, pinches. A click on a
 * section calls `choose(name)`.
 */
function mapZoom(frame, map, box, choose) {
  let view = { ...box };
  const show = () => map.setAttribute('viewBox', `${view.x} ${view.y} ${view.w} ${view.h}`);
  const scale = () => view.w / map.getBoundingClientRect().width;
  function zoomBy(factor, cx = view.x + view.w / 2, cy = view.y + view.h / 2) {
    const w = Math.min(box.w * 2, Math.max(box.w / 12, view.w / factor));
    const f = view.w / w;
    view = { x: cx - (cx - view.x) / f, y: cy - (cy - view.y) / f, w, h: view.h / f };
    show();
  }
  const panBy = (dx, dy) => { view.x -= dx; view.y -= dy; show(); };
  const toMap = (clientX, clientY) => {
    const r = map.getBoundingClientRect();
    return [view.x + (clientX - r.left) * scale(), view.y + (clientY - r.top) * scale()];
  };
  gestures(frame, {
    onPan: (dx, dy) => panBy(dx * scale(), dy * scale()),
    onPinch: (factor, x, y) => zoomBy(factor, ...toMap(x, y)),
  });
  frame.addEventListener('keydown', (e) => {
    const step = view.w / 10;
    const keys = {
      '+': () => zoomBy(1.5), '=': () => zoomBy(1.5), '-': () => zoomBy(1 / 1.5), '0': fit,
      ArrowLeft: () => panBy(step, 0), ArrowRight: () => panBy(-step, 0),
      ArrowUp: () => panBy(0, step), ArrowDown: () => panBy(0, -step),
    };
    if (!keys[e.key]) return;
    e.preventDefault();
    keys[e.key]();
  });
  map.addEventListener('click', (e) => {
    const tile = e.target.closest('[data-section]');
    if (tile) choose(tile.dataset.section);
  });
  function fit() { view = { ...box }; show(); }
  return { in: () => zoomBy(1.5), out: () => zoomBy(1 / 1.5), fit };
}

/**
 * Zooming the seat grid by its seats' size (`--zoom`); panning is the scroll
 * box's own scrolling, and a mouse can drag it too. Keys + and − zoom while
 * the grid has focus.
 */
function seatZoom(scrollBox, hall) {
  let zoom = 1;
  function set(value, clientX, clientY) {
    const r = scrollBox.getBoundingClientRect();
    // Keep the point under the pointer (or the middle) where it is.
    const ox = (clientX ?? r.left + r.width / 2) - r.left;
    const oy = (clientY ?? r.top + r.height / 2) - r.top;
    const fx = (scrollBox.scrollLeft + ox) / (scrollBox.scrollWidth || 1);
    const fy = (scrollBox.scrollTop + oy) / (scrollBox.scrollHeight || 1);
    zoom = Math.min(2, Math.max(0.4, value));
    hall.style.setProperty('--zoom', zoom);
    scrollBox.scrollLeft = fx * scrollBox.scrollWidth - ox;
    scrollBox.scrollTop = fy * scrollBox.scrollHeight - oy;
  }
  gestures(scrollBox, {
    onPan: (dx, dy) => { scrollBox.scrollLeft -= dx; scrollBox.scrollTop -= dy; },
    onPinch: (factor, x, y) => set(zoom * factor, x, y),
  });
  scrollBox.addEventListener('keydown', (e) => {
    const keys = { '+': 1.25, '=': 1.25, '-': 1 / 1.25 };
    if (!keys[e.key]) return;
    e.preventDefault();
    set(zoom * keys[e.key]);
  });
  // Fit: the widest row fills the box's width (never past the zoom limits).
  const fit = () => set(zoom * (scrollBox.clientWidth / hall.scrollWidth));
  return { in: () => set(zoom * 1.25), out: () => set(zoom / 1.25), fit };
}

/**
 * "Best available": the server picks and holds the best seats together
 * (docs/API.md), in `section` when given. `onHeld(answer)` shows them and
 * returns what the form then says. When no row has that many together,
 * the form says so and offers to split them over two neighbouring rows.
 * Where the venue has wheelchair spaces, the form asks how many of the
 * seats are wheelchair spaces (0 by default: none), each coming with the
 * seat beside it for a companion; `offerWheelchairs()` on the form adds
 * that question later (a section read by rows finds its wheelchair
 * spaces as they are read).
 */
function bestAvailableForm(event, { section, wheelchairs, onHeld }) {
  const categories = event.categories ?? [];
  const count = h('input', { id: 'best-count', type: 'number', min: 1, max: 10, value: 2, required: true, inputmode: 'numeric' });
  const category = h('select', { id: 'best-category' },
    h('option', { value: '' }, 'Any category'),
    categories.map((c) => h('option', { value: c.name }, `${c.name} ${dollars(c.price_cents)}`)));
  const wheelchair = h('input', {
    id: 'best-wheelchair', type: 'number', min: 0, max: 2, value: 0, required: true, inputmode: 'numeric',
    'aria-describedby': 'best-wheelchair-hint',
  });
  // No more wheelchair spaces than seats.
  const fitWheelchair = () => { wheelchair.max = count.value; };
  count.addEventListener('input', fitWheelchair);
  const spaces = () => (wheelchairs ? Number(wheelchair.value) : 0);
  const asked = () => {
    const n = spaces();
    return `${count.value} seats together${n > 0 ? ` with ${n} wheelchair space${n > 1 ? 's' : ''}` : ''}`;
  };
  const status = h('p', { class: 'best-status', role: 'status' });
  const split = h('button', { type: 'button', class: 'secondary', hidden: true, onclick: () => find(true) },
    'Take them in two rows');

  async function find(allowSplit) {
    split.hidden = true;
    status.textContent = 'Looking for the best seats…';
    try {
      const answer = await api('POST', `/api/events/${event.id}/best-available/`, {
        count: Number(count.value),
        categories: category.value ? [category.value] : null,
        sections: section === undefined ? null : [section],
        wheelchair: wheelchairs ? spaces() : null,
        allow_split: allowSplit,
      });
      status.textContent = await onHeld(answer);
    } catch (error) {
      if (error.code === 'no_adjacent_seats' && !allowSplit) {
        status.textContent = `No ${asked()} match${section === undefined ? '' : ` in ${section}`}. `
          + 'You can take them in two neighbouring rows, or ask for fewer seats or another category.';
        split.hidden = false;
      } else {
        status.textContent = sentence(error);
      }
    }
  }

  // Offered only where the venue has wheelchair spaces.
  const wheelchairQuestion = h('div', { hidden: !wheelchairs },
    h('label', { for: 'best-wheelchair' }, 'Wheelchair spaces among them'), wheelchair,
    h('p', { id: 'best-wheelchair-hint', class: 'muted hint' }, 'Each with the seat beside it, for a companion.'));
  const form = h('form', {
    class: 'best', 'aria-labelledby': 'best-title',
    onsubmit: (e) => { e.preventDefault(); find(false); },
  },
  h('h2', { id: 'best-title' }, section === undefined ? 'Best available' : `Best available in ${section}`),
  h('label', { for: 'best-count' }, 'Seats together'), count,
  categories.length > 1 ? [h('label', { for: 'best-category' }, 'Category'), category] : '',
  wheelchairQuestion,
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Find seats'), ' ', split),
  status);
  form.offerWheelchairs = () => {
    wheelchairs = true;
    wheelchairQuestion.hidden = false;
  };
  return form;
}

// ---- reservations

async function showReservations() {
  const [{ reservations }, { events }] = await Promise.all([
    api('GET', '/api/reservations/'),
    api('GET', '/api/events/'),
  ]);
  const eventsById = new Map(events.map((e) => [e.id, e]));
  const cancel = async (r) => {
    if (!confirm(`Cancel reservation ${r.id} (${r.seats.join(', ')})?`)) return;
    try {
      await api('POST', `/api/reservations/${r.id}/cancel/`);
      await showReservations();
      say(`Reservation ${r.id} is cancelled. Its seats are available again.`, true);
    } catch (error) {
      fail(error);
    }
  };
  view('My reservations', reservations.length === 0
    ? h('p', { class: 'muted' }, 'No reservations yet. ', h('a', { href: '#/events' }, 'Find an event.'))
    : h('table', { class: 'stack' },
      h('thead', {}, h('tr', {},
        ['Event', 'Seats', 'Total', 'Status', 'Made'].map((t) => h('th', { scope: 'col' }, t)),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, reservations.map((r) => {
        const event = eventsById.get(r.event_id);
        return h('tr', { class: `status-${r.status}` },
          h('td', {}, h('strong', {}, r.event_name),
            event ? h('span', { class: 'muted event-when' }, `${when(event.starts_at)} · ${event.venue}`) : ''),
          cell('Seats', r.seats.join(', ')),
          cell('Total', dollars(r.total_cents)),
          cell('Status', r.cancelled_by_staff ? `cancelled by the box office: ${r.cancel_reason}` : r.status),
          cell('Made', when(r.created_at)),
          h('td', {}, r.status === 'confirmed'
            ? h('button', { type: 'button', class: 'secondary', onclick: () => cancel(r), 'aria-label': `Cancel reservation ${r.id}` }, 'Cancel')
            : ''));
      }))));
}

// ---- start

document.getElementById('logout').addEventListener('click', async () => {
  try {
    await api('POST', '/api/logout/');
  } catch (error) {
    fail(error);
  }
  user = null;
  location.hash = '#/login';
  route();
});
window.addEventListener('hashchange', () => { quiet(); route(); });
api('GET', '/api/csrf/').catch(fail).finally(route);

// What the box office (admin.js) uses.
export { ApiError, LARGE_VENUE, api, cell, dollars, fail, h, say, seatZoom, sentence, view, when, zoomControls };
