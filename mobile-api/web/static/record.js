// The ride recorder: the browser's location every few seconds while the ride
// lasts, kept in the phone's storage as it comes (a closed page or a lost
// connection loses nothing), and sent as the API's JSON trace when the ride
// ends, with an idempotency key chosen when it began: sending it again after
// a lost answer adds the ride once.
(function () {
  "use strict";
  var box = document.getElementById("recorder");
  if (!box) return;
  var start = document.getElementById("start");
  var stop = document.getElementById("stop");
  var progress = document.getElementById("progress");
  var STORE = "smartville-ride";
  var watch = null;

  function load() {
    try { return JSON.parse(window.localStorage.getItem(STORE)); } catch (e) { return null; }
  }
  function save(ride) { window.localStorage.setItem(STORE, JSON.stringify(ride)); }
  function say(text) { progress.textContent = text; }
  function newKey() {
    return window.crypto && window.crypto.randomUUID ? window.crypto.randomUUID()
      : "ride-" + Date.now() + "-" + Math.random().toString(36).slice(2);
  }

  function send() {
    var ride = load();
    if (!ride || !ride.finished) return;
    say(box.dataset.sending);
    fetch("/app/record", {
      method: "POST",
      credentials: "same-origin",
      headers: { "content-type": "application/json", "idempotency-key": ride.key },
      body: JSON.stringify({ points: ride.points })
    }).then(function (response) {
      return response.json().then(function (answer) {
        if (response.ok) {
          window.localStorage.removeItem(STORE);
          window.location.href = "/app/trips/" + answer.trip_id;
        } else if (response.status >= 500 || response.status === 429 || response.status === 401) {
          say(box.dataset.kept);
        } else {
          window.localStorage.removeItem(STORE);
          say(answer.explanation || answer.detail || "");
        }
      });
    }, function () { say(box.dataset.kept); });
  }

  function record(ride) {
    start.hidden = true;
    stop.hidden = false;
    say(box.dataset.recording.replace("{count}", String(ride.points.length)));
    watch = navigator.geolocation.watchPosition(function (position) {
      var c = position.coords;
      var fix = { t: new Date(position.timestamp).toISOString(), lat: c.latitude, lon: c.longitude, acc: c.accuracy };
      if (c.speed !== null && c.speed >= 0) fix.speed = c.speed;
      var last = ride.points[ride.points.length - 1];
      if (!last || last.t < fix.t) ride.points.push(fix);
      save(ride);
      say(box.dataset.recording.replace("{count}", String(ride.points.length)));
    }, function (error) {
      if (error.code === error.PERMISSION_DENIED) {
        say(box.dataset.denied);
        start.hidden = false;
        stop.hidden = true;
      }
    }, { enableHighAccuracy: true, maximumAge: 0, timeout: 60000 });
  }

  start.addEventListener("click", function () {
    if (!navigator.geolocation) { say(box.dataset.unavailable); return; }
    var ride = { key: newKey(), points: [], finished: false };
    save(ride);
    record(ride);
  });
  stop.addEventListener("click", function () {
    if (watch !== null) navigator.geolocation.clearWatch(watch);
    watch = null;
    var ride = load();
    if (ride) { ride.finished = true; save(ride); }
    stop.hidden = true;
    start.hidden = false;
    send();
  });
  window.addEventListener("online", send);

  // A ride from before: still going when the page closed (recording goes on), or waiting to be sent.
  var kept = load();
  if (kept && !kept.finished && navigator.geolocation) record(kept);
  else send();
})();
