/** @jsxImportSource hono/jsx */
/**
 * Development-only tools: the local outbox where emails land when no RESEND_API_KEY is
 * set. Every route here answers 404 unless ENVIRONMENT is "development" (or "test"), so
 * a production deploy cannot leak anyone's mail.
 */
import { Hono } from 'hono';
import { getOutboxEmail, listOutbox } from '../../src/db/outbox';
import { AppError } from '../../src/errors';
import type { HonoEnv } from '../types';
import { Layout } from '../views/layout';

export const devRoutes = new Hono<HonoEnv>()
  .use(async (c, next) => {
    if (!c.var.config.isDevelopment) throw new AppError(404, 'not_found', 'Not found');
    await next();
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
                    <time datetime={email.created_at}>{email.created_at.replace('T', ' ').slice(0, 19)}</time>
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
