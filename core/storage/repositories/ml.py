"""Queries for the learned scorer: closed leads with their close time, model versions, open-lead batches.
Never commits."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, func, insert, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.ext.asyncio import AsyncSession

from core.domain.enums import SaleStage, Stage
from core.domain.funnel import LEAD_FINAL
from core.domain.models import Lead
from core.services.ports import ClosedLead, GateStats, ModelChange, ModelVersion, ScoreColumns
from core.storage.models import ModelChangeRow, ModelVersionRow, SaleRow, StageChangeRow, TeamSettingRow, table
from core.storage.repositories.base import BeforeWrite
from core.storage.repositories.leads import LEADS, LIVE, lead_columns, lead_from_row, update_lead_stmt, update_params

VERSIONS = table(ModelVersionRow)
SALES = table(SaleRow)
STAGE_CHANGES = table(StageChangeRow)
CHANGES = table(ModelChangeRow)
SETTINGS = table(TeamSettingRow)
GATE_KEY = "transfer_gate"
ACTIVATION_LOCK = 0x1EAD5C0E  # pg_advisory_xact_lock key: one activation at a time


def _version(row: Row[Any]) -> ModelVersion:  # a row without model_blob (``versions``): b""
    return ModelVersion(
        id=row.id,
        version=row.version,
        algorithm=row.algorithm,
        features=list(row.features or []),
        trained_at=row.trained_at,
        n_won=row.n_won,
        n_lost=row.n_lost,
        auc=row.auc,
        brier=row.brier,
        metrics=dict(row.metrics or {}),
        model_blob=getattr(row, "model_blob", b""),
        is_active=row.is_active,
    )


class SqlMlRepository:
    def __init__(self, session: AsyncSession, before_write: BeforeWrite) -> None:
        self.session = session
        self._before_write = before_write

    async def gate_stats(self, threshold: float) -> GateStats:
        scored = and_(LIVE, LEADS.c.ai_score.is_not(None))
        is_open = and_(scored, LEADS.c.stage.not_in([s.value for s in LEAD_FINAL]))
        above = LEADS.c.ai_score >= threshold
        closed = and_(scored, or_(LEADS.c.stage == Stage.LOST, SALES.c.stage.in_([SaleStage.PAID, SaleStage.LOST])))
        stmt = select(
            func.count().filter(is_open),
            func.count().filter(and_(is_open, above)),
            func.count().filter(and_(closed, above)),
            func.count().filter(and_(closed, above, SALES.c.stage == SaleStage.PAID)),
        ).select_from(LEADS.outerjoin(SALES, SALES.c.lead_id == LEADS.c.id))
        open_scored, open_passing, closed_above, won_above = (await self.session.execute(stmt)).one()
        return GateStats(threshold, int(open_scored), int(open_passing), int(closed_above), int(won_above))

    async def closed_leads(self) -> list[ClosedLead]:
        """Leads lost, or whose sale is paid or lost, with the moment that happened."""
        lost_at = (
            select(func.max(STAGE_CHANGES.c.created_at))
            .where(STAGE_CHANGES.c.lead_id == LEADS.c.id, STAGE_CHANGES.c.to_stage == Stage.LOST)
            .correlate(LEADS)
            .scalar_subquery()
        )
        stmt = (
            lead_columns(
                SALES.c.stage.label("sale_stage"), SALES.c.closed_at.label("sale_closed_at"), lost_at.label("lost_at")
            )
            .outerjoin(SALES, SALES.c.lead_id == LEADS.c.id)
            .where(or_(LEADS.c.stage == Stage.LOST, SALES.c.stage.in_([SaleStage.PAID, SaleStage.LOST])), LIVE)
            .order_by(LEADS.c.id)
        )
        out = []
        for row in (await self.session.execute(stmt)).mappings():
            data = dict(row)
            sale_stage, sale_closed, lost = data.pop("sale_stage"), data.pop("sale_closed_at"), data.pop("lost_at")
            lead = lead_from_row(data)
            closed = (lost if lead.stage == Stage.LOST else sale_closed) or lead.updated_at
            assert closed is not None  # updated_at is NOT NULL
            out.append(ClosedLead(lead, SaleStage(sale_stage) if sale_stage else None, closed))
        return out

    async def closed_count(self) -> int:
        stmt = (
            select(func.count())
            .select_from(LEADS.outerjoin(SALES, SALES.c.lead_id == LEADS.c.id))
            .where(or_(LEADS.c.stage == Stage.LOST, SALES.c.stage.in_([SaleStage.PAID, SaleStage.LOST])), LIVE)
        )
        return int((await self.session.execute(stmt)).scalar_one())

    async def active_id(self) -> tuple[int, str] | None:
        stmt = select(VERSIONS.c.id, VERSIONS.c.version).where(VERSIONS.c.is_active.is_(True))
        row = (await self.session.execute(stmt)).first()
        return (row[0], row[1]) if row else None

    async def get(self, version_id: int) -> ModelVersion | None:
        row = (await self.session.execute(select(VERSIONS).where(VERSIONS.c.id == version_id))).first()
        return _version(row) if row is not None else None

    async def active(self) -> ModelVersion | None:
        row = (await self.session.execute(select(VERSIONS).where(VERSIONS.c.is_active.is_(True)))).first()
        return _version(row) if row is not None else None

    async def versions(self, limit: int) -> list[ModelVersion]:
        columns = [c for c in VERSIONS.c if c.name != "model_blob"]
        stmt = select(*columns).order_by(VERSIONS.c.id.desc()).limit(limit)
        return [_version(row) for row in await self.session.execute(stmt)]

    async def activate(self, version_id: int) -> None:
        await self._before_write()
        await self.session.execute(select(func.pg_advisory_xact_lock(ACTIVATION_LOCK)))
        await self.session.execute(update(VERSIONS).where(VERSIONS.c.is_active.is_(True)).values(is_active=False))
        await self.session.execute(update(VERSIONS).where(VERSIONS.c.id == version_id).values(is_active=True))

    async def gate(self) -> float | None:
        value = (await self.session.execute(select(SETTINGS.c.value).where(SETTINGS.c.key == GATE_KEY))).scalar()
        threshold = (value or {}).get("threshold")
        return float(threshold) if threshold is not None else None

    async def set_gate(self, threshold: float, *, actor: str, now: datetime) -> None:
        await self._before_write()
        value = {"threshold": threshold}
        stmt = pg_insert(SETTINGS).values(key=GATE_KEY, value=value, updated_at=now, updated_by=actor)
        stmt = stmt.on_conflict_do_update(
            index_elements=[SETTINGS.c.key], set_={"value": value, "updated_at": now, "updated_by": actor}
        )
        await self.session.execute(stmt)

    async def record_change(self, change: ModelChange) -> None:
        await self._before_write()
        await self.session.execute(
            insert(CHANGES).values(at=change.at, actor=change.actor, kind=change.kind, detail=change.detail)
        )

    async def changes(self, limit: int) -> list[ModelChange]:
        stmt = select(CHANGES).order_by(CHANGES.c.id.desc()).limit(limit)
        return [ModelChange(r.at, r.actor, r.kind, dict(r.detail or {})) for r in await self.session.execute(stmt)]

    async def add(self, version: ModelVersion, *, activate: bool) -> None:
        await self._before_write()
        if activate:
            await self.session.execute(select(func.pg_advisory_xact_lock(ACTIVATION_LOCK)))
            await self.session.execute(update(VERSIONS).where(VERSIONS.c.is_active.is_(True)).values(is_active=False))
        await self.session.execute(
            insert(VERSIONS).values(
                version=version.version,
                algorithm=version.algorithm,
                features=version.features,
                trained_at=version.trained_at,
                n_won=version.n_won,
                n_lost=version.n_lost,
                auc=version.auc,
                brier=version.brier,
                metrics=version.metrics,
                model_blob=version.model_blob,
                is_active=activate,
            )
        )

    async def open_leads_after(self, after_id: int, limit: int) -> list[Lead]:
        stmt = (
            lead_columns()
            .where(LEADS.c.id > after_id, LEADS.c.stage.not_in([Stage.TRANSFERRED, Stage.LOST]), LIVE)
            .order_by(LEADS.c.id)
            .limit(limit)
            .with_for_update(of=LEADS)
        )
        return [lead_from_row(r) for r in (await self.session.execute(stmt)).mappings()]

    async def store_scores(self, scores: Sequence[ScoreColumns]) -> None:
        """One executemany per set of columns (every score writes the same ones)."""
        await self._before_write()
        by_keys: dict[tuple[str, ...], list[dict[str, Any]]] = {}
        for item in scores:
            by_keys.setdefault(tuple(item.changes), []).append(update_params(item.lead_id, item.changes))
        for keys, params in by_keys.items():
            await self.session.execute(update_lead_stmt(keys), params)
