// The box office: the staff's pages. app.js fetches this module only when a
// staff user opens #/admin (a customer never downloads it). It talks to the
// server through the API's box office, /api/admin/ (docs/API.md), and uses
// app.js's helpers and look; admin.css adds what only these pages have.

import {
  ApiError, LARGE_VENUE, api, cell, dollars, fail, h, say, seatZoom, sentence, view, when, zoomControls,
} from './app.js';

// Its styles, loaded before the first page is drawn.
await new Promise((resolve) => {
  document.head.append(h('link', { rel: 'stylesheet', href: '/admin.css', onload: resolve, onerror: resolve }));
});

const count = new Intl.NumberFormat('en-US');
/** "1 seat", "1,200 seats". */
const seats = (n) => `${count.format(n)} seat${n === 1 ? '' : 's'}`;

/**
 * Shows the box office's page for `hash` (`#/admin...`, with filters after
 * a `?`). An unknown page is a 404, which app.js shows as "Not found".
 */
export async function show(hash) {
  const [path, query] = hash.slice('#/admin'.length).split('?');
  const filters = new URLSearchParams(query ?? '');
  if (path === '' || path === '/') return showEvents();
  if (path === '/events/new') return showNewEvent();
  if (path === '/audit') return showAudit(filters);
  const match = path.match(/^\/events\/(\d+)(\/seats|\/reservations|\/sales)?$/);
  if (!match) throw new ApiError(404, 'not_found', 'The box office has no such page.');
  const { event } = await api('GET', `/api/events/${match[1]}/`);
  const page = { '': showDetails, '/seats': showSeats, '/reservations': showReservations, '/sales': showSales };
  return page[match[2] ?? ''](event, filters);
}

// ---- small helpers

let fields = 0;

/** A labelled control, with a hint under it when given. */
function field(label, control, hint) {
  fields += 1;
  control.id ||= `field-${fields}`;
  const note = hint ? h('p', { class: 'hint muted', id: `${control.id}-hint` }, hint) : '';
  if (hint) control.setAttribute('aria-describedby', note.id);
  return h('div', { class: 'field' }, h('label', { for: control.id }, label), control, note);
}

/** A text input (`attrs` as for `h`). */
const input = (attrs = {}) => h('input', { type: 'text', ...attrs });

/** A select of `options`, `[value, text]` pairs. */
const select = (options, attrs = {}) =>
  h('select', attrs, options.map(([value, text]) => h('option', { value }, text)));

/**
 * A table that a narrow screen shows as cards (class `stack`, app.css):
 * `columns` are its headings, `rows` its body's rows.
 */
function table(caption, columns, rows, foot) {
  return h('table', { class: 'stack' },
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
    h('tbody', {}, rows),
    foot ? h('tfoot', {}, foot) : '');
}

/** A row's heading cell: the thing the row is about. */
const rowHead = (...content) => h('th', { scope: 'row' }, ...content);

