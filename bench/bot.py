"""Telegram bot benchmark (not a test): the real Dispatcher, PostgreSQL and the fake Bot API over HTTP.

    .venv/bin/python bench/bot.py                                   # 20,000 updates, 200 managers, 16 in flight
    .venv/bin/python bench/bot.py --updates 2000                    # a quick run
    .venv/bin/python bench/bot.py --profile /tmp/bot.prof           # + cProfile of the real bot's rounds
    .venv/bin/python bench/bot.py --pool-size 20                    # a bigger pool (what-if: DB_POOL_SIZE=20)
    .venv/bin/python bench/bot.py --in-process                      # the old set-up: everything in one process

What it does:
1. creates a throw-away database on DATABASE_URL's server (or 127.0.0.1:5432), migrates it (alembic) and
   seeds the managers (``core.services.users.ensure_user``) and a few leads each (``create_lead``);
   the database is dropped at the end;
2. starts a driver process (``bench/_bot_driver.py``, a fresh interpreter, talked to over a Unix socket)
   that holds two package emulators (``sandbox.emulator.FakeTelegram``) on 127.0.0.1 and the simulated
   managers; the bots under test run in this process, alone, as in production, where the Bot API is another
   machine. The emulators serve: one the real bot
   (``bot.app.build_dispatcher`` with real settings, services and session factory; the Bot is
   ``bot.app.create_bot`` whose AiohttpSession points at the emulator through TELEGRAM_API_URL) and one for
   the skeleton bot (a bare Dispatcher with one handler: one ORM INSERT into ``activities`` through a plain
   session, then one sendMessage). Both run ``dp.start_polling`` configured as ``bot.app.run_bot`` runs the
   product: ``tasks_concurrency_limit`` = the pool size (at most that many updates are handled at once, the
   rest wait in aiogram), ``Response[T]`` models pinned (``create_bot`` does it for both bots) and
   ``core.process.freeze_startup_objects()`` (gc.collect + gc.freeze) once after start-up, before polling, which
   is where run_bot calls it; one process for both bots, so they get exactly the same treatment. Updates
   reach them by getUpdates long polling and every Bot API call goes back over HTTP (real HTTP both ways);
3. plays the managers (in the driver): ``--concurrency`` client loops each take an idle manager, queue one
   update in the emulator and wait until the Dispatcher has finished it: aiogram logs "Update id=N is
   handled" when the update's middlewares and handler returned, i.e. after its last Bot API call returned;
   a logging handler in the bot's process (``Finished``) reads CLOCK_MONOTONIC then and sends
   ``D <update_id> <time>`` to the driver. CLOCK_MONOTONIC is one system-wide clock on Linux, so
   latency = that time minus the driver's CLOCK_MONOTONIC reading right before it queued the update, exact
   across the two processes (the notification's own transit delays only the client's next update, for
   both bots alike; writing it costs the bot's process a few microseconds per update). The mix: 60 % log an
   activity (press Call/Message/Meeting on the card the bot sent, with its callback data, so the version is
   the current one), 20 % open a card (``/lead ID``), 10 % analyze, 10 % next stage. A lead that reached
   ``qualified`` is replaced by a fresh lead of the same manager (its first button press is built with
   ``bot.callbacks.LeadCb`` and version 1, on the card message the manager has), so the mix stays as stated;
4. counts SQL round trips: statements with a ``before_cursor_execute`` listener on the engine's sync_engine,
   BEGIN/COMMIT/ROLLBACK with an asyncpg query logger on every pooled connection (asyncpg sends those as
   simple queries outside the cursor). Per kind they are counted in a sequential pass (one update in
   flight, so every statement belongs to it), after warm-up (pool connections and prepared statements);
   in the same pass it counts thread hops (``asyncio.to_thread`` calls: aiogram runs any plain-callable
   filter, a bare ``F`` filter or an FSM ``State``, in the thread pool on every check; see ThreadHops);
5. runs the measured updates in alternating rounds (bot, skeleton, skeleton, bot, ...) so a change in the
   machine's load hits both alike, and prints updates/s, p50/p99, CPU per update, round trips, peak RSS.

CPU per update is the bots' process's (``getrusage`` of this process over the round); the driver's CPU per
update and its share of a core are printed separately, so a saturated driver would show there. Peak RSS is
this process's (both bots and the seeding; no emulator).

``--in-process``: the old set-up, the same ``Driver`` object in this process and event loop; then both rates,
CPU and RSS include the emulators' and the clients' own cost (somewhat more for the real bot: its cards and
keyboards are bigger).

``--pool-size`` (default 10, the product's DB_POOL_SIZE default) sets the engine's pool_size (max_overflow
the same) and both dispatchers' ``tasks_concurrency_limit``, as run_bot derives it from DB_POOL_SIZE: with
16 updates in flight and a pool of 10, six wait in aiogram's queue (their latency includes the wait).
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, cast

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

from aiogram import Bot, Dispatcher
from aiogram.types import CallbackQuery, Message
from pydantic import SecretStr
from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker

from bench._bot_driver import KINDS, SIDES, Driver, now
from bench._common import (
    cpu_seconds,
    current_rss_mb,
    load_average,
    pct,
    peak_rss_mb,
    scratch_database,
    server_url,
    server_version,
)
from bot.app import build_dispatcher, create_bot
from core.config import Settings
from core.domain.enums import ActivityKind
from core.domain.models import Actor
from core.process import freeze_startup_objects
from core.services import leads as leads_svc
from core.services import users as users_svc
from core.services.context import Services
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.models import ActivityRow
from core.storage.uow import SqlUnitOfWork
from core.wiring import make_services

KIND_NAMES = {"log": "log activity", "open": "open card", "analyze": "analyze", "next": "next stage"}
FIRST_MANAGER = 8_000_001
DOMAINS = ("fintech", "ecommerce", "saas", None)
SOURCES = ("partner", "scanner", "manual")
GROUP = -100500


# --- knowing when an update is done --------------------------------------------------------------------------


class Finished(logging.Handler):
    """Tells the driver when aiogram logs "Update id=N is handled/not handled" (the last thing
    ``Dispatcher.feed_update`` does: after the handler's last Bot API call returned), with the time read here,
    in the bot's process, from CLOCK_MONOTONIC; counts handler exceptions and unhandled updates."""

    def __init__(self, sink: Callable[[int, float], None]) -> None:
        super().__init__(level=logging.INFO)
        self.sink = sink
        self.errors: Counter[str] = Counter()
        self.not_handled = 0

    def emit(self, record: logging.LogRecord) -> None:
        msg = record.msg
        if not isinstance(msg, str):
            return
        args = record.args if isinstance(record.args, tuple) else ()  # aiogram logs with positional %-args
        if msg.startswith("Update id="):
            at = now()
            if args[1] != "handled":
                self.not_handled += 1
            self.sink(cast(int, args[0]), at)  # args[0] is update.update_id
        elif msg.startswith("Cause exception"):
            self.errors[str(args[3])[:80] if args else "?"] += 1


class GcPauses:
    """Durations of the garbage collector's runs (gc.callbacks), per generation."""

    def __init__(self) -> None:
        self.pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
        self._started = 0.0
        gc.callbacks.append(self._callback)

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses[info["generation"]].append(time.perf_counter() - self._started)

    def reset(self) -> None:
        for pauses in self.pauses.values():
            pauses.clear()

    def summary(self) -> str:
        return "; ".join(
            f"gen{g}: {len(p)} runs, total {sum(p) * 1000:.0f} ms, max {max(p, default=0) * 1000:.1f} ms"
            for g, p in self.pauses.items()
        )


# --- counting SQL round trips --------------------------------------------------------------------------------


class RoundTrips:
    """Statements through the cursor (``before_cursor_execute``) and asyncpg's simple queries (BEGIN, COMMIT,
    ROLLBACK) through a query logger added to every new pooled connection."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.counts: Counter[str] = Counter()
        self.connects = 0  # new pooled connections (each costs a handshake and asyncpg's type introspection)
        self.recording: list[str] | None = None
        event.listen(engine.sync_engine, "before_cursor_execute", self._statement)
        event.listen(engine.sync_engine, "connect", self._connect)

    def _statement(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.counts["statements"] += 1
        if self.recording is not None:
            words = statement.split()
            self.recording.append(" ".join(words[:4]) + (" ..." if len(words) > 4 else ""))

    def _connect(self, dbapi_connection: Any, record: Any) -> None:
        self.connects += 1
        dbapi_connection.driver_connection.add_query_logger(self._simple_query)

    def _simple_query(self, record: Any) -> None:
        word = record.query.strip().split(None, 1)[0].upper().rstrip(";") if record.query.strip() else "?"
        key = word if word in ("BEGIN", "COMMIT", "ROLLBACK") else "other simple"
        self.counts[key] += 1
        if self.recording is not None:
            self.recording.append(word)

    def snapshot(self) -> Counter[str]:
        return Counter(self.counts)

    @staticmethod
    def total(counts: Counter[str]) -> int:
        return sum(counts.values())


class ThreadHops:
    """Counts ``asyncio.to_thread`` calls: aiogram (``CallableObject.call``) runs every plain callable it
    meets as a filter or handler (a bare ``F...`` magic filter, an FSM ``State``) in the default thread
    pool, on every check; each hop costs a thread switch and, under load, a wait for the GIL. Filters
    that are aiogram ``Filter`` objects (``StateFilter``, ``MagicData``, ``CallbackData.filter``) run in
    the event loop."""

    def __init__(self) -> None:
        self.count = 0
        self._to_thread = asyncio.to_thread
        asyncio.to_thread = self._hop

    async def _hop(self, func: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        self.count += 1
        return await self._to_thread(func, *args, **kwargs)

    def close(self) -> None:
        asyncio.to_thread = self._to_thread


# --- the driver -------------------------------------------------------------------------------------------------


@dataclass
class Result:
    updates: int = 0
    seconds: float = 0.0
    cpu: float = 0.0  # this process (the bot's, unless --in-process)
    driver_cpu: float = 0.0  # the driver's process (the same process with --in-process)
    latencies: dict[str, list[float]] = field(default_factory=lambda: {k: [] for k in KINDS})
    sql: Counter[str] = field(default_factory=Counter)
    rates: list[float] = field(default_factory=list)

    def add(self, other: Result) -> None:
        self.updates += other.updates
        self.seconds += other.seconds
        self.cpu += other.cpu
        self.driver_cpu += other.driver_cpu
        for k, v in other.latencies.items():
            self.latencies[k].extend(v)
        self.sql.update(other.sql)
        self.rates.append(other.updates / other.seconds if other.seconds else 0.0)

    def all_latencies(self) -> list[float]:
        return [x for v in self.latencies.values() for x in v]


class LocalDriver:
    """--in-process: the driver object in this process and event loop (the old set-up)."""

    def __init__(self, seed: int) -> None:
        self.driver = Driver(seed)
        self.pid = os.getpid()

    async def start(self, owned: dict[int, list[int]]) -> dict[str, dict[str, str]]:
        return await self.driver.setup(owned)

    async def call(self, cmd: str, **kwargs: Any) -> Any:
        result = getattr(self.driver, cmd)(**kwargs)
        return await result if asyncio.iscoroutine(result) else result

    def done(self, update_id: int, at: float) -> None:
        self.driver.done(update_id, at)

    async def close(self) -> None:
        await self.driver.stop()


class RemoteDriver:
    """The driver in its own process (``bench/_bot_driver.py``), talked to over a Unix socket: requests one at
    a time, and a ``D <update_id> <t>`` line per finished update (written from the logging handler: a
    non-blocking buffered write, flushed by the event loop)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self.proc: asyncio.subprocess.Process | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reader: asyncio.StreamReader | None = None
        self.tmp = tempfile.TemporaryDirectory(prefix="bench_bot_")
        self.pid = 0

    async def start(self, owned: dict[int, list[int]]) -> dict[str, dict[str, str]]:
        path = os.path.join(self.tmp.name, "driver.sock")
        connected: asyncio.Future[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.get_running_loop().create_future()
        )

        async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            if not connected.done():
                connected.set_result((reader, writer))

        server = await asyncio.start_unix_server(on_connect, path, limit=2**24)
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, str(Path(__file__).with_name("_bot_driver.py")), path
        )
        self.pid = self.proc.pid
        try:
            self.reader, self.writer = await asyncio.wait_for(connected, timeout=60)
        finally:
            server.close()
        return await self.call("init", seed=self.seed, owned={str(k): v for k, v in owned.items()})

    async def call(self, cmd: str, **kwargs: Any) -> Any:
        assert self.writer is not None and self.reader is not None
        self.writer.write(json.dumps({"cmd": cmd, **kwargs}).encode() + b"\n")
        raw = await self.reader.readline()
        if not raw:
            raise RuntimeError("the driver process exited")
        reply = json.loads(raw)
        if "error" in reply:
            raise RuntimeError(f"driver: {cmd} failed:\n{reply['error']}")
        return reply["ok"]

    def done(self, update_id: int, at: float) -> None:
        if self.writer is not None:
            self.writer.write(b"D %d %r\n" % (update_id, at))

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.write(b'{"cmd": "exit"}\n')
            with contextlib.suppress(ConnectionError):
                await self.writer.drain()
            self.writer.close()
        if self.proc is not None:
            try:
                await asyncio.wait_for(self.proc.wait(), timeout=15)
            except TimeoutError:
                self.proc.kill()
                await self.proc.wait()
        self.tmp.cleanup()


