"""A card's actions other than its stage: log an activity, analyze, set (or clear) the next step, set the
business domain (what a refused transfer offers). Each: unpack -> one service call (the bot's) -> the card."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, status

import bot.render as render
from api.board import texts
from api.board.auth import CurrentUser
from api.board.route import BoardRefusal, BoardRoute
from api.board.schemas import ActivityIn, DomainIn, NextStepIn, VersionIn
from api.deps import get_services, get_uow, lead_id_path
from bot.dates import parse_due
from bot.i18n import _
from bot.render import board as board_words
from bot.render.steps import step_saved
from core.domain.clock import utcnow
from core.domain.enums import StepKind
from core.domain.validation import parse_enum
from core.services import leads as leads_svc
from core.services import next_steps as steps_svc
from core.services.context import Services
from core.services.next_steps import PAST_GRACE
from core.services.ports import UnitOfWork

router = APIRouter(prefix="/app/api", route_class=BoardRoute, include_in_schema=False)

LeadId = Annotated[int, Depends(lead_id_path)]
Uow = Annotated[UnitOfWork, Depends(get_uow)]
Svc = Annotated[Services, Depends(get_services)]


@router.post("/leads/{lead_id}/activities")
async def log_activity(
    current: CurrentUser, lead_id: LeadId, body: ActivityIn, uow: Uow, services: Svc
) -> dict[str, Any]:
    lead, activity = await leads_svc.log_activity(
        uow,
        services,
        current.actor,
        lead_id,
        kind=body.kind,
        text=body.text,
        outcome=body.outcome or None,
        to_contacted=body.to_contacted,
        expected_version=body.version,
    )
    note = _("Logged: {kind}.").format(kind=render.activity_name(activity.kind, activity.outcome))
    return {"card": texts.card(lead, utcnow()), "note": note}


@router.post("/leads/{lead_id}/analyze")
async def analyze(current: CurrentUser, lead_id: LeadId, body: VersionIn, uow: Uow, services: Svc) -> dict[str, Any]:
    lead = await leads_svc.analyze(uow, services, current.actor, lead_id, expected_version=body.version)
    note = _("Analyzed: score {score:.2f}.").format(score=lead.ai_score or 0.0)
    return {"card": texts.card(lead, utcnow()), "note": note}


def _due(text: str, current_tz: Any, now: datetime) -> tuple[datetime, str | None]:
    """When ``text`` says, as the bot reads a typed time (in the user's zone), or an ISO 8601 moment."""
    text = text.strip()
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        parsed = parse_due(text, current_tz, now)
        if parsed is None:
            raise BoardRefusal(
                status.HTTP_422_UNPROCESSABLE_CONTENT,
                "invalid",
                board_words.date_not_understood(text),
            ) from None
        return parsed.due_at, parsed.note
    moment = moment.replace(tzinfo=current_tz) if moment.tzinfo is None else moment
    return moment.astimezone(UTC), None


@router.post("/leads/{lead_id}/next-step")
async def next_step(current: CurrentUser, lead_id: LeadId, body: NextStepIn, uow: Uow) -> dict[str, Any]:
    if body.clear:
        lead = await steps_svc.clear_next_step(uow, current.actor, lead_id, expected_version=body.version)
        return {"card": texts.card(lead, utcnow()), "note": _("Next step cleared.")}
    kind = parse_enum(StepKind, body.kind, "kind")
    now = utcnow()
    assert body.due is not None  # the schema asks for it unless clear
    due_at, typed_note = _due(body.due, current.tz, now)
    if due_at < now - PAST_GRACE:
        raise BoardRefusal(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "invalid",
            texts.text_of(board_words.date_passed(render.due(due_at))),
        )
    note = body.note if body.note else typed_note
    lead = await steps_svc.set_next_step(
        uow, current.actor, lead_id, kind=kind.value, due_at=due_at, note=note, expected_version=body.version
    )
    return {"card": texts.card(lead, now), "note": texts.text_of(step_saved(kind, due_at))}


@router.post("/leads/{lead_id}/domain")
async def set_domain(current: CurrentUser, lead_id: LeadId, body: DomainIn, uow: Uow, services: Svc) -> dict[str, Any]:
    lead = await leads_svc.update_lead(
        uow, services, current.actor, lead_id, changes={"business_domain": body.domain}, expected_version=body.version
    )
    note = _("Domain set: {domain}.").format(domain=render.domain_name(lead.business_domain or ""))
    return {"card": texts.card(lead, utcnow()), "note": note}
