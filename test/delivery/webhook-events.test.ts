/**
 * What each Resend event means, as a table: which ones suppress the address for good and
 * why (permanent bounce, complaint, Resend suppression), which only inform (delivered,
 * delayed, transient bounce, opened), which failures pass (the digest is sent again),
 * where the recipient and our delivery tag come from in both tag shapes Resend has used,
 * and what is refused as not a Resend event at all.
 */
import { describe, expect, it } from 'vitest';
import { classifyResendEvent, parseResendEvent } from '../../src/delivery/webhook-events';
import { AppError } from '../../src/errors';

const event = (type: string, data: Record<string, unknown> = {}) =>
  parseResendEvent(JSON.stringify({ type, created_at: '2026-11-26T09:00:00.000Z', data }));

describe('classifyResendEvent', () => {
  it.each([
    ['email.bounced', { bounce: { type: 'Permanent' } }, 'bounced'],
    ['email.bounced', { bounce: { type: 'permanent' } }, 'bounced'],
    ['email.bounced', { bounce: { type: 'Transient' } }, null],
    ['email.bounced', { bounce: { type: 'Undetermined' } }, null],
    ['email.bounced', {}, null],
    ['email.complained', {}, 'complained'],
    ['email.suppressed', {}, 'suppressed'],
    ['email.delivered', {}, null],
    ['email.delivery_delayed', {}, null],
    ['email.sent', {}, null],
    ['email.opened', {}, null],
    ['contact.created', {}, null],
  ])('%s %j suppresses: %s', (type, data, reason) => {
    expect(classifyResendEvent(event(type, data)).suppression).toBe(reason);
  });

  // Only a reason that passes sends the digest again; anything else, or none, stays failed.
  it.each([
    ['email.failed', { failed: { reason: 'reached_daily_quota' } }, { quota: 'daily' }],
    ['email.failed', { failed: { reason: 'reached_monthly_quota' } }, { quota: 'monthly' }],
    ['email.failed', { failed: { reason: 'rate_limit_exceeded' } }, { quota: null }],
    ['email.failed', { failed: { reason: 'temporarily_unavailable' } }, { quota: null }],
    ['email.failed', { failed: { reason: 'invalid_recipient' } }, null],
    ['email.failed', { failed: { reason: 'domain_not_verified' } }, null],
    ['email.failed', { failed: { reason: 42 } }, null],
    ['email.failed', { failed: {} }, null],
    ['email.failed', {}, null],
    ['email.suppressed', { failed: { reason: 'reached_daily_quota' } }, null],
    ['email.delivered', {}, null],
  ])('%s %j is temporary: %j', (type, data, temporary) => {
    expect(classifyResendEvent(event(type, data)).temporary).toEqual(temporary);
  });

  it('takes the first recipient, from a bare address or a display name, normalised', () => {
    expect(
      classifyResendEvent(event('email.delivered', { to: ['Ada <Ada@Example.ORG>', 'b@x.org'] })).recipient,
    ).toBe('Ada@example.org');
    expect(classifyResendEvent(event('email.delivered', { to: 'grace@EXAMPLE.com' })).recipient).toBe(
      'grace@example.com',
    );
    expect(classifyResendEvent(event('email.delivered', {})).recipient).toBeNull();
  });

  it('reads our delivery tag from both tag shapes, and the message id and time', () => {
    const current = classifyResendEvent(
      event('email.delivered', { email_id: 'em_1', tags: { delivery: 'del-1', category: 'digest' } }),
    );
    expect(current).toMatchObject({
      deliveryTag: 'del-1',
      emailId: 'em_1',
      occurredAt: '2026-11-26T09:00:00.000Z',
    });
    const older = classifyResendEvent(
      event('email.delivered', { tags: [{ name: 'delivery', value: 'del-2' }] }),
    );
    expect(older.deliveryTag).toBe('del-2');
    expect(classifyResendEvent(event('email.delivered', { tags: { delivery: 7 } })).deliveryTag).toBeNull();
  });
});

describe('parseResendEvent', () => {
  it('refuses bodies that are not JSON (400) or not a Resend event (422)', () => {
    expect(() => parseResendEvent('{')).toThrowError(AppError);
    try {
      parseResendEvent('{"data": {}}');
      expect.unreachable();
    } catch (error) {
      expect((error as AppError).status).toBe(422);
      expect((error as AppError).fields?.body?.[0]).toMatch(/type/);
    }
  });
});
