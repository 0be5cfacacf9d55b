"""What every repository is given besides the session. (What every lookup checks first, that an id fits a
BIGINT, is ``core.domain.ids.storable_id``.)"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

BeforeWrite = Callable[[], Awaitable[None]]
"""Awaited by a repository before it changes anything (the unit of work takes a nested level's savepoint)."""
