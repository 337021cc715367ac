/**
 * POST /webhooks/resend: Resend's delivery events, signed with Svix. The body is capped
 * (256 kB, answered 413 before the rest is read or any HMAC computed, signed or not),
 * then the signature is checked with `standardwebhooks` over the raw body (HMAC-SHA256 of
 * id.timestamp.body with the base64 secret after `whsec_`; timestamps more than 5 minutes
 * off are refused, so a captured request cannot be replayed later). What the event means
 * and does is src/delivery/webhook-events.ts; each event is stored once, keyed by svix-id.
 */
import { Hono } from 'hono';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { parseResendEvent, recordResendEvent } from '../../src/delivery/webhook-events';
import { AppError } from '../../src/errors';
import { logEvent } from '../../src/lib/log';
import { webhookBodyLimit } from '../middleware/body-limit';
import type { HonoEnv } from '../types';

export const webhookRoutes = new Hono<HonoEnv>().post('/resend', webhookBodyLimit, async (c) => {
  const header = (name: string) => c.req.header(`svix-${name}`) ?? c.req.header(`webhook-${name}`);
  const id = header('id');
  const timestamp = header('timestamp');
  const signature = header('signature');
  if (!id || !timestamp || !signature) {
    throw new AppError(400, 'missing_signature', 'Missing svix-id, svix-timestamp or svix-signature header');
  }
  const body = await c.req.text();
  try {
    new Webhook(c.var.config.RESEND_WEBHOOK_SECRET).verify(
      body,
      { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature },
      { jsonParse: false },
    );
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof WebhookVerificationError) {
      throw new AppError(401, 'invalid_signature', `Webhook signature rejected: ${message}`);
    }
    throw error;
  }

  const event = parseResendEvent(body);
  const recorded = await recordResendEvent(c.var.app, id, body, event);
  logEvent('resend_webhook', {
    svix_id: id,
    type: event.type,
    duplicate: !recorded.fresh,
    delivery: recorded.deliveryId,
    suppressed: recorded.suppressed,
  });
  return c.json({ ok: true, duplicate: !recorded.fresh });
});
