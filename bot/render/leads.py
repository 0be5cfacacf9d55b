"""Lead screens: the card, the lists, search results, the history; and the deal card."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_HALF_UP, Decimal

from bot.i18n import _
from bot.render.events import events_section
from bot.render.steps import card_lines, list_marks
from bot.render.vocabulary import (
    TG_TEXT_MAX,
    activity_name,
    actor_name,
    current_locale,
    domain_name,
    esc,
    lead_label,
    lead_name,
    lead_title,
    lost_reason,
    recommendation_name,
    sale_stage_name,
    source_name,
    stage_name,
    when,
)
from core.domain.clock import utcnow
from core.domain.enums import Stage
from core.domain.models import Activity, Lead, LeadEvent, Sale, SaleStageChange, StageChange

BAR_CELLS = 10


def score_bar(score: float | None) -> str:
    """Ten cells for the score as shown (two decimals), rounded half up: 0.55 → 6 cells, 0.65 → 7 (Python's
    round() is banker's and drew both as 6)."""
    if score is None:
        return "▱" * BAR_CELLS
    cells = (Decimal(f"{score:.2f}") * BAR_CELLS).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    filled = max(0, min(BAR_CELLS, int(cells)))
    return "▰" * filled + "▱" * (BAR_CELLS - filled)


def score_line(score: float | None) -> str:
    if score is None:
        return _("not analyzed yet")
    return f"{score_bar(score)} {score:.2f}"


def lead_reason(lead: Lead, locale: str) -> str | None:
    if locale == "ru":
        return lead.ai_reason_ru or lead.ai_reason
    return lead.ai_reason or lead.ai_reason_ru


def lead_card(lead: Lead, *, note: str | None = None) -> str:
    """The lead card (one message, edited in place). ``note`` is a line shown on top (e.g. "Call logged")."""
    locale = current_locale()
    lines = []
    if note:
        lines += [f"<i>{esc(note)}</i>", ""]
    lines.append(lead_title(lead))
    if lead.company:
        lines.append(_("Company: {value}").format(value=esc(lead.company)))
    shown = [lead.contact] if lead.contact else []
    shown += [c.value for c in lead.contacts if c.value != lead.contact]
    lines.append(_("Contact: {value}").format(value=esc(", ".join(shown)) if shown else "—"))
    lines.append(_("Source: {value}").format(value=source_name(lead.source)))
    domain = esc(domain_name(lead.business_domain)) if lead.business_domain else _("not set")
    lines.append(_("Domain: {value}").format(value=domain))
    lines.append(_("Stage: {value}").format(value=f"<b>{stage_name(lead.stage)}</b>"))
    if lead.stage == Stage.LOST and (lead.lost_reason or lead.lost_reason_code):
        lines.append(_("Lost reason: {value}").format(value=lost_reason(lead.lost_reason_code, lead.lost_reason)))
    lines.append(
        _("Activities: {count} (last: {when})").format(count=lead.activity_count, when=when(lead.last_activity_at))
    )
    lines.append(_("Score: {value}").format(value=score_line(lead.ai_score)))
    if lead.ai_recommendation is not None:
        lines.append(_("Recommendation: {value}").format(value=f"<b>{recommendation_name(lead.ai_recommendation)}</b>"))
        reason = lead_reason(lead, locale)
        if reason:
            lines.append(_("Why: {value}").format(value=esc(reason)))
    lines.append(_("Owner: {value}").format(value=esc(lead.owner_name) if lead.owner_name else "—"))
    lines += card_lines(lead, utcnow())
    return "\n".join(lines)


def lead_line(lead: Lead, *, owner: bool = False) -> str:
    """One lead in a list; with ``owner`` (team leads' and admins' lists) its owner's name, or "no owner"."""
    score = f" · {lead.ai_score:.2f}" if lead.ai_score is not None else ""
    whose = ""
    if owner:
        whose = " · 👤 " + (esc(lead.owner_name or "—") if lead.owner_id is not None else _("no owner"))
    return f"{esc(lead_label(lead))} — {stage_name(lead.stage)}{score}{whose}{list_marks(lead, utcnow())}"


def lead_button_text(lead: Lead) -> str:
    text = f"{lead_label(lead)}{list_marks(lead, utcnow())}"
    return text if len(text) <= 40 else text[:39] + "…"


def leads_page(
    items: Sequence[Lead], *, page: int, pages: int, total: int, stage: str, mine: bool, owners: bool = False
) -> str:
    """A page of /leads; ``owners`` shows each lead's owner (everyone's leads, for team leads and admins)."""
    title = _("My leads") if mine else _("All leads")
    filt = stage_name(stage) if stage else _("all stages")
    head = _("<b>{title}</b> · {filter} · page {page}/{pages} · {total} total").format(
        title=title, filter=filt, page=page + 1, pages=max(pages, 1), total=total
    )
    if not items:
        return head + "\n\n" + _("No leads here yet. /new creates one.")
    return head + "\n\n" + "\n".join(lead_line(lead, owner=owners) for lead in items)


def found_leads(query: str, items: Sequence[Lead], *, first: int = 1, more: bool = False) -> str:
    """A page of search results numbered from ``first``; ``more``: another page follows (the total is not
    counted: a common text matches thousands)."""
    if not items:
        return _("Nothing found for “{query}”.").format(query=esc(query))
    last = first + len(items) - 1
    if more:
        head = _("Found for “{query}”: {first}–{last}, more on ▶").format(query=esc(query), first=first, last=last)
    else:
        head = _("Found for “{query}”: {first}–{last} of {total}").format(
            query=esc(query), first=first, last=last, total=last
        )
    return head + "\n" + "\n".join(lead_line(lead) for lead in items)


def history(
    lead: Lead,
    changes: Sequence[StageChange],
    activities: Sequence[Activity],
    events: Sequence[LeadEvent] = (),
    *,
    names: Mapping[str, str] | None = None,
) -> str:
    """Stages, activities, then owners and steps (assignments and the other lead events, any kind); each
    stage change and activity says who made it (``names``: actor label -> the user's name)."""
    names = names or {}
    lines = [_("<b>History</b> · {lead}").format(lead=lead_title(lead)), ""]
    lines.append("<b>" + _("Stages") + "</b>")
    if not changes:
        lines.append(_("no stage changes yet"))
    for ch in changes:
        reason = f" — {lost_reason(ch.reason_code, ch.reason)}" if ch.reason or ch.reason_code else ""
        lines.append(
            f"{when(ch.created_at)}: {stage_name(ch.from_stage)} → {stage_name(ch.to_stage)}{reason}"
            f" · {actor_name(ch.actor, names)}"
        )
    lines += ["", "<b>" + _("Activities") + "</b>"]
    if not activities:
        lines.append(_("no activities yet"))
    for act in activities:
        text = act.text or ""
        if len(text) > 200:
            text = text[:199] + "…"
        said = f" — {esc(text)}" if text else ""
        lines.append(
            f"{when(act.created_at)}: {activity_name(act.kind, act.outcome)}{said} · {actor_name(act.author, names)}"
        )
    lines += events_section(events)
    out = "\n".join(lines)
    return out if len(out) <= TG_TEXT_MAX else out[: TG_TEXT_MAX - 1] + "…"


def sale_card(sale: Sale, lead: Lead | None, changes: Sequence[SaleStageChange] = ()) -> str:
    name = esc(lead_name(lead)) if lead else f"#{sale.lead_id}"
    lines = [
        _("<b>Deal</b> #{id} · lead {name} (#{lead_id})").format(id=sale.id, name=name, lead_id=sale.lead_id),
        _("Stage: {value}").format(value=f"<b>{sale_stage_name(sale.stage)}</b>"),
        _("Opened: {when}").format(when=when(sale.created_at)),
    ]
    if sale.closed_at:
        lines.append(_("Closed: {when}").format(when=when(sale.closed_at)))
    for ch in changes[-5:]:
        reason = f" — {lost_reason(ch.reason_code, ch.reason)}" if ch.reason or ch.reason_code else ""
        lines.append(
            f"{when(ch.created_at)}: {sale_stage_name(ch.from_stage)} → {sale_stage_name(ch.to_stage)}{reason}"
        )
    return "\n".join(lines)
