"""``leadcrm api-key create|list|revoke``."""

from __future__ import annotations

import argparse

from api.words import describe
from core.config import Settings
from core.domain.errors import DomainError
from core.services import api_keys
from core.storage.db import make_engine, make_session_factory, resolve_database_url
from core.storage.uow import SqlUnitOfWork


async def run(settings: Settings, args: argparse.Namespace) -> int:
    engine = make_engine(resolve_database_url(settings), pool_size=1)
    uow = SqlUnitOfWork(make_session_factory(engine))
    try:
        if args.action == "create":
            info, secret = await api_keys.create_api_key(uow, args.name, source=args.source)
            scope = f" (creates '{info.source}' leads only)" if info.source else ""
            print(f"API key '{info.name}' created{scope}. Send it as the X-API-Key header; it is shown only once:")
            print(secret)
        elif args.action == "list":
            for k in await api_keys.list_api_keys(uow):
                state = f"revoked {k.revoked_at:%Y-%m-%d %H:%M}" if k.revoked_at else "active"
                scope = f"source {k.source}" if k.source else "any source"
                print(f"{k.name}\t{k.prefix}…\t{scope}\tcreated {k.created_at:%Y-%m-%d %H:%M}\t{state}")
        elif args.action == "revoke":
            info = await api_keys.revoke_api_key(uow, args.name)
            print(f"API key '{info.name}' revoked")
    except DomainError as err:
        print(f"error: {describe(err)}")
        return 2
    finally:
        await engine.dispose()
    return 0
