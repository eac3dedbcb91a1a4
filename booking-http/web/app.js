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

// ---- the API ---------------------------------------------------------------

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

async function api(method, path, body) {
  const init = { method, credentials: 'same-origin', headers: {} };
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
  const data = await response.json().catch(() => null);
  if (!response.ok) {
    throw new ApiError(response.status, data?.code ?? 'error', data?.error ?? `The server answered ${response.status}.`, data);
  }
  return data;
}

// ---- small helpers -----------------------------------------------------------

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

function say(message, ok = false) {
  notice.textContent = message;
  notice.classList.toggle('ok', ok);
  notice.hidden = false;
}

function quiet() {
  notice.hidden = true;
  notice.textContent = '';
}

/** Shows an API error as a sentence; a lost session goes back to the login. */
function fail(error) {
  if (error instanceof ApiError && error.status === 401 && user) {
    user = null;
    say('Your session has ended. Please log in again.');
    location.hash = '#/login';
    return;
  }
  say(error.message || String(error));
}

function view(title, ...children) {
  main.replaceChildren(h('h1', {}, title), ...children);
  document.title = `${title} · booking`;
}

// ---- routing -------------------------------------------------------------------

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
  document.getElementById('who').textContent = user ? `Signed in as ${user.username}` : '';
  if (!user) return showLogin();
  if (hash === '#/login') return (location.hash = '#/events');
  const seats = hash.match(/^#\/events\/(\d+)$/);
  try {
    if (seats) await showSeats(Number(seats[1]));
    else if (hash === '#/reservations') await showReservations();
    else await showEvents();
  } catch (error) {
    fail(error);
  }
}

// ---- login and sign-up ---------------------------------------------------------

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
        const answer = await api('POST', path, { username: name.value, password: password.value });
        user = { user_id: answer.user_id, username: answer.username };
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

// ---- events ----------------------------------------------------------------------

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

// ---- the seat selector ---------------------------------------------------------

const STATUS_TEXT = { available: 'available', mine: 'held by you', held: 'held by someone else', reserved: 'reserved' };

/** The seat as shown now: a lock whose time has passed is available. */
function shown(seat, now = Date.now()) {
  if (seat.status === 'locked' && Date.parse(seat.locked_until) <= now) return 'available';
  if (seat.status === 'locked') return seat.locked_by_me ? 'mine' : 'held';
  return seat.status;
}

function left(iso) {
  const secs = Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000));
  return `${Math.floor(secs / 60)}:${String(secs % 60).padStart(2, '0')}`;
}

