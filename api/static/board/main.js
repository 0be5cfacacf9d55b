/* Start: the sign-in (Telegram's initData, or the sandbox's dev_init fragment), who the user is (/me: role,
 * language, the server's words), then the leads board; the deals tab for team leads and admins. */
(function () {
  "use strict";
  var Board = window.Board;
  var tg = Board.tg;
  var view = "leads";

  /* Telegram's initData; in a normal browser the sandbox's #dev_init=<initData> (kept for reloads of this tab,
   * and taken off the address bar so it is not copied along with the URL). */
  function initData() {
    if (tg && tg.initData) return tg.initData;
    var fragment = new URLSearchParams(location.hash.replace(/^#/, ""));
    var dev = fragment.get("dev_init");
    try {
      if (dev) sessionStorage.setItem("board_dev_init", dev);
      else dev = sessionStorage.getItem("board_dev_init");
    } catch (e) {
      /* no storage: the fragment only */
    }
    if (fragment.has("dev_init") && window.history && history.replaceState) {
      history.replaceState(null, "", location.pathname + location.search);
    }
    return dev || "";
  }

  function language() {
    var user = tg && tg.initDataUnsafe && tg.initDataUnsafe.user;
    if (user && user.language_code) return user.language_code;
    try {
      var fields = new URLSearchParams(Board.state.initData);
      var parsed = JSON.parse(fields.get("user") || "{}");
      if (parsed.language_code) return parsed.language_code;
    } catch (e) {
      /* not JSON: fall back to the browser */
    }
    return navigator.language || "en";
  }

  function chrome() {
    var t = Board.state.t;
    document.getElementById("tab-leads").textContent = t("leads");
    document.getElementById("tab-deals").textContent = t("deals");
    document.getElementById("title").textContent = t("title");
  }

  function show(next) {
    view = next;
    document.getElementById("leads-view").hidden = next !== "leads";
    document.getElementById("deals-view").hidden = next !== "deals";
    document.querySelectorAll(".tab").forEach(function (tab) {
      tab.classList.toggle("active", tab.dataset.view === next);
      tab.setAttribute("aria-selected", tab.dataset.view === next ? "true" : "false");
    });
    var filters = document.getElementById("filters");
    filters.classList.toggle("deals-only", next === "deals");
    return Board.reload();
  }

  Board.reload = function () {
    return view === "deals" ? Board.loadDeals() : Board.loadLeads();
  };

  function start() {
    if (tg) {
      if (tg.ready) tg.ready();
      if (tg.expand) tg.expand();
    }
    Board.state.initData = initData();
    Board.setLanguage(language());
    chrome();
    if (!Board.state.initData) {
      Board.fatal(Board.state.t("auth_failed"), Board.state.t("no_init"), "");
      return;
    }
    Board.prefetchLeads();
    Board.api("me").then(function (me) {
      Board.state.me = me;
      Board.state.texts = me.texts || {};
      Board.setLanguage(me.lang);
      chrome();
      document.getElementById("who").textContent = me.name || "";
      document.body.dataset.role = me.role;
      if (me.deals) {
        document.getElementById("tabs").hidden = false;
        document.getElementById("title").hidden = true;
        document.querySelectorAll(".tab").forEach(function (tab) {
          tab.addEventListener("click", function () {
            if (tab.dataset.view !== view) show(tab.dataset.view);
          });
        });
      }
      Board.installFilters();
      return show("leads");
    }, Board.fail);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
