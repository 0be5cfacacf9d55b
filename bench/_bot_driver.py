"""The "Telegram side" of bench/bot.py: the fake Bot API servers and the simulated managers.

By default bench/bot.py runs this module as a separate process (``python bench/_bot_driver.py SOCKET``), so
the bot under test has its process and event loop to itself, as in production, where the Bot API is another
machine. ``--in-process`` uses the same ``Driver`` object inside the bot's process (the old set-up).

Protocol over a Unix socket (one line per message):
- bench -> driver: a request ``{"cmd": ..., ...}`` (JSON), answered by one JSON line ``{"ok": result}`` or
  ``{"error": traceback}``; requests are sent one at a time;
- bench -> driver: ``D <update_id> <t> <handled>``: the bot process finished an update (aiogram's
  "Update id=N is handled"), ``t`` read from CLOCK_MONOTONIC, which is one clock for every process on a Linux
  machine, so it is comparable with the driver's queueing time.

Latency = the bot's "handled" time minus the driver's time right before it queued the update.
"""

from __future__ import annotations

import asyncio
import gc
import json
import random
import resource
import sys
import time
import traceback
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.callbacks import LeadAction, LeadCb
from core.domain.enums import ActivityKind
from sandbox.emulator import FakeTelegram, FakeUser
from sandbox.emulator.models import Call

KINDS = ("log", "open", "analyze", "next")
WEIGHTS = (60, 20, 10, 10)
LOG_KINDS = (ActivityKind.CALL.value, ActivityKind.MESSAGE.value, ActivityKind.MEETING.value)
TRIM_EVERY = 500  # updates between trims of the emulator's bookkeeping
SIDES = ("bot", "skeleton")


def now() -> float:
    """CLOCK_MONOTONIC: system-wide on Linux, so the bot process's and the driver's readings compare."""
    return time.clock_gettime(time.CLOCK_MONOTONIC)


def own_cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# --- simulated managers ----------------------------------------------------------------------------------------


@dataclass
class Manager:
    user: FakeUser
    lead_id: int
    fresh: list[int]  # unused leads, taken when the current one reached qualified
    card_id: int | None = None  # the latest card (or, for the skeleton, the latest message) in the chat
    markup: dict[str, Any] | None = None
    deviations: int = 0


def card_buttons(markup: dict[str, Any] | None) -> tuple[int | None, dict[str, str]]:
    """The lead id on a card's keyboard and its buttons by what they do (log:call, analyze, next, ...)."""
    lead_id: int | None = None
    buttons: dict[str, str] = {}
    for row in (markup or {}).get("inline_keyboard", ()):
        for button in row:
            data = button.get("callback_data") or ""
            if not data.startswith(LeadCb.__prefix__ + LeadCb.__separator__):
                continue
            if lead_id is None:
                lead_id = LeadCb.unpack(data).id
            action = data.split(LeadCb.__separator__, 3)[1]
            if action == LeadAction.LOG:
                buttons["log:" + LeadCb.unpack(data).x] = data
            elif action == LeadAction.ANALYZE:
                buttons["analyze"] = data
            elif action == LeadAction.NEXT:
                buttons["next"] = data
            elif action == LeadAction.TRANSFER:
                buttons["transfer"] = data
    return lead_id, buttons


class World:
    """The emulator side: managers, and a listener that remembers each manager's latest card."""

    def __init__(self, fake: FakeTelegram, managers: list[Manager], *, cards: bool) -> None:
        self.fake = fake
        self.managers = {m.user.id: m for m in managers}
        self.cards = cards
        self.alerts: Counter[str] = Counter()
        fake.listeners.append(self._on_call)

    def _on_call(self, call: Call) -> None:
        if not call.ok:
            return
        method = call.method
        if method in ("sendMessage", "editMessageText"):
            manager = self.managers.get(call.params.get("chat_id"))  # type: ignore[arg-type]
            if manager is None or not isinstance(call.result, dict):
                return
            markup = call.result.get("reply_markup")
            if not self.cards:
                manager.card_id = call.result["message_id"]
            elif markup and markup.get("inline_keyboard"):
                manager.card_id, manager.markup = call.result["message_id"], markup
        elif method == "answerCallbackQuery" and call.params.get("show_alert"):
            self.alerts[str(call.params.get("text"))[:60]] += 1

    def trim(self, *, in_flight: bool = False) -> None:
        """Forget the emulator's bookkeeping (recorded calls, sent updates, old chat messages), which Telegram,
        not the bot, would hold: left to grow, it makes every full garbage collection scan it.
        ``in_flight``: updates may be in flight, so unanswered callback queries are kept."""
        # the latest card (and the /lead that asked for it) stay
        self.fake.forget_history(keep_messages=4, keep_unanswered=in_flight)


