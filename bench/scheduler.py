"""Benchmark of the scheduler: 20,000 follow-ups falling due in the same minute among 100,000 open leads.

1. creates a throw-away database on DATABASE_URL's server (or 127.0.0.1:5432) and migrates it (alembic);
2. builds ``--owners`` managers and ``--leads`` open leads with one ``INSERT ... SELECT generate_series`` each
   (no Python loops): ``--due`` of them have a call due within one minute starting ~``--lead-time`` s after
   the build, the others a step days ahead or none;
3. runs the bot's scheduler (bot/scheduler.py, polling every ``--poll`` s, the product's 10 s by default, and
   waking for the next due step) and outbox sender (bot/outbox.py,
   the product's renderer and flood limiter at Telegram's 30/s, or ``--rate-scale`` times that) against the
   Bot API emulator in this process, and measures how late each reminder was queued (outbox row created - due
   time) and how it was delivered for ``--deliver-seconds`` (20,000 at 30/s take 11 min: ``--deliver-all``):
   per lead at most once, each still-pending lead queued once, the busiest second;
4. times the due-work query (``core.storage.repositories.schedule.due_steps_query``: the reminders' claim,
   ``FOR UPDATE SKIP LOCKED LIMIT 500``, rolled back) ``--samples`` times with due steps waiting, at
   ``--leads`` and, with ``--million``, after growing the table to 1,000,000 leads (one more generate_series).

Prints the machine, the numbers and the targets: every reminder queued within 5 s of its due time, delivered
at the rate limit with none lost or doubled, the due-work query's p99 < 20 ms at 1 M leads.

    python -m bench.scheduler                 # ~1-2 min
    python -m bench.scheduler --million       # + the 1 M part (~1 min more)
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import logging
import os
import platform
import re
import time
from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import text

from bench._common import pct, scratch_database, server_url, server_version
from bot.outbox import OutboxSender
from bot.ratelimit import RateLimiter
from bot.render import outbox_message
from bot.scheduler import Scheduler
from core.config import Settings
from core.services import scheduler as jobs
from core.services.context import Policy
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.repositories.schedule import due_steps_query
from sandbox.emulator import FakeTelegram

FIRST_OWNER = 10_000
LEAD_ID = re.compile(r"· #(\d+)")

USERS_SQL = """
INSERT INTO users (id, full_name, role, language, is_active)
SELECT CAST(:first AS bigint) + g, 'Manager ' || g, 'manager', 'en', true
FROM generate_series(0, CAST(:owners AS int) - 1) g
"""
# Open leads spread over the stages and owners; the first :due have a call due at :t0 + (0..59 s), a third of
# the rest a step 1-30 days ahead. first_contact_at and the SLA stamps are set: no SLA work in this run.
LEADS_SQL = """
INSERT INTO leads (id, name, source, stage, owner_id, created_at, updated_at, stage_entered_at, assigned_at,
                   first_contact_at, sla_reminded_at, sla_escalated_at, next_step_kind, next_step_due_at, version)
SELECT g, 'Lead ' || g, 'manual', (ARRAY['new','contacted','qualified'])[1 + g % 3]::lead_stage,
       CAST(:first AS bigint) + g % CAST(:owners AS int), now() - interval '2 days', now(),
       now() - interval '1 day', now() - interval '2 days',
       now() - interval '1 day', now(), now(),
       CASE WHEN g <= CAST(:due AS bigint) OR g % 3 = 0 THEN 'call'::step_kind END,
       CASE WHEN g <= CAST(:due AS bigint) THEN CAST(:t0 AS timestamptz) + (g % 60) * interval '1 second'
            WHEN g % 3 = 0 THEN now() + (1 + g % 30) * interval '1 day' END,
       1
FROM generate_series(CAST(:start AS bigint), CAST(:stop AS bigint)) g
"""


async def build(engine: Any, *, start: int, stop: int, due: int, owners: int, t0: datetime) -> float:
    began = time.perf_counter()
    async with engine.begin() as conn:
        params = {"first": FIRST_OWNER, "owners": owners, "due": due, "t0": t0, "start": start, "stop": stop}
        await conn.execute(text(LEADS_SQL), params)
        await conn.execute(text("SELECT setval('leads_id_seq', :stop)"), {"stop": stop})
    async with engine.begin() as conn:
        await conn.execute(text("ANALYZE leads"))
    return time.perf_counter() - began


async def query_p99(engine: Any, samples: int) -> tuple[float, float, int]:
    """p50, p99 (ms) and rows of the reminders' due-work query, each run in a transaction rolled back."""
    times = []
    rows = 0
    stmt = due_steps_query(datetime.now(UTC), 500)
    async with engine.connect() as conn:
        for _ in range(samples):
            began = time.perf_counter()
            rows = len((await conn.execute(stmt)).all())
            times.append((time.perf_counter() - began) * 1000)
            await conn.rollback()
    return pct(times, 50), pct(times, 99), rows


