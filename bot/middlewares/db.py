"""One unit of work per update: skip redelivered updates, authenticate the user, refuse strangers.

Exactly-once effects for a redelivered update
--------------------------------------------
The middleware opens ``async with uow`` around the whole handler and first records the update id
(``claim_update``: INSERT ... ON CONFLICT DO NOTHING). Services nest their own ``async with uow`` (the
same session; an inner level is a savepoint, so a service that fails leaves nothing for a later commit) and
commit once, so the update id is committed **in the same transaction** as the change the handler made. A
redelivered update then finds its id and is skipped; a crash before the commit leaves neither the change
nor the id, so the redelivery acts once. A concurrent redelivery blocks on the
id's row lock until the first delivery ends.

Read-only handlers (open a card, a list, /help) never commit, so their id is rolled back with the
session: a redelivered read is simply answered again. That costs nothing and needs no extra write per
read. Handlers that fail roll back too, so the id is not kept for a refused action either.

Who may pass
------------
Active users only (``core.services.users.authenticate``: ADMIN_IDS are bootstrapped as admins).
Unknown and deactivated users get a polite refusal with their Telegram id (an alert for a button),
except ``/start <invite code>``, which the start router turns into a registration. Updates in groups
from strangers are ignored silently (the bot sits in the team leads' group).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Collection
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import render
from core.domain.models import Actor
from core.services import users as users_svc
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

OPEN_PAYLOAD_PREFIXES = ("lead_", "sale_")


def invite_payload(message: Message | None) -> str | None:
    """The code of ``/start CODE`` when CODE is not a card deep link, else None."""
    if message is None or not message.text:
        return None
    parts = message.text.split(maxsplit=1)
    if len(parts) != 2 or parts[0].split("@", 1)[0] != "/start":
        return None
    code = parts[1].strip()
    if not code or code.startswith(OPEN_PAYLOAD_PREFIXES):
        return None
    return code


class UpdateContextMiddleware(BaseMiddleware):
    """Outer middleware on ``dp.update``: puts ``uow``, ``user`` and ``actor`` into handler data."""

    def __init__(self, session_factory: async_sessionmaker[AsyncSession], admin_ids: Collection[int]) -> None:
        self.session_factory = session_factory
        self.admin_ids = frozenset(admin_ids)

    async def __call__(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        assert isinstance(event, Update)
        tg_user = data.get("event_from_user")
        uow = SqlUnitOfWork(self.session_factory)
        async with uow:
            user_id = tg_user.id if tg_user is not None and not tg_user.is_bot else None
            if not await users_svc.claim_update(uow, event.update_id, user_id=user_id):
                log.info("update %s was already processed; skipped", event.update_id)
                return None
            user = None
            if tg_user is not None and user_id is not None:
                user = await users_svc.authenticate(
                    uow,
                    user_id=tg_user.id,
                    full_name=tg_user.full_name,
                    username=tg_user.username,
                    language=tg_user.language_code,
                    admin_ids=self.admin_ids,
                )
            data["uow"] = uow
            data["user"] = user
            data["actor"] = Actor.from_user(user) if user is not None else None
            if user is None and not self._may_pass_unknown(event):
                await self._refuse(event, tg_user.id if tg_user else None)
                return None
            return await handler(event, data)

    @staticmethod
    def _may_pass_unknown(update: Update) -> bool:
        message = update.message
        return message is not None and invite_payload(message) is not None and message.chat.type == "private"

    @staticmethod
    async def _refuse(update: Update, telegram_id: int | None) -> None:
        if telegram_id is None:
            return
        if isinstance(update.callback_query, CallbackQuery):
            await update.callback_query.answer(render.refused_alert(telegram_id), show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(render.refused(telegram_id))
