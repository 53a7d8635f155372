// The cookie banner and the scripts that wait for consent.
//
// Every public page is the same for every visitor, so the decisions are made
// here: the page carries the banner (hidden) with the current policy version
// and categories; this script shows it when the consent cookie holds no valid
// consent for them, saves a choice through the JSON endpoint, and activates
// the consent-gated scripts. Without JavaScript no non-essential cookie can be
// set, so the banner stays hidden; /cookies/ works with its form.
(function () {
  "use strict";

  var PENDING_KEY = "cookie-consent-pending";
  var banner = document.querySelector("[data-cookie-banner]");
  // Global Privacy Control counts as a "No" to every non-essential category.
  var gpc = navigator.globalPrivacyControl === true;

  function readCookie(name) {
    var pairs = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < pairs.length; i++) {
      var at = pairs[i].indexOf("=");
      if (pairs[i].slice(0, at) === name) {
        return decodeURIComponent(pairs[i].slice(at + 1).replace(/^"|"$/g, ""));
      }
    }
    return null;
  }

  // The payload of Django's signed value "payload:timestamp:signature"
  // (base64url JSON). The server checks the signature; the script only reads.
  function readConsent(config) {
    var value = readCookie(config.cookieName);
    if (!value) {
      return null;
    }
    try {
      var payload = value.split(":")[0].replace(/-/g, "+").replace(/_/g, "/");
      var data = JSON.parse(atob(payload));
      var age = Date.now() / 1000 - data.t;
      var complete = config.categories.every(function (slug) {
        return typeof data.c[slug] === "boolean";
      });
      if (data.v !== config.version || age < -300 || age > config.maxAge || !complete) {
        return null;
      }
      return {choices: data.c, perCategory: data.p === true, givenAt: data.t};
    } catch (error) {
      return null;
    }
  }

  function acceptedCategories(consent, categories) {
    return categories.filter(function (slug) {
      return consent.choices[slug] === true && (!gpc || consent.perCategory);
    });
  }

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

  function remember(pending) {
    try {
      if (pending) {
        sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
      } else {
        sessionStorage.removeItem(PENDING_KEY);
      }
    } catch (error) { /* storage refused: the choice is still sent */ }
  }

  function pendingChoice(config) {
    try {
      var pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
      var valid = pending && pending.version === config.version &&
        /^[0-9a-f]{32}$/.test(pending.key) && (pending.action === "accept" || pending.action === "reject");
      return valid ? pending : null;
    } catch (error) {
      return null;
    }
  }

  // A new key for each choice: the endpoint logs a choice sent twice once.
  function newKey() {
    var bytes = new Uint8Array(16);
    crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (byte) {
      return (byte + 256).toString(16).slice(1);
    }).join("");
  }

  // Send the choice. keepalive lets the request finish when the visitor
  // leaves the page at once; until the answer arrives the choice is kept in
  // sessionStorage, and the next page sends it again with the same key (the
  // first request may have reached the site without its answer reaching us).
  function send(config, pending) {
    remember(pending);
    return fetch(config.url, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": '"' + pending.key + '"'
      },
      body: JSON.stringify({cookies: pending.action})
    }).then(function (response) {
      remember(null);
      return response.ok ? response.json() : null;
    }).then(function (data) {
      if (data) {
        deleteCookies(data["delete"] || []);
      }
    });
  }

  function choose(config, pending) {
    var accepted = pending.action === "accept" ? config.categories : [];
    activate(accepted);
    showChoices(accepted);
    return send(config, pending);
  }

  function setUpBanner(config) {
    var question = banner.querySelector("[data-cookie-question]");
    Array.prototype.forEach.call(banner.querySelectorAll("[data-cookie-choice]"), function (button) {
      button.addEventListener("click", function () {
        var action = button.value;
        var pending = {action: action, version: config.version, key: newKey()};
        choose(config, pending).catch(function () { /* kept pending for the next page */ });
        var confirmation = banner.querySelector(
          '[data-cookie-confirmation="' + (action === "accept" ? "accepted" : "rejected") + '"]'
        );
        question.hidden = true;
        confirmation.hidden = false;
        confirmation.focus();
      });
    });
    Array.prototype.forEach.call(banner.querySelectorAll("[data-hide-cookie-message]"), function (button) {
      button.addEventListener("click", function () {
        banner.hidden = true;
      });
    });
  }

  function start() {
    if (!banner) {
      return;
    }
    var config = {
      version: parseInt(banner.getAttribute("data-policy-version"), 10),
      categories: (banner.getAttribute("data-categories") || "").split(" ").filter(Boolean),
      cookieName: banner.getAttribute("data-cookie-name"),
      maxAge: parseInt(banner.getAttribute("data-max-age"), 10),
      url: banner.getAttribute("data-consent-url")
    };
    var consent = readConsent(config);
    if (consent) {
      var accepted = acceptedCategories(consent, config.categories);
      activate(accepted);
      remember(null); // a choice pending from the previous page has landed
      // The cookies page says which consent it was drawn with; a choice that
      // landed after the page was requested is not in its radios yet.
      var form = document.querySelector("form[data-consent-given-at]");
      if (form && form.getAttribute("data-consent-given-at") !== String(consent.givenAt)) {
        showChoices(accepted);
      }
      return;
    }
    var pending = pendingChoice(config);
    if (pending && !gpc) {
      // Chosen on the previous page, whose request may not have finished.
      choose(config, pending).catch(function () {});
      return;
    }
    if (gpc || !window.fetch) {
      return; // a refusal already, or no way to save a choice: no banner
    }
    setUpBanner(config);
    banner.hidden = false;
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
