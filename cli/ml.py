"""``leadcrm import | train | rescore | model``: history import and the learned scorer."""

from __future__ import annotations

import argparse
import asyncio

from api.words import describe
from core.config import Settings
from core.domain.errors import DomainError
from core.imports.errors import UnreadableFile
from core.imports.mapping import MappingError
from core.storage.db import make_engine, make_session_factory, resolve_database_url
from core.storage.uow import SqlUnitOfWork

SHOWN_ERRORS = 20


async def _run(settings: Settings, args: argparse.Namespace) -> int:
    from cli import reports
    from core.services import importer, training
    from core.services.context import Policy
    from core.wiring import make_services

    engine = make_engine(resolve_database_url(settings), pool_size=2)
    uow = SqlUnitOfWork(make_session_factory(engine))
    try:
        if args.ml_action == "import":
            try:
                report = await importer.import_csv(
                    uow, settings.domain_set, args.file, args.mapping, policy=Policy.from_settings(settings)
                )
            except (UnreadableFile, MappingError) as failed:  # nothing was stored
                print("\n".join(reports.import_failed(failed)))
                return 2
            print("\n".join([reports.import_summary(report), *reports.import_details(report, SHOWN_ERRORS)]))
            return 0 if report.imported or not report.rows else 1
        if args.ml_action == "train":
            train = await training.train_model(uow, **training.settings_thresholds(settings))
            print("\n".join(reports.train_lines(train)))
            return 0
        if args.ml_action == "rescore":
            print(reports.rescore_summary(await training.rescore_open_leads(uow, make_services(settings))))
            return 0
        if args.ml_action == "model":
            print("\n".join(reports.model_lines(await training.active_model_info(uow))))
            return 0
        raise ValueError(f"unknown action {args.ml_action!r}")
    except DomainError as err:
        print(f"error: {describe(err)}")
        return 2
    finally:
        await engine.dispose()


def run(settings: Settings, args: argparse.Namespace) -> int:
    return asyncio.run(_run(settings, args))
