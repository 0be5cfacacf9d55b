/* A local stand-in for telegram-web-app.js (which lives on telegram.org; the board loads nothing from the
 * internet). It defines window.Telegram.WebApp only when nothing else did, with the few parts the board uses:
 *   initData / initDataUnsafe.user  from the URL fragment's tgWebAppData, as Telegram clients open a Mini App
 *                                   (kept in sessionStorage: a reload inside Telegram has no fragment);
 *   themeParams / colorScheme       from tgWebAppThemeParams, also set as --tg-theme-* CSS variables;
 *   ready(), expand(), disableVerticalSwipes(), enableVerticalSwipes()
 *                                   posted to the client the way telegram-web-app.js posts them
 *                                   (TelegramWebviewProxy on mobile, window.external.notify, or the parent frame).
 * In a normal browser (the sandbox's dev login) initData is "" and the calls do nothing. */
(function () {
  "use strict";
  if (window.Telegram && window.Telegram.WebApp) return;

  var fragment = new URLSearchParams(location.hash.replace(/^#/, ""));

  function remembered(key) {
    var value = fragment.get(key);
    try {
      if (value) sessionStorage.setItem("__tg_" + key, value);
      else value = sessionStorage.getItem("__tg_" + key);
    } catch (e) {
      /* storage off: the fragment is all there is */
    }
    return value || "";
  }

  function parseJson(text) {
    try {
      return text ? JSON.parse(text) : null;
    } catch (e) {
      return null;
    }
  }

  var initData = remembered("tgWebAppData");
  var unsafe = {};
  new URLSearchParams(initData).forEach(function (value, key) {
    unsafe[key] = key === "user" || key === "receiver" || key === "chat" ? parseJson(value) : value;
  });
  var themeParams = parseJson(remembered("tgWebAppThemeParams")) || {};
  var inTelegram = Boolean(initData) || Boolean(window.TelegramWebviewProxy) || window.parent !== window;

  function postEvent(type, data) {
    if (!inTelegram) return;
    var payload = JSON.stringify(data || {});
    try {
      if (window.TelegramWebviewProxy) {
        window.TelegramWebviewProxy.postEvent(type, payload);
      } else if (window.external && "notify" in window.external) {
        window.external.notify(JSON.stringify({ eventType: type, eventData: data || {} }));
      } else if (window.parent !== window) {
        window.parent.postMessage(JSON.stringify({ eventType: type, eventData: data || {} }), "*");
      }
    } catch (e) {
      /* a client without that method: the board works without it */
    }
  }

  function luminance(hex) {
    var m = /^#?([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex || "");
    if (!m) return null;
    return (0.2126 * parseInt(m[1], 16) + 0.7152 * parseInt(m[2], 16) + 0.0722 * parseInt(m[3], 16)) / 255;
  }

  var bright = luminance(themeParams.bg_color);
  var colorScheme =
    bright === null
      ? window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
        ? "dark"
        : "light"
      : bright < 0.5
        ? "dark"
        : "light";

  var root = document.documentElement;
  Object.keys(themeParams).forEach(function (key) {
    if (/^[a-z_]+$/.test(key) && /^#[0-9a-f]{3,8}$/i.test(String(themeParams[key]))) {
      root.style.setProperty("--tg-theme-" + key.replace(/_/g, "-"), themeParams[key]);
    }
  });
  root.style.setProperty("--tg-color-scheme", colorScheme);

  window.Telegram = window.Telegram || {};
  window.Telegram.WebApp = {
    initData: initData,
    initDataUnsafe: unsafe,
    themeParams: themeParams,
    colorScheme: colorScheme,
    platform: fragment.get("tgWebAppPlatform") || "unknown",
    version: fragment.get("tgWebAppVersion") || "6.0",
    isLocalShim: true,
    isVerticalSwipesEnabled: true,
    ready: function () {
      postEvent("web_app_ready");
    },
    expand: function () {
      postEvent("web_app_expand");
    },
    disableVerticalSwipes: function () {
      this.isVerticalSwipesEnabled = false;
      postEvent("web_app_setup_swipe_behavior", { allow_vertical_swipe: false });
    },
    enableVerticalSwipes: function () {
      this.isVerticalSwipesEnabled = true;
      postEvent("web_app_setup_swipe_behavior", { allow_vertical_swipe: true });
    },
    onEvent: function () {},
    offEvent: function () {},
  };
})();
