"""Bot texts and buttons without Telegram: escaping, the score bar, localized names, packed callback
sizes, the team-lead notification rendered from an outbox payload."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from bot import keyboards, render
from bot.callbacks import (
    LeadAction,
    LeadCb,
    ListCb,
    NewLeadCb,
    SaleAction,
    SaleCb,
    UserAction,
    UserCb,
)
from bot.i18n import make_i18n
from core.domain.enums import (
    ActivityKind,
    LostReason,
    Recommendation,
    Role,
    SaleStage,
    Source,
    Stage,
)
from core.domain.errors import InvalidValue, Rule, TransferBlock, TransferNotAllowed
from core.domain.models import Lead, User

MANAGER = User(id=42, role=Role.MANAGER, full_name="Maria")
TEAM_LEAD = User(id=43, role=Role.TEAM_LEAD, full_name="Tina")


@pytest.fixture(params=["ru", "en"])
def locale(request):
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(request.param):
        yield request.param


def _lead(**kw) -> Lead:
    values: dict[str, Any] = {
        "id": 7,
        "source": Source.PARTNER,
        "stage": Stage.QUALIFIED,
        "name": "Acme <script>",
        "contact": "a&b@x.io",
        "activity_count": 3,
        "ai_score": 0.62,
        "ai_recommendation": Recommendation.CONTINUE_QUALIFICATION,
        "ai_reason": "why <en>",
        "ai_reason_ru": "почему <ru>",
        "owner_id": 42,
        "owner_name": "Maria & Co",
        "version": 5,
        "last_activity_at": datetime(2026, 11, 25, 9, 30, tzinfo=UTC),
    }
    values.update(kw)
    return Lead(**values)


def test_the_card_escapes_what_users_typed(locale) -> None:
    text = render.lead_card(_lead())
    assert "Acme &lt;script&gt;" in text and "a&amp;b@x.io" in text and "Maria &amp; Co" in text
    assert "<script>" not in text


def test_a_preset_lost_reason_is_shown_in_the_readers_language_and_free_text_as_typed(locale) -> None:
    preset = render.lead_card(_lead(stage=Stage.LOST, lost_reason_code=LostReason.NO_BUDGET))
    assert ("Причина потери: Нет бюджета" if locale == "ru" else "Lost reason: No budget") in preset
    both = render.lead_card(_lead(stage=Stage.LOST, lost_reason_code=LostReason.COMPETITOR, lost_reason="<Acme>"))
    assert ("Выбрал конкурента — &lt;Acme&gt;" if locale == "ru" else "Chose a competitor — &lt;Acme&gt;") in both
    assert render.lost_preset("budget") is None  # not a code (a button of an older bot)


def test_the_card_shows_score_bar_recommendation_and_reason_in_the_users_language(locale) -> None:
    text = render.lead_card(_lead())
    assert "▰▰▰▰▰▰▱▱▱▱ 0.62" in text
    if locale == "ru":
        assert "Квалифицирован" in text and "Продолжить квалификацию" in text and "почему &lt;ru&gt;" in text
    else:
        assert "Qualified" in text and "Continue qualification" in text and "why &lt;en&gt;" in text
    assert "25.11.2026 09:30 UTC" in text


@pytest.mark.parametrize(
    ("score", "bar"),
    [
        (None, "▱" * 10),
        (0.0, "▱" * 10),
        (0.04, "▱" * 10),
        (0.05, "▰" + "▱" * 9),  # half up, as the number shown
        (0.34, "▰▰▰▱▱▱▱▱▱▱"),
        (0.55, "▰" * 6 + "▱" * 4),
        (0.65, "▰" * 7 + "▱" * 3),  # banker's rounding drew 0.55 and 0.65 alike
        (0.849, "▰" * 9 + "▱"),  # shown as "0.85": the bar follows the number on the card
        (1.0, "▰" * 10),
    ],
)
def test_score_bar_rounds_the_score_as_shown_half_up(score, bar) -> None:
    assert render.score_bar(score) == bar


def test_qualified_card_offers_transfer_and_a_new_card_offers_the_next_stage_by_name(locale) -> None:
    qualified = keyboards.lead_card(_lead(), MANAGER)
    texts = [b.text for row in qualified.inline_keyboard for b in row]
    assert any("🚀" in t for t in texts) and not any(t.startswith("➡️") for t in texts)
    new = keyboards.lead_card(_lead(stage=Stage.NEW), MANAGER)
    texts = [b.text for row in new.inline_keyboard for b in row]
    assert ("➡️ Контакт установлен" if locale == "ru" else "➡️ Contacted") in texts


def test_every_lead_button_carries_the_lead_id_and_version(locale) -> None:
    markup = keyboards.lead_card(_lead(), MANAGER)
    for row in markup.inline_keyboard:
        for button in row:
            data = LeadCb.unpack(button.callback_data)  # type: ignore[arg-type]
            assert (data.id, data.v) == (7, 5)


def test_a_transferred_lead_card_links_to_its_deal_for_team_leads_and_its_manager(locale) -> None:
    def links(lead, user) -> bool:
        return any(
            b.callback_data.startswith("ld:s:") for row in keyboards.lead_card(lead, user).inline_keyboard for b in row
        )

    assert links(_lead(stage=Stage.TRANSFERRED), TEAM_LEAD) and links(_lead(stage=Stage.TRANSFERRED), MANAGER)
    assert not links(_lead(stage=Stage.QUALIFIED), TEAM_LEAD)


@pytest.mark.parametrize(
    "data",
    [
        LeadCb(a=LeadAction.LOST_TEXT, id=9_223_372_036_854_775_807, v=2_147_483_647, x="stopped_responding"),
        LeadCb(a=LeadAction.DOMAIN, id=9_223_372_036_854_775_807, v=2_147_483_647, x="#123"),
        ListCb(st="transferred", p=1_000_000),
        NewLeadCb(step="dom", val="x" * 24),
        UserCb(a=UserAction.ROLE, id=9_223_372_036_854_775_807, x="team_lead"),
        SaleCb(a=SaleAction.LOST, id=9_223_372_036_854_775_807, st="agreement", x="budget"),
    ],
)
def test_packed_callback_data_fits_telegrams_64_bytes(data) -> None:
    assert len(data.pack().encode()) <= 64


def test_long_domain_names_are_sent_by_index() -> None:
    catalogue = ["fintech", "a_very_long_business_domain_name_indeed"]
    value = keyboards.domain_value(catalogue[1], catalogue)
    assert value == "#1" and keyboards.domain_from_value(value, catalogue) == catalogue[1]
    assert keyboards.domain_value("fintech", catalogue) == "fintech"


def test_a_refused_transfer_names_every_reason(locale) -> None:
    err = TransferNotAllowed([TransferBlock.LOW_SCORE, TransferBlock.NO_DOMAIN], 0.55, 0.6)
    text = render.error_text(err)
    if locale == "ru":
        assert "скоринг 0.55 ниже требуемого 0.60" in text and "не задана сфера бизнеса" in text
    else:
        assert "score 0.55 is below the required 0.60" in text and "business domain is not set" in text
    no_score = render.error_text(TransferNotAllowed([TransferBlock.NO_SCORE], None, 0.6))
    assert ("Анализ" if locale == "ru" else "Analyze") in no_score


def test_too_long_input_says_the_limit_and_the_length(locale) -> None:
    text = render.error_text(InvalidValue("text", Rule.TOO_LONG, maximum=4000, length=4050))
    assert "4000" in text and "4050" in text


def test_alerts_are_plain_text_and_short() -> None:
    assert render.plain("<b>a &amp; b</b>") == "a & b"
    assert len(render.plain("x" * 500)) == 200


def test_the_transfer_notification_links_to_the_card_in_a_private_chat() -> None:
    payload = {
        "event": "lead_transferred",
        "lead_id": 12,
        "sale_id": 3,
        "name": "Acme <b>",
        "contact": "+7 900 000-00-00",
        "source": "partner",
        "business_domain": "fintech",
        "ai_score": 0.8,
        "ai_reason": "good <fit>",
        "ai_reason_ru": "хороший <лид>",
        "activity_count": 4,
        "manager_id": 42,
        "manager_name": "Maria",
    }
    text, markup = render.outbox_message(payload, bot_username="leadcrm_bot")
    assert "Лид передан в продажи" in text and "Acme &lt;b&gt;" in text and "хороший &lt;лид&gt;" in text
    assert "▰▰▰▰▰▰▰▰▱▱ 0.80" in text and "Maria" in text
    urls = [b.url for row in markup.inline_keyboard for b in row]
    assert urls == ["https://t.me/leadcrm_bot?start=lead_12", "https://t.me/leadcrm_bot?start=sale_3"]
    text_en, _ = render.outbox_message(payload, bot_username="leadcrm_bot", locale="en")
    assert "Lead transferred to sales" in text_en and "good &lt;fit&gt;" in text_en


def test_an_unknown_outbox_event_is_shown_as_escaped_text() -> None:
    text, markup = render.outbox_message({"event": "custom", "text": "<hi>"}, bot_username="b")
    assert (text, markup) == ("&lt;hi&gt;", None)


def test_the_keyboard_builder_lays_out_rows_like_aiogram_adjust() -> None:
    kb = keyboards.Keyboard()
    for i in range(7):
        kb.button(text=str(i), callback_data=f"d{i}")
    kb.adjust(4, 2)
    tail = keyboards.Keyboard()
    tail.button(text="back", callback_data="b")
    kb.attach(tail)
    rows = kb.as_markup().inline_keyboard
    assert [[b.text for b in row] for row in rows] == [["0", "1", "2", "3"], ["4", "5"], ["6"], ["back"]]
    assert rows[0][0].callback_data == "d0"


def test_a_long_user_list_stays_within_telegram_limits(locale) -> None:
    people = [
        User(id=1000 + i, role=Role.MANAGER, full_name=f"Manager number {i}", username=f"m{i}") for i in range(300)
    ]
    assert len(render.users_list(people)) <= 4096
    markup = keyboards.users(people, MANAGER)
    assert sum(len(row) for row in markup.inline_keyboard) <= 100


def test_response_models_of_the_methods_the_bot_uses_survive_garbage_collection() -> None:
    import gc

    from aiogram.methods import AnswerCallbackQuery, EditMessageText
    from aiogram.methods.base import Response

    from bot.app import pin_response_types

    pinned = pin_response_types()
    before = Response[EditMessageText.__returning__], Response[AnswerCallbackQuery.__returning__]  # type: ignore[valid-type]
    gc.collect()
    after = Response[EditMessageText.__returning__], Response[AnswerCallbackQuery.__returning__]  # type: ignore[valid-type]
    assert before == after and all(t in pinned for t in after)


@pytest.mark.parametrize(
    ("table", "enum"),
    [
        (render.STAGE_NAMES, Stage),
        (render.SOURCE_NAMES, Source),
        (render.RECOMMENDATION_NAMES, Recommendation),
        (render.KIND_NAMES, ActivityKind),
        (render.ROLE_NAMES, Role),
        (render.SALE_STAGE_NAMES, SaleStage),
    ],
)
def test_every_value_has_a_translated_name(locale, table, enum) -> None:
    assert set(table) == set(enum)
    name_of = {
        Stage: render.stage_name,
        Source: render.source_name,
        Recommendation: render.recommendation_name,
        ActivityKind: render.kind_name,
        Role: render.role_name,
        SaleStage: render.sale_stage_name,
    }[enum]
    for member in enum:
        assert name_of(member) == name_of(member.value) == make_i18n().gettext(table[member], locale=locale)
    with pytest.raises(ValueError):
        name_of("bogus")


def test_an_unnamed_lead_is_named_once_in_the_readers_language(locale) -> None:
    lead = _lead(id=4, name=None)
    expected = "Лид #4" if locale == "ru" else "Lead #4"
    card = render.lead_card(lead)
    assert card.splitlines()[0] == f"<b>{expected}</b>"
    assert "#4 · #4" not in card and "Lead #4 · #4" not in card
    assert render.lead_line(lead).startswith(f"{expected} — ")
    assert render.lead_button_text(lead).startswith(expected)
    assert render.history(lead, [], []).splitlines()[0].endswith(f"<b>{expected}</b>")
    named = _lead(id=4, name="Ivan")
    assert render.lead_card(named).splitlines()[0] == "<b>Ivan</b> · #4"
    assert render.lead_line(named).startswith("#4 Ivan — ")


def test_everyones_list_shows_each_owner_and_the_own_list_does_not(locale) -> None:
    owned, free = _lead(id=1, owner_name="Maria"), _lead(id=2, owner_id=None, owner_name=None)
    page = render.leads_page([owned, free], page=0, pages=1, total=2, stage="", mine=False, owners=True)
    assert "👤 Maria" in page and ("👤 без владельца" if locale == "ru" else "👤 no owner") in page
    own = render.leads_page([owned], page=0, pages=1, total=1, stage="", mine=True)
    assert "👤" not in own


def test_the_catalogues_business_domains_are_translated_and_a_teams_own_is_shown_as_typed(locale) -> None:
    card = render.lead_card(_lead(business_domain="fintech"))
    assert ("Сфера: финтех" if locale == "ru" else "Domain: fintech") in card
    assert render.domain_name("real_estate") == ("недвижимость" if locale == "ru" else "real estate")
    assert render.domain_name("space_mining") == "space mining"


def test_russian_prompts_do_not_decline_a_name_and_say_stage_and_domain_one_way() -> None:
    """The Russian catalogue names a person or a lead after a colon (no case to get wrong), says «этап» for
    stage and «сфера» for business domain, and ends the admin's and the access refusals with a full stop."""
    from babel.messages.pofile import read_po

    with open("bot/locales/ru/LC_MESSAGES/messages.po", "rb") as f:
        catalog = read_po(f)
    strings = {m.id: m.string for m in catalog if m.id and isinstance(m.id, str)}
    for msgid, msgstr in strings.items():
        if "{name}" in msgid and msgid.startswith(("Type the note", "Send the new contact", "Why is", "Whom")):
            assert ": {name}" in msgstr, msgstr
        assert "стади" not in msgstr.lower() and "статус" not in msgstr.lower(), msgstr
        assert "отрасл" not in msgstr.lower() and "домен" not in msgstr.lower(), msgstr
    from bot.render.errors import ACCESS_TEXTS

    for text in ACCESS_TEXTS.values():
        assert text.endswith(".") and strings[text].endswith("."), text


