"""The keyboards' shortcut changes nothing Telegram sees: pack_lead gives exactly LeadCb(...).pack() (errors
included); every keyboard is the same as when built through LeadCb models."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import pytest
from aiogram.types import InlineKeyboardMarkup

from bot import keyboards
from bot.callbacks import LeadAction, LeadCb, pack_lead
from bot.i18n import make_i18n
from core.domain.enums import ActivityKind, Role, SaleStage, Source, Stage
from core.domain.models import Lead, Sale, User

IDS = [0, 1, 7, 12345, 2**62, -3]
VERSIONS = [0, 1, 17, 10**9]
XS = ["", "call", "n", "#3", "saas", "контакт", "a" * 30, "a" * 50, "é" * 25, "a:b", ":", "ы" * 20]


def _pack_or_error(pack, *args) -> str:
    try:
        return pack(*args)
    except ValueError as error:
        return f"ValueError: {error}"


def _model_pack(action, lead_id, version, x) -> str:
    return LeadCb(a=action, id=lead_id, v=version, x=x).pack()


def test_pack_lead_is_leadcb_pack_for_every_action_and_value() -> None:
    too_long = bad_separator = 0
    for action, lead_id, version, x in itertools.product(LeadAction, IDS, VERSIONS, XS):
        expected = _pack_or_error(_model_pack, action, lead_id, version, x)
        assert _pack_or_error(pack_lead, action, lead_id, version, x) == expected, (action, lead_id, version, x)
        too_long += "too long" in expected
        bad_separator += "Separator" in expected
    assert too_long and bad_separator  # both of pack()'s refusals were exercised


@pytest.mark.parametrize(
    "args",
    [
        ("o", 5, 1, ""),  # a plain str action: the model converts it
        (LeadAction.LOG, 5, 1, ActivityKind.CALL),  # a str enum as x
        (LeadAction.OPEN, True, 1, ""),  # bool is not a plain int
        (LeadAction.OPEN, 5, 2.0, ""),
        ("nope", 5, 1, ""),  # refused by the model
        (LeadAction.OPEN, "5", 1, ""),
    ],
)
def test_pack_lead_leaves_anything_but_plain_values_to_the_model(args) -> None:
    def model(*a):
        try:
            return _model_pack(*a)
        except ValueError as error:  # pydantic's ValidationError is a ValueError
            return type(error).__name__

    def fast(*a):
        try:
            return pack_lead(*a)
        except ValueError as error:
            return type(error).__name__

    assert fast(*args) == model(*args)


def test_pack_lead_defaults_are_leadcbs() -> None:
    assert pack_lead(LeadAction.OPEN, 9) == LeadCb(a=LeadAction.OPEN, id=9).pack()


MANAGER = User(id=42, role=Role.MANAGER, full_name="Maria")
TEAM_LEAD = User(id=43, role=Role.TEAM_LEAD, full_name="Tina")
CATALOGUE = ["ecommerce", "fintech", "saas", "a very long business domain name", "with:colon"]


def _leads() -> list[Lead]:
    return [
        Lead(
            id=7,
            source=Source.PARTNER,
            stage=stage,
            name="Acme",
            version=version,
            business_domain="saas",
            last_activity_at=datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
        )
        for stage in Stage
        for version in (1, 17)
    ]


def _all_keyboards() -> list:
    sale = Sale(
        id=3,
        lead_id=7,
        stage=SaleStage.KYC,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    markups: list[InlineKeyboardMarkup | None] = [
        keyboards.main_menu(),
        keyboards.sources(),
        keyboards.new_lead_domains(CATALOGUE),
        keyboards.skip_contact(),
    ]
    for lead in _leads():
        for user in (MANAGER, TEAM_LEAD):
            markups.append(keyboards.lead_card(lead, user))
        markups += [
            keyboards.back_to_card(lead),
            keyboards.transfer_refused(lead),
            keyboards.lost_reasons(lead),
            keyboards.lead_domains(lead, CATALOGUE),
        ]
    markups += [keyboards.leads_page(_leads()[:8], page=1, pages=3, stage="new"), keyboards.found(_leads()[:3])]
    markups += [keyboards.users([MANAGER, TEAM_LEAD], MANAGER), keyboards.user_actions(TEAM_LEAD)]
    for stage in SaleStage:
        sale_at = Sale(id=3, lead_id=7, stage=stage, created_at=sale.created_at, updated_at=sale.updated_at)
        markups += [keyboards.sale_card(sale_at, TEAM_LEAD), keyboards.sale_card(sale_at, MANAGER)]
    markups.append(keyboards.sale_lost_reasons(sale))
    return markups


@pytest.mark.parametrize("locale", ["ru", "en"])
def test_every_keyboard_is_what_the_leadcb_models_build(monkeypatch, locale) -> None:
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(locale):
        fast = _all_keyboards()
        monkeypatch.setattr(
            keyboards, "pack_lead", lambda action, lead_id, version=0, x="": _model_pack(action, lead_id, version, x)
        )
        reference = _all_keyboards()
    assert len(fast) == len(reference) > 50
    for got, expected in zip(fast, reference, strict=True):
        assert got == expected
        assert got.model_dump_json(exclude_none=True) == expected.model_dump_json(exclude_none=True)
        assert [[b.model_fields_set for b in row] for row in got.inline_keyboard] == [
            [b.model_fields_set for b in row] for row in expected.inline_keyboard
        ]
