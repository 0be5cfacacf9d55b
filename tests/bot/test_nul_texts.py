"""Texts and names with U+0000 (NUL), which PostgreSQL's text columns cannot hold, never reach the database
from the bot: what a user types is refused politely by the core's clean_* rules (the reason, and the dialog
asks again), a Telegram name has its NULs stripped, an invite code with one is simply not valid.
Real Dispatcher + HTTP to the emulator + PostgreSQL with real commits."""

from __future__ import annotations

import logging

import pytest
from sqlalchemy import select

from core.domain.errors import InvalidValue
from core.domain.validation import clean_text
from core.services import leads as leads_svc
from core.storage.models import ActivityRow, LeadRow, UserRow
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import ADMIN_ID, MANAGER_ID, STRANGER_ID, bot_settings, register

NUL = "\x00"
BUG_TEXT = "Something went wrong"


def _core_refuses_nul() -> bool:
    try:
        clean_text("a" + NUL + "b")
    except InvalidValue:
        return True
    return False


# The rule that refuses NUL in what people type is core/domain/validation.py's (issue 9, the "api" part). Until it
# is merged these tests are expected to fail (strict: once the rule is there they must pass, and do).
needs_core_nul_rule = pytest.mark.xfail(
    not _core_refuses_nul(),
    reason="needs the NUL (control character) rule in core/domain/validation.py's clean_* functions",
    strict=True,
)


@pytest.fixture
async def maria(committing_factory):
    return await register(SqlUnitOfWork(committing_factory), "maria", language="en")


@pytest.fixture
async def running(bot_runner, services, committing_factory, maria):
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


@pytest.fixture
def bugs(caplog):
    caplog.set_level(logging.ERROR)
    return lambda: [r for r in caplog.records if r.levelno >= logging.ERROR]


async def _texts_in_db(committing_factory) -> list[str]:
    """Every lead name/contact/lost reason, activity text and user name and username stored."""
    async with committing_factory() as session:
        values: list[str | None] = []
        for row in (await session.execute(select(LeadRow.name, LeadRow.contact, LeadRow.lost_reason))).all():
            values.extend(row)
        values.extend((await session.scalars(select(ActivityRow.text))).all())
        for row in (await session.execute(select(UserRow.full_name, UserRow.username))).all():
            values.extend(row)
    return [v for v in values if v is not None]


async def _polite(tg, user) -> str:
    text = tg.text(user)
    assert BUG_TEXT not in text
    return text


@needs_core_nul_rule
async def test_a_lead_name_with_nul_in_the_new_dialog_is_refused_and_asked_again(
    tg, running, bugs, committing_factory
) -> None:
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, "/new")
    await tg.say(user, "Acme" + NUL + " Ltd")
    assert "Try again, or /cancel." in await _polite(tg, user)
    await tg.say(user, "Acme Ltd")  # the dialog is still at the name step
    assert "Where does the lead come from?" in tg.text(user)
    assert bugs() == []
    assert not any(NUL in v for v in await _texts_in_db(committing_factory))


@needs_core_nul_rule
async def test_a_contact_with_nul_in_the_new_dialog_is_refused_and_asked_again(
    tg, running, bugs, committing_factory
) -> None:
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, "/new")
    await tg.say(user, "Acme Ltd")
    await tg.press(user, "Partner")
    await tg.press(user, "Skip ⏭")
    await tg.say(user, "ann" + NUL + "@example.com")
    assert "Try again, or /cancel." in await _polite(tg, user)
    assert bugs() == []
    async with committing_factory() as session:
        assert (await session.scalars(select(LeadRow.name))).all() == []  # nothing created yet


@needs_core_nul_rule
@pytest.mark.parametrize(
    ("buttons", "typed"),
    [
        (["📝 Note"], "called" + NUL + "back"),
        (["☎️ Edit contact", "➕ Add a contact"], "ann" + NUL + "@example.com"),  # the e-mail pattern lets a NUL by
        (["❌ Lost", "✍️ Other reason (type it)"], "too" + NUL + "late"),
    ],
)
async def test_a_typed_answer_on_the_card_with_nul_is_refused(
    tg, running, bugs, services, committing_factory, maria, buttons, typed
) -> None:
    lead = await leads_svc.create_lead(
        SqlUnitOfWork(committing_factory), services, maria, source="partner", name="Zeta"
    )
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, f"/lead {lead.id}")
    for button in buttons:
        await tg.press(user, button)
    await tg.say(user, typed)
    assert "Try again, or /cancel." in await _polite(tg, user)
    assert bugs() == []
    assert not any(NUL in v for v in await _texts_in_db(committing_factory))


@needs_core_nul_rule
async def test_find_with_nul_is_refused_politely(tg, running, bugs) -> None:
    user = tg.fake.user(MANAGER_ID, "Maria", language_code="en")
    await tg.say(user, "/find Ze" + NUL + "ta")
    await _polite(tg, user)
    await tg.say(user, "/find")
    await tg.say(user, "Ze" + NUL + "ta")
    await _polite(tg, user)
    assert bugs() == []


async def test_a_telegram_name_with_nul_is_stored_without_it(tg, running, bugs, committing_factory, maria) -> None:
    user = tg.fake.user(MANAGER_ID, "Ma" + NUL + "ria" + NUL, language_code="en")
    await tg.say(user, "/start")
    admin = tg.fake.user(ADMIN_ID, NUL + "Alice", language_code="en")  # created on their first update
    await tg.say(admin, "/users")
    assert BUG_TEXT not in tg.text(user) and BUG_TEXT not in tg.text(admin)
    async with committing_factory() as session:
        assert (await session.get(UserRow, ADMIN_ID)).full_name == "Alice"
    assert bugs() == []
    assert not any(NUL in v for v in await _texts_in_db(committing_factory))


async def test_an_invite_with_nul_in_the_code_or_the_name_is_handled(tg, running, bugs, committing_factory) -> None:
    stranger = tg.fake.user(STRANGER_ID, "Eve" + NUL, language_code="en")
    await tg.say(stranger, "/start abc" + NUL + "def")
    assert "This invite link is not valid" in tg.text(stranger)
    admin = tg.fake.user(ADMIN_ID, "Alice", language_code="en")
    await tg.say(admin, "/invite manager")
    link = tg.text(admin).split("https://t.me/", 1)[1].split()[0]
    await tg.open_link(stranger, "https://t.me/" + link)
    async with committing_factory() as session:
        assert (await session.get(UserRow, STRANGER_ID)).full_name == "Eve"
    assert bugs() == []
