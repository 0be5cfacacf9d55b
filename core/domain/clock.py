"""The one clock of the CRM: timezone-aware UTC. Services take ``now`` from here (tests may pass their own)."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)
