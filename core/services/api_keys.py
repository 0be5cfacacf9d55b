"""API keys for integrations: stored as sha256 hashes, shown in clear only once, revocable."""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from core.domain.errors import ApiKeyNameTaken, ApiKeyNotFound, InvalidValue, Rule
from core.storage.models import ApiKeyRow
from core.storage.uow import UnitOfWork

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.\-]{0,99}$")


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class ApiKeyInfo:
    id: int
    name: str
    prefix: str
    created_at: datetime
    revoked_at: datetime | None


async def create_api_key(uow: UnitOfWork, name: str) -> tuple[ApiKeyInfo, str]:
    """Return the key's info and the secret itself (never stored, never shown again)."""
    if not _NAME.match(name):
        raise InvalidValue("name", Rule.BAD_FORMAT, minimum=1, maximum=100)
    secret = "lcrm_" + secrets.token_urlsafe(32)
    async with uow:
        existing = await uow.api_keys.by_name(name)
        if existing is not None:
            raise ApiKeyNameTaken(name, revoked=existing.revoked_at is not None)
        row = uow.api_keys.add(
            ApiKeyRow(name=name, key_hash=hash_key(secret), prefix=secret[:9], created_at=datetime.now(UTC))
        )
        await uow.session.flush()
        info = _info(row)
        await uow.commit()
    return info, secret


async def authenticate(uow: UnitOfWork, key: str | None) -> str | None:
    """The key's name if it is valid and not revoked, else None."""
    if not key or len(key) > 200:
        return None
    async with uow:
        row = await uow.api_keys.by_hash(hash_key(key))
        return row.name if row is not None else None


async def revoke_api_key(uow: UnitOfWork, name: str) -> ApiKeyInfo:
    async with uow:
        row = await uow.api_keys.by_name(name)
        if row is None:
            raise ApiKeyNotFound(name)
        if row.revoked_at is None:
            row.revoked_at = datetime.now(UTC)
        await uow.session.flush()
        info = _info(row)
        await uow.commit()
    return info


async def list_api_keys(uow: UnitOfWork) -> list[ApiKeyInfo]:
    async with uow:
        return [_info(r) for r in await uow.api_keys.list()]


def _info(row: ApiKeyRow) -> ApiKeyInfo:
    return ApiKeyInfo(row.id, row.name, row.prefix, row.created_at, row.revoked_at)
