// Passkeys (issue 14): the choice "Passkey" is shown only where the browser can use one (WebAuthn); without it, or
// without script, the other methods stay as they are.
document.addEventListener("DOMContentLoaded", function () {
  if (!window.PublicKeyCredential) { return; }
  document.querySelectorAll("[data-webauthn-only]").forEach(function (element) { element.hidden = false; });
});
// After the library's ceremony (django_otp_webauthn/otp_webauthn_register.js) the page moves on: to the recovery
// codes of a first method, or back to Mijn Instellingen.
document.addEventListener("otp_webauthn.register_complete", function () {
  var done = document.querySelector("[data-passkey-done]");
  if (done) { window.location.assign(done.getAttribute("data-passkey-done")); }
});
