// "Kopieer sleutel" on the app enrolment: copies the key (without the spaces of its groups of four) to the clipboard.
// The button shows only when script runs and a clipboard is there; the key stays readable on the page either way.
document.addEventListener("DOMContentLoaded", function () {
  if (!navigator.clipboard) { return; }
  document.querySelectorAll(".js-copy").forEach(function (button) {
    var status = button.parentNode.querySelector(".js-copy-status");
    button.hidden = false;
    button.addEventListener("click", function () {
      navigator.clipboard.writeText(button.dataset.copy).then(function () {
        if (status) { status.textContent = button.dataset.done || ""; }
      });
    });
  });
});
