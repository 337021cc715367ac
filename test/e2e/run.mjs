#!/usr/bin/env node
/**
 * The end-to-end test: the real `npm start` server (wrangler dev, local D1, local queue,
 * development outbox) driven by Debian's Chromium through playwright-core, against a
 * local fake Hugging Face + arXiv upstream. It walks a subscriber's whole life as a person
 * would: sign up on the landing page, confirm from the outbox, change preferences, get a
 * digest after ingest + planning, vote 👍, view in browser, unsubscribe, and finally erase
 * their data through a link mailed on request; and checks the operator's view (export,
 * stats, dashboard, archive) after each step. Screenshots go to
 * test-results/ (kept by CI); with E2E_UPDATE_DOCS=1 they are also copied to docs/images/
 * for the README (off by default, so a test run never dirties the work tree).
 *
 * Every wait is bounded, every child runs in its own process group and is killed on any
 * exit, and the last line is a machine-readable `e2e: N passed, M failed`.
 * Options: E2E_CHROMIUM=/path/to/chromium, E2E_HEADED=1, E2E_KEEP=1 (keep the temp D1 dir),
 * E2E_UPDATE_DOCS=1 (refresh the README screenshots).
 */
import { spawn } from 'node:child_process';
import {
  copyFileSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
} from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Papa from 'papaparse';
import { chromium } from 'playwright-core';
import { hfListFor, startFakeUpstream } from '../../scripts/e2e/fake-upstream.mjs';

const root = fileURLToPath(new URL('../..', import.meta.url));
const resultsDir = path.join(root, 'test-results');
const imagesDir = path.join(root, 'docs', 'images');
const ADMIN_TOKEN = 'dev-admin-token';
const CHROMIUM = process.env.E2E_CHROMIUM ?? '/usr/bin/chromium';
const STEP_TIMEOUT_MS = 90_000;
const SERVER_START_TIMEOUT_MS = 240_000;

mkdirSync(resultsDir, { recursive: true });
for (const file of readdirSync(resultsDir)) {
  if (/^failure-\d+\.png$/.test(file)) rmSync(path.join(resultsDir, file));
}

// ---------------------------------------------------------------- process hygiene

const children = [];
const cleanups = [];

/** Kills every child's whole process group (npm → node → wrangler → workerd). */
function killChildren(signal = 'SIGKILL') {
  for (const child of children) {
    if (child.exitCode !== null || child.signalCode !== null) continue;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // Already gone.
    }
  }
}

const tempDirs = [];

process.on('exit', () => {
  killChildren('SIGKILL');
  if (!process.env.E2E_KEEP) for (const dir of tempDirs) rmSync(dir, { recursive: true, force: true });
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) {
  process.on(signal, () => {
    console.error(`\ne2e: interrupted by ${signal}`);
    killChildren('SIGKILL');
    process.exit(130);
  });
}

async function stopChildren() {
  killChildren('SIGTERM');
  const deadline = Date.now() + 5_000;
  while (Date.now() < deadline && children.some((c) => c.exitCode === null && c.signalCode === null)) {
    await sleep(100);
  }
  killChildren('SIGKILL');
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => {
      timer = setTimeout(() => reject(new Error(`${what} timed out after ${ms} ms`)), ms);
    }),
  ]);
}

/** Polls `probe` until it returns a truthy value or the time is up. */
async function waitFor(probe, { timeoutMs, intervalMs = 500, what }) {
  const deadline = Date.now() + timeoutMs;
  let lastError;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value;
    } catch (error) {
      lastError = error;
    }
    await sleep(intervalMs);
  }
  throw new Error(
    `Timed out after ${timeoutMs} ms waiting for ${what}${lastError ? ` (${lastError.message})` : ''}`,
  );
}

// ---------------------------------------------------------------- steps and checks

const steps = [];
const softFailures = [];
let page;

class StepFailure extends Error {}

function assert(condition, message) {
  if (!condition) throw new StepFailure(message);
}

/** A check that is reported but does not stop the walk (later steps do not depend on it). */
function check(condition, message) {
  if (!condition) {
    softFailures.push(message);
    console.log(`    ✗ ${message}`);
  } else {
    console.log(`    ✓ ${message}`);
  }
}

/**
 * Runs one named step with a bound. A failed step stops the walk unless it is marked
 * `independent` (nothing later needs what it does), so one missing page does not hide
 * the state of everything after it.
 */
async function step(name, fn, { timeoutMs = STEP_TIMEOUT_MS, independent = false } = {}) {
  const started = Date.now();
  console.log(`▶ ${name}`);
  try {
    await withTimeout(fn(), timeoutMs, `step "${name}"`);
    steps.push({ name, ok: true });
    console.log(`  ✔ ${name} (${Date.now() - started} ms)`);
  } catch (error) {
    steps.push({ name, ok: false, error });
    console.log(`  ✘ ${name}: ${error.message}`);
    if (page) {
      const file = path.join(resultsDir, `failure-${steps.length}.png`);
      await page
        .screenshot({ path: file, fullPage: true })
        .then(() => console.log(`    screenshot: ${path.relative(root, file)} (at ${page.url()})`))
        .catch(() => {});
    }
    if (!independent) throw error;
  }
}

// ---------------------------------------------------------------- server + API helpers