def test_model_speaks_to_a_team_lead_in_plain_words_not_metrics() -> None:
    from datetime import UTC, datetime

    from bot.i18n import make_i18n
    from bot.render.scoring import model_info
    from core.services.training import ModelInfo

    info = ModelInfo(
        version="learned-3",
        algorithm="hgb",
        is_learned=True,
        trained_at=datetime(2026, 12, 1, 9, 0, tzinfo=UTC),
        n_won=120,
        n_lost=880,
        auc=0.877,
        brier=0.134,
        features=["source", "stage"],
        metrics={
            "compared_with": "rules-v1",
            "compared_auc": 0.71,
            "candidates": {"logreg": {"cv_auc": 0.86, "cv_brier": 0.14}},
        },
    )
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("en"):
        text = model_info(info)
    assert "ranks a won lead above a lost one 88 times in 100 (rules-v1: 71)" in text
    assert "typically 37 points from what happened" in text  # √0.134 ≈ 0.366
    assert "a set of decision trees" in text and "a weighted checklist" in text
    assert "ROC" not in text and "Brier" not in text and "AUC" not in text
    with i18n.context(), i18n.use_locale("ru"):
        ru = model_info(info)
    assert "в 88 случаях из 100" in ru and "ROC" not in ru


def test_model_says_what_the_gate_means_on_the_teams_data() -> None:
    from bot.i18n import make_i18n
    from bot.render.scoring import gate_lines
    from core.services.ports import GateStats

    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("en"):
        lines = gate_lines(GateStats(0.6, open_scored=50, open_passing=7, closed_above=49, won_above=35))
        empty = gate_lines(GateStats(0.6, 0, 0, 0, 0))
    assert lines == [
        "The transfer gate is 0.60: 14% of the scored open leads pass it (7 of 50).",
        "Of the closed leads scored at or above it, 71% were won (35 of 49).",
    ]
    assert "no open lead has a score yet" in empty[0] and "No closed lead" in empty[1]
