"""aiogram runs a plain-callable filter (a bare ``F...`` or a State) through ``asyncio.to_thread`` on every
check: a thread hop per filter per update. Every filter of the bot must be an awaitable aiogram Filter."""

from __future__ import annotations

from core.config import Settings
from core.services.context import Policy, Services


def test_every_bot_filter_runs_in_the_event_loop() -> None:
    from bot.app import build_dispatcher

    settings = Settings(_env_file=None, redis_url=None)
    dp = build_dispatcher(
        settings=settings,
        services=Services(Policy(domains=frozenset({"saas"}))),
        session_factory=None,  # type: ignore[arg-type]  # no database: only the routers are inspected
    )
    checked, offenders = 0, []
    for router in dp.chain_tail:
        for name, observer in router.observers.items():
            if name == "update":  # aiogram's own dispatch
                continue
            filter_lists = [observer._handler.filters or []] + [h.filters or [] for h in observer.handlers]
            for filters in filter_lists:
                for f in filters:
                    checked += 1
                    if not f.awaitable:
                        offenders.append(f"{router.name}.{name}: {f.callback!r}")
    assert checked > 20
    assert offenders == []


def test_callback_checks_sit_under_a_router_filter_that_unpacks_their_factory() -> None:
    """``CallbackIs`` reads the ``callback_data`` that the router's ``UnpackCallback`` put into the handler data."""
    from bot.app import build_dispatcher
    from bot.callbacks import CallbackIs, UnpackCallback

    settings = Settings(_env_file=None, redis_url=None)
    dp = build_dispatcher(
        settings=settings,
        services=Services(Policy(domains=frozenset({"saas"}))),
        session_factory=None,  # type: ignore[arg-type]  # no database: only the routers are inspected
    )
    checks = 0
    for router in dp.chain_tail:
        for name, observer in router.observers.items():
            unpacked = {
                factory
                for f in observer._handler.filters or []
                if isinstance(f.callback, UnpackCallback)
                for factory in f.callback.factories.values()
            }
            for handler in observer.handlers:
                for f in handler.filters or []:
                    if isinstance(f.callback, CallbackIs):
                        checks += 1
                        assert name == "callback_query", router.name
                        assert f.callback.factory in unpacked, f"{router.name}: {f.callback}"
    assert checks > 20


async def test_the_cheap_message_filters_say_what_magic_data_says() -> None:
    import datetime

    from aiogram import F
    from aiogram.filters import MagicData
    from aiogram.types import Chat, Message

    from bot.filters import HasText, PrivateChat

    for chat_type in ("private", "group", "supergroup", "channel"):
        for text in (None, "", "hi", "/start"):
            message = Message(
                message_id=1, date=datetime.datetime.now(datetime.UTC), chat=Chat(id=1, type=chat_type), text=text
            )
            assert await PrivateChat()(message) == bool(await MagicData(F.event.chat.type == "private")(message))
            assert await HasText()(message) == bool(await MagicData(F.event.text)(message))
