/**
 * Which methods the app serves at a path, read from its own route table, so a request with
 * the wrong method (a PUT to /unsubscribe, a POST to /digest) is answered 405 with an
 * `Allow` header instead of "there is nothing at this address", which is false and sends
 * an API client looking for a typo in the URL. The paths are matched by Hono's own trie
 * router (what the app routes with), every route filed under one method with its real
 * method as the value: a match lists the methods. Middleware (method ALL) is not a route.
 */
import type { Hono } from 'hono';
import { TrieRouter } from 'hono/router/trie-router';

const ANY = 'ANY';
const routers = new WeakMap<object, TrieRouter<string>>();

function routerOf(app: Pick<Hono, 'routes'>): TrieRouter<string> {
  let router = routers.get(app);
  if (!router) {
    router = new TrieRouter<string>();
    for (const route of app.routes) if (route.method !== 'ALL') router.add(ANY, route.path, route.method);
    routers.set(app, router);
  }
  return router;
}

/** The methods routed at `path` (HEAD wherever GET is), empty when nothing is. */
export function allowedMethods(app: Pick<Hono, 'routes'>, path: string): string[] {
  const [matches] = routerOf(app).match(ANY, path);
  const methods = new Set(matches.map(([method]) => method));
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}
