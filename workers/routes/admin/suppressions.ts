/**
 * POST /admin/suppressions/lift `{"email", "complaint"?}`: lifts the suppression of one
 * address, e.g. a bounce after its owner fixed their mailbox (src/subscriptions/operator.ts).
 * It never subscribes anyone: the owner signs up and confirms again. A complaint is lifted
 * only with `"complaint": true` (otherwise 409, nothing changed). Repeating a lift changes
 * nothing and says so (`lifted: false`).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { liftSuppression } from '../../../src/subscriptions/operator';
import { emailField } from '../../../src/subscriptions/schema';
import { jsonOnly, validJson } from '../../middleware/validate';
import type { HonoEnv } from '../../types';

const liftBody = z.object({ email: emailField, complaint: z.boolean().optional() }).strict();

export const adminSuppressionRoutes = new Hono<HonoEnv>().post(
  '/suppressions/lift',
  jsonOnly,
  validJson(liftBody, 'lift'),
  async (c) => {
    const { email, complaint } = c.req.valid('json');
    return c.json(await liftSuppression(c.var.app, email, { complaint: complaint ?? false }));
  },
);
