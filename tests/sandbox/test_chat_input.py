"""The terminal chat's input: a short number presses a button, a long one (a phone typed without spaces) is text."""

from __future__ import annotations

from typing import Any

from sandbox.chat import ChatRepl
from sandbox.emulator import FakeTelegram


async def _read(prompt: str) -> str | None:
    return None


async def test_a_phone_typed_as_digits_goes_to_the_bot_and_a_short_number_presses_a_button() -> None:
    fake = FakeTelegram()
    out: list[str] = []
    sent: list[str] = []

    def send_text(user: Any, text: str, *, chat_id: int | None = None) -> int:
        sent.append(text)
        return len(sent)

    fake.send_text = send_text  # type: ignore[method-assign]
    repl = ChatRepl(fake, read=_read, write=out.append)
    await repl.handle("89991112233")
    assert sent == ["89991112233"]
    await repl.handle("3")
    assert sent == ["89991112233"]  # a button number, not a message
    assert any("no buttons" in line for line in out)
