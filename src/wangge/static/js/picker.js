/* A search box on a <select data-picker>: the list's categories, places and people, found by
   name. Without script the select still works (a tree indented, people grouped by place).

   Typing shows the options whose name (or data-words: the names above it, its code) holds
   the words, with the places or categories above them (data-level) so each reads in its
   tree, and those below them; the list opens as a box and the first match is picked. */
(function () {
  "use strict";

  function level(option) {
    return option.dataset.level === undefined ? null : Number(option.dataset.level);
  }

  function matches(option, words) {
    const text = `${option.textContent} ${option.dataset.words || ""}`.toLowerCase();
    const group = option.parentElement.tagName === "OPTGROUP" ? option.parentElement.label.toLowerCase() : "";
    return words.every((word) => text.includes(word) || group.includes(word));
  }

  function enhance(select) {
    const options = Array.from(select.options).filter((option) => option.value !== "");
    const empty = Array.from(select.options).filter((option) => option.value === "");
    const search = document.createElement("input");
    search.type = "search";
    search.className = "picker-search";
    search.autocomplete = "off";
    search.placeholder = select.dataset.pickerPlaceholder || "";
    // Named by what the page says of it, else by the select's own label.
    const own = select.labels && select.labels.length ? select.labels[0].textContent.trim() : "";
    search.setAttribute("aria-label", select.dataset.pickerLabel || search.placeholder || own);
    search.setAttribute("aria-controls", select.id);
    const status = document.createElement("p");
    status.className = "picker-none muted";
    status.setAttribute("role", "status");
    status.hidden = true;
    status.textContent = select.dataset.pickerNone || "";
    select.before(search);
    select.after(status);

    function show(query) {
      const words = query.toLowerCase().split(/\s+/).filter(Boolean);
      if (!words.length) {
        for (const option of select.options) option.hidden = false;
        for (const group of select.querySelectorAll("optgroup")) group.hidden = false;
        select.removeAttribute("size");
        status.hidden = true;
        return;
      }
      const shown = new Set();
      const direct = [];
      options.forEach((option, index) => {
        if (!matches(option, words)) return;
        direct.push(option);
        shown.add(option);
        const depth = level(option);
        if (depth === null) return;
        // What lies above it, nearest first, then what lies below it.
        let above = depth;
        for (let i = index - 1; i >= 0 && above > 0; i -= 1) {
          const other = level(options[i]);
          if (other !== null && other < above) {
            shown.add(options[i]);
            above = other;
          }
        }
        for (let i = index + 1; i < options.length && level(options[i]) > depth; i += 1) {
          shown.add(options[i]);
        }
      });
      for (const option of empty) option.hidden = true;
      for (const option of options) option.hidden = !shown.has(option);
      for (const group of select.querySelectorAll("optgroup")) {
        group.hidden = !Array.from(group.children).some((option) => !option.hidden);
      }
      status.hidden = direct.length > 0;
      select.size = Math.max(2, Math.min(shown.size, 8));
      if (direct.length && !direct.includes(select.selectedOptions[0])) {
        select.value = direct[0].value;
        // As if picked: whatever listens to the select (the new-case form's duplicates) hears it.
        select.dispatchEvent(new Event("change", { bubbles: true }));
      }
    }

    search.addEventListener("input", () => show(search.value.trim()));
    search.addEventListener("keydown", (event) => {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        select.focus();
      }
    });
  }

  function start() {
    document.querySelectorAll("select[data-picker]:not([multiple])").forEach(enhance);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
