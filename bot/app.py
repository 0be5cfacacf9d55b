"""Assembling and running the Telegram bot (long polling).

Nothing here runs at import time: the bot, the engine and the dispatcher are built by the functions
below and passed down (Dispatcher kwargs), never kept in module globals.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
import signal
import sys
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from aiogram import Bot, Dispatcher
from aiogram.client.default import DefaultBotProperties
from aiogram.client.telegram import TelegramAPIServer
from aiogram.exceptions import TelegramUnauthorizedError
from aiogram.fsm.storage.base import BaseEventIsolation, BaseStorage
from aiogram.fsm.storage.memory import MemoryStorage, SimpleEventIsolation
from aiogram.types import BotCommand, BotCommandScopeDefault
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bot.i18n import DEFAULT_LOCALE, LOCALES, LocaleMiddleware, make_i18n
from bot.metrics import UpdateMetrics
from bot.middlewares.db import UpdateContextMiddleware
from bot.session import BotSession
from core.config import Settings
from core.process import freeze_startup_objects
from core.services.context import Services
from core.wiring import make_services

if TYPE_CHECKING:
    from bot.inbox import Inbox
    from bot.ratelimit import Limiter

log = logging.getLogger(__name__)


class BotStartError(RuntimeError):
    """The bot cannot start (no token, token rejected). The message is safe to print."""


# The Bot API methods this bot calls (polling, replies, edits, the outbox, start-up).
USED_METHODS = (
    "GetUpdates",
    "GetMe",
    "SetMyCommands",
    "SendMessage",
    "EditMessageText",
    "EditMessageReplyMarkup",
    "AnswerCallbackQuery",
    "DeleteMessage",
    "SendPhoto",
    "EditMessageMedia",
    "SendDocument",
    "SetWebhook",
)


@functools.lru_cache(maxsize=1)
def pin_response_types() -> tuple[type, ...]:
    """Keep aiogram's ``Response[T]`` models alive for the process.

    aiogram parametrizes ``Response[T]`` on every API call (``BaseSession.check_response``) and pydantic
    keeps parametrized generics only in a WeakValueDictionary, so after a garbage collection the next call
    rebuilds the model class (several ms of schema building). In bench/bot.py that was about a quarter of
    the bot's CPU; holding the classes here (the lru_cache keeps the tuple) makes it a dictionary lookup.
    """
    from aiogram import methods
    from aiogram.methods.base import Response

    from bot.inbox import GetRawUpdates

    returning = [getattr(methods, name).__returning__ for name in USED_METHODS] + [GetRawUpdates.__returning__]
    return tuple(Response[t] for t in returning)  # type: ignore[valid-type]


async def _limiter(settings: Settings, bot_id: int) -> Limiter:
    from bot.ratelimit import LocalLimiter, RateLimiter
    from bot.shared_ratelimit import RedisLimiter

    if not settings.redis_url:
        return LocalLimiter(RateLimiter())
    from redis.asyncio import Redis

    client = Redis.from_url(settings.redis_url, socket_connect_timeout=2.0, socket_timeout=2.0)
    return RedisLimiter(client, f"{settings.redis_key_prefix}:rate:{bot_id}")


def create_bot(settings: Settings) -> Bot:
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        raise BotStartError("BOT_TOKEN is not set: get a token from @BotFather and put it in BOT_TOKEN")
    pin_response_types()
    # JSON bodies, edited messages not re-parsed (bot/session.py); TELEGRAM_API_URL: a self-hosted Bot API
    session = (
        BotSession(api=TelegramAPIServer.from_base(settings.telegram_api_url))
        if settings.telegram_api_url
        else BotSession()
    )
    return Bot(
        token=settings.bot_token.get_secret_value().strip(),
        session=session,
        default=DefaultBotProperties(parse_mode="HTML"),
    )


def _fsm(settings: Settings) -> tuple[BaseStorage, BaseEventIsolation]:
    """Redis keeps dialogs across restarts and processes; memory is enough for one process."""
    if settings.redis_url:
        from aiogram.fsm.storage.base import DefaultKeyBuilder
        from aiogram.fsm.storage.redis import RedisStorage

        from bot.dialog_store import degrading

        keys = DefaultKeyBuilder(prefix=f"{settings.redis_key_prefix}:fsm")
        storage = RedisStorage.from_url(settings.redis_url, key_builder=keys)
        return degrading(storage, storage.create_isolation())  # Redis away: dialogs pause, the rest answers
    return MemoryStorage(), SimpleEventIsolation()


def build_dispatcher(
    *,
    settings: Settings,
    services: Services,
    session_factory: async_sessionmaker[AsyncSession],
    storage: BaseStorage | None = None,
) -> Dispatcher:
    from bot.middlewares.viewer import ViewerMiddleware
    from bot.routers import (
        activity,
        admin,
        contacts,
        day,
        deal_edit,
        deal_input,
        deals,
        errors,
        export,
        fallback,
        lead_card,
        lead_edit,
        lead_input,
        lists,
        merge,
        model_admin,
        new_lead,
        next_step,
        owners,
        reminders,
        reports,
        sale,
        start,
        step_input,
    )
    from bot.webapp import WebAppMiddleware

    if storage is None:
        storage, isolation = _fsm(settings)
    else:
        isolation = SimpleEventIsolation()
    # events_isolation: one update at a time per user/chat, so a double press or a double-sent answer
    # cannot race through the (non-transactional) FSM; different users still run concurrently.
    dp = Dispatcher(
        storage=storage,
        events_isolation=isolation,
        settings=settings,
        services=services,
        session_factory=session_factory,
    )
    i18n = make_i18n()
    locale = LocaleMiddleware(i18n)
    # Outer update middlewares run in this order (after aiogram's own error/user/FSM ones): the metrics; the
    # locale, so even a refusal of a stranger speaks their language; then the unit of work.
    dp.update.outer_middleware(UpdateMetrics())  # first: every update is counted and timed, whatever happens
    dp.update.outer_middleware(locale)
    dp.update.outer_middleware(UpdateContextMiddleware(session_factory, settings.admin_ids))
    viewer = ViewerMiddleware()  # the user's time zone for every time shown (after the user is known)
    dp.update.outer_middleware(viewer)
    dp.errors.outer_middleware(locale)  # error handlers run outside the update's locale context
    dp.errors.outer_middleware(viewer)
    dp.update.outer_middleware(WebAppMiddleware(settings.webapp_url))  # cards' "Open board" (private chats)
    # Router order, written once.
    # Messages: commands that must work in any dialog state (/start, /cancel, /help, admin, list commands)
    # come before the routers whose state-filtered text handlers would otherwise take a command as a lead's
    # name or a note (the /new dialog, the card's typed answers in lead_input); the fallback last, so every unhandled
    # message and callback is still answered.
    # Callbacks: each router but the fallback filters its callback queries on its own callback data
    # prefixes (bot.callbacks.UnpackCallback; the card and the deal routers split "ld" by action), so their
    # order among them decides nothing. The card's buttons (most updates; a router with no message
    # handlers) come first: a press then skips the other routers, ~30 µs each in aiogram's propagation.
    # Errors: only the errors router has error handlers (tests/unit/test_bot_routing.py), so its place
    # decides nothing either; it comes last, where no other update has to pass it.
    dp.include_routers(
        lead_card.make_router(),
        lead_edit.make_router(),
        contacts.make_router(),
        merge.make_router(),
        activity.make_router(),
        next_step.make_router(),
        start.make_router(),
        admin.make_router(),
        model_admin.make_router(),
        lists.make_router(),
        deals.make_router(),
        owners.make_router(),
        day.make_router(),
        reports.make_router(),
        export.make_router(),
        new_lead.make_router(),
        lead_input.make_router(),
        step_input.make_router(),
        deal_input.make_router(),
        sale.make_router(),
        deal_edit.make_router(),
        reminders.make_router(),
        fallback.make_router(),
        errors.make_router(),
    )
    return dp


def _commands(locale: str) -> list[BotCommand]:
    i18n = make_i18n()

    def t(text: str) -> str:
        return i18n.gettext(text, locale=locale)

    return [
        BotCommand(command="start", description=t("Main menu")),
        BotCommand(command="new", description=t("Add a lead")),
        BotCommand(command="leads", description=t("My leads")),
        BotCommand(command="find", description=t("Find a lead")),
        BotCommand(command="lead", description=t("Open a lead by number")),
        BotCommand(command="today", description=t("My day: due and overdue steps")),
        BotCommand(command="deals", description=t("Deals by stage (team leads)")),
        BotCommand(command="report", description=t("Reports with charts")),
        BotCommand(command="export", description=t("Export leads to XLSX or CSV (team leads)")),
        BotCommand(command="settings", description=t("Time zone and language")),
        BotCommand(command="cancel", description=t("Stop the current dialog")),
        BotCommand(command="help", description=t("Help")),
    ]


async def _set_commands(bot: Bot) -> None:
    await bot.set_my_commands(_commands(DEFAULT_LOCALE), scope=BotCommandScopeDefault())
    for locale in LOCALES:
        await bot.set_my_commands(_commands(locale), scope=BotCommandScopeDefault(), language_code=locale)


async def _forget_old_updates(session_factory: async_sessionmaker[AsyncSession], stop: asyncio.Event) -> None:
    """Prune the inbox's old done updates at start-up and then hourly."""
    from core.services.inbox import forget_old
    from core.storage.uow import SqlUnitOfWork

    while not stop.is_set():
        try:
            removed = await forget_old(SqlUnitOfWork(session_factory))
            if removed:
                log.info("forgot %d old updates", removed)
        except SQLAlchemyError as error:  # the database may be briefly away; try again next hour
            log.warning("could not prune old updates: %s", error)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=3600)


