/* Lost and found: "Copy the notice" puts the notice text on the clipboard for the groups. */
async function copyText(source) {
  if (navigator.clipboard && window.isSecureContext) {
    try {
      await navigator.clipboard.writeText(source.value);
      return true;
    } catch (error) {
      // Refused (no permission, page not focused): fall back to selecting the text.
    }
  }
  source.focus();
  source.select();
  try {
    return document.execCommand("copy");
  } catch (error) {
    return false;
  }
}

document.addEventListener("click", async (event) => {
  const button = event.target.closest("[data-copy]");
  if (!button) return;
  const source = document.getElementById(button.dataset.copy);
  const status = document.querySelector(`[data-copy-status="${button.dataset.copy}"]`);
  const copied = await copyText(source);
  if (status) status.textContent = copied ? button.dataset.done : button.dataset.failed;
});
