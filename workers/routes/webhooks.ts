/**
 * POST /webhooks/resend: Resend's delivery events, signed with Svix. The signature is
 * checked with `standardwebhooks` over the raw body (HMAC-SHA256 of id.timestamp.body with
 * the base64 secret after `whsec_`; timestamps more than 5 minutes off are refused, so a
 * captured request cannot be replayed later). Each event is stored once, keyed by svix-id.
 * Hard bounces, complaints and Resend suppressions suppress the subscriber for good;
 * every event about a digest (delivered, delayed, soft bounce, opened …) is recorded on
 * its delivery, found by the `delivery` tag we send or by the Resend message id.
 */
import { Hono } from 'hono';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { z } from 'zod';
import { findDeliveryForEvent } from '../../src/db/deliveries';
import { getSubscriberByEmail } from '../../src/db/subscribers';
import type { SuppressionReason } from '../../src/db/suppressions';
import { type EventEffects, storeWebhookEvent } from '../../src/db/webhook-events';
import { AppError } from '../../src/errors';
import { logEvent } from '../../src/lib/log';
import { normalizeEmail } from '../../src/subscriptions/schema';
import type { HonoEnv } from '../types';

/** Resend's event envelope; unknown fields are kept in the stored payload. */
const eventSchema = z.object({
  type: z.string().min(1),
  created_at: z.string().optional(),
  data: z
    .object({
      email_id: z.string().optional(),
      to: z.union([z.array(z.string()), z.string()]).optional(),
      created_at: z.string().optional(),
      tags: z
        .union([
          z.record(z.string(), z.unknown()),
          z.array(z.object({ name: z.string(), value: z.unknown() }).passthrough()),
        ])
        .nullish(),
      bounce: z.object({ type: z.string().optional() }).passthrough().nullish(),
    })
    .passthrough()
    .default({}),
});

type ResendEvent = z.infer<typeof eventSchema>;

/** Resend sends tags as an object ({name: value}) today and as [{name, value}] in older payloads. */
function tagValue(tags: ResendEvent['data']['tags'], name: string): string | null {
  if (!tags) return null;
  const value = Array.isArray(tags) ? tags.find((tag) => tag.name === name)?.value : tags[name];
  return typeof value === 'string' && value ? value : null;
}

function recipient(event: ResendEvent): string | null {
  const to = Array.isArray(event.data.to) ? event.data.to[0] : event.data.to;
  if (!to) return null;
  const address = /<([^>]+)>/.exec(to)?.[1] ?? to;
  return normalizeEmail(address) ?? address.trim();
}

function suppressionReason(event: ResendEvent): SuppressionReason | null {
  switch (event.type) {
    case 'email.bounced':
      return event.data.bounce?.type?.toLowerCase() === 'permanent' ? 'bounced' : null;
    case 'email.complained':
      return 'complained';
    case 'email.suppressed':
      return 'suppressed';
    default:
      return null;
  }
}

export const webhookRoutes = new Hono<HonoEnv>().post('/resend', async (c) => {
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

  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch {
    throw new AppError(400, 'invalid_json', 'The webhook body is not JSON');
  }
  const parsed = eventSchema.safeParse(json);
  if (!parsed.success) {
    throw new AppError(422, 'invalid_event', 'The webhook body is not a Resend event', {
      body: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  const event = parsed.data;
  const db = c.var.app.db;
  const emailId = event.data.email_id ?? null;
  const to = recipient(event);

  const effects: EventEffects = {};
  const delivery = event.type.startsWith('email.')
    ? await findDeliveryForEvent(db, tagValue(event.data.tags, 'delivery'), emailId)
    : null;
  if (delivery) {
    effects.delivery = {
      id: delivery.id,
      eventAt: event.created_at ?? event.data.created_at ?? new Date().toISOString(),
      resendId: emailId,
    };
  }
  const reason = suppressionReason(event);
  if (reason && to) {
    const subscriber = delivery ? null : await getSubscriberByEmail(db, to);
    effects.suppress = { subscriberId: delivery?.subscriberId ?? subscriber?.id ?? null, email: to, reason };
  }

  const fresh = await storeWebhookEvent(
    db,
    { svixId: id, type: event.type, emailId, recipient: to, payload: body },
    effects,
  );
  logEvent('resend_webhook', {
    svix_id: id,
    type: event.type,
    duplicate: !fresh,
    delivery: delivery?.id ?? null,
    suppressed: fresh && effects.suppress ? effects.suppress.reason : null,
  });
  return c.json({ ok: true, duplicate: !fresh });
});
