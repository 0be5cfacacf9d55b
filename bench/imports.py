"""Benchmark of ``leadcrm import`` (``core.services.importer.import_csv``) with its duplicate guard.

    .venv/bin/python bench/imports.py [--csv Leads.csv] [--rows 100000] [--existing 10000] [--primary-only]

1. Creates a temporary database on DATABASE_URL's server (else 127.0.0.1:5432), migrates it.
2. Imports the X Education file (``mappings/xeducation.toml``, 9,240 rows, no contacts), then again
   (every row updates by external id).
3. Stores ``--existing`` leads typed in by a team (a phone and an e-mail each, in ``lead_contacts``), writes a
   synthetic file of ``--rows`` rows (a phone and an e-mail each; every 10th row carries the phone of an
   existing lead typed another way, so it is matched by contact) and imports it twice.
4. Prints rows/s of each import and drops the database. Statistics are fresh after step 3 (as autovacuum
   leaves them) but not between the two imports: the re-import is planned on stale ones (the worst case).

``--primary-only`` maps only the phone (``[lead] contact``), for code that has no ``[lead] contacts``.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import sys
import tempfile
import time
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench._common import asyncpg_dsn, load_average, scratch_database, server_url  # noqa: E402
from cli.reports import import_summary  # noqa: E402
from core.config import Settings  # noqa: E402
from core.services.importer import import_csv  # noqa: E402
from core.storage.db import make_engine, make_session_factory  # noqa: E402
from core.storage.migrate import upgrade_async  # noqa: E402
from core.storage.uow import SqlUnitOfWork  # noqa: E402

DEFAULT_CSV = ROOT.parent.parent / "shared" / "data" / "xeducation" / "Leads.csv"
if not DEFAULT_CSV.exists():
    DEFAULT_CSV = Path("/work/shared/data/xeducation/Leads.csv")

SYNTHETIC_MAPPING = """
[lead]
external_id = "ID"
name = "Name"
contact = "Phone"
{more}

[source]
column = "Channel"
default = "manual"

[outcome]
column = "Result"
won = ["won"]
lost = ["lost"]
open = ["open"]
"""


def _phone(i: int) -> str:
    return f"+7 9{i // 10_000_000 % 100:02d} {i // 10_000 % 1000:03d}-{i % 10_000:04d}"


def _write_synthetic(path: Path, rows: int, existing: int) -> None:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["ID", "Name", "Phone", "Email", "Channel", "Result"])
        for i in range(rows):
            if i % 10 == 0 and i // 10 < existing:  # an existing lead's phone, typed with 8 and no spaces
                n = i // 10
                phone = "8" + "".join(ch for ch in _phone(n) if ch.isdigit())[1:]
                email = f"new{i}@example.com"
            else:
                phone, email = _phone(existing + i), f"Person{i}@Example.com"
            w.writerow([f"syn-{i}", f"Person {i}", phone, email, "Web", ("won", "lost", "open")[i % 3]])


async def _seed_existing(url: str, n: int) -> None:
    conn = await asyncpg.connect(asyncpg_dsn(url, str(make_url(url).database)))
    try:
        ids = await conn.fetch(
            "INSERT INTO leads (name, source, stage) "
            "SELECT 'Typed ' || g, 'manual', 'new' FROM generate_series(1, $1) g ORDER BY g RETURNING id",
            n,
        )
        records = []
        for k, row in enumerate(ids):
            digits = "".join(ch for ch in _phone(k) if ch.isdigit())
            records.append((row["id"], "phone", _phone(k), "+" + digits))
            records.append((row["id"], "email", f"typed{k}@example.com", f"typed{k}@example.com"))
        await conn.copy_records_to_table(
            "lead_contacts", records=records, columns=["lead_id", "kind", "value", "normal"]
        )
        await conn.execute("ANALYZE leads; ANALYZE lead_contacts")  # a settled database (autovacuum would have)
    finally:
        await conn.close()


async def _timed(label: str, uow: SqlUnitOfWork, domains: frozenset[str], csv_path: Path, mapping: Path) -> None:
    started = time.perf_counter()
    report = await import_csv(uow, domains, csv_path, mapping)
    took = time.perf_counter() - started
    print(f"{label}: {report.rows:,} rows in {took:.2f} s = {report.rows / took:,.0f} rows/s", flush=True)
    print(f"  {import_summary(report)}", flush=True)


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--csv", type=Path, default=DEFAULT_CSV)
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--existing", type=int, default=10_000)
    parser.add_argument("--primary-only", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    print(f"code: {ROOT}; load average {load_average()}", flush=True)
    async with scratch_database(server_url(settings), "leadcrm_bench_import") as url:
        await upgrade_async(url)
        engine = make_engine(url, pool_size=2)
        try:
            uow = SqlUnitOfWork(make_session_factory(engine))
            domains = settings.domain_set
            xeducation = ROOT / "mappings" / "xeducation.toml"
            await _timed("X Education, first import", uow, domains, args.csv, xeducation)
            await _timed("X Education, re-import", uow, domains, args.csv, xeducation)
            with tempfile.TemporaryDirectory() as tmp:
                mapping = Path(tmp) / "synthetic.toml"
                more = "" if args.primary_only else 'contacts = ["Email"]'
                mapping.write_text(SYNTHETIC_MAPPING.format(more=more), encoding="utf-8")
                path = Path(tmp) / "synthetic.csv"
                _write_synthetic(path, args.rows, args.existing)
                await _seed_existing(url, args.existing)
                await _timed(f"synthetic, first import ({args.existing:,} leads exist)", uow, domains, path, mapping)
                await _timed("synthetic, re-import", uow, domains, path, mapping)
        finally:
            await engine.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