let baseUrl; // what the browser and emails use (PUBLIC_URL)
let apiUrl; // what Node uses (IPv4, no resolver surprises)
const serverLog = [];

async function startServer(upstreamUrl) {
  const port = await freePort();
  const inspectorPort = await freePort();
  const persistTo = mkdtempSync(path.join(tmpdir(), 'papers-digest-e2e-'));
  tempDirs.push(persistTo);
  baseUrl = `http://localhost:${port}`;
  apiUrl = `http://127.0.0.1:${port}`;
  const args = [
    'start',
    '--',
    '--port',
    String(port),
    '--ip',
    '127.0.0.1',
    '--inspector-port',
    String(inspectorPort),
    '--persist-to',
    persistTo,
    '--show-interactive-dev-session=false',
    '--var',
    `HF_API_URL:${upstreamUrl}`,
    '--var',
    `ARXIV_API_URL:${upstreamUrl}`,
    '--var',
    `PUBLIC_URL:${baseUrl}`,
  ];
  const logFile = createWriteStream(path.join(resultsDir, 'e2e-server.log'));
  const child = spawn('npm', args, {
    cwd: root,
    detached: true, // own process group, so the whole tree can be killed at once
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CI: 'true', NO_COLOR: '1', FORCE_COLOR: '0' },
  });
  children.push(child);
  const collect = (chunk) => {
    logFile.write(chunk);
    for (const line of chunk.toString().split('\n')) if (line.trim()) serverLog.push(line);
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  console.log(`    server: npm ${args.join(' ')}`);
  await waitFor(
    async () => {
      if (child.exitCode !== null) throw new StepFailure(`npm start exited with code ${child.exitCode}`);
      const response = await fetch(`${apiUrl}/healthz`, { signal: AbortSignal.timeout(2_000) });
      return response.ok ? response.json() : null;
    },
    { timeoutMs: SERVER_START_TIMEOUT_MS, intervalMs: 500, what: `/healthz on ${apiUrl}` },
  ).then((health) => console.log(`    healthz: ${JSON.stringify(health)}`));
}

async function api(method, pathname, body, { accept = 'application/json', timeoutMs = 60_000 } = {}) {
  const headers = { authorization: `Bearer ${ADMIN_TOKEN}`, accept };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(`${apiUrl}${pathname}`, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  let json;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, text, json, headers: response.headers };
}

/** The subscriber's row as the operator's CSV export shows it (null when absent). */
async function subscriberRow(email) {
  const response = await api('GET', '/admin/subscribers/export', undefined, { accept: 'text/csv' });
  assert(
    response.status === 200,
    `GET /admin/subscribers/export answered ${response.status}: ${response.text.slice(0, 200)}`,
  );
  const parsed = Papa.parse(response.text, { header: true, skipEmptyLines: true });
  return parsed.data.find((row) => row.email === email) ?? null;
}

async function outbox() {
  const response = await fetch(`${apiUrl}/dev/outbox.json`, { signal: AbortSignal.timeout(10_000) });
  assert(response.ok, `/dev/outbox.json answered ${response.status}`);
  return response.json();
}

async function stats() {
  const response = await api('GET', '/admin/stats');
  assert(response.status === 200, `/admin/stats answered ${response.status}`);
  return response.json;
}

function saveScreenshotForDocs(name) {
  if (process.env.E2E_UPDATE_DOCS !== '1') return;
  mkdirSync(imagesDir, { recursive: true });
  copyFileSync(path.join(resultsDir, name), path.join(imagesDir, name));
}

/** Opens an outbox email's HTML part as the top-level page, as a mail client would show it. */
async function openEmailHtml(email) {
  await page.goto(`${baseUrl}/dev/outbox/${email.id}/html`);
}

// ---------------------------------------------------------------- the walk

/** Titles as the product shows them (whitespace collapsed, as the ingest normalises them). */
const oneLine = (text) => text.replace(/\s+/g, ' ').trim();
const TODAY = new Date().toISOString().slice(0, 10);
/** Today's Hugging Face list as the fake upstream serves it (real papers), most upvoted first. */
const TODAY_LIST = hfListFor(TODAY, TODAY)
  .map((item) => ({ title: oneLine(item.title), upvotes: item.paper.upvotes }))
  .sort((a, b) => b.upvotes - a.upvotes);
/** Every title the ingest can fetch: today's list, the refreshed previous days and arXiv. */
const FIXTURE_TITLES = [
  ...[0, 1, 2, 3].flatMap((days) =>
    hfListFor(new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10), TODAY).map((item) =>
      oneLine(item.title),
    ),
  ),
  ...[
    ...readFileSync(path.join(root, 'test/fixtures/arxiv/atom-query-sample.xml'), 'utf8').matchAll(
      /<entry>[\s\S]*?<title>([\s\S]*?)<\/title>/g,
    ),
  ].map((match) => oneLine(match[1])),
];
const TOP_TITLE = TODAY_LIST[0].title;
const SECOND_TITLE = TODAY_LIST[1].title;
const EMAIL = `reader.${Date.now().toString(36)}@Example.ORG`;
const NORMALISED_EMAIL = EMAIL.replace(/@(.*)$/, (_, domain) => `@${domain.toLowerCase()}`);
const TIME_ZONE = 'Europe/Berlin';