WEBHOOK_SECRET_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,256}")  # what Telegram accepts as a secret_token


def webhook_path(settings: Settings) -> str:
    """The path the bot serves in webhook mode: WEBHOOK_URL's (``/`` when it has none)."""
    return urlsplit(settings.webhook_url or "").path or "/"


def check_webhook_settings(settings: Settings) -> str:
    """The webhook secret, once WEBHOOK_URL and WEBHOOK_SECRET are usable; else ``BotStartError`` saying what to set."""
    if not settings.webhook_url or urlsplit(settings.webhook_url).scheme not in ("http", "https"):
        raise BotStartError("BOT_MODE=webhook needs WEBHOOK_URL: the public https:// URL Telegram posts updates to")
    secret = settings.webhook_secret.get_secret_value() if settings.webhook_secret else ""
    if not WEBHOOK_SECRET_PATTERN.fullmatch(secret):
        raise BotStartError("BOT_MODE=webhook needs WEBHOOK_SECRET: 1-256 characters of A-Z, a-z, 0-9, _ and -")
    return secret


async def _receive_by_webhook(
    settings: Settings,
    bot: Bot,
    inbox: Inbox,
    session_factory: async_sessionmaker[AsyncSession],
    allowed_updates: list[str],
    stop: asyncio.Event,
) -> None:
    """Webhook mode: serve Telegram's posts (stored in the inbox, bot/telegram_webhook.py), apply the inbox with
    leases (bot/inbox_workers.py) until ``stop``, then drain. The webhook is set at every start, pending updates
    kept; it is never deleted (the other replicas go on receiving)."""
    from bot.inbox_workers import InboxWorkers
    from bot.telegram_webhook import WebhookReceiver, serve

    secret = check_webhook_settings(settings)
    workers = InboxWorkers(
        inbox.apply_until_done(stop),
        session_factory,
        concurrency=inbox.concurrency,
        lease_seconds=settings.inbox_lease_seconds,
        poll_interval=settings.inbox_poll_seconds,
    )
    receiver = WebhookReceiver(session_factory, secret, on_stored=workers.wake)
    async with serve(settings.webhook_host, settings.webhook_port, webhook_path(settings), receiver):
        await bot.set_webhook(
            url=settings.webhook_url or "",
            secret_token=secret,
            allowed_updates=allowed_updates,
            drop_pending_updates=False,
        )
        log.info("webhook set; applying the inbox as worker %s", workers.name)
        await workers.run(stop)


