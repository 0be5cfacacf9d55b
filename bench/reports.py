"""Reports benchmark (not a test): each report's query time at scale, chart render time, export speed and memory.

    .venv/bin/python bench/reports.py                    # 1,000,000 leads / 5,000,000 activities (minutes)
    .venv/bin/python bench/reports.py --leads 100000     # a quick run
    .venv/bin/python bench/reports.py --explain          # also print each statement's plan for the week

What it does, on the PostgreSQL server of DATABASE_URL (or 127.0.0.1:5432 when unset):
1. creates a throw-away database, migrates it (alembic) and seeds it in SQL (``generate_series``): N leads over
   a year and 50 managers, 5 activities per lead, the stage history their stages imply (lost from every
   stage), a sale for each transferred lead (paid, lost or open); ANALYZEs it; the database is dropped at the end;
2. runs every report through the product's service and unit of work (``core.services.reports``), team-wide and
   for one manager, over this week and the last 30 days: p50 / p99 of the wall time per call;
3. renders each report's chart (``bot.charts``): p50 / p99;
4. exports ``--export`` leads (default 100,000) to CSV and XLSX through ``core.services.export``: rows/s and the
   process's peak RSS before and after (it must not grow with the row count).
"""

from __future__ import annotations

import argparse
import asyncio
import platform
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import asyncpg

from bench._common import (
    asyncpg_dsn,
    database_url,
    load_average,
    pct,
    peak_rss_mb,
    scratch_database,
    server_url,
    server_version,
)
from core.config import Settings
from core.domain.enums import Role
from core.domain.models import Actor
from core.domain.periods import PeriodKind, period
from core.services import reports
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.uow import SqlUnitOfWork

MANAGERS = 50
FIRST_MANAGER = 7_000_001
TEAM_LEAD = 7_999_999
ZONE = ZoneInfo("Europe/Moscow")

SEED = [
    f"""INSERT INTO users (id, full_name, role)
        SELECT {FIRST_MANAGER} + g, 'Manager ' || g, 'manager' FROM generate_series(0, {MANAGERS - 1}) g""",
    f"INSERT INTO users (id, full_name, role) VALUES ({TEAM_LEAD}, 'Team Lead', 'team_lead')",
    # level: how far the lead got (0 new .. 3 transferred); lost: it was then lost from that stage
    """CREATE UNLOGGED TABLE seed AS
        SELECT g AS i,
               now() - (random() * interval '365 days') AS created_at,
               CASE WHEN r < 0.30 THEN 0 WHEN r < 0.55 THEN 1 WHEN r < 0.75 THEN 2 ELSE 3 END AS level,
               random() < 0.35 AS lost
          FROM (SELECT g, random() AS r FROM generate_series(1, :leads) g) x""",
    f"""INSERT INTO leads (id, name, source, stage, owner_id, business_domain, ai_score, created_at, updated_at,
                          stage_entered_at, first_contact_at)
        SELECT i, 'Lead ' || i, (ARRAY['scanner','partner','manual'])[1 + i % 3]::lead_source,
               CASE WHEN level = 3 THEN 'transferred' WHEN lost THEN 'lost'
                    ELSE (ARRAY['new','contacted','qualified'])[1 + level] END::lead_stage,
               {FIRST_MANAGER} + i % {MANAGERS},
               (ARRAY['fintech','ecommerce','edtech','saas',NULL])[1 + i % 5],
               CASE WHEN i % 10 < 7 THEN round(random()::numeric, 2) END,
               created_at, created_at, created_at,
               CASE WHEN level > 0 OR i % 2 = 0 THEN created_at + (random() * interval '48 hours') END
          FROM seed""",
    "SELECT setval('leads_id_seq', (SELECT max(id) FROM leads))",
    """INSERT INTO stage_changes (lead_id, from_stage, to_stage, actor, created_at, reason_code, reason,
                                  from_entered_at)
        SELECT s.i, (ARRAY['new','contacted','qualified'])[k]::lead_stage,
               (ARRAY['contacted','qualified','transferred'])[k]::lead_stage, 'seed',
               s.created_at + k * interval '2 days', NULL, NULL, s.created_at + (k - 1) * interval '2 days'
          FROM seed s, generate_series(1, 3) k WHERE k <= s.level
        UNION ALL
        SELECT s.i, (ARRAY['new','contacted','qualified'])[1 + s.level]::lead_stage, 'lost', 'seed',
               s.created_at + (s.level + 1) * interval '2 days',
               (ARRAY['no_budget','no_response','competitor','not_a_fit',NULL])[1 + s.i % 5]::lost_reason,
               CASE WHEN s.i % 5 = 4 THEN (ARRAY['too expensive','moved abroad','no reason'])[1 + s.i % 3] END,
               s.created_at + s.level * interval '2 days'
          FROM seed s WHERE s.lost AND s.level < 3
        ORDER BY 5""",
    """INSERT INTO sales (lead_id, stage, created_at, updated_at, closed_at, amount, currency)
        SELECT i, CASE WHEN i % 10 < 4 THEN 'paid' WHEN i % 10 < 7 THEN 'lost' ELSE 'kyc' END::sale_stage,
               created_at + interval '6 days', created_at + interval '13 days',
               CASE WHEN i % 10 < 7 THEN created_at + interval '13 days' END,
               CASE WHEN i % 10 < 4 THEN 1000 + i % 9000 END, CASE WHEN i % 10 < 4 THEN 'RUB' END
          FROM seed WHERE level = 3""",
    """INSERT INTO sale_stage_changes (sale_id, from_stage, to_stage, actor, created_at)
        SELECT id, 'new'::sale_stage, 'kyc'::sale_stage, 'seed', created_at + interval '1 day' FROM sales
        UNION ALL
        SELECT id, 'kyc', stage, 'seed', closed_at FROM sales WHERE stage IN ('paid', 'lost')""",
    f"""INSERT INTO activities (lead_id, kind, author, created_at)
        SELECT s.i, (ARRAY['call','message','meeting','email','note'])[1 + (s.i + k) % 5]::activity_kind,
               'tg:' || ({FIRST_MANAGER} + s.i % {MANAGERS}), s.created_at + k * interval '7 hours'
          FROM seed s, generate_series(1, 5) k
         ORDER BY 4""",
    "DROP TABLE seed",
]


