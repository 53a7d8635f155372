// Loaded synchronously in <head>, before the first paint: decides whether the
// cookie banner shows and which categories may store anything.
//
// Public pages are the same bytes for everyone (shared caches), so this is
// decided here, from the consent cookie and the policy the page carries
// (<script type="application/json" id="cookie-policy">). When the banner is
// to show, <html> gets the class `cookie-banner-shown`, which displays the
// banner in the normal flow from the first layout: nothing moves when
// cookies.js (deferred) wires up its buttons. A file rather than an inline
// script: the Content Security Policy allows scripts from this site only.
(function () {
  "use strict";

  var holder = document.getElementById("cookie-policy");
  if (!holder) {
    return;
  }
  var config = JSON.parse(holder.textContent);
  var PENDING_KEY = "cookie-consent-pending";
  // Global Privacy Control is a "No" to every non-essential category.
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
  function readConsent() {
    var value = readCookie(config.cookie);
    if (!value) {
      return null;
    }
    try {
      var payload = value.split(":")[0].replace(/-/g, "+").replace(/_/g, "/");
      var data = JSON.parse(atob(payload));
      var age = Date.now() / 1000 - data.t;
      var complete = config.categories.every(function (category) {
        return typeof data.c[category.slug] === "boolean";
      });
      if (data.v !== config.version || age < -300 || age > config.maxAge || !complete) {
        return null;
      }
      return {choices: data.c, perCategory: data.p === true, givenAt: data.t};
    } catch (error) {
      return null;
    }
  }

  // A banner choice the previous page sent without seeing the answer.
  function pendingChoice() {
    try {
      var pending = JSON.parse(sessionStorage.getItem(PENDING_KEY) || "null");
      var valid = pending && pending.version === config.version &&
        /^[0-9a-f]{32}$/.test(pending.key) && /^(accept|reject|object|hide)$/.test(pending.action);
      return valid ? pending : null;
    } catch (error) {
      return null;
    }
  }

  // The categories that may store something (cookies.consent.Visitor.accepted
  // is the same rule on the server): statistics under the exception until the
  // visitor objects, any other category once accepted; under GPC nothing
  // unless chosen on the cookies page.
  function allowed(consent) {
    return config.categories.filter(function (category) {
      if (gpc && !(consent && consent.perCategory)) {
        return false;
      }
      var choice = consent ? consent.choices[category.slug] : undefined;
      return category.exception ? choice !== false : choice === true;
    }).map(function (category) { return category.slug; });
  }

  // What a banner button allows.
  function allowedBy(action) {
    return config.categories.filter(function (category) {
      return action === "accept" || (action === "hide" && category.exception);
    }).map(function (category) { return category.slug; });
  }

  var consent = readConsent();
  var pending = consent || gpc ? null : pendingChoice();
  var show = config.categories.length > 0 && !consent && !pending && !gpc && Boolean(window.fetch);
  if (show) {
    document.documentElement.classList.add("cookie-banner-shown");
  }
  window.cookieConsent = {
    config: config,
    gpc: gpc,
    consent: consent,
    pending: pending,
    showBanner: show,
    allowed: pending ? allowedBy(pending.action) : allowed(consent),
    allowedBy: allowedBy,
    PENDING_KEY: PENDING_KEY
  };
})();
