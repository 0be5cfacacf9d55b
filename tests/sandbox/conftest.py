from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from sandbox.emulator import FakeTelegram


@pytest.fixture
async def fake_tg() -> AsyncIterator[FakeTelegram]:
    fake = FakeTelegram()
    await fake.start()
    yield fake
    await fake.stop()
