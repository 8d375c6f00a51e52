// "Stuur een nieuwe sms-code" on "Bevestig dat u het bent": sent in place, so the password typed on the page stays.
// Without script the button still works as a normal form (the page then opens again, empty).
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("resend-form");
  var status = document.getElementById("resend-status");
  if (!form || !status || !window.fetch) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    fetch(form.action, {
      method: "POST",
      body: new FormData(form),
      headers: {"X-Requested-With": "fetch"},
      credentials: "same-origin"
    }).then(function (response) {
      if (!response.ok) { throw new Error(String(response.status)); }
      return response.json();
    }).then(function (data) {
      status.textContent = data.messages.join(" ");
    }).catch(function () {
      form.submit();
    });
  });
});
