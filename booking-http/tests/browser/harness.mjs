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

/** A new page of `base`, logged in as `name`, on the events list. */
export async function logIn(browser, base, name, password, viewport = { width: 1100, height: 800 }) {
  // bypassCSP lets the accessibility checker's script run in the page.
  const context = await browser.newContext({ viewport, bypassCSP: true });
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
