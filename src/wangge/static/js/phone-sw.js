/* The phone pages' service worker: keeps the pages and their files, so that the report form
   opens in a stairwell with no signal (the report then waits in the outbox). */
const SHELL = __SHELL__;
const CACHE = "wangge-field-2";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((names) => Promise.all(names.filter((name) => name !== CACHE).map((name) => caches.delete(name))))
      .then(() => self.clients.claim()),
  );
});

function remember(request, response) {
  if (response.ok) {
    const copy = response.clone();
    caches.open(CACHE).then((cache) => cache.put(request, copy));
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET" || new URL(request.url).origin !== self.location.origin) return;
  if (request.mode === "navigate") {
    // The network first (the page is current), the kept copy when there is none.
    event.respondWith(
      fetch(request)
        .then((response) => remember(request, response))
        // A page with a query (the report form opened to change a waiting report) is the
        // kept page without it; the kept copies are this phone's own, whatever they vary by.
        .catch(() => caches.match(request, { ignoreSearch: true, ignoreVary: true }).then((kept) => kept || caches.match(SHELL[0]))),
    );
    return;
  }
  if (["style", "script", "image", "manifest"].includes(request.destination)) {
    event.respondWith(
      caches.match(request).then((kept) => kept || fetch(request).then((response) => remember(request, response))),
    );
  }
});
