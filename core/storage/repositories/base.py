"""What every repository is given besides the session, and what every lookup checks first."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

BeforeWrite = Callable[[], Awaitable[None]]
"""Awaited by a repository before it changes anything (the unit of work takes a nested level's savepoint)."""

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1


def storable_id(value: int) -> bool:
    """Whether ``value`` fits a BIGINT id column. An id from outside (forged callback data, a typed number,
    a URL) beyond it names no row: a lookup answers "not found" (None, or nothing) instead of sending it,
    which PostgreSQL's driver would refuse with a DataError."""
    return BIGINT_MIN <= value <= BIGINT_MAX