AnyDriver = LocalDriver | RemoteDriver


async def drive(
    driver: AnyDriver,
    side: str,
    n: int,
    concurrency: int,
    trips: RoundTrips,
    *,
    kind: str | None = None,
    order: list[int] | None = None,
    trim: bool = False,
) -> Result:
    """Run ``n`` updates on ``side`` with ``concurrency`` client loops (in the driver); each loop queues one
    update and waits until this process has finished it. CPU: this process's (the bot's) and the driver's."""
    sql0, cpu0 = trips.snapshot(), cpu_seconds()
    out = await driver.call("drive", side=side, n=n, concurrency=concurrency, kind=kind, order=order, trim=trim)
    cpu = cpu_seconds() - cpu0
    await asyncio.sleep(0)  # let asyncpg's query-logger callbacks (call_soon) run
    result = Result(updates=n, seconds=out["seconds"], cpu=cpu, driver_cpu=out["cpu"])
    for k, v in out["latencies"].items():
        result.latencies[k].extend(v)
    result.sql = trips.snapshot() - sql0
    return result


async def count_round_trips(
    driver: AnyDriver,
    side: str,
    kind: str,
    samples: int,
    trips: RoundTrips,
    hops: ThreadHops,
) -> tuple[float, Counter[str], list[str], list[float], float]:
    """Round trips per update of ``kind``, one update at a time; plus the statements of the last one,
    the latencies (one update in flight) and thread hops per update."""
    total: Counter[str] = Counter()
    last: list[str] = []
    alone: list[float] = []  # latency with nothing else in flight
    uids = await driver.call("uids", side=side)
    # First the same number uncounted: every pooled connection has then prepared this kind's statements
    # (a connection's first use of a statement costs a prepare and, for enum/JSON types, asyncpg's type
    # introspection: steady state is what is counted here; new connections are reported separately).
    await drive(
        driver, side, samples, 1, trips, kind=kind, order=[uids[(i + samples) % len(uids)] for i in range(samples)]
    )
    hops0 = hops.count
    for i in range(samples):
        trips.recording = []
        before = trips.snapshot()
        res = await drive(driver, side, 1, 1, trips, kind=kind, order=[uids[i % len(uids)]])
        alone.extend(res.all_latencies())
        await asyncio.sleep(0)
        await asyncio.sleep(0)
        total.update(trips.snapshot() - before)
        last = trips.recording
    trips.recording = None
    return RoundTrips.total(total) / samples, total, last, alone, (hops.count - hops0) / samples


