// Google Analytics (gtag.js) set-up, started by cookies.js only once analytics
// cookies are allowed (by consent, or under the statistics exception until the
// visitor objects), after it has set Google Consent Mode's defaults and update.
// The id comes from ANALYTICS_ID. Google signals and ad personalisation are
// off: the statistics are the site's own, used only to improve it.
(function () {
  "use strict";
  var me = document.currentScript;
  var id = me && me.getAttribute("data-analytics-id");
  if (!id) {
    return;
  }
  window.gtag("js", new Date());
  window.gtag("config", id, {allow_google_signals: false, allow_ad_personalization_signals: false});
})();
