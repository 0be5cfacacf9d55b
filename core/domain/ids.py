"""Ids are PostgreSQL BIGINTs: the range every interface checks an id from outside against."""

from __future__ import annotations

BIGINT_MIN = -(2**63)
BIGINT_MAX = 2**63 - 1


def storable_id(value: int) -> bool:
    """Whether ``value`` fits a BIGINT id column. An id from outside (forged callback data, a typed number,
    a URL, a forged update) beyond it names no row: a lookup answers "not found" (None, or nothing) instead of
    sending it, which PostgreSQL's driver would refuse with a DataError."""
    return BIGINT_MIN <= value <= BIGINT_MAX
