"""Merging two leads from a card (team leads and admins): 🔗 Merge asks for the other lead (typed #id, the
answer is in bot.routers.lead_input; or one of the leads sharing a contact, as buttons), shows both and asks
"are you sure?", then merges and shows the lead that stays. The services re-check the role, both leads and
both versions at every step, so forged or stale buttons change nothing."""

from __future__ import annotations

from aiogram import Router
from aiogram.fsm.context import FSMContext
from aiogram.types import CallbackQuery

from bot import confirm_keyboards, contact_keyboards, screens
from bot.callbacks import CallbackIs, LeadAction, LeadCb, UnpackCallback
from bot.render import merge as render_merge
from bot.states import CardInput
from core.domain.errors import InvalidValue, Rule, StaleState
from core.domain.ids import storable_id
from core.domain.models import Actor, User
from core.services import merge as merge_svc
from core.services.context import Services
from core.services.ports import UnitOfWork


def lead_number(text: str) -> int:
    """ "#42", "42" or " # 42 " -> 42; anything else is InvalidValue("merge_lead_id")."""
    digits = text.strip().removeprefix("#").strip()
    if not digits.isdecimal() or not storable_id(int(digits)):
        raise InvalidValue("merge_lead_id", Rule.NOT_A_NUMBER)
    return int(digits)


def _other(x: str) -> tuple[int, int]:
    """``MERGE_YES``'s ``x``: "<other id>.<other version>"."""
    lead_id, _dot, version = x.partition(".")
    if not (lead_id.isdecimal() and version.isdecimal()) or len(lead_id) > 18 or len(version) > 9:
        raise StaleState()  # not a button this bot makes
    return int(lead_id), int(version)


async def merge_menu(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext
) -> None:
    lead, found = await merge_svc.candidates(uow, actor, callback_data.id)
    await state.set_state(CardInput.merge_with)
    await state.update_data(lead_id=lead.id)
    await query.answer()
    await screens.show(
        query, render_merge.merge_prompt(lead, found), contact_keyboards.merge_candidates(lead, found), edit=False
    )


async def ask(query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, actor: Actor, state: FSMContext) -> None:
    """A lead picked (from the candidates or the duplicate question): both, and "are you sure?"."""
    pair = await merge_svc.preview(uow, actor, callback_data.id, lead_number(callback_data.x))
    if pair.lead.version != callback_data.v:
        raise StaleState()
    await state.clear()
    await query.answer()
    await screens.show(
        query, render_merge.merge_question(pair.lead, pair.other), confirm_keyboards.merge(pair.lead, pair.other)
    )


async def merge_confirmed(
    query: CallbackQuery, callback_data: LeadCb, uow: UnitOfWork, services: Services, actor: Actor, user: User
) -> None:
    other_id, other_version = _other(callback_data.x)
    result = await merge_svc.merge_leads(
        uow, services, actor, callback_data.id, other_id, expected_version=callback_data.v, other_version=other_version
    )
    note = render_merge.merged_note(other_id)
    await query.answer(note)
    await screens.show_card(query, result.lead, user, note=note)


def make_router() -> Router:
    """A fresh router with the merge's buttons (a Router can belong to one Dispatcher only)."""
    router = Router(name=__name__)
    router.callback_query.filter(UnpackCallback(LeadCb))  # one unpack per press (bot.callbacks)
    router.callback_query.register(merge_menu, CallbackIs(LeadCb, a=LeadAction.MERGE_MENU))
    router.callback_query.register(ask, CallbackIs(LeadCb, a=LeadAction.MERGE_PICK))
    router.callback_query.register(merge_confirmed, CallbackIs(LeadCb, a=LeadAction.MERGE_YES))
    return router
