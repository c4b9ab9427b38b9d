// Progress of background work without an automatic page reload (WCAG 2.2.1). Every few seconds this
// fetches the page again and copies each element marked data-progress-part (matched by id) into this one:
// the stage sits in a role="status" region, so screen readers hear it change without losing their place.
// When the fetched page no longer shows the work in progress, the page reloads once to show the result.
(function () {
  "use strict";
  var poll = document.querySelector("[data-progress-poll]");
  if (!poll || !window.fetch || !window.DOMParser) {
    return;
  }
  var every = Number(poll.getAttribute("data-progress-poll")) || 3000;
  var hint = poll.querySelector("[data-progress-hint]");
  if (hint) {
    hint.textContent = "This page checks the progress every few seconds.";
  }

  function update(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    if (!fresh.querySelector("[data-progress-poll]")) {
      window.location.reload();
      return;
    }
    document.querySelectorAll("[data-progress-part]").forEach(function (part) {
      var replacement = fresh.getElementById(part.id);
      if (replacement && replacement.innerHTML !== part.innerHTML) {
        part.innerHTML = replacement.innerHTML;
      }
    });
    window.setTimeout(check, every);
  }

  function check() {
    fetch(window.location.href, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.text();
      })
      .then(update)
      .catch(function () {
        window.setTimeout(check, every * 2);
      });
  }

  window.setTimeout(check, every);
})();
