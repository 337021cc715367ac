/**
 * Which methods the app serves at a path, read from its own route table, so a request with
 * the wrong method (a PUT to /unsubscribe, a POST to /digest) is answered 405 with an
 * `Allow` header instead of "there is nothing at this address", which is false and sends
 * an API client looking for a typo in the URL. Middleware (method ALL) is not a route.
 */
import type { Hono } from 'hono';

const patterns = new Map<string, RegExp>();

/** Hono's path syntax as a RegExp: `:name`, `:name?` (optional), `:name{re}`, and `*`. */
function pattern(path: string): RegExp {
  let compiled = patterns.get(path);
  if (!compiled) {
    const source = path
      .split('/')
      .map((segment, index) => {
        if (index === 0) return '';
        const param = /^:\w+(?:\{(.+)\})?(\?)?$/.exec(segment);
        if (param) return param[2] ? `(?:/(?:${param[1] ?? '[^/]+'}))?` : `/(?:${param[1] ?? '[^/]+'})`;
        if (segment === '*') return '(?:/.*)?';
        return `/${segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`;
      })
      .join('');
    compiled = new RegExp(`^${source || '/'}$`);
    patterns.set(path, compiled);
  }
  return compiled;
}

/** The methods routed at `path` (HEAD wherever GET is), empty when nothing is. */
export function allowedMethods(app: Pick<Hono, 'routes'>, path: string): string[] {
  const methods = new Set<string>();
  for (const route of app.routes) {
    if (route.method !== 'ALL' && pattern(route.path).test(path)) methods.add(route.method);
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
