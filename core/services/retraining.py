"""The scorer retrains by itself: nightly at ``Policy.retrain_hour`` (the team's local time) and once
``Policy.retrain_after_closed`` leads have closed since the last trained version (a night with no lead closed
since then trains nothing: every training stores a version). Training is
``core.services.training.train_model``: it keeps every version it fits and activates one only when it ranks the
held-out leads better than the active model (or the rules); after an activation the open leads are re-scored, so
the transfer gate reads the new model's scores.

Several bot processes may check at once: the check runs under a transaction-scoped advisory lock and records when
it looked (``scheduler:retrain``), so one nightly moment starts one training, and the closed-leads trigger starts
at most one per ``OUTCOMES_PAUSE`` (``scheduler:retrain-outcomes``: a training that failed, or one still running
in another process, is not started again at every check)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from core.domain.clock import utcnow
from core.services import training
from core.services.context import Policy, Services
from core.services.people_news import tell_admins
from core.services.ports import ModelVersion, UnitOfWork
from core.services.scheduler import digest_moment

RETRAIN_LOCK = 0x5C4ED03  # pg advisory lock key of the retraining check (the weekly job's + 1)
RETRAIN_JOB = "retrain"
OUTCOMES_JOB = "retrain-outcomes"
OUTCOMES_PAUSE = timedelta(hours=1)


class RetrainReason(StrEnum):
    NIGHTLY = "nightly"
    OUTCOMES = "outcomes"  # enough leads closed since the last trained version


@dataclass(frozen=True)
class Retrained:
    reason: RetrainReason
    report: training.TrainReport
    rescored: training.RescoreReport | None  # after an activation


async def claim(uow: UnitOfWork, policy: Policy, *, now: datetime | None = None) -> RetrainReason | None:
    """Whether this process should retrain now (and, if so, it is recorded: no other process will for the same
    reason); one transaction."""
    if policy.retrain_hour is None and policy.retrain_after_closed <= 0:
        return None
    now = now or utcnow()
    async with uow:
        if not await uow.schedule.try_lock(RETRAIN_LOCK):
            return None  # another process is checking
        previous = await uow.schedule.checked_at(RETRAIN_JOB, now)
        reason = None
        zone = ZoneInfo(policy.default_timezone)
        hour = policy.retrain_hour
        night = previous is not None and hour is not None and digest_moment(previous, now, zone, hour) is not None
        if not night and policy.retrain_after_closed <= 0:
            await uow.commit()
            return None
        fresh = await _closed_since_last_version(uow)
        if night and fresh > 0:  # a night with nothing new to learn from stores no new version
            reason = RetrainReason.NIGHTLY
        elif 0 < policy.retrain_after_closed <= fresh:
            last_try = await uow.schedule.checked_at(OUTCOMES_JOB, now)
            if last_try is None or now - last_try >= OUTCOMES_PAUSE:
                reason = RetrainReason.OUTCOMES
            else:
                await uow.rollback()  # nothing of this check is kept: the pause runs from the last try
                return None
        await uow.commit()
    return reason


async def _closed_since_last_version(uow: UnitOfWork) -> int:
    """Closed leads now, less those the newest stored version was trained on."""
    closed = await uow.ml.closed_count()
    newest = await uow.ml.versions(1)
    return closed - (newest[0].n_won + newest[0].n_lost if newest else 0)


async def retrain(
    uow: UnitOfWork, svc: Services, reason: RetrainReason, *, min_closed: int, min_per_class: int
) -> Retrained:
    """Train (a stored version every time there is enough history); when the new version became the active one,
    tell the admins (in the activating transaction) and re-score the open leads."""

    async def tell_admins(uow: UnitOfWork, version: ModelVersion) -> None:
        await announce(uow, version, reason)

    report = await training.train_model(
        uow, min_closed=min_closed, min_per_class=min_per_class, on_activate=tell_admins
    )
    rescored = None
    if report.status == training.TrainStatus.ACTIVATED:
        rescored = await training.rescore_open_leads(uow, svc)
    return Retrained(reason, report, rescored)


async def announce(uow: UnitOfWork, version: ModelVersion, reason: RetrainReason) -> None:
    """One personal message to each active admin, in their language (outbox event ``model_retrained``): which
    version took over, how it and the one before it rank the recent leads, and why training ran."""
    payload = {
        "event": "model_retrained",
        "reason": reason.value,
        "version": version.version,
        "auc": version.auc,
        "compared_with": version.metrics.get("compared_with"),
        "compared_auc": version.metrics.get("compared_auc"),
    }
    await tell_admins(uow, f"retrained:{version.version}", payload)
