"""Idempotent intake: ``POST /leads/`` with an ``Idempotency-Key`` creates at most one lead per key and API key
within 24 hours; a retry gets the first answer (status and body) back and creates nothing.

How: the key is claimed (``uow.idempotency.claim``, a row under a unique key) in the same transaction as the
lead, so a concurrent request with the same key waits on that row until the first commits, then finds the key
taken. The first request stores its answer right after (the caller renders it: words stay at the edges); a
retry that comes in between waits for it, up to ``WAIT_SECONDS``, else it is told to retry
(``RequestInProgress``, a 409). A request that fails (a 422, a 409 duplicate) leaves no claim: the same key may
be sent again with a corrected body. The key remembers a hash of the request (``body_hash``): the same key
with another body is refused (``IdempotencyKeyReused``, a 422) instead of answered with the first response.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from core.domain.clock import utcnow
from core.domain.errors import IdempotencyKeyReused, InvalidValue, RequestInProgress, Rule
from core.domain.models import Actor, Lead
from core.services import leads as leads_svc
from core.services.context import Services
from core.services.ports import StoredResponse, UnitOfWork

TTL = timedelta(hours=24)
KEY_MAX = 200
WAIT_SECONDS = 10.0
POLL_SECONDS = 0.05


@dataclass(frozen=True)
class Answer:
    response: StoredResponse
    replayed: bool  # True: the stored first answer, nothing created now


def request_hash(body: dict[str, Any]) -> str:
    """sha256 of the request as parsed (key order and whitespace do not matter)."""
    return hashlib.sha256(json.dumps(body, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def check_key(key: str) -> str:
    if not 1 <= len(key) <= KEY_MAX or not key.isascii() or not key.isprintable():
        raise InvalidValue("Idempotency-Key", Rule.BAD_FORMAT, minimum=1, maximum=KEY_MAX)
    return key


async def create_lead_once(
    uow: UnitOfWork,
    svc: Services,
    actor: Actor,
    key: str,
    render: Callable[[Lead], StoredResponse],
    body_hash: str | None = None,
    **fields: Any,
) -> Answer:
    """``leads.create_lead(**fields)`` once per (API key, ``key``); ``render`` makes the answer to store;
    ``body_hash`` identifies the request (a retry must send the same)."""
    key = check_key(key)
    scope = actor.label
    async with uow:
        now = utcnow()
        if await uow.idempotency.claim(scope, key, now=now, expired_before=now - TTL, body_hash=body_hash):
            lead = await leads_svc.create_lead(uow, svc, actor, **fields)  # its commit takes the claim along
            response = render(lead)
            await uow.idempotency.store(scope, key, response)
            await uow.commit()
            return Answer(response, replayed=False)
        first = await uow.idempotency.body_hash(scope, key)
        if first is not None and body_hash is not None and first != body_hash:
            raise IdempotencyKeyReused()
        deadline = time.monotonic() + WAIT_SECONDS
        while (stored := await uow.idempotency.response(scope, key)) is None:
            if time.monotonic() >= deadline:
                raise RequestInProgress()
            await asyncio.sleep(POLL_SECONDS)
    return Answer(stored, replayed=True)
