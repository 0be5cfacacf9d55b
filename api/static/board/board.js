/* The leads board and the deals board: columns of cards, "show more", the filters, drag to move.
 * The server decides every move: a refused one snaps back with its message, a stale one reloads the board. */
(function () {
  "use strict";
  var Board = window.Board;
  var el = Board.el;
  var t = function (key, values) {
    return Board.state.t(key, values);
  };

  var SCORE_HIGH = 0.6; // the transfer threshold's usual value: green from here
  var SCORE_MID = 0.4;
  var MAX_LIMIT = 200; // the server's largest page of a column (core.services.board.MAX_CARDS)
  var filters = { owner: "", source: "", q: "" };
  var lastDragEnd = 0; // a click right after a drop is the drop's, not a tap
  var sortables = { leads: [], deals: [] };

  function limit() {
    var asked = parseInt(new URLSearchParams(location.search).get("limit") || "", 10);
    return asked > 0 && asked <= MAX_LIMIT ? asked : 100;
  }

  function scoreBadge(score) {
    if (score === null || score === undefined) return null;
    var level = score >= SCORE_HIGH ? "high" : score >= SCORE_MID ? "mid" : "low";
    return el("span", { class: "score " + level, text: Number(score).toFixed(2) });
  }

  function stepLine(step) {
    if (!step) return null;
    var text = (step.title || Board.word("step." + step.kind, step.kind)) + " · " + Board.formatDate(step.due);
    return el("div", { class: "step" + (step.overdue ? " overdue" : ""), text: text, title: step.note || "" });
  }

  Board.leadCard = function (card) {
    var flags = [];
    if (card.next_step && card.next_step.overdue) flags.push(el("span", { class: "flag overdue", text: t("overdue") }));
    if (card.stale) flags.push(el("span", { class: "flag stale", text: t("stale") }));
    var node = el(
      "article",
      {
        class: "card",
        tabindex: "0",
        data: { id: card.id, version: card.version, stage: card.stage },
      },
      [
        el("div", { class: "name", text: card.name || t("lead", { id: card.id }) }),
        card.company ? el("div", { class: "company", text: card.company }) : null,
        Board.state.me && Board.state.me.sees_all
          ? el("div", { class: "owner", text: card.owner ? card.owner.name : t("unassigned") })
          : null,
        stepLine(card.next_step),
        card.score !== null && card.score !== undefined || flags.length
          ? el("div", { class: "flags" }, [scoreBadge(card.score)].concat(flags))
          : null,
      ]
    );
    return node;
  };

  /* One listener for every card (a board of 500 builds faster without 1,000 of them): a tap or Enter on a
   * card opens its lead (a deal's card, the deal's lead). */
  function openCard(event) {
    if (event.type === "keydown" && event.key !== "Enter") return;
    var node = event.target.closest && event.target.closest(".card");
    if (!node || Date.now() - lastDragEnd < 400 || node.classList.contains("pending")) return;
    Board.openDetail(Number(node.dataset.leadId || node.dataset.id));
  }
  ["board", "closed-list", "deals"].forEach(function (id) {
    var holder = document.getElementById(id);
    holder.addEventListener("click", openCard);
    holder.addEventListener("keydown", openCard);
  });

  function moreButton(column, shown, more, load) {
    if (!more) return null;
    return el("button", {
      type: "button",
      class: "more",
      text: t("show_more", { n: more }),
      on: {
        click: function (event) {
          var button = event.currentTarget;
          button.disabled = true;
          load(shown).then(
            function (page) {
              var list = column.querySelector(".cards");
              page.cards.forEach(function (card) {
                list.appendChild(Board.leadCard(card));
              });
              var next = moreButton(column, shown + page.cards.length, page.more, load);
              button.replaceWith(next || document.createTextNode(""));
            },
            function (error) {
              button.disabled = false;
              Board.fail(error);
            }
          );
        },
      },
    });
  }

  function columnParams(offset) {
    return Board.query({ offset: offset, limit: limit(), owner: filters.owner, source: filters.source, q: filters.q });
  }

  function leadColumn(column) {
    var list = el("div", { class: "cards", data: { stage: column.stage, empty: t("empty") } });
    var fragment = document.createDocumentFragment();
    column.cards.forEach(function (card) {
      fragment.appendChild(Board.leadCard(card));
    });
    list.appendChild(fragment);
    var node = el("section", { class: "column", data: { stage: column.stage } }, [
      el("header", { class: "column-head" }, [
        el("span", { class: "column-title", text: column.title }),
        el("span", { class: "count", text: countText(column) }),
      ]),
      list,
    ]);
    var more = moreButton(node, column.cards.length, column.more, function (offset) {
      return Board.api("board/column/" + encodeURIComponent(column.stage) + columnParams(offset));
    });
    if (more) node.appendChild(more);
    return node;
  }

  function countText(column) {
    return String(column.count) + (column.capped ? "+" : "");
  }

  function setCount(stage, delta) {
    var count = document.querySelector('#board .column[data-stage="' + stage + '"] .count');
    if (count && /^\d+$/.test(count.textContent)) count.textContent = String(Number(count.textContent) + delta);
  }

  function collapsedColumns(list) {
    var holder = Board.clear(document.getElementById("collapsed"));
    var closed = document.getElementById("closed-list");
    closed.hidden = true;
    list.forEach(function (column) {
      holder.appendChild(
        el(
          "button",
          {
            type: "button",
            class: "collapsed-column",
            data: { stage: column.stage },
            "aria-expanded": "false",
            on: {
              click: function (event) {
                toggleClosed(event.currentTarget, column);
              },
            },
          },
          [el("span", { text: column.title }), el("span", { class: "count", text: countText(column) })]
        )
      );
    });
  }

  function toggleClosed(button, column) {
    var closed = document.getElementById("closed-list");
    var open = button.getAttribute("aria-expanded") === "true";
    document.querySelectorAll(".collapsed-column").forEach(function (other) {
      other.setAttribute("aria-expanded", "false");
    });
    if (open) {
      closed.hidden = true;
      return;
    }
    button.setAttribute("aria-expanded", "true");
    Board.clear(closed).hidden = false;
    closed.appendChild(el("p", { class: "empty", text: t("loading") }));
    Board.api("board/column/" + encodeURIComponent(column.stage) + columnParams(0)).then(function (page) {
      Board.clear(closed);
      var shown = leadColumn({ stage: column.stage, title: column.title, count: column.count, cards: page.cards, more: page.more });
      shown.classList.add("closed-column");
      closed.appendChild(shown);
    }, Board.fail);
  }

  function fillFilters(data) {
    var form = document.getElementById("filters");
    form.hidden = !data.can_filter;
    if (!data.can_filter) return;
    var owner = document.getElementById("owner-filter");
    var source = document.getElementById("source-filter");
    if (!owner.options.length) {
      owner.appendChild(el("option", { value: "", text: t("all_managers") }));
      owner.appendChild(el("option", { value: "0", text: t("unassigned") }));
      (data.filters.owners || []).forEach(function (person) {
        owner.appendChild(el("option", { value: String(person.id), text: person.name }));
      });
      source.appendChild(el("option", { value: "", text: t("all_sources") }));
      (data.filters.sources || []).forEach(function (item) {
        var code = typeof item === "string" ? item : item.code;
        source.appendChild(el("option", { value: code, text: item.title || t("source." + code) }));
      });
    }
  }

  Board.installFilters = function () {
    var search = document.getElementById("search");
    var timer = null;
    search.placeholder = t("search");
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        filters.q = search.value.trim();
        Board.loadLeads();
      }, 300);
    });
    document.getElementById("filters").addEventListener("submit", function (event) {
      event.preventDefault();
      clearTimeout(timer);
      filters.q = search.value.trim();
      Board.loadLeads();
    });
    ["owner", "source"].forEach(function (name) {
      document.getElementById(name + "-filter").addEventListener("change", function (event) {
        filters[name] = event.currentTarget.value;
        Board.loadLeads();
      });
    });
  };

  function destroySortables(group) {
    sortables[group].forEach(function (sortable) {
      sortable.destroy();
    });
    sortables[group] = [];
  }

  /* Drag on every column's list; the pointer/touch path of SortableJS (forceFallback) works the same in a
   * phone's WebView and a desktop browser. A long press (150 ms) starts a drag by touch, so a swipe still
   * scrolls; Telegram's swipe-to-close is off while a card is held. */
  function makeSortable(list, group, onMove) {
    if (!window.Sortable) return;
    sortables[group].push(
      window.Sortable.create(list, {
        group: group,
        sort: false,
        forceFallback: true,
        fallbackOnBody: true,
        fallbackTolerance: 4,
        delay: 150,
        delayOnTouchOnly: true,
        touchStartThreshold: 5,
        animation: 120,
        draggable: ".card",
        filter: ".pending",
        ghostClass: "card-ghost",
        chosenClass: "card-chosen",
        dragClass: "card-drag",
        onChoose: function () {
          if (Board.tg && Board.tg.disableVerticalSwipes) Board.tg.disableVerticalSwipes();
          document.body.classList.add("dragging");
        },
        onUnchoose: function () {
          if (Board.tg && Board.tg.enableVerticalSwipes) Board.tg.enableVerticalSwipes();
          document.body.classList.remove("dragging");
        },
        onEnd: function (evt) {
          lastDragEnd = Date.now();
          if (evt.from === evt.to) return;
          onMove(evt);
        },
      })
    );
  }

  function snapBack(evt) {
    var from = evt.from;
    from.insertBefore(evt.item, from.children[evt.oldIndex] || null);
  }

  function moveLead(evt) {
    var item = evt.item;
    var from = evt.from.dataset.stage;
    var to = evt.to.dataset.stage;
    item.classList.add("pending");
    Board.api("leads/" + item.dataset.id + "/move", {
      method: "POST",
      body: { to: to, version: Number(item.dataset.version) },
    }).then(
      function (answer) {
        var fresh = Board.leadCard(answer.card);
        item.remove();
        var target = document.querySelector('#board .cards[data-stage="' + answer.card.stage + '"]');
        if (target) target.insertBefore(fresh, target.firstChild);
        setCount(from, -1);
        setCount(answer.card.stage, +1);
        Board.notice(answer.note || "", "ok");
      },
      function (error) {
        item.classList.remove("pending");
        snapBack(evt);
        if (error.status === 401) return;
        Board.notice(error.detail, "error");
        if (error.code === "stale" || error.code === "gone" || error.code === "not_found") Board.loadLeads();
      }
    );
  }

  var leadsRequest = 0;
  function askLeads() {
    var params = Board.query({ owner: filters.owner, source: filters.source, q: filters.q, limit: limit() });
    return Board.api("board" + params);
  }

  /* The first board is asked for beside /me (one round trip less on opening), rendered once /me is known. */
  var early = null;
  Board.prefetchLeads = function () {
    early = { started: performance.now(), answer: askLeads() };
    early.answer.catch(function () {}); // its error is shown when it is used
  };

  Board.loadLeads = function () {
    var mine = ++leadsRequest;
    var started = early ? early.started : performance.now();
    var answer = early ? early.answer : askLeads();
    early = null;
    return answer.then(function (data) {
      if (mine !== leadsRequest) return; // a newer filter's answer is on its way
      var fetched = performance.now();
      fillFilters(data);
      collapsedColumns(data.collapsed || []);
      destroySortables("leads");
      var board = Board.clear(document.getElementById("board"));
      var fragment = document.createDocumentFragment();
      data.columns.forEach(function (column) {
        fragment.appendChild(leadColumn(column));
      });
      board.appendChild(fragment);
      board.querySelectorAll(".cards").forEach(function (list) {
        makeSortable(list, "leads", moveLead);
      });
      var built = performance.now();
      void board.offsetHeight; // lay it out now: part of the render's time
      var rendered = performance.now();
      // What bench/board_render.py reads: the answer's wait, building + laying out the cards, and (next frame)
      // when the board was on screen, in ms since the page's navigation started.
      var timing = (Board.lastRender = {
        cards: board.querySelectorAll(".card").length,
        fetchMs: fetched - started,
        renderMs: rendered - fetched,
        layoutMs: rendered - built,
        shownAt: null,
      });
      requestAnimationFrame(function () {
        timing.shownAt = performance.now();
      });
      document.body.dataset.loaded = "leads";
    }, Board.fail);
  };

  /* --- deals --- */

  function dealCard(deal) {
    return el(
      "article",
      {
        class: "card deal",
        tabindex: "0",
        data: { id: deal.id, leadId: deal.lead_id, stage: deal.stage },
      },
      [
        el("div", { class: "card-top" }, [el("span", { class: "name", text: deal.name || t("deal", { id: deal.id }) })]),
        deal.company ? el("div", { class: "company", text: deal.company }) : null,
        deal.amount !== null && deal.amount !== undefined
          ? el("div", { class: "amount", text: Board.formatMoney(deal.amount, deal.currency) })
          : null,
        dealPerson(deal),
      ]
    );
  }

  /* The deal's owner, else the lead's manager (a new deal often has no owner yet). */
  function dealPerson(deal) {
    var person = deal.owner || deal.manager;
    return el("div", { class: "owner", text: person ? person.name : t("unassigned") });
  }

  function dealColumn(column) {
    var list = el("div", { class: "cards", data: { stage: column.stage, empty: t("empty_deals") } });
    column.cards.forEach(function (deal) {
      list.appendChild(dealCard(deal));
    });
    var totals = (column.totals || []).map(function (total) {
      return el("div", { class: "total", text: Board.formatMoney(total.amount, total.currency) });
    });
    return el("section", { class: "column", data: { stage: column.stage } }, [
      el("header", { class: "column-head" }, [
        el("span", { class: "column-title", text: column.title }),
        el("span", { class: "count", text: countText(column) }),
      ]),
      el("div", { class: "totals" }, totals),
      list,
      column.more ? el("p", { class: "empty", text: "+" + column.more }) : null,
    ]);
  }

  function moveDeal(evt) {
    var item = evt.item;
    item.classList.add("pending");
    var body = { to: evt.to.dataset.stage, stage: evt.from.dataset.stage }; // the stage shown: a moved deal is stale
    Board.api("deals/" + item.dataset.id + "/move", { method: "POST", body: body }).then(
      function (answer) {
        Board.notice(answer.note || "", "ok");
        Board.loadDeals();
      },
      function (error) {
        item.classList.remove("pending");
        snapBack(evt);
        if (error.status === 401) return;
        Board.notice(error.detail, "error");
        if (error.code === "stale") Board.loadDeals();
      }
    );
  }

  Board.loadDeals = function () {
    var owner = filters.owner === "0" ? "" : filters.owner; // the deals board has no "unassigned" filter
    return Board.api("deals" + Board.query({ owner: owner, limit: limit() })).then(function (data) {
      destroySortables("deals");
      var board = Board.clear(document.getElementById("deals"));
      data.columns.forEach(function (column) {
        board.appendChild(dealColumn(column));
      });
      board.querySelectorAll(".cards").forEach(function (list) {
        makeSortable(list, "deals", moveDeal);
      });
      document.body.dataset.loaded = "deals";
    }, Board.fail);
  };
})();
