"""``leadcrm webhook add|list|remove|rotate-secret``."""

from __future__ import annotations

import argparse

from api.words import describe
from core.config import Settings
from core.domain.errors import DomainError
from core.services import webhooks
from core.storage.db import make_engine, make_session_factory, resolve_database_url
from core.storage.uow import SqlUnitOfWork


async def run(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(resolve_database_url(settings), pool_size=1)
    uow = SqlUnitOfWork(make_session_factory(engine))
    try:
        if args.action == "add":
            events = args.events.split(",")
            hook, secret = await webhooks.add_webhook(uow, args.url, events, allow_http=settings.webhook_allow_http)
            print(f"Webhook #{hook.id} added for {', '.join(hook.events)}. Its signing secret, shown only once:")
            print(secret)
        elif args.action == "list":
            for h in await webhooks.list_webhooks(uow):
                print(f"#{h.id}\t{h.url}\t{','.join(h.events)}\tcreated {h.created_at:%Y-%m-%d %H:%M}")
        elif args.action == "remove":
            hook = await webhooks.remove_webhook(uow, args.id)
            print(f"Webhook #{hook.id} removed; its pending deliveries are cancelled")
        elif args.action == "rotate-secret":
            hook, secret = await webhooks.rotate_secret(uow, args.id)
            print(f"Webhook #{hook.id} has a new signing secret (the old one stops at once), shown only once:")
            print(secret)
    except DomainError as err:
        print(f"error: {describe(err)}")
        return 2
    finally:
        await engine.dispose()
    return 0
