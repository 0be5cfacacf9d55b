"""Opaque keyset cursors (the last row of the previous page), base64url-encoded:

- ``GET /leads``: ``id|<id>`` (pages in id order, stable while leads change); a cursor of the former
  ``<updated_at ISO>|<id>`` format is refused with a 422 that says to start again;
- ``GET /leads?q=``: ``q|<tier>|<score>|<id>`` (a position in the ranked search, ``SearchPosition``); the
  other kind of cursor with or without ``q`` is a 422 that says so;
- ``<updated_at ISO>|<id>`` (``encode_cursor``/``decode_cursor``): newest-updated pages.

A cursor comes back from the client, so it is untrusted input: anything that does not decode to an aware
timestamp PostgreSQL can compare (year 1..9999 in UTC) and an id in BIGINT's range is a 422."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from fastapi import HTTPException, status

from core.domain.ids import BIGINT_MAX
from core.domain.search import SearchPosition, Tier
from core.services.ports import Cursor

_ID_TAG = "id"
_SEARCH_TAG = "q"
_BAD_CURSOR = "Invalid cursor: pass the next_cursor of the previous page unchanged"
_OLD_CURSOR = (
    "This cursor is from the former newest-updated order of GET /leads; pages now follow the lead id. "
    "Start again without cursor (use updated_since for an incremental sync)"
)


_SEARCH_CURSOR = "This cursor is from a search (q=): pass it with the same q, or start again without cursor"
_NOT_SEARCH_CURSOR = "This cursor is not from a search: start the search (q=) again without cursor"


def _b64(raw: str) -> str:
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def encode_id_cursor(lead_id: int) -> str:
    return _b64(f"{_ID_TAG}|{lead_id}")


def _unb64(value: str) -> str:
    if len(value) > 200:
        raise ValueError("too long")
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()


def encode_search_cursor(position: SearchPosition) -> str:
    return _b64(f"{_SEARCH_TAG}|{position.tier}|{position.score}|{position.id}")


def decode_search_cursor(value: str) -> SearchPosition:
    """The position to page after, or a 422 (also for a cursor of the unsearched list)."""
    try:
        raw = _unb64(value)
        tag, *fields = raw.split("|")
        if tag == _ID_TAG:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _NOT_SEARCH_CURSOR)
        if tag != _SEARCH_TAG or len(fields) != 3 or not all(f.isdecimal() for f in fields):
            raise ValueError("not a search cursor")
        tier, score, ident = (int(f) for f in fields)
        if tier not in (Tier.FOUND, Tier.SIMILAR) or score > 1000 or not 0 < ident <= BIGINT_MAX:
            raise ValueError("out of range")
        return SearchPosition(tier, score, ident)
    except (ValueError, UnicodeDecodeError, binascii.Error):
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _BAD_CURSOR) from None


def decode_id_cursor(value: str) -> int:
    """The id to page below, or a 422: one that says to pass ``next_cursor`` back unchanged, or, for a cursor
    of the former ``updated_at`` order, to start again."""
    try:
        if len(value) > 200:
            raise ValueError("too long")
        raw = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).decode()
        tag, _, ident = raw.partition("|")
        if tag == _SEARCH_TAG:
            raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, _SEARCH_CURSOR)
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
