"""FastAPI dependencies: a unit of work per request, the injected services, the API-key check.

Everything comes from ``app.state`` (set up by ``create_app``); nothing here is module-global.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, Security, status
from fastapi.security import APIKeyHeader

from api.security import FailedKeyAttempts
from core.domain.errors import LeadNotFound, SaleNotFound
from core.domain.ids import storable_id
from core.domain.models import Actor
from core.services import api_keys
from core.services.context import Services
from core.services.ports import UnitOfWork
from core.storage.uow import SqlUnitOfWork

API_KEY_HEADER = "X-API-Key"
DEFAULT_KEY_CACHE_SECONDS = 5.0

_api_key_header = APIKeyHeader(
    name=API_KEY_HEADER,
    auto_error=False,
    description="Create one with `leadcrm api-key create NAME`.",
)


class ApiKeyCache:
    """Remembers *valid* keys (by their sha256) for ``ttl`` seconds, so a busy client does not cost
    one extra query per request; an entry is the key's ``Actor`` (its name and its source scope). A revoked
    key therefore keeps working for at most ``ttl`` seconds in a running API process; ``ttl=0`` checks the
    database on every request. Wrong keys are never cached (every attempt is checked)."""

    def __init__(
        self,
        ttl: float = DEFAULT_KEY_CACHE_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        max_entries: int = 1024,
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self._max_entries = max_entries
        self._entries: dict[str, tuple[Actor, float]] = {}

    def get(self, key_hash: str) -> Actor | None:
        entry = self._entries.get(key_hash)
        if entry is None:
            return None
        actor, expires = entry
        if self._clock() >= expires:
            del self._entries[key_hash]
            return None
        return actor

    def put(self, key_hash: str, actor: Actor) -> None:
        if self.ttl <= 0:
            return
        if len(self._entries) >= self._max_entries:
            self._entries.clear()
        self._entries[key_hash] = (actor, self._clock() + self.ttl)

    def clear(self) -> None:
        self._entries.clear()


# Dependencies are ``async def`` on purpose: FastAPI runs plain ``def`` dependencies in a thread pool,
# which cost ~0.1 ms each per request here.


async def get_uow(request: Request) -> UnitOfWork:
    """A fresh unit of work for this request (FastAPI reuses it within the request)."""
    factory = request.app.state.session_factory
    if factory is None:  # only possible if the lifespan did not run
        raise HTTPException(status.HTTP_503_SERVICE_UNAVAILABLE, "Database is not configured")
    return SqlUnitOfWork(factory)


async def get_services(request: Request) -> Services:
    return request.app.state.services


async def require_api_key(
    request: Request,
    key: Annotated[str | None, Security(_api_key_header)],
    uow: Annotated[UnitOfWork, Depends(get_uow)],
) -> Actor:
    """The caller as an ``Actor`` named after its API key; 401 when the key is missing, wrong or revoked,
    429 when this address sent too many wrong keys lately (``api.security``)."""
    if not key:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            f"Missing API key: send it in the {API_KEY_HEADER} header",
            headers={"WWW-Authenticate": "ApiKey"},
        )
    cache: ApiKeyCache = request.app.state.api_key_cache
    digest = api_keys.hash_key(key)
    actor = cache.get(digest)
    if actor is None:
        failed: FailedKeyAttempts = request.app.state.failed_key_attempts
        address = request.client.host if request.client else "unknown"
        wait = failed.retry_after(address)
        if wait is not None:
            raise HTTPException(
                status.HTTP_429_TOO_MANY_REQUESTS,
                f"Too many wrong API keys from this address: try again in {wait} s",
                headers={"Retry-After": str(wait)},
            )
        info = await api_keys.authenticate(uow, key)
        if info is None:
            failed.record_failure(address)
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "Invalid or revoked API key", headers={"WWW-Authenticate": "ApiKey"}
            )
        actor = Actor.api(info.name, info.source)
        cache.put(digest, actor)
    return actor


# Ids are BIGINT columns: a number outside their range names no row, so it is "not found" (404), as an id
# inside the range that names no row is; it never reaches the database (which would refuse it).


async def lead_id_path(lead_id: Annotated[int, Path(description="Lead id")]) -> int:
    if not storable_id(lead_id):
        raise LeadNotFound(lead_id)
    return lead_id


async def sale_id_path(sale_id: Annotated[int, Path(description="Sale id")]) -> int:
    if not storable_id(sale_id):
        raise SaleNotFound(sale_id)
    return sale_id