def bot_update(world: World, m: Manager, kind: str, rng: random.Random) -> int:
    """Queue the manager's next update of ``kind`` for the real bot; returns the update id."""
    fake = world.fake
    shown, buttons = card_buttons(m.markup)
    if shown == m.lead_id and "next" not in buttons:  # qualified (or final): move on to a fresh lead
        if m.fresh:
            m.lead_id = m.fresh.pop()
        else:
            m.deviations += 1
            kind = "log" if kind == "next" else kind
    if kind == "open" or m.card_id is None:
        return fake.send_text(m.user, f"/lead {m.lead_id}")
    log_kind = rng.choice(LOG_KINDS)
    if shown == m.lead_id:
        key = {"log": "log:" + log_kind, "analyze": "analyze", "next": "next"}[kind]
        data = buttons.get(key)
        if data is None:  # no next button and no fresh lead left
            m.deviations += 1
            data = buttons["log:" + log_kind]
    else:
        # The card still shows the previous lead: press this lead's button (it has version 1: untouched).
        action = {"log": LeadAction.LOG, "analyze": LeadAction.ANALYZE, "next": LeadAction.NEXT}[kind]
        data = LeadCb(a=action, id=m.lead_id, v=1, x=log_kind if kind == "log" else "").pack()
    fake.press(m.user, m.card_id, data)
    return fake.last_update_id


def skeleton_update(world: World, m: Manager, kind: str, rng: random.Random) -> int:
    """The same update types for the skeleton: button presses (80 %) and ``/lead ID`` messages (20 %)."""
    fake = world.fake
    if kind == "open" or m.card_id is None:
        return fake.send_text(m.user, f"/lead {m.lead_id}")
    action = {"log": LeadAction.LOG, "analyze": LeadAction.ANALYZE, "next": LeadAction.NEXT}[kind]
    data = LeadCb(a=action, id=m.lead_id, v=1, x=rng.choice(LOG_KINDS) if kind == "log" else "").pack()
    fake.press(m.user, m.card_id, data)
    return fake.last_update_id


MAKERS: dict[str, Callable[[World, Manager, str, random.Random], int]] = {
    "bot": bot_update,
    "skeleton": skeleton_update,
}


# --- the driver ----------------------------------------------------------------------------------------------


