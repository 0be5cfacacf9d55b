"""Domain objects as the board's JSON (BOARD_API.md): cards, columns, the lead's detail, deals. Names come from the
bot's catalogue in the request's language (``api.board.i18n``); what people typed (names, notes) is passed on as
raw text — the frontend inserts every string as text, never as HTML."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

import bot.render as render
from api.board.route import text_of
from bot.render import board as board_words
from bot.render.clock import viewer
from bot.render.events import event_line
from bot.render.steps import step_kind_name
from core.domain.enums import ActivityKind, LostReason, SaleStage, Source, Stage, StepKind
from core.domain.funnel import OUTCOMES, SALE_FINAL, SALE_FORWARD, next_stage
from core.domain.models import Lead, Sale, User
from core.services.board import Board, Column, DealCard, DealColumn
from core.services.history import LeadHistory


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment is not None else None


def money(amount: Decimal | None) -> str | None:
    return f"{amount:.2f}" if amount is not None else None


def person(user_id: int | None, name: str | None) -> dict[str, Any] | None:
    return {"id": user_id, "name": name or ""} if user_id is not None else None


def card(lead: Lead, now: datetime) -> dict[str, Any]:
    step = lead.next_step
    next_step = None
    if step is not None and not lead.is_final:
        next_step = {
            "kind": step.kind.value,
            "title": step_kind_name(step.kind),
            "due": iso(step.due_at),
            "due_text": text_of(render.due(step.due_at, now)),
            "note": step.note,
            "overdue": step.overdue_by(now) is not None,
        }
    return {
        "id": lead.id,
        "name": lead.name or text_of(render.lead_name(lead)),
        "company": lead.company,
        "stage": lead.stage.value,
        "source": lead.source.value,
        "score": lead.ai_score,
        "owner": person(lead.owner_id, lead.owner_name),
        "next_step": next_step,
        "stale": not lead.is_final and viewer().is_stale(lead, now),
        "version": lead.version,
    }


def column(col: Column, now: datetime) -> dict[str, Any]:
    return {
        "stage": col.stage.value,
        "title": render.stage_name(col.stage),
        "count": col.count,
        "capped": col.capped,
        "cards": [card(lead, now) for lead in col.cards],
        "more": col.more,
    }


def board(found: Board, now: datetime, *, can_filter: bool) -> dict[str, Any]:
    return {
        "columns": [column(col, now) for col in found.columns],
        "collapsed": [
            {"stage": c.stage.value, "title": render.stage_name(c.stage), "count": c.count, "capped": c.capped}
            for c in found.closed
        ],
        "filters": {
            "owners": [{"id": u.id, "name": u.full_name or str(u.id), "role": u.role.value} for u in found.owners],
            "sources": [{"code": s.value, "title": render.source_name(s)} for s in Source],
        },
        "can_filter": can_filter,
    }


def vocabulary() -> dict[str, str]:
    """Stage, kind and reason names and the board's own labels in the request's language."""
    texts = {f"lead_stage.{s.value}": render.stage_name(s) for s in Stage}
    texts |= {f"deal_stage.{s.value}": render.sale_stage_name(s) for s in SaleStage}
    texts |= {f"lost_reason.{r.value}": render.lost_preset(r) or r.value for r in LostReason}
    texts |= {f"kind.{k.value}": render.kind_name(k) for k in ActivityKind}
    texts |= {f"step.{k.value}": step_kind_name(k) for k in StepKind}
    texts |= {f"source.{s.value}": render.source_name(s) for s in Source}
    texts |= {f"outcome.{o.value}": render.outcome_name(o) for kinds in OUTCOMES.values() for o in kinds}
    texts |= {f"ui.{key}": label for key, label in board_words.labels().items()}
    return texts


def me(user: User, locale: str) -> dict[str, Any]:
    sees_all = user.role.value in ("admin", "team_lead")
    return {
        "user_id": user.id,
        "name": user.full_name,
        "role": user.role.value,
        "role_title": render.role_name(user.role),
        "lang": locale,
        "sees_all": sees_all,
        "deals": sees_all,
        "texts": vocabulary(),
    }


def _history(found: LeadHistory) -> list[dict[str, Any]]:
    entries: list[tuple[datetime, dict[str, Any]]] = []
    names = found.names
    for ch in found.changes:
        text = f"{render.stage_name(ch.from_stage)} → {render.stage_name(ch.to_stage)}"
        reason = render.lost_reason(ch.reason_code, ch.reason) if (ch.reason or ch.reason_code) else ""
        entries.append(
            (
                ch.created_at,
                {
                    "at": iso(ch.created_at),
                    "type": "stage",
                    "text": text + (f" — {text_of(reason)}" if reason else ""),
                    "actor": text_of(render.actor_name(ch.actor, names)),
                },
            )
        )
    for act in found.activities:
        entries.append(
            (
                act.created_at,
                {
                    "at": iso(act.created_at),
                    "type": "activity",
                    "text": render.activity_name(act.kind, act.outcome) + (f": {act.text}" if act.text else ""),
                    "actor": text_of(render.actor_name(act.author, names)),
                },
            )
        )
    for event in found.events:
        line = text_of(event_line(event))
        entries.append(
            (
                event.created_at,
                {"at": iso(event.created_at), "type": "event", "text": line, "actor": event.actor},
            )
        )
    entries.sort(key=lambda pair: pair[0], reverse=True)
    return [entry for _, entry in entries]


def actions(lead: Lead, domains: Sequence[str]) -> dict[str, Any]:
    if lead.is_final:
        return {"activity": [], "analyze": False, "next_step": False, "lost": False, "transfer": False, "move_to": None}
    target = next_stage(lead.stage)
    return {
        "activity": [k.value for k in ActivityKind],
        "analyze": True,
        "next_step": True,
        "lost": True,
        "transfer": lead.stage == Stage.QUALIFIED,
        "move_to": target.value if target is not None and target != Stage.TRANSFERRED else None,
        "set_domain": bool(domains),
    }


def detail(found: LeadHistory, now: datetime, *, locale: str, domains: Sequence[str]) -> dict[str, Any]:
    lead = found.lead
    score = None
    if lead.ai_score is not None:
        score = {
            "value": lead.ai_score,
            "recommendation": lead.ai_recommendation.value if lead.ai_recommendation else None,
            "recommendation_title": render.recommendation_name(lead.ai_recommendation)
            if lead.ai_recommendation
            else None,
            "reason": render.lead_reason(lead, locale),
        }
    lost = None
    if lead.lost_reason or lead.lost_reason_code:
        lost = text_of(render.lost_reason(lead.lost_reason_code, None)) if lead.lost_reason_code else None
        lost = " — ".join(part for part in (lost, lead.lost_reason) if part)
    return {
        "card": card(lead, now),
        "contact": lead.contact,
        "contacts": [{"kind": c.kind.value, "value": c.value} for c in lead.contacts],
        "business_domain": lead.business_domain,
        "business_domain_title": render.domain_name(lead.business_domain) if lead.business_domain else None,
        "source_title": render.source_name(lead.source),
        "created_at": iso(lead.created_at),
        "activity_count": lead.activity_count,
        "score": score,
        "lost_reason": lost,
        "history": _history(found),
        "actions": actions(lead, domains),
        "lost_reasons": [{"code": r.value, "title": render.lost_preset(r) or r.value} for r in LostReason],
        "step_kinds": [{"code": k.value, "title": step_kind_name(k)} for k in StepKind],
        "activity_kinds": [
            {
                "code": k.value,
                "title": render.kind_name(k),
                "outcomes": [{"code": o.value, "title": render.outcome_name(o)} for o in OUTCOMES.get(k, ())],
            }
            for k in ActivityKind
        ],
        "domains": [{"code": d, "title": render.domain_name(d)} for d in domains],
    }


def deal(item: DealCard) -> dict[str, Any]:
    sale: Sale = item.sale
    lead = item.lead
    return {
        "id": sale.id,
        "lead_id": sale.lead_id,
        "name": (lead.name or text_of(render.lead_name(lead))) if lead else f"#{sale.lead_id}",
        "company": lead.company if lead else None,
        "stage": sale.stage.value,
        "amount": money(sale.amount),
        "currency": sale.currency,
        "owner": person(sale.owner_id, item.owner_name),
        "manager": person(lead.owner_id, lead.owner_name) if lead else None,
        "updated_at": iso(sale.updated_at),
        "moves": [s.value for s in _sale_moves(sale.stage)],
    }


def _sale_moves(stage: SaleStage) -> list[SaleStage]:
    if stage in SALE_FINAL:
        return []
    forward = SALE_FORWARD.get(stage)
    return [s for s in (forward, SaleStage.LOST) if s is not None]


def deal_columns(columns: Sequence[DealColumn]) -> dict[str, Any]:
    return {
        "columns": [
            {
                "stage": col.stage.value,
                "title": render.sale_stage_name(col.stage),
                "count": col.count,
                "totals": [{"currency": t.currency, "amount": money(t.amount), "count": t.count} for t in col.totals],
                "cards": [deal(item) for item in col.cards],
                "more": col.more,
            }
            for col in columns
        ]
    }
