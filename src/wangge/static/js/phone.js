/* The grid worker's phone pages. A report is checked on the phone first (what the phone can
   check: the required fields, the photo's type and size), then put in an outbox on the phone
   (IndexedDB) and sent; with no network it waits there, and is sent when the network returns.
   Each report carries its own key, so the server files it once however many times it arrives.
   The outbox lists every waiting report with its state or problem; each can be changed (the
   report form opens filled from it) or deleted. */
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
  const one = (key) => store("readonly", (s) => s.get(key));

  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    return Date.now().toString(16) + Math.random().toString(16).slice(2);
  }

  function cookie(name) {
    const found = document.cookie.split("; ").find((part) => part.startsWith(name + "="));
    return found ? decodeURIComponent(found.split("=")[1]) : "";
  }

  function element(tag, attributes, text) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) node.setAttribute(name, value);
    if (text !== undefined) node.textContent = text;
    return node;
  }

  const box = document.querySelector("[data-outbox]");
  const status = document.querySelector("[data-outbox-status]");

  function say(text) {
    if (status) status.textContent = text;
  }

  /* --- The outbox, on every phone page --------------------------------------------------- */

  function stateOf(item) {
    const words = box.dataset;
    if (item.problem) return words.problem.replace("{reason}", item.problem);
    if (item.signin) return words.signin;
    if (item.later) return words.later;
    return navigator.onLine ? words.waiting : words.offline;
  }

  function row(item) {
    const words = box.dataset;
    const li = element("li", { class: "outbox-item" + (item.problem ? " problem" : ""), "data-key": item.key });
    li.append(element("span", { class: "what" }, item.label || words.noWords));
    li.append(element("span", { class: "meta" }, `${new Date(item.created).toLocaleString()} · ${stateOf(item)}`));
    const tools = element("span", { class: "outbox-tools" });
    const edit = element("a", { class: "button secondary", href: `${words.editUrl}?edit=${encodeURIComponent(item.key)}` }, words.edit);
    const remove = element("button", { type: "button", class: "secondary", "data-outbox-delete": item.key }, words.delete);
    tools.append(edit, remove);
    const confirm = element("span", { class: "outbox-confirm", role: "alertdialog", hidden: "" });
    confirm.append(
      element("span", {}, words.confirm),
      element("button", { type: "button", class: "danger", "data-outbox-confirm": item.key }, words.confirmYes),
      element("button", { type: "button", class: "secondary", "data-outbox-cancel": item.key }, words.cancel),
    );
    li.append(tools, confirm);
    return li;
  }

  async function show() {
    if (!box) return;
    const items = (await waiting()).sort((a, b) => a.created - b.created);
    box.hidden = items.length === 0 && !status.textContent;
    box.querySelector("[data-outbox-count]").textContent = String(items.length);
    box.querySelector("[data-outbox-list]").replaceChildren(...items.map(row));
  }

  // What the server said of a report's fields, as one line for the outbox.
  function reasons(errors) {
    return Object.values(errors || {}).flat().join("；");
  }

  /* Send one report: "sent", "refused" (the server's 400, kept with its reasons), or an
     exception when there is no network or the worker is signed out (the report waits). */
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
      return "sent";
    }
    if (response.status === 400) {
      const answer = await response.json().catch(() => ({}));
      item.errors = answer.errors || {};
      item.problem = reasons(item.errors) || String(response.status);
      item.signin = item.later = false;
      await keep(item);
      say(status.dataset.failed.replace("{reason}", item.problem));
      return "refused";
    }
    if (response.status >= 500) {
      item.later = true;
      await keep(item);
      throw new Error("server");
    }
    // Signed out (a redirect to the login page, or a refused token): keep it for later.
    item.signin = true;
    await keep(item);
    say(status.dataset.login);
    throw new Error("not signed in");
  }

  async function flush() {
    if (sending || !navigator.onLine) return;
    sending = true;
    try {
      for (const item of await waiting()) {
        if (item.problem) continue; // waits to be changed or deleted
        await send(item);
      }
    } catch (error) {
      /* No network after all, or signed out: the reports stay in the outbox. */
    } finally {
      sending = false;
      await show();
    }
  }

  if (box) {
    box.addEventListener("click", async (event) => {
      const asked = event.target.closest("[data-outbox-delete]");
      const confirmed = event.target.closest("[data-outbox-confirm]");
      const cancelled = event.target.closest("[data-outbox-cancel]");
      const li = event.target.closest("li");
      if (asked) {
        li.querySelector(".outbox-confirm").hidden = false;
        li.querySelector(".outbox-tools").hidden = true;
        li.querySelector("[data-outbox-cancel]").focus();
      } else if (cancelled) {
        li.querySelector(".outbox-confirm").hidden = true;
        li.querySelector(".outbox-tools").hidden = false;
      } else if (confirmed) {
        await drop(confirmed.dataset.outboxConfirm);
        say(box.dataset.deleted);
        await show();
      }
    });
  }

  /* --- The report form --------------------------------------------------------------------- */

  const form = document.querySelector("[data-report-form]");
  const problemBox = document.querySelector("[data-form-problem]");
  let editing = null; // the key of the outbox report being changed

  function clearErrors() {
    if (!form) return;
    document.querySelectorAll("[data-error-for]").forEach((list) => list.replaceChildren());
    form.querySelectorAll("[aria-invalid]").forEach((control) => control.removeAttribute("aria-invalid"));
    if (problemBox) problemBox.hidden = true;
    photoNote("");
  }

  function photoNote(reason) {
    const note = form.querySelector("[data-photo-note]");
    if (!note) return;
    note.hidden = !reason;
    note.textContent = reason ? form.dataset.msgPhotoAgain.replace("{reason}", reason) : "";
  }

  // Each field's problems beside it; the photo asked for again; anything else above the form.
  function showErrors(errors) {
    let first = null;
    for (const [name, problems] of Object.entries(errors || {})) {
      const list = [].concat(problems);
      if (name === "photo") {
        const input = form.querySelector("input[name=photo]");
        input.value = "";
        input.setAttribute("aria-invalid", "true");
        photoNote(list.join(" "));
        first = first || input;
        continue;
      }
      const target = document.querySelector(`[data-error-for="${name}"]`) || document.querySelector('[data-error-for=""]');
      for (const problem of list) target.append(element(target.tagName === "UL" ? "li" : "p", {}, problem));
      const control = form.querySelector(`[name="${name}"]`);
      if (control && control.type !== "hidden") {
        control.setAttribute("aria-invalid", "true");
        first = first || control;
      }
    }
    if (problemBox) problemBox.hidden = false;
    (first || problemBox).scrollIntoView({ block: "center" });
    if (first) first.focus({ preventScroll: true });
  }

  // What the phone can check before a report is kept: as the server will.
  function check() {
    const words = form.dataset;
    const errors = {};
    const value = (name) => (form.elements[name] && form.elements[name].value || "").trim();
    if (!value("category")) errors.category = [words.msgCategory];
    if (!value("description")) errors.description = [words.msgDescription];
    if (!value("lng") && !value("grid")) errors.grid = [words.msgGrid];
    if (form.elements.solve_now && form.elements.solve_now.checked && !value("result")) {
      errors.result = [words.msgResult];
    }
    const photo = form.elements.photo && form.elements.photo.files[0];
    if (photo) {
      if (!words.photoTypes.split(",").includes(photo.type)) errors.photo = [words.msgPhotoType];
      else if (photo.size > Number(words.photoMax)) errors.photo = [words.msgPhotoSize];
    }
    return errors;
  }

  function itemFrom(data, created) {
    const photo = data.get("photo");
    const category = form.querySelector("select[name=category]");
    const chosen = category.selectedOptions[0] && category.value ? category.selectedOptions[0].text : "";
    return {
      key: data.get("key"),
      url: form.action || location.pathname,
      created: created || Date.now(),
      label: `${chosen} ${data.get("description") || ""}`.trim().slice(0, 60),
      fields: [...data.entries()].filter(([name]) => name !== "photo" && name !== "csrfmiddlewaretoken"),
      photo: photo && photo.size ? photo : null,
      photoName: photo && photo.size ? photo.name : "",
    };
  }

  function ready() {
    form.reset();
    form.querySelector("input[name=key]").value = newKey();
    form.querySelectorAll("input[name=lng], input[name=lat]").forEach((input) => { input.value = ""; });
    const located = form.querySelector("[data-locate-status]");
    if (located) located.textContent = "";
    editing = null;
    const banner = document.querySelector("[data-editing]");
    if (banner) banner.hidden = true;
    if (location.search) history.replaceState(null, "", location.pathname);
    toggles();
  }

  // The report form filled from a report waiting in the outbox, to be changed.
  async function fill(key) {
    const item = await one(key);
    if (!item) return;
    editing = item.key;
    const banner = document.querySelector("[data-editing]");
    if (banner) banner.hidden = false;
    form.reset();
    for (const [name, value] of item.fields) {
      const control = form.elements[name];
      if (!control) continue;
      if (control.type === "checkbox") control.checked = value === "on";
      else control.value = value;
    }
    const errors = item.errors || {};
    if (item.photo && !errors.photo && window.DataTransfer) {
      try {
        const files = new DataTransfer();
        files.items.add(new File([item.photo], item.photoName || "photo.jpg", { type: item.photo.type }));
        form.elements.photo.files = files.files;
      } catch (error) {
        /* This browser cannot put a file back into the form: it is asked for again. */
        photoNote(form.dataset.msgPhotoLost);
      }
    }
    toggles();
    if (Object.keys(errors).length) showErrors(errors);
  }

  if (form && window.indexedDB) {
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      clearErrors();
      const problems = check();
      if (Object.keys(problems).length) {
        showErrors(problems);
        return;
      }
      const before = editing ? await one(editing) : null;
      const item = itemFrom(new FormData(form), before && before.created);
      await keep(item);
      let result = "waiting";
      if (navigator.onLine) {
        try {
          result = await send(item);
        } catch (error) {
          result = "waiting";
        }
      }
      if (result === "refused") {
        // Kept in the outbox and still in the form, as typed: the worker corrects it here.
        editing = item.key;
        showErrors(item.errors);
      } else {
        ready();
        if (result === "waiting") say(form.dataset.msgQueued);
      }
      await show();
    });
    const wanted = new URLSearchParams(location.search).get("edit");
    if (wanted) fill(wanted);
    // A page kept for offline use carries the key it was first served with: each report
    // written on it gets its own.
    else if (problemBox && problemBox.hidden) form.querySelector("input[name=key]").value = newKey();
  }

  // A box that shows the fields it needs when it is ticked (solved on the spot: the result).
  function toggles() {
    document.querySelectorAll("input[type=checkbox][data-toggles]").forEach((box) => {
      const target = document.getElementById(box.dataset.toggles);
      if (target) target.hidden = !box.checked;
    });
  }
  document.addEventListener("change", (event) => {
    if (event.target.matches("input[type=checkbox][data-toggles]")) toggles();
  });
  toggles();

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
  async function network() {
    if (net) {
      net.textContent = navigator.onLine ? "" : net.dataset.offline;
      net.classList.toggle("offline", !navigator.onLine);
    }
    if (navigator.onLine) await flush();
    else if (window.indexedDB) await show();
  }
  window.addEventListener("online", network);
  window.addEventListener("offline", network);
  network();
  if (window.indexedDB) show();

  if ("serviceWorker" in navigator && body.dataset.sw) {
    navigator.serviceWorker.register(body.dataset.sw, { scope: body.dataset.scope }).catch(() => {});
  }
})();
