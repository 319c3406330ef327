/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
// The service worker: keeps the app shell (the built JavaScript and CSS, static files) so the
// app opens offline, and the last copy of each page the user opened, so a reload offline shows
// the app with its offline state instead of the browser's error page. Never caches the API or
// the live event stream (tRPC at /api), attachments, or anything not GET. Signing out (a page
// answering with the login form) drops the cached pages: they hold the user's mail.
import { build, files, version } from '$service-worker';

const sw = self as unknown as ServiceWorkerGlobalScope;
const SHELL = `shell-${version}`;
const PAGES = 'pages-v1';
const ASSETS = new Set([...build, ...files.filter((f) => !f.endsWith('.map'))]);

sw.addEventListener('install', (event) => {
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
    })()
  );
});

sw.addEventListener('message', (event) => {
  if (event.data === 'signed-out') event.waitUntil(caches.delete(PAGES));
});

async function page(request: Request): Promise<Response> {
  const cache = await caches.open(PAGES);
  try {
    const response = await fetch(request);
    const url = new URL(response.url || request.url);
    if (response.ok && !response.redirected && url.pathname.startsWith('/mail'))
      await cache.put(request, response.clone());
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
  if (request.mode === 'navigate') event.respondWith(page(request));
});