/** An RFC 3339 instant as a `datetime-local` input's value, in this browser's time zone. */
function localInput(iso) {
  const d = new Date(iso);
  const two = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())}T${two(d.getHours())}:${two(d.getMinutes())}`;
}

/** A `datetime-local` input's value (this browser's time zone) as an RFC 3339 instant. */
const instant = (local) => new Date(local).toISOString().replace(/\.\d{3}Z$/, 'Z');

const timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;

/**
 * Seat labels as a person reads them: three or more one after another in a
 * row as one run ("Balcony A1 to A32"), and a long list shortened
 * ("A1, A3, A5 and 27 more").
 */
function seatList(labels, most = 8) {
  const runs = [];
  for (const label of labels) {
    const [, prefix, number] = /^(.*?)(\d+)$/.exec(label) ?? [label, label, NaN];
    const last = runs.at(-1);
    if (last && last.prefix === prefix && last.to + 1 === Number(number)) {
      last.to += 1;
      last.labels.push(label);
    } else {
      runs.push({ prefix, to: Number(number), labels: [label] });
    }
  }
  const parts = runs.flatMap((r) => (r.labels.length < 3 ? r.labels
    : [`${r.labels[0]} to ${r.labels.at(-1).split(' ').at(-1)}`]));
  if (parts.length <= most) return parts.join(', ');
  return `${parts.slice(0, most).join(', ')} and ${parts.length - most} more`;
}

/** The seats a 409 names (`conflicts`), in the page's words: "A1 is held, A2 is reserved". */
function conflicts(error) {
  const words = { seat_locked: 'held', seat_reserved: 'reserved', seat_blocked: 'not for sale' };
  return (error.body?.conflicts ?? []).map((c) => `${c.seat_number} is ${words[c.code] ?? c.code.replace('_', ' ')}`).join(', ');
}

/**
 * Asks for a reason in a modal dialog, then does `act(reason)`: `title` is
 * the dialog's heading, `detail` what will happen, `hint` who will read the
 * reason, `button` the text of the button that does it. When `act` fails,
 * the dialog stays open and says why.
 */
function askReason({ title, detail, hint, button, act }) {
  const reason = h('textarea', { rows: 3, required: true, maxlength: 500 });
  const problem = h('p', { class: 'problem', role: 'alert' });
  const send = h('button', { type: 'submit', class: 'danger' }, button);
  const dialog = h('dialog', { 'aria-labelledby': 'dialog-title', class: 'card' },
    h('form', {
      async onsubmit(e) {
        e.preventDefault();
        send.disabled = true;
        problem.textContent = '';
        try {
          await act(reason.value.trim());
          dialog.close();
        } catch (error) {
          if (error.status === 401) {
            dialog.close();
            fail(error);
          } else {
            problem.textContent = sentence(error);
          }
        } finally {
          send.disabled = false;
        }
      },
    },
    h('h2', { id: 'dialog-title' }, title),
    h('p', {}, detail),
    field('Reason', reason, hint),
    problem,
    h('div', { class: 'actions' }, send, ' ',
      h('button', { type: 'button', class: 'secondary', onclick: () => dialog.close() }, 'Keep it'))));
  dialog.addEventListener('close', () => dialog.remove());
  document.body.append(dialog);
  dialog.showModal();
}

// ---- the events

/** The box office's first page: every event, cancelled ones too. */
async function showEvents() {
  const { events } = await api('GET', '/api/admin/events/');
  view('Box office',
    h('p', { class: 'toolbar' },
      h('a', { class: 'button', href: '#/admin/events/new' }, 'New event'),
      h('a', { href: '#/admin/audit' }, 'Audit log')),
    events.length === 0 ? h('p', { class: 'muted' }, 'No events yet.') : '',
    h('div', { class: 'cards' }, events.map((e) => {
      const base = `#/admin/events/${e.id}`;
      return h('article', { class: `card${e.cancelled_at ? ' was-cancelled' : ''}`, 'aria-labelledby': `event-${e.id}` },
        h('h2', { id: `event-${e.id}` }, e.name),
        h('p', { class: 'muted' }, e.venue, e.venue ? h('br') : '', when(e.starts_at)),
        e.cancelled_at
          ? h('p', { class: 'tag' }, `Cancelled: ${e.cancel_reason}`)
          : h('p', {}, `${count.format(e.reserved_seats)} of ${seats(e.total_seats)} sold`,
            h('br'), h('span', { class: 'muted' },
              `${count.format(e.held_seats)} held · ${count.format(e.blocked_seats)} not for sale`)),
        h('p', { class: 'links' },
          h('a', { href: base }, 'Details'), h('a', { href: `${base}/seats` }, 'Seats'),
          h('a', { href: `${base}/reservations` }, 'Reservations'), h('a', { href: `${base}/sales` }, 'Sales')));
    })));
}

const TABS = [['', 'Details'], ['/seats', 'Seats'], ['/reservations', 'Reservations'], ['/sales', 'Sales']];

/** One of an event's pages (`tab`, as in TABS): its name, when and where, and the links to the others. */
function eventPage(event, tab, ...content) {
  const base = `#/admin/events/${event.id}`;
  view(event.name,
    h('p', { class: 'muted' }, [event.venue, when(event.starts_at)].filter(Boolean).join(' · ')),
    event.cancelled_at
      ? h('p', { class: 'tag' }, `Cancelled ${when(event.cancelled_at)}: ${event.cancel_reason}`)
      : '',
    h('nav', { class: 'tabs', 'aria-label': 'Event pages' },
      h('a', { href: '#/admin' }, '← Box office'),
      TABS.map(([path, name]) => h('a', { href: base + path, 'aria-current': path === tab ? 'page' : false }, name)),
      h('a', { href: `#/admin/audit?event=${event.id}` }, 'Audit log')),
    ...content);
  document.title = `${TABS.find(([path]) => path === tab)[1]}: ${event.name} · booking`;
}

