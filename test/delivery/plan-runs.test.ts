/**
 * Planner runs that do not end the way they started: a run cut short (a newer run took the
 * lease, a step failed) must not cost a due subscriber the period they were due in, and an
 * admin run for everyone must not be stopped by the hourly cron. Driven through the real
 * cron, admin route and plan-queue handlers, with a D1 that fails where a test says so.
 */
import { createExecutionContext, createScheduledController, env } from 'cloudflare:test';
import { beforeEach, describe, expect, it } from 'vitest';
import { CRONS } from '../../src/cron';
import { STEP_SUBSCRIBERS } from '../../src/delivery/plan-step';
import worker from '../../workers/index';
import { adminRequest } from '../helpers/app';
import { spyD1 } from '../helpers/d1-spy';
import {
  deliver,
  PLAN_QUEUE,
  planViaAdmin,
  resendEnv,
  resetDelivery,
  seedSubscribers,
  type TestEnv,
} from './helpers';

beforeEach(resetDelivery);

async function planViaCron(testEnv: TestEnv, at: string): Promise<void> {
  const controller = createScheduledController({ cron: CRONS.planDigests, scheduledTime: Date.parse(at) });
  await worker.scheduled(controller, testEnv, createExecutionContext());
}

async function deliveriesByPeriod(): Promise<Record<string, number>> {
  const { results } = await env.DB.prepare(
    'SELECT period_key, COUNT(*) AS n FROM deliveries GROUP BY period_key ORDER BY period_key',
  ).all<{ period_key: string; n: number }>();
  return Object.fromEntries(results.map((row) => [row.period_key, row.n]));
}

/** Daily at 23:00 UTC, scheduled for Thursday 26 November's send hour (as a run or an import leaves them). */
async function seedLateCohort(count: number): Promise<string[]> {
  const ids = await seedSubscribers(count, { sendHour: 23 });
  await env.DB.prepare("UPDATE subscribers SET next_send_at = '2026-11-26T23:00:00.000Z'").run();
  return ids;
}

describe('a run cut short loses no period', () => {
  it('a newer run whose first step fails: the next hourly run plans the day they were due in', async () => {
    await seedLateCohort(STEP_SUBSCRIBERS + 50);
    const older = resendEnv();
    await planViaCron(older.env, '2026-11-26T23:00:00.000Z');
    expect(older.continuations).toHaveLength(1);

    // Midnight: the next hourly run takes the lease, and its first step fails.
    const failing = spyD1(env.DB, (sql) => {
      if (sql.includes('next_send_at <= ?1')) throw new Error('D1 overloaded');
    });
    const broken = resendEnv({ DB: failing.db });
    await expect(planViaCron(broken.env, '2026-11-27T00:00:00.000Z')).rejects.toThrow('D1 overloaded');
    // The older run's continuation stops: the newer run holds the lease.
    expect(await deliver(older.env, older.continuations[0], 1, PLAN_QUEUE)).toEqual({
      acked: true,
      retryDelay: null,
    });
    expect(await deliveriesByPeriod()).toEqual({ '2026-11-26': STEP_SUBSCRIBERS });

    // 01:00 on the 27th: the 50 left still get Thursday's digest, late, and only that one.
    const next = resendEnv();
    await planViaCron(next.env, '2026-11-27T01:00:00.000Z');
    expect(await deliveriesByPeriod()).toEqual({ '2026-11-26': STEP_SUBSCRIBERS + 50 });
    const left = await env.DB.prepare(
      "SELECT COUNT(*) AS n FROM subscribers WHERE next_send_at = '2026-11-27T23:00:00.000Z'",
    ).first<{ n: number }>();
    expect(left!.n).toBe(STEP_SUBSCRIBERS + 50);

    // Friday's run plans Friday once for everyone; running it again plans nothing.
    const friday = resendEnv();
    await planViaCron(friday.env, '2026-11-27T23:00:00.000Z');
    const again = resendEnv();
    await planViaCron(again.env, '2026-11-27T23:30:00.000Z');
    expect(await deliveriesByPeriod()).toEqual({
      '2026-11-26': STEP_SUBSCRIBERS + 50,
      '2026-11-27': STEP_SUBSCRIBERS + 50,
    });
  });

  it('a newer run that supersedes one still going after midnight plans the rest in their day', async () => {
    await seedLateCohort(STEP_SUBSCRIBERS + 50);
    const older = resendEnv();
    await planViaCron(older.env, '2026-11-26T23:00:00.000Z');
    const newer = resendEnv();
    await planViaCron(newer.env, '2026-11-27T00:00:00.000Z');
    await deliver(older.env, older.continuations[0], 1, PLAN_QUEUE);
    expect(await deliveriesByPeriod()).toEqual({ '2026-11-26': STEP_SUBSCRIBERS + 50 });
  });
});

describe('an admin run for everyone', () => {
  it('is not cut short by the hourly run', async () => {
    // Due at 20:00: nobody is due by the clock at 08:30 or 09:00, so only the admin run plans.
    await seedSubscribers(STEP_SUBSCRIBERS + 50, { sendHour: 20 });
    const admin = resendEnv();
    const plan = await planViaAdmin(admin.env, { at: '2026-11-26T08:30:00.000Z', all: true });
    expect(plan.json.planned).toBe(STEP_SUBSCRIBERS);
    expect(admin.continuations).toHaveLength(1);

    const hourly = resendEnv();
    await planViaCron(hourly.env, '2026-11-26T09:00:00.000Z');
    expect(await deliver(admin.env, admin.continuations[0], 1, PLAN_QUEUE)).toEqual({
      acked: true,
      retryDelay: null,
    });
    expect(await deliveriesByPeriod()).toEqual({ '2026-11-26': STEP_SUBSCRIBERS + 50 });
  });

  it('reports its progress in /admin/stats until it has planned everyone', async () => {
    await seedSubscribers(STEP_SUBSCRIBERS + 50, { sendHour: 20 });
    const admin = resendEnv();
    const plan = await planViaAdmin(admin.env, { at: '2026-11-26T08:30:00.000Z', all: true });
    const runId = plan.json.run;
    expect(runId).toEqual(expect.any(String));
    const during = await stats();
    expect(during.planner.all).toMatchObject({
      run: runId,
      at: '2026-11-26T08:30:00.000Z',
      all: true,
      step: 1,
      planned: STEP_SUBSCRIBERS,
      finished: null,
    });
    expect(during.planner.hourly).toBeNull();

    const hourly = resendEnv();
    await planViaCron(hourly.env, '2026-11-26T09:00:00.000Z');
    await deliver(admin.env, admin.continuations[0], 1, PLAN_QUEUE);
    const after = await stats();
    expect(after.planner.all).toMatchObject({ run: runId, step: 2, planned: STEP_SUBSCRIBERS + 50 });
    expect(after.planner.all!.finished).toEqual(expect.any(String));
    expect(after.planner.hourly).toMatchObject({ at: '2026-11-26T09:00:00.000Z', all: false, planned: 0 });
    expect(after.planner.hourly!.finished).toEqual(expect.any(String));
  });
});

interface RunProgress {
  run: string;
  at: string;
  all: boolean;
  step: number;
  planned: number;
  finished: string | null;
}

async function stats(): Promise<{ planner: { hourly: RunProgress | null; all: RunProgress | null } }> {
  const response = await adminRequest('/admin/stats');
  expect(response.status).toBe(200);
  return response.json();
}
