/** @jsxImportSource hono/jsx */
/**
 * GET /admin: a small, read-only HTML dashboard for operators (the admin sub-app has
 * already checked the token; browsers log in with HTTP Basic auth, password = ADMIN_TOKEN).
 * It shows what /admin/stats counts plus the context needed to act on it: recent ingest
 * runs per source, recent editions with their delivery outcomes, webhook events (bounces,
 * complaints), suppressions and what holds sending (the Resend quota, or Resend refusing
 * our configuration: then what to fix). It has no buttons on purpose: a
 * page that can trigger actions with ambient Basic credentials invites CSRF; actions stay
 * in the Bearer-token API.
 */
import { Hono } from 'hono';
import { type AppStateEntry, getDashboardData } from '../../../src/db/admin';
import { getStats } from '../../../src/db/stats';
import { CONFIG_PAUSE_KEY, CONFIG_PAUSE_MS, type ConfigPause } from '../../../src/delivery/quota';
import { WEBHOOK_EVENT_DAYS } from '../../../src/delivery/retention';
import type { Config } from '../../../src/env';
import { ingestWaits } from '../../../src/ingest/status';
import type { HonoEnv } from '../../types';
import { Layout } from '../../views/layout';
import { EXPORT_ROWS_PER_RESPONSE } from './subscribers';

const styles = `
main { max-width: 72rem; }
.grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(11rem, 1fr)); gap: .75rem; }
.stat { background: var(--card); border: 1px solid var(--line); border-radius: 10px; padding: .6rem .9rem; }
.stat b { display: block; font-size: 1.6rem; line-height: 1.2; }
.stat span { color: var(--muted); font-size: .9rem; }
table { font-size: .92rem; margin-top: .5rem; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; }
.failed { color: var(--error); font-weight: 600; }
.okay { color: var(--ok); font-weight: 600; }
.banner { border-left: 4px solid var(--error); background: var(--card); padding: .6rem 1rem; margin: 1rem 0; }
.banner.good { border-left-color: var(--ok); }
code.small { font-size: .8rem; word-break: break-all; }
nav.admin a { margin-right: 1rem; }
`;

const when = (iso: string | null | undefined): string => (iso ? iso.replace('T', ' ').slice(0, 19) : '–');

function Stat(props: { label: string; value: number | string }) {
  return (
    <div class="stat">
      <b>{props.value}</b>
      <span>{props.label}</span>
    </div>
  );
}

function retentionNote(config: Config): string {
  const kept = (days: number, name: string) => (days > 0 ? `${days} days (${name})` : `for ever (${name}=0)`);
  const digests = kept(config.DIGEST_RETENTION_DAYS, 'DIGEST_RETENTION_DAYS');
  const papers = kept(config.PAPER_RETENTION_DAYS, 'PAPER_RETENTION_DAYS');
  return `Sent digests are kept ${digests}, papers ${papers} and while a kept digest shows them, Resend's events ${WEBHOOK_EVENT_DAYS} days: the counts above are of what is kept.`;
}

/**
 * What the operator changes for each refusal src/delivery/transport.ts counts as one of the
 * configuration (its `configurationRefused`), in Resend's words of the answer: the banner
 * is read by whoever can fix it, not by someone who knows Resend's error names.
 */
function configurationFix(refusal: { status: number; name: string; message: string }): string {
  if (refusal.name === 'invalid_from_address' || /`(from|reply_to)`/.test(refusal.message))
    return 'correct the sender (MAIL_FROM) or reply-to (REPLY_TO) address in wrangler.toml ([env.production.vars]) and deploy.';
  if (refusal.status === 401 || /api[ _]key/i.test(`${refusal.name} ${refusal.message}`))
    return 'set a valid Resend API key with sending access (wrangler secret put RESEND_API_KEY --env production).';
  return "verify the domain of MAIL_FROM in Resend (Domains); an account without a verified domain sends only to its owner's address.";
}

/** How often the planner's sweep puts parked digests back on the queue (the hourly cron). */
const SWEEP_INTERVAL_MS = 3_600_000;

/**
 * A configuration pause that ended less than a sweep ago: no digest may have asked Resend
 * since (the parked ones go back with the next hourly run), so "sending is active" would
 * claim what nobody knows. One refused again renews the pause; one that went through is
 * followed by no new refusal, and the note goes an hour after its pause.
 */
function recentRefusal(state: AppStateEntry[]): ConfigPause | null {
  const stored = state.find((entry) => entry.key === CONFIG_PAUSE_KEY)?.value as ConfigPause | undefined;
  return stored && Date.now() - Date.parse(stored.until) < SWEEP_INTERVAL_MS ? stored : null;
}

