/* The grid worker's phone pages. A report is first put in an outbox on the phone (IndexedDB),
   then sent; with no network it waits there, and is sent when the network returns. Each
   report carries its own key, so the server files it once however many times it arrives. */
(() => {
  "use strict";
  const DB = "wangge-field";
  const STORE = "outbox";
  const body = document.body;
  let sending = false;

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

  const keep = (item) => store("readwrite", (s) => s.put(item));
  const drop = (key) => store("readwrite", (s) => s.delete(key));
  const waiting = () => store("readonly", (s) => s.getAll());

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.split("=")[1]) : "";
  }

  const box = document.querySelector("[data-outbox]");
  const status = document.querySelector("[data-outbox-status]");

  function say(text) {
    if (status) status.textContent = text;
  }

  async function show() {
    if (!box) return;
    const items = await waiting();
    box.hidden = items.length === 0 && !status.textContent;
    box.querySelector("[data-outbox-count]").textContent = String(items.length);
    const list = box.querySelector("[data-outbox-list]");
    list.replaceChildren(
      ...items.map((item) => {
        const li = document.createElement("li");
        li.textContent = `${new Date(item.created).toLocaleString()} ${item.label}` +
          (item.problem ? ` — ${item.problem}` : "");
        return li;
      }),
    );
  }

  async function send(item) {
    const form = new FormData();
    for (const [name, value] of item.fields) form.append(name, value);
    if (item.photo) form.append("photo", item.photo, item.photoName || "photo.jpg");
    const response = await fetch(item.url, {
      method: "POST",
      body: form,
      credentials: "same-origin",
      redirect: "manual",
      headers: { Accept: "application/json", "X-CSRFToken": cookie("csrftoken") },
    });
    if (response.status === 201) {
      const answer = await response.json();
      await drop(item.key);
      say(status.dataset.sent.replace("{number}", answer.number));
      return true;
    }
    if (response.status === 400) {
      const answer = await response.json().catch(() => ({}));
      const reasons = Object.values(answer.errors || {}).flat().join("；");
      item.problem = status.dataset.failed.replace("{reason}", reasons || response.status);
      await keep(item);
      say(item.problem);
      return false;
    }
    // Signed out (a redirect to the login page, or a refused token): keep it for later.
    say(status.dataset.login);
    throw new Error("not signed in");
  }

  async function flush() {
    if (sending || !navigator.onLine) return;
    sending = true;
    try {
      for (const item of await waiting()) {
        if (item.problem) continue;
        await send(item);
      }
    } catch (error) {
      /* No network after all, or signed out: the reports stay in the outbox. */
    } finally {
      sending = false;
      await show();
    }
  }

  const form = document.querySelector("[data-report-form]");
  if (form && window.indexedDB) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const data = new FormData(form);
      const photo = data.get("photo");
      const category = form.querySelector("select[name=category]");
      const item = {
        key: data.get("key"),
        url: form.action || location.href,
        created: Date.now(),
        label: `${category.selectedOptions[0] ? category.selectedOptions[0].text : ""} ${data.get("description") || ""}`.trim().slice(0, 60),
        fields: [...data.entries()].filter(([name]) => name !== "photo" && name !== "csrfmiddlewaretoken"),
        photo: photo && photo.size ? photo : null,
        photoName: photo && photo.size ? photo.name : "",
      };
      await keep(item);
      form.reset();
      form.querySelector("input[name=key]").value = newKey();
      form.querySelectorAll("input[name=lng], input[name=lat]").forEach((input) => { input.value = ""; });
      await show();
      await flush();
    });
  }

  document.addEventListener("click", (event) => {
    const chip = event.target.closest("[data-category]");
    if (chip) {
      const select = chip.form.querySelector("select[name=category]");
      select.value = chip.dataset.category;
      select.focus();
    }
    if (event.target.closest("[data-outbox-send]")) flush();
    // "Use my position" is wangge.js's [data-locate], shared with the residents' form.
  });

  const net = document.querySelector("[data-net]");
  function network() {
    if (net) {
      net.textContent = navigator.onLine ? "" : net.dataset.offline;
      net.classList.toggle("offline", !navigator.onLine);
    }
    if (navigator.onLine) flush();
  }
  window.addEventListener("online", network);
  window.addEventListener("offline", network);
  network();
  if (window.indexedDB) show();

  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => {});
  }
})();
