"""``core.services.importer._pipelined``: the next batch is parsed in a thread while the current one is stored."""

import asyncio
import threading

import pytest

from core.services.importer import _pipelined


async def test_batches_are_stored_in_order_and_parsed_off_the_event_loop() -> None:
    loop_thread = threading.get_ident()
    parsed_in: list[int] = []
    stored: list[list[int]] = []

    def batches():
        for n in range(3):
            parsed_in.append(threading.get_ident())
            yield [n, n]

    async def store(batch):
        stored.append(batch)
        await asyncio.sleep(0)

    await _pipelined(batches(), store)
    assert stored == [[0, 0], [1, 1], [2, 2]]
    assert loop_thread not in parsed_in


async def test_a_failed_store_waits_for_the_parse_under_way_and_raises_its_own_error() -> None:
    finished = threading.Event()

    def batches():
        yield [1]
        try:
            raise ValueError("the next batch is broken too")
        finally:
            finished.set()

    async def store(batch):
        await asyncio.sleep(0.05)
        raise RuntimeError("storing failed")

    with pytest.raises(RuntimeError, match="storing failed"):
        await _pipelined(batches(), store)
    assert finished.is_set()  # no parse left running behind the failed import


async def test_a_parse_error_is_raised_after_the_batch_being_stored() -> None:
    stored = []

    def batches():
        yield [1]
        raise ValueError("line 502 is broken")

    async def store(batch):
        stored.append(batch)

    with pytest.raises(ValueError, match="line 502"):
        await _pipelined(batches(), store)
    assert stored == [[1]]