export const adminDashboardRoutes = new Hono<HonoEnv>().get('/', async (c) => {
  const db = c.var.app.db;
  const [stats, data, waits] = await Promise.all([getStats(db), getDashboardData(db), ingestWaits(db)]);
  const eventCount = (type: string) => data.webhookEvents.find((event) => event.type === type);
  const complaints = eventCount('email.complained');
  const suppressedEvents = eventCount('email.suppressed');
  const refusal = stats.sendingRefused ?? recentRefusal(data.appState);
  // The pauses shown have their banner; an older configuration refusal stays listed here.
  const otherState = data.appState.filter(
    (entry) => entry.key !== 'resend_quota_pause' && !(entry.key === CONFIG_PAUSE_KEY && refusal),
  );
  return c.html(
    <Layout title="Admin · Papers Digest" head={<style>{styles}</style>}>
      <nav class="admin" aria-label="Admin">
        <a href="/">Site</a>
        <a href="/papers">Archive</a>
        <a href="/admin/stats">stats.json</a>
        <a href="/admin/subscribers/export">Export subscribers (CSV)</a>
        <a href="/admin/subscribers/export?status=active">Export active (CSV)</a>
      </nav>
      <h1>Papers Digest admin</h1>

      {refusal ? (
        <div class="banner" role="alert">
          {stats.sendingRefused ? (
            <p>
              <strong>Sending is paused: Resend refuses our configuration</strong>, last at{' '}
              {when(refusal.since)} UTC ({refusal.status} {refusal.name}: {refusal.message}).
            </p>
          ) : (
            <p>
              <strong>Sending is not known to work yet: Resend refused our configuration</strong> at{' '}
              {when(refusal.since)} UTC ({refusal.status} {refusal.name}: {refusal.message}).
            </p>
          )}
          <p>
            To fix: {configurationFix(refusal)}{' '}
            {stats.sendingRefused
              ? `Digests are still planned and wait, parked; after ${when(refusal.until)} UTC the next message asks Resend again, and sending pauses another ${CONFIG_PAUSE_MS / 60_000} minutes while nothing is fixed.`
              : `The pause ended at ${when(refusal.until)} UTC: the next hourly run puts the parked digests back, and the first of them is refused again while nothing is fixed.`}
          </p>
        </div>
      ) : null}
      {stats.sending.paused ? (
        <p class="banner" role="alert">
          <strong>Sending is paused</strong> until {when(stats.sending.until)} UTC: {stats.sending.reason}.
          Digests are still planned and will be sent when the quota resets.
        </p>
      ) : refusal ? null : (
        <p class="banner good" role="status">
          Sending is active (no Resend quota pause).
        </p>
      )}

      <h2>Subscribers</h2>
      <div class="grid">
        <Stat label="active" value={stats.subscribers.active} />
        <Stat label="pending confirmation" value={stats.subscribers.pending} />
        <Stat label="unsubscribed" value={stats.subscribers.unsubscribed} />
        <Stat label="suppressed" value={stats.subscribers.suppressed} />
        <Stat label="papers stored" value={stats.papers} />
        <Stat label="👍 / 👎 votes" value={`${data.feedback.up} / ${data.feedback.down}`} />
      </div>

      <h2>Deliveries</h2>
      <div class="grid">
        <Stat label="sent" value={stats.deliveries.sent} />
        <Stat label="queued or sending" value={stats.deliveries.queued} />
        <Stat label="failed" value={stats.deliveries.failed} />
        <Stat label="skipped (nothing relevant)" value={stats.deliveries.skipped} />
        <Stat
          label="database (D1 holds 10 GB on Workers Paid, 500 MB on Free)"
          value={stats.database.bytes === null ? 'unknown' : `${(stats.database.bytes / 1e6).toFixed(1)} MB`}
        />
      </div>
      <p class="muted">{retentionNote(c.var.app.config)}</p>

      <h2>Last editions</h2>
      {data.editions.length === 0 ? (
        <p class="muted">No edition has been planned yet (POST /admin/digest or wait for the hourly cron).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Period</th>
              <th scope="col">Frequency</th>
              <th scope="col">Planned (UTC)</th>
              <th scope="col" class="num">
                Candidates
              </th>
              <th scope="col" class="num">
                Sent
              </th>
              <th scope="col" class="num">
                Failed
              </th>
              <th scope="col" class="num">
                Skipped
              </th>
              <th scope="col" class="num">
                Queued
              </th>
            </tr>
          </thead>
          <tbody>
            {data.editions.map((edition) => (
              <tr>
                <td>{edition.period_key}</td>
                <td>{edition.frequency}</td>
                <td>{when(edition.planned_at)}</td>
                <td class="num">{edition.candidates}</td>
                <td class="num">{edition.sent}</td>
                <td class={edition.failed > 0 ? 'num failed' : 'num'}>{edition.failed}</td>
                <td class="num">{edition.skipped}</td>
                <td class="num">{edition.queued}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Last ingest runs</h2>
      {waits.map((wait) => (
        <p class="banner" role="status">
          <strong>{wait.name} asked us to wait</strong> until {when(wait.until)} UTC ({wait.reason}): until
          then its ingest runs, the cron's and POST /admin/ingest alike, ask it nothing and are not listed
          below.
        </p>
      ))}
      {data.ingestRuns.length === 0 ? (
        <p class="muted">No ingest has run yet (POST /admin/ingest or wait for the cron).</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Source</th>
              <th scope="col">Started (UTC)</th>
              <th scope="col">Status</th>
              <th scope="col" class="num">
                Fetched
              </th>
              <th scope="col" class="num">
                New
              </th>
              <th scope="col" class="num">
                Updated
              </th>
              <th scope="col" class="num">
                Skipped
              </th>
              <th scope="col" class="num">
                ms
              </th>
              <th scope="col">Window / errors</th>
            </tr>
          </thead>
          <tbody>
            {data.ingestRuns.map((run) => (
              <tr>
                <td>
                  {run.source === 'hf' ? 'Hugging Face' : run.source === 'arxiv' ? 'arXiv' : run.source}
                </td>
                <td>{when(run.started_at)}</td>
                <td class={run.status === 'ok' ? 'okay' : 'failed'}>{run.status}</td>
                <td class="num">{run.fetched}</td>
                <td class="num">{run.inserted}</td>
                <td class="num">{run.updated}</td>
                <td class="num">{run.skipped}</td>
                <td class="num">{run.duration_ms}</td>
                <td>
                  <code class="small">{run.window}</code>
                  {run.errors.slice(0, 3).map((error) => (
                    <div class="failed">
                      <code class="small">{error.slice(0, 300)}</code>
                    </div>
                  ))}
                  {run.errors.length > 3 ? <div class="muted">and {run.errors.length - 3} more</div> : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}

      <h2>Bounces and complaints</h2>
      <div class="grid">
        <Stat label="permanent bounces" value={data.bounces.permanent} />
        <Stat label="transient bounces" value={data.bounces.transient} />
        <Stat label="complaints" value={complaints?.total ?? 0} />
        <Stat label="suppressed by Resend" value={suppressedEvents?.total ?? 0} />
      </div>
      {data.webhookEvents.length > 0 ? (
        <table>
          <thead>
            <tr>
              <th scope="col">Webhook event</th>
              <th scope="col" class="num">
                Total
              </th>
              <th scope="col" class="num">
                Since {data.eventsSince}
              </th>
            </tr>
          </thead>
          <tbody>
            {data.webhookEvents.map((event) => (
              <tr>
                <td>{event.type}</td>
                <td class="num">{event.total}</td>
                <td class="num">{event.last7d}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p class="muted">No webhook events received yet.</p>
      )}
      {data.suppressionsByReason.length > 0 ? (
        <p>
          Suppression list: {data.suppressionsByReason.map((row) => `${row.count} ${row.reason}`).join(', ')}{' '}
          (addresses never mailed or imported again).
        </p>
      ) : null}

      {otherState.length > 0 ? (
        <>
          <h2>Operational flags</h2>
          <table>
            <tbody>
              {otherState.map((entry) => (
                <tr>
                  <th scope="row">{entry.key}</th>
                  <td>
                    <code class="small">{JSON.stringify(entry.value)}</code>
                  </td>
                  <td>{when(entry.updated_at)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}

      <footer>
        <p>
          Import subscribers who consented elsewhere:{' '}
          <code>
            curl -H "Authorization: Bearer $ADMIN_TOKEN" -H "Content-Type: text/csv" --data-binary @people.csv
            {` ${c.var.config.PUBLIC_URL}/admin/subscribers/import`}
          </code>
        </p>
        <p>
          An export holds at most {EXPORT_ROWS_PER_RESPONSE.toLocaleString('en')} subscribers (one
          invocation's queries); past that, its <code>Link: rel="next"</code> header names the next part:{' '}
          <code>curl -D -</code> shows it.
        </p>
      </footer>
    </Layout>,
  );
});