# --- set-up ------------------------------------------------------------------------------------------------------


async def seed(
    session_factory: async_sessionmaker[AsyncSession], services: Services, managers: int, leads_each: int
) -> dict[int, list[int]]:
    """``managers`` manager users and ``leads_each`` leads each; returns lead ids per manager."""
    owned: dict[int, list[int]] = {}

    async def one(i: int) -> None:
        uid = FIRST_MANAGER + i
        user = await users_svc.ensure_user(
            SqlUnitOfWork(session_factory), user_id=uid, full_name=f"Manager {i}", role="manager", language="en"
        )
        actor = Actor.from_user(user)
        ids = []
        for j in range(leads_each):
            lead = await leads_svc.create_lead(
                SqlUnitOfWork(session_factory),
                services,
                actor,
                source=SOURCES[(i + j) % len(SOURCES)],
                name=f"Company {i}-{j}",
                contact=f"lead{i}x{j}@example.com",
                business_domain=DOMAINS[(i + j) % len(DOMAINS)],
            )
            ids.append(lead.id)
        owned[uid] = ids

    sem = asyncio.Semaphore(8)

    async def bounded(i: int) -> None:
        async with sem:
            await one(i)

    await asyncio.gather(*(bounded(i) for i in range(managers)))
    return owned


def skeleton_dispatcher(session_factory: async_sessionmaker[AsyncSession], lead_of: dict[int, int]) -> Dispatcher:
    """The yardstick: one handler, one ORM INSERT through a plain session, one sendMessage."""
    dp = Dispatcher()

    async def handle(event: Message | CallbackQuery, bot: Bot) -> None:
        user_id = event.from_user.id  # type: ignore[union-attr]
        async with session_factory() as session:
            session.add(
                ActivityRow(
                    lead_id=lead_of[user_id],
                    kind=ActivityKind.CALL,
                    text=None,
                    author="skeleton",
                    created_at=datetime.now(UTC),
                )
            )
            await session.commit()
        await bot.send_message(user_id, "ok")

    dp.message.register(handle)
    dp.callback_query.register(handle)
    return dp