def _stop_on_signals(stop: asyncio.Event) -> None:
    """SIGTERM/SIGINT set ``stop`` (``leadcrm bot``; run_bot's callers that pass ``stop`` handle signals)."""
    loop = asyncio.get_running_loop()

    def received(sig: signal.Signals) -> None:
        log.info("received %s; stopping", sig.name)
        stop.set()

    for sig in (signal.SIGTERM, signal.SIGINT):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # not in the main thread / on Windows
            loop.add_signal_handler(sig, received, sig)


async def run_bot(
    settings: Settings,
    *,
    bot: Bot | None = None,
    session_factory: async_sessionmaker[AsyncSession] | None = None,
    services: Services | None = None,
    stop: asyncio.Event | None = None,
) -> None:
    """Receive updates until ``stop`` is set (or SIGTERM/SIGINT when ``stop`` is None), delivering the
    outbox alongside. Updates are received through the inbox (bot/inbox.py): stored before Telegram is told,
    applied once each, in order per chat; by long polling, or with ``BOT_MODE=webhook`` from Telegram's posts
    (any number of replicas, ``_receive_by_webhook``). Closes what it created: the bot session and the engine."""
    from bot import metrics as bot_metrics
    from bot import render
    from bot.inbox import Inbox
    from bot.outbox import OutboxSender
    from bot.ratelimit import CountReplies
    from bot.retrainer import Retrainer
    from bot.scheduler import Scheduler
    from bot.webapp import set_menu_button
    from bot.webhooks import WebhookSender
    from bot.weekly import weekly_photo
    from core.metrics import exposition
    from core.services.training import settings_thresholds
    from core.services.webhooks import DeliveryPolicy
    from core.storage.db import pool_in_use

    if settings.bot_mode == "webhook":
        check_webhook_settings(settings)  # before anything starts: a missing secret is a start-up error
    own_bot = bot is None
    bot = bot or create_bot(settings)
    pin_response_types()
    engine: AsyncEngine | None = None
    sender_stop = asyncio.Event()
    tasks: list[asyncio.Task[Any]] = []
    limiter: Limiter | None = None
    try:
        try:
            me = await bot.me()
        except TelegramUnauthorizedError:
            raise BotStartError("Telegram rejected BOT_TOKEN (getMe: Unauthorized); check the token") from None
        log.info("bot @%s (id %s) starting", me.username, me.id)
        if session_factory is None:
            from core.storage.db import (
                make_engine,
                make_session_factory,
                resolve_database_url,
            )

            engine = make_engine(resolve_database_url(settings), pool_size=settings.db_pool_size)
            session_factory = make_session_factory(engine)
        from core.services.inbox import tables_ready
        from core.storage.uow import SqlUnitOfWork

        if not await tables_ready(SqlUnitOfWork(session_factory)):
            raise BotStartError("The database has no CRM tables yet: run `leadcrm migrate` (or `leadcrm run`) first")
        services = services or make_services(settings)  # the learned scorer when a model is active
        dp = build_dispatcher(settings=settings, services=services, session_factory=session_factory)
        from bot.dates import warm_up

        await asyncio.to_thread(warm_up)  # dateparser's first parse loads its data (~140 ms): not on a user
        await _set_commands(bot)
        await set_menu_button(bot, settings.webapp_url)  # the board (WEBAPP_URL), if configured
        # One set of flood windows for all the bot sends: the outbox waits its turn, direct replies are counted;
        # with REDIS_URL the windows are shared by every replica of the bot.
        limiter = await _limiter(settings, me.id)
        bot.session.middleware(CountReplies(limiter))
        sender = OutboxSender(
            bot,
            session_factory,
            limiter=limiter,
            render=functools.partial(
                render.outbox_message, bot_username=me.username or "", locale=settings.team_leads_language
            ),
            render_photo=functools.partial(
                weekly_photo, session_factory=session_factory, locale=settings.team_leads_language
            ),
            admin_ids=settings.admin_ids,
            team_leads_chat_id=settings.team_leads_chat_id,
            team_leads_thread_id=settings.team_leads_thread_id,
            give_up_after=settings.outbox_give_up_seconds,
            poll_interval=settings.outbox_poll_seconds,
        )
        dp["outbox_sender"] = sender  # handlers wake it right after a transfer
        scheduler = Scheduler(
            session_factory, services.policy, poll_interval=settings.scheduler_poll_seconds, on_queued=sender.wake
        )
        dp["scheduler"] = scheduler
        freeze_startup_objects()
        tasks.append(asyncio.create_task(sender.run(sender_stop), name="outbox-sender"))
        tasks.append(asyncio.create_task(scheduler.run(sender_stop), name="scheduler"))
        retrainer = Retrainer(session_factory, services, **settings_thresholds(settings))
        tasks.append(asyncio.create_task(retrainer.run(sender_stop), name="retrainer"))
        hooks = WebhookSender(
            session_factory,
            policy=DeliveryPolicy(
                max_attempts=settings.webhook_max_attempts,
                lease_seconds=max(60.0, 2 * settings.webhook_timeout_seconds + 5),
            ),
            timeout=settings.webhook_timeout_seconds,
            poll_interval=settings.webhook_poll_seconds,
        )
        tasks.append(asyncio.create_task(hooks.run(sender_stop), name="webhook-sender"))
        tasks.append(asyncio.create_task(_forget_old_updates(session_factory, sender_stop), name="update-ids"))
        if stop is None:
            stop = asyncio.Event()
            _stop_on_signals(stop)
        # Each update holds one pooled connection: more updates in flight than the pool's size would only
        # queue for connections (and overflow connections get closed and re-opened).
        inbox = Inbox(
            bot,
            dp,
            session_factory,
            concurrency=max(1, settings.db_pool_size),
            allowed_updates=dp.resolve_used_update_types(),
        )
        await dp.emit_startup(bot=bot, dispatcher=dp, bots=[bot])
        try:
            factory = session_factory

            async def render_metrics() -> bytes:
                return await exposition(SqlUnitOfWork(factory), pool_in_use(factory))

            async with bot_metrics.serve(settings.metrics_host, settings.metrics_port, render_metrics):
                if settings.bot_mode == "webhook":
                    allowed = dp.resolve_used_update_types()
                    await _receive_by_webhook(settings, bot, inbox, session_factory, allowed, stop)
                else:
                    await inbox.run(stop)
        finally:
            await dp.emit_shutdown(bot=bot, dispatcher=dp, bots=[bot])  # closes the FSM storage
    finally:
        sender_stop.set()
        for task in tasks:
            if not task.done():
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(task, timeout=10)
        if engine is not None:
            await engine.dispose()
        if limiter is not None:
            await limiter.aclose()
        if own_bot:
            await bot.session.close()
        log.info("bot stopped")


def run_polling_cli(settings: Settings) -> int:
    """``leadcrm bot``: run until SIGTERM/SIGINT. Migrations are applied by ``leadcrm migrate``/``run``."""
    if settings.bot_token is None or not settings.bot_token.get_secret_value().strip():
        print(
            "BOT_TOKEN is not set. Get a token from @BotFather and set BOT_TOKEN, "
            "or try the bot without Telegram: leadcrm sandbox",
            file=sys.stderr,
        )
        return 2
    try:
        asyncio.run(run_bot(settings))
    except BotStartError as err:
        print(str(err), file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0
