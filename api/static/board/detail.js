/* A lead's detail: contacts, score with its reasons, next step, history, and the card's actions (move, log an
 * activity, analyze, next step, lost with a reason, transfer with the refusal's offers). Every action sends the
 * card's version; the answer's note is shown and the detail is read again. */
(function () {
  "use strict";
  var Board = window.Board;
  var el = Board.el;
  var t = function (key, values) {
    return Board.state.t(key, values);
  };
  var OUTCOMES = { call: ["reached", "no_answer", "call_back"], meeting: ["held", "cancelled"] };
  var current = null; // {id, data}
  var dirty = false; // something changed: the board reloads when the detail closes

  function section(title, children, extra) {
    return el("section", { class: "block" + (extra ? " " + extra : "") }, [el("h3", { text: title })].concat(children));
  }

  function field(label, control) {
    return el("label", { class: "field" }, [el("span", { text: label }), control]);
  }

  function option(value, text, selected) {
    return el("option", { value: value, text: text, selected: selected });
  }

  function button(text, onClick, extra) {
    return el("button", { type: "button", class: "action" + (extra ? " " + extra : ""), text: text, on: { click: onClick } });
  }

  function version() {
    return current.data.card.version;
  }

  /* POST an action; the note on success, the server's words on refusal (a stale card reloads first). */
  function act(path, body, onRefused) {
    var buttons = document.querySelectorAll("#detail button, #detail input, #detail select");
    buttons.forEach(function (node) {
      node.disabled = true;
    });
    document.body.dataset.busy = "1";
    return Board.api("leads/" + current.id + "/" + path, { method: "POST", body: body })
      .then(
        function (answer) {
          dirty = true;
          Board.notice(answer.note || "", "ok");
          return load(current.id);
        },
        function (error) {
          if (error.status === 401) return;
          Board.notice(error.detail, "error");
          if (error.code === "stale") {
            dirty = true;
            return load(current.id);
          }
          if (onRefused) onRefused(error);
        }
      )
      .then(function () {
        buttons.forEach(function (node) {
          if (document.body.contains(node)) node.disabled = false;
        });
        delete document.body.dataset.busy;
      });
  }

  function contactsBlock(data) {
    var list = (data.contacts || []).map(function (contact) {
      return el("li", {}, [el("span", { class: "muted", text: t("contact." + contact.kind) + ": " }), el("span", { text: contact.value })]);
    });
    return section(t("contacts"), [list.length ? el("ul", { class: "plain" }, list) : el("p", { class: "muted", text: t("no_contacts") })]);
  }

  function scoreBlock(data) {
    var score = data.score;
    if (!score || score.value === null || score.value === undefined) {
      return section(t("score"), [el("p", { class: "muted", text: t("no_score") })]);
    }
    var level = score.value >= 0.6 ? "high" : score.value >= 0.4 ? "mid" : "low";
    var bar = el("div", { class: "bar" }, [el("div", { class: "bar-fill " + level })]);
    bar.firstChild.style.width = Math.round(Math.max(0, Math.min(1, score.value)) * 100) + "%";
    return section(t("score"), [
      el("p", { class: "score-line" }, [
        el("span", { class: "score " + level, text: Number(score.value).toFixed(2) }),
        " ",
        el("span", { text: score.recommendation_title || "" }),
      ]),
      bar,
      score.reason ? el("p", { class: "reason", text: score.reason }) : null,
    ]);
  }

  function stepBlock(card) {
    var step = card.next_step;
    if (!step) return section(t("next_step"), [el("p", { class: "muted", text: t("no_next_step") })]);
    return section(t("next_step"), [
      el("p", { class: step.overdue ? "overdue-text" : "" }, [
        el("strong", { text: step.title || step.kind }),
        " · " + Board.formatDate(step.due) + (step.overdue ? " · " + t("overdue") : ""),
      ]),
      step.note ? el("p", { class: "muted", text: step.note }) : null,
    ]);
  }

  /* The kinds with their outcomes: the server's (activity_kinds, in the user's words), else the codes. */
  function activityKinds(data) {
    if (data.activity_kinds && data.activity_kinds.length) return data.activity_kinds;
    return (data.actions.activity || []).map(function (code) {
      return {
        code: code,
        title: Board.word("kind." + code, code),
        outcomes: (OUTCOMES[code] || []).map(function (o) {
          return { code: o, title: t("outcome." + o) };
        }),
      };
    });
  }

  function activityForm(data) {
    var kinds = activityKinds(data);
    var kind = el("select", { name: "kind" }, kinds.map(function (item) {
      return option(item.code, item.title);
    }));
    var outcome = el("select", { name: "outcome" });
    var text = el("input", { type: "text", name: "text", maxlength: "4000", placeholder: t("comment") });
    function outcomes() {
      var chosen = kinds.filter(function (item) {
        return item.code === kind.value;
      })[0];
      var list = (chosen && chosen.outcomes) || [];
      Board.clear(outcome).appendChild(option("", t("no_outcome")));
      list.forEach(function (item) {
        outcome.appendChild(option(item.code, item.title));
      });
      if (outcome.parentNode) outcome.parentNode.hidden = !list.length;
    }
    kind.addEventListener("change", outcomes);
    var outcomeField = field(t("outcome"), outcome);
    var form = el("form", { class: "form", id: "activity-form" }, [
      field(t("kind"), kind),
      outcomeField,
      field(t("comment"), text),
      el("button", { type: "submit", class: "action primary", text: t("log") }),
    ]);
    outcomes();
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { kind: kind.value, version: version() };
      if (outcome.value) body.outcome = outcome.value;
      if (text.value.trim()) body.text = text.value.trim();
      act("activities", body);
    });
    return el("details", { class: "fold", id: "fold-activity" }, [el("summary", { text: t("log_activity") }), form]);
  }

  function stepForm(data) {
    var kind = el("select", { name: "kind" }, (data.step_kinds || []).map(function (item) {
      return option(item.code, item.title);
    }));
    var due = el("input", { type: "text", name: "due", placeholder: t("due"), required: true });
    var note = el("input", { type: "text", name: "note", maxlength: "500", placeholder: t("note") });
    var form = el("form", { class: "form", id: "step-form" }, [
      field(t("kind"), kind),
      field(t("due"), due),
      field(t("note"), note),
      el("div", { class: "row" }, [
        el("button", { type: "submit", class: "action primary", text: t("save") }),
        data.card.next_step
          ? button(t("clear_step"), function () {
              act("next-step", { clear: true, version: version() });
            })
          : null,
      ]),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { kind: kind.value, due: due.value.trim(), version: version() };
      if (note.value.trim()) body.note = note.value.trim();
      act("next-step", body);
    });
    return el("details", { class: "fold", id: "fold-step" }, [el("summary", { text: t("set_next_step") }), form]);
  }

  function lostForm(data) {
    var reason = el("select", { name: "reason_code" }, [option("", "—")].concat(
      (data.lost_reasons || []).map(function (item) {
        return option(item.code, item.title);
      })
    ));
    var other = el("input", { type: "text", name: "reason", maxlength: "500", placeholder: t("other_reason") });
    var form = el("form", { class: "form", id: "lost-form" }, [
      field(t("lost_reason"), reason),
      field(t("other_reason"), other),
      el("button", { type: "submit", class: "action danger", text: t("mark_lost") }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var body = { version: version() };
      if (reason.value) body.reason_code = reason.value;
      if (other.value.trim()) body.reason = other.value.trim();
      act("lost", body);
    });
    return el("details", { class: "fold", id: "fold-lost" }, [el("summary", { text: t("mark_lost") }), form]);
  }

  function domainForm(data) {
    var control = data.domains && data.domains.length
      ? el("select", { name: "domain" }, data.domains.map(function (item) {
          return typeof item === "string" ? option(item, item) : option(item.code, item.title || item.code);
        }))
      : el("input", { type: "text", name: "domain", required: true, placeholder: t("domain") });
    var form = el("form", { class: "form", id: "domain-form" }, [
      field(t("domain"), control),
      el("button", { type: "submit", class: "action primary", text: t("save") }),
    ]);
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      act("domain", { domain: control.value.trim(), version: version() });
    });
    return form;
  }

  function showRefusal(error, data) {
    var box = Board.clear(document.getElementById("transfer-refusal"));
    box.hidden = false;
    box.appendChild(el("p", { class: "refusal-text", text: error.detail }));
    box.scrollIntoView({ block: "nearest" });
    var offers = error.body.offers || [];
    if (!offers.length) return;
    box.appendChild(el("h4", { text: t("offers") }));
    offers.forEach(function (offer) {
      if (offer === "analyze") {
        box.appendChild(button(t("analyze"), function () {
          act("analyze", { version: version() });
        }, "offer"));
      } else if (offer === "set_domain") {
        box.appendChild(el("p", { class: "offer-title", text: t("set_domain") }));
        box.appendChild(domainForm(data));
      }
    });
  }

  function actionsBlock(data) {
    var actions = data.actions || {};
    var items = [];
    if (actions.move_to) {
      items.push(button(t("move_to", { stage: Board.word("lead_stage." + actions.move_to, actions.move_to) }), function () {
        act("move", { to: actions.move_to, version: version() });
      }, "primary"));
    }
    if (actions.activity && actions.activity.length) items.push(activityForm(data));
    if (actions.analyze) {
      items.push(button(t("analyze"), function () {
        act("analyze", { version: version() });
      }));
    }
    if (actions.next_step) items.push(stepForm(data));
    if (actions.transfer) {
      items.push(button(t("transfer"), function () {
        act("transfer", { version: version() }, function (error) {
          if (error.code === "transfer_refused") showRefusal(error, data);
        });
      }, "primary"));
      items.push(el("div", { class: "refusal", id: "transfer-refusal", hidden: true }));
    }
    if (actions.lost) items.push(lostForm(data));
    if (!items.length) return null;
    return section(t("actions"), items, "actions");
  }

  function historyBlock(title, rows, line) {
    if (!rows || !rows.length) return null;
    return section(title, [el("ul", { class: "history" }, rows.map(line))]);
  }

  function render(data) {
    var card = data.card;
    var detail = Board.clear(document.getElementById("detail"));
    var meta = [
      Board.word("lead_stage." + card.stage, card.stage),
      card.company,
      data.business_domain_title || data.business_domain,
      card.owner ? card.owner.name : null,
      data.source_title || t("source." + (data.source || card.source)),
    ].filter(Boolean);
    detail.appendChild(el("header", { class: "detail-head" }, [
      el("button", { type: "button", class: "back", id: "detail-back", text: t("back"), on: { click: Board.closeDetail } }),
      el("h2", { class: "detail-name", text: card.name || t("lead", { id: card.id }) }),
    ]));
    var body = el("div", { class: "detail-body" }, [
      el("p", { class: "meta", text: meta.join(" · ") }),
      card.stale ? el("p", { class: "flag stale", text: t("stale") }) : null,
      data.lost_reason ? el("p", { class: "muted", text: data.lost_reason }) : null,
      contactsBlock(data),
      scoreBlock(data),
      stepBlock(card),
      actionsBlock(data),
      historyBlock(t("activities"), data.activities, function (row) {
        var words = [row.title || row.kind, row.outcome ? t("outcome." + row.outcome) : null, row.text].filter(Boolean);
        return el("li", {}, [el("span", { class: "when", text: Board.formatDate(row.at) }), el("span", { text: words.join(" · ") })]);
      }),
      historyBlock(t("history"), data.history, function (row) {
        if (row.type === "event") return el("li", { text: row.text }); // the bot's line: time and who are in it
        return el("li", {}, [
          el("span", { class: "when", text: Board.formatDate(row.at) }),
          el("span", { text: row.text + (row.actor ? " — " + row.actor : "") }),
        ]);
      }),
    ]);
    detail.appendChild(body);
  }

  function load(id) {
    return Board.api("leads/" + id).then(function (data) {
      current = { id: id, data: data };
      render(data);
      document.body.dataset.detail = String(id);
    });
  }

  Board.openDetail = function (id) {
    dirty = false;
    return load(id).then(function () {
      document.getElementById("detail").hidden = false;
      document.body.classList.add("in-detail");
      window.scrollTo(0, 0);
      var back = Board.tg && Board.tg.BackButton;
      if (back && back.show) {
        back.onClick(Board.closeDetail);
        back.show();
      }
    }, function (error) {
      Board.fail(error);
      if (error.code === "gone" || error.code === "not_found") Board.reload();
    });
  };

  Board.closeDetail = function () {
    var back = Board.tg && Board.tg.BackButton;
    if (back && back.hide) {
      back.offClick(Board.closeDetail);
      back.hide();
    }
    document.getElementById("detail").hidden = true;
    document.body.classList.remove("in-detail");
    delete document.body.dataset.detail;
    current = null;
    if (dirty) Board.reload();
  };
})();
