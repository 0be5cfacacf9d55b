"""A local Telegram Bot API emulator, used by the tests, the benchmark and ``leadcrm sandbox``."""

from sandbox.emulator.models import Call, FakeUser, Message
from sandbox.emulator.server import FakeTelegram

__all__ = ["Call", "FakeTelegram", "FakeUser", "Message"]
