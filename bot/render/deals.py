"""Deal screens: the deal card, /deals with its totals, amounts and close days, the "deal closed" message."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup

from bot.i18n import _
from bot.render.clock import MONTHS, WEEKDAYS, local, when
from bot.render.vocabulary import current_locale, esc, lost_reason, sale_stage_name
from core.domain.enums import SaleStage
from core.domain.models import Lead, LeadEvent, Sale, SaleStageChange, SaleTotal, User
from core.services.deals import DealItem, DealsPage, DealView

HISTORY_SHOWN = 8


def money(amount: Decimal | str | None, currency: str | None) -> str:
    """ "150 000 RUB", "2 500,50 USD" in Russian (no-break spaces between thousands), "—" when not set."""
    if amount is None:
        return "—"
    value = Decimal(amount).quantize(Decimal("0.01"))
    whole, cents = divmod(abs(value), 1)
    text = f"{int(whole):,}".replace(",", "\u00a0")
    if cents:
        text += ("," if current_locale() == "ru" else ".") + f"{int(cents * 100):02d}"
    sign = "-" if value < 0 else ""
    return f"{sign}{text}\u00a0{currency}" if currency else sign + text


def close_day(dt: datetime | None) -> str:
    """An expected close as a day in the viewer's zone: "Fri 5 Dec 2026"; "not set" when there is none."""
    if dt is None:
        return _("not set")
    moment = local(dt)
    return f"{_(WEEKDAYS[moment.weekday()])} {moment.day} {_(MONTHS[moment.month - 1])} {moment.year}"


def person(user: User | None) -> str:
    return esc(user.full_name) if user is not None else _("nobody")


def _lead_name(sale: Sale, lead: Lead | None) -> str:
    return esc(lead.name) if lead is not None and lead.name else _("lead #{id}").format(id=sale.lead_id)


def deal_card(view: DealView, *, note: str | None = None) -> str:
    sale = view.sale
    lines = [
        _("<b>Deal</b> #{id} · {name} (lead #{lead_id})").format(
            id=sale.id, name=_lead_name(sale, view.lead), lead_id=sale.lead_id
        ),
        _("Stage: {value}").format(value=f"<b>{sale_stage_name(sale.stage)}</b>"),
        _("Amount: {value}").format(value=money(sale.amount, sale.currency)),
        _("Expected close: {value}").format(value=close_day(sale.expected_close_at)),
        _("Owner: {value}").format(value=person(view.owner)),
        _("Transferred by: {value}").format(value=person(view.manager)),
        _("Opened: {when}").format(when=when(sale.created_at)),
    ]
    if sale.closed_at:
        lines.append(_("Closed: {when}").format(when=when(sale.closed_at)))
    entries: list[SaleStageChange | LeadEvent] = sorted([*view.changes, *view.edits], key=lambda e: e.created_at)
    if entries:
        lines += ["", "<b>" + _("History") + "</b>"]
    for entry in entries[-HISTORY_SHOWN:]:
        what = _stage_change(entry) if isinstance(entry, SaleStageChange) else edit_text(entry.data)
        who = esc(view.names.get(entry.actor, entry.actor))
        lines.append(f"{when(entry.created_at)}: {what} · " + _("changed by {actor}").format(actor=who))
    if note:
        lines += ["", note]
    return "\n".join(lines)


def _stage_change(ch: SaleStageChange) -> str:
    reason = f" — {lost_reason(ch.reason_code, ch.reason)}" if ch.reason or ch.reason_code else ""
    return f"{sale_stage_name(ch.from_stage)} → {sale_stage_name(ch.to_stage)}{reason}"


def _close_iso(value: Any) -> str:
    try:
        return close_day(datetime.fromisoformat(str(value))) if value else _("not set")
    except ValueError:
        return esc(value)


