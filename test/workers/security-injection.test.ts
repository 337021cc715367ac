/**
 * Hostile paper metadata, as anyone can publish it on arXiv or Hugging Face: markup and
 * script in titles, abstracts and author names, CR/LF in a title, an XML CDATA terminator.
 * Sent through the real pipeline (planner, queue consumer, the fake Resend at the HTTP
 * boundary) and read back from every place that shows papers: the email's HTML, text,
 * subject and headers, the web view (/digest), the private Atom feed, the archive and the
 * landing page. Nothing may come out as live markup, and no header may gain a line.
 */
import { env } from 'cloudflare:test';
import { XMLParser } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { sendMessageSchema } from '../../src/delivery/messages';
import { parseConfig } from '../../src/env';
import { feedUrl } from '../../src/links';
import {
  deliver,
  fakeResend,
  planViaAdmin,
  type ResendRequest,
  resendEnv,
  resetDelivery,
  seedPaper,
  seedSubscriber,
} from '../delivery/helpers';
import { request } from '../helpers/app';

const config = parseConfig(env);
const TITLE =
  'Diffusion models <script>alert("title")</script> "><img src=x onerror=alert(1)> ]]> & more\r\nBcc: evil@attacker.example';
const ABSTRACT =
  'We study diffusion models and attention. <iframe src="https://evil.example/"></iframe><svg onload=alert(3)>';
const AUTHOR = '<b onmouseover=alert(2)>Mallory</b>';
/** What must never appear as markup in HTML we serve or send. */
const LIVE_MARKUP = [
  /<script>alert/i,
  /<img src=x/i,
  /<iframe src="https:\/\/evil/i,
  /<svg onload/i,
  /<b onmouseover/i,
];

function expectInert(html: string, where: string) {
  for (const pattern of LIVE_MARKUP) {
    const at = html.search(pattern);
    // An attribute value may hold the text escaped (&quot;, &lt;), never raw markup.
    expect(at, `${where}: ${pattern} at ${html.slice(Math.max(0, at - 80), at + 80)}`).toBe(-1);
  }
}

let email: ResendRequest['emails'][number];
let subscriber: Awaited<ReturnType<typeof seedSubscriber>>;

beforeAll(async () => {
  await resetDelivery();
  const resend = fakeResend();
  await seedPaper({
    ingestedAt: '2026-11-26T01:00:00.000Z',
    title: TITLE,
    abstract: ABSTRACT,
    authors: [AUTHOR],
  });
  subscriber = await seedSubscriber();
  const { env: testEnv, queued } = resendEnv();
  await planViaAdmin(testEnv, { at: '2026-11-26T09:00:00.000Z' });
  await deliver(testEnv, sendMessageSchema.parse(queued[0]));
  email = resend.requests[0]!.emails[0]!;
});

describe('hostile paper metadata', () => {
  it('sends an email whose subject and headers gained no line', () => {
    expect(email.subject).toContain('Diffusion models');
    expect(email.subject).not.toMatch(/[\r\n]/);
    for (const [name, value] of Object.entries(email.headers ?? {})) {
      expect(`${name}: ${value}`).not.toMatch(/[\r\n]/);
    }
  });

  it('escapes the markup in the email HTML and keeps it readable in the text part', () => {
    expectInert(email.html, 'email html');
    expect(email.html).toContain('&lt;script&gt;');
    expect(email.text).toContain('<script>alert("title")</script>');
  });

  it('escapes it on the web view of the digest', async () => {
    const link = /href="([^"]*\/digest\?token=[^"]+)"/.exec(email.html)?.[1];
    expect(link).toBeDefined();
    const url = new URL(link!.replaceAll('&amp;', '&'));
    const response = await request(`${url.pathname}${url.search}`);
    expect(response.status).toBe(200);
    const html = await response.text();
    expect(html).toContain('Diffusion models');
    expectInert(html, '/digest');
  });

  it('keeps the Atom feed well-formed, its entries inert once a reader unescapes them', async () => {
    const url = new URL(await feedUrl(config, subscriber));
    const response = await request(`${url.pathname}${url.search}`);
    expect(response.status).toBe(200);
    const xml = await response.text();
    const parser = new XMLParser({ ignoreAttributes: false, processEntities: true, htmlEntities: true });
    const feed = parser.parse(xml) as {
      feed: { entry: { title: string; summary: string; content: { '#text': string; '@_type': string } } };
    };
    const { entry } = feed.feed;
    // Titles and summaries are Atom text (shown as typed); content is HTML once unescaped.
    expect(entry.title).toContain('<script>alert("title")</script>');
    expect(entry.title).not.toMatch(/[\r\n]/);
    expect(entry.content['@_type']).toBe('html');
    expect(entry.content['#text']).toContain('Diffusion models');
    expectInert(entry.content['#text'], '/feed content');
  });

  it('escapes it in the public archive and on the landing page', async () => {
    for (const path of ['/papers/2026-11-26', '/papers', '/']) {
      const response = await request(path);
      expect(response.status, path).toBe(200);
      const html = await response.text();
      expect(html, path).toContain('&lt;script&gt;alert');
      expectInert(html, path);
    }
  });
});
