// The cookie banner and the scripts that wait for consent (or, under the
// statistics exception, run until the visitor objects).
//
// cookie-state.js has already decided, before the first paint, whether the
// banner shows and which categories may store anything (window.cookieConsent).
// This script wires up the banner's buttons, saves a choice through the JSON
// endpoint, keeps Google Consent Mode in step, starts the gated scripts and
// deletes what refused categories stored. Without JavaScript no non-essential
// cookie can be set, so the banner stays hidden; /cookies/ works with its form.
(function () {
  "use strict";

  var state = window.cookieConsent;
  if (!state) {
    return;
  }
  var config = state.config;
  var banner = document.querySelector("[data-cookie-banner]");
  var analytics = document.querySelector("script[data-analytics-id]");
  var OUTCOMES = {accept: "accepted", reject: "rejected", object: "objected"};

  // Google's gtag(): it puts its commands in the data layer as arguments
  // objects, which gtag.js reads once it loads. cookies-analytics.js uses it.
  if (analytics) {
    window.dataLayer = window.dataLayer || [];
    window.gtag = window.gtag || function () {
      window.dataLayer.push(arguments);
    };
  }

  // Google Consent Mode v2: every storage type denied before the tag loads;
  // analytics_storage follows the analytics category; the ad_* types stay
  // denied (the site shows no ads). ga-disable stops a tag already running.
  function consentMode(command, allowed) {
    if (!analytics) {
      return;
    }
    var granted = allowed.indexOf(analytics.getAttribute("data-cookie-category")) !== -1;
    var states = {analytics_storage: granted ? "granted" : "denied"};
    if (command === "default") {
      ["ad_storage", "ad_user_data", "ad_personalization", "functionality_storage",
        "personalization_storage", "security_storage"].forEach(function (type) {
        states[type] = "denied";
      });
    }
    window.gtag("consent", command, states);
    window["ga-disable-" + analytics.getAttribute("data-analytics-id")] = !granted;
  }

  // <script type="text/plain" data-cookie-category="analytics" src="…"> blocks
  // become real scripts once their category is allowed. Only external (src)
  // scripts can run: the Content Security Policy forbids inline ones.
  function activate(allowed) {
    var inert = document.querySelectorAll('script[type="text/plain"][data-cookie-category]');
    Array.prototype.forEach.call(inert, function (block) {
      if (allowed.indexOf(block.getAttribute("data-cookie-category")) === -1) {
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

  function storageKeys(storage) {
    var keys = [];
    try {
      for (var i = 0; i < storage.length; i++) {
        keys.push(storage.key(i));
      }
    } catch (error) { /* storage refused */ }
    return keys;
  }

  // Delete what the categories not allowed have stored: their declared
  // cookies, on this host and on each parent domain (where analytics scripts
  // usually set them), and their declared web-storage keys.
  function deleteRefused(allowed) {
    var cookies = document.cookie.split(";").map(function (pair) {
      return pair.split("=")[0].trim();
    }).filter(Boolean);
    var hostParts = location.hostname.split(".");
    config.categories.forEach(function (category) {
      if (allowed.indexOf(category.slug) !== -1) {
        return;
      }
      category.stored.forEach(function (declared) {
        var matches = pattern(declared.name);
        if (declared.storage !== "cookie") {
          var storage = declared.storage === "local" ? window.localStorage : window.sessionStorage;
          storageKeys(storage).filter(function (key) { return matches.test(key); })
            .forEach(function (key) { storage.removeItem(key); });
          return;
        }
        cookies.filter(function (name) { return matches.test(name); }).forEach(function (name) {
          var expired = name + "=; expires=Thu, 01 Jan 1970 00:00:00 GMT; path=" + declared.path;
          document.cookie = expired;
          for (var i = 0; i < hostParts.length - 1; i++) {
            document.cookie = expired + "; domain=." + hostParts.slice(i).join(".");
          }
          if (declared.domain) {
            document.cookie = expired + "; domain=" + declared.domain;
          }
        });
      });
    });
  }

  function apply(allowed) {
    consentMode("update", allowed);
    deleteRefused(allowed);
    activate(allowed);
  }

  // On the cookies page, keep its radios in step with a banner choice.
  function showChoices(allowed) {
    var radios = document.querySelectorAll('input[type="radio"][name^="cookies-"]');
    Array.prototype.forEach.call(radios, function (radio) {
      var slug = radio.name.slice("cookies-".length);
      radio.checked = (radio.value === "yes") === (allowed.indexOf(slug) !== -1);
    });
  }

  function remember(pending) {
    try {
      if (pending) {
        sessionStorage.setItem(state.PENDING_KEY, JSON.stringify(pending));
      } else {
        sessionStorage.removeItem(state.PENDING_KEY);
      }
    } catch (error) { /* storage refused: the choice is still sent */ }
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
  function send(pending) {
    remember(pending);
    return fetch(config.consentUrl, {
      method: "POST",
      credentials: "same-origin",
      keepalive: true,
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Idempotency-Key": '"' + pending.key + '"'
      },
      body: JSON.stringify({cookies: pending.action})
    }).then(function () {
      remember(null);
    });
  }

  function choose(pending) {
    var allowed = state.allowedBy(pending.action);
    apply(allowed);
    showChoices(allowed);
    return send(pending);
  }

  function hideBanner() {
    banner.hidden = true;
    document.documentElement.classList.remove("cookie-banner-shown");
  }

  function setUpBanner() {
    var question = banner.querySelector("[data-cookie-question]");
    Array.prototype.forEach.call(banner.querySelectorAll("[data-cookie-choice]"), function (button) {
      button.addEventListener("click", function () {
        var action = button.value;
        var pending = {action: action, version: config.version, key: newKey()};
        choose(pending).catch(function () { /* kept pending for the next page */ });
        if (action === "hide") {
          hideBanner();
          return;
        }
        var confirmation = banner.querySelector(
          '[data-cookie-confirmation="' + OUTCOMES[action] + '"]'
        );
        question.hidden = true;
        confirmation.hidden = false;
        confirmation.focus();
      });
    });
    Array.prototype.forEach.call(banner.querySelectorAll("[data-hide-cookie-message]"), function (button) {
      button.addEventListener("click", hideBanner);
    });
    banner.hidden = false;
  }

  // The cookies page's form says it was sent by a browser running this
  // script, so the consent log records how the choice was really made.
  function markForm() {
    var form = document.querySelector("form[data-consent-given-at]");
    if (!form) {
      return;
    }
    form.addEventListener("submit", function () {
      var input = document.createElement("input");
      input.type = "hidden";
      input.name = "javascript";
      input.value = "yes";
      form.appendChild(input);
    });
    // The page says which consent it was drawn with; a choice that landed
    // after the page was requested is not in its radios yet.
    if (state.consent && form.getAttribute("data-consent-given-at") !== String(state.consent.givenAt)) {
      showChoices(state.allowed);
    }
  }

  function start() {
    consentMode("default", []);
    markForm();
    if (state.pending) {
      // Chosen on the previous page, whose request may not have finished.
      choose(state.pending).catch(function () {});
      return;
    }
    apply(state.allowed);
    if (state.consent) {
      remember(null); // a choice pending from the previous page has landed
    }
    if (banner && state.showBanner) {
      setUpBanner();
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
