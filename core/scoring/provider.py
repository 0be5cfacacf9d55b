"""The scorer the running product uses: the active learned model version, else the hand rule rules-v1.

:class:`LearnedOrRules` asks a small port (:class:`ActiveModels`, ``uow.ml`` in the product) which version
is active and for its stored blob; it loads a blob once per version id and re-asks which id is active at
most every ``ttl_seconds`` (at once after an activation in this process). Training lives apart, in
``core.services.training``.

scikit-learn, pandas, numpy and joblib are imported only when a learned model is loaded or dumped: a process
that scores with rules-v1 (the API of a team that never trained) starts without them (≈ 850 modules instead of
≈ 2,300, and a tenth of the objects each full garbage collection scans; ``tests/api/test_startup_imports.py``).
"""

from __future__ import annotations

import asyncio
import io
import logging
import pickle
import time
from collections.abc import Callable
from datetime import timedelta
from types import TracebackType
from typing import TYPE_CHECKING, Any, Protocol

from core.domain.funnel import DEFAULT_TRANSFER_THRESHOLD
from core.scoring.base import DEFAULT_DROP_MIN_AGE, Scorer, ScoreResult, ScoringInput
from core.scoring.rules_v1 import RulesV1Scorer

if TYPE_CHECKING:
    from core.scoring.learned import LearnedModel

log = logging.getLogger(__name__)

RULES_VERSION = RulesV1Scorer.version


class StoredModel(Protocol):
    @property
    def version(self) -> str: ...
    @property
    def model_blob(self) -> bytes: ...


class ActiveModels(Protocol):
    """Which model version is active, and a stored version by id."""

    async def active_id(self) -> tuple[int, str] | None: ...  # (id, version)
    async def get(self, version_id: int) -> StoredModel | None: ...
    async def gate(self) -> float | None: ...  # the transfer gate an admin set (None: the setting's)


class ModelsUnitOfWork(Protocol):
    """The part of the unit of work the provider uses: ``async with uow:`` and ``uow.ml``."""

    @property
    def ml(self) -> ActiveModels: ...
    async def __aenter__(self) -> Any: ...
    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...


def dump_model(model: LearnedModel) -> bytes:
    import joblib

    buf = io.BytesIO()
    joblib.dump(model, buf, compress=3)
    return buf.getvalue()


def load_model(stored: StoredModel) -> LearnedModel | None:
    """The stored version's model; None (logged) for a blob that no longer loads (e.g. after a
    scikit-learn upgrade): that must not break scoring."""
    import joblib

    try:
        model: LearnedModel = joblib.load(io.BytesIO(stored.model_blob))
        return model
    except (pickle.UnpicklingError, EOFError, AttributeError, ImportError, ValueError, TypeError):
        log.exception("model version %s cannot be loaded; falling back to %s", stored.version, RULES_VERSION)
        return None


class LearnedOrRules:
    """ScorerProvider: the active learned version, else rules-v1. Loads a blob once per version id.

    Which version is active is remembered for ``ttl_seconds`` (0: asked on every call), so a press of
    Analyze does not query model_versions each time. An activation in this process (training) is seen at
    once (:meth:`activations_changed`); one in another process (``leadcrm train`` beside the running bot)
    within ``ttl_seconds``."""

    # Bumped by every in-process activation; each provider compares it with the value it cached under.
    _activations: int = 0

    def __init__(
        self,
        *,
        ttl_seconds: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
        transfer_threshold: float = DEFAULT_TRANSFER_THRESHOLD,
        drop_min_age: timedelta = DEFAULT_DROP_MIN_AGE,
    ) -> None:
        """``transfer_threshold`` and ``drop_min_age``: what a learned model's recommendation follows (the
        transfer gate, DROP_MIN_AGE_DAYS); rules-v1 keeps the original fixed 0.7 / 0.3."""
        self._rules = RulesV1Scorer()
        self._transfer_threshold = transfer_threshold
        self._drop_min_age = drop_min_age
        self._cached: tuple[int, float, Scorer] | None = None  # version id, gate, scorer
        self._ttl = ttl_seconds
        self._clock = clock
        self._current: Scorer | None = None  # the answer of the last check ...
        self._checked: tuple[float, int] = (float("-inf"), -1)  # ... when, and under which activation count

    @classmethod
    def activations_changed(cls) -> None:
        """Forget every provider's remembered active version (called after an activation commits)."""
        cls._activations += 1

    async def current(self, uow: ModelsUnitOfWork) -> Scorer:
        now = self._clock()
        checked_at, activations = self._checked
        if (
            self._current is not None
            and self._ttl > 0
            and activations == LearnedOrRules._activations
            and now - checked_at < self._ttl
        ):
            return self._current
        activations = LearnedOrRules._activations
        scorer = await self._lookup(uow)
        self._current, self._checked = scorer, (now, activations)
        return scorer

    async def _lookup(self, uow: ModelsUnitOfWork) -> Scorer:
        async with uow:
            repo = uow.ml
            active = await repo.active_id()
            if active is None:
                return self._rules
            version_id, version = active
            stored_gate = await repo.gate()
            gate = self._transfer_threshold if stored_gate is None else stored_gate
            if self._cached is not None and self._cached[:2] == (version_id, gate):
                return self._cached[2]
            stored = await repo.get(version_id)
        # unpickling imports scikit-learn and pandas the first time (seconds): off the event loop, and after the
        # unit of work, so no connection is held meanwhile
        model = await asyncio.to_thread(load_model, stored) if stored is not None else None
        scorer: Scorer = self._rules
        if model is not None:
            from core.scoring.learned import LearnedScorer

            scorer = LearnedScorer(model, version, transfer_threshold=gate, drop_min_age=self._drop_min_age)
        self._cached = (version_id, gate, scorer)
        return scorer


def score_many(scorer: Scorer, inputs: list[ScoringInput]) -> list[ScoreResult]:
    """Score a batch: the scorer's own ``score_many`` when it has one (the learned model predicts in one
    call), else one by one."""
    batch = getattr(scorer, "score_many", None)
    return batch(inputs) if batch else [scorer.score(i) for i in inputs]
