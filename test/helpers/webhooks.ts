/**
 * Resend's webhook as it reaches us: a JSON event POSTed to /webhooks/resend and signed the
 * way Svix signs it (HMAC-SHA256 of id.timestamp.body with the test run's secret, or
 * another one to play an impostor).
 */
import { env } from 'cloudflare:test';
import { Webhook } from 'standardwebhooks';
import { request } from './app';

const signer = new Webhook(env.RESEND_WEBHOOK_SECRET);
let sequence = 0;

export function signedWebhook(payload: unknown, options: { id?: string; at?: Date; secret?: string } = {}) {
  const body = JSON.stringify(payload);
  const id = options.id ?? `msg_${Date.now()}_${sequence++}`;
  const at = options.at ?? new Date();
  const signature = (options.secret ? new Webhook(options.secret) : signer).sign(id, at, body);
  return request('/webhooks/resend', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'svix-id': id,
      'svix-timestamp': String(Math.floor(at.getTime() / 1000)),
      'svix-signature': signature,
    },
    body,
  });
}
