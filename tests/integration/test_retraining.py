"""The scorer retrains by itself (real PostgreSQL): nightly at RETRAIN_HOUR in the team's zone and once enough
leads closed since the last trained version; one claim across processes; a better model is activated and the
open leads re-scored with it, a retraining on unchanged history starts nothing."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot import render
from bot.retrainer import Retrainer
from core.domain.enums import Role
from core.domain.models import Actor
from core.scoring.provider import LearnedOrRules
from core.services import leads as lead_svc
from core.services import retraining
from core.services.context import Policy, Services
from core.services.importer import import_csv
from core.services.ports import ModelVersion
from core.services.retraining import RetrainReason
from core.services.training import TrainStatus
from core.services.users import ensure_user
from core.storage.models import OutboxRow
from core.storage.uow import SqlUnitOfWork
from tests.integration.test_training import DOMAINS, MAPPING, _history

MOSCOW = timedelta(hours=3)  # Europe/Moscow, the policy's default zone, has no DST


def at_moscow(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC) - MOSCOW


@pytest.fixture
def nightly(policy: Policy) -> Policy:
    return replace(policy, retrain_hour=3, retrain_after_closed=0)


@pytest.fixture
def after_three(policy: Policy) -> Policy:
    return replace(policy, retrain_hour=None, retrain_after_closed=3)


async def _claim(factory: Any, policy: Policy, now: datetime) -> RetrainReason | None:
    return await retraining.claim(SqlUnitOfWork(factory), policy, now=now)


async def test_the_night_claims_one_retraining_across_two_processes(
    committing_factory, services, system, nightly
) -> None:
    await _lose(committing_factory, services, system, 1)  # something new to learn from
    assert await _claim(committing_factory, nightly, at_moscow(5, 1)) is None  # the first look only marks the time
    assert await _claim(committing_factory, nightly, at_moscow(5, 2, 59)) is None

    both = await asyncio.gather(*(_claim(committing_factory, nightly, at_moscow(5, 3, 1)) for _ in range(2)))
    assert sorted(both, key=str) == [None, RetrainReason.NIGHTLY]  # one process retrains, the other does not
    assert await _claim(committing_factory, nightly, at_moscow(5, 3, 6)) is None
    assert await _claim(committing_factory, nightly, at_moscow(5, 23, 59)) is None
    assert await _claim(committing_factory, nightly, at_moscow(6, 3, 0)) == RetrainReason.NIGHTLY  # the next night


async def test_a_bot_down_over_the_hour_retrains_when_it_is_back(committing_factory, services, system, nightly) -> None:
    await _lose(committing_factory, services, system, 1)
    assert await _claim(committing_factory, nightly, at_moscow(5, 1)) is None
    assert await _claim(committing_factory, nightly, at_moscow(5, 9, 30)) == RetrainReason.NIGHTLY


async def test_a_night_with_nothing_closed_since_the_last_version_trains_nothing(
    committing_factory, services, system, nightly
) -> None:
    await _lose(committing_factory, services, system, 3)
    uow = SqlUnitOfWork(committing_factory)
    async with uow:  # the newest version learned from those 3
        await uow.ml.add(_version(n_won=0, n_lost=3), activate=False)
        await uow.commit()
    assert await _claim(committing_factory, nightly, at_moscow(5, 1)) is None
    assert await _claim(committing_factory, nightly, at_moscow(5, 3, 1)) is None  # no version stored for nothing
    await _lose(committing_factory, services, system, 1)
    assert await _claim(committing_factory, nightly, at_moscow(6, 3, 1)) == RetrainReason.NIGHTLY


async def test_off_claims_nothing(committing_factory, policy) -> None:
    off = replace(policy, retrain_hour=None, retrain_after_closed=0)
    for hour in (1, 3, 5):
        assert await _claim(committing_factory, off, at_moscow(5, hour)) is None


async def _lose(factory: Any, services: Services, actor: Actor, n: int) -> None:
    for i in range(n):
        lead = await lead_svc.create_lead(SqlUnitOfWork(factory), services, actor, source="manual", name=f"x{i}")
        await lead_svc.change_stage(SqlUnitOfWork(factory), services, actor, lead.id, "lost", reason="no budget")


async def test_enough_newly_closed_leads_claim_a_retraining_at_most_hourly(
    committing_factory, services, system, after_three
) -> None:
    await _lose(committing_factory, services, system, 2)
    now = at_moscow(5, 12)
    assert await _claim(committing_factory, after_three, now) is None  # 2 closed since no version: not yet

    await _lose(committing_factory, services, system, 1)
    assert await _claim(committing_factory, after_three, now) == RetrainReason.OUTCOMES
    # not again while that training may still run (or after it failed), then again: no version was stored
    assert await _claim(committing_factory, after_three, now + timedelta(minutes=50)) is None
    assert await _claim(committing_factory, after_three, now + timedelta(minutes=65)) == RetrainReason.OUTCOMES

    uow = SqlUnitOfWork(committing_factory)
    async with uow:  # a version trained on those 3 closed leads
        await uow.ml.add(_version(n_won=1, n_lost=2), activate=False)
        await uow.commit()
    later = now + timedelta(hours=3)
    assert await _claim(committing_factory, after_three, later) is None  # nothing closed since it
    await _lose(committing_factory, services, system, 3)
    assert await _claim(committing_factory, after_three, later) == RetrainReason.OUTCOMES


def _version(*, n_won: int, n_lost: int) -> ModelVersion:
    return ModelVersion(
        version="logreg-test",
        algorithm="logistic_regression",
        features=[],
        trained_at=datetime.now(UTC),
        n_won=n_won,
        n_lost=n_lost,
        auc=0.7,
        brier=0.2,
        metrics={},
        model_blob=b"",
    )


async def test_a_retraining_activates_a_better_model_and_rescores_the_open_leads(
    committing_factory, policy, system, tmp_path: Path
) -> None:
    mapping = tmp_path / "h.toml"
    mapping.write_text(MAPPING)
    await import_csv(SqlUnitOfWork(committing_factory), DOMAINS, _history(tmp_path / "h.csv", 300), mapping)
    learned = Services(policy=replace(policy, retrain_hour=None, retrain_after_closed=200), scorers=LearnedOrRules())
    lead = await lead_svc.create_lead(
        SqlUnitOfWork(committing_factory), learned, system, source="partner", business_domain="fintech"
    )
    lead = await lead_svc.analyze(SqlUnitOfWork(committing_factory), learned, system, lead.id)
    assert lead.scorer_version == "rules-v1"

    for admin_id, language in ((7001, "ru"), (7002, "en")):
        await ensure_user(
            SqlUnitOfWork(committing_factory), user_id=admin_id, full_name="A", role=Role.ADMIN, language=language
        )

    retrainer = Retrainer(committing_factory, learned, min_closed=200, min_per_class=20)
    done = await retrainer.check_once()

    assert done is not None and done.reason == RetrainReason.OUTCOMES
    assert done.report.status == TrainStatus.ACTIVATED and done.report.n_closed == 300
    assert done.rescored is not None and done.rescored.leads == 1
    lead = await lead_svc.get_lead(SqlUnitOfWork(committing_factory), system, lead.id)
    assert lead.scorer_version == done.report.version  # the open lead carries the new model's score
    uow = SqlUnitOfWork(committing_factory)
    async with uow:
        changes = await uow.ml.changes(5)
    assert [(c.actor, c.kind, c.detail["version"]) for c in changes] == [("training", "activate", done.report.version)]
    # each admin is told once, in their language, in the activating transaction
    async with committing_factory() as session:
        told = (await session.execute(select(OutboxRow).where(OutboxRow.dedupe_key.like("retrained:%")))).scalars()
        messages = {row.chat_id: row.payload for row in told}
    assert set(messages) == {7001, 7002}
    ru = render.outbox_message(messages[7001], bot_username="leadcrm_bot")[0]
    en = render.outbox_message(messages[7002], bot_username="leadcrm_bot")[0]
    n, other_n = round(done.report.auc * 100), round(done.report.compared_auc * 100)
    assert f"модель {done.report.version}" in ru and f"{n} раз из 100 (rules-v1: {other_n})" in ru
    assert "с прошлого обучения закрылось достаточно лидов" in ru
    assert f"model {done.report.version} is now active" in en and f"{n} times in 100 (rules-v1: {other_n})" in en

    # the history has not changed since: no retraining, however long after (even at one new lead a time)
    eager = replace(learned.policy, retrain_after_closed=1)
    assert await _claim(committing_factory, eager, datetime.now(UTC) + timedelta(hours=2)) is None