/** Creating an event: its details, and its seats from a venue file or the compact notation, previewed. */
function showNewEvent() {
  const name = input({ required: true, maxlength: 200 });
  const startsAt = h('input', { type: 'datetime-local', required: true });
  const place = input({ maxlength: 200 });
  const description = h('textarea', { rows: 3, maxlength: 5000 });
  const fromFile = h('input', { type: 'radio', name: 'source', id: 'source-venue', checked: true });
  const fromMap = h('input', { type: 'radio', name: 'source', id: 'source-map' });
  const file = h('input', { type: 'file', accept: '.json,application/json' });
  const venueText = h('textarea', { rows: 8, class: 'code', spellcheck: 'false' });
  const seatMap = input({ class: 'code', spellcheck: 'false' });
  const venuePart = h('div', {},
    field('Venue file', file, 'A JSON file as docs/venue.md describes: sections, rows, price categories.'),
    field('The venue file\'s text', venueText, 'Filled in from the file chosen; you can also paste it here.'));
  const mapPart = h('div', { hidden: true },
    field('Seat map', seatMap,
      'Rows:seats:price in cents, blocks separated by commas: A-F:1-10:10000 is rows A to F, seats 1 to 10, $100.00 each.'));
  const preview = h('div', { class: 'preview-body' },
    h('p', { class: 'muted' }, 'Choose a venue file or write a seat map: its sections and prices show here.'));
  let shown = ''; // the seats the preview shows, as sent

  const pick = () => {
    venuePart.hidden = !fromFile.checked;
    mapPart.hidden = fromFile.checked;
    showPreview();
  };
  fromFile.addEventListener('change', pick);
  fromMap.addEventListener('change', pick);

  /** The seats asked for, as the API takes them: `{venue}` or `{seats}`; a problem throws its sentence. */
  function seating() {
    if (fromMap.checked) {
      if (!seatMap.value.trim()) throw new Error('Write the seat map, such as A-F:1-10:10000.');
      return { seats: seatMap.value.trim() };
    }
    if (!venueText.value.trim()) throw new Error('Choose a venue file, or paste its text.');
    try {
      return { venue: JSON.parse(venueText.value) };
    } catch (error) {
      throw new Error(`The venue file is not JSON: ${error.message}`);
    }
  }

  async function showPreview() {
    let body;
    try {
      body = seating();
    } catch (error) {
      shown = '';
      preview.replaceChildren(h('p', { class: 'muted' }, error.message));
      return;
    }
    const asked = JSON.stringify(body);
    if (asked === shown) return;
    shown = asked;
    try {
      const answer = await api('POST', '/api/admin/events/preview/', body);
      if (shown === asked) preview.replaceChildren(...previewOf(answer.preview));
    } catch (error) {
      if (error.status === 401) return fail(error);
      if (shown === asked) preview.replaceChildren(h('p', { class: 'problem' }, sentence(error)));
    }
  }
  file.addEventListener('change', async () => {
    venueText.value = (await file.files[0]?.text()) ?? '';
    showPreview();
  });
  venueText.addEventListener('change', showPreview);
  seatMap.addEventListener('change', showPreview);

  const create = h('button', { type: 'submit' }, 'Create event');
  // The preview beside the form; on a phone, between the seats and the button that creates them.
  const form = h('form', {
    class: 'new-event', 'aria-label': 'New event',
    async onsubmit(e) {
      e.preventDefault();
      let body;
      try {
        body = seating();
      } catch (error) {
        say(error.message);
        return;
      }
      create.disabled = true;
      try {
        const { event } = await api('POST', '/api/admin/events/', {
          name: name.value,
          starts_at: instant(startsAt.value),
          // Left out, the server takes the venue file's name, as `booking-server event add` does.
          location: place.value.trim() || undefined,
          description: description.value,
          ...body,
        });
        // Said once app.js's own listener, which quiets the last notice, has seen the page change.
        window.addEventListener('hashchange', () => say(`${event.name} is created, with ${seats(event.total_seats)}.`, true),
          { once: true });
        location.hash = `#/admin/events/${event.id}`;
      } catch (error) {
        if (error.status === 401) fail(error);
        else say(sentence(error), false, error.code);
      } finally {
        create.disabled = false;
      }
    },
  },
  h('div', { class: 'card fields' },
    h('h2', {}, 'The event'),
    field('Name', name),
    field('Starts at', startsAt, `In your time zone (${timeZone}).`),
    field('Location', place, 'Where it takes place, as customers see it. Left empty: the venue file\'s name.'),
    field('Description', description),
    h('fieldset', {},
      h('legend', {}, 'Its seats'),
      h('div', { class: 'choice' }, fromFile, h('label', { for: fromFile.id }, 'From a venue file')),
      h('div', { class: 'choice' }, fromMap, h('label', { for: fromMap.id }, 'From a seat map in the compact notation')),
      venuePart, mapPart,
      h('button', { type: 'button', class: 'secondary', onclick: () => { shown = ''; showPreview(); } }, 'Preview the seats'))),
  h('section', { class: 'card preview', 'aria-labelledby': 'preview-title', 'aria-live': 'polite' },
    h('h2', { id: 'preview-title' }, 'Preview'), preview),
  h('div', { class: 'create' }, create));

  view('New event',
    h('nav', { class: 'tabs', 'aria-label': 'Box office' }, h('a', { href: '#/admin' }, '← Box office')),
    form);
}


/** What the preview shows of a venue: its seats, sections and price categories. */
function previewOf(p) {
  const named = p.sections.some((s) => s.name !== '');
  return [
    h('p', { class: 'total' }, named ? `${seats(p.total_seats)} in ${p.sections.length} sections` : seats(p.total_seats)),
    named
      ? table('Sections', ['Section', 'Rows', 'Seats', 'Wheelchair spaces', 'Companion seats'],
        p.sections.map((s) => h('tr', {}, rowHead(s.name), cell('Rows', count.format(s.rows)),
          cell('Seats', count.format(s.total_seats)), cell('Wheelchair spaces', count.format(s.accessible)),
          cell('Companion seats', count.format(s.companion)))))
      : '',
    table('Price categories', ['Category', 'Price', 'Seats'], p.categories.map((c) => {
      const swatch = h('span', { class: 'swatch category', 'aria-hidden': 'true' });
      swatch.style.setProperty('--category', c.color);
      return h('tr', {}, rowHead(swatch, ' ', c.name), cell('Price', dollars(c.price_cents)),
        cell('Seats', count.format(c.total_seats)));
    })),
  ];
}

