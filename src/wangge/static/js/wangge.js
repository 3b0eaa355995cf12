/* Small behaviours, kept out of the templates (no inline scripts). */
document.addEventListener("change", (event) => {
  const target = event.target;
  if (target.matches("select[data-autosubmit]")) {
    target.form.requestSubmit();
  }
});

/* "Add my location" on the resident's report form: the phone's GPS, in WGS-84. */
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-locate]");
  if (!button || !navigator.geolocation) return;
  const form = button.form;
  const status = form.querySelector("[data-locate-status]");
  navigator.geolocation.getCurrentPosition(
    (position) => {
      form.querySelector("input[name=lng]").value = position.coords.longitude.toFixed(7);
      form.querySelector("input[name=lat]").value = position.coords.latitude.toFixed(7);
      status.textContent = button.dataset.done;
    },
    () => { status.textContent = button.dataset.failed; },
    { enableHighAccuracy: true, timeout: 10000 },
  );
});

/* The resident's report form: show only the chosen category's questions (without script,
   every group shows, each saying which categories it is for). */
function showQuestionsFor(select) {
  const form = select.form;
  form.querySelectorAll("fieldset[data-for-categories]").forEach((group) => {
    const ids = group.dataset.forCategories.split(" ");
    const shown = ids.includes(select.value);
    group.hidden = !shown;
    group.querySelectorAll("input, select, textarea").forEach((control) => {
      control.disabled = !shown;
    });
  });
}
document.addEventListener("change", (event) => {
  if (event.target.matches("select[name=category]")) showQuestionsFor(event.target);
});
document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("select[name=category]").forEach((select) => {
    if (select.form.querySelector("fieldset[data-for-categories]")) showQuestionsFor(select);
  });
});

// A "tick all" box ticks or clears the boxes named by its data-check-all in its form.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!box.matches("input[type=checkbox][data-check-all]")) return;
  box.form.querySelectorAll(`input[type=checkbox][name="${box.dataset.checkAll}"]`).forEach((other) => {
    other.checked = box.checked;
  });
});
