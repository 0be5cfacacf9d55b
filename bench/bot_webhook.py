"""Open-loop benchmark of webhook mode (not a test): updates arrive at a fixed rate, as from Telegram.

    .venv/bin/python bench/bot_webhook.py                        # 1 replica, 30 and 100 updates/s, 20 s each
    .venv/bin/python bench/bot_webhook.py --rates 30 --seconds 60
    .venv/bin/python bench/bot_webhook.py --replicas 2 --rates 100

What it does:
1. creates a throw-away database on DATABASE_URL's server (or 127.0.0.1:5432), migrates it and seeds
   ``--managers`` managers with ``--leads-each`` leads each; dropped at the end;
2. starts ``--replicas`` real ``leadcrm bot --webhook`` processes against the Bot API emulator, which runs in
   this process with the clients (so the bot processes are alone, as in production);
3. warms up: every lead's card is opened once (``/lead ID``), so presses have a card to act on;
4. for each rate: an update is POSTed to a replica (in turn) every 1/rate seconds, whatever the bot is doing
   (open loop), for ``--seconds``: 30 % open a card (``/lead ID``), 70 % press a call outcome on a card
   (``ld:ao:<id>:<version>:call.no_answer``, the version tracked here: one logged activity each). Latency is
   from just before the POST to the bot's reply reaching the emulator (the card's sendMessage, the press's
   answerCallbackQuery); the POST's own answer time (the acknowledgement Telegram waits for) is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import itertools
import os
import platform
import random
import socket
import sys
import time
from collections import deque
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._common import load_average, pct, scratch_database, server_url, server_version
from bot.callbacks import LeadAction, pack_lead
from core.config import Settings
from core.services import leads as leads_svc
from core.services import users as users_svc
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.uow import SqlUnitOfWork
from core.wiring import make_services
from sandbox.emulator import FakeTelegram
from sandbox.emulator.models import Call
from sandbox.emulator.webhook import SECRET_HEADER

SECRET = "bench-webhook-secret"
FIRST_MANAGER = 700_000


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _webhook_of(target: str) -> Any:
    def matches(call: Call) -> bool:
        return call.params.get("url") == target

    return matches


class Replies:
    """Arrival -> reply times, matched by the emulator's call listener."""

    def __init__(self) -> None:
        self.by_callback: dict[str, float] = {}  # callback query id -> arrival
        self.by_card: dict[tuple[int, str], deque[float]] = {}  # (chat, lead name) -> arrivals
        self.latencies: list[float] = []
        self._quiet = asyncio.Event()

    async def settle(self, timeout: float) -> None:
        """Until every update sent has its reply (or ``timeout``)."""
        if self.outstanding:
            self._quiet.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._quiet.wait(), timeout)

    def expect_press(self, callback_id: str, at: float) -> None:
        self.by_callback[callback_id] = at

    def expect_card(self, chat: int, name: str, at: float) -> None:
        self.by_card.setdefault((chat, name), deque()).append(at)

    @property
    def outstanding(self) -> int:
        return len(self.by_callback) + sum(len(q) for q in self.by_card.values())

    def heard(self, call: Call) -> None:
        now = time.monotonic()
        if call.method.lower() == "answercallbackquery":
            at = self.by_callback.pop(str(call.params.get("callback_query_id")), None)
        elif call.method.lower() == "sendmessage":
            text = str(call.params.get("text") or "")
            key = next((k for k in self.by_card if k[0] == call.params.get("chat_id") and k[1] in text), None)
            at = self.by_card[key].popleft() if key and self.by_card[key] else None
            if key and not self.by_card[key]:
                del self.by_card[key]
        else:
            return
        if at is not None:
            self.latencies.append(now - at)
            if not self.outstanding:
                self._quiet.set()


async def seed(factory: Any, settings: Settings, managers: int, leads_each: int) -> dict[int, list[tuple[int, str]]]:
    services = make_services(settings)
    owned: dict[int, list[tuple[int, str]]] = {}
    for m in range(managers):
        uid = FIRST_MANAGER + m
        user = await users_svc.ensure_user(SqlUnitOfWork(factory), user_id=uid, full_name=f"M{m}", role="manager")
        from core.domain.models import Actor

        actor = Actor.from_user(user)
        owned[uid] = []
        for j in range(leads_each):
            name = f"Bench{m}x{j}"
            lead = await leads_svc.create_lead(SqlUnitOfWork(factory), services, actor, source="partner", name=name)
            owned[uid].append((lead.id, name))
    return owned


