// Newsletter forms, progressively enhanced: the forms work without this file.
// - "Tick all" / "Untick all" buttons for the topics;
// - a second click on a submit button does not send the form twice;
// - the error summary takes focus so screen readers announce it.
(function () {
  "use strict";

  document.querySelectorAll("[data-newsletter-topics]").forEach(function (group) {
    var boxes = group.querySelectorAll("input[type=checkbox]");
    var bar = document.createElement("p");
    bar.className = "newsletter-topic-buttons";
    [["Tick all topics", true], ["Untick all topics", false]].forEach(function (spec) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button button--secondary";
      button.textContent = spec[0];
      button.addEventListener("click", function () {
        boxes.forEach(function (box) { box.checked = spec[1]; });
      });
      bar.appendChild(button);
    });
    group.parentNode.insertBefore(bar, group);
  });

  document.querySelectorAll("form.newsletter-form").forEach(function (form) {
    form.addEventListener("submit", function (event) {
      if (form.dataset.submitted === "true") {
        event.preventDefault();
        return;
      }
      form.dataset.submitted = "true";
      form.querySelectorAll("[data-prevent-double-click]").forEach(function (button) {
        button.setAttribute("aria-disabled", "true");
      });
    });
  });

  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
})();
