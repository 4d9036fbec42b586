// The service worker: every file of the app is cached at the first visit, then served from the
// cache, so the app opens and verifies with no network at all.  The recap comparison (another
// origin, or /publik/ on this one) always goes to the network.
const VERSION = self.__SAKSI_VERSION__;
const FILES = self.__SAKSI_FILES__;
const CACHE = `booth-saksi-${VERSION}`;

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(["./", ...FILES])).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(caches.keys()
    .then((names) => Promise.all(names.filter((n) => n.startsWith("booth-saksi-") && n !== CACHE).map((n) => caches.delete(n))))
    .then(() => self.clients.claim()));
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  const scope = new URL(self.registration.scope);
  if (event.request.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) return;
  event.respondWith(caches.match(event.request, { ignoreSearch: true, cacheName: CACHE })
    .then((hit) => hit || fetch(event.request)));
});
