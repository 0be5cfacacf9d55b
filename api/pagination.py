"""Opaque keyset cursors: base64url of ``<updated_at ISO>|<id>`` (the last row of the previous page).

A cursor comes back from the client, so it is untrusted input: anything that does not decode to an aware
timestamp PostgreSQL can compare (year 1..9999 in UTC) and an id in BIGINT's range is a 422."""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime

from fastapi import HTTPException, status

from core.domain.ids import BIGINT_MAX
from core.services.ports import Cursor


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
        raise HTTPException(
            status.HTTP_422_UNPROCESSABLE_CONTENT,
            "Invalid cursor: pass the next_cursor of the previous page unchanged",
        ) from None
    return Cursor(updated_at, lead_id)
