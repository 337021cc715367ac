/**
 * How every answer Resend documents is classified, one row per error: the class decides
 * whether a claimed group is replayed (same key), marked sent, failed, or parked for a
 * quota reset, so a wrong row here is either a lost digest or a duplicate one.
 */
import { describe, expect, it } from 'vitest';
import {
  classifyResendError,
  encodeBatch,
  encodeEmail,
  releaseBatch,
  releaseSpareBodies,
  resendTransport,
  type SendResult,
} from '../../src/delivery/transport';
import { asciiJson, asciiJsonBytes, chunksToString } from '../../src/lib/json';
import { fakeResend } from './helpers';

const error = (statusCode: number | null, name: string, message = `${name} message`) => ({
  statusCode,
  name,
  message,
});

describe('classifyResendError', () => {
  const table: [
    string,
    ReturnType<typeof error>,
    Record<string, string> | null,
    SendResult['kind'],
    object?,
  ][] = [
    // An earlier attempt with this key reached Resend (different body): treat as sent, never resend.
    [
      '409 invalid_idempotent_request',
      error(409, 'invalid_idempotent_request'),
      null,
      'idempotency_conflict',
    ],
    // The first request with this key is still in flight: retry the same key later.
    ['409 concurrent_idempotent_requests', error(409, 'concurrent_idempotent_requests'), null, 'retryable'],
    ['429 daily quota', error(429, 'daily_quota_exceeded'), null, 'quota_exceeded', { period: 'daily' }],
    [
      '429 monthly quota',
      error(429, 'monthly_quota_exceeded'),
      null,
      'quota_exceeded',
      { period: 'monthly' },
    ],
    [
      '429 rate limit with retry-after',
      error(429, 'rate_limit_exceeded'),
      { 'retry-after': '3', 'ratelimit-reset': '1' },
      'rate_limited',
      { retryAfterSeconds: 3 },
    ],
    [
      '429 rate limit with only ratelimit-reset',
      error(429, 'rate_limit_exceeded'),
      { 'ratelimit-reset': '2' },
      'rate_limited',
      { retryAfterSeconds: 2 },
    ],
    // A wait of a day would stop every send of the deployment (the hold is shared).
    [
      '429 asking for a day',
      error(429, 'rate_limit_exceeded'),
      { 'retry-after': '86400' },
      'rate_limited',
      { retryAfterSeconds: 60 },
    ],
    [
      '429 without headers',
      error(429, 'rate_limit_exceeded'),
      null,
      'rate_limited',
      { retryAfterSeconds: 1 },
    ],
    // The account's configuration (key, sending domain, from address) fails every email
    // alike until an operator fixes it: sending pauses, the digests wait.
    ['401 missing_api_key', error(401, 'missing_api_key'), null, 'misconfigured'],
    ['401 restricted_api_key', error(401, 'restricted_api_key'), null, 'misconfigured'],
    ['403 invalid_api_key', error(403, 'invalid_api_key'), null, 'misconfigured'],
    [
      '403 domain not verified',
      error(403, 'validation_error', 'The a.io domain is not verified.'),
      null,
      'misconfigured',
    ],
    [
      '403 test mode',
      error(403, 'validation_error', 'You can only send testing emails to …'),
      null,
      'misconfigured',
    ],
    ['422 invalid_from_address', error(422, 'invalid_from_address'), null, 'misconfigured'],
    ['403 invalid_from_address', error(403, 'invalid_from_address'), null, 'misconfigured'],
    ['422 on the from field', error(422, 'validation_error', 'Invalid `from` field.'), null, 'misconfigured'],
    // About one recipient: that email is refused, the others are not held back.
    [
      '422 on the to field',
      error(422, 'validation_error', 'Invalid `to` field.'),
      null,
      'rejected',
      { status: 422 },
    ],
    ['422 validation_error', error(422, 'validation_error'), null, 'rejected', { status: 422 }],
    ['400 invalid_idempotency_key', error(400, 'invalid_idempotency_key'), null, 'rejected'],
    ['451 security_error', error(451, 'security_error'), null, 'rejected'],
    // A proxy's page in front of Resend (a CDN's 403 or 413 in HTML): the SDK cannot parse it
    // and names it application_error. It is not Resend refusing the emails: retry.
    [
      '403 HTML page from a proxy',
      error(
        403,
        'application_error',
        'Internal server error. We are unable to process your request right now, please try again later.',
      ),
      null,
      'retryable',
      { status: 403 },
    ],
    ['413 HTML page from a proxy', error(413, 'application_error'), null, 'retryable', { status: 413 }],
    ['500 internal_server_error', error(500, 'internal_server_error'), null, 'retryable', { status: 500 }],
    ['502 application_error', error(502, 'application_error'), null, 'retryable', { status: 502 }],
    ['503 without a body', error(503, 'application_error'), null, 'retryable'],
    // The SDK reports network failures and timeouts without a status.
    ['network error', error(null, 'application_error'), null, 'retryable', { status: null }],
  ];

  it.each(table)('%s', (_label, input, headers, kind, fields) => {
    const result = classifyResendError(input, headers);
    expect(result.kind).toBe(kind);
    if (fields) expect(result).toMatchObject(fields);
  });

  // RFC 9110 allows retry-after as an HTTP-date too: it is waited out, capped like seconds.
  it('waits until a retry-after given as an HTTP-date, capped at a minute', () => {
    const limited = error(429, 'rate_limit_exceeded');
    const inSeconds = (seconds: number) => ({
      'retry-after': new Date(Date.now() + seconds * 1000).toUTCString(),
    });
    const soon = classifyResendError(limited, inSeconds(30));
    expect(soon.kind).toBe('rate_limited');
    // An HTTP-date counts whole seconds: 29.x s from now, rounded up.
    expect(soon).toMatchObject({ retryAfterSeconds: expect.any(Number) });
    const wait = (soon as { retryAfterSeconds: number }).retryAfterSeconds;
    expect(wait).toBeGreaterThanOrEqual(29);
    expect(wait).toBeLessThanOrEqual(30);
    expect(classifyResendError(limited, inSeconds(86_400))).toMatchObject({ retryAfterSeconds: 60 });
    // A date already past (clock skew) or a value that is neither: the shortest wait.
    expect(classifyResendError(limited, inSeconds(-30))).toMatchObject({ retryAfterSeconds: 1 });
    expect(classifyResendError(limited, { 'retry-after': 'soon' })).toMatchObject({ retryAfterSeconds: 1 });
  });

  // JSON that is not Resend's error shape ({"statusCode","name","message"}): a proxy's.
  it('takes only a Resend-shaped JSON error as a permanent refusal', () => {
    const odd = [
      { statusCode: 400, message: 'Bad request' },
      { statusCode: 400, name: 'validation_error' },
      { statusCode: '400', name: 'validation_error', message: 'Bad request' },
      { error: 'Forbidden' },
    ];
    for (const input of odd)
      expect(classifyResendError(input as Parameters<typeof classifyResendError>[0], null).kind).toBe(
        'retryable',
      );
  });

  it('keeps Resend’s message for operators', () => {
    expect(classifyResendError(error(422, 'validation_error', 'Invalid `to` field.'), null)).toEqual({
      kind: 'rejected',
      status: 422,
      name: 'validation_error',
      message: 'Invalid `to` field.',
    });
  });
});

