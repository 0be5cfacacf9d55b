"""A local Telegram Bot API emulator, used by the tests and by ``leadcrm sandbox``."""

from bot.emulator.models import Call, FakeUser, Message
from bot.emulator.server import FakeTelegram

__all__ = ["Call", "FakeTelegram", "FakeUser", "Message"]