async def start_polling(dp: Dispatcher, bot: Bot, driver: AnyDriver, side: str, pool_size: int) -> asyncio.Task[None]:
    """``dp.start_polling`` with run_bot's arguments (the same for the real bot and the skeleton)."""
    task = asyncio.create_task(
        dp.start_polling(
            bot,
            handle_signals=False,
            close_bot_session=False,
            allowed_updates=dp.resolve_used_update_types(),
            tasks_concurrency_limit=max(1, pool_size),
        )
    )
    await driver.call("polling", side=side)
    return task


async def stop_polling(dp: Dispatcher, task: asyncio.Task[None]) -> None:
    with contextlib.suppress(RuntimeError):
        await dp.stop_polling()
    try:
        await asyncio.wait_for(task, timeout=15)
    except TimeoutError:
        task.cancel()


async def start_py_spy(prefix: str, round_no: int) -> Any:
    """``py-spy record`` (a sampling profiler, if installed) on this process for one of the real bot's rounds:
    collapsed stacks in ``PREFIX.<round>.txt`` (much less overhead than cProfile)."""
    import shutil
    import subprocess

    exe = shutil.which("py-spy") or str(Path(sys.executable).with_name("py-spy"))
    proc = subprocess.Popen(  # noqa: ASYNC220 (starts py-spy and returns at once; it is stopped later)
        [
            exe,
            "record",
            "--pid",
            str(os.getpid()),
            "--rate",
            "250",
            "--format",
            "raw",
            "--nonblocking",
            "-o",
            f"{prefix}.{round_no}.txt",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    await asyncio.sleep(1.0)  # let it attach before the round starts
    return proc


async def stop_py_spy(proc: Any) -> None:
    import signal

    proc.send_signal(signal.SIGINT)
    await asyncio.to_thread(proc.wait, 30)


# --- the run -------------------------------------------------------------------------------------------------------


def _ms(seconds: float) -> str:
    return "-" if math.isnan(seconds) else f"{seconds * 1000:.1f}"


def _row(label: str, count: int, rate: str, lat: list[float], cpu: str, trips: str) -> str:
    return f"  {label:<22}{count:>8}  {rate:>9}  {_ms(pct(lat, 50)):>7}  {_ms(pct(lat, 99)):>7}  {cpu:>10}  {trips:>11}"


async def run(args: argparse.Namespace) -> None:
    settings = Settings(
        _env_file=None, redis_url=None, admin_ids=[], team_leads_chat_id=GROUP, db_pool_size=args.pool_size
    )
    server = server_url(settings)
    loads = [load_average()]
    per_manager = args.updates / args.managers
    # next stage is 10 %; a lead takes 2 of them to reach qualified; 2x margin for the random spread.
    leads_each = args.leads_each or max(4, math.ceil(per_manager * 0.1 / 2 * 2) + 4)
    print(
        f"PostgreSQL {await server_version(server)} at {server.split('@')[-1].rsplit('/', 1)[0]}; "
        f"Python {platform.python_version()}; load {loads[0]}",
        flush=True,
    )

    async with scratch_database(server, "bench_bot") as url:
        await upgrade_async(url)
        engine = make_engine(url, pool_size=settings.db_pool_size)
        trips = RoundTrips(engine)
        session_factory = make_session_factory(engine)
        services = make_services(settings)
        t0 = time.perf_counter()
        owned = await seed(session_factory, services, args.managers, leads_each)
        print(f"seeded {args.managers} managers x {leads_each} leads in {time.perf_counter() - t0:.1f} s", flush=True)

        driver: AnyDriver = LocalDriver(args.seed) if args.in_process else RemoteDriver(args.seed)
        finished = Finished(driver.done)
        hops = ThreadHops()
        event_logger = logging.getLogger("aiogram.event")
        event_logger.setLevel(logging.INFO)
        event_logger.propagate = False
        event_logger.addHandler(finished)
        logging.getLogger("aiogram.dispatcher").setLevel(logging.WARNING)

        polls: list[tuple[Dispatcher, asyncio.Task[None]]] = []
        bots: list[Bot] = []
        try:
            apis = await driver.start(owned)
            bot_settings = settings.model_copy(
                update={"bot_token": SecretStr(apis["bot"]["token"]), "telegram_api_url": apis["bot"]["url"]}
            )
            skel_settings = settings.model_copy(
                update={"bot_token": SecretStr(apis["skeleton"]["token"]), "telegram_api_url": apis["skeleton"]["url"]}
            )
            bot, skel_bot = create_bot(bot_settings), create_bot(skel_settings)
            bots += [bot, skel_bot]
            dp = build_dispatcher(settings=bot_settings, services=services, session_factory=session_factory)
            skel_dp = skeleton_dispatcher(session_factory, {uid: ids[0] for uid, ids in owned.items()})
            # As run_bot does right before polling (one process for both bots: it covers them alike).
            freeze_startup_objects()
            for d, tg_bot, side in ((dp, bot, "bot"), (skel_dp, skel_bot, "skeleton")):
                polls.append((d, await start_polling(d, tg_bot, driver, side, args.pool_size)))
            uids = {side: await driver.call("uids", side=side) for side in SIDES}

            # Warm-up: every manager opens a card, then a mixed run (pool connections, prepared statements).
            warm = min(max(args.updates // 10, 200), 2000)
            for side in SIDES:
                await drive(driver, side, len(uids[side]), args.concurrency, trips, kind="open", order=uids[side])
                await drive(driver, side, warm, args.concurrency, trips, trim=True)
            print(f"warmed up: {len(uids['bot'])} cards opened + {warm} mixed updates per bot", flush=True)

            # Round trips per kind, one update at a time.
            trip_rows: dict[str, tuple[float, Counter[str], list[str], list[float], float]] = {}
            for what in KINDS:
                trip_rows[what] = await count_round_trips(driver, "bot", what, args.count_samples, trips, hops)
            trip_rows["skeleton"] = await count_round_trips(driver, "skeleton", "log", args.count_samples, trips, hops)
            for side in SIDES:
                await driver.call("trim", side=side)

            # Measured rounds, alternating which side goes first.
            results = {"bot": Result(), "skeleton": Result()}
            connects0 = trips.connects
            gc_pauses = GcPauses()
            per_round = max(1, args.updates // args.rounds)
            profiler = cProfile.Profile() if args.profile else None
            for r in range(args.rounds):
                order = ("bot", "skeleton") if r % 2 == 0 else ("skeleton", "bot")
                for name in order:
                    gc.collect()
                    if profiler is not None and name == "bot":
                        profiler.enable()
                    spy = await start_py_spy(args.py_spy, r) if args.py_spy and name == "bot" else None
                    try:
                        res = await drive(driver, name, per_round, args.concurrency, trips, trim=True)
                    finally:
                        if spy is not None:
                            await stop_py_spy(spy)
                    if profiler is not None and name == "bot":
                        profiler.disable()
                    results[name].add(res)
                    print(
                        f"  round {r + 1}/{args.rounds} {name:<8} {res.updates / res.seconds:8.0f} upd/s  "
                        f"p99 {_ms(pct(res.all_latencies(), 99))} ms  load {load_average()}",
                        flush=True,
                    )
                loads.append(load_average())
            if profiler is not None:
                profiler.dump_stats(args.profile)
            connects = trips.connects - connects0
            driver_report = await driver.call("report")
        finally:
            for d, task in polls:
                await stop_polling(d, task)
            for tg_bot in bots:
                await tg_bot.session.close()
            await driver.close()
            event_logger.removeHandler(finished)
            hops.close()
            await engine.dispose()

    # --- report -----------------------------------------------------------------------------------------------
    b, s = results["bot"], results["skeleton"]
    b_rate, s_rate = b.updates / b.seconds, s.updates / s.seconds
    ratio = b_rate / s_rate
    round_ratios = [x / y for x, y in zip(b.rates, s.rates, strict=True)]
    b_all = b.all_latencies()
    print()
    where = (
        "--in-process: the bots, both emulators and the client loops share this process and event loop"
        if args.in_process
        else f"the bots in this process (pid {os.getpid()}); both emulators and the client loops in a separate driver "
        f"process (bench/_bot_driver.py, pid {driver.pid}), over HTTP on 127.0.0.1"
    )
    print(f"Processes: {where}.")
    print(
        f"Driver: long polling — dp.start_polling(getUpdates) on the package's FakeTelegram over HTTP, Bot API "
        f"calls over HTTP (aiogram AiohttpSession); {args.concurrency} updates in flight, {args.managers} managers, "
        f"{b.updates} measured updates per bot in {args.rounds} alternating rounds; pool_size={args.pool_size} = "
        f"tasks_concurrency_limit (as run_bot); Response[T] pinned (create_bot); gc.freeze() after start-up "
        f"(freeze_startup_objects, as run_bot)."
    )
    print(
        "Latency: from the driver queueing the update in the emulator to aiogram's 'Update id=N is handled' in "
        "the bot's process (after the handler's last Bot API call returned); both times read from CLOCK_MONOTONIC "
        "(one clock for all processes on Linux). CPU ms/upd: the bot's process only (with --in-process: the "
        "whole process)."
    )
    print(
        "SQL round trips: before_cursor_execute statements + asyncpg BEGIN/COMMIT/ROLLBACK (query logger), "
        f"counted sequentially, {args.count_samples} updates per kind after as many uncounted ones."
    )
    print()
    head = (
        f"  {'':<22}{'updates':>8}  {'upd/s':>9}  {'p50 ms':>7}  {'p99 ms':>7}  {'CPU ms/upd':>10}  {'SQL trips':>11}"
    )
    print(head)
    stmts_per = RoundTrips.total(b.sql) / b.updates
    print(
        _row("real bot (mix)", b.updates, f"{b_rate:.0f}", b_all, f"{b.cpu / b.updates * 1000:.2f}", f"{stmts_per:.2f}")
    )
    for what in KINDS:
        per = trip_rows[what][0]
        detail = f"{per:.1f}"
        print(_row("  " + KIND_NAMES[what], len(b.latencies[what]), "", b.latencies[what], "", detail))
    s_per = RoundTrips.total(s.sql) / s.updates
    print(
        _row(
            "skeleton", s.updates, f"{s_rate:.0f}", s.all_latencies(), f"{s.cpu / s.updates * 1000:.2f}", f"{s_per:.2f}"
        )
    )
    print()
    for what in (*KINDS, "skeleton"):
        per, counts, last, alone, hopped = trip_rows[what]
        parts = ", ".join(f"{k} {v / args.count_samples:.1f}" for k, v in sorted(counts.items()))
        print(
            f"  round trips, {KIND_NAMES.get(what, what):<13} {per:.1f}  ({parts}); alone in flight: "
            f"p50 {_ms(pct(alone, 50))} ms, max {_ms(max(alone))} ms; thread hops {hopped:.1f}"
        )
        print(f"      e.g. {' | '.join(last)}")
    print()
    log_trips = trip_rows["log"][0]
    p99 = pct(b_all, 99)
    print(
        f"ratio bot/skeleton: {ratio:.2f} (per round: {', '.join(f'{x:.2f}' for x in round_ratios)}; "
        f"median {statistics.median(round_ratios):.2f})"
    )
    print(
        f"new DB connections opened during the measured rounds: {connects} (pool_size={args.pool_size}, "
        f"max_overflow={args.pool_size}: overflow connections are closed when returned to a full pool; asyncpg "
        f"then re-prepares statements and introspects types on the new ones: the 'other simple' round trips)"
    )
    print(
        f"garbage collector during the measured rounds (both bots, after freeze_startup_objects()): "
        f"{gc_pauses.summary()}"
    )
    rss_what = (
        "whole process: both bots, both emulators, the clients"
        if args.in_process
        else "the bots' process: both bots, seeding, no emulator"
    )
    print(f"peak RSS: {peak_rss_mb():.0f} MB ({rss_what}); RSS now {current_rss_mb():.0f} MB")
    if not args.in_process:
        print(
            f"driver process (emulators + clients): CPU {b.driver_cpu / b.updates * 1000:.2f} ms/upd while driving "
            f"the real bot ({b.driver_cpu / b.seconds * 100:.0f} % of a core), {s.driver_cpu / s.updates * 1000:.2f} "
            f"ms/upd for the skeleton ({s.driver_cpu / s.seconds * 100:.0f} % of a core); peak RSS "
            f"{driver_report['peak_rss_mb']:.0f} MB"
        )
        print(
            f"bot process busy: {b.cpu / b.seconds * 100:.0f} % of a core (real bot), "
            f"{s.cpu / s.seconds * 100:.0f} % (skeleton)"
        )
    print(
        "thread hops: asyncio.to_thread calls per update (aiogram runs plain-callable filters, e.g. a bare F "
        "filter or an FSM State, in the thread pool; StateFilter/MagicData objects run in the event loop)"
    )
    print(f"load average (1/5/15 min) before and after each round: {' -> '.join(loads)}")
    deviations = driver_report["deviations"]
    alerts = sum(driver_report["alerts"].values())
    print(
        f"alerts shown: {alerts} {driver_report['alerts'] if alerts else ''}; "
        f"handler errors: {sum(finished.errors.values())} "
        f"{dict(finished.errors) if finished.errors else ''}; not handled: {finished.not_handled}; "
        f"mix deviations (no fresh lead left): {deviations}"
    )
    print()
    print("targets:")
    print(f"  rate >= 0.7 x skeleton        {ratio:.2f}    {'OK' if ratio >= 0.7 else 'MISSED'}")
    print(f"  p99 < 50 ms at {args.concurrency} in flight   {p99 * 1000:.1f} ms {'OK' if p99 < 0.05 else 'MISSED'}")
    print(f"  <= 5 round trips, log activity {log_trips:.1f}     {'OK' if log_trips <= 5 else 'MISSED'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--updates", type=int, default=20_000, help="measured updates per bot")
    parser.add_argument("--managers", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=16, help="updates in flight")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds (bot/skeleton)")
    parser.add_argument(
        "--pool-size",
        type=int,
        default=10,
        help="SQLAlchemy pool_size (max_overflow the same) and tasks_concurrency_limit, as DB_POOL_SIZE in run_bot",
    )
    parser.add_argument("--leads-each", type=int, default=0, help="leads per manager (default: enough for the run)")
    parser.add_argument("--count-samples", type=int, default=40, help="updates per kind in the round-trip pass")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--in-process",
        action="store_true",
        help="the old set-up: emulators and client loops in the bots' process and event loop",
    )
    parser.add_argument("--profile", metavar="FILE", help="cProfile the real bot's measured rounds into FILE")
    parser.add_argument(
        "--py-spy",
        metavar="PREFIX",
        help="sample the real bot's rounds with py-spy (pip install py-spy) into PREFIX.<round>.txt",
    )
    args = parser.parse_args()
    if args.concurrency > args.managers:
        parser.error("--concurrency must not exceed --managers (one update in flight per manager)")
    asyncio.run(run(args))


if __name__ == "__main__":
    main()
