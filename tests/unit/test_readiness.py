"""Readiness on the in-memory unit of work: migrated means at the head, or ahead of this code (a rolling deploy's
newer release migrated the database); a known older revision is behind."""

from __future__ import annotations

import pytest

from core.services.health import readiness
from tests.unit.fakes import FakeUnitOfWork

KNOWN = frozenset({"0011", "0012", "0013"})


@pytest.mark.parametrize(
    ("revision", "migrated"),
    [("0013", True), ("0012", False), ("0099", True), (None, False)],
)
async def test_migrated_is_at_the_head_or_ahead_but_not_behind(revision, migrated) -> None:
    uow = FakeUnitOfWork()
    uow.state.schema_revision = revision
    state = await readiness(uow, head="0013", known=KNOWN, outbox_max_wait_seconds=0)
    assert (state.migrated, state.ready) == (migrated, migrated)
    assert state.outbox is None  # the check is off
