#!/usr/bin/env node
/**
 * `node scripts/signup-timing.mjs --url http://localhost:8787`: checks that a sign-up
 * answers the same, in content and in time, whatever the state of the address (issue 12:
 * suppressed addresses used to answer in ~11 ms, others in 74–277 ms, so bounced and
 * complained addresses could be listed). Against a running `npm start` (development
 * outbox, dev secrets), it prepares one address per state through the real HTTP API (new,
 * pending, active, unsubscribed, complained via a signed Resend webhook), then times
 * interleaved JSON sign-ups for each and prints per-state medians, the ratio of the
 * slowest to the fastest median, and whether every answer body was identical.
 *
 * Options: --url URL (required) --rounds N (40) --webhook-secret whsec_… (the dev one).
 */
import { Webhook } from 'standardwebhooks';

const args = process.argv.slice(2);
const option = (name, fallback) => {
  const index = args.indexOf(`--${name}`);
  return index === -1 ? fallback : args[index + 1];
};
const base = option('url', null);
if (!base) {
  console.error('usage: node scripts/signup-timing.mjs --url http://localhost:8787 [--rounds 40]');
  process.exit(2);
}
const ROUNDS = Number(option('rounds', 40));
const WEBHOOK_SECRET = option('webhook-secret', 'whsec_ZGV2LXdlYmhvb2stc2VjcmV0LTMyLWJ5dGVzLWxvbmch');
const run = Date.now().toString(36);
let ip = 0;
const nextIp = () => `198.18.${Math.floor(ip / 250) % 250}.${(ip++ % 250) + 1}`;

async function call(path, init = {}) {
  const response = await fetch(new URL(path, base), { redirect: 'manual', ...init });
  return { status: response.status, text: await response.text() };
}

const signUp = (email) =>
  call('/subscribe', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'cf-connecting-ip': nextIp() },
    body: JSON.stringify({ email, interests: 'graph neural networks' }),
  });

async function linkTo(email, path) {
  for (let attempt = 0; attempt < 40; attempt++) {
    const mails = JSON.parse((await call('/dev/outbox.json')).text).filter((mail) => mail.to === email);
    const match = mails
      .map((mail) => new RegExp(`https?://[^\\s"'<>]+${path}\\?token=[^\\s"'<>]+`).exec(mail.text))
      .find(Boolean);
    if (match) return new URL(match[0]).pathname + new URL(match[0]).search;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`no ${path} link for ${email} in the outbox`);
}

const form = (path, body = '') =>
  call(path, {
    method: 'POST',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: new URL(base).origin },
    body,
  });

async function prepare() {
  const email = (state) => `timing-${state}-${run}@example.org`;
  const states = { new: null };
  states.pending = email('pending');
  await signUp(states.pending);
  for (const state of ['active', 'unsubscribed']) {
    states[state] = email(state);
    await signUp(states[state]);
    const confirmed = await form(await linkTo(states[state], '/confirm'));
    if (state === 'unsubscribed') {
      const prefs = /href="(\/preferences\?token=[^"]+)"/.exec(confirmed.text)[1].replaceAll('&amp;', '&');
      const page = await call(prefs);
      const unsubscribe = /href="(\/unsubscribe\?token=[^"]+)"/.exec(page.text)[1].replaceAll('&amp;', '&');
      await form(unsubscribe, 'List-Unsubscribe=One-Click');
    }
  }
  states.complained = email('complained');
  const body = JSON.stringify({
    type: 'email.complained',
    created_at: new Date().toISOString(),
    data: { email_id: crypto.randomUUID(), to: [states.complained] },
  });
  const id = `msg_${run}`;
  const at = new Date();
  const signed = await call('/webhooks/resend', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
      'svix-signature': new Webhook(WEBHOOK_SECRET).sign(id, at, body),
    },
    body,
  });
  if (signed.status !== 200) throw new Error(`webhook answered ${signed.status}: ${signed.text}`);
  return states;
}

const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
};

const states = await prepare();
const names = Object.keys(states);
const times = Object.fromEntries(names.map((name) => [name, []]));
const bodies = new Set();
let fresh = 0;
for (let round = 0; round < ROUNDS; round++) {
  // A different order every round, so drift on a shared machine hits every state alike.
  const order = [...names].sort(() => Math.random() - 0.5);
  for (const name of order) {
    const email = states[name] ?? `timing-new-${run}-${fresh++}@example.org`;
    const started = performance.now();
    const answer = await signUp(email);
    times[name].push(performance.now() - started);
    bodies.add(`${answer.status} ${answer.text.replaceAll(email, 'EMAIL')}`);
  }
}
const medians = Object.fromEntries(names.map((name) => [name, median(times[name])]));
console.log(`sign-up answer time by address state (${ROUNDS} interleaved rounds, ms):`);
console.log('| state | median | p10 | p90 |');
console.log('|---|---|---|---|');
for (const name of names) {
  const sorted = [...times[name]].sort((a, b) => a - b);
  const at = (q) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  console.log(`| ${name} | ${medians[name].toFixed(1)} | ${at(0.1).toFixed(1)} | ${at(0.9).toFixed(1)} |`);
}
const values = Object.values(medians);
console.log(`slowest / fastest median: ${(Math.max(...values) / Math.min(...values)).toFixed(2)}`);
console.log(`distinct answers (status + body, address blanked): ${bodies.size}`);
