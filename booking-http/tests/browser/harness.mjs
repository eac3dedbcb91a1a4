// What the browser tests share: a real booking-server on a loopback port,
// Debian's Chromium, and a person logging in.
//
// BOOKING_SERVER_BIN names the server binary (default: the workspace's
// target/debug/booking-server; build it first), BOOKING_DATABASE_URL its
// database (default: a new SQLite file), CHROMIUM the browser.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import assert from 'node:assert/strict';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
export const root = resolve(here, '../../..');
const serverBin = process.env.BOOKING_SERVER_BIN ?? join(root, 'target/debug/booking-server');
const chromiumPath = process.env.CHROMIUM ?? '/usr/bin/chromium';

/** A booking-server with the demo data and `args`; `stop()` ends it. */
export async function startServer(args = []) {
  assert.ok(existsSync(serverBin),
    `no server binary at ${serverBin}: run 'cargo build -p booking-http' first (scripts/test-all.sh does)`);
  const dataDir = mkdtempSync(join(tmpdir(), 'booking-browser-'));
  const database = process.env.BOOKING_DATABASE_URL ?? `sqlite:${join(dataDir, 'booking.db')}`;
  // Its standard output is the `listening on` line; its logs (warnings and
  // errors here) go to standard error, shown with the test's output.
  const server = spawn(serverBin, ['--demo', '--bind', '127.0.0.1:0', '--database-url', database, ...args], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, RUST_LOG: 'warn' },
  });
  const base = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('booking-server did not start within 30 s')), 30_000);
    let out = '';
    server.stdout.on('data', (chunk) => {
      out += chunk;
      const match = out.match(/listening on (http:\/\/\S+)/);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    server.on('exit', (code) => reject(new Error(`booking-server exited with ${code} before listening`)));
  });
  return {
    base,
    database,
    stop() {
      server.kill('SIGTERM');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Adds an event to `server`'s database: `booking-server event add ARGS`. */
export function addEvent(server, args) {
  const run = spawnSync(serverBin, ['event', 'add', '--database-url', server.database, ...args], { encoding: 'utf8' });
  assert.equal(run.status, 0, `booking-server event add ${args.join(' ')} failed: ${run.stderr}`);
}

/** Debian's Chromium, driven by playwright-core (which downloads no browser). */
export async function launchBrowser() {
  assert.ok(existsSync(chromiumPath),
    `no Chromium at ${chromiumPath}: install Debian's package with 'apt-get install chromium' (.ci/run does)`);
  return chromium.launch({
    executablePath: chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export const DESKTOP = { width: 1280, height: 800 };
export const PHONE = { width: 390, height: 844 };
/** A phone's screen with a touch screen: fingers, not a mouse (`logIn`'s `device`). */
export const TOUCH = { hasTouch: true, isMobile: true };

/**
 * A new page of `base`, logged in as `name`, on the events list. `device`
 * adds context options, such as [`TOUCH`].
 */
export async function logIn(browser, base, name, password, viewport = { width: 1100, height: 800 }, device = {}) {
  // bypassCSP lets the accessibility checker's script run in the page.
  const context = await browser.newContext({ viewport, bypassCSP: true, ...device });
  const page = await context.newPage();
  page.on('dialog', (dialog) => dialog.accept());
  await page.goto(base);
  const form = page.getByRole('form', { name: 'Log in' });
  await form.getByLabel('User name').fill(name);
  await form.getByLabel('Password').fill(password);
  await form.getByRole('button', { name: 'Log in' }).click();
  await page.getByRole('heading', { name: 'Events' }).waitFor();
  return page;
}

export async function openEvent(page, name) {
  await page.getByRole('article').filter({ hasText: name }).getByRole('link', { name: 'Choose seats' }).click();
  await page.getByRole('grid').waitFor();
}

export const seat = (page, label) => page.locator(`button[aria-label^="Seat ${label},"]`);

export async function seatState(page, label) {
  return (await seat(page, label).getAttribute('aria-label')).split(', ')[1];
}

/** Waits until seat `label` reads `state` on `page`, for at most `ms`. */
export async function seatBecomes(page, label, state, ms) {
  await page.waitForFunction(
    ([l, s]) => document.querySelector(`button[aria-label^="Seat ${l},"]`)?.getAttribute('aria-label').split(', ')[1] === s,
    [label, state],
    { timeout: ms },
  );
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/** axe-core's violations on `page` as it is now (WCAG 2 A and AA, and best practice). */
export async function accessibilityViolations(page) {
  await page.evaluate(axeSource);
  const violations = await page.evaluate(async () => {
    // eslint-disable-next-line no-undef
    const result = await axe.run(document, { runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] });
    return result.violations.map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.length}×, e.g. ${v.nodes[0].target})`);
  });
  return violations;
}

/**
 * Fingers on a touch screen, through Chromium's DevTools protocol (the
 * browser turns them into touch and pointer events, as from a real screen).
 * `paths` is one list of points for each finger: all fingers go down at
 * their first point, move through the rest together, and lift.
 */
export async function touchGesture(page, paths) {
  const cdp = await page.context().newCDPSession(page);
  const at = (step) => paths.map((path, id) => ({ id, ...path[Math.min(step, path.length - 1)] }));
  const steps = Math.max(...paths.map((path) => path.length));
  // A finger moves at a screen's pace (a frame per move) and comes to rest
  // before it lifts: lifted at speed, it would fling, and the browser takes
  // the next tap as the one that stops the fling, not as a click.
  const frame = () => new Promise((resolve) => { setTimeout(resolve, 16); });
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchStart', touchPoints: at(0) });
  for (let step = 1; step < steps + 6; step += 1) {
    await frame();
    await cdp.send('Input.dispatchTouchEvent', { type: 'touchMove', touchPoints: at(step) });
  }
  await cdp.send('Input.dispatchTouchEvent', { type: 'touchEnd', touchPoints: [] });
  await cdp.detach();
}

/** `count` + 1 points on the line from `from` to `to` ({x, y} each). */
export function line(from, to, count = 10) {
  return Array.from({ length: count + 1 }, (_, i) => ({
    x: from.x + ((to.x - from.x) * i) / count, y: from.y + ((to.y - from.y) * i) / count,
  }));
}
