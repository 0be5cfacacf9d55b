"""API keys for integrations: stored as sha256 hashes, shown in clear only once, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets

from core.domain.clock import utcnow
from core.domain.enums import Source
from core.domain.errors import ApiKeyNameTaken, ApiKeyNotFound, InvalidValue, Rule
from core.domain.models import ApiKey
from core.domain.validation import parse_enum
from core.services.ports import UnitOfWork

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


async def create_api_key(uow: UnitOfWork, name: str, *, source: str | None = None) -> tuple[ApiKey, str]:
    """Return the key's info and the secret itself (never stored, never shown again). With ``source`` the key
    creates leads of that source only (a request without one gets it)."""
    if not _NAME.match(name):
        raise InvalidValue("name", Rule.BAD_FORMAT, minimum=1, maximum=100)
    scope = parse_enum(Source, source, "source").value if source is not None else None
    secret = "lcrm_" + secrets.token_urlsafe(32)
    async with uow:
        existing = await uow.api_keys.by_name(name)
        if existing is not None:
            raise ApiKeyNameTaken(name, revoked=existing.revoked_at is not None)
        info = await uow.api_keys.add(
            name=name, key_hash=hash_key(secret), prefix=secret[:9], created_at=utcnow(), source=scope
        )
        await uow.commit()
    return info, secret


async def authenticate(uow: UnitOfWork, key: str | None) -> ApiKey | None:
    """The key (name, source scope) if it is valid and not revoked, else None."""
    if not key or len(key) > 200:
        return None
    async with uow:
        return await uow.api_keys.by_hash(hash_key(key))


async def revoke_api_key(uow: UnitOfWork, name: str) -> ApiKey:
    async with uow:
        info = await uow.api_keys.by_name(name)
        if info is None:
            raise ApiKeyNotFound(name)
        if info.revoked_at is None:
            info = await uow.api_keys.revoke(info.id, when=utcnow())
        await uow.commit()
    return info


async def list_api_keys(uow: UnitOfWork) -> list[ApiKey]:
    async with uow:
        return await uow.api_keys.list_keys()
