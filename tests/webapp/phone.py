"""A phone in the test browser: opens the board as a Telegram user and drags cards by mouse or by finger.

Three ways in, as the board is really opened:
- ``open(user)``: as a Telegram client opens a Mini App — the signed initData and the theme in the URL fragment
  (``#tgWebAppData=...&tgWebAppThemeParams=...``), read by the board's ``tg.js``;
- ``open(user, spy=True)``: a ``window.Telegram.WebApp`` put there before the page loads (as telegram-web-app.js
  would be) that records the calls the board makes (``ready``, ``expand``, ``disableVerticalSwipes``...);
- ``open(user, dev=True)``: the sandbox's dev login URL (``#dev_init=...``) in a normal browser.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any
from urllib.parse import quote

from tests.initdata import sign_init_data

THEME = {"bg_color": "#ffffff", "text_color": "#000000", "button_color": "#3390ec", "button_text_color": "#ffffff"}

SPY = """
window.__tgCalls = [];
window.Telegram = {WebApp: {
  initData: %s, initDataUnsafe: {}, themeParams: {}, colorScheme: "light",
  ready() { __tgCalls.push("ready"); }, expand() { __tgCalls.push("expand"); },
  disableVerticalSwipes() { __tgCalls.push("disableVerticalSwipes"); },
  enableVerticalSwipes() { __tgCalls.push("enableVerticalSwipes"); },
}};
"""


class Phone:
    def __init__(self, page: Any, base_url: str, bot_token: str, shots: Path, test_name: str) -> None:
        self.page = page
        self.base_url = base_url
        self.bot_token = bot_token
        self.shots = shots
        self.test_name = test_name.replace("[", "-").replace("]", "")
        self.page_errors: list[str] = []
        self.dialogs: list[str] = []
        self.responses: list[tuple[int, str]] = []
        self._seen = 0  # the last notice read
        page.on("pageerror", lambda error: self.page_errors.append(str(error)))
        page.on("dialog", self._dialog)
        page.on("response", lambda response: self.responses.append((response.status, response.url)))

    async def _dialog(self, dialog: Any) -> None:
        self.dialogs.append(dialog.message)
        await dialog.dismiss()

    def init_data(self, user_id: int, **kwargs: Any) -> str:
        return sign_init_data(self.bot_token, user_id, **kwargs)

    async def open(
        self,
        user_id: int | None = None,
        *,
        init_data: str | None = None,
        spy: bool = False,
        dev: bool = False,
        query: str = "",
        wait: bool = True,
        **sign: Any,
    ) -> None:
        """Open the board as ``user_id`` (or with the given raw ``init_data``); waits for the first board."""
        data = init_data if init_data is not None else self.init_data(user_id, **sign)  # type: ignore[arg-type]
        url = f"{self.base_url}/app/{query}"
        if spy:
            await self.page.add_init_script(SPY % json.dumps(data))
        elif dev:
            url += "#dev_init=" + quote(data, safe="")
        else:
            url += (
                "#tgWebAppData=" + quote(data, safe="") + "&tgWebAppVersion=8.0&tgWebAppPlatform=android"
                "&tgWebAppThemeParams=" + quote(json.dumps(THEME), safe="")
            )
        await self.page.goto(url)
        if wait:
            await self.page.wait_for_selector("body[data-loaded]")

    def card(self, name: str) -> Any:
        return self.page.locator(".card", has=self.page.locator(".name", has_text=name))

    def column(self, stage: str) -> Any:
        return self.page.locator(f'#board .column[data-stage="{stage}"]')

    async def names_in(self, stage: str) -> list[str]:
        return await self.column(stage).locator(".card .name").all_text_contents()

    async def count_of(self, stage: str) -> int:
        return int(await self.column(stage).locator(".count").text_content())

    async def notice(self, timeout: float = 10.0) -> str:
        """The next notice the board shows (the server's note, or why it refused) after the last one read."""
        node = self.page.locator("#notice")
        for _ in range(int(timeout / 0.05)):
            seq = int(await node.get_attribute("data-seq") or 0)
            if seq > self._seen:
                self._seen = seq
                said = await node.text_content()
                await self.page.wait_for_selector("body:not([data-busy])")  # the detail is read again
                return said
            await asyncio.sleep(0.05)
        raise AssertionError(f"no notice after #{self._seen} within {timeout} s")

    async def notice_kind(self) -> str:
        return (await self.page.locator("#notice").get_attribute("class") or "").replace("notice", "").strip()

    async def _points(self, card: Any, stage: str) -> tuple[tuple[float, float], tuple[float, float]]:
        await card.scroll_into_view_if_needed()
        start = await card.bounding_box()
        target = await self.column(stage).locator(".cards").bounding_box()
        begin = (start["x"] + start["width"] / 2, start["y"] + start["height"] / 2)
        end = (target["x"] + target["width"] / 2, target["y"] + min(target["height"] / 2, 40))
        return begin, end

    async def drag_by_mouse(self, card: Any, stage: str) -> None:
        """Press, move in steps, release — real mouse input (pointer events of type mouse)."""
        (x0, y0), (x1, y1) = await self._points(card, stage)
        mouse = self.page.mouse
        await mouse.move(x0, y0)
        await mouse.down()
        await mouse.move(x0 + 8, y0 + 4, steps=4)
        await mouse.move(x1, y1, steps=15)
        await asyncio.sleep(0.1)
        await mouse.up()

    async def drag_by_touch(self, card: Any, stage: str, *, hold: float = 0.35) -> None:
        """A finger: touch, hold (a long press starts the drag, a quick swipe scrolls), move, lift —
        Chrome's own touch input through DevTools, which fires touch and pointer events of type touch."""
        (x0, y0), (x1, y1) = await self._points(card, stage)
        cdp = await self.page.context.new_cdp_session(self.page)

        async def touch(kind: str, x: float | None = None, y: float | None = None) -> None:
            points = [] if x is None else [{"x": x, "y": y, "id": 1, "radiusX": 4, "radiusY": 4, "force": 1}]
            await cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": points})

        await touch("touchStart", x0, y0)
        await asyncio.sleep(hold)
        steps = 15
        for i in range(1, steps + 1):
            await touch("touchMove", x0 + (x1 - x0) * i / steps, y0 + (y1 - y0) * i / steps)
            await asyncio.sleep(0.02)
        await asyncio.sleep(0.1)
        await touch("touchEnd")
        await cdp.detach()

    async def shot(self, what: str) -> Path:
        """A screenshot a person can look at: var/screenshots/board/<test>-<what>.png."""
        path = self.shots / f"{self.test_name}-{what}.png"
        await self.page.screenshot(path=str(path))
        return path
