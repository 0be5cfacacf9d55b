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
    async def claim(
        self, scope: str, key: str, *, now: datetime, expired_before: datetime, body_hash: str | None = None
    ) -> bool:
        """Take ``key`` for this transaction, remembering ``body_hash``: True when it is new (or its last use was
        before ``expired_before``); False when a request with it has already been made. Waits while another open
        transaction holds it."""

    async def body_hash(self, scope: str, key: str) -> str | None:
        """The hash of the body the key was first sent with (None for keys stored before it was kept)."""

    async def store(self, scope: str, key: str, response: StoredResponse) -> None:
        """The first answer, for the retries."""

    async def response(self, scope: str, key: str) -> StoredResponse | None:
        """The stored answer; None while the first request has not stored it."""