describe('encodeBatch', () => {
  it('builds the JSON value the SDK would send, in ASCII, one email at a time', () => {
    const emails = [0, 1, 2].map((index) => ({
      from: 'Papers Digest <digest@example.com>',
      to: `reader${index}@example.org`,
      subject: `${index} new papers: “Quoted” & <tagged> 👍`,
      html: `<p class="pd-w" style="color:#0f5132">Why: matches “RLHF” · ▲ ${index}</p>\u2028`,
      text: `Why: matches “RLHF”\n👍 More like this https://digest.test/feedback?token=t&paper=${index}`,
      headers: { 'List-Unsubscribe': '<https://digest.test/unsubscribe?token=x>' },
      tags: [{ name: 'delivery', value: `d-${index}` }],
      // REPLY_TO set or not: the field is there only when it is.
      ...(index === 1 ? { replyTo: 'replies@example.org' } : {}),
    }));
    // The SDK's batch.send: parseEmailToApiOptions (fields in this order), then one stringify.
    const sdk = JSON.stringify(
      emails.map((email) => ({
        attachments: undefined,
        bcc: undefined,
        cc: undefined,
        from: email.from,
        headers: email.headers,
        html: email.html,
        reply_to: email.replyTo,
        scheduled_at: undefined,
        subject: email.subject,
        tags: email.tags,
        text: email.text,
        to: email.to,
        template: undefined,
        topic_id: undefined,
      })),
    );
    const batch = encodeBatch(emails);
    const body = new TextDecoder().decode(batch.bytes);
    // Same value, same field order; only the escapes differ (ASCII keeps the body one-byte).
    expect(JSON.parse(body)).toEqual(JSON.parse(sdk));
    expect(JSON.stringify(JSON.parse(body))).toBe(sdk);
    expect(body).toMatch(/^[\x20-\x7e]*$/);
    expect(batch.bytes.length).toBe(body.length);
    expect(batch.emails).toEqual(emails);
    expect(new TextDecoder().decode(encodeBatch([]).bytes)).toBe('[]');
    // A piece that is not ASCII would not fit the size measured for it: refused, not mangled.
    expect(() => encodeBatch(emails.slice(0, 1), [['{"a":"👍"}']])).toThrow(/not ASCII/);
  });

  it('escapes a short piece in one pass exactly as a long one is: JSON.stringify, then \\uXXXX past 0x7E', () => {
    const decoder = new TextDecoder();
    // Every UTF-16 code unit (lone surrogates included), between ASCII letters.
    for (let code = 0; code < 0x10000; code++) {
      const value = `a${String.fromCharCode(code)}b`;
      const json = asciiJson(value);
      const bytes = decoder.decode(asciiJsonBytes(value));
      if (bytes !== json.slice(1, -1)) expect([code, bytes]).toEqual([code, json.slice(1, -1)]);
    }
    // Pairs, quotes, controls; and a piece too long for the one-pass path.
    for (const value of ['👍 “RLHF” · \\ "q"\n\t\u0001\u007f…', `${'x'.repeat(300)}“👍”`]) {
      expect(JSON.parse(`"${decoder.decode(asciiJsonBytes(value))}"`)).toBe(value);
      expect(decoder.decode(asciiJsonBytes(value))).toBe(asciiJson(value).slice(1, -1));
    }
  });

  it('takes html and text from an email that brings them encoded, and nothing else of it', () => {
    const email = {
      from: 'Papers Digest <digest@example.com>',
      to: 'reader@example.org',
      subject: 'Über “papers”',
      html: '<p>👍</p>',
      text: '👍',
      json: { html: ['"<p>', asciiJsonBytes('👍'), '</p>"'], text: [asciiJson('👍')] },
    };
    const parsed = JSON.parse(chunksToString(encodeEmail(email)));
    expect(parsed).toEqual({
      from: email.from,
      html: email.html,
      subject: email.subject,
      text: email.text,
      to: email.to,
    });
    expect(Object.keys(parsed)).toEqual(['from', 'html', 'subject', 'text', 'to']);
  });

  it('encodes the next batch into a sent batch’s buffer, every byte its own, and never sends a batch twice', async () => {
    const email = (index: number, size: number) => ({
      from: 'Papers Digest <digest@example.com>',
      to: `reader${index}@example.org`,
      subject: `Digest ${index}`,
      html: `<p>${'x'.repeat(size)}</p>`,
      text: 'y'.repeat(size),
    });
    const big = encodeBatch([email(1, 5_000), email(2, 5_000)]);
    const buffer = big.bytes.buffer;
    releaseBatch(big);
    releaseBatch(big); // a second release must not hand the buffer out twice
    // A smaller body lands in the larger, used buffer: exactly its own bytes, nothing of the old tail.
    const small = encodeBatch([email(3, 10)]);
    expect(small.bytes.buffer).toBe(buffer);
    const other = encodeBatch([email(4, 10)]);
    expect(other.bytes.buffer).not.toBe(buffer);
    const fresh = new TextDecoder().decode(small.bytes);
    expect(JSON.parse(fresh)).toEqual([email(3, 10)]);
    expect(small.bytes.length).toBe(fresh.length);

    // The transport gives the buffer back once Resend has answered, and refuses to send it again.
    const resend = fakeResend();
    const transport = resendTransport('re_test', 'https://api.resend.com', 1_000);
    const sent = await transport.sendBatch(other, { idempotencyKey: 'k' });
    expect(sent.kind).toBe('sent');
    expect(resend.requests[0]!.emails).toMatchObject([{ to: 'reader4@example.org' }]);
    await expect(transport.sendBatch(other, { idempotencyKey: 'k' })).rejects.toThrow(/already sent/);
    expect(encodeBatch([email(5, 10)]).bytes.buffer).toBe(other.bytes.buffer);
  });

  it('sizes a new body buffer to its batch with a little room, and keeps no spare too small to reuse', () => {
    releaseSpareBodies();
    const email = (index: number, size: number) => ({
      from: 'Papers Digest <digest@example.com>',
      to: `reader${index}@example.org`,
      subject: `Digest ${index}`,
      html: `<p>${'x'.repeat(size)}</p>`,
      text: '',
    });
    const first = encodeBatch([email(1, 100_000)]);
    const size = first.bytes.byteLength;
    // Room for a batch a few percent larger (an edition's bodies differ by that much), no more.
    expect(first.bytes.buffer.byteLength).toBe(Math.ceil(size * (1 + 1 / 32)));
    releaseBatch(first);
    const slightlyLarger = encodeBatch([email(2, 102_000)]);
    expect(slightlyLarger.bytes.buffer).toBe(first.bytes.buffer);
    releaseBatch(slightlyLarger);
    // A batch past the room: a new buffer, and the smaller one is not kept idle beside it
    // (kept, the next batch would have landed in it).
    const larger = encodeBatch([email(3, 120_000)]);
    expect(larger.bytes.buffer).not.toBe(first.bytes.buffer);
    releaseBatch(larger);
    const next = encodeBatch([email(4, 100_000)]);
    expect(next.bytes.buffer).toBe(larger.bytes.buffer);
    expect(JSON.parse(new TextDecoder().decode(next.bytes))).toEqual([email(4, 100_000)]);
  });

  it('lets the kept buffers go when asked (an edition being set up), and encodes into new ones', () => {
    const batch = encodeBatch([
      { from: 'a@example.com', to: 'b@example.org', subject: 's', html: 'h', text: 't' },
    ]);
    const buffer = batch.bytes.buffer;
    releaseBatch(batch);
    releaseSpareBodies();
    const next = encodeBatch([
      { from: 'a@example.com', to: 'c@example.org', subject: 's', html: 'h', text: 't' },
    ]);
    expect(next.bytes.buffer).not.toBe(buffer);
    expect(JSON.parse(new TextDecoder().decode(next.bytes))[0].to).toBe('c@example.org');
  });
});
