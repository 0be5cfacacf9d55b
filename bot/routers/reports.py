"""/report: one message per report — the chart as a photo, a short summary as its caption — whose buttons
switch the report and the period by editing that same message (editMessageMedia). Team leads and admins see
the team, managers their own leads (core.services.reports decides). "📅 Dates…" asks for a range typed in
Russian or English (bot/report_dates.py); the report for it comes as a new message.

The chart is rendered in a worker thread (bot.charts.render), so other chats are served meanwhile. Buttons
carry only the report and the period: a forged or outdated value changes nothing (the press is answered)."""

from __future__ import annotations

from datetime import date

from aiogram import Router
from aiogram.exceptions import TelegramBadRequest
from aiogram.filters import Command, StateFilter
from aiogram.fsm.context import FSMContext
from aiogram.types import BufferedInputFile, CallbackQuery, InlineKeyboardMarkup, InputMediaPhoto, Message

from bot import charts, report_keyboards, screens
from bot.callbacks import CallbackIs, ReportCb, UnpackCallback
from bot.filters import HasText, PrivateChat
from bot.render import reports as render_reports
from bot.render.clock import viewer
from bot.report_dates import parse_range
from bot.states import ReportInput
from core.domain.clock import utcnow
from core.domain.errors import InvalidValue, Rule
from core.domain.models import Actor
from core.domain.periods import CUSTOM_MAX_DAYS, Period, PeriodKind, custom_period, period
from core.services import reports as reports_svc
from core.services.ports import UnitOfWork

CHART_FILE = "report.png"
NAMED_PERIODS = frozenset(k.value for k in PeriodKind if k != PeriodKind.CUSTOM)


async def _build(
    uow: UnitOfWork, actor: Actor, kind: reports_svc.ReportKind, span: Period
) -> tuple[str, bytes, InlineKeyboardMarkup]:
    report = await reports_svc.report(uow, actor, kind, span)
    screen = render_reports.screen(report)
    png = await charts.render(screen.bars)
    return screen.caption, png, report_keyboards.report(kind, span)


async def _send(message: Message, uow: UnitOfWork, actor: Actor, kind: reports_svc.ReportKind, span: Period) -> None:
    caption, png, markup = await _build(uow, actor, kind, span)
    await message.answer_photo(BufferedInputFile(png, CHART_FILE), caption=caption, reply_markup=markup)


async def report_command(message: Message, state: FSMContext, uow: UnitOfWork, actor: Actor) -> None:
    await state.clear()
    span = period(PeriodKind.WEEK, utcnow(), viewer().tz)
    await _send(message, uow, actor, reports_svc.ReportKind.FUNNEL, span)


def _period_of(data: ReportCb) -> Period | None:
    """The period a press names, in the presser's zone; None for a forged one."""
    if data.p in NAMED_PERIODS:
        return period(data.p, utcnow(), viewer().tz)
    if data.p != PeriodKind.CUSTOM.value:
        return None
    first, last = report_keyboards.from_day_number(data.a), report_keyboards.from_day_number(data.b)
    if first is None or last is None:
        return None
    try:
        return custom_period(first, last, viewer().tz)
    except InvalidValue:
        return None


async def report_press(
    query: CallbackQuery, callback_data: ReportCb, state: FSMContext, uow: UnitOfWork, actor: Actor
) -> None:
    if callback_data.r not in reports_svc.ReportKind._value2member_map_:
        await query.answer()
        return  # not a button this bot makes: nothing changes
    kind = reports_svc.ReportKind(callback_data.r)
    if callback_data.p == report_keyboards.ASK:
        await state.set_state(ReportInput.dates)
        await state.update_data(kind=kind.value)
        await query.answer()
        await screens.show(query, render_reports.ask_dates(), edit=False)
        return
    span = _period_of(callback_data)
    message = query.message
    if span is None or not isinstance(message, Message):
        await query.answer()
        return
    caption, png, markup = await _build(uow, actor, kind, span)
    media = InputMediaPhoto(media=BufferedInputFile(png, CHART_FILE), caption=caption)
    if message.photo:
        try:
            await message.edit_media(media, reply_markup=markup)
        except TelegramBadRequest as err:
            if not screens.not_modified(err):
                raise
    else:  # not a report message (forged data on another message): a new one
        await message.answer_photo(media.media, caption=caption, reply_markup=markup)
    await query.answer()


def _typed(message: Message) -> str:
    text = message.text or ""
    if text.startswith("/"):
        raise InvalidValue("text", Rule.LOOKS_LIKE_COMMAND)
    return text


def _refusal(first: date, last: date) -> str:
    return render_reports.dates_refused(first, last, CUSTOM_MAX_DAYS)


async def got_dates(message: Message, state: FSMContext, uow: UnitOfWork, actor: Actor) -> None:
    text = _typed(message)
    kind_value = str((await state.get_data()).get("kind") or "")
    kind = reports_svc.ReportKind(kind_value) if kind_value in reports_svc.ReportKind._value2member_map_ else None
    parsed = parse_range(text, viewer().tz, utcnow())
    if parsed is None:
        await message.answer(render_reports.dates_not_understood(text))  # the dialog stays: the next text is read
        return
    try:
        span = custom_period(*parsed, viewer().tz)
    except InvalidValue:
        await message.answer(_refusal(*parsed))
        return
    await state.clear()
    await _send(message, uow, actor, kind or reports_svc.ReportKind.FUNNEL, span)


def make_router() -> Router:
    """A fresh router with /report, its buttons and the typed range (a Router can belong to one Dispatcher)."""
    router = Router(name=__name__)
    router.message.filter(PrivateChat())
    router.callback_query.filter(UnpackCallback(ReportCb))
    router.message.register(report_command, Command("report"))
    router.callback_query.register(report_press, CallbackIs(ReportCb))
    router.message.register(got_dates, StateFilter(ReportInput.dates), HasText())
    return router
