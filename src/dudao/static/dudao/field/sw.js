/* The field app's service worker: it keeps the app shell so that the app opens without a signal.
 *
 * Served by the field_sw view at /field/sw.js (scope /field/), which fills in CONFIG: the cache version (a digest
 * of this file and the shell's static files, so that any change installs afresh) and the shell's URLs.
 * The page itself: network first (a fresh CSRF token and user), the cached copy when the network fails or is too
 * slow. The cached copy is the last user's page: on a shared phone field.js notices that the server names another
 * user and asks for /field/?fresh=…, which waits for the network however slow it is. Static files: cache first.
 * The API is never touched: field.js keeps its own queue in IndexedDB.
 */
'use strict';

const CONFIG = {"version": "dev", "static": "/static/", "shell": []}; // eslint-disable-line quotes
const PREFIX = 'dudao-field-';
const CACHE = PREFIX + CONFIG.version;
const PAGE_TIMEOUT_MS = 5000; // a slow link: show the cached page after this long, refresh the cache anyway
const SCOPE = new URL(self.registration.scope).pathname;

function cacheable(response) {
  return response && response.ok && response.type === 'basic' && !response.redirected;
}

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    const files = CONFIG.shell.filter((url) => url !== SCOPE);
    await cache.addAll(files.map((url) => new Request(url, {cache: 'reload'})));
    // The page is stored only when it really is the app: a lapsed session answers with the sign-in page.
    const page = await fetch(new Request(SCOPE, {cache: 'reload', redirect: 'manual'})).catch(() => null);
    if (cacheable(page)) await cache.put(SCOPE, page);
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PREFIX) && name !== CACHE).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || url.pathname.startsWith('/api/')) return;
  if (url.pathname === SCOPE && url.searchParams.has('fresh')) {
    event.respondWith(pageFromNetwork(event));
  } else if (url.pathname === SCOPE) {
    event.respondWith(pageFirstFromNetwork(event));
  } else if (url.pathname.startsWith(CONFIG.static) || CONFIG.shell.includes(url.pathname)) {
    event.respondWith(fromCacheFirst(request));
  }
});

// The page from the network, kept as the offline copy when it is the app (not a redirect to sign in).
function pageFetched(event) {
  let stored = Promise.resolve();
  const network = fetch(event.request).then((response) => {
    if (cacheable(response)) {
      const copy = response.clone();
      stored = caches.open(CACHE).then((cache) => cache.put(SCOPE, copy));
    }
    return response;
  });
  event.waitUntil(network.then(() => stored, () => undefined).catch(() => undefined));
  return network;
}

// The cached copy belonged to another user: only the network's answer will do; the copy only without a network.
async function pageFromNetwork(event) {
  try {
    return await pageFetched(event);
  } catch (error) {
    return (await caches.match(SCOPE, {cacheName: CACHE})) || Response.error();
  }
}

function pageFirstFromNetwork(event) {
  const network = pageFetched(event);
  return (async () => {
    const cached = await caches.match(SCOPE, {cacheName: CACHE});
    if (!cached) return network;
    const slow = new Promise((resolve) => setTimeout(() => resolve(null), PAGE_TIMEOUT_MS));
    const answer = await Promise.race([network.catch(() => null), slow]);
    // A server error is no better than the copy; a redirect (to sign in) is the server's answer and stands.
    if (answer && (answer.status < 500 || answer.type === 'opaqueredirect')) return answer;
    return cached;
  })();
}

async function fromCacheFirst(request) {
  const cache = await caches.open(CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (cacheable(response)) await cache.put(request, response.clone());
  return response;
}