async function showSeats(eventId) {
  const [{ event }, { seats }] = await Promise.all([
    api('GET', `/api/events/${eventId}/`),
    api('GET', `/api/events/${eventId}/seats/`),
  ]);
  const byId = new Map(seats.map((s) => [s.id, s]));
  const buttons = new Map();
  let focusId = seats[0]?.id;
  let busy = false;

  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' },
    Object.entries(STATUS_TEXT).map(([key, text]) =>
      h('li', {}, h('span', { class: `swatch ${key}`, 'aria-hidden': 'true' }), text[0].toUpperCase() + text.slice(1))));

  const rows = [];
  for (const seat of seats) {
    if (rows.length === 0 || rows.at(-1).label !== seat.row) rows.push({ label: seat.row, seats: [] });
    rows.at(-1).seats.push(seat.id);
  }
  const grid = h('div', { class: 'grid', role: 'grid', 'aria-label': `Seats of ${event.name}`, onkeydown: move },
    rows.map((row) => h('div', { class: 'row', role: 'row' },
      h('span', { class: 'row-label', role: 'rowheader' }, row.label),
      row.seats.map((id) => {
        const button = h('button', { type: 'button', role: 'gridcell', 'data-seat': id, onclick: () => toggle(id) });
        buttons.set(id, button);
        return button;
      }))));

  const held = h('ul');
  const total = h('p', { class: 'total' });
  const confirm = h('button', { type: 'button', onclick: reserve }, 'Confirm reservation');
  const summary = h('aside', { class: 'card summary', 'aria-label': 'Your seats' },
    h('h2', {}, 'Your seats'), held, total, confirm,
    h('p', { class: 'muted' }, 'Held seats are kept for you for a few minutes.'));

  view(event.name,
    h('p', { class: 'muted' }, `${event.venue} · ${when(event.starts_at)}`),
    event.description ? h('p', { class: 'description' }, event.description) : '',
    legend,
    h('div', { class: 'layout' }, h('section', {}, h('div', { class: 'stage' }, 'STAGE'), grid), summary));

  function paint(id) {
    const seat = byId.get(id);
    const state = shown(seat);
    const button = buttons.get(id);
    button.className = `seat ${state}`;
    button.textContent = String(seat.number);
    button.tabIndex = id === focusId ? 0 : -1;
    button.setAttribute('aria-label', `Seat ${seat.seat_number}, ${STATUS_TEXT[state]}, ${dollars(seat.price_cents)}`);
    button.setAttribute('aria-disabled', String(state === 'held' || state === 'reserved'));
    button.setAttribute('aria-pressed', String(state === 'mine'));
  }

  function paintSummary() {
    const mine = [...byId.values()].filter((s) => shown(s) === 'mine');
    held.replaceChildren(...(mine.length === 0
      ? [h('li', { class: 'muted' }, 'Click an available seat to hold it.')]
      : mine.map((s) => h('li', {}, `${s.seat_number} · ${dollars(s.price_cents)} · `,
        h('span', { class: 'countdown' }, `expires in ${left(s.locked_until)}`)))));
    total.textContent = `Total: ${dollars(mine.reduce((sum, s) => sum + s.price_cents, 0))}`;
    confirm.disabled = mine.length === 0 || busy;
  }

  function paintAll() {
    for (const id of byId.keys()) paint(id);
    paintSummary();
  }

  function merge(changed, full) {
    if (full) byId.clear();
    for (const seat of changed) byId.set(seat.id, seat);
    if (full) paintAll();
    else {
      for (const seat of changed) if (buttons.has(seat.id)) paint(seat.id);
      paintSummary();
    }
  }

  async function toggle(id) {
    const seat = byId.get(id);
    const state = shown(seat);
    if (busy || state === 'held' || state === 'reserved') {
      if (state !== 'available' && state !== 'mine') say(`Seat ${seat.seat_number} is ${STATUS_TEXT[state]}.`);
      return;
    }
    busy = true;
    try {
      if (state === 'mine') {
        await api('POST', `/api/events/${eventId}/seats/${id}/unlock/`);
        merge([{ ...seat, status: 'available', is_locked: false, locked_until: null, locked_by_me: false }]);
      } else {
        const answer = await api('POST', `/api/events/${eventId}/seats/${id}/lock/`);
        merge([{ ...seat, status: 'locked', is_locked: true, locked_until: answer.seat.locked_until, locked_by_me: true }]);
      }
      quiet();
    } catch (error) {
      fail(error);
      refresh();
    } finally {
      busy = false;
      paintSummary();
    }
  }

  async function reserve() {
    const mine = [...byId.values()].filter((s) => shown(s) === 'mine');
    busy = true;
    paintSummary();
    try {
      const { reservation } = await api('POST', `/api/events/${eventId}/reserve/`, { seat_ids: mine.map((s) => s.id) });
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

  function move(event) {
    const keys = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
    let target;
    const r = rows.findIndex((row) => row.seats.includes(focusId));
    const c = rows[r].seats.indexOf(focusId);
    if (keys[event.key]) {
      const [dr, dc] = keys[event.key];
      const row = rows[Math.min(rows.length - 1, Math.max(0, r + dr))];
      target = row.seats[Math.min(row.seats.length - 1, Math.max(0, dr ? c : c + dc))];
    } else if (event.key === 'Home') target = rows[r].seats[0];
    else if (event.key === 'End') target = rows[r].seats.at(-1);
    else return;
    event.preventDefault();
    const previous = focusId;
    focusId = target;
    paint(previous);
    paint(target);
    buttons.get(target).focus();
  }

  async function refresh() {
    try {
      merge((await api('GET', `/api/events/${eventId}/seats/`)).seats, true);
    } catch (error) {
      fail(error);
    }
  }

  // Live: the server's stream of seat changes; polling while it is down.
  let poll = null;
  const startPolling = () => { poll ??= setInterval(refresh, 2000); };
  const stopPolling = () => { clearInterval(poll); poll = null; };
  const stream = new EventSource(`/api/events/${eventId}/stream/`);
  stream.addEventListener('seats', (message) => {
    stopPolling();
    const data = JSON.parse(message.data);
    merge(data.seats, data.full);
  });
  stream.addEventListener('error', startPolling);
  const tick = setInterval(() => { paintAll(); }, 1000);

  paintAll();
  leaveView = () => {
    stream.close();
    stopPolling();
    clearInterval(tick);
  };
}

// ---- reservations ------------------------------------------------------------------

async function showReservations() {
  const { reservations } = await api('GET', '/api/reservations/');
  const cancel = async (r) => {
    if (!confirm(`Cancel reservation ${r.id} (${r.seats.join(', ')})?`)) return;
    try {
      await api('POST', `/api/reservations/${r.id}/cancel/`);
      await showReservations();
      say(`Reservation ${r.id} is cancelled; its seats are free again.`, true);
    } catch (error) {
      fail(error);
    }
  };
  view('My reservations', reservations.length === 0
    ? h('p', { class: 'muted' }, 'No reservations yet. ', h('a', { href: '#/events' }, 'Find an event.'))
    : h('table', {},
      h('thead', {}, h('tr', {},
        ['Event', 'Seats', 'Total', 'Status', 'Made'].map((t) => h('th', { scope: 'col' }, t)),
        h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
      h('tbody', {}, reservations.map((r) =>
        h('tr', { class: `status-${r.status}` },
          h('td', {}, r.event_name),
          h('td', {}, r.seats.join(', ')),
          h('td', {}, dollars(r.total_cents)),
          h('td', {}, r.status),
          h('td', {}, when(r.created_at)),
          h('td', {}, r.status === 'confirmed'
            ? h('button', { type: 'button', class: 'secondary', onclick: () => cancel(r), 'aria-label': `Cancel reservation ${r.id}` }, 'Cancel')
            : ''))))));
}

// ---- start -------------------------------------------------------------------------------

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
