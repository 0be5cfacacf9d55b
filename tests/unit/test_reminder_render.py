"""The scheduler's messages as their readers see them: the recipient's language and zone, "overdue by", the
reminder's buttons, the digest's parts; and when a digest hour has passed in a zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.callbacks import ReminderCb
from bot.render import outbox_message
from core.domain import clock
from core.services.scheduler import digest_moment


@pytest.fixture(autouse=True)
def real_time():
    yield
    clock.reset()


def _reminder(language: str, due_at: datetime, zone: str = "Asia/Vladivostok") -> dict:
    return {
        "event": "next_step_due",
        "lead_id": 42,
        "name": "Acme <Ltd>",
        "kind": "meeting",
        "due_at": due_at.isoformat(),
        "due_token": int(due_at.timestamp()),
        "note": "bring the contract",
        "timezone": zone,
        "language": language,
    }


def test_a_reminder_speaks_its_readers_language_and_shows_the_time_in_their_zone() -> None:
    due = datetime(2026, 12, 18, 5, 0, tzinfo=UTC)  # 15:00 in Vladivostok
    clock.advance(due - datetime.now(UTC) + timedelta(hours=2, minutes=5))
    text, markup = outbox_message(_reminder("en", due), bot_username="crm_bot", locale="ru")
    assert "Meeting · Fri 18 Dec, 15:00" in text and "Acme &lt;Ltd&gt;" in text
    assert "Overdue by 2 h 5 min" in text and "bring the contract" in text
    assert markup is not None
    buttons = [b for row in markup.inline_keyboard for b in row]
    assert [b.text for b in buttons] == ["✅ Done", "⏰ In 1 h", "Tomorrow 10:00", "Open card"]
    assert ReminderCb.unpack(buttons[0].callback_data or "") == ReminderCb(a="d", id=42, t=int(due.timestamp()))
    assert buttons[3].url == "https://t.me/crm_bot?start=lead_42"
    ru, _ = outbox_message(_reminder("ru", due), bot_username="crm_bot")
    assert "Встреча · пт 18 дек, 15:00" in ru and "Просрочено на 2 ч 5 мин" in ru


def test_a_reminder_not_late_says_nothing_about_being_overdue() -> None:
    due = datetime.now(UTC) + timedelta(seconds=20)
    text, _ = outbox_message(_reminder("en", due), bot_username="b")
    assert "Overdue" not in text


def test_the_team_leads_get_an_escalation_with_an_assign_button_in_their_language() -> None:
    payload = {
        "event": "sla_escalated",
        "lead_id": 7,
        "name": "Fresh",
        "created_at": "2026-12-18T06:00:00+00:00",
        "minutes": 60,
        "owner_id": None,
        "owner_name": None,
    }
    text, markup = outbox_message(payload, bot_username="b", locale="en")
    assert "First contact overdue" in text and "not contacted within 120 min" in text
    assert "nobody (in the queue)" in text
    assert markup is not None and markup.inline_keyboard[0][0].text == "Assign"


def test_a_digest_lists_its_parts_and_counts_the_rest() -> None:
    lead = {"id": 1, "name": "A", "stage": "new", "at": "2026-12-18T09:00:00+00:00", "kind": "call"}
    payload = {
        "event": "digest",
        "date": "2026-12-18",
        "language": "en",
        "timezone": "Europe/Moscow",
        "open_leads": 9,
        "today": {"count": 3, "leads": [lead]},
        "overdue": {"count": 0, "leads": []},
        "stale": {"count": 1, "leads": [lead]},
        "assigned": {"count": 0, "leads": []},
    }
    text, _ = outbox_message(payload, bot_username="b")
    assert "Your day, 18.12.2026" in text
    assert "Due today: 3" in text and "12:00 Call — A #1" in text and "…and 2 more" in text
    assert "Stalled: 1" in text and "Overdue" not in text
    empty = {**payload, "today": {"count": 0, "leads": []}, "stale": {"count": 0, "leads": []}}
    assert "Nothing due today." in outbox_message(empty, bot_username="b")[0]


@pytest.mark.parametrize(
    ("zone", "now", "expected"),
    [
        ("Europe/Moscow", "2026-12-18T06:00:05+00:00", "2026-12-18T06:00:00+00:00"),  # 09:00 +03
        ("Europe/Moscow", "2026-12-18T05:59:00+00:00", None),
        ("Asia/Vladivostok", "2026-12-17T23:00:30+00:00", "2026-12-17T23:00:00+00:00"),  # 09:00 +10, next day
        ("America/New_York", "2026-12-18T14:00:10+00:00", "2026-12-18T14:00:00+00:00"),  # 09:00 -05
    ],
)
def test_the_digest_hour_is_local_to_each_zone(zone: str, now: str, expected: str | None) -> None:
    at = datetime.fromisoformat(now)
    moment = digest_moment(at - timedelta(minutes=5), at, ZoneInfo(zone), 9)
    assert moment == (datetime.fromisoformat(expected) if expected else None)