/** An event's details, to edit; and cancelling it, with a reason. */
function showDetails(event) {
  const name = input({ required: true, maxlength: 200, value: event.name });
  const place = input({ maxlength: 200, value: event.venue });
  const startsAt = h('input', { type: 'datetime-local', required: true, value: localInput(event.starts_at) });
  const description = h('textarea', { rows: 4, maxlength: 5000 });
  description.value = event.description;
  const cancelled = Boolean(event.cancelled_at);
  const save = h('button', { type: 'submit' }, 'Save changes');
  const edit = h('form', {
    class: 'card', 'aria-labelledby': 'edit-title',
    async onsubmit(e) {
      e.preventDefault();
      // Only what changed is sent: the audit log then names just that.
      const now = {
        name: name.value, location: place.value, description: description.value, starts_at: instant(startsAt.value),
      };
      const before = { name: event.name, location: event.venue, description: event.description, starts_at: instant(localInput(event.starts_at)) };
      const changed = Object.fromEntries(Object.entries(now).filter(([key, value]) => value !== before[key]));
      if (Object.keys(changed).length === 0) return say('Nothing has changed.', true);
      save.disabled = true;
      try {
        const answer = await api('PATCH', `/api/admin/events/${event.id}/`, changed);
        showDetails(answer.event);
        say('The changes are saved.', true);
      } catch (error) {
        fail(error);
      } finally {
        save.disabled = false;
      }
    },
  },
  h('h2', { id: 'edit-title' }, 'Details'),
  h('fieldset', { class: 'plain', disabled: cancelled },
    h('legend', { class: 'visually-hidden' }, 'The event\'s details'),
    field('Name', name),
    field('Location', place),
    field('Starts at', startsAt, `In your time zone (${timeZone}).`),
    field('Description', description),
    h('div', { class: 'actions' }, save)),
  cancelled ? h('p', { class: 'muted' }, 'A cancelled event cannot be changed.') : '');

  const counts = h('section', { class: 'card', 'aria-labelledby': 'counts-title' },
    h('h2', { id: 'counts-title' }, 'Seats'),
    h('ul', { class: 'plain-list' },
      h('li', {}, `${seats(event.total_seats)} in all`),
      h('li', {}, `${count.format(event.reserved_seats)} reserved`),
      h('li', {}, `${count.format(event.held_seats)} held`),
      h('li', {}, `${count.format(event.blocked_seats)} not for sale`),
      h('li', {}, `${count.format(event.available_seats)} available`)));

  const cancel = cancelled ? '' : h('section', { class: 'card danger-zone', 'aria-labelledby': 'cancel-title' },
    h('h2', { id: 'cancel-title' }, 'Cancel the event'),
    h('p', {}, 'Every confirmed reservation is cancelled, and each customer sees your reason in their reservations. '
      + 'The event leaves the customers\' list. This cannot be undone.'),
    h('button', {
      type: 'button',
      class: 'danger',
      onclick: () => askReason({
        title: `Cancel ${event.name}`,
        detail: `${event.reserved_seats === 0 ? 'No seat of it is reserved.' : `Its reservations (${seats(event.reserved_seats)}) are cancelled.`} `
          + 'It leaves the customers\' list; this cannot be undone.',
        hint: 'Every customer with a reservation sees it.',
        button: 'Cancel the event',
        async act(reason) {
          const answer = await api('POST', `/api/admin/events/${event.id}/cancel/`, { reason });
          showDetails(answer.event);
          const n = answer.reservations_cancelled;
          say(`${answer.event.name} is cancelled, and ${n === 1 ? 'its one reservation' : `its ${count.format(n)} reservations`} with it.`, true);
        },
      }),
    }, 'Cancel the event…'));

  eventPage(event, '', h('div', { class: 'admin-layout' }, edit, h('div', { class: 'stack-gap' }, counts, cancel)));
}

// ---- the seats

const STATE_TEXT = { available: 'available', held: 'held', reserved: 'reserved', blocked: 'not for sale' };

/** A seat's state as staff see it: a hold whose time has passed is over. */
function stateOf(seat) {
  if (seat.blocked) return 'blocked';
  if (seat.status === 'locked') return Date.parse(seat.locked_until) > Date.now() ? 'held' : 'available';
  return seat.status;
}

/**
 * The staff's seat view: every seat of the event (or of one section of a
 * large venue), live. Staff choose seats by clicking them (or with the
 * arrow keys and Enter) and block or unblock them with a reason; or block
 * a whole row or section. Blocked seats are listed with their reasons.
 */
