"""Opaque keyset cursors (the last row of the previous page), base64url-encoded:

- ``GET /leads``: ``id|<id>`` (pages in id order, stable while leads change); a cursor of the former
  ``<updated_at ISO>|<id>`` format is refused with a 422 that says to start again;
- ``<updated_at ISO>|<id>`` (``encode_cursor``/``decode_cursor``): newest-updated pages.

A cursor comes back from the client, so it is untrusted input: anything that does not decode to an aware
timestamp PostgreSQL can compare (year 1..9999 in UTC) and an id in BIGINT's range is a 422."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from fastapi import HTTPException, status

from core.domain.ids import BIGINT_MAX
from core.services.ports import Cursor

_ID_TAG = "id"
_BAD_CURSOR = "Invalid cursor: pass the next_cursor of the previous page unchanged"
_OLD_CURSOR = (
    "This cursor is from the former newest-updated order of GET /leads; pages now follow the lead id. "
    "Start again without cursor (use updated_since for an incremental sync)"
)


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def encode_id_cursor(lead_id: int) -> str:
    return _b64(f"{_ID_TAG}|{lead_id}")


def decode_id_cursor(value: str) -> int:
    """The id to page below, or a 422: one that says to pass ``next_cursor`` back unchanged, or, for a cursor
    of the former ``updated_at`` order, to start again."""
    try:
        if len(value) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        tag, _, ident = raw.partition("|")
        if tag != _ID_TAG:
            datetime.fromisoformat(tag)  # the former format: a timestamp, then the id
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _OLD_CURSOR)
        if not ident.isdecimal() or not 0 < int(ident) <= BIGINT_MAX:
            raise ValueError("out of range")
        return int(ident)
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _BAD_CURSOR) from None


def aware_utc(moment: datetime, field: str) -> datetime:
    """An ISO datetime from a query parameter in UTC (a naive one is taken as UTC), or a 422 naming ``field``
    when it is outside what PostgreSQL can compare (e.g. ``0001-01-01T00:00:00+14:00``)."""
    try:
        return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT, f"{field}: out of range (years 1..9999 in UTC)"
        ) from None


def encode_cursor(cursor: Cursor) -> str:
    raw = f"{cursor.updated_at.isoformat()}|{cursor.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(value: str) -> Cursor:
    """The cursor, or a 422 that says to pass ``next_cursor`` back unchanged."""
    try:
        if len(value) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        stamp, _, ident = raw.partition("|")
        updated_at = datetime.fromisoformat(stamp)
        lead_id = int(ident)
        if updated_at.tzinfo is None or not 0 < lead_id <= BIGINT_MAX:
            raise ValueError("out of range")
        # 0001-01-01T00:00:00+14:00 is a valid datetime that is before year 1 in UTC: asyncpg would overflow
        updated_at = updated_at.astimezone(UTC)
    except (ValueError, OverflowError, UnicodeDecodeError, binascii.Error):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _BAD_CURSOR) from None
    return Cursor(updated_at, lead_id)
