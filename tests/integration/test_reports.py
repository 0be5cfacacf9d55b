"""Reports against real PostgreSQL, checked against the hand-counted week of ``tests/report_week.py``
(each test rolled back)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from core.domain.enums import ActivityKind, LostReason, Role, Source, Stage
from core.domain.errors import AccessDenied
from core.domain.models import Actor
from core.domain.periods import custom_period
from core.services import reports
from core.services.ports.reports import ManagerCounts
from tests.report_week import ANNA, BORIS, FIRST_DAY, IDLE, LAST_DAY, MOSCOW, TINA, seed_week

HOUR = 3600.0
WEEK = custom_period(FIRST_DAY, LAST_DAY, MOSCOW)
TEAM = Actor(label="tg:9103", user_id=TINA, role=Role.TEAM_LEAD)
BORIS_SELF = Actor(label="tg:9102", user_id=BORIS, role=Role.MANAGER)
ANNA_SELF = Actor(label="tg:9101", user_id=ANNA, role=Role.MANAGER)


@pytest.fixture
async def week(uow):
    async with uow:
        seeded = await seed_week(uow.session)
        await uow.commit()
    return seeded


def _flows(report: reports.FunnelReport) -> dict[Stage, tuple[int, int, float | None]]:
    return {f.stage: (f.entered, f.left, f.median_seconds) for f in report.stages}


async def test_the_funnel_counts_leads_entering_each_stage_in_the_moscow_week(uow, week) -> None:
    report = await reports.funnel(uow, TEAM, WEEK)
    flows = _flows(report)
    # new: L1 L2 L3 (Mon 00:30 Moscow, Sunday in UTC) L5 L6 (the last minute); not L4 (before) nor L7 (after)
    assert {stage: flow[0] for stage, flow in flows.items()} == {
        Stage.NEW: 5,
        Stage.CONTACTED: 4,  # L1 L3 L4 L5
        Stage.QUALIFIED: 3,  # L1 L4 L5
        Stage.TRANSFERRED: 2,  # L1 L5
        Stage.LOST: 3,  # L2 from new, L3 from contacted, L4 from qualified
    }
    assert (report.won, report.deals_lost) == (1, 1) and report.team  # L1's deal paid, L5's lost
    # of the leads that left a stage in the week, the share that moved on (not lost)
    assert [(c.from_stage, c.to_stage, c.rate) for c in report.conversions] == [
        (Stage.NEW, Stage.CONTACTED, 4 / 5),  # L2 lost
        (Stage.CONTACTED, Stage.QUALIFIED, 3 / 4),  # L3 lost
        (Stage.QUALIFIED, Stage.TRANSFERRED, 2 / 3),  # L4 lost
        (Stage.TRANSFERRED, None, 1 / 2),  # of the deals closed: L1 paid, L5 lost
    ]


async def test_the_median_time_in_a_stage_counts_from_entering_it_to_leaving_it(uow, week) -> None:
    flows = _flows(await reports.funnel(uow, TEAM, WEEK))
    # left new after 2 h (L1), 4 h (L2, lost), 24 h (L3), 2 h (L4, created before the week), 1 h (L5)
    assert flows[Stage.NEW][1:] == (5, 2 * HOUR)
    # left contacted after 24 h (L1), 24 h (L3, lost), 56 h 1 min (L4), 1 h (L5)
    assert flows[Stage.CONTACTED][1:] == (4, 24 * HOUR)
    assert flows[Stage.QUALIFIED][1:] == (3, 24 * HOUR)  # 24 h (L1), 24 h (L4, lost), 1 h (L5)
    assert flows[Stage.TRANSFERRED][1:] == (0, None)


async def test_a_managers_funnel_counts_only_the_leads_they_own(uow, week) -> None:
    report = await reports.funnel(uow, BORIS_SELF, WEEK)
    assert not report.team
    assert {stage: flow[0] for stage, flow in _flows(report).items()} == {
        Stage.NEW: 2,  # L3 L5
        Stage.CONTACTED: 3,  # L3 L4 L5
        Stage.QUALIFIED: 2,  # L4 L5
        Stage.TRANSFERRED: 1,  # L5
        Stage.LOST: 2,  # L3 L4
    }
    assert report.won == 0
    # L3, L4 (created the week before) and L5 all left "new" forward: 100 %, not 3 contacted / 2 new
    assert report.conversions[0].rate == 1.0


async def test_the_managers_report_has_a_line_per_manager_sorted_and_the_team_total(uow, week) -> None:
    report = await reports.managers(uow, TEAM, WEEK)
    assert [line.name for line in report.lines] == ["Anna", "Boris", "Idle", "Tina"]
    anna, boris, idle, _tina = report.lines
    assert anna.counts.new_leads == 2  # L1 L2 (L7 is next week's)
    assert anna.counts.activities == {ActivityKind.CALL: 2, ActivityKind.MESSAGE: 1}  # not Sunday's note
    assert anna.counts.first_contact_median_seconds == 2 * HOUR  # L1; L2 was never contacted
    assert (anna.counts.transfers, anna.counts.won, anna.counts.lost) == (1, 1, 1)
    assert anna.counts.won_amounts == {"RUB": Decimal("1000.00")}
    assert anna.win_rate == 0.5
    assert boris.counts.new_leads == 2  # L3 L5 (L4 was created before the week)
    assert boris.counts.first_contact_median_seconds == 12.5 * HOUR  # 24 h (L3) and 1 h (L5)
    assert boris.counts.activities == {ActivityKind.MEETING: 1}
    assert (boris.counts.transfers, boris.counts.won, boris.counts.lost) == (1, 0, 3)  # L3 L4 lost, L5's deal
    assert boris.win_rate == 0.0
    assert idle.counts == ManagerCounts(user_id=IDLE) and idle.win_rate is None
    total = report.total.counts
    assert total.new_leads == 5  # L6 has no owner but is the team's
    assert total.activities == {
        ActivityKind.CALL: 2,
        ActivityKind.MESSAGE: 1,
        ActivityKind.MEETING: 1,
        ActivityKind.NOTE: 1,  # the API key's
    }
    assert total.first_contact_median_seconds == 2 * HOUR  # 2 h, 24 h, 1 h
    assert (total.transfers, total.won, total.lost) == (2, 1, 4)
    assert total.won_amounts == {"RUB": Decimal("1000.00")}


async def test_a_manager_sees_only_their_own_line(uow, week) -> None:
    report = await reports.managers(uow, ANNA_SELF, WEEK)
    assert [line.user_id for line in report.lines] == [ANNA]
    assert report.lines[0].counts.activities == {ActivityKind.CALL: 2, ActivityKind.MESSAGE: 1}
    assert report.total.counts.new_leads == 2


async def test_lost_reasons_are_counted_by_code_and_stage_with_free_texts_under_other(uow, week) -> None:
    report = await reports.lost(uow, TEAM, WEEK)
    assert {(c.stage, c.code, c.count) for c in report.leads} == {
        ("new", LostReason.NO_BUDGET, 1),
        ("contacted", None, 1),
        ("qualified", LostReason.COMPETITOR, 1),  # its text goes with the code, not under "other"
    }
    assert [(c.stage, c.code, c.count) for c in report.deals] == [("kyc", None, 1)]
    assert report.total == 4
    # "Too expensive" (L3) and "too  expensive " (L5's deal) are one text
    assert [(t.text.lower().split(), t.count) for t in report.other_texts] == [(["too", "expensive"], 2)]


async def test_sources_and_domains_count_the_weeks_leads_and_how_far_they_got(uow, week) -> None:
    report = await reports.sources(uow, TEAM, WEEK)
    assert [(s.counts.source, s.counts.leads, s.counts.transferred, s.counts.won) for s in report.sources] == [
        (Source.PARTNER, 3, 2, 1),  # L1 L3 L5
        (Source.SCANNER, 2, 0, 0),  # L2 L6
    ]
    assert {(s.counts.domain, s.counts.leads, s.counts.transferred, s.counts.won) for s in report.domains} == {
        ("fintech", 3, 1, 1),
        ("edtech", 1, 0, 0),
        ("saas", 1, 1, 0),
    }
    assert report.sources[0].win_rate == 1 / 3 and report.sources[0].transfer_rate == 2 / 3


async def test_the_scorer_report_bands_the_leads_closed_in_the_week_by_score(uow, week) -> None:
    report = await reports.scorer(uow, TEAM, WEEK)
    assert [(b.counts.low, b.counts.won, b.counts.lost) for b in report.bands] == [
        (0.0, 0, 0),
        (0.2, 0, 1),  # L2 0.3
        (0.4, 0, 1),  # L3 0.5
        (0.6, 0, 1),  # L5 0.6 exactly: the band it starts; its deal was lost
        (0.8, 1, 0),  # L1 1.0: the last band includes 1.0
        (None, 0, 1),  # L4 never scored
    ]
    assert report.closed == 5


async def test_an_empty_period_gives_zeros_and_no_rates(uow, week) -> None:
    empty = custom_period(date(2025, 1, 1), date(2025, 1, 31), MOSCOW)
    funnel = await reports.funnel(uow, TEAM, empty)
    assert all(f.entered == 0 and f.left == 0 and f.median_seconds is None for f in funnel.stages)
    assert funnel.won == 0 and all(c.rate is None for c in funnel.conversions)
    managers = await reports.managers(uow, TEAM, empty)
    assert managers.total.counts == ManagerCounts(user_id=None)
    assert {line.user_id for line in managers.lines} == {ANNA, BORIS, TINA, IDLE}  # the team, all zeros
    lost = await reports.lost(uow, TEAM, empty)
    assert (lost.leads, lost.deals, lost.other_texts) == ([], [], [])
    assert (await reports.sources(uow, TEAM, empty)).sources == []
    assert (await reports.scorer(uow, TEAM, empty)).closed == 0


async def test_a_lead_created_at_local_midnight_belongs_to_that_local_day(uow, week) -> None:
    monday = custom_period(date(2026, 11, 2), date(2026, 11, 2), MOSCOW)
    sunday = custom_period(date(2026, 11, 1), date(2026, 11, 1), MOSCOW)
    next_monday = custom_period(date(2026, 11, 9), date(2026, 11, 9), MOSCOW)
    new = {f.stage: f.entered for f in (await reports.funnel(uow, TEAM, monday)).stages}[Stage.NEW]
    assert new == 4  # L1 L2 L3 (00:30) L5; L4 at 23:59 the day before is Sunday's
    sunday_new = {f.stage: f.entered for f in (await reports.funnel(uow, TEAM, sunday)).stages}[Stage.NEW]
    assert sunday_new == 1  # L4
    later = {f.stage: f.entered for f in (await reports.funnel(uow, TEAM, next_monday)).stages}[Stage.NEW]
    assert later == 1  # L7 at 00:00 sharp


async def test_an_actor_without_a_user_or_a_team_role_is_refused(uow, week) -> None:
    with pytest.raises(AccessDenied):
        await reports.funnel(uow, Actor(label="odd", role=Role.MANAGER), WEEK)


async def test_a_stage_change_records_when_the_lead_entered_the_stage_it_leaves(uow, services, system) -> None:
    from sqlalchemy import select

    from core.services import leads as lead_svc
    from core.storage.models import StageChangeRow

    lead = await lead_svc.create_lead(uow, services, system, source="partner", name="Timed")
    moved = await lead_svc.change_stage(uow, services, system, lead.id, "contacted")
    await lead_svc.change_stage(uow, services, system, lead.id, "qualified")
    async with uow:
        rows = (
            await uow.session.execute(
                select(StageChangeRow.from_entered_at, StageChangeRow.created_at)
                .where(StageChangeRow.lead_id == lead.id)
                .order_by(StageChangeRow.id)
            )
        ).all()
    assert rows[0].from_entered_at == lead.created_at  # "new" since its creation
    assert rows[1].from_entered_at == rows[0].created_at == moved.lead.stage_entered_at


def _migration_0015():
    import importlib.util
    from pathlib import Path

    path = next(Path("migrations/versions").glob("*_0015.py"))
    spec = importlib.util.spec_from_file_location("migration_0015", path)
    assert spec is not None and spec.loader is not None
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    return migration


async def test_migration_0015_fills_the_entry_times_of_the_history_it_finds(uow, week) -> None:
    from sqlalchemy import text

    migration = _migration_0015()
    before = _flows(await reports.funnel(uow, TEAM, WEEK))  # the fallback: the previous change, the creation
    async with uow:
        await uow.session.execute(text(migration.BACKFILL))
        l4 = week.leads["L4"]
        filled = (
            (
                await uow.session.execute(
                    text("SELECT from_entered_at FROM stage_changes WHERE lead_id = :id ORDER BY id"), {"id": l4}
                )
            )
            .scalars()
            .all()
        )
        await uow.commit()
    from tests.report_week import msk

    assert filled == [msk(1, 23, 59), msk(2, 1, 59), msk(4, 10)]  # created, contacted, qualified
    assert _flows(await reports.funnel(uow, TEAM, WEEK)) == before


async def test_a_merged_away_lead_is_not_one_more_new_lead(uow, week) -> None:
    from sqlalchemy import update

    from core.storage.models import LeadRow

    before = _flows(await reports.funnel(uow, TEAM, WEEK))[Stage.NEW][0]
    async with uow:  # L6 merged into L5 (the tombstone as a merge leaves it; its history moved away)
        await uow.session.execute(
            update(LeadRow)
            .where(LeadRow.id == week.leads["L6"])
            .values(merged_into_id=week.leads["L5"], merged_at=LeadRow.created_at, merged_by="tg:9103")
        )
        await uow.commit()
    assert _flows(await reports.funnel(uow, TEAM, WEEK))[Stage.NEW][0] == before - 1
