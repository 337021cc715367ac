/**
 * The site icon, through the real Worker: every page links /favicon.svg, and /favicon.ico
 * (which browsers, feed readers and bots ask for blindly, on pages without a link and on
 * every JSON or error answer) is the same icon instead of a 404 in the logs. Both are
 * cached for long, and the pages' CSP lets the icon load without allowing anything else.
 */
import { describe, expect, it } from 'vitest';
import { request } from '../helpers/app';

describe('favicon', () => {
  it('is linked from every page as an SVG', async () => {
    for (const path of ['/', '/no-such-page']) {
      const html = await (await request(path, { headers: { accept: 'text/html' } })).text();
      expect(html).toContain('<link rel="icon" href="/favicon.svg" type="image/svg+xml"/>');
    }
  });

  it('answers /favicon.svg and /favicon.ico with the same SVG, cached for long', async () => {
    const svg = await request('/favicon.svg');
    const ico = await request('/favicon.ico');
    for (const response of [svg, ico]) {
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('image/svg+xml');
      expect(response.headers.get('x-content-type-options')).toBe('nosniff');
      const maxAge = Number(/max-age=(\d+)/.exec(response.headers.get('cache-control') ?? '')?.[1]);
      expect(maxAge).toBeGreaterThanOrEqual(7 * 24 * 3600);
      expect(response.headers.get('cache-control')).toContain('public');
    }
    const body = await svg.text();
    expect(body).toMatch(/^<svg xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
    expect(body).not.toMatch(/<script|\son[a-z]+=|href=/i);
    expect(await ico.text()).toBe(body);
    expect((await request('/favicon.ico', { method: 'HEAD' })).status).toBe(200);
  });

  it("is allowed by the pages' CSP, which stays as strict as before", async () => {
    const csp = (await request('/')).headers.get('content-security-policy')!;
    const directive = (name: string) => new RegExp(`(?:^|;)\\s*${name} ([^;]*)`).exec(csp)?.[1]?.split(' ');
    // Browsers load icons under img-src (default-src when absent): our own origin must be in it.
    expect(directive('img-src') ?? directive('default-src')).toContain("'self'");
    expect(directive('default-src')).toEqual(["'self'"]);
    expect(directive('script-src')).not.toContain("'unsafe-inline'");
    expect(directive('object-src')).toEqual(["'none'"]);
  });
});
