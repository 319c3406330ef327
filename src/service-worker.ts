/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The service worker: keeps the app shell (the built JavaScript and CSS, static files) so the
// app opens offline, and the last copy of each page the user opened, so a reload offline shows
// the app with its offline state instead of the browser's error page. A mail page this build
// kept is shown at once, online too, while the network's copy is fetched for next time; the
// page sees it was kept and catches up as soon as it runs (src/routes/(app)/mail/+layout.svelte).
// Never caches the API or the live event stream (tRPC at /api), attachments, or anything not
// GET. Signing out (a page answering with the login form) drops the cached pages: they hold the
// user's mail.
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const SHELL = `shell-${version}`;
const PAGES = 'pages-v1';
/** which build kept a page, and when: only this build's copies are shown before the network's */
const KEPT_BY = 'x-kept-by';
const KEPT_AT = 'x-kept-at';
/** a kept page older than this waits for the network (it would show too much that changed) */
const SHOW_KEPT_FOR_MS = 24 * 3600_000;
/** when the network's copy of a page shown from the cache is fetched (for the next visit) */
const REVALIDATE_AFTER_MS = 2000;
const ASSETS = new Set([...build, ...files.filter((f) => !f.endsWith('.map'))]);

/** the Service Worker Static Routing API (Chromium 123+), not yet in TypeScript's lib */
type RouterRule = {
  condition: { urlPattern?: string; requestMethod?: string };
  source: 'cache' | 'network' | 'fetch-event' | { cacheName: string };
};
type InstallEventWithRoutes = ExtendableEvent & { addRoutes?: (rules: RouterRule[]) => Promise<void> };

sw.addEventListener('install', (event) => {
  // The build's hashed files are read from this worker's cache by the browser itself, without
  // starting this script's fetch handler for each of them: a page opened from a kept copy waited
  // ~200 ms (4x CPU throttling) for its CSS and JS to come through the handler one by one.
  // Anything not in the cache falls back to the network. Browsers without the API use the
  // handler below, which does the same.
  const routes = (event as InstallEventWithRoutes).addRoutes;
  if (routes)
    try {
      event.waitUntil(
        routes
          .call(event, [
            {
              condition: { urlPattern: `${sw.location.origin}/_app/immutable/*`, requestMethod: 'GET' },
              source: { cacheName: SHELL }
            }
          ])
          .catch(() => {})
      );
    } catch {
      // an older form of the API refused the rule: the fetch handler serves those files
    }
  event.waitUntil(
    caches
      .open(SHELL)
      .then((c) => c.addAll([...ASSETS]))
      .then(() => sw.skipWaiting())
  );
});

sw.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const key of await caches.keys()) if (key !== SHELL && key !== PAGES) await caches.delete(key);
      await sw.clients.claim();
      // the mail pages open now were loaded before this worker: keep them too, for the next visit
      const open = await sw.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const cache = await caches.open(PAGES);
      for (const client of open) {
        const url = new URL(client.url);
        if (url.origin !== sw.location.origin || !url.pathname.startsWith('/mail/')) continue;
        const request = new Request(url.href, { credentials: 'same-origin' });
        const response = await fetch(request).catch(() => null);
        if (response && keepable(response)) await keep(cache, request, response);
      }
    })()
  );
});

sw.addEventListener('message', (event) => {
  if (event.data === 'signed-out') event.waitUntil(caches.delete(PAGES));
});

/**
 * A mail page as kept: the copy gets a mark the page can see (data-kept on <html>, with when it was
 * kept), so a page served from here knows it may be behind and catches up (see the mail layout),
 * and headers saying which build kept it and when.
 */
