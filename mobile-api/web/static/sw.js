// The students' app offline. The style sheet, scripts and icon come from the
// cache (their addresses change when they do); the recorder page from the
// network, else as last seen, so a ride can be recorded without a
// connection (record.js keeps it until it is sent). No other page is kept:
// a student's rides and vouchers stay off a shared computer's disk.
var CACHE = "smartville-app-1";

self.addEventListener("install", function () { self.skipWaiting(); });
self.addEventListener("activate", function (event) { event.waitUntil(self.clients.claim()); });

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.indexOf("/static/") === 0) {
    event.respondWith(caches.open(CACHE).then(function (cache) {
      return cache.match(request).then(function (hit) {
        return hit || fetch(request).then(function (response) {
          if (response.ok) cache.put(request, response.clone());
          return response;
        });
      });
    }));
  } else if (url.pathname === "/app/record") {
    event.respondWith(fetch(request).then(function (response) {
      if (response.ok) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put("/app/record", copy); });
      }
      return response;
    }, function () {
      return caches.match("/app/record").then(function (hit) { return hit || Response.error(); });
    }));
  }
});
