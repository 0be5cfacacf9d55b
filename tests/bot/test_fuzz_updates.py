"""Property-based updates through the real Dispatcher: hypothesis writes button payloads (every callback prefix
the bot knows, with its fields filled by plausible and hostile values, plus arbitrary strings) and typed texts
(commands with odd arguments, deep links, free text) from a stranger and from a manager. Whatever they send,
the bot answers every button exactly once, logs no bug (no ERROR record) and changes nothing they may not
change: the team lead's leads, the deals, the roles and the team's settings stay as they were.

The payloads are drawn up front (derandomized: the same run every time) and replayed in order against one
running bot, so state from earlier updates (an open dialog, a half-made lead) meets the later ones."""

from __future__ import annotations

import enum
import logging
from typing import Any, get_args

import pytest
from aiogram.filters.callback_data import CallbackData
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from bot import callbacks
from core.services import leads as leads_svc
from core.storage.uow import SqlUnitOfWork
from tests.bot.support import MANAGER_ID, STRANGER_ID, TEAM_LEAD_ID, bot_settings, register

PRESSES = 160  # per person
TEXTS = 60
MAX_CALLBACK_BYTES = 64

FACTORIES: list[type[CallbackData]] = sorted(
    (
        obj
        for obj in vars(callbacks).values()
        if isinstance(obj, type) and issubclass(obj, CallbackData) and obj is not CallbackData
    ),
    key=lambda cls: cls.__prefix__,
)
WORDS = ("", "0", "-1", "new", "contacted", "qualified", "transferred", "lost", "kyc", "paid", "call", "all",
         "mine", "week", "csv", "xlsx", "admin", "team_lead", "ru", "en", "x" * 40, "ё", "🙂", "%s", "'")  # fmt: skip
INTS = st.one_of(
    st.sampled_from([0, 1, 2, 3, -1, 2**31, 2**63 - 1, 2**63, -(2**63) - 1, 10**20]),
    st.integers(-5, 50),
)


def _field(annotation: Any) -> st.SearchStrategy[str]:
    kinds = [a for a in (get_args(annotation) or (annotation,)) if a is not type(None)]
    choices: list[st.SearchStrategy[str]] = [
        st.sampled_from(WORDS),
        st.text(max_size=6).map(lambda s: s.replace(":", "")),
    ]
    for kind in kinds:
        if isinstance(kind, type) and issubclass(kind, enum.Enum):
            choices.append(st.sampled_from([str(member.value) for member in kind]))
        elif kind is int:
            choices.append(INTS.map(str))
        elif kind is bool:
            choices.append(st.sampled_from(["0", "1", "true", "maybe"]))
    return st.one_of(*choices)


def _packed(factory: type[CallbackData]) -> st.SearchStrategy[str]:
    fields = [_field(info.annotation) for info in factory.model_fields.values()]
    extra = st.lists(st.sampled_from(WORDS), max_size=2)  # too many fields, or too few (slice below)
    return st.tuples(st.tuples(*fields), extra, st.integers(0, len(fields))).map(
        lambda t: factory.__separator__.join([factory.__prefix__, *t[0][: t[2] or None], *t[1]])
    )


PAYLOAD = st.one_of(
    st.sampled_from(FACTORIES).flatmap(_packed),
    st.text(max_size=64),
    st.sampled_from([f.__prefix__ for f in FACTORIES]).map(lambda p: p + ":"),
).filter(lambda data: 0 < len(data.encode()) <= MAX_CALLBACK_BYTES)

COMMANDS = ("/start", "/lead", "/find", "/new", "/today", "/report", "/export", "/model", "/train", "/users",
            "/queue", "/deals", "/help", "/lang", "/zone", "/import", "/cancel", "/merge")  # fmt: skip
TEXT = st.one_of(
    st.tuples(st.sampled_from(COMMANDS), st.sampled_from(["", " ", " 1", " -1", " 99999999999999999999", " x"])).map(
        "".join
    ),
    st.sampled_from(["/start inv_", "/start lead_1", "/start lead_99999999999999999999", "/start inv_" + "a" * 60]),
    st.text(min_size=1, max_size=80).filter(lambda s: s.strip() != ""),
)


def drawn(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, the same ones every run."""
    found: list[Any] = []

    @settings(
        max_examples=count,
        database=None,
        derandomize=True,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
        deadline=None,
    )
    @given(strategy)
    def collect(example: Any) -> None:
        found.append(example)

    collect()
    return found


async def _protected(factory) -> list[Any]:
    """What a stranger or a manager must not change: the team lead's leads, deals, roles, team settings."""
    async with factory() as session:
        rows = []
        for sql in (
            "SELECT id, stage, owner_id, version, ai_score, name, business_domain, merged_into_id FROM leads"
            f" WHERE owner_id = {TEAM_LEAD_ID} ORDER BY id",
            "SELECT id, stage, amount FROM sales ORDER BY id",
            "SELECT id, role, is_active FROM users ORDER BY id",
            "SELECT key, value FROM team_settings WHERE key NOT LIKE 'scheduler%' ORDER BY key",
            "SELECT count(*) FROM stage_changes sc JOIN leads l ON l.id = sc.lead_id"
            f" WHERE l.owner_id = {TEAM_LEAD_ID}",
        ):
            rows.append([tuple(r) for r in (await session.execute(text(sql))).all()])
        return rows


@pytest.fixture
async def running(bot_runner, services, committing_factory):
    uow = SqlUnitOfWork(committing_factory)
    await register(uow, "maria")
    tina = await register(uow, "tina")
    for name in ("Acme", "Globex", "Initech"):
        await leads_svc.create_lead(SqlUnitOfWork(committing_factory), services, tina, source="manual", name=name)
    return await bot_runner(bot_settings(), services=services, session_factory=committing_factory)


@pytest.fixture
def bugs(caplog):
    caplog.set_level(logging.ERROR)
    return lambda: [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


@pytest.mark.parametrize("who", [STRANGER_ID, MANAGER_ID], ids=["stranger", "manager"])
async def test_fuzzed_buttons_and_texts_break_nothing_and_change_nothing_they_may_not(
    tg, running, committing_factory, bugs, who
) -> None:
    person = tg.fake.user(who, "Fuzz", language_code="en")
    before = await _protected(committing_factory)
    card = await tg.say(person, "/start")  # a message of the bot's for the buttons to hang on
    message_id = tg.fake.last_message(who).message_id
    assert card
    pressed = 0
    for data in drawn(PAYLOAD, PRESSES):
        answer = await tg.press_data(person, message_id, data)  # answered exactly once, or this fails
        assert answer.params.get("callback_query_id"), data
        pressed += 1
        assert bugs() == [], f"after pressing {data!r}"
    for typed in drawn(TEXT, TEXTS):
        await tg.say(person, typed)
        assert bugs() == [], f"after typing {typed!r}"
    assert pressed == PRESSES
    assert await _protected(committing_factory) == before
