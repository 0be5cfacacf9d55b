"""The Telegram Bot API emulator, driven by a real aiogram Bot over HTTP and a real Dispatcher."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast

import aiohttp
import pytest
from aiogram import Bot, Dispatcher, F
from aiogram.exceptions import (
    TelegramBadRequest,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.filters import Command, CommandObject, CommandStart
from aiogram.types import (
    BotCommand,
    BotCommandScopeAllPrivateChats,
    CallbackQuery,
    InaccessibleMessage,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    TelegramObject,
    Update,
)
from aiogram.types import Message as TgMessage

from sandbox.emulator import FakeTelegram


def keyboard(*labels: str) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        inline_keyboard=[[InlineKeyboardButton(text=label, callback_data=f"btn:{label.lower()}")] for label in labels]
    )


@pytest.fixture
async def bot(fake_tg: FakeTelegram) -> AsyncIterator[Bot]:
    bot = fake_tg.make_bot()
    yield bot
    await bot.session.close()


@pytest.fixture
async def polling(fake_tg: FakeTelegram, bot: Bot) -> AsyncIterator[dict[str, list[int]]]:
    """A tiny real Dispatcher: /start echoes its payload with a keyboard, buttons edit the card."""
    seen: dict[str, list[int]] = {"updates": []}
    dp = Dispatcher()

    async def record(
        handler: Callable[[TelegramObject, dict[str, Any]], Awaitable[Any]],
        event: TelegramObject,
        data: dict[str, Any],
    ) -> Any:
        seen["updates"].append(cast(Update, event).update_id)  # an outer middleware of dp.update sees Updates
        return await handler(event, data)

    # registered by a call, not as `@dp.update.outer_middleware()`: aiogram types the manager's __call__ as
    # returning "a decorator or a middleware", which mypy cannot apply as a decorator
    dp.update.outer_middleware(record)

    @dp.message(CommandStart())
    async def start(message: TgMessage, command: CommandObject) -> None:
        await message.answer(
            f"<b>Hello</b>, {message.from_user.first_name}! payload={command.args}",
            parse_mode="HTML",
            reply_markup=keyboard("Call", "Note"),
        )

    @dp.message(Command("slow"))
    async def slow(message: TgMessage) -> None:
        await asyncio.sleep(0.4)
        await message.answer("done slowly")

    @dp.callback_query(F.data.startswith("btn:"))
    async def pressed(query: CallbackQuery) -> None:
        await query.message.edit_text(f"pressed {query.data}", reply_markup=keyboard("Call", "Note"))
        await query.answer("ok")

    task = asyncio.create_task(dp.start_polling(bot, handle_signals=False, close_bot_session=False, polling_timeout=1))
    await fake_tg.wait_for("getUpdates", finished=False)
    yield seen
    await dp.stop_polling()
    await asyncio.wait_for(task, 5)


async def test_get_me_describes_the_bot(bot: Bot) -> None:
    me = await bot.get_me()
    assert (me.id, me.username, me.is_bot) == (7000001, "leadcrm_bot", True)


async def test_a_wrong_token_is_unauthorized_like_telegram(fake_tg: FakeTelegram) -> None:
    stranger = fake_tg.make_bot(token="7000001:WRONG")
    try:
        with pytest.raises(TelegramUnauthorizedError):
            await stranger.get_me()
    finally:
        await stranger.session.close()
    assert fake_tg.calls[-1].status == 401


async def test_an_unknown_method_answers_404_method_not_found(fake_tg: FakeTelegram) -> None:
    url = f"{fake_tg.url}/bot{fake_tg.token}/sendTelepathy"
    async with aiohttp.ClientSession() as http, http.post(url, data={"chat_id": "1"}) as resp:
        body = await resp.json()
    assert resp.status == 404
    assert body == {"ok": False, "error_code": 404, "description": "Not Found: method not found"}


async def test_a_command_with_a_payload_reaches_the_handler_and_the_reply_is_stored_as_plain_text(
    fake_tg: FakeTelegram, polling: dict[str, list[int]]
) -> None:
    ann = fake_tg.user(101, "Ann")
    fake_tg.send_text(ann, "/start INV42")
    call = await fake_tg.wait_for("sendMessage")
    assert call.params["chat_id"] == 101 and call.params["parse_mode"] == "HTML"
    message = fake_tg.last_message(101)
    assert message.text == "Hello, Ann! payload=INV42"
    assert message.entities == [{"type": "bold", "offset": 0, "length": 5}]
    assert message.button_texts == ["Call", "Note"]


async def test_each_update_is_delivered_once_when_the_offset_confirms_it(
    fake_tg: FakeTelegram, polling: dict[str, list[int]]
) -> None:
    ann = fake_tg.user(101, "Ann")
    ids = [fake_tg.send_text(ann, f"/start n{i}") for i in range(5)]
    await fake_tg.settle()
    assert polling["updates"] == ids
    assert len(fake_tg.messages(101)) == 5
    confirming = [c for c in fake_tg.calls_of("getUpdates") if c.params.get("offset")]
    assert confirming[-1].params["offset"] == ids[-1] + 1


async def test_a_redelivered_update_arrives_again_with_the_same_update_id(
    fake_tg: FakeTelegram, polling: dict[str, list[int]]
) -> None:
    ann = fake_tg.user(101, "Ann")
    first = fake_tg.send_text(ann, "/start once")
    await fake_tg.settle()
    fake_tg.redeliver(first)
    later = fake_tg.send_text(ann, "/start later")
    await fake_tg.settle()
    assert polling["updates"] == [first, first, later]


async def test_get_updates_honours_the_long_poll_timeout_and_the_limit(fake_tg: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == []
    assert 0.9 <= time.monotonic() - started < 3

    ann = fake_tg.user(101, "Ann")
    for i in range(3):
        fake_tg.send_text(ann, f"hello {i}")
    first_two = await bot.get_updates(limit=2)
    assert [u.message.text for u in first_two] == ["hello 0", "hello 1"]
    again = await bot.get_updates(limit=2)  # not confirmed yet: Telegram returns them again
    assert [u.update_id for u in again] == [u.update_id for u in first_two]
    rest = await bot.get_updates(offset=first_two[-1].update_id + 1)
    assert [u.message.text for u in rest] == ["hello 2"]


async def test_a_waiting_long_poll_returns_as_soon_as_an_update_arrives(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    poll = asyncio.create_task(bot.get_updates(timeout=5))
    await fake_tg.wait_for("getUpdates", finished=False)
    started = time.monotonic()
    fake_tg.send_text(ann, "ping")
    updates = await asyncio.wait_for(poll, 3)
    assert [u.message.text for u in updates] == ["ping"]
    assert time.monotonic() - started < 1


async def test_commands_are_stored_per_scope_and_language(fake_tg: FakeTelegram, bot: Bot) -> None:
    ru = [BotCommand(command="start", description="Начать"), BotCommand(command="new", description="Новый лид")]
    en = [BotCommand(command="start", description="Start")]
    await bot.set_my_commands(ru, scope=BotCommandScopeAllPrivateChats())
    await bot.set_my_commands(en, scope=BotCommandScopeAllPrivateChats(), language_code="en")
    assert [c.command for c in await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats())] == ["start", "new"]
    assert [
        c.description for c in await bot.get_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
    ] == ["Start"]
    assert await bot.get_my_commands() == []
    assert fake_tg.commands_for("all_private_chats", "en") == [{"command": "start", "description": "Start"}]
    await bot.delete_my_commands(scope=BotCommandScopeAllPrivateChats(), language_code="en")
    assert fake_tg.commands_for("all_private_chats", "en") == []


async def test_a_pressed_button_edits_the_card_in_place_and_the_query_is_answered(
    fake_tg: FakeTelegram, polling: dict[str, list[int]]
) -> None:
    ann = fake_tg.user(101, "Ann")
    fake_tg.send_text(ann, "/start")
    await fake_tg.wait_for("sendMessage")
    card = fake_tg.last_message(101)
    query_id = fake_tg.press_button(ann, "Note")
    answer = await fake_tg.wait_answered(query_id)
    assert answer.params["text"] == "ok"
    assert [m.message_id for m in fake_tg.messages(101)] == [card.message_id]
    assert fake_tg.last_message(101).text == "pressed btn:note"
    assert fake_tg.last_message(101).edits == 1


async def test_pressing_the_same_button_twice_edits_to_identical_content_which_telegram_refuses(
    fake_tg: FakeTelegram, polling: dict[str, list[int]]
) -> None:
    ann = fake_tg.user(101, "Ann")
    fake_tg.send_text(ann, "/start")
    await fake_tg.wait_for("sendMessage")
    fake_tg.press_button(ann, 0)
    await fake_tg.settle()
    mark = len(fake_tg.calls) - 1
    fake_tg.press_button(ann, 0)
    edit = await fake_tg.wait_for("editMessageText", after=mark)
    assert not edit.ok and edit.status == 400
    assert edit.description.startswith("Bad Request: message is not modified")


async def test_edits_of_unknown_messages_and_identical_edits_raise_bad_request(fake_tg: FakeTelegram, bot: Bot) -> None:
    fake_tg.user(101, "Ann")
    sent = await bot.send_message(101, "card", reply_markup=keyboard("Call"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_text("card", chat_id=101, message_id=sent.message_id, reply_markup=keyboard("Call"))
    with pytest.raises(TelegramBadRequest, match="message is not modified"):
        await bot.edit_message_reply_markup(chat_id=101, message_id=sent.message_id, reply_markup=keyboard("Call"))
    with pytest.raises(TelegramBadRequest, match="message to edit not found"):
        await bot.edit_message_text("x", chat_id=101, message_id=999)


async def test_an_edit_without_reply_markup_removes_the_keyboard_like_telegram(fake_tg: FakeTelegram, bot: Bot) -> None:
    fake_tg.user(101, "Ann")
    sent = await bot.send_message(101, "card", reply_markup=keyboard("Call"))
    edited = await bot.edit_message_text("card v2", chat_id=101, message_id=sent.message_id)
    assert edited.reply_markup is None
    assert fake_tg.last_message(101).reply_markup is None
    await bot.edit_message_reply_markup(chat_id=101, message_id=sent.message_id, reply_markup=keyboard("Lost"))
    assert fake_tg.last_message(101).button_texts == ["Lost"]


async def test_a_callback_query_can_be_answered_only_once(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_message(101, "card", reply_markup=keyboard("Call"))
    query_id = fake_tg.press(ann, sent.message_id, "btn:call")
    updates = await bot.get_updates()
    assert updates[0].callback_query.data == "btn:call"
    assert updates[0].callback_query.message.text == "card"
    await bot.answer_callback_query(query_id)
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(query_id)


async def test_a_press_on_a_deleted_message_arrives_as_an_inaccessible_message(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    sent = await bot.send_message(101, "card", reply_markup=keyboard("Call"))
    await bot.delete_message(101, sent.message_id)
    assert fake_tg.messages(101) == []
    with pytest.raises(TelegramBadRequest, match="message to delete not found"):
        await bot.delete_message(101, sent.message_id)
    fake_tg.press(ann, sent.message_id, "btn:call")
    (update,) = await bot.get_updates()
    assert isinstance(update.callback_query.message, InaccessibleMessage)


async def test_group_messages_keep_their_forum_thread(fake_tg: FakeTelegram, bot: Bot) -> None:
    group = -1001000000001
    sent = await bot.send_message(group, "🔥 Lead transferred", message_thread_id=7)
    assert sent.chat.type == "supergroup" and sent.message_thread_id == 7
    (message,) = fake_tg.messages(group)
    assert (message.text, message.thread_id, message.chat_id) == ("🔥 Lead transferred", 7, group)


async def test_telegram_html_rules_and_length_limit_are_enforced(fake_tg: FakeTelegram, bot: Bot) -> None:
    fake_tg.user(101, "Ann")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(101, "Lead <Acme & Co>", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="can't parse entities"):
        await bot.send_message(101, "<b>unclosed", parse_mode="HTML")
    with pytest.raises(TelegramBadRequest, match="message is too long"):
        await bot.send_message(101, "я" * 4097)
    with pytest.raises(TelegramBadRequest, match="message text is empty"):
        await bot.send_message(101, "<b></b>", parse_mode="HTML")
    ok = await bot.send_message(101, "Lead &lt;Acme &amp; Co&gt; 👍" + "я" * 4000, parse_mode="HTML")
    assert ok.text.startswith("Lead <Acme & Co> 👍")


async def test_unknown_private_chats_and_blocked_users_are_refused(fake_tg: FakeTelegram, bot: Bot) -> None:
    with pytest.raises(TelegramBadRequest, match="chat not found"):
        await bot.send_message(424242, "hi")
    ann = fake_tg.user(101, "Ann")
    fake_tg.block(ann)
    with pytest.raises(TelegramForbiddenError, match="blocked"):
        await bot.send_message(101, "hi")


async def test_injected_429_raises_retry_after_and_the_next_call_succeeds(fake_tg: FakeTelegram, bot: Bot) -> None:
    fake_tg.user(101, "Ann")
    fake_tg.fail("sendMessage", status=429, retry_after=7)
    with pytest.raises(TelegramRetryAfter) as caught:
        await bot.send_message(101, "hi")
    assert caught.value.retry_after == 7
    await bot.send_message(101, "hi")
    assert [c.ok for c in fake_tg.calls_of("sendMessage")] == [False, True]
    assert [m.text for m in fake_tg.messages(101)] == ["hi"]


async def test_injected_5xx_raise_server_errors_as_many_times_as_asked(fake_tg: FakeTelegram, bot: Bot) -> None:
    fake_tg.user(101, "Ann")
    fake_tg.fail("sendMessage", status=502, times=2)
    for _ in range(2):
        with pytest.raises(TelegramServerError):
            await bot.send_message(101, "hi")
    await bot.send_message(101, "hi")
    assert [c.status for c in fake_tg.calls_of("sendMessage")] == [502, 502, 200]


async def test_an_injected_hang_makes_the_client_time_out_without_sending(fake_tg: FakeTelegram) -> None:
    fake_tg.user(101, "Ann")
    impatient = fake_tg.make_bot(timeout=0.3)
    try:
        fake_tg.fail("sendMessage", delay=1.0)
        with pytest.raises(TelegramNetworkError, match="timeout"):
            await impatient.send_message(101, "hi")
        await impatient.send_message(101, "hi again")
    finally:
        await impatient.session.close()
    assert [m.text for m in fake_tg.messages(101)] == ["hi again"]


async def test_settle_waits_for_a_slow_handler_to_reply(fake_tg: FakeTelegram, polling: dict[str, list[int]]) -> None:
    ann = fake_tg.user(101, "Ann")
    fake_tg.send_text(ann, "/slow")
    await fake_tg.settle(quiet=0.6)
    assert fake_tg.last_message(101).text == "done slowly"


async def test_wait_for_times_out_with_a_readable_dump_of_calls(fake_tg: FakeTelegram, bot: Bot) -> None:
    await bot.get_me()
    with pytest.raises(TimeoutError) as caught:
        await fake_tg.wait_for("sendMessage", timeout=0.2)
    assert "no sendMessage call" in str(caught.value) and "#0 getMe [ok]" in str(caught.value)


async def test_press_button_explains_which_buttons_exist(fake_tg: FakeTelegram, bot: Bot) -> None:
    ann = fake_tg.user(101, "Ann")
    await bot.send_message(101, "card", reply_markup=keyboard("Call", "Note"))
    with pytest.raises(LookupError, match=r"\['Call', 'Note'\]"):
        fake_tg.press_button(ann, "Meeting")


async def test_a_second_poller_terminates_the_first_with_a_conflict(fake_tg: FakeTelegram, bot: Bot) -> None:
    first = asyncio.create_task(bot.get_updates(timeout=3))
    await fake_tg.wait_for("getUpdates", finished=False)
    second = asyncio.create_task(bot.get_updates(timeout=1))
    with pytest.raises(Exception, match="terminated by other getUpdates"):
        await asyncio.wait_for(first, 3)
    assert await asyncio.wait_for(second, 3) == []


async def test_handled_updates_tells_when_the_dispatcher_finished_an_update(
    fake_tg: FakeTelegram, polling: dict[str, list[int]]
) -> None:
    from sandbox.emulator.watch import HandledUpdates

    watcher = HandledUpdates().install()
    try:
        ann = fake_tg.user(101, "Ann")
        update_id = fake_tg.send_text(ann, "/slow")
        assert fake_tg.last_update_id == update_id
        assert await watcher.wait(update_id, timeout=5)
        assert fake_tg.last_message(101).text == "done slowly"  # the reply was sent before the update finished
        assert not await watcher.wait(update_id + 1, timeout=0.2)
    finally:
        watcher.uninstall()


async def test_update_ids_keep_growing_across_emulator_runs() -> None:
    first, second = FakeTelegram(), FakeTelegram()
    a = first.send_text(first.user(1, "Ann"), "hi")
    await asyncio.sleep(0.01)
    b = second.send_text(second.user(1, "Ann"), "hi")
    assert b > a > 1000
    fixed = FakeTelegram(first_update_id=1)
    assert fixed.send_text(fixed.user(1, "Ann"), "x") == 1


async def test_message_shows_a_message_as_it_is_now_deleted_ones_too(fake_tg: FakeTelegram, bot: Bot) -> None:
    fake_tg.user(101, "Ann")
    sent = await bot.send_message(101, "first")
    await bot.edit_message_text("edited", chat_id=101, message_id=sent.message_id)
    assert fake_tg.message(101, sent.message_id).text == "edited"
    await bot.delete_message(101, sent.message_id)
    assert fake_tg.message(101, sent.message_id).deleted and fake_tg.messages(101) == []
    with pytest.raises(LookupError, match="no message 99 in chat 101"):
        fake_tg.message(101, 99)


async def test_forget_history_keeps_the_latest_messages_and_the_unanswered_queries(
    fake_tg: FakeTelegram, bot: Bot
) -> None:
    ann = fake_tg.user(101, "Ann")
    cards = [await bot.send_message(101, f"card {n}", reply_markup=keyboard("Call")) for n in range(6)]
    answered = fake_tg.press_button(ann, "Call")
    await bot.answer_callback_query(answered)
    waiting = fake_tg.press_button(ann, "Call")

    fake_tg.forget_history(keep_messages=4, keep_unanswered=True)
    assert fake_tg.calls == [] and fake_tg.last_update_id == 0
    assert [m.text for m in fake_tg.messages(101)] == ["card 2", "card 3", "card 4", "card 5"]
    assert fake_tg.last_keyboard_message(101).message_id == cards[-1].message_id
    await bot.answer_callback_query(waiting)  # still known: it can be answered once

    dropped = fake_tg.press_button(ann, "Call")
    fake_tg.forget_history(keep_messages=1)
    assert [m.text for m in fake_tg.messages(101)] == ["card 5"]
    with pytest.raises(TelegramBadRequest, match="query is too old"):
        await bot.answer_callback_query(dropped)