async def seed(dsn: str, leads: int) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        for sql in SEED:
            t0 = time.perf_counter()
            await conn.execute(sql.replace(":leads", str(leads)))
            print(f"  {sql.split()[0].lower()} {sql.split()[2] if len(sql.split()) > 2 else ''}: "
                  f"{time.perf_counter() - t0:.1f}s", flush=True)  # fmt: skip
        await conn.execute("VACUUM ANALYZE")
        counts = await conn.fetchrow(
            "SELECT (SELECT count(*) FROM leads) AS leads, (SELECT count(*) FROM activities) AS activities,"
            " (SELECT count(*) FROM stage_changes) AS changes, (SELECT count(*) FROM sales) AS sales"
        )
        print(f"  seeded: {dict(counts)}")
    finally:
        await conn.close()


async def explain(dsn: str, kind_period: tuple[datetime, datetime]) -> None:
    """The plans of the report statements (captured from the repository's SQL with EXPLAIN)."""
    from sqlalchemy import event

    from core.services.ports.reports import ReportScope
    from core.storage.repositories.reports import SqlReportRepository

    engine = make_engine(dsn)
    statements: list[tuple[str, tuple[object, ...]]] = []

    @event.listens_for(engine.sync_engine, "before_cursor_execute", retval=True)
    def capture(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith("EXPLAIN"):
            statements.append((statement, tuple(parameters)))
        return statement, parameters

    factory = make_session_factory(engine)
    scope = ReportScope(*kind_period)
    async with factory() as session:
        repo = SqlReportRepository(session, _no_write)
        for name in ("funnel", "managers", "lost", "sources", "score_bands"):
            statements.clear()
            await getattr(repo, name)(scope)
            captured = list(statements)
            for statement, parameters in captured:
                conn = await session.connection()
                raw = await conn.get_raw_connection()
                driver = raw.driver_connection
                assert driver is not None
                plan = await driver.fetch("EXPLAIN (ANALYZE, BUFFERS OFF) " + statement, *parameters)
                print(f"--- {name}")
                print("\n".join(r[0] for r in plan))
    await engine.dispose()


OLD_0015 = ("ix_leads_created", "ix_activities_created", "ix_stage_changes_created")
NEW_0019 = (
    "ix_leads_created_cover",
    "ix_leads_id_report",
    "ix_activities_created_cover",
    "ix_stage_changes_created_cover",
)


async def compare_0019(url: str, rounds: int) -> None:
    """Migration 0019 against what it replaced, interleaved in one run (the same load on a shared machine): each
    report's statements (the repository, team-wide) with the covering indexes of 0019 and no JIT, against the plain
    indexes of 0015 with JIT as the server has it. Each call runs in a transaction that drops the other arm's
    indexes (DROP INDEX is transactional) and is rolled back; the 0015 indexes are created for it and dropped after."""
    from sqlalchemy import text

    import core.storage.repositories.reports as report_sql
    from core.services.ports.reports import ReportScope
    from core.storage.repositories.reports import SqlReportRepository

    dsn = asyncpg_dsn(url, url.rsplit("/", 1)[1])
    conn = await asyncpg.connect(dsn)
    try:
        for name, table in zip(OLD_0015, ("leads", "activities", "stage_changes"), strict=True):
            await conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON {table} (created_at)")
    finally:
        await conn.close()
    engine = make_engine(url, pool_size=1)
    factory = make_session_factory(engine)
    product_jit = report_sql.NO_JIT
    arms = {"0019": (OLD_0015, product_jit), "0015": (NEW_0019, text("SELECT 1"))}  # dropped, the JIT statement
    now = datetime.now(UTC)
    print(f"\n{'report':<10} {'period':<7} {'0019 p50/p99 ms':>16} {'0015 p50/p99 ms':>16} {'p50 ratio':>9}")
    try:
        for method in ("funnel", "managers", "lost", "sources", "score_bands"):
            for period_kind in (PeriodKind.WEEK, PeriodKind.LAST_30):
                span = period(period_kind, now, ZONE)
                samples: dict[str, list[float]] = {arm: [] for arm in arms}
                for _ in range(rounds):
                    for arm, (dropped, jit) in arms.items():
                        report_sql.NO_JIT = jit
                        async with factory() as session:
                            await session.execute(text(f"DROP INDEX {', '.join(dropped)}"))
                            repo = SqlReportRepository(session, _no_write)
                            t0 = time.perf_counter()
                            await getattr(repo, method)(ReportScope(span.start, span.end))
                            samples[arm].append((time.perf_counter() - t0) * 1000)
                            await session.rollback()
                new, old = samples["0019"], samples["0015"]
                ratio = pct(new, 50) / pct(old, 50)
                print(f"{method:<10} {period_kind.value:<7} {pct(new, 50):7.0f}/{pct(new, 99):<8.0f} "
                      f"{pct(old, 50):7.0f}/{pct(old, 99):<8.0f} {ratio:9.2f}", flush=True)  # fmt: skip
    finally:
        report_sql.NO_JIT = product_jit
        await engine.dispose()
        conn = await asyncpg.connect(dsn)
        try:
            for name in OLD_0015:
                await conn.execute(f"DROP INDEX IF EXISTS {name}")
        finally:
            await conn.close()


async def _no_write() -> None:
    raise AssertionError("reports do not write")


async def time_reports(url: str, rounds: int) -> None:
    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    team = Actor(label=f"tg:{TEAM_LEAD}", user_id=TEAM_LEAD, role=Role.TEAM_LEAD)
    manager = Actor(label=f"tg:{FIRST_MANAGER}", user_id=FIRST_MANAGER, role=Role.MANAGER)
    now = datetime.now(UTC)
    print(f"\n{'report':<10} {'scope':<8} {'period':<8} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in reports.ReportKind:
        for who, actor in (("team", team), ("manager", manager)):
            for period_kind in (PeriodKind.WEEK, PeriodKind.LAST_30):
                span = period(period_kind, now, ZONE)
                samples = []
                for _ in range(rounds):
                    t0 = time.perf_counter()
                    await reports.report(SqlUnitOfWork(factory), actor, kind, span)
                    samples.append((time.perf_counter() - t0) * 1000)
                p50, p99 = pct(samples, 50), pct(samples, 99)
                print(f"{kind.value:<10} {who:<8} {period_kind.value:<8} {p50:8.1f} {p99:8.1f}")
    await engine.dispose()


async def time_charts(url: str, rounds: int) -> None:
    """Each report's chart for the last 30 days, rendered as the bot renders it (PNG bytes)."""
    from bot import charts
    from bot.i18n import make_i18n
    from bot.render import reports as render_reports

    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    team = Actor(label=f"tg:{TEAM_LEAD}", user_id=TEAM_LEAD, role=Role.TEAM_LEAD)
    span = period(PeriodKind.LAST_30, datetime.now(UTC), ZONE)
    i18n = make_i18n()
    print(f"\n{'chart':<10} {'bars':>4} {'p50 ms':>8} {'p99 ms':>8} {'PNG kB':>7}")
    with i18n.context(), i18n.use_locale("ru"):
        for kind in reports.ReportKind:
            screen = render_reports.screen(await reports.report(SqlUnitOfWork(factory), team, kind, span))
            samples, size = [], 0
            for _ in range(rounds):
                t0 = time.perf_counter()
                size = len(charts.png(screen.bars))
                samples.append((time.perf_counter() - t0) * 1000)
            print(f"{kind.value:<10} {len(screen.bars.labels):>4} {pct(samples, 50):8.1f} {pct(samples, 99):8.1f} "
                  f"{size / 1024:7.0f}")  # fmt: skip
    await engine.dispose()


async def time_exports(url: str, sizes: list[int], total: int) -> None:
    """Exports of about ``sizes`` leads (the newest: a creation window of that share of the year), CSV and
    XLSX to a temporary file: rows/s, and the process's peak RSS after each (smallest first: if memory grew with
    the rows, the peak would climb with the size)."""
    import tempfile
    from datetime import timedelta

    from bench._common import current_rss_mb
    from core.services import export
    from core.services.ports import ExportFilter

    engine = make_engine(url, pool_size=2)
    factory = make_session_factory(engine)
    team = Actor(label=f"tg:{TEAM_LEAD}", user_id=TEAM_LEAD, role=Role.TEAM_LEAD)
    print(f"\n{'export':<6} {'rows':>8} {'seconds':>8} {'rows/s':>8} {'file MB':>8} {'RSS MB':>7} {'peak MB':>8}")
    for size in sizes:
        flt = ExportFilter(created_from=datetime.now(UTC) - timedelta(days=365 * min(1.0, size / total)))
        for fmt in export.ExportFormat:
            with tempfile.TemporaryFile() as out:
                t0 = time.perf_counter()
                rows = await export.export_leads(SqlUnitOfWork(factory), team, flt, fmt, out, tz=ZONE)
                seconds = time.perf_counter() - t0
                megabytes = out.tell() / 2**20
            print(f"{fmt.value:<6} {rows:>8,} {seconds:8.1f} {rows / seconds:8,.0f} {megabytes:8.1f} "
                  f"{current_rss_mb():7.0f} {peak_rss_mb():8.0f}")  # fmt: skip
    await engine.dispose()


@asynccontextmanager
async def _database(server: str, name: str | None) -> AsyncIterator[str]:
    if name is None:
        async with scratch_database(server, "bench_reports") as url:
            yield url
        return
    conn = await asyncpg.connect(asyncpg_dsn(server, "postgres"))
    try:
        if not await conn.fetchval("SELECT 1 FROM pg_database WHERE datname = $1", name):
            await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()
    yield database_url(server, name)


async def _lead_count(dsn: str) -> int:
    conn = await asyncpg.connect(dsn)
    try:
        return int(await conn.fetchval("SELECT count(*) FROM leads"))
    finally:
        await conn.close()


async def _analyze(dsn: str) -> None:
    """Statistics for whatever a migration added since the seed (a new index or table)."""
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute("ANALYZE")
    finally:
        await conn.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=30)
    parser.add_argument("--explain", action="store_true")
    parser.add_argument("--compare-0019", type=int, default=0, metavar="ROUNDS", help="migration 0019 against 0015")
    parser.add_argument("--export", type=int, default=100_000, help="rows of the large export (0: none)")
    parser.add_argument(
        "--database",
        help="a named database kept between runs: created, migrated and seeded when missing or empty, reused (and"
        " migrated to the code's head) otherwise, never dropped; without it a throw-away database is used",
    )
    args = parser.parse_args()
    server = server_url(Settings())
    print(f"PostgreSQL {await server_version(server)}, Python {platform.python_version()}, load {load_average()}")
    async with _database(server, args.database) as url:
        await upgrade_async(url)
        dsn = asyncpg_dsn(url, url.rsplit("/", 1)[1])
        if await _lead_count(dsn):
            print(f"reusing {args.database}: {await _lead_count(dsn):,} leads")
            await _analyze(dsn)
        else:
            t0 = time.perf_counter()
            await seed(dsn, args.leads)
            print(f"seeded in {time.perf_counter() - t0:.0f}s")
        if args.explain:
            span = period(PeriodKind.WEEK, datetime.now(UTC), ZONE)
            await explain(url, (span.start, span.end))
        if args.compare_0019:
            await compare_0019(url, args.compare_0019)
        await time_reports(url, args.rounds)
        await time_charts(url, args.rounds)
        if args.export:
            await time_exports(url, [max(1, args.export // 10), args.export], args.leads)
    print(f"peak RSS {peak_rss_mb():.0f} MB")


if __name__ == "__main__":
    asyncio.run(main())
