"""The scorer's retraining loop of the bot process: every ``check_seconds`` it asks ``core.services.retraining``
whether to retrain (nightly at RETRAIN_HOUR, or after RETRAIN_AFTER_CLOSED newly closed leads) and, when this
process won the claim, trains and, after an activation, re-scores the open leads. The model is fitted in a worker
thread (``train_model``), so the bot keeps answering meanwhile; one training at a time per process, one per claim
across processes. The outcome is logged (and an activation is in /model's audit: "training" activated it)."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from bot.waiting import wait_or_wake
from core.domain import clock
from core.services import retraining
from core.services.context import Services
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)
CHECK_SECONDS = 300.0  # one cheap check (a count and the newest version) every five minutes


class Retrainer:
    def __init__(
        self,
        session_factory: Any,
        services: Services,
        *,
        min_closed: int,
        min_per_class: int,
        check_seconds: float = CHECK_SECONDS,
    ) -> None:
        self.session_factory = session_factory
        self.services = services
        self.min_closed = min_closed
        self.min_per_class = min_per_class
        self.check_seconds = check_seconds
        self._poke = asyncio.Event()

    def poke(self) -> None:
        """Check now instead of at the next interval (the clock moved: the sandbox)."""
        self._poke.set()

    async def check_once(self) -> retraining.Retrained | None:
        """Claim and, if this process got it, retrain. None: nothing was due here."""
        reason = await retraining.claim(SqlUnitOfWork(self.session_factory), self.services.policy)
        if reason is None:
            return None
        log.info("retraining the scorer (%s)", reason.value)
        done = await retraining.retrain(
            SqlUnitOfWork(self.session_factory),
            self.services,
            reason,
            min_closed=self.min_closed,
            min_per_class=self.min_per_class,
        )
        report = done.report
        if report.version is None:  # nothing trained: not enough closed leads yet
            log.info(
                "retraining (%s): not enough history (%d won, %d lost); scoring stays as it is",
                reason.value,
                report.n_won,
                report.n_lost,
            )
            return done
        log.info(
            "retraining (%s): %s, version %s, held-out AUC %s against %s %s%s",
            reason.value,
            report.status.value,
            report.version,
            _three(report.auc),
            report.compared_with,
            _three(report.compared_auc),
            f"; {done.rescored.leads} open leads re-scored" if done.rescored else "",
        )
        return done

    async def run(self, stop: asyncio.Event) -> None:
        """Check until ``stop`` is set; a failing check or training is logged and tried at the next interval."""
        unsubscribe = clock.on_advance(self.poke)  # the sandbox's :clock reaches the night at once
        try:
            while not stop.is_set():
                self._poke.clear()
                try:
                    await self.check_once()
                except asyncio.CancelledError:
                    raise
                except Exception as error:  # the database may be away: log it (no secrets) and check next time
                    log.error("retraining check failed: %s: %s", type(error).__name__, str(error)[:300])
                    log.debug("retraining check traceback", exc_info=True)
                await wait_or_wake(stop, self._poke, self.check_seconds)
        finally:
            unsubscribe()


def _three(value: float | None) -> str:
    return "—" if value is None else f"{value:.3f}"
