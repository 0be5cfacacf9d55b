/* The board's plumbing: DOM building (text only, never HTML), the API client (initData in every request),
 * notices and the fatal screen. Shared through window.Board. */
(function () {
  "use strict";
  var Board = (window.Board = window.Board || {});
  var tg = window.Telegram && window.Telegram.WebApp;

  Board.tg = tg;
  Board.state = { me: null, lang: "en", t: window.BoardI18n.make("en"), texts: {}, initData: "" };

  /* el("div", {class: "x", text: name, data: {id: 1}, on: {click: f}}, [children]). Text goes in with
   * textContent, attributes with setAttribute: a lead named <img src=x onerror=alert(1)> shows as text. */
  Board.el = function (tag, props, children) {
    var node = document.createElement(tag);
    props = props || {};
    Object.keys(props).forEach(function (key) {
      var value = props[key];
      if (value === undefined || value === null || value === false) return;
      if (key === "text") node.textContent = String(value);
      else if (key === "class") node.className = value;
      else if (key === "data") {
        Object.keys(value).forEach(function (name) {
          node.dataset[name] = String(value[name]);
        });
      } else if (key === "on") {
        Object.keys(value).forEach(function (name) {
          node.addEventListener(name, value[name]);
        });
      } else if (key === "hidden" || key === "disabled" || key === "selected" || key === "required") {
        node[key] = Boolean(value);
      } else node.setAttribute(key, String(value));
    });
    (children || []).forEach(function (child) {
      if (child === null || child === undefined || child === false) return;
      node.appendChild(typeof child === "string" ? document.createTextNode(child) : child);
    });
    return node;
  };

  Board.clear = function (node) {
    while (node.firstChild) node.removeChild(node.firstChild);
    return node;
  };

  /* A server text ("texts" of /me) or the board's own word. */
  Board.word = function (key, fallback) {
    var texts = Board.state.texts || {};
    return key in texts ? texts[key] : fallback !== undefined ? fallback : key;
  };

  Board.setLanguage = function (lang) {
    Board.state.lang = window.BoardI18n.pick(lang);
    Board.state.t = window.BoardI18n.make(Board.state.lang);
    document.documentElement.lang = Board.state.lang;
  };

  var dateFormats = {};
  Board.formatDate = function (iso) {
    if (!iso) return "";
    var when = new Date(iso);
    if (isNaN(when.getTime())) return String(iso);
    var lang = Board.state.lang === "ru" ? "ru-RU" : "en-GB";
    if (!dateFormats[lang]) {
      dateFormats[lang] = new Intl.DateTimeFormat(lang, {
        day: "numeric",
        month: "short",
        hour: "2-digit",
        minute: "2-digit",
      });
    }
    return dateFormats[lang].format(when);
  };

  Board.formatMoney = function (amount, currency) {
    if (amount === null || amount === undefined) return "";
    var number = Number(amount);
    var lang = Board.state.lang === "ru" ? "ru-RU" : "en-US";
    var shown = isNaN(number)
      ? String(amount)
      : new Intl.NumberFormat(lang, { maximumFractionDigits: 2 }).format(number);
    return currency ? shown + " " + currency : shown;
  };

  /* An error the server answered with: status, code ("stale", "invalid_transition", ...), detail (its text). */
  function ApiError(status, body) {
    this.status = status;
    this.body = body || {};
    this.code = this.body.code || "";
    this.detail =
      typeof this.body.detail === "string"
        ? this.body.detail
        : Board.state.t("server_error", { status: status });
  }
  Board.ApiError = ApiError;

  /* fetch("api/" + path) with the initData; JSON in and out. Rejects with ApiError (a 401 also shows the
   * fatal screen: nothing else can work without a valid sign-in). */
  Board.api = function (path, options) {
    options = options || {};
    var init = {
      method: options.method || "GET",
      headers: { Authorization: "tma " + Board.state.initData, Accept: "application/json" },
      cache: "no-store",
    };
    if (options.body !== undefined) {
      init.headers["Content-Type"] = "application/json";
      init.body = JSON.stringify(options.body);
    }
    return fetch("api/" + path, init).then(
      function (response) {
        return response.text().then(function (text) {
          var body = null;
          try {
            body = text ? JSON.parse(text) : null;
          } catch (e) {
            body = null;
          }
          if (response.ok) return body;
          var error = new ApiError(response.status, body);
          if (response.status === 401) Board.fatal(Board.state.t("auth_failed"), error.detail, Board.state.t("auth_hint"));
          throw error;
        });
      },
      function () {
        throw new ApiError(0, { detail: Board.state.t("network"), code: "network" });
      }
    );
  };

  Board.query = function (params) {
    var parts = [];
    Object.keys(params).forEach(function (key) {
      var value = params[key];
      if (value === undefined || value === null || value === "") return;
      parts.push(encodeURIComponent(key) + "=" + encodeURIComponent(String(value)));
    });
    return parts.length ? "?" + parts.join("&") : "";
  };

  var noticeTimer = null;
  /* A line at the bottom: the server's note after an action, or why it refused. */
  Board.notice = function (text, kind) {
    var node = document.getElementById("notice");
    node.textContent = text;
    node.className = "notice " + (kind || "info");
    node.dataset.seq = String(Number(node.dataset.seq || 0) + 1); // which notice this is (tests wait for the next)
    node.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(function () {
      node.hidden = true;
    }, kind === "error" ? 6000 : 3500);
  };

  Board.fail = function (error) {
    if (error instanceof ApiError) {
      if (error.status !== 401) Board.notice(error.detail, "error");
      return;
    }
    Board.notice(String(error && error.message ? error.message : error), "error");
    if (window.console) console.error(error);
  };

  Board.fatal = function (title, detail, hint) {
    document.getElementById("fatal-title").textContent = title;
    document.getElementById("fatal-detail").textContent = detail || "";
    document.getElementById("fatal-hint").textContent = hint || "";
    document.getElementById("fatal").hidden = false;
    ["leads-view", "deals-view", "filters", "tabs", "detail"].forEach(function (id) {
      document.getElementById(id).hidden = true;
    });
    document.body.classList.add("failed");
  };
})();
