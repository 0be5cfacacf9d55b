"""Speed of ``leadcrm import`` end to end at 40 k and 400 k rows, beside a bare COPY of the same rows.

    .venv/bin/python bench/import.py [--sizes 40000,400000] [--contact email|phone|none] [--profile] [--statements]

For each size, in a fresh child process (so "peak RSS" is that import's own):

1. writes a synthetic CRM export of that many rows (an id, a name, a contact, a source with raw values the
   product does not know, an industry, two numeric and one categorical attribute, two activity counts, three
   ISO timestamps and an outcome: one third each won / lost / open);
2. creates a temporary database, migrates it, and imports the file through ``import_csv`` (the CLI's path:
   parse, match by external id then contact, COPY, upsert, history, sales, contacts, owners, one commit);
3. COPYs the same number of rows (the same values, already typed) into an unindexed table with asyncpg's
   ``copy_records_to_table``: the floor no import can beat on this machine at this moment;
4. prints rows/s of both, their ratio, and the child's peak RSS; drops the database.

``--profile`` runs the import under cProfile and prints the 25 dearest functions (cumulative);
``--statements`` prints the SQL statements' own time, summed by statement (COPY is not among them).
The machine may be shared: compare the ratio, which both numbers of one run share, more than the rows/s.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import csv
import pstats
import subprocess
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import asyncpg
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import asyncpg_dsn, load_average, peak_rss_mb, scratch_database, server_url  # noqa: E402
from core.config import Settings  # noqa: E402
from core.services.importer import import_csv  # noqa: E402
from core.storage.db import make_engine, make_session_factory  # noqa: E402
from core.storage.migrate import upgrade_async  # noqa: E402
from core.storage.uow import SqlUnitOfWork  # noqa: E402

MAPPING = """
[lead]
external_id = "ID"
name = "Name"
{contact}
created_at = "Created"
last_activity_at = "Last touch"
closed_at = "Closed"

[source]
column = "Channel"
attribute = "channel"
default = "manual"
values = {{ "Referral" = "partner", "Partner" = "partner", "Expo" = "scanner" }}

[business_domain]
column = "Industry"
attribute = "industry"
values = {{ "Banking" = "fintech", "Software" = "saas" }}

[[attributes]]
column = "Employees"
name = "employees"
type = "numeric"

[[attributes]]
column = "Visits"
name = "visits"
type = "numeric"

[[attributes]]
column = "City"
name = "city"

[activity_counts]
call = "Calls"
meeting = "Meetings"

