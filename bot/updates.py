"""Reading a getUpdates batch one update at a time, so one the bot cannot parse does not cost the others.

aiogram parses a whole getUpdates answer as one ``list[Update]``: a single malformed or unexpected object (a
Bot API change, a bug on Telegram's side, a forged answer) fails the lot, polling logs "Failed to fetch updates",
backs off and asks again with the same offset, and gets the same batch: the bot stalls for everyone. Here each
update is parsed alone; one that does not parse is logged with its update_id and left out (the receive loop
has already stored and acknowledged the batch, so Telegram does not send it again).

``bot.inbox`` stores each batch raw and parses every update with ``parse_updates`` when it applies it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from aiogram.types import Update
from pydantic import ValidationError

if TYPE_CHECKING:
    from aiogram import Bot

log = logging.getLogger(__name__)


def update_id_of(raw: Any) -> int | None:
    """The update_id of a raw update, or None when it has no usable one."""
    value = raw.get("update_id") if isinstance(raw, dict) else None
    return value if type(value) is int else None


def parse_updates(raw: list[Any], *, bot: Bot | None = None) -> list[Update]:
    """The updates of a getUpdates result that parse, in their order; the others are logged (their update_id and
    which fields failed, not their content, which is a user's text) and skipped."""
    context = {"bot": bot} if bot is not None else None
    updates: list[Update] = []
    for item in raw:
        try:
            updates.append(Update.model_validate(item, context=context))
        except ValidationError as error:
            fields = sorted({".".join(str(part) for part in e["loc"]) or "(update)" for e in error.errors()})
            log.warning("update %s skipped: it does not parse as a Telegram update (%s)", update_id_of(item), fields)
    return updates
