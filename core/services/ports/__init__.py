"""The ports services talk to: a unit of work and one repository per aggregate.

Services see only these Protocols and the domain objects they return; ``core/storage`` implements them on
PostgreSQL (SQLAlchemy) and ``tests/unit/fakes.py`` in memory. A repository owns its flushing and the mapping
between rows and domain objects; it never commits — only a service does, through the unit of work.

One module per area (leads and sales, people, Telegram traffic, the scorer and the importer, the scheduler, the
reports); everything is importable from here.
"""

from __future__ import annotations

from types import TracebackType
from typing import Protocol, Self

from core.services.ports.export import DealExportRow, ExportFilter, ExportRepository, ExportRow
from core.services.ports.idempotency import IdempotencyRepository, StoredResponse
from core.services.ports.leads import (
    Cursor,
    DayCounts,
    Found,
    LeadFilter,
    LeadRepository,
    MovedHistory,
    NewLead,
    SaleFilter,
    SaleRepository,
)
from core.services.ports.messaging import (
    InboxRepository,
    Leased,
    OutboxRepository,
    ReceivedUpdate,
)
from core.services.ports.ml import (
    ClosedLead,
    GateStats,
    ImportsRepository,
    MlRepository,
    ModelChange,
    ModelVersion,
    ScoreColumns,
)
from core.services.ports.people import (
    ApiKeyRepository,
    Assignment,
    AssignmentState,
    Intake,
    TeamRepository,
    UserRepository,
)
from core.services.ports.reports import ReportRepository, ReportScope
from core.services.ports.schedule import (
    Addressee,
    Digest,
    DigestLead,
    DigestPart,
    DueStep,
    DueWindow,
    QueuedMessage,
    ScheduleRepository,
    SlaBreach,
    TeamLine,
)
from core.services.ports.webhooks import Delivery, DeliveryState, Webhook, WebhookRepository

__all__ = [
    "Addressee",
    "ApiKeyRepository",
    "Assignment",
    "AssignmentState",
    "ClosedLead",
    "Cursor",
    "DayCounts",
    "DealExportRow",
    "Delivery",
    "DeliveryState",
    "Digest",
    "DigestLead",
    "DigestPart",
    "DueStep",
    "DueWindow",
    "ExportFilter",
    "ExportRepository",
    "ExportRow",
    "Found",
    "GateStats",
    "IdempotencyRepository",
    "ImportsRepository",
    "InboxRepository",
    "Intake",
    "LeadFilter",
    "LeadRepository",
    "Leased",
    "MlRepository",
    "ModelChange",
    "ModelVersion",
    "MovedHistory",
    "NewLead",
    "OutboxRepository",
    "QueuedMessage",
    "ReceivedUpdate",
    "ReportRepository",
    "ReportScope",
    "SaleFilter",
    "SaleRepository",
    "ScheduleRepository",
    "ScoreColumns",
    "SlaBreach",
    "StoredResponse",
    "TeamLine",
    "TeamRepository",
    "UnitOfWork",
    "UserRepository",
    "Webhook",
    "WebhookRepository",
]


class UnitOfWork(Protocol):
    """One transaction. ``async with uow`` opens it (nested: a savepoint); it rolls back unless committed."""

    @property
    def leads(self) -> LeadRepository: ...
    @property
    def sales(self) -> SaleRepository: ...
    @property
    def users(self) -> UserRepository: ...
    @property
    def api_keys(self) -> ApiKeyRepository: ...
    @property
    def outbox(self) -> OutboxRepository: ...
    @property
    def inbox(self) -> InboxRepository: ...
    @property
    def ml(self) -> MlRepository: ...
    @property
    def imports(self) -> ImportsRepository: ...
    @property
    def team(self) -> TeamRepository: ...
    @property
    def schedule(self) -> ScheduleRepository: ...
    @property
    def idempotency(self) -> IdempotencyRepository: ...
    @property
    def webhooks(self) -> WebhookRepository: ...
    @property
    def reports(self) -> ReportRepository: ...
    @property
    def exports(self) -> ExportRepository: ...

    async def __aenter__(self) -> Self: ...

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None: ...

    async def commit(self) -> None: ...

    async def rollback(self) -> None: ...

    async def ping(self) -> bool:
        """True when the database answers (``SELECT 1``)."""

    async def schema_revision(self) -> str | None:
        """The migration the database is at (None: never migrated)."""