[outcome]
column = "Result"
won = ["won"]
lost = ["lost"]
open = ["open"]
"""

CHANNELS = ("Google", "Referral", "Olark Chat", "Direct Traffic", "Partner", "Expo", "Facebook")
INDUSTRIES = ("Banking", "Software", "Retail", "Logistics", "", "Healthcare")
CITIES = ("Moscow", "Kazan", "Berlin", "Mumbai", "", "Other")
HEADER = ["ID", "Name", "Contact", "Channel", "Industry", "Employees", "Visits", "City", "Calls", "Meetings"]
HEADER += ["Created", "Last touch", "Closed", "Result"]


def _contact(i: int, kind: str) -> str:
    if kind == "phone":
        return f"+7 9{i // 10_000_000 % 100:02d} {i // 10_000 % 1000:03d}-{i % 10_000:04d}"
    return f"Person{i}@Example.com" if kind == "email" else ""


def write_file(path: Path, rows: int, contact: str) -> None:
    start = datetime(2024, 1, 1, tzinfo=UTC)
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        for i in range(rows):
            created = start + timedelta(minutes=7 * i % 500_000)
            touched = created + timedelta(hours=i % 300)
            result = ("won", "lost", "open")[i % 3]
            closed = (touched + timedelta(days=2)).isoformat() if result != "open" else ""
            w.writerow(
                [
                    f"crm-{i}",
                    f"Person {i}",
                    _contact(i, contact),
                    CHANNELS[i % 7],
                    INDUSTRIES[i % 6],
                    str(5 + i % 995),
                    str(i % 17),
                    CITIES[i % 5],
                    str(i % 9),
                    str(i % 3),
                    created.isoformat(),
                    touched.isoformat(),
                    closed,
                    result,
                ]
            )


_BARE = (
    "CREATE TABLE bare_copy (line integer, external_id text, name text, contact text, source text, stage text,"
    " business_domain text, attributes jsonb, activity_count integer, activity_counts jsonb,"
    " created_at timestamptz, first_contact_at timestamptz, last_activity_at timestamptz,"
    " closed_at timestamptz, lost_reason text, match_id bigint)"
)


async def bare_copy(url: str, rows: int, contact: str) -> float:
    """Seconds to COPY ``rows`` typed rows (the importer's staging row shape) into an unindexed table."""
    start = datetime(2024, 1, 1, tzinfo=UTC)
    records = []
    for i in range(rows):
        created = start + timedelta(minutes=7 * i % 500_000)
        records.append(
            (
                i + 2,
                f"crm-{i}",
                f"Person {i}",
                _contact(i, contact) or None,
                "manual",
                "new",
                None,
                '{"employees": 5.0, "visits": 3.0, "city": "Kazan", "channel": "Google"}',
                3,
                '{"call": 2, "meeting": 1}',
                created,
                None,
                created,
                None,
                None,
                None,
            )
        )
    conn = await asyncpg.connect(asyncpg_dsn(url, str(make_url(url).database)))
    try:
        await conn.execute(_BARE)
        began = time.perf_counter()
        await conn.copy_records_to_table("bare_copy", records=records)
        return time.perf_counter() - began
    finally:
        await conn.close()


def _time_statements(engine: AsyncEngine) -> Counter[str]:
    """Seconds per statement (keyed by its first 70 characters), summed over the import."""
    spent: Counter[str] = Counter()

    @event.listens_for(engine.sync_engine, "before_cursor_execute")
    def before(conn, cursor, statement, parameters, context, executemany):
        conn.info["bench_began"] = time.perf_counter()

    @event.listens_for(engine.sync_engine, "after_cursor_execute")
    def after(conn, cursor, statement, parameters, context, executemany):
        key = " ".join(statement.split())[:70]
        spent[key] += time.perf_counter() - conn.info.pop("bench_began")

    return spent


async def child(rows: int, contact: str, profile: bool, statements: bool) -> int:
    settings = Settings()
    async with scratch_database(server_url(settings), "leadcrm_bench_import") as url:
        await upgrade_async(url)
        with tempfile.TemporaryDirectory() as tmp:
            mapping = Path(tmp) / "bench.toml"
            line = {"email": 'contact = "Contact"', "phone": 'contact = "Contact"'}.get(contact, "")
            mapping.write_text(MAPPING.format(contact=line), encoding="utf-8")
            path = Path(tmp) / "bench.csv"
            write_file(path, rows, contact)
            engine = make_engine(url, pool_size=2)
            spent = _time_statements(engine) if statements else None
            try:
                uow = SqlUnitOfWork(make_session_factory(engine))
                prof = cProfile.Profile() if profile else None
                began = time.perf_counter()
                if prof:
                    prof.enable()
                report = await import_csv(uow, settings.domain_set, path, mapping)
                if prof:
                    prof.disable()
                took = time.perf_counter() - began
            finally:
                await engine.dispose()
        rss = peak_rss_mb()
        copy_s = await bare_copy(url, rows, contact)
    assert report.imported == rows, (report.imported, report.error_count, report.errors[:3])
    print(
        f"{rows:>9,} rows  import {took:6.2f} s = {rows / took:>9,.0f} rows/s | bare COPY {copy_s:5.2f} s = "
        f"{rows / copy_s:>9,.0f} rows/s | import/COPY time {took / copy_s:4.1f}x | peak RSS {rss:,.0f} MB",
        flush=True,
    )
    if prof:
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    for key, seconds in (spent or Counter()).most_common(12):
        print(f"{seconds:8.2f} s  {key}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="40000,400000")
    parser.add_argument("--contact", choices=("email", "phone", "none"), default="email")
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--statements", action="store_true")
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return asyncio.run(child(args.child, args.contact, args.profile, args.statements))
    print(f"code: {ROOT}; contact: {args.contact}; load average {load_average()}", flush=True)
    for size in (int(s) for s in args.sizes.split(",")):
        cmd = [sys.executable, __file__, "--child", str(size), "--contact", args.contact]
        cmd += ["--profile"] if args.profile else []
        cmd += ["--statements"] if args.statements else []
        done = subprocess.run(cmd, check=False)
        if done.returncode:
            return done.returncode
    print(f"load average after: {load_average()}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