async function showSeats(event, filters) {
  const named = event.sections.some((s) => s.name !== '');
  // A large venue of several sections: one section at a time.
  const bySection = event.sections.length > 1 && event.total_seats > LARGE_VENUE;
  const sectionName = bySection ? (filters.get('section') ?? event.sections[0].name) : null;
  const part = bySection ? `?section=${encodeURIComponent(sectionName)}` : '';
  const [{ seats: all }, read] = await Promise.all([
    api('GET', `/api/events/${event.id}/seats/${part}`),
    api('GET', `/api/admin/events/${event.id}/blocks/`),
  ]);
  const byId = new Map(all.map((s) => [s.id, s]));
  let { blocks } = read;
  const reasons = new Map(blocks.map((b) => [b.seat_id, b.reason]));
  const chosen = new Set();
  const buttons = new Map();
  let focusId = all[0]?.id;

  // The rows, each a list of seat ids, and where each seat is in them.
  const rows = [];
  const at = new Map();
  for (const s of all) {
    const last = rows.at(-1);
    if (!last || last.label !== s.row || last.section !== s.section) rows.push({ label: s.row, section: s.section, ids: [] });
    at.set(s.id, [rows.length - 1, rows.at(-1).ids.length]);
    rows.at(-1).ids.push(s.id);
  }

  function paint(id) {
    const seat = byId.get(id);
    const button = buttons.get(id);
    if (!button) return;
    const state = stateOf(seat);
    const reason = state === 'blocked' && reasons.get(id);
    const label = [`Seat ${seat.seat_number}`, STATE_TEXT[state] + (reason ? `: ${reason}` : ''), dollars(seat.price_cents),
      seat.accessible && 'wheelchair space', seat.companion && 'companion seat', seat.restricted_view && 'restricted view']
      .filter(Boolean).join(', ');
    button.className = ['seat', state, seat.accessible && 'accessible', seat.companion && 'companion',
      seat.restricted_view && 'restricted'].filter(Boolean).join(' ');
    button.textContent = `${seat.row}${seat.number}`;
    button.title = label;
    button.setAttribute('aria-label', label);
    button.setAttribute('aria-selected', String(chosen.has(id)));
    button.tabIndex = id === focusId ? 0 : -1;
  }

  const grid = h('div', {
    class: 'grid', role: 'grid', 'aria-multiselectable': 'true', 'aria-label': `Seats of ${event.name}`,
    onkeydown(e) {
      const moves = { ArrowLeft: [0, -1], ArrowRight: [0, 1], ArrowUp: [-1, 0], ArrowDown: [1, 0] };
      // From the seat that has focus (the grid's one Tab stop, or one clicked).
      const from = Number(e.target.dataset.seat);
      if (!moves[e.key] || !at.has(from)) return;
      e.preventDefault();
      const [r, c] = at.get(from);
      const to = Math.min(rows.length - 1, Math.max(0, r + moves[e.key][0]));
      const ids = rows[to].ids;
      const id = ids[Math.min(ids.length - 1, Math.max(0, c + moves[e.key][1]))];
      const previous = focusId;
      focusId = id;
      paint(previous);
      paint(id);
      buttons.get(id).focus();
    },
  },
  rows.flatMap((row, i) => [
    named && row.section !== rows[i - 1]?.section
      ? h('div', { class: 'section-name', role: 'row' }, h('span', { role: 'rowheader' }, row.section))
      : '',
    h('div', { class: 'row', role: 'row' },
      h('span', { class: 'row-label', role: 'rowheader' }, row.label),
      row.ids.map((id) => {
        const button = h('button', {
          type: 'button', role: 'gridcell', 'data-seat': id,
          onclick() {
            const previous = focusId;
            focusId = id;
            if (chosen.has(id)) chosen.delete(id);
            else chosen.add(id);
            paint(previous);
            paint(id);
            showChosen();
          },
        });
        buttons.set(id, button);
        return button;
      })),
  ]));

  // The seats chosen, and what to do with them.
  const chosenList = h('p', {});
  const reason = input({ maxlength: 500, required: true });
  const blockChosen = h('button', { type: 'submit', value: 'block' }, 'Block');
  const unblockChosen = h('button', { type: 'submit', value: 'unblock', class: 'secondary' }, 'Unblock');
  const clear = h('button', {
    type: 'button', class: 'link',
    onclick() {
      const was = [...chosen];
      chosen.clear();
      for (const id of was) paint(id);
      showChosen();
    },
  }, 'Clear the choice');
  function showChosen() {
    const labels = [...chosen].sort((a, b) => a - b).map((id) => byId.get(id).seat_number);
    chosenList.textContent = labels.length === 0
      ? 'Click seats to choose them.'
      : `${seats(labels.length)} chosen: ${seatList(labels)}.`;
    blockChosen.disabled = labels.length === 0;
    unblockChosen.disabled = labels.length === 0;
    clear.hidden = labels.length === 0;
  }
  // On a phone, a sheet at the screen's foot while the hall is in view (app.css's .summary).
  const chosenForm = h('form', {
    class: 'card summary chosen-sheet', 'aria-labelledby': 'chosen-title',
    onsubmit(e) {
      e.preventDefault();
      change(e.submitter.value, { seat_ids: [...chosen].sort((a, b) => a - b) }, reason).then((done) => {
        if (!done) return;
        const was = [...chosen];
        chosen.clear();
        for (const id of was) paint(id);
        showChosen();
      });
    },
  },
  h('h2', { id: 'chosen-title' }, 'Chosen seats'),
  chosenList,
  field('Reason', reason, 'Kept in the audit log, and shown here beside each blocked seat.'),
  h('div', { class: 'actions' }, blockChosen, ' ', unblockChosen, ' ', clear));

  // A whole row or section.
  const sectionNames = bySection ? [sectionName] : [...new Set(rows.map((r) => r.section))];
  const sectionPick = select(sectionNames.map((s) => [s, s]));
  const rowPick = select([]);
  const fillRows = () => {
    rowPick.replaceChildren(h('option', { value: '' }, 'Every row'),
      ...rows.filter((r) => r.section === sectionPick.value).map((r) => h('option', { value: r.label }, `Row ${r.label}`)));
  };
  sectionPick.addEventListener('change', fillRows);
  fillRows();
  const wholeReason = input({ maxlength: 500, required: true });
  const wholeForm = h('form', {
    class: 'card whole-card', 'aria-labelledby': 'whole-title',
    onsubmit(e) {
      e.preventDefault();
      const body = { section: sectionPick.value, ...(rowPick.value ? { row: rowPick.value } : {}) };
      change(e.submitter.value, body, wholeReason);
    },
  },
  h('h2', { id: 'whole-title' }, named ? 'A row or a section' : 'A row'),
  named ? field('Section', sectionPick) : '',
  field('Row', rowPick),
  field('Reason', wholeReason),
  h('div', { class: 'actions' },
    h('button', { type: 'submit', value: 'block' }, 'Block'), ' ',
    h('button', { type: 'submit', value: 'unblock', class: 'secondary' }, 'Unblock')));

  const blockedTitle = h('h2', { id: 'blocked-title' });
  const blockedList = h('div', {});
  function showBlocks() {
    const shownBlocks = blocks.filter((b) => !bySection || b.section === sectionName);
    blockedTitle.textContent = `Seats not for sale (${count.format(shownBlocks.length)})`;
    blockedList.replaceChildren(shownBlocks.length === 0
      ? h('p', { class: 'muted' }, 'None: every seat is for sale.')
      : h('table', { class: 'stack', 'aria-labelledby': 'blocked-title' },
        h('thead', {}, h('tr', {}, ['Seats', 'Reason', 'Blocked by', 'When'].map((c) => h('th', { scope: 'col' }, c)))),
        h('tbody', {}, blockRuns(shownBlocks).map((run) => h('tr', {},
          rowHead(run.length === 1 ? run[0].seat_number
            : `${seatList(run.map((b) => b.seat_number))} (${seats(run.length)})`),
          cell('Reason', run[0].reason || '—'), cell('Blocked by', run[0].blocked_by ?? '—'),
          cell('When', run[0].blocked_at ? when(run[0].blocked_at) : '—'))))));
  }

  /**
   * Blocks or unblocks (`action`) the seats `body` names, with the reason
   * in `reasonInput`; true when done. A held or reserved seat stops a
   * block of them all: the notice names each one.
   */
  async function change(action, body, reasonInput) {
    try {
      const answer = await api('POST', `/api/admin/events/${event.id}/${action}/`, { reason: reasonInput.value.trim(), ...body });
      const labels = answer.seats.map((s) => s.seat_number);
      ({ blocks } = await api('GET', `/api/admin/events/${event.id}/blocks/`));
      reasons.clear();
      for (const b of blocks) reasons.set(b.seat_id, b.reason);
      for (const s of answer.seats) byId.set(s.id, s);
      for (const s of answer.seats) paint(s.id);
      showBlocks();
      say(action === 'block'
        ? `${seatList(labels)} ${labels.length === 1 ? 'is' : 'are'} not for sale now.`
        : `${seatList(labels)} ${labels.length === 1 ? 'is' : 'are'} for sale again.`, true);
      return true;
    } catch (error) {
      if (error.status === 409 && error.body?.conflicts?.length) {
        say(`Nothing was blocked: ${conflicts(error)}.`, false, error.code);
      } else {
        fail(error);
      }
      return false;
    }
  }

  const hall = h('div', { class: 'hall' }, h('div', { class: 'stage' }, 'Stage'), grid);
  const hallScroll = h('section', { class: 'hall-scroll staff-hall', 'aria-label': 'Seating plan' }, hall);
  const legend = h('ul', { class: 'legend', 'aria-label': 'Legend' },
    Object.entries(STATE_TEXT).map(([key, text]) => h('li', {}, h('span', { class: `swatch ${key}`, 'aria-hidden': 'true' }),
      text[0].toUpperCase() + text.slice(1))),
    h('li', {}, h('span', { class: 'swatch available chosen', 'aria-hidden': 'true' }), 'Chosen'));
  // A large venue's sections: choosing one, then Show, shows its seats.
  const shownSection = select(event.sections.map((s) => [s.name, s.name]));
  eventPage(event, '/seats',
    bySection
      ? h('form', {
        class: 'toolbar section-pick', 'aria-label': 'Section shown',
        onsubmit(e) {
          e.preventDefault();
          location.hash = `#/admin/events/${event.id}/seats?section=${encodeURIComponent(shownSection.value)}`;
        },
      }, field('Section shown', shownSection), h('button', { type: 'submit', class: 'secondary' }, 'Show'))
      : '',
    legend,
    h('div', { class: 'layout' },
      h('div', { class: 'plan' }, zoomControls(seatZoom(hallScroll, hall)), hallScroll),
      chosenForm, wholeForm),
    h('section', { 'aria-labelledby': 'blocked-title', class: 'blocked-seats' }, blockedTitle, blockedList));
  shownSection.value = sectionName ?? '';
  for (const id of byId.keys()) paint(id);
  showChosen();
  showBlocks();
  follow(event, part, (changed) => {
    for (const s of changed) {
      byId.set(s.id, s);
      paint(s.id);
    }
  });
  // A hold ends when its time is up, which the stream does not say: every
  // few seconds the seats shown as held are looked at again.
  const expire = setInterval(() => {
    for (const [id, button] of buttons) if (button.classList.contains('held')) paint(id);
  }, 5000);
  onLeave(() => clearInterval(expire));
}