async def run(args: argparse.Namespace) -> None:
    settings = Settings(_env_file=None, redis_url=None)
    server = server_url(settings)
    print(
        f"PostgreSQL {await server_version(server)} at {server.split('@')[-1].rsplit('/', 1)[0]}; "
        f"Python {platform.python_version()}; {os.cpu_count()} CPUs ({platform.processor() or platform.machine()}); "
        f"load {' '.join(f'{x:.2f}' for x in os.getloadavg())}",
        flush=True,
    )
    async with scratch_database(server, "bench_sched") as url:
        await upgrade_async(url)
        engine = make_engine(url, pool_size=10)
        factory = make_session_factory(engine)
        async with engine.begin() as conn:
            await conn.execute(text(USERS_SQL), {"first": FIRST_OWNER, "owners": args.owners})
        t0 = datetime.now(UTC) + timedelta(seconds=args.lead_time)
        took = await build(engine, start=1, stop=args.leads, due=args.due, owners=args.owners, t0=t0)
        print(f"built {args.owners} managers, {args.leads} open leads ({args.due} due in one minute) in {took:.1f} s")

        fake = FakeTelegram()
        await fake.start()
        for owner in range(FIRST_OWNER, FIRST_OWNER + args.owners):
            fake.user(owner, f"M{owner}")
        bot = fake.make_bot(timeout=10)
        render = functools.partial(outbox_message, bot_username=fake.bot_username, locale="en")
        limiter = RateLimiter.scaled(args.rate_scale)
        sender = OutboxSender(bot, factory, render=render, limiter=limiter, batch=args.sender_batch)
        policy = Policy(domains=frozenset())
        scheduler = Scheduler(factory, policy, poll_interval=args.poll, on_queued=sender.wake)
        stop = asyncio.Event()
        tasks = [asyncio.create_task(scheduler.run(stop)), asyncio.create_task(sender.run(stop))]
        began = time.perf_counter()
        deadline = began + args.timeout
        last_due = began + (t0 - datetime.now(UTC)).total_seconds() + 60  # perf_counter time of the last due step
        try:
            while time.perf_counter() < deadline:
                await asyncio.sleep(0.5)
                async with engine.connect() as conn:
                    _, sent = (
                        await conn.execute(text("SELECT count(*), count(*) FILTER (WHERE status = 'sent') FROM outbox"))
                    ).one()
                if sent >= args.due or (not args.deliver_all and time.perf_counter() > last_due + args.deliver_seconds):
                    break
        finally:
            stop.set()
            await asyncio.gather(*tasks)
            await bot.session.close()
        delivered_in = time.perf_counter() - began
        async with engine.connect() as conn:
            lateness = [
                float(x)
                for (x,) in await conn.execute(
                    text(
                        "SELECT extract(epoch FROM o.created_at - l.next_step_due_at) FROM outbox o "
                        "JOIN leads l ON l.id = (o.payload->>'lead_id')::bigint"
                    )
                )
            ]
            rows, leads_queued, pending = (
                await conn.execute(
                    text(
                        "SELECT count(*), count(DISTINCT payload->>'lead_id'), count(*) FILTER "
                        "(WHERE status = 'pending') FROM outbox"
                    )
                )
            ).one()
            sent_times = [
                r[0] for r in await conn.execute(text("SELECT sent_at FROM outbox WHERE status = 'sent' ORDER BY 1"))
            ]
        counts = Counter(
            int(m.group(1))
            for owner in range(FIRST_OWNER, FIRST_OWNER + args.owners)
            for msg in fake.messages(owner)
            if (m := LEAD_ID.search(msg.text))
        )
        await fake.stop()
        per_second = Counter(int(t.timestamp()) for t in sent_times)
        busiest = max(per_second.values()) if per_second else 0
        span = (sent_times[-1] - sent_times[0]).total_seconds() if len(sent_times) > 1 else 0.0
        lost = args.due - leads_queued + (rows - pending - sum(counts.values()))  # never queued, or sent unseen
        doubled = sum(1 for c in counts.values() if c > 1)
        limit = 30 * args.rate_scale
        print()
        print(
            f"Scheduler polling every {args.poll} s (SCHEDULER_POLL_SECONDS; the product's default is 10 s), "
            f"claims of {jobs.BATCH} per transaction; sender batch {args.sender_batch}; the bot, the emulator "
            f"(sandbox.emulator, HTTP on 127.0.0.1) and PostgreSQL on this machine."
        )
        print(
            f"queued: {len(lateness)} reminders; late after their due time p50 {pct(lateness, 50):.2f} s, "
            f"p99 {pct(lateness, 99):.2f} s, max {max(lateness, default=float('nan')):.2f} s"
        )
        print(
            f"delivered: {sum(counts.values())} messages for {len(counts)} leads in {span:.1f} s "
            f"({len(sent_times) / span if span else 0:.0f}/s; limit {limit:.0f}/s = 30/s x {args.rate_scale}); "
            f"busiest second {busiest}; lost {lost}, doubled {doubled}; wall {delivered_in:.1f} s"
        )
        print(f"  still pending (in order, each lead once): {pending} of {rows} rows for {leads_queued} leads")
        if lateness:
            real = args.due / 30
            print(f"  at the real 30/s the {args.due} reminders take {real:.0f} s ({real / 60:.1f} min) to deliver")

        p50, p99, rows = await query_p99(engine, args.samples)
        print(f"due-work query at {args.leads} leads: p50 {p50:.2f} ms, p99 {p99:.2f} ms ({rows} rows locked per run)")
        million = None
        if args.million:
            t1 = datetime.now(UTC) - timedelta(minutes=1)
            extra_due = args.million_due
            took = await build(engine, start=args.leads + 1, stop=1_000_000, due=0, owners=args.owners, t0=t1)
            async with engine.begin() as conn:  # due steps waiting: the query has real rows to lock
                await conn.execute(
                    text(
                        "UPDATE leads SET next_step_kind = 'call', next_step_due_at = now() - interval '1 minute' "
                        "WHERE id > :start AND id <= :start + :n"
                    ),
                    {"start": args.leads, "n": extra_due},
                )
                await conn.execute(text("ANALYZE leads"))
            print(f"grew to 1,000,000 leads in {took:.1f} s; {extra_due} steps due")
            million = await query_p99(engine, args.samples)
            print(
                f"due-work query at 1,000,000 leads: p50 {million[0]:.2f} ms, p99 {million[1]:.2f} ms "
                f"({million[2]} rows locked per run)"
            )
        await engine.dispose()

    worst = max(lateness, default=float("inf"))
    print()
    print("targets:")
    print(f"  every reminder queued within 5 s of its due time   max {worst:.2f} s  {'OK' if worst <= 5 else 'MISSED'}")
    ok = lost == 0 and doubled == 0 and busiest <= limit * 1.05
    print(f"  delivered at the limit, none lost or doubled       {'OK' if ok else 'MISSED'}")
    if million is not None:
        verdict = "OK" if million[1] < 20 else "MISSED"
        print(f"  due-work query p99 < 20 ms at 1 M leads            {million[1]:.2f} ms  {verdict}")
    else:
        print("  due-work query p99 at 1 M leads                   (run with --million)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--leads", type=int, default=100_000, help="open leads")
    parser.add_argument("--due", type=int, default=20_000, help="follow-ups due within the same minute")
    parser.add_argument("--owners", type=int, default=2_000, help="managers (the chats the reminders go to)")
    parser.add_argument(
        "--poll", type=float, default=10.0, help="the scheduler's poll interval, s (SCHEDULER_POLL_SECONDS' default)"
    )
    parser.add_argument("--rate-scale", type=float, default=1.0, help="run the flood limits this many times faster")
    parser.add_argument("--deliver-seconds", type=float, default=30.0, help="deliver this long after the last due time")
    parser.add_argument("--deliver-all", action="store_true", help="wait until every reminder is delivered")
    parser.add_argument("--sender-batch", type=int, default=20, help="rows per outbox pass (run_bot's default)")
    parser.add_argument("--lead-time", type=float, default=10.0, help="seconds from the build to the first due time")
    parser.add_argument("--timeout", type=float, default=240.0, help="give up delivering after this many seconds")
    parser.add_argument("--samples", type=int, default=300, help="runs of the due-work query per size")
    parser.add_argument("--million", action="store_true", help="also grow the table to 1,000,000 leads")
    parser.add_argument("--million-due", type=int, default=2_000, help="steps due at 1 M leads")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