async function keep(cache: Cache, request: Request, response: Response): Promise<void> {
  const at = Date.now();
  const html = (await response.text()).replace(/<html\b/i, `<html data-kept="${at}"`);
  const headers = new Headers(response.headers);
  headers.delete('content-length');
  headers.delete('content-encoding');
  // The server's Link header asks to preload the page's ~20 scripts. A page shown from here has
  // them in this worker's cache, and the header only makes the renderer issue and take in all
  // those requests (and compile the scripts) before it lays out the first rows: without it the
  // rows of a kept page showed ~50 ms sooner (median of 21 loads each, 4x CPU throttling). The
  // scripts load when the page's bootstrap imports them; its styles are inline in its <head>.
  headers.delete('link');
  headers.set(KEPT_BY, version);
  headers.set(KEPT_AT, String(at));
  await cache.put(request, new Response(html, { status: response.status, headers }));
}

const keepable = (response: Response) =>
  response.ok &&
  !response.redirected &&
  response.type === 'basic' &&
  new URL(response.url).pathname.startsWith('/mail') &&
  (response.headers.get('content-type') ?? '').startsWith('text/html');

/**
 * A mail page kept by this build, recently: shown at once (stale-while-revalidate). The page
 * catches up by itself once it runs (the folder and its counts re-read, live events from the
 * kept page's position); meanwhile the network's copy replaces the kept one for next time. A
 * page that is no longer there for this session (signed out, folder removed) is dropped.
 */
async function fromKept(event: FetchEvent, cache: Cache): Promise<Response | null> {
  const kept = await cache.match(event.request);
  if (!kept || kept.headers.get(KEPT_BY) !== version) return null;
  if (!(Date.now() - Number(kept.headers.get(KEPT_AT)) < SHOW_KEPT_FOR_MS)) return null;
  const request = event.request;
  event.waitUntil(
    // a moment later: the page being opened from this copy comes first (its own catch-up
    // requests, its first paint); the server's copy is only for the next visit
    new Promise((resolve) => setTimeout(resolve, REVALIDATE_AFTER_MS))
      .then(() => fetch(request))
      .then(async (response) => {
        if (keepable(response)) await keep(cache, request, response);
        else if (response.type === 'opaqueredirect' || response.redirected) await caches.delete(PAGES);
        else if (response.status >= 400 && response.status < 500) await cache.delete(request);
      })
      .catch(() => {}) // offline: the kept copy stays
  );
  return kept;
}

async function page(event: FetchEvent): Promise<Response> {
  const { request } = event;
  const cache = await caches.open(PAGES);
  if (new URL(request.url).pathname.startsWith('/mail/')) {
    const kept = await fromKept(event, cache);
    if (kept) return kept;
  }
  try {
    const response = await fetch(request);
    const url = new URL(response.url || request.url);
    if (keepable(response)) event.waitUntil(keep(cache, request, response.clone()));
    else if (url.pathname === '/login') await caches.delete(PAGES);
    return response;
  } catch {
    // offline: this page as last seen...
    const cached = await cache.match(request);
    if (cached) return cached;
    // ...the app's start (the installed app's start_url, /mail, always redirects when online):
    // the mail page opened last, at its own URL so the app hydrates the page it was rendered for
    const path = new URL(request.url).pathname;
    if (path === '/' || path === '/mail') {
      const last = (await cache.keys()).at(-1);
      if (last) return Response.redirect(last.url, 302);
    }
    // ...else a plain notice
    return new Response(
      '<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">' +
        '<title>Offline</title><body style="font:16px system-ui;padding:2rem">' +
        '<h1>You are offline</h1><p>Your mail will be back when the connection is. ' +
        'This page reloads by itself.</p><script>addEventListener("online",()=>location.reload())</script>',
      { status: 503, headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } }
    );
  }
}

sw.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== sw.location.origin || url.pathname.startsWith('/api/')) return;
  if (ASSETS.has(url.pathname)) {
    event.respondWith(caches.match(url.pathname).then((hit) => hit ?? fetch(request)));
    return;
  }
  if (request.mode === 'navigate') event.respondWith(page(event));
});
