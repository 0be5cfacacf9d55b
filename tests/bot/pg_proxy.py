"""A TCP proxy in front of the test PostgreSQL that a test can take down and bring back: a database outage for
one test's bot, without touching the server the other tests (and agents) use.

    proxy = await PgProxy.start("127.0.0.1", 5432)
    engine = make_engine(proxy.url(database_url))
    proxy.down()   # new connections are refused, open ones are cut
    await proxy.up()
"""

from __future__ import annotations

import asyncio
import contextlib

from sqlalchemy.engine import make_url


class PgProxy:
    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = 0
        self._server: asyncio.Server | None = None
        self._open: set[asyncio.StreamWriter] = set()

    @classmethod
    async def start(cls, target_host: str, target_port: int) -> PgProxy:
        proxy = cls(target_host, target_port)
        await proxy.up()
        return proxy

    def url(self, database_url: str) -> str:
        """``database_url`` through the proxy."""
        return make_url(database_url).set(host="127.0.0.1", port=self.port).render_as_string(hide_password=False)

    async def up(self) -> None:
        """Accept connections again (on the same port)."""
        self._server = await asyncio.start_server(self._pipe, "127.0.0.1", self.port)
        self.port = self._server.sockets[0].getsockname()[1]

    def down(self) -> None:
        """Refuse new connections and cut the open ones at once (callable from synchronous code)."""
        if self._server is not None:
            self._server.close()
            self._server = None
        for writer in list(self._open):
            writer.transport.abort()
        self._open.clear()

    @property
    def is_up(self) -> bool:
        return self._server is not None

    async def _pipe(self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection(*self.target)
        except OSError:
            client_writer.transport.abort()
            return
        if not self.is_up:  # went down while connecting
            client_writer.transport.abort()
            server_writer.transport.abort()
            return
        self._open.update((client_writer, server_writer))
        await asyncio.gather(
            self._copy(client_reader, server_writer), self._copy(server_reader, client_writer), return_exceptions=True
        )
        for writer in (client_writer, server_writer):
            self._open.discard(writer)
            writer.transport.abort()

    @staticmethod
    async def _copy(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(OSError, asyncio.IncompleteReadError):
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        writer.transport.abort()

    async def close(self) -> None:
        self.down()
