// Google Analytics (gtag.js) set-up. Rendered, or activated by cookies.js, only
// after the visitor accepts analytics cookies; the id comes from ANALYTICS_ID.
(function () {
  "use strict";
  var me = document.currentScript;
  var id = me && me.getAttribute("data-analytics-id");
  if (!id) {
    return;
  }
  window.dataLayer = window.dataLayer || [];
  function gtag() {
    window.dataLayer.push(arguments);
  }
  window.gtag = window.gtag || gtag;
  gtag("js", new Date());
  gtag("config", id);
})();
