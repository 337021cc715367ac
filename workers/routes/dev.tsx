/** @jsxImportSource hono/jsx */
/**
 * Development-only tools: an index with the last ingest runs (and a plain notice when an
 * upstream was unreachable), and the local outbox where emails land when no RESEND_API_KEY is
 * set. Every route here answers 404 unless the outbox is on (development by default, or
 * OUTBOX=on, which production refuses), so a production deploy cannot leak anyone's mail.
 */
import { Hono } from 'hono';
import { getOutboxEmail, listOutbox } from '../../src/db/outbox';
import { countPapers } from '../../src/db/papers';
import { AppError } from '../../src/errors';
import { ingestHealth, SOURCE_NAMES } from '../../src/ingest/status';
import type { HonoEnv } from '../types';
import { Layout } from '../views/layout';

/** A stored ISO instant as people read it ("2026-12-04 06:31:05"), machine-readable in `datetime`. */
function UtcTime(props: { iso: string; utc?: boolean }) {
  return (
    <time datetime={props.iso}>
      {props.iso.replace('T', ' ').slice(0, 19)}
      {props.utc ? ' UTC' : ''}
    </time>
  );
}

export const devRoutes = new Hono<HonoEnv>()
  .use(async (c, next) => {
    if (!c.var.config.devTools) throw new AppError(404, 'not_found', 'Not found');
    await next();
  })
  .get('/', async (c) => {
    const [health, papers] = await Promise.all([ingestHealth(c.var.app.db), countPapers(c.var.app.db)]);
    const ingestCommand = `curl -X POST -H 'Authorization: Bearer ${c.var.config.ADMIN_TOKEN === 'dev-admin-token' ? 'dev-admin-token' : '$ADMIN_TOKEN'}' ${new URL('/admin/ingest', c.req.url)}`;
    return c.html(
      <Layout title="Development · Papers Digest">
        <h1>Development</h1>
        <p>
          <a href="/dev/outbox">Local outbox</a> (emails sent without <code>RESEND_API_KEY</code>) ·{' '}
          <a href="/">Landing page</a>
        </p>
        <h2>Ingest</h2>
        {health.unreachable.map((failure) => (
          <p class="notice" role="alert">
            <strong>{failure.name} is unreachable.</strong> The last ingest (
            <UtcTime iso={failure.at} utc />) failed: {failure.error.replace(/\.+$/, '')}. Papers already
            stored are still served; the next cron retries. Offline, load the bundled real papers (Hugging
            Face Daily Papers of 2026) with <code>npm run seed:local</code>.
          </p>
        ))}
        {health.waiting.map((wait) => (
          <p class="notice" role="status">
            <strong>{wait.name} asked us to wait</strong> until <UtcTime iso={wait.until} utc /> (
            {wait.reason}
            ): until then ingest runs ask it nothing.
          </p>
        ))}
        <p>
          {papers} paper{papers === 1 ? '' : 's'} stored.
          {papers === 0 ? (
            <>
              {' '}
              Run <code>npm run seed:local</code> to load real papers (Hugging Face Daily Papers of 2026)
              offline.
            </>
          ) : null}
        </p>
        {health.latest.length === 0 ? (
          <p>
            No ingest has run yet. Run one now with <code>{ingestCommand}</code>.
          </p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">Source</th>
                <th scope="col">Last run</th>
                <th scope="col">Status</th>
                <th scope="col">Fetched</th>
                <th scope="col">New</th>
                <th scope="col">Updated</th>
                <th scope="col">Skipped</th>
              </tr>
            </thead>
            <tbody>
              {health.latest.map((run) => (
                <tr>
                  <td>
                    {SOURCE_NAMES[run.source] ?? run.source}
                    <br />
                    <small class="muted">{run.window.slice(0, 80)}</small>
                  </td>
                  <td>
                    <UtcTime iso={run.started_at} />
                  </td>
                  <td class={run.status === 'ok' ? 'ok' : 'error'}>
                    {run.status}
                    {run.errors.length > 0 ? (
                      <ul>
                        {run.errors.slice(0, 5).map((error) => (
                          <li>
                            <small>{error}</small>
                          </li>
                        ))}
                      </ul>
                    ) : null}
                  </td>
                  <td>{run.fetched}</td>
                  <td>{run.inserted}</td>
                  <td>{run.updated}</td>
                  <td>{run.skipped}</td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
        <p class="muted">
          Ingest again: <code>{ingestCommand}</code> (optional JSON body{' '}
          <code>{'{"date":"YYYY-MM-DD","sources":["hf","arxiv"]}'}</code>).
        </p>
      </Layout>,
    );
  })
  .get('/outbox.json', async (c) => {
    const emails = await listOutbox(c.var.app.db);
    return c.json(
      emails.map((email) => ({
        id: email.id,
        to: email.to,
        from: email.from,
        subject: email.subject,
        html: email.html,
        text: email.text,
        headers: email.headers,
        tags: email.tags,
        created_at: email.created_at,
      })),
    );
  })
  .get('/outbox', async (c) => {
    const emails = await listOutbox(c.var.app.db);
    return c.html(
      <Layout title="Outbox · Papers Digest (development)">
        <h1>Local outbox</h1>
        <p class="muted">
          Emails sent while no <code>RESEND_API_KEY</code> is set land here instead of Resend. Newest first.{' '}
          <a href="/dev/outbox.json">JSON</a>
        </p>
        {emails.length === 0 ? (
          <p>
            No emails yet. Subscribe on the <a href="/">landing page</a> to see a confirmation email here.
          </p>
        ) : (
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">To</th>
                <th scope="col">Subject</th>
              </tr>
            </thead>
            <tbody>
              {emails.map((email) => (
                <tr>
                  <td>
                    <UtcTime iso={email.created_at} />
                  </td>
                  <td>{email.to}</td>
                  <td>
                    <a href={`/dev/outbox/${email.id}`}>{email.subject}</a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </Layout>,
    );
  })
  .get('/outbox/:id{[0-9]+}', async (c) => {
    const email = await getOutboxEmail(c.var.app.db, Number(c.req.param('id')));
    if (!email) throw new AppError(404, 'not_found', 'No such email in the outbox');
    return c.html(
      <Layout title={`${email.subject} · Outbox`}>
        <p>
          <a href="/dev/outbox">← Outbox</a>
        </p>
        <h1>{email.subject}</h1>
        <table>
          <tbody>
            <tr>
              <th scope="row">From</th>
              <td>{email.from}</td>
            </tr>
            <tr>
              <th scope="row">To</th>
              <td>{email.to}</td>
            </tr>
            {Object.entries(email.headers).map(([name, value]) => (
              <tr>
                <th scope="row">{name}</th>
                <td>
                  <code>{value}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <h2>HTML</h2>
        <p>
          <a href={`/dev/outbox/${email.id}/html`}>Open the HTML part on its own</a>
        </p>
        <iframe
          title="HTML part"
          src={`/dev/outbox/${email.id}/html`}
          style="width:100%;height:70vh;border:1px solid var(--line);border-radius:8px;background:#fff"
        />
        <h2>Plain text</h2>
        <pre style="white-space:pre-wrap">{email.text}</pre>
      </Layout>,
    );
  })
  .get('/outbox/:id{[0-9]+}/html', async (c) => {
    const email = await getOutboxEmail(c.var.app.db, Number(c.req.param('id')));
    if (!email) throw new AppError(404, 'not_found', 'No such email in the outbox');
    // The email's own HTML, as a mail client would show it; links open outside the frame.
    return c.html(email.html.replace(/<head>/i, '<head><base target="_top">'));
  });