class Driver:
    """Both emulators and the client loops. The same object serves the separate process and --in-process."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.fakes = {
            "bot": FakeTelegram(),
            "skeleton": FakeTelegram(bot_id=7000002, token="7000002:SKELETON"),
        }
        self.worlds: dict[str, World] = {}
        self.futures: dict[int, asyncio.Future[float]] = {}

    async def setup(self, owned: dict[int, list[int]]) -> dict[str, dict[str, str]]:
        """Start both emulators and create the managers; returns each side's Bot API url and token."""
        out = {}
        for side, fake in self.fakes.items():
            await fake.start()
            managers = []
            for i, (uid, ids) in enumerate(sorted(owned.items())):
                user = fake.user(uid, f"Manager {i}", language_code="en")
                managers.append(Manager(user=user, lead_id=ids[0], fresh=list(reversed(ids[1:]))))
            self.worlds[side] = World(fake, managers, cards=side == "bot")
            out[side] = {"url": fake.url, "token": fake.token}
        return out

    async def polling(self, side: str) -> None:
        """Wait until the side's bot sent its first getUpdates."""
        await self.fakes[side].wait_for("getUpdates", timeout=15, finished=False)

    def done(self, update_id: int, at: float) -> None:
        """The bot finished ``update_id`` at ``at`` (CLOCK_MONOTONIC)."""
        future = self.futures.pop(update_id, None)
        if future is not None and not future.done():
            future.set_result(at)

    async def drive(
        self,
        side: str,
        n: int,
        concurrency: int,
        kind: str | None = None,
        order: list[int] | None = None,
        trim: bool = False,
    ) -> dict[str, Any]:
        """Run ``n`` updates with ``concurrency`` client loops; each loop queues one update for an idle manager
        and waits until the bot finished it. ``order``: these managers (user ids) in this order, cycling;
        default: all managers shuffled. Returns latencies per kind, wall seconds and the driver's CPU."""
        world = self.worlds[side]
        make_update = MAKERS[side]
        rng = self.rng
        managers = world.managers
        idle = deque(
            [managers[uid] for uid in order]
            if order is not None
            else rng.sample(list(managers.values()), len(managers))
        )
        latencies: dict[str, list[float]] = {k: [] for k in KINDS}
        remaining = n
        loop = asyncio.get_running_loop()
        cpu0, t0 = own_cpu_seconds(), now()

        async def client() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                if remaining % TRIM_EVERY == 0:
                    world.trim(in_flight=True)
                manager = idle.popleft()
                what = kind or rng.choices(KINDS, WEIGHTS)[0]
                started = now()
                update_id = make_update(world, manager, what, rng)
                future: asyncio.Future[float] = loop.create_future()
                self.futures[update_id] = future
                try:
                    done_at = await asyncio.wait_for(future, timeout=60)
                except TimeoutError:
                    raise RuntimeError(
                        f"update {update_id} ({what}) not handled in 60 s\n{world.fake.dump()}"
                    ) from None
                latencies[what].append(done_at - started)
                idle.append(manager)

        await asyncio.gather(*(client() for _ in range(min(concurrency, len(idle), n))))
        seconds = now() - t0
        cpu = own_cpu_seconds() - cpu0
        if trim:
            world.trim()
        return {"latencies": latencies, "seconds": seconds, "cpu": cpu}

    def trim(self, side: str) -> None:
        self.worlds[side].trim()

    def uids(self, side: str) -> list[int]:
        return list(self.worlds[side].managers)

    def report(self) -> dict[str, Any]:
        usage = resource.getrusage(resource.RUSAGE_SELF)
        world = self.worlds["bot"]
        return {
            "alerts": dict(world.alerts),
            "deviations": sum(m.deviations for m in world.managers.values()),
            "peak_rss_mb": usage.ru_maxrss / 1024,
            "cpu": usage.ru_utime + usage.ru_stime,
        }

    async def stop(self) -> None:
        for fake in self.fakes.values():
            await fake.stop()


# --- the separate process ------------------------------------------------------------------------------------


async def serve(socket_path: str) -> None:
    reader, writer = await asyncio.open_unix_connection(socket_path, limit=2**24)
    driver: Driver | None = None
    pending: set[asyncio.Task[None]] = set()

    async def answer(request: dict[str, Any]) -> None:
        nonlocal driver
        try:
            cmd = request.pop("cmd")
            if cmd == "init":
                driver = Driver(request["seed"])
                result: Any = await driver.setup({int(k): v for k, v in request["owned"].items()})
                gc.collect()
                gc.freeze()  # the emulators' start-up objects, as the bot process freezes its own
            else:
                assert driver is not None
                method = getattr(driver, cmd)
                result = method(**request)
                if asyncio.iscoroutine(result):
                    result = await result
            line = json.dumps({"ok": result})
        except Exception:
            line = json.dumps({"error": traceback.format_exc()})
        writer.write(line.encode() + b"\n")

    try:
        while True:
            raw = await reader.readline()
            if not raw:
                break
            if raw[:1] == b"D":
                _, update_id, at = raw.split()
                if driver is not None:
                    driver.done(int(update_id), float(at))
                continue
            request = json.loads(raw)
            if request.get("cmd") == "exit":
                break
            task = asyncio.create_task(answer(request))
            pending.add(task)
            task.add_done_callback(pending.discard)
    finally:
        if driver is not None:
            await driver.stop()
        writer.close()


def main() -> None:
    asyncio.run(serve(sys.argv[1]))


if __name__ == "__main__":
    main()
