"""One unit of work per update: apply a stored update once, authenticate the user, refuse strangers.

Exactly-once effects
--------------------
The middleware opens ``async with uow`` around the whole handler and first marks the update done in the
inbox (``core.services.inbox.claim``: an upsert that returns nothing when it was done already). Services
nest their own ``async with uow`` (the same session; an inner level is a savepoint, so a service that fails
leaves nothing for a later commit) and commit once, so the mark is committed **in the
same transaction** as the change the handler made; when the handler returns, the middleware commits what
is left (a read, a refusal: the mark alone). An update found done is skipped; a crash before the commit
leaves neither the change nor the mark, so the update is applied on restart (bot/inbox.py feeds the
pending ones again). A concurrent delivery of the same update blocks on the row's lock until the first ends.

A handler that fails rolls back, mark included; the inbox worker then marks the update done on its own
(``Delivery.committed`` tells it whether it has to), so a refused action is not retried.

The database going away
-----------------------
When the database cannot be reached (``database_unavailable``) while an update from the inbox is handled
(``delivery`` in the handler data), the error does not go to the error router (its "something went wrong"
is for bugs): it is put on the ``Delivery`` and the update stays stored, for the worker to retry. Updates
fed without a ``Delivery`` get the error router as before.

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
from dataclasses import dataclass
from typing import Any

from aiogram import BaseMiddleware
from aiogram.types import CallbackQuery, Message, TelegramObject, Update
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot import render
from core import logcontext
from core.domain.models import Actor
from core.services import inbox as inbox_svc
from core.services import users as users_svc
from core.storage.uow import SqlUnitOfWork

log = logging.getLogger(__name__)

OPEN_PAYLOAD_PREFIXES = ("lead_", "sale_")


def database_unavailable(error: BaseException) -> bool:
    """Whether ``error`` means the database could not be reached or went away (worth retrying later), as
    opposed to a bug or a refused statement. asyncpg raises ``OSError`` when it cannot connect (refused,
    reset); SQLAlchemy wraps a connection lost mid-statement (``connection_invalidated``) and server-side
    shutdowns (``OperationalError``, ``InterfaceError``); a pool with no free connection times out."""
    if isinstance(error, OSError | PoolTimeout | OperationalError | InterfaceError):
        return True
    return isinstance(error, DBAPIError) and error.connection_invalidated


@dataclass
class Delivery:
    """What the inbox worker learns about one update it fed (``delivery`` in the handler data)."""

    committed: bool = False  # the update's unit of work committed: it is done
    database_error: BaseException | None = None  # the database failed: the update stays stored


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


def _lead_of(update: Update) -> int | None:
    """The lead a card button is about (``ld:<action>:<id>:…``, bot.callbacks.LeadCb), for the log context."""
    query = update.callback_query
    if query is None or not query.data or not query.data.startswith("ld:"):
        return None
    parts = query.data.split(":", 3)
    return int(parts[2]) if len(parts) > 2 and parts[2].isdecimal() and len(parts[2]) <= 18 else None


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
        delivery: Delivery | None = data.get("delivery")
        tg_user = data.get("event_from_user")
        context = logcontext.bind(
            update_id=event.update_id, user_id=tg_user.id if tg_user is not None else None, lead_id=_lead_of(event)
        )
        try:
            return await self._apply(handler, event, data, delivery)
        except Exception as error:
            if delivery is None or not database_unavailable(error):
                raise
            delivery.database_error = error
            return None
        finally:
            logcontext.reset(context)

    async def _apply(
        self,
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        update: Update,
        data: dict[str, Any],
        delivery: Delivery | None,
    ) -> Any:
        tg_user = data.get("event_from_user")
        uow = SqlUnitOfWork(self.session_factory)
        async with uow:
            user_id = tg_user.id if tg_user is not None and not tg_user.is_bot else None
            if not await inbox_svc.claim(uow, update.update_id, user_id=user_id):
                log.info("update %s was already processed; skipped", update.update_id)
                if delivery is not None:
                    delivery.committed = True
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
            if user is None and not self._may_pass_unknown(update):
                await self._refuse(uow, update, tg_user.id if tg_user else None)
                result = None
            else:
                result = await handler(update, data)
            await uow.commit()  # the done mark, when the handler's service did not commit it with its change
            if delivery is not None:
                delivery.committed = True
            return result

    @staticmethod
    def _may_pass_unknown(update: Update) -> bool:
        message = update.message
        return message is not None and invite_payload(message) is not None and message.chat.type == "private"

    @staticmethod
    async def _refuse(uow: SqlUnitOfWork, update: Update, telegram_id: int | None) -> None:
        """A stranger is asked to get an invite; a deactivated user is told their access was switched off."""
        if telegram_id is None:
            return
        disabled = await users_svc.was_deactivated(uow, telegram_id)
        if isinstance(update.callback_query, CallbackQuery):
            alert = render.disabled_alert() if disabled else render.refused_alert(telegram_id)
            await update.callback_query.answer(alert, show_alert=True)
        elif update.message is not None and update.message.chat.type == "private":
            await update.message.answer(render.disabled() if disabled else render.refused(telegram_id))
