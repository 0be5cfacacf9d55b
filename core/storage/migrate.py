"""Run alembic programmatically: ``leadcrm migrate`` and the test fixtures use this."""

from __future__ import annotations

import asyncio
import functools
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS_DIR = Path(__file__).resolve().parents[2] / "migrations"


def alembic_config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    cfg.set_main_option("file_template", "%%(year)d%%(month).2d%%(day).2d_%%(hour).2d%%(minute).2d_%%(slug)s_%%(rev)s")
    return cfg


@functools.cache
def code_revisions() -> tuple[str, frozenset[str]]:
    """The revision the code's migrations end at (what ``/ready`` expects the database to be at), and every
    revision they know: a database at one of them but not the head is behind; at none of them, ahead (a newer
    release migrated it during a rolling deploy). Read once per process: the files do not change under it."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config("postgresql://unused"))
    head = script.get_current_head()
    if head is None:
        raise RuntimeError(f"no migrations under {MIGRATIONS_DIR}")
    return head, frozenset(rev.revision for rev in script.walk_revisions())


def upgrade(url: str, revision: str = "head") -> None:
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str = "base") -> None:
    command.downgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    """alembic's env.py calls asyncio.run(); run it in a worker thread from async code."""
    await asyncio.to_thread(upgrade, url, revision)
