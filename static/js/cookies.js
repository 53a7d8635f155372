// The cookie banner without a page reload, and scripts that wait for consent.
//
// Without this script the banner is a plain form that posts and comes back
// with a confirmation; with it, the choice is sent as JSON and the banner
// replaces itself with the confirmation, which takes focus.
(function () {
  "use strict";

  var me = document.currentScript;

  // <script type="text/plain" data-cookie-category="analytics" src="…"> blocks
  // become real scripts once their category is accepted. Only external (src)
  // scripts can run: the Content Security Policy forbids inline ones.
  function activate(categories) {
    var inert = document.querySelectorAll('script[type="text/plain"][data-cookie-category]');
    Array.prototype.forEach.call(inert, function (block) {
      if (categories.indexOf(block.getAttribute("data-cookie-category")) === -1) {
        return;
      }
      var script = document.createElement("script");
      Array.prototype.forEach.call(block.attributes, function (attribute) {
        if (attribute.name !== "type") {
          script.setAttribute(attribute.name, attribute.value);
        }
      });
      script.async = false; // keep the blocks' order
      block.parentNode.replaceChild(script, block);
    });
  }

  function pattern(name) {
    var escaped = name.replace(/[.+?^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*");
    return new RegExp("^" + escaped + "$");
  }

  // Expire refused cookies on this host and on each parent domain, where
  // analytics scripts usually set them.
  function deleteCookies(declarations) {
    var names = document.cookie.split(";").map(function (pair) {
      return pair.split("=")[0].trim();
    }).filter(Boolean);
    var hostParts = location.hostname.split(".");
    declarations.forEach(function (declaration) {
      var matches = pattern(declaration.name);
      names.filter(function (name) { return matches.test(name); }).forEach(function (name) {
        var expired = name + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=" + (declaration.path || "/");
        document.cookie = expired;
        for (var i = 0; i < hostParts.length - 1; i++) {
          document.cookie = expired + "; domain=." + hostParts.slice(i).join(".");
        }
        if (declaration.domain) {
          document.cookie = expired + "; domain=" + declaration.domain;
        }
      });
    });
  }

  // On the cookies page, keep its Yes/No radios in step with a banner choice.
  function showChoices(accepted) {
    var radios = document.querySelectorAll('input[type="radio"][name^="cookies-"]');
    Array.prototype.forEach.call(radios, function (radio) {
      var slug = radio.name.slice("cookies-".length);
      radio.checked = (radio.value === "yes") === (accepted.indexOf(slug) !== -1);
    });
  }

  function setUpBanner(banner) {
    var form = banner.querySelector("[data-cookie-form]");
    var question = banner.querySelector("[data-cookie-question]");

    Array.prototype.forEach.call(banner.querySelectorAll("[data-hide-cookie-message]"), function (button) {
      button.addEventListener("click", function (event) {
        event.preventDefault();
        banner.hidden = true;
      });
    });

    if (!form || !window.fetch || !window.JSON) {
      return;
    }
    form.addEventListener("submit", function (event) {
      var submitter = event.submitter;
      if (!submitter || submitter.name !== "cookies") {
        return;
      }
      event.preventDefault();
      var token = form.querySelector("[name=csrfmiddlewaretoken]").value;
      fetch(form.action, {
        method: "POST",
        credentials: "same-origin",
        headers: {
          "Content-Type": "application/json",
          "Accept": "application/json",
          "X-CSRFToken": token
        },
        body: JSON.stringify({cookies: submitter.value})
      }).then(function (response) {
        if (!response.ok) {
          throw new Error("consent not saved: " + response.status);
        }
        return response.json();
      }).then(function (data) {
        deleteCookies(data.delete || []);
        activate(data.accepted || []);
        showChoices(data.accepted || []);
        var confirmation = banner.querySelector('[data-cookie-confirmation="' + data.outcome + '"]');
        question.hidden = true;
        confirmation.hidden = false;
        confirmation.focus();
      }).catch(function () {
        // Fall back to the form: the server answers it without JavaScript.
        var choice = document.createElement("input");
        choice.type = "hidden";
        choice.name = "cookies";
        choice.value = submitter.value;
        form.appendChild(choice);
        HTMLFormElement.prototype.submit.call(form);
      });
    });
  }

  var accepted = ((me && me.getAttribute("data-accepted")) || "").split(" ").filter(Boolean);
  function start() {
    activate(accepted);
    var banner = document.querySelector("[data-cookie-banner]");
    if (banner) {
      setUpBanner(banner);
    }
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
