/* A patrol underway on the phone (/m/patrols/<id>/). The phone's position is followed with
   watchPosition; the fixes are gathered into batches (every 20 fixes, every minute, when a
   finding is recorded, when the page is hidden and when the network returns), each batch kept
   in IndexedDB with its own key before it is sent to the API, so that with no network it
   waits on the phone and is sent once when the network returns (the server stores a batch
   only once, however many times it arrives). A fix after a pause of the position (no fix,
   the screen off) is marked as a gap: the trace is never joined across it.
   The finding form is phone.js's report form (its outbox sends the findings); this script
   fills in where the worker stands. */
(() => {
  "use strict";
  const root = document.querySelector("[data-patrol]");
  if (!root) return;
  const words = root.dataset;
  const DB = "wangge-patrol";
  const STORE = "batches";
  const EVERY = 20;
  const MINUTE = 60000;
  let pending = [];
  let gapNext = false;
  let lastTime = 0;
  let sending = false;
  // The phone's clock may be wrong: its times are put on the server's (sent with the page).
  const skew = words.now ? new Date(words.now).getTime() - Date.now() : 0;
  const now = () => Date.now() + skew;

  function database() {
    return new Promise((resolve, reject) => {
      const request = indexedDB.open(DB, 1);
      request.onupgradeneeded = () => request.result.createObjectStore(STORE, { keyPath: "key" });
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }

  async function store(mode, work) {
    const db = await database();
    return new Promise((resolve, reject) => {
      const transaction = db.transaction(STORE, mode);
      const request = work(transaction.objectStore(STORE));
      transaction.oncomplete = () => resolve(request ? request.result : undefined);
      transaction.onerror = () => reject(transaction.error);
    });
  }

  const keep = (batch) => store("readwrite", (s) => s.put(batch));
  const drop = (key) => store("readwrite", (s) => s.delete(key));
  const waiting = async () => ((await store("readonly", (s) => s.getAll())) || [])
    .filter((batch) => batch.url === words.traceUrl)
    .sort((a, b) => a.created - b.created);

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.split("=")[1]) : "";
  }

  const gps = root.querySelector("[data-gps]");
  const waitingLine = root.querySelector("[data-trace-waiting]");
  function say(text) {
    if (gps) gps.textContent = text;
  }

  /* --- What the page shows ---------------------------------------------------------------- */

  const started = words.started ? new Date(words.started) : null;
  const ended = words.ended ? new Date(words.ended) : null;
  const elapsed = root.querySelector("[data-elapsed]");
  function tick() {
    if (!started || !elapsed) return;
    const seconds = Math.max(0, Math.floor(((ended ? ended.getTime() : now()) - started.getTime()) / 1000));
    const h = Math.floor(seconds / 3600);
    const m = String(Math.floor((seconds % 3600) / 60)).padStart(2, "0");
    const s = String(seconds % 60).padStart(2, "0");
    elapsed.textContent = `${h}:${m}:${s}`;
  }
  tick();
  if (words.underway) setInterval(tick, 1000);

  function figures(answer) {
    if (!answer) return;
    const distance = root.querySelector("[data-distance]");
    const points = root.querySelector("[data-points]");
    if (distance && answer.distance_m !== undefined) distance.textContent = String(answer.distance_m);
    if (points && answer.point_count !== undefined) points.textContent = String(answer.point_count);
  }

  async function showWaiting() {
    if (!waitingLine) return;
    const count = (await waiting()).reduce((sum, batch) => sum + batch.points.length, 0) + pending.length;
    waitingLine.hidden = count === 0 || navigator.onLine;
    waitingLine.textContent = words.msgWaiting.replace("{n}", String(count));
  }

  /* --- The trace ---------------------------------------------------------------------------- */

  // The pending fixes become a batch with its own key, kept on the phone, then sent.
  async function seal() {
    if (pending.length) {
      const points = pending.splice(0, Number(words.maxBatch) || 500);
      await keep({ key: newKey(), url: words.traceUrl, points, created: now() });
    }
    await flush();
  }

  async function flush() {
    if (sending || !navigator.onLine) {
      await showWaiting();
      return;
    }
    sending = true;
    try {
      for (const batch of await waiting()) {
        const response = await fetch(batch.url, {
          method: "POST",
          credentials: "same-origin",
          headers: {
            "Content-Type": "application/json",
            Accept: "application/json",
            "X-CSRFToken": cookie("csrftoken"),
          },
          body: JSON.stringify({ batch: batch.key, points: batch.points }),
        });
        if (response.ok) {
          figures(await response.json().catch(() => null));
          await drop(batch.key);
        } else if (response.status === 400 || response.status === 422) {
          // Refused whole (a clock gone wrong, a patrol already over): sending it again
          // would be refused again; it is left out of the trace.
          await drop(batch.key);
        } else {
          break; // signed out, or the server busy: tried again later
        }
      }
    } catch (error) {
      /* No network after all: the batches wait. */
    } finally {
      sending = false;
      await showWaiting();
    }
  }

  function fill(lng, lat) {
    document.querySelectorAll("[data-patrol-finding], [data-patrol-scan]").forEach((form) => {
      if (form.elements.lng) form.elements.lng.value = lng;
      if (form.elements.lat) form.elements.lat.value = lat;
    });
  }

  let last = null;
  function onFix(position) {
    const time = (position.timestamp || Date.now()) + skew;
    if (time <= lastTime) return;
    const gapMs = (Number(words.gap) || 120) * 1000;
    const point = {
      t: time,
      lng: Number(position.coords.longitude.toFixed(7)),
      lat: Number(position.coords.latitude.toFixed(7)),
      accuracy: Math.round(position.coords.accuracy || 0),
    };
    if (gapNext || (lastTime && time - lastTime > gapMs)) point.gap = true;
    gapNext = false;
    lastTime = time;
    last = point;
    pending.push(point);
    fill(point.lng, point.lat);
    say(words.msgLocated);
    if (pending.length >= EVERY) seal();
    else showWaiting();
  }

  // Position denied: the next fix starts a new piece. No position for a moment (a stairwell,
  // a timeout) is no gap, as a phone standing still sends nothing for a while: the next fix
  // starts a new piece only if it comes later than the configured gap (and the server cuts
  // such pauses too).
  function onError(error) {
    if (error && error.code === 3) return; // a timeout: still waiting for the next fix
    if (error && error.code === 1) gapNext = true;
    say(error && error.code === 1 ? words.msgDenied : words.msgNoFix);
  }

  if (words.underway && navigator.geolocation) {
    say(words.msgLocating);
    navigator.geolocation.watchPosition(onFix, onError, {
      enableHighAccuracy: true,
      maximumAge: 5000,
    });
    setInterval(seal, MINUTE);
    window.addEventListener("online", seal);
    window.addEventListener("offline", showWaiting);
    document.addEventListener("visibilitychange", () => {
      if (document.visibilityState === "hidden") {
        gapNext = true; // the position may stop while the screen is off
        seal();
      }
    });
    flush();
  }

  /* --- The finding form, the checkpoint and "finish" ---------------------------------------- */

  const finding = document.querySelector("[data-patrol-finding]");
  if (finding) {
    // Sent or kept, the form is made ready for the next finding (phone.js empties it): where
    // the worker stands is filled in again; the trace so far is sealed with it.
    finding.addEventListener("reset", () => setTimeout(() => last && fill(last.lng, last.lat), 0));
    finding.addEventListener("submit", () => seal(), true);
  }

  const finish = document.querySelector("[data-patrol-finish]");
  if (finish) {
    finish.addEventListener("submit", async (event) => {
      event.preventDefault();
      await seal();
      const note = finish.querySelector("[data-finish-note]");
      if (!navigator.onLine || (await waiting()).length) {
        if (note) note.textContent = words.msgFinishOffline;
        return;
      }
      finish.submit();
    });
  }
})();