async function main() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`Chromium not found at ${CHROMIUM} (apt-get install chromium, or set E2E_CHROMIUM)`);
  }
  let upstream;
  let browser;
  let confirmationEmail;
  let digestEmail;
  let lastOutboxId = 0;
  try {
    await step(
      'start the fake upstream and the real server (npm start)',
      async () => {
        upstream = await startFakeUpstream();
        cleanups.push(() => upstream.close());
        console.log(`    fake upstream: ${upstream.url}`);
        await startServer(upstream.url);
      },
      { timeoutMs: SERVER_START_TIMEOUT_MS + 10_000 },
    );

    await step('launch Chromium', async () => {
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: !process.env.E2E_HEADED,
        timeout: 30_000,
        args: [
          '--headless',
          '--no-sandbox',
          '--disable-gpu',
          '--disable-background-networking',
          '--disable-quic',
          '--no-first-run',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      const context = await browser.newContext({
        viewport: { width: 1100, height: 900 },
        timezoneId: TIME_ZONE,
        locale: 'en-GB',
      });
      context.setDefaultTimeout(15_000);
      context.setDefaultNavigationTimeout(20_000);
      page = await context.newPage();
      page.on('pageerror', (error) => console.log(`    [page error] ${error.message}`));
    });

    await step('landing page: fill in the form and subscribe', async () => {
      await page.goto(`${baseUrl}/`);
      await page.screenshot({ path: path.join(resultsDir, 'landing-empty.png'), fullPage: true });
      const form = page.locator('form', { has: page.getByRole('button', { name: /subscribe/i }) }).first();
      await form.getByRole('textbox', { name: /e-?mail/i }).fill(EMAIL);
      await form
        .getByRole('textbox', { name: /^interests/i })
        .fill('large language models; alignment, cs.CL');
      await chooseField(form, 'frequency', 'daily');
      await chooseField(form, 'send_hour', '7');
      const timeZone = await form
        .locator('[name="time_zone"]')
        .first()
        .inputValue()
        .catch(() => null);
      check(timeZone === TIME_ZONE, `the form defaults time_zone from the browser (${timeZone})`);
      await form.getByRole('button', { name: /subscribe/i }).click();
      await page.waitForLoadState('domcontentloaded');
      const body = await visibleText(page.locator('body'));
      assert(
        /check your (e-?mail|inbox)|confirm/i.test(body),
        `after submitting, the page says to check the inbox; got: ${body.slice(0, 300)}`,
      );
      const row = await subscriberRow(NORMALISED_EMAIL);
      assert(row, `the export lists ${NORMALISED_EMAIL} after sign-up`);
      assert(row.status === 'pending', `a new sign-up is pending until confirmed (status ${row.status})`);
      check(
        row.send_hour === '7' && row.frequency === 'daily',
        `sign-up stored frequency/send hour (${row.frequency}/${row.send_hour})`,
      );
      check(row.time_zone === TIME_ZONE, `sign-up stored the browser's time zone (${row.time_zone})`);
    });

    await step('outbox: open the confirmation email and confirm', async () => {
      const emails = await waitFor(
        async () => (await outbox()).filter((email) => email.to === NORMALISED_EMAIL),
        { timeoutMs: 20_000, what: 'the confirmation email in the outbox' },
      ).then((list) => (list.length > 0 ? list : null));
      assert(
        emails && emails.length === 1,
        `exactly one email (the confirmation) was sent, got ${emails?.length}`,
      );
      confirmationEmail = emails[0];
      lastOutboxId = Math.max(lastOutboxId, confirmationEmail.id);
      check(
        confirmationEmail.text.includes('/confirm?token='),
        'the confirmation email has a plain-text part with the link',
      );
      // Through the outbox UI, as a developer would: list → email → its HTML part → link.
      await page.goto(`${baseUrl}/dev/outbox`);
      await page.getByRole('link', { name: confirmationEmail.subject }).first().click();
      await page.waitForURL(/\/dev\/outbox\/\d+$/);
      const frame = page.frameLocator('iframe[title="HTML part"]');
      await clickLink(frame.locator('a[href*="/confirm?token="]').first(), /\/confirm\?token=/);
      const row = await subscriberRow(NORMALISED_EMAIL);
      assert(
        row.status === 'pending',
        `opening the confirm link (GET) must not confirm yet (status ${row.status})`,
      );
      await page.getByRole('button', { name: /confirm/i }).click();
      await page.waitForLoadState('domcontentloaded');
      const after = await subscriberRow(NORMALISED_EMAIL);
      assert(
        after.status === 'active',
        `after the confirm POST the subscriber is active (status ${after.status})`,
      );
      check(
        after.consent_method === 'form' && !!after.consent_at,
        `consent recorded (${after.consent_method} at ${after.consent_at})`,
      );
    });

    await step('preferences: change interests and send hour', async () => {
      const preferencesLink = page.locator('a[href*="/preferences?token="]').first();
      if ((await preferencesLink.count()) > 0) {
        await clickLink(preferencesLink, /\/preferences\?token=/);
      } else {
        // Fall back to the link in the confirmation email.
        const match = /https?:\/\/[^\s"'<>]+\/preferences\?token=[^\s"'<>]+/.exec(
          `${confirmationEmail.html} ${confirmationEmail.text}`,
        );
        assert(match, 'neither the confirmed page nor the confirmation email links to the preferences');
        await page.goto(match[0].replaceAll('&amp;', '&'));
      }
      await page.waitForURL(/\/preferences\?token=/);
      const form = page.locator('form', { has: page.getByRole('button', { name: /save preferences/i }) });
      await form
        .getByRole('textbox', { name: /^interests/i })
        .fill('large language models; RLHF, language model alignment; cs.CL');
      await chooseField(form, 'send_hour', '9');
      await form.getByRole('button', { name: /save preferences/i }).click();
      await page.waitForLoadState('domcontentloaded');
      const body = await visibleText(page.locator('body'));
      check(/saved|updated/i.test(body), 'the preferences page confirms the change');
      const row = await subscriberRow(NORMALISED_EMAIL);
      assert(row.interests.includes('RLHF'), `the new interests are stored (${row.interests})`);
      assert(row.send_hour === '9', `the new send hour is stored (${row.send_hour})`);
      assert(row.status === 'active', `still active after saving preferences (${row.status})`);
    });

    await step(
      'ingest from the fake upstream (POST /admin/ingest)',
      async () => {
        const response = await api('POST', '/admin/ingest', {}, { timeoutMs: 120_000 });
        assert(
          response.status === 200,
          `POST /admin/ingest answered ${response.status}: ${response.text.slice(0, 300)}`,
        );
        console.log(`    ingest summary: ${response.text.slice(0, 400)}`);
        assert(
          upstream.requests.some((r) => r.includes('/api/daily_papers')),
          'ingest called the HF daily_papers API',
        );
        check(
          upstream.requests.some((r) => r.includes('/api/query')),
          'ingest called the arXiv API',
        );
        const counts = await stats();
        assert(counts.papers >= 8, `papers are in D1 after ingest (stats.papers = ${counts.papers})`);
        const again = await api('POST', '/admin/ingest', {}, { timeoutMs: 120_000 });
        assert(again.status === 200, `a second ingest answered ${again.status}`);
        const countsAgain = await stats();
        check(
          countsAgain.papers === counts.papers,
          `a second ingest adds nothing (${counts.papers} → ${countsAgain.papers})`,
        );
      },
      { timeoutMs: 300_000 },
    );

    await step(
      'archive: /papers lists the ingested papers, trending first',
      async () => {
        await page.goto(`${baseUrl}/papers`);
        const titles = await page.locator('main h2, main h3').allInnerTexts();
        const body = await visibleText(page.locator('main'));
        assert(
          body.includes(TOP_TITLE),
          `the archive shows the most upvoted paper of the day (${TOP_TITLE})`,
        );
        const first = titles.findIndex((t) => t.includes(TOP_TITLE));
        const second = titles.findIndex((t) => t.includes(SECOND_TITLE));
        check(
          first !== -1 && second !== -1 && first < second,
          'papers are ordered by upvotes (trending first)',
        );
        check((await page.locator('a[href*="arxiv.org/abs/"]').count()) > 0, 'papers link to arXiv');
        await page.screenshot({ path: path.join(resultsDir, 'archive.png'), fullPage: false });
        saveScreenshotForDocs('archive.png');
      },
      { independent: true },
    );

    await step(
      'digest: POST /admin/digest {"all":true} and wait for it in the outbox',
      async () => {
        const response = await api('POST', '/admin/digest', { all: true });
        assert(
          response.status === 200 || response.status === 202,
          `POST /admin/digest answered ${response.status}: ${response.text.slice(0, 300)}`,
        );
        console.log(`    planner: ${response.text.slice(0, 400)}`);
        digestEmail = await waitFor(
          async () =>
            (await outbox()).find((email) => email.to === NORMALISED_EMAIL && email.id > lastOutboxId),
          { timeoutMs: 60_000, intervalMs: 1_000, what: 'the digest in the outbox (queue consumer)' },
        );
        lastOutboxId = digestEmail.id;
        console.log(`    digest: "${digestEmail.subject}"`);
        const headers = Object.fromEntries(
          Object.entries(digestEmail.headers).map(([k, v]) => [k.toLowerCase(), v]),
        );
        check(
          /^<https?:\/\/.+\/unsubscribe\?token=.+>$/.test(headers['list-unsubscribe'] ?? ''),
          'List-Unsubscribe header',
        );
        check(
          headers['list-unsubscribe-post'] === 'List-Unsubscribe=One-Click',
          'List-Unsubscribe-Post header',
        );
        check(digestEmail.text.length > 200, 'the digest has a plain-text part');
        check(Buffer.byteLength(digestEmail.html) < 102 * 1024, 'the digest HTML is under 102 KB');
        const counts = await stats();
        check(
          counts.deliveries.sent >= 1,
          `stats count the delivery as sent (${JSON.stringify(counts.deliveries)})`,
        );
        const replay = await api('POST', '/admin/digest', { all: true });
        check(replay.status < 300, `running the planner again succeeds (${replay.status})`);
        await sleep(3_000);
        const mine = (await outbox()).filter(
          (email) => email.to === NORMALISED_EMAIL && email.id > lastOutboxId,
        );
        check(mine.length === 0, `running the planner again sends nothing new (${mine.length} more emails)`);
      },
      { timeoutMs: 120_000 },
    );

    await step('digest email: screenshot, 👍 a paper and confirm', async () => {
      await page.setViewportSize({ width: 760, height: 1000 });
      await openEmailHtml(digestEmail);
      await page.screenshot({ path: path.join(resultsDir, 'digest-full.png'), fullPage: true });
      await page.setViewportSize({ width: 760, height: 1500 });
      await page.screenshot({ path: path.join(resultsDir, 'digest.png') });
      saveScreenshotForDocs('digest.png');
      await page.setViewportSize({ width: 1100, height: 900 });
      const up = page.locator('a[href*="/feedback?"][href*="vote=up"]').first();
      assert((await up.count()) > 0, 'the digest has 👍 links');
      await clickLink(up, /\/feedback\?/);
      let row = await subscriberRow(NORMALISED_EMAIL);
      check(row.feedback_up === '0', `GET of the feedback link records nothing (${row.feedback_up})`);
      await page
        .getByRole('button', { name: /confirm/i })
        .first()
        .click();
      await page.waitForLoadState('domcontentloaded');
      row = await subscriberRow(NORMALISED_EMAIL);
      assert(
        row.feedback_up === '1',
        `the 👍 is recorded after confirming (feedback_up = ${row.feedback_up})`,
      );
    });

    await step(
      'digest email: view in browser',
      async () => {
        await openEmailHtml(digestEmail);
        const view = page.locator('a[href*="/digest?token="]').first();
        assert((await view.count()) > 0, 'the digest has a "view in browser" link');
        await clickLink(view, /\/digest\?token=/);
        const body = await visibleText(page.locator('body'));
        const emailed = FIXTURE_TITLES.filter((title) => digestEmail.text.includes(title));
        assert(emailed.length > 0, 'the digest email names papers of the fixture');
        const missing = emailed.filter((title) => !body.includes(title));
        assert(
          missing.length === 0,
          `the web version shows every emailed paper (missing: ${missing.join(' | ')})`,
        );
      },
      { independent: true },
    );

    await step(
      'phone (375 px): /digest, landing and preferences fit the screen',
      async () => {
        const linkIn = (fragment) =>
          new RegExp(`https?://\\S+${fragment.replace(/[?]/g, '\\?')}\\S+`).exec(digestEmail.text)?.[0];
        const pages = {
          digest: linkIn('/digest?token='),
          landing: `${baseUrl}/`,
          preferences: linkIn('/preferences?token='),
        };
        const phone = await browser.newContext({
          viewport: { width: 375, height: 812 },
          isMobile: true, // honours <meta name="viewport"> as a phone does (without it: 980 px, zoomed out)
          hasTouch: true,
          deviceScaleFactor: 2,
          timezoneId: TIME_ZONE,
          locale: 'en-GB',
        });
        try {
          const tab = await phone.newPage();
          for (const [name, url] of Object.entries(pages)) {
            assert(url, `the digest email links to the ${name} page`);
            const response = await tab.goto(url);
            assert(response?.status() === 200, `GET ${name} on a phone answered ${response?.status()}`);
            const layout = await tab.evaluate(phoneLayout);
            check(Boolean(layout.viewport), `${name}: has a viewport meta (${layout.viewport})`);
            check(layout.title.length > 0, `${name}: has a <title> (${layout.title})`);
            check(
              layout.innerWidth === 375 && layout.scale === 1,
              `${name}: lays out at the phone's width, unzoomed (${layout.innerWidth} px, zoom ${layout.scale})`,
            );
            check(
              layout.scrollWidth <= layout.innerWidth,
              `${name}: no horizontal scroll (content ${layout.scrollWidth} px, screen ${layout.innerWidth} px)`,
            );
            check(
              layout.truncated.length === 0,
              `${name}: every select shows its options whole (${layout.truncated.join('; ') || 'ok'})`,
            );
            await tab.screenshot({ path: path.join(resultsDir, `phone-${name}.png`) });
            saveScreenshotForDocs(`phone-${name}.png`);
          }
        } finally {
          await phone.close();
        }
      },
      { independent: true },
    );

    await step(
      'small phone (320 px): a refused sign-up, its error quoting what was typed, fits the screen',
      async () => {
        await onSmallPhone(browser, async (tab) => {
          await tab.goto(`${baseUrl}/`);
          // Refused before any check that counts or mails: the address is never used.
          await tab
            .locator('#email')
            .fill('maximilian.mustermann.schmidt@informatik.universitaet.example.de');
          await tab.locator('#interests').fill('cs.FOO');
          await Promise.all([
            tab.waitForURL(/\/subscribe$/),
            tab.getByRole('button', { name: /^subscribe$/i }).click(),
          ]);
          const summary = await visibleText(tab.locator('#error-summary'));
          assert(/cs\.FOO/.test(summary), `the error names the unknown category; got: ${summary}`);
          const layout = await tab.evaluate(phoneLayout);
          check(
            layout.innerWidth === 320 && layout.scrollWidth <= layout.innerWidth,
            `sign-up error: no horizontal scroll (content ${layout.scrollWidth} px, laid out at ${layout.innerWidth} px for a 320 px screen)`,
          );
          await tab.screenshot({ path: path.join(resultsDir, 'phone-320-signup-error.png'), fullPage: true });
        });
      },
      { independent: true },
    );

    await step(
      'small phone (320 px): the confirm page of a held sign-up, long interests side by side, fits the screen',
      async () => {
        // A URL-like word with no break of its own, then a list near the 2,000-character limit:
        // what held its column so wide that the page laid out at 1,777 px. The second sign-up,
        // a moment later, is held (the caps mail one email per 10 minutes) and shown beside the
        // first on the confirm page, whose three columns did not fit 320 px even with short words.
        const email = `held.${Date.now().toString(36)}@example.org`;
        const word = `https://example.org/${'verylongcompoundwordwithouthyphens'.repeat(2)}`;
        const signups = [
          { interests: `${word}, ${'diffusion models, learning from human feedback; '.repeat(39)}` },
          { interests: word, frequency: 'weekly', time_zone: 'America/Argentina/Catamarca' },
        ];
        for (const fields of signups) {
          const response = await fetch(`${apiUrl}/subscribe`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', accept: 'application/json' },
            body: JSON.stringify({ email, ...fields }),
            signal: AbortSignal.timeout(10_000),
          });
          assert(
            response.ok,
            `the sign-up of ${email} answered ${response.status}: ${await response.text()}`,
          );
        }
        const mail = await waitFor(async () => (await outbox()).find((item) => item.to === email), {
          timeoutMs: 20_000,
          what: `the confirmation email to ${email}`,
        });
        const link = /https?:\/\/\S+\/confirm\?token=\S+/.exec(mail.text)?.[0];
        assert(link, 'the confirmation email has a confirm link');
        await onSmallPhone(browser, async (tab) => {
          for (const colorScheme of ['light', 'dark']) {
            await tab.emulateMedia({ colorScheme });
            await tab.goto(link);
            const body = await visibleText(tab.locator('main'));
            assert(/newer sign-up/i.test(body), `the confirm page offers the held sign-up; got: ${body}`);
            const layout = await tab.evaluate(phoneLayout);
            check(
              layout.innerWidth === 320 && layout.scrollWidth <= layout.innerWidth,
              `held sign-up (${colorScheme}): no horizontal scroll (content ${layout.scrollWidth} px, laid out at ${layout.innerWidth} px for a 320 px screen)`,
            );
            await tab.screenshot({
              path: path.join(resultsDir, `phone-320-confirm-held-${colorScheme}.png`),
              fullPage: true,
            });
          }
          await tab.getByRole('button', { name: /settings in the email/i }).click();
          await tab.waitForFunction(() => /confirmed/i.test(document.title), null, { timeout: 20_000 });
          const confirmed = await tab.evaluate(phoneLayout);
          check(
            /confirmed/i.test(confirmed.title) && confirmed.scrollWidth <= confirmed.innerWidth,
            `confirmed page "${confirmed.title}": no horizontal scroll (content ${confirmed.scrollWidth} px, screen ${confirmed.innerWidth} px)`,
          );
        });
      },
      { independent: true },
    );

    await step('digest email: unsubscribe and confirm', async () => {
      await openEmailHtml(digestEmail);
      const unsubscribe = page.locator('a[href*="/unsubscribe?token="]').first();
      assert((await unsubscribe.count()) > 0, 'the digest footer has an unsubscribe link');
      const footerUrl = await unsubscribe.getAttribute('href');
      const header = Object.entries(digestEmail.headers).find(
        ([k]) => k.toLowerCase() === 'list-unsubscribe',
      )?.[1];
      check(header === `<${footerUrl}>`, 'the footer link and the List-Unsubscribe header are the same URL');
      await clickLink(unsubscribe, /\/unsubscribe\?token=/);
      let row = await subscriberRow(NORMALISED_EMAIL);
      assert(row.status === 'active', `GET of the unsubscribe page must not unsubscribe (${row.status})`);
      await page.getByRole('button', { name: /^unsubscribe$/i }).click();
      await page.waitForLoadState('domcontentloaded');
      const body = await visibleText(page.locator('body'));
      // Coming back is a fresh sign-up (double opt-in), never a button behind the unsubscribe link.
      check(/sign up again/i.test(body), 'the page says how to come back (sign up again)');
      check(!/resubscribe/i.test(body), 'the unsubscribe page offers no resubscribe button');
      row = await subscriberRow(NORMALISED_EMAIL);
      assert(row.status === 'unsubscribed', `the subscriber is unsubscribed (${row.status})`);
      // Links in earlier digests stop working once unsubscribed.
      const preferences = /https?:\/\/[^\s"'<>]+\/preferences\?token=[^\s"'<>]+/.exec(digestEmail.text)?.[0];
      if (preferences) {
        const dead = await fetch(preferences.replace(baseUrl, apiUrl), {
          signal: AbortSignal.timeout(10_000),
        });
        check(
          dead.status === 410,
          `the digest's preferences link is dead after unsubscribing (${dead.status})`,
        );
      }
      // A mail client's RFC 8058 one-click POST on the same URL stays a 200, never a redirect.
      const oneClick = await fetch(footerUrl.replace(baseUrl, apiUrl), {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: 'List-Unsubscribe=One-Click',
        redirect: 'manual',
        signal: AbortSignal.timeout(10_000),
      });
      check(oneClick.status === 200, `a repeated one-click POST answers 200 (${oneClick.status})`);
      const counts = await stats();
      check(counts.subscribers.unsubscribed >= 1, 'stats count the unsubscribe');
    });

    await step(
      'operator: dashboard (Basic auth) and landing page screenshots',
      async () => {
        const context = await browser.newContext({
          viewport: { width: 1100, height: 900 },
          httpCredentials: { username: 'admin', password: ADMIN_TOKEN },
        });
        try {
          const admin = await context.newPage();
          const response = await admin.goto(`${baseUrl}/admin`);
          assert(response?.status() === 200, `GET /admin with Basic auth answered ${response?.status()}`);
          const body = await visibleText(admin.locator('body'));
          check(
            /unsubscribed/i.test(body) && /hf|hugging face/i.test(body),
            'the dashboard shows subscribers and ingest runs',
          );
          await admin.screenshot({ path: path.join(resultsDir, 'dashboard.png'), fullPage: true });
          saveScreenshotForDocs('dashboard.png');
        } finally {
          await context.close();
        }
        await page.goto(`${baseUrl}/`);
        await page.screenshot({ path: path.join(resultsDir, 'landing.png'), fullPage: false });
        saveScreenshotForDocs('landing.png');
        const body = await visibleText(page.locator('body'));
        check(body.includes(TOP_TITLE), 'the landing page shows a sample of the latest papers');
      },
      { independent: true },
    );

    await step(
      'operator: import subscribers (CSV) and export them',
      async () => {
        const csv = [
          'email,interests,frequency,send_hour,time_zone',
          'imported.one@example.net,"diffusion models; cs.CV",daily,6,Asia/Tokyo',
          `${NORMALISED_EMAIL},,daily,8,UTC`,
          'broken-address,,daily,8,UTC',
        ].join('\r\n');
        const response = await fetch(`${apiUrl}/admin/subscribers/import`, {
          method: 'POST',
          headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/csv' },
          body: csv,
          signal: AbortSignal.timeout(30_000),
        });
        const report = await response.json();
        assert(response.status === 200, `import answered ${response.status}: ${JSON.stringify(report)}`);
        assert(
          report.imported === 1 && report.skipped === 1 && report.invalid === 1,
          `import report counts (${JSON.stringify(report)})`,
        );
        check(
          /unsubscribed/.test(report.rows[1].reason),
          `an unsubscribed reader is not re-subscribed (${report.rows[1].reason})`,
        );
        const row = await subscriberRow('imported.one@example.net');
        assert(
          row?.status === 'active' && row.consent_method === 'import',
          'the imported reader is active by import',
        );
        check(row.time_zone === 'Asia/Tokyo' && row.send_hour === '6', 'imported preferences are kept');
        const me = await subscriberRow(NORMALISED_EMAIL);
        assert(me.status === 'unsubscribed', `the import left the unsubscribed reader alone (${me.status})`);
      },
      { independent: true },
    );

    await step('data: ask for a deletion link at /data, open it from the outbox, confirm', async () => {
      await page.goto(`${baseUrl}/data`);
      await page.getByRole('textbox', { name: /e-?mail/i }).fill(EMAIL);
      await page.getByRole('radio', { name: /delete/i }).check();
      await page.getByRole('button', { name: /email me/i }).click();
      await page.waitForLoadState('domcontentloaded');
      check(
        /check your inbox/i.test(await visibleText(page.locator('body'))),
        'the page says a link was sent',
      );
      const mail = await waitFor(
        async () =>
          (await outbox()).find(
            (email) =>
              email.to === NORMALISED_EMAIL && email.id > lastOutboxId && /delete/i.test(email.subject),
          ),
        { timeoutMs: 20_000, what: 'the deletion link in the outbox' },
      );
      lastOutboxId = mail.id;
      const link = /https?:\/\/[^\s"'<>]+\/data\/erase\?token=[^\s"'<>]+/.exec(mail.text)?.[0];
      assert(link, 'the email carries a /data/erase link');
      await page.goto(link.replace(apiUrl, baseUrl));
      let row = await subscriberRow(NORMALISED_EMAIL);
      assert(row, `opening the deletion link deletes nothing before confirming`);
      await page.getByRole('button', { name: /delete everything/i }).click();
      await page.waitForLoadState('domcontentloaded');
      check(/deleted/i.test(await visibleText(page.locator('h1'))), 'the page says the data is deleted');
      row = await subscriberRow(NORMALISED_EMAIL);
      assert(row === null, 'after confirming, the subscriber is gone from the export');
    });

    await step(
      'structured logs: one JSON summary line per run/batch',
      async () => {
        // The cron path, as wrangler's scheduled test endpoint runs it in `npm start`.
        for (const cron of ['20 */3 * * *', '0 * * * *']) {
          const response = await fetch(`${apiUrl}/__scheduled?cron=${encodeURIComponent(cron)}`, {
            signal: AbortSignal.timeout(60_000),
          });
          check(response.ok, `cron "${cron}" runs through /__scheduled (${response.status})`);
        }
        await sleep(1_000);
        const json = serverLog
          .map((line) => line.slice(line.indexOf('{')))
          .filter((line) => line.startsWith('{'))
          .map((line) => {
            try {
              return JSON.parse(line);
            } catch {
              return null;
            }
          })
          .filter(Boolean);
        const events = [...new Set(json.map((entry) => entry.event).filter(Boolean))];
        console.log(`    JSON log events seen: ${events.join(', ') || '(none)'}`);
        check(
          json.some((e) => /ingest/.test(e.event ?? '') && 'duration_ms' in e),
          'an ingest summary line with duration_ms',
        );
        check(
          json.some((e) => e.event === 'cron' && 'duration_ms' in e && e.summary !== undefined),
          'one cron summary line per run, with duration_ms and the job summary',
        );
        check(
          json.some((e) => /queue|batch|send|deliver/.test(e.event ?? '')),
          'a queue batch summary line',
        );
      },
      { independent: true },
    );
  } finally {
    if (browser) await browser.close().catch(() => {});
    await stopChildren();
    for (const cleanup of cleanups.reverse()) await Promise.resolve(cleanup()).catch(() => {});
  }
}

/**
 * Clicks a link the way a person would and follows it: emails open links in a new tab
 * (target="_blank"), so the walk continues on whichever page the link opened, and the
 * page left behind is closed.
 */
async function clickLink(locator, urlPattern) {
  const target = await locator.getAttribute('target');
  if (target === '_blank') {
    const [opened] = await Promise.all([page.context().waitForEvent('page'), locator.click()]);
    await opened.waitForLoadState('domcontentloaded');
    const previous = page;
    page = opened;
    await previous.close();
  } else {
    await locator.click();
  }
  await page.waitForURL(urlPattern);
}

/** Runs `use` in a tab of a 320 px phone (the narrowest in common use), closed afterwards. */
async function onSmallPhone(browser, use) {
  const phone = await browser.newContext({
    viewport: { width: 320, height: 640 },
    isMobile: true,
    hasTouch: true,
    timezoneId: TIME_ZONE,
    locale: 'en-GB',
  });
  try {
    return await use(await phone.newPage());
  } finally {
    await phone.close();
  }
}

/**
 * Runs in the page: what decides whether it reads on a phone. A select cannot wrap, so
 * each option's text must fit its box (minus padding and the arrow); in a long pick-list
 * (time zones) only the chosen value shows in the box, so only that one must fit.
 */
function phoneLayout() {
  const context = document.createElement('canvas').getContext('2d');
  const truncated = [];
  for (const select of document.querySelectorAll('select')) {
    const style = getComputedStyle(select);
    context.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
    const room =
      select.clientWidth - Number.parseFloat(style.paddingLeft) - Number.parseFloat(style.paddingRight) - 20;
    const options = select.options.length > 50 ? [select.options[select.selectedIndex]] : [...select.options];
    for (const option of options.filter(Boolean)) {
      const width = context.measureText(option.text).width;
      if (width > room)
        truncated.push(
          `${select.name}: "${option.text}" needs ${Math.ceil(width)} of ${Math.floor(room)} px`,
        );
    }
  }
  return {
    viewport: document.querySelector('meta[name="viewport"]')?.getAttribute('content') ?? null,
    title: document.title,
    innerWidth: window.innerWidth,
    scale: window.visualViewport?.scale ?? 1,
    scrollWidth: document.scrollingElement.scrollWidth,
    truncated,
  };
}

/** What a person sees (rendered text, not hidden nodes), so checks match the screen. */
function visibleText(locator) {
  // biome-ignore lint/performance/useDomNodeTextContent: Playwright's innerText is the rendered text on purpose
  return locator.innerText();
}

/** Sets a <select>, radio group or text input named `name` to `value`. */
async function chooseField(scope, name, value) {
  const field = scope.locator(`[name="${name}"]`);
  const count = await field.count();
  assert(count > 0, `the form has a field named "${name}"`);
  const first = field.first();
  const tag = await first.evaluate((el) => el.tagName.toLowerCase());
  const type = await first.getAttribute('type');
  if (tag === 'select') await first.selectOption(value);
  else if (type === 'radio') await scope.locator(`[name="${name}"][value="${value}"]`).check();
  else await first.fill(value);
}

const started = Date.now();
let exitCode = 0;
try {
  await main();
} catch (error) {
  exitCode = 1;
  if (!(error instanceof StepFailure)) console.log(`    ${error.stack ?? error}`);
  console.log('\n--- last server log lines ---');
  console.log(serverLog.slice(-40).join('\n'));
}
const failedSteps = steps.filter((s) => !s.ok);
if (failedSteps.length > 0) exitCode = 1;
const passedSteps = steps.length - failedSteps.length;
console.log(
  `\nsteps: ${passedSteps}/${steps.length} passed in ${Math.round((Date.now() - started) / 1000)} s`,
);
for (const failed of failedSteps) console.log(`  ✘ ${failed.name}: ${failed.error?.message}`);
if (softFailures.length > 0) {
  exitCode = 1;
  console.log(`checks failed (${softFailures.length}):\n${softFailures.map((f) => `  - ${f}`).join('\n')}`);
}
console.log(`e2e: ${exitCode === 0 ? 1 : 0} passed, ${exitCode === 0 ? 0 : 1} failed`);
process.exit(exitCode);
