"""Ports of the learned scorer and the importer: ``uow.ml`` and ``uow.imports``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from core.domain.enums import (
    SaleStage,
)
from core.domain.models import (
    Lead,
    LeadChanges,
)
from core.imports.records import ImportedLead, LeadHit, UpsertCounts


@dataclass(frozen=True, slots=True)
class ClosedLead:
    lead: Lead
    sale_stage: SaleStage | None
    closed_at: datetime  # when the outcome became known


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """A trained scorer as stored (``model_blob`` is the joblib dump)."""

    version: str
    algorithm: str
    features: list[str]
    trained_at: datetime
    n_won: int
    n_lost: int
    auc: float
    brier: float
    metrics: dict[str, Any]
    model_blob: bytes
    is_active: bool = False
    id: int | None = None


@dataclass(frozen=True, slots=True)
class ScoreColumns:
    """What scoring writes to a lead."""

    lead_id: int
    changes: LeadChanges


@dataclass(frozen=True, slots=True)
class ModelChange:
    """One row of the scorer's audit trail (``model_changes``)."""

    at: datetime
    actor: str
    kind: str  # "gate" | "activate"
    detail: dict[str, Any]


@dataclass(frozen=True)
class GateStats:
    """What the transfer gate means on this team's data (``/model``)."""

    threshold: float
    open_scored: int  # open leads that have a score
    open_passing: int  # ... of them at or above the gate
    closed_above: int  # closed leads (won or lost) whose stored score is at or above the gate
    won_above: int  # ... of them won (the sale paid)


class MlRepository(Protocol):
    async def closed_leads(self) -> list[ClosedLead]: ...

    async def closed_count(self) -> int:
        """How many leads ``closed_leads`` would return (one count: the retraining check's)."""

    async def gate_stats(self, threshold: float) -> GateStats:
        """Counts of ``GateStats`` in one pass over the leads (an admin's command: not a hot path)."""

    async def active_id(self) -> tuple[int, str] | None:
        """(id, version) of the active model: a cheap check before using a cached one."""

    async def get(self, version_id: int) -> ModelVersion | None: ...

    async def active(self) -> ModelVersion | None: ...

    async def versions(self, limit: int) -> list[ModelVersion]:
        """The newest ``limit`` stored versions, newest first, without their blobs (``model_blob`` = b"")."""

    async def activate(self, version_id: int) -> None:
        """Make that stored version the active one (one activation at a time)."""

    async def gate(self) -> float | None:
        """The transfer gate an admin set (``team_settings['transfer_gate']``); None: the settings' default."""

    async def set_gate(self, threshold: float, *, actor: str, now: datetime) -> None: ...

    async def record_change(self, change: ModelChange) -> None: ...

    async def changes(self, limit: int) -> list[ModelChange]:
        """The newest ``limit`` audit rows, newest first."""

    async def add(self, version: ModelVersion, *, activate: bool) -> None:
        """Store a version; with ``activate`` it becomes the only active one (activations serialize)."""

    async def open_leads_after(self, after_id: int, limit: int) -> list[Lead]:
        """The next batch of open leads by id, locked for this transaction."""

    async def store_scores(self, scores: Sequence[ScoreColumns]) -> None: ...


class ImportsRepository(Protocol):
    """``uow.imports``: stores imported leads by ``external_id`` (re-import updates, never duplicates)."""

    async def start_file(self) -> None:
        """Begin a file's duplicate guard: an empty memory of keys, kept until the transaction ends."""
        ...

    async def seen_in_file(self, keys: Sequence[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """Which of these keys (``("ext", external id)`` or ``(contact kind, normal form)``) an earlier batch of
        the file remembered, each with the line that had it first."""
        ...

    async def remember_in_file(self, keys: Sequence[tuple[str, str, int]]) -> None:
        """Remember ``(kind, key, line)`` for the file's later batches: keys not remembered yet, each once."""
        ...

    async def find_leads(self, leads: Sequence[ImportedLead]) -> list[LeadHit]:
        """The stored leads the rows point at, in one query for the batch: the lead with a row's external id,
        and, for the rows whose external id no lead has, every lead with one of their contacts (same kind and
        normal form)."""
        ...

    async def upsert_leads(
        self, leads: Sequence[ImportedLead], now: datetime, matched: Mapping[int, int] | None = None
    ) -> UpsertCounts:
        """Insert or update ``leads`` with their import history in the unit of work's transaction, and add their
        contacts. ``matched`` (line -> lead id) are rows found by contact: that lead gets the row's external id
        and only its empty fields filled (no stage, history or sale from the file)."""
        ...
