"""``leadcrm sandbox`` prints local URLs that open the pipeline board in a normal browser as each demo user: the
link signs initData with the sandbox's own token and the board's API accepts it — all without Telegram."""

from __future__ import annotations

import asyncio
import os
import re
import socket
import sys
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import httpx


async def _line_with(stream: asyncio.StreamReader, pattern: str, timeout: float) -> str:
    async def read() -> str:
        seen: list[str] = []
        while True:
            line = (await stream.readline()).decode()
            if not line:
                raise AssertionError("the sandbox ended before printing it:\n" + "".join(seen))
            seen.append(line)
            if re.search(pattern, line):
                return line

    return await asyncio.wait_for(read(), timeout)


async def test_the_sandbox_prints_a_board_link_that_opens_as_the_demo_manager(
    database_url: str, committing_factory: Any, tmp_path: Any
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "DATABASE_URL": database_url, "DATA_DIR": str(tmp_path), "API_PORT": str(port)}
    env.pop("BOT_TOKEN", None)
    process = await asyncio.create_subprocess_exec(
        str(Path(sys.executable).with_name("leadcrm")),
        "sandbox",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdout is not None and process.stdin is not None
    try:
        line = await _line_with(process.stdout, r"Max Manager .*dev-login", timeout=90)
        found = re.search(r"http://\S+", line)
        assert found is not None
        url = found.group(0)
        assert url == f"http://127.0.0.1:{port}/app/api/dev-login?user_id=900003"
        async with httpx.AsyncClient(timeout=20) as client:
            login = await client.get(url, follow_redirects=False)
            assert login.status_code == 303
            init_data = unquote(login.headers["location"].split("#dev_init=", 1)[1])
            me = await client.get(f"http://127.0.0.1:{port}/app/api/me", headers={"Authorization": f"tma {init_data}"})
            assert me.status_code == 200 and me.json()["name"] == "Max Manager" and me.json()["role"] == "manager"
            page = await client.get(f"http://127.0.0.1:{port}/app/")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
        process.stdin.write(b":quit\n")
        await process.stdin.drain()
        await asyncio.wait_for(process.wait(), 30)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0
