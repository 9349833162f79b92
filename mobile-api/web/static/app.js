// The students' app: installs its service worker (sw.js), which keeps the
// recorder page and the style sheet and scripts for when the phone is offline.
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/app/sw.js", { scope: "/app" }).catch(function () {});
}