async def run(args: argparse.Namespace) -> None:
    settings = Settings(_env_file=None, redis_url=None)
    server = server_url(settings)
    print(f"PostgreSQL {await server_version(server)}; Python {platform.python_version()}; load {load_average()}")
    async with scratch_database(server, "bench_webhook") as url:
        await upgrade_async(url)
        engine = make_engine(url, pool_size=4)
        owned = await seed(make_session_factory(engine), settings, args.managers, args.leads_each)
        await engine.dispose()
        fake = FakeTelegram()
        await fake.start()
        replies = Replies()
        fake.listeners.append(replies.heard)
        for uid in owned:
            fake.user(uid, f"M{uid}", language_code="en")
        procs, targets = [], []
        log = args.log_file
        try:
            for _ in range(args.replicas):
                port = _free_port()
                target = f"http://127.0.0.1:{port}/telegram"
                env = {
                    **os.environ,
                    "BOT_TOKEN": fake.token,
                    "TELEGRAM_API_URL": fake.url,
                    "DATABASE_URL": url,
                    "WEBHOOK_URL": target,
                    "WEBHOOK_SECRET": SECRET,
                    "WEBHOOK_PORT": str(port),
                    "DB_POOL_SIZE": str(args.pool_size),
                    "REDIS_URL": "",
                    "ADMIN_IDS": "",
                    "TEAM_LEADS_CHAT_ID": "",
                }
                after = len(fake.calls) - 1
                leadcrm = str(Path(sys.executable).with_name("leadcrm"))
                procs.append(
                    await asyncio.create_subprocess_exec(leadcrm, "bot", "--webhook", env=env, stdout=log, stderr=log)
                )
                await fake.wait_for("setWebhook", after=after, timeout=180, predicate=_webhook_of(target))
                targets.append(target)
            await measure(args, fake, replies, owned, targets)
        finally:
            for proc in procs:
                proc.terminate()
            for proc in procs:
                await proc.wait()
            await fake.stop()


async def measure(
    args: argparse.Namespace,
    fake: FakeTelegram,
    replies: Replies,
    owned: dict[int, list[tuple[int, str]]],
    targets: list[str],
) -> None:
    rng = random.Random(args.seed)
    versions: dict[int, int] = {}
    turn = itertools.count()
    acks: list[float] = []
    refused = 0

    async with aiohttp.ClientSession() as http:

        async def post(update_id: int) -> None:
            nonlocal refused
            body = fake.state.updates_by_id[update_id]
            fake.state.queue.clear()  # nobody polls: the update goes by the POST alone
            started = time.monotonic()
            target = targets[next(turn) % len(targets)]
            async with http.post(target, json=body, headers={SECRET_HEADER: SECRET}) as response:
                if response.status != 200:
                    refused += 1
            acks.append(time.monotonic() - started)

        def open_card(uid: int, lead_id: int, name: str) -> int:
            update_id = fake.send_text(fake.state.users[uid], f"/lead {lead_id}")
            replies.expect_card(uid, name, time.monotonic())
            return update_id

        def press(uid: int, lead_id: int) -> int:
            version = versions.get(lead_id, 1)
            data = pack_lead(LeadAction.LOG_OUTCOME, lead_id, version, "call.no_answer")
            card = fake.state.last_keyboard_message(uid)
            callback_id = fake.press(fake.state.users[uid], card.message_id if card else 1, data)
            versions[lead_id] = version + 1
            replies.expect_press(callback_id, time.monotonic())
            return fake.last_update_id

        # Warm-up: every lead's card once (versions read from the card the bot sent).
        for uid, leads in owned.items():
            for lead_id, name in leads:
                await post(open_card(uid, lead_id, name))
        await replies.settle(60)
        for leads in owned.values():
            for lead_id, _ in leads:
                versions[lead_id] = 1
        print(f"{args.replicas} replica(s), {len(owned)} managers x {args.leads_each} leads; warmed up", flush=True)

        everyone = [(uid, lead_id, name) for uid, leads in owned.items() for lead_id, name in leads]
        for rate in args.rates:
            replies.latencies.clear()
            acks.clear()
            refused = 0
            total = int(rate * args.seconds)
            tasks = []
            start = time.monotonic()
            late = 0
            for i in range(total):
                due = start + i / rate
                delay = due - time.monotonic()
                if delay > 0:
                    await asyncio.sleep(delay)
                elif delay < -0.01:
                    late += 1
                uid, lead_id, name = rng.choice(everyone)
                update_id = open_card(uid, lead_id, name) if rng.random() < 0.3 else press(uid, lead_id)
                tasks.append(asyncio.create_task(post(update_id)))
            await asyncio.gather(*tasks)
            await replies.settle(30)
            lat = replies.latencies
            print(
                f"{rate:>4} updates/s for {args.seconds} s ({total} updates, {args.replicas} replica(s)): "
                f"arrival->reply p50 {pct(lat, 50) * 1000:.1f} ms, p99 {pct(lat, 99) * 1000:.1f} ms, "
                f"max {max(lat, default=float('nan')) * 1000:.0f} ms; ack p50 {pct(acks, 50) * 1000:.1f} ms, "
                f"p99 {pct(acks, 99) * 1000:.1f} ms; replies {len(lat)}/{total}, refused {refused}, "
                f"sent late {late}; load {load_average()}",
                flush=True,
            )
            replies.by_callback.clear()
            replies.by_card.clear()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rates", type=float, nargs="+", default=[30.0, 100.0], help="updates per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="seconds per rate")
    parser.add_argument("--replicas", type=int, default=1)
    parser.add_argument("--managers", type=int, default=100)
    parser.add_argument("--leads-each", type=int, default=5)
    parser.add_argument("--pool-size", type=int, default=10, help="DB_POOL_SIZE of each replica")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--log", default="/tmp/bench_bot_webhook.log", help="the replicas' log lines")
    args = parser.parse_args()
    with Path(args.log).open("ab") as args.log_file:
        asyncio.run(run(args))


if __name__ == "__main__":
    main()
