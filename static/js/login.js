// Login page: "Wachtwoord vergeten" carries the email address typed so far, so it need not be typed again (WCAG 3.3.7).
(function () {
  document.addEventListener("DOMContentLoaded", function () {
    var email = document.getElementById("id_username");
    var link = document.getElementById("forgot-password");
    if (!email || !link) { return; }
    function update() {
      var value = email.value.trim();
      link.href = link.dataset.base + (value ? "?email=" + encodeURIComponent(value) : "");
    }
    email.addEventListener("input", update);
    email.addEventListener("change", update);  // filled in by a password manager
    link.addEventListener("click", update);
    update();
  });
})();
