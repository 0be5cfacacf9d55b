"""A hand-counted week of a small team, for the reports' tests (integration, bot, API).

The week is Monday 2 to Sunday 8 November 2026 in Europe/Moscow (UTC+3, no DST), i.e. UTC
[1 Nov 21:00, 8 Nov 21:00). Times below are Moscow wall-clock times. Rows are written directly (the services
would stamp "now"), with the columns the product's own writes set.

    L1 Anna   partner fintech  score 1.0   created Mon 10:00 → contacted Mon 12:00 → qualified Tue 12:00
                                           → transferred Wed 12:00; deal paid Thu 12:00, 1000 RUB  (no stage skipped)
    L2 Anna   scanner edtech   score 0.3   created Mon 11:00 → lost from new Mon 15:00 (no_budget)
    L3 Boris  partner fintech  score 0.5   created Mon 00:30 (Sun 21:30 UTC: inside in Moscow) → contacted
                                           Tue 00:30 → lost from contacted Wed 00:30 ("Too expensive")
    L4 Boris  manual  —        unscored    created Sun 1 Nov 23:59 (before the week) → contacted Mon 01:59
                                           → qualified Wed 10:00 → lost from qualified Thu 10:00 (competitor)
    L5 Boris  partner saas     score 0.6   created Mon 09:00 → contacted 10:00 → qualified 11:00 → transferred
                                           12:00; deal → kyc Tue 10:00 → lost from kyc Fri 12:00 ("too  expensive ")
    L6 —      scanner fintech  unscored    created Sun 8 Nov 23:59 (the week's last minute), nobody owns it
    L7 Anna   partner fintech  unscored    created Mon 9 Nov 00:00 (the next week)

Activities: Anna a call on L1 Mon 12:00, a message on L1 Tue 09:00, a call on L2 Mon 14:00 and a note on L1
Sun 1 Nov 23:00 (before the week); Boris a meeting on L3 Tue 00:30; an API key a note on L5 Mon 10:00.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert

from core.domain.enums import Role
from core.storage.models import (
    ActivityRow,
    LeadRow,
    SaleRow,
    SaleStageChangeRow,
    StageChangeRow,
    UserRow,
    table,
)

MOSCOW = ZoneInfo("Europe/Moscow")
FIRST_DAY = date(2026, 11, 2)
LAST_DAY = date(2026, 11, 8)
ANNA, BORIS, TINA, IDLE = 9101, 9102, 9103, 9104


def msk(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=MOSCOW).astimezone(UTC)


@dataclass(frozen=True)
class Week:
    leads: dict[str, int]  # "L1" → id


H = timedelta(hours=1)


async def seed_week(session: Any) -> Week:
    await session.execute(
        insert(table(UserRow)),
        [
            {"id": ANNA, "full_name": "Anna", "role": Role.MANAGER, "language": "en"},
            {"id": BORIS, "full_name": "Boris", "role": Role.MANAGER, "language": "ru"},
            {"id": TINA, "full_name": "Tina", "role": Role.TEAM_LEAD, "language": "en"},
            {"id": IDLE, "full_name": "Idle", "role": Role.MANAGER, "language": "en"},
        ],
    )
    leads: dict[str, dict[str, Any]] = {
        "L1": dict(owner_id=ANNA, source="partner", business_domain="fintech", ai_score=1.0, stage="transferred",
                   created_at=msk(2, 10), first_contact_at=msk(2, 12)),
        "L2": dict(owner_id=ANNA, source="scanner", business_domain="edtech", ai_score=0.3, stage="lost",
                   created_at=msk(2, 11), lost_reason_code="no_budget"),
        "L3": dict(owner_id=BORIS, source="partner", business_domain="fintech", ai_score=0.5, stage="lost",
                   created_at=msk(2, 0, 30), first_contact_at=msk(3, 0, 30), lost_reason="Too expensive"),
        "L4": dict(owner_id=BORIS, source="manual", business_domain=None, ai_score=None, stage="lost",
                   created_at=msk(1, 23, 59), first_contact_at=msk(2, 1, 59), lost_reason_code="competitor"),
        "L5": dict(owner_id=BORIS, source="partner", business_domain="saas", ai_score=0.6, stage="transferred",
                   created_at=msk(2, 9), first_contact_at=msk(2, 10)),
        "L6": dict(owner_id=None, source="scanner", business_domain="fintech", ai_score=None, stage="new",
                   created_at=msk(8, 23, 59)),
        "L7": dict(owner_id=ANNA, source="partner", business_domain="fintech", ai_score=None, stage="new",
                   created_at=msk(9, 0)),
    }  # fmt: skip
    ids: dict[str, int] = {}
    for name, values in leads.items():
        row = {"name": name, "updated_at": values["created_at"], "stage_entered_at": values["created_at"], **values}
        ids[name] = (await session.execute(insert(table(LeadRow)).values(row).returning(table(LeadRow).c.id))).scalar()
    changes = [
        ("L1", "new", "contacted", msk(2, 12), None, None),
        ("L1", "contacted", "qualified", msk(3, 12), None, None),
        ("L1", "qualified", "transferred", msk(4, 12), None, None),
        ("L2", "new", "lost", msk(2, 15), "no_budget", None),
        ("L3", "new", "contacted", msk(3, 0, 30), None, None),
        ("L3", "contacted", "lost", msk(4, 0, 30), None, "Too expensive"),
        ("L4", "new", "contacted", msk(2, 1, 59), None, None),
        ("L4", "contacted", "qualified", msk(4, 10), None, None),
        ("L4", "qualified", "lost", msk(5, 10), "competitor", "went with another vendor"),
        ("L5", "new", "contacted", msk(2, 10), None, None),
        ("L5", "contacted", "qualified", msk(2, 11), None, None),
        ("L5", "qualified", "transferred", msk(2, 12), None, None),
    ]
    await session.execute(
        insert(table(StageChangeRow)),
        [
            {"lead_id": ids[lead], "from_stage": a, "to_stage": b, "actor": "test", "created_at": at,
             "reason_code": code, "reason": reason}
            for lead, a, b, at, code, reason in changes
        ],
    )  # fmt: skip
    sales = table(SaleRow)
    won = (
        await session.execute(
            insert(sales)
            .values(lead_id=ids["L1"], stage="paid", created_at=msk(4, 12), updated_at=msk(5, 12),
                    closed_at=msk(5, 12), amount=Decimal("1000.00"), currency="RUB", owner_id=TINA)
            .returning(sales.c.id)
        )
    ).scalar()  # fmt: skip
    lost = (
        await session.execute(
            insert(sales)
            .values(lead_id=ids["L5"], stage="lost", created_at=msk(2, 12), updated_at=msk(6, 12),
                    closed_at=msk(6, 12), owner_id=TINA)
            .returning(sales.c.id)
        )
    ).scalar()  # fmt: skip
    await session.execute(
        insert(table(SaleStageChangeRow)).values(reason=None),  # the rows below may override it
        [
            {"sale_id": won, "from_stage": "new", "to_stage": "kyc", "actor": "test", "created_at": msk(4, 14)},
            {"sale_id": won, "from_stage": "kyc", "to_stage": "agreement", "actor": "test", "created_at": msk(5, 10)},
            {"sale_id": won, "from_stage": "agreement", "to_stage": "paid", "actor": "test", "created_at": msk(5, 12)},
            {"sale_id": lost, "from_stage": "new", "to_stage": "kyc", "actor": "test", "created_at": msk(3, 10)},
            {"sale_id": lost, "from_stage": "kyc", "to_stage": "lost", "actor": "test", "created_at": msk(6, 12),
             "reason": "too  expensive "},
        ],
    )  # fmt: skip
    await session.execute(
        insert(table(ActivityRow)),
        [
            {"lead_id": ids["L1"], "kind": "call", "author": f"tg:{ANNA}", "created_at": msk(2, 12)},
            {"lead_id": ids["L1"], "kind": "message", "author": f"tg:{ANNA}", "created_at": msk(3, 9)},
            {"lead_id": ids["L2"], "kind": "call", "author": f"tg:{ANNA}", "created_at": msk(2, 14)},
            {"lead_id": ids["L1"], "kind": "note", "author": f"tg:{ANNA}", "created_at": msk(1, 23)},
            {"lead_id": ids["L3"], "kind": "meeting", "author": f"tg:{BORIS}", "created_at": msk(3, 0, 30)},
            {"lead_id": ids["L5"], "kind": "note", "author": "api:partner", "created_at": msk(2, 10)},
        ],
    )
    return Week(ids)