/** Calls `done` when the page changes (app.js shows every page on a hash change). */
const onLeave = (done) => window.addEventListener('hashchange', done, { once: true });

/**
 * Blocked seats (`blocks`, by row then number) as runs: seats of one row,
 * numbered one after another, blocked by one person at one time for one
 * reason (a row blocked at once is one run, not 32 lines).
 */
function blockRuns(blocks) {
  const runs = [];
  for (const b of blocks) {
    const last = runs.at(-1)?.at(-1);
    const same = last && last.section === b.section && last.row === b.row && last.number + 1 === b.number
      && last.reason === b.reason && last.blocked_by_id === b.blocked_by_id && last.blocked_at === b.blocked_at;
    if (same) runs.at(-1).push(b);
    else runs.push([b]);
  }
  return runs;
}

/**
 * The event's live stream of seat changes (as the customer's page has):
 * `onSeats(seats)` for each message, until the page changes.
 */
function follow(event, part, onSeats) {
  const source = new EventSource(`/api/events/${event.id}/stream/${part}`);
  source.addEventListener('seats', (message) => onSeats(JSON.parse(message.data).seats));
  onLeave(() => source.close());
}

// ---- reservations

const FILTERS = ['status', 'user', 'seat'];

/** An event's reservations, by status, customer and seat; cancelling one with a reason; the CSV export. */
async function showReservations(event, filters) {
  const query = new URLSearchParams([...filters].filter(([key, value]) => FILTERS.includes(key) && value));
  const path = `/api/admin/events/${event.id}/reservations/`;
  const first = await api('GET', `${path}?${query}`);

  const status = select([['', 'Any'], ['confirmed', 'Confirmed'], ['cancelled', 'Cancelled']]);
  status.value = query.get('status') ?? '';
  const user = input({ value: query.get('user') ?? '', autocomplete: 'off' });
  const seat = input({ value: query.get('seat') ?? '', autocomplete: 'off' });
  const search = h('form', {
    class: 'card filters', role: 'search', 'aria-label': 'Find reservations',
    onsubmit(e) {
      e.preventDefault();
      const asked = new URLSearchParams([['status', status.value], ['user', user.value.trim()], ['seat', seat.value.trim()]]
        .filter(([, value]) => value));
      location.hash = `#/admin/events/${event.id}/reservations${asked.size ? `?${asked}` : ''}`;
    },
  },
  field('Status', status), field('Customer\'s user name', user), field('Seat', seat),
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Find')));

  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show older reservations');
  let before = null;
  const add = (page) => {
    body.append(...page.reservations.map(reservationRow));
    before = page.next_before;
    more.hidden = before === null;
  };
  more.addEventListener('click', async () => {
    try {
      add(await api('GET', `${path}?${new URLSearchParams([...query, ['before', before]])}`));
    } catch (error) {
      fail(error);
    }
  });

  function reservationRow(r) {
    const row = h('tr', { class: `status-${r.status}` },
      rowHead(`#${r.id}`),
      cell('Customer', r.username ?? `user ${r.user_id}`),
      cell('Seats', r.seats.join(', ')),
      cell('Total', dollars(r.total_cents)),
      cell('Status', r.status === 'confirmed' ? 'confirmed'
        : r.cancelled_by_staff ? `cancelled by the box office: ${r.cancel_reason}` : 'cancelled by the customer'),
      cell('Made', when(r.created_at)),
      h('td', {}, r.status === 'confirmed'
        ? h('button', {
          type: 'button', class: 'secondary', 'aria-label': `Cancel reservation ${r.id}`,
          onclick: () => askReason({
            title: `Cancel reservation ${r.id}`,
            detail: `${r.username ?? 'The customer'}'s ${r.seats.length === 1 ? 'seat' : 'seats'} ${seatList(r.seats)} `
              + `(${dollars(r.total_cents)}) go back on sale.`,
            hint: 'The customer sees it in their reservations.',
            button: 'Cancel the reservation',
            async act(reason) {
              const answer = await api('POST', `/api/admin/reservations/${r.id}/cancel/`, { reason });
              row.replaceWith(reservationRow(answer.reservation));
              say(`Reservation ${r.id} is cancelled. Its seats are available again.`, true);
            },
          }),
        }, 'Cancel…')
        : ''));
    return row;
  }

  const found = query.size ? 'Reservations found' : 'Reservations, newest first';
  eventPage(event, '/reservations',
    search,
    h('p', { class: 'toolbar' },
      h('a', { class: 'button secondary', href: `${path}export/${query.size ? `?${query}` : ''}`, download: '' },
        query.size ? 'Export these as CSV' : 'Export all as CSV')),
    first.reservations.length === 0
      ? h('p', { class: 'muted' }, query.size ? 'No reservation matches.' : 'No reservations yet.')
      : h('table', { class: 'stack' },
        h('caption', {}, found),
        h('thead', {}, h('tr', {},
          ['Reservation', 'Customer', 'Seats', 'Total', 'Status', 'Made'].map((t) => h('th', { scope: 'col' }, t)),
          h('th', { scope: 'col' }, h('span', { class: 'visually-hidden' }, 'Actions')))),
        body),
    h('p', {}, more));
  add(first);
}

// ---- sales

/** An event's sales now, by price category: seats sold, held, available and blocked, and the revenue. */
async function showSales(event) {
  const { sales } = await api('GET', `/api/admin/events/${event.id}/sales/`);
  const cells = (c) => [cell('Seats', count.format(c.total)), cell('Sold', count.format(c.sold)),
    cell('Held', count.format(c.held)), cell('Available', count.format(c.available)),
    cell('Not for sale', count.format(c.blocked)), cell('Revenue', dollars(c.revenue_cents))];
  eventPage(event, '/sales',
    h('p', { class: 'total' }, `${dollars(sales.total.revenue_cents)} from ${seats(sales.total.sold)} sold`),
    table('Sales by price category',
      ['Category', 'Price', 'Seats', 'Sold', 'Held', 'Available', 'Not for sale', 'Revenue'],
      sales.categories.map((c) => h('tr', {}, rowHead(c.name), cell('Price', dollars(c.price_cents)), ...cells(c))),
      h('tr', { class: 'sum' }, rowHead('All'), h('td', {}), ...cells(sales.total))));
}

// ---- the audit log

const ACTIONS = {
  create_event: 'Created the event',
  edit_event: 'Edited the event',
  cancel_event: 'Cancelled the event',
  block: 'Blocked seats',
  unblock: 'Unblocked seats',
  staff_cancel: 'Cancelled a reservation',
  reserve: 'Reserved',
  cancel: 'Cancelled their reservation',
  set_staff: 'Changed a role',
};

const AUDIT_FILTERS = ['event', 'actor', 'action', 'since', 'until'];

/** The audit log, newest first, by event, person, action and time. */
async function showAudit(filters) {
  const query = new URLSearchParams([...filters].filter(([key, value]) => AUDIT_FILTERS.includes(key) && value));
  const [first, { events }] = await Promise.all([
    api('GET', `/api/admin/audit/?${query}`),
    api('GET', '/api/admin/events/'),
  ]);
  const names = new Map(events.map((e) => [e.id, e.name]));

  const eventPick = select([['', 'Every event'], ...events.map((e) => [String(e.id), e.name])]);
  eventPick.value = query.get('event') ?? '';
  const actor = input({ value: query.get('actor') ?? '', autocomplete: 'off' });
  const action = select([['', 'Every action'], ...Object.entries(ACTIONS)]);
  action.value = query.get('action') ?? '';
  const since = h('input', { type: 'datetime-local', value: query.get('since') ? localInput(query.get('since')) : '' });
  const until = h('input', { type: 'datetime-local', value: query.get('until') ? localInput(query.get('until')) : '' });
  const search = h('form', {
    class: 'card filters', role: 'search', 'aria-label': 'Filter the audit log',
    onsubmit(e) {
      e.preventDefault();
      const asked = new URLSearchParams([['event', eventPick.value], ['actor', actor.value.trim()], ['action', action.value],
        ['since', since.value && instant(since.value)], ['until', until.value && instant(until.value)]]
        .filter(([, value]) => value));
      location.hash = `#/admin/audit${asked.size ? `?${asked}` : ''}`;
    },
  },
  field('Event', eventPick), field('Who (a user name)', actor), field('Action', action),
  field('From', since), field('Until', until),
  h('div', { class: 'actions' }, h('button', { type: 'submit' }, 'Filter'), ' ',
    query.size ? h('a', { href: '#/admin/audit' }, 'Show everything') : ''));

  const body = h('tbody', {});
  const more = h('button', { type: 'button', class: 'secondary', hidden: true }, 'Show older records');
  let before = null;
  const add = (page) => {
    body.append(...page.records.map((r) => h('tr', {},
      rowHead(h('span', { class: 'when' }, when(r.at))),
      cell('Who', r.actor ?? (r.actor_id === null ? 'The server\'s command line' : `user ${r.actor_id}`)),
      cell('Action', ACTIONS[r.action] ?? r.action),
      cell('Event', r.event_id === null ? '—' : h('a', { href: `#/admin/events/${r.event_id}` }, names.get(r.event_id) ?? `Event ${r.event_id}`)),
      cell('Reservation', r.reservation_id === null ? '—' : `#${r.reservation_id}`),
      cell('Seats', r.seats.length ? seatList(r.seats) : '—'),
      cell('Reason', r.reason || '—'))));
    before = page.next_before;
    more.hidden = before === null;
  };
  more.addEventListener('click', async () => {
    try {
      add(await api('GET', `/api/admin/audit/?${new URLSearchParams([...query, ['before', before]])}`));
    } catch (error) {
      fail(error);
    }
  });

  view('Audit log',
    h('nav', { class: 'tabs', 'aria-label': 'Box office' }, h('a', { href: '#/admin' }, '← Box office')),
    h('p', { class: 'muted' }, 'Every change to an event, its seats and its reservations, by whom and why. Nothing here can be changed.'),
    search,
    first.records.length === 0
      ? h('p', { class: 'muted' }, 'No record matches.')
      : h('table', { class: 'stack audit' },
        h('caption', {}, query.size ? 'Records found, newest first' : 'Every record, newest first'),
        h('thead', {}, h('tr', {},
          ['When', 'Who', 'Action', 'Event', 'Reservation', 'Seats', 'Reason'].map((t) => h('th', { scope: 'col' }, t)))),
        body),
    h('p', {}, more));
  add(first);
}