def edit_text(data: dict[str, Any]) -> str:
    """What one deal edit changed (``LeadEventKind.DEAL_EDITED``): "amount: — → 150 000 RUB; owner: nobody →
    Anna"; several fields in one line, in a fixed order."""
    changes: dict[str, list[Any]] = data.get("changes") or {}
    currency = changes.get("currency") or [data.get("currency")] * 2
    parts = []
    if "amount" in changes:
        (before, after), (cur_before, cur_after) = changes["amount"], currency
        parts.append(
            _("amount: {before} → {after}").format(
                before=money(before, cur_before or cur_after), after=money(after, cur_after or cur_before)
            )
        )
    elif "currency" in changes:
        parts.append(
            _("currency: {before} → {after}").format(before=esc(currency[0] or "—"), after=esc(currency[1] or "—"))
        )
    if "expected_close_at" in changes:
        before, after = changes["expected_close_at"]
        parts.append(_("expected close: {before} → {after}").format(before=_close_iso(before), after=_close_iso(after)))
    if "owner_id" in changes:
        parts.append(
            _("owner: {before} → {after}").format(
                before=esc(data.get("from_name")) if data.get("from_name") else _("nobody"),
                after=esc(data.get("to_name")) if data.get("to_name") else _("nobody"),
            )
        )
    return "; ".join(parts)


def totals_lines(totals: Sequence[SaleTotal]) -> list[str]:
    """One line per stage that has deals: "KYC: 3 · 150 000 RUB + 2 500 USD"."""
    lines = []
    for stage in SaleStage:
        rows = [t for t in totals if t.stage == stage]
        count = sum(t.count for t in rows)
        if not count:
            continue
        sums = " + ".join(
            money(t.amount, t.currency) for t in sorted(rows, key=lambda t: t.currency or "") if t.currency
        )
        lines.append(f"{sale_stage_name(stage)}: {count}" + (f" · {sums}" if sums else ""))
    return lines


def deal_line(item: DealItem) -> str:
    sale = item.sale
    text = f"#{sale.id} {_lead_name(sale, item.lead)} · {sale_stage_name(sale.stage)}"
    if sale.amount is not None:
        text += f" · {money(sale.amount, sale.currency)}"
    return text


def deal_button_text(item: DealItem) -> str:
    sale = item.sale
    name = item.lead.display_name if item.lead is not None else f"#{sale.lead_id}"
    text = f"#{sale.id} {name}"
    if sale.amount is not None:
        text += f" · {money(sale.amount, sale.currency)}"
    return text if len(text) <= 40 else text[:39] + "…"


def deals_page(result: DealsPage, *, stage: str) -> str:
    filt = sale_stage_name(stage) if stage else _("all stages")
    head = _("<b>Deals</b> · {filter} · page {page}/{pages} · {total} total").format(
        filter=filt, page=result.page + 1, pages=max(result.pages, 1), total=result.total
    )
    parts = [head]
    totals = totals_lines(result.totals)
    if totals:
        parts.append("<b>" + _("By stage") + "</b>\n" + "\n".join(totals))
    if result.items:
        parts.append("\n".join(deal_line(item) for item in result.items))
    else:
        parts.append(_("No deals here yet: a deal opens when a lead is transferred to sales."))
    return "\n\n".join(parts)


def deal_closed(payload: dict[str, Any], sale_url: str) -> tuple[str, InlineKeyboardMarkup]:
    """The message to the manager who transferred the lead: their deal is paid or lost."""
    name = esc(str(payload.get("name") or ""))
    if payload.get("stage") == SaleStage.PAID.value:
        head = _("🎉 <b>Your deal is paid</b>: {name}").format(name=name)
    else:
        head = _("😞 <b>Your deal is lost</b>: {name}").format(name=name)
    lines = [head, _("Deal #{id} · lead #{lead_id}").format(id=payload.get("sale_id"), lead_id=payload.get("lead_id"))]
    if payload.get("amount"):
        lines.append(_("Amount: {value}").format(value=money(str(payload["amount"]), payload.get("currency"))))
    if payload.get("reason") or payload.get("reason_code"):
        reason = lost_reason(payload.get("reason_code"), payload.get("reason"))
        lines.append(_("Reason: {reason}").format(reason=reason))
    markup = InlineKeyboardMarkup(inline_keyboard=[[InlineKeyboardButton(text=_("Open the deal"), url=sale_url)]])
    return "\n".join(lines), markup
