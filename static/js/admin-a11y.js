// Web Portaal: give the admin's autocomplete (select2) boxes the accessible name of their field's label.
(function () {
  function name(root) {
    root.querySelectorAll("select.admin-autocomplete").forEach(function (select) {
      var label = document.querySelector('label[for="' + select.id + '"]');
      if (!label) { return; }
      var text = label.textContent.replace(/:\s*$/, "").trim();
      select.parentNode.querySelectorAll(".select2-selection, .select2-selection__rendered").forEach(function (el) {
        if (el.getAttribute("aria-label") !== text) { el.setAttribute("aria-label", text); }
      });
    });
  }
  document.addEventListener("DOMContentLoaded", function () {
    name(document);
    new MutationObserver(function () { name(document); }).observe(document.body, { childList: true, subtree: true });
  });
})();
