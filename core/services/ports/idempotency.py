"""Port of ``uow.idempotency``: the first answer to a request retried with the same Idempotency-Key."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    body: dict[str, Any]


class IdempotencyRepository(Protocol):
    async def claim(self, scope: str, key: str, *, now: datetime, expired_before: datetime) -> bool:
        """Take ``key`` for this transaction: True when it is new (or its last use was before ``expired_before``);
        False when a request with it has already been made. Waits while another open transaction holds it."""

    async def store(self, scope: str, key: str, response: StoredResponse) -> None:
        """The first answer, for the retries."""

    async def response(self, scope: str, key: str) -> StoredResponse | None:
        """The stored answer; None while the first request has not stored it."""
