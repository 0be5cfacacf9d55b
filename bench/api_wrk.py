"""REST API throughput under a native load generator (not a test): wrk against one API process, beside a bare
FastAPI + asyncpg endpoint on the same server stack, measured in the same run.

    .venv/bin/python -m bench.api_wrk                 # 20,000 seeded leads, 3 interleaved rounds of 10 s
    .venv/bin/python -m bench.api_wrk --leads 1000000 --seconds 15

Needs ``wrk`` (Debian: ``apt-get install wrk``). What it does, on the PostgreSQL of DATABASE_URL (else
127.0.0.1:5432): creates a throw-away database, migrates and seeds it (``bench.api.seed``), creates an API key,
then starts two server processes, each one uvicorn worker with uvloop + httptools and no access log:
``leadcrm api`` (the product) and ``bench/bare_api.py`` (FastAPI + one asyncpg statement per request: the
yardstick). For each route, in interleaved rounds, wrk (32 connections, 2 threads) drives each server; the
output is req/s, p50/p99 latency and the server's CPU per request (from /proc: the process's own user + system
time over the round), medians of the rounds, and the ratio product / bare. wrk runs in its own process, so the
load generator does not share the Python server's interpreter (on 2 cores it still shares the machine: the
machine is named, and the ratio is what carries from one machine to another).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy.engine import make_url

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.api import _admin, _asyncpg_dsn, _free_port, _server_url, machine, seed
from core.config import Settings
from core.services.api_keys import create_api_key
from core.storage.db import make_engine, make_session_factory
from core.storage.migrate import upgrade_async
from core.storage.uow import SqlUnitOfWork

ROOT = Path(__file__).resolve().parents[1]
CLK_TCK = os.sysconf("SC_CLK_TCK")
POST_LUA = """
wrk.method = "POST"
wrk.body = '{"source": "partner", "name": "Bench Lead"}'
wrk.headers["Content-Type"] = "application/json"
wrk.headers["X-API-Key"] = "%s"
"""
GET_LUA = """
wrk.headers["X-API-Key"] = "%s"
request = function()
  return wrk.format("GET", "/leads/" .. math.random(1, %d))
end
"""


@dataclass
class Round:
    rps: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float  # server CPU per request


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK  # utime + stime


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()  # type: ignore[union-attr]
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def _wrk(url: str, script: Path, seconds: int, connections: int) -> tuple[float, float, float]:
    out = subprocess.run(
        ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "-s", str(script), url],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    p50 = _ms(re.search(r"\s50%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    p99 = _ms(re.search(r"\s99%\s+(\S+)", out).group(1))  # type: ignore[union-attr]
    if "Non-2xx" in out:
        raise RuntimeError(f"wrk saw errors against {url}:\n{out}")
    return rps, p50, p99


class Server:
    def __init__(self, name: str, argv: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [*argv, "--port", str(self.port)], env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )

    def ready(self) -> None:
        with httpx.Client() as client:
            for _ in range(300):
                if self.proc.poll() is not None:
                    error = self.proc.stderr.read().decode()[-2000:] if self.proc.stderr else ""
                    raise RuntimeError(f"{self.name} exited: {error}")
                try:
                    client.get(self.url + "/health", timeout=1)
                    return
                except httpx.HTTPError:
                    time.sleep(0.1)
        raise RuntimeError(f"{self.name} did not start")

    def measure(self, path: str, script: Path, seconds: int, connections: int) -> Round:
        before = _cpu_seconds(self.proc.pid)
        rps, p50, p99 = _wrk(self.url + path, script, seconds, connections)
        cpu = _cpu_seconds(self.proc.pid) - before
        return Round(rps, p50, p99, 1000 * cpu / max(1.0, rps * seconds))

    def stop(self) -> None:
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()


def _median(rounds: list[Round]) -> Round:
    return Round(*(statistics.median(getattr(r, f) for r in rounds) for f in ("rps", "p50_ms", "p99_ms", "cpu_ms")))


def _line(label: str, r: Round) -> str:
    figures = f"p50 {r.p50_ms:6.1f} ms   p99 {r.p99_ms:6.1f} ms   CPU {r.cpu_ms:5.2f} ms/req"
    return f"{label:<38} {r.rps:8.0f} req/s   {figures}"


def _bench(db_url: str, dsn: str, key: str, args: argparse.Namespace) -> None:
    """Both servers up, then each route in interleaved rounds (blocking: servers and wrk are processes)."""
    env = {**os.environ, "DATABASE_URL": db_url, "LOG_FORMAT": "text", "API_ACCESS_LOG": "false"}
    env.pop("BOT_TOKEN", None)
    product = Server("leadcrm api", [str(Path(sys.executable).with_name("leadcrm")), "api"], env)
    bare = Server("bare", [sys.executable, "-m", "bench.bare_api", "--dsn", dsn], env)
    try:
        product.ready()
        bare.ready()
        with tempfile.TemporaryDirectory() as tmp:
            post, get, none = Path(tmp, "post.lua"), Path(tmp, "get.lua"), Path(tmp, "none.lua")
            post.write_text(POST_LUA % key)
            get.write_text(GET_LUA % (key, args.leads))
            none.write_text("")
            routes = [
                ("POST /leads/", "/leads/", post),
                ("GET /leads/{id}", "/", get),
                ("GET /health", "/health", none),
            ]
            rounds = f"{args.seconds} s x {args.rounds} interleaved rounds"
            print(f"wrk: 2 threads, {args.connections} connections, {rounds}")
            for label, path, script in routes:
                product.measure(path, script, 2, args.connections)  # warm-up
                bare.measure(path, script, 2, args.connections)
                mine, yard = [], []
                for _ in range(args.rounds):
                    mine.append(product.measure(path, script, args.seconds, args.connections))
                    yard.append(bare.measure(path, script, args.seconds, args.connections))
                ours, theirs = _median(mine), _median(yard)
                print(_line(label, ours))
                print(_line("  bare FastAPI + asyncpg, same route", theirs))
                print(f"  ratio product / bare: {ours.rps / theirs.rps:.2f}")
    finally:
        product.stop()
        bare.stop()


async def run(args: argparse.Namespace) -> None:
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed (Debian: apt-get install wrk)")
    base = Settings(_env_file=None)
    server_url = _server_url(base)
    name = f"leadcrm_wrk_{uuid.uuid4().hex[:8]}"
    db_url = make_url(server_url).set(database=name).render_as_string(hide_password=False)
    dsn = _asyncpg_dsn(server_url, name)
    print(f"machine: {machine()}; load average before: {os.getloadavg()[0]:.2f}")
    await _admin(server_url, f'CREATE DATABASE "{name}"')
    try:
        await upgrade_async(db_url)
        await seed(dsn, args.leads)
        engine = make_engine(db_url, pool_size=1)
        _, key = await create_api_key(SqlUnitOfWork(make_session_factory(engine)), "bench-wrk")
        await engine.dispose()
        await asyncio.to_thread(_bench, db_url, dsn, key, args)
    finally:
        await _admin(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--leads", type=int, default=20_000)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
