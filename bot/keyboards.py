"""Inline keyboards. What a button may do is re-checked by the services.

Built with the small ``Keyboard`` below rather than aiogram's ``InlineKeyboardBuilder``: the builder
deep-copies every button already added on each ``button()`` call (O(n²) pydantic deep copies per
keyboard). Measured for an 11-button lead card (best of 7, 2 vCPU Xeon): 1.1 ms with the builder, about 0.1 ms
with ``Keyboard``, i.e. some 18 % of the bot's CPU per update in ``bench/bot.py`` (5.4 ms), one card per
update. ``Keyboard`` keeps the same small API (button / adjust / attach / as_markup) and uses only
aiogram's public button and markup constructors, so an upgrade cannot break it; one whose builder stops
deep-copying would make it unnecessary. Buttons are plain ``InlineKeyboardButton(...)`` (a copied
prototype saved 30-60 µs per card, about 1 %: not worth the surprise)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from aiogram.filters.callback_data import CallbackData
from aiogram.types import InlineKeyboardButton, InlineKeyboardMarkup, WebAppInfo

from bot import render, webapp
from bot.callbacks import (
    LeadAction,
    ListCb,
    MenuCb,
    MyListCb,
    NewLeadCb,
    SaleAction,
    SaleCb,
    UserAction,
    UserCb,
    pack_lead,
)
from bot.i18n import _
from core.domain.clock import utcnow
from core.domain.enums import ActivityKind, Role, Source, Stage
from core.domain.funnel import SALE_FINAL, SALE_FORWARD
from core.domain.models import Lead, Sale, User


class Keyboard:
    """A minimal inline keyboard builder without deep copies (see the module docstring)."""

    MAX_ROW = 8

    def __init__(self) -> None:
        self._buttons: list[InlineKeyboardButton] = []
        self._rows: list[list[InlineKeyboardButton]] | None = None
        self._attached: list[list[InlineKeyboardButton]] = []

    def button(
        self,
        *,
        text: str,
        callback_data: CallbackData | str | None = None,
        url: str | None = None,
        web_app: WebAppInfo | None = None,
    ) -> None:
        if isinstance(callback_data, CallbackData):
            callback_data = callback_data.pack()
        self._buttons.append(InlineKeyboardButton(text=text, callback_data=callback_data, url=url, web_app=web_app))

    def adjust(self, *sizes: int) -> None:
        """Rows of the given sizes; the last size repeats (as aiogram's builder does)."""
        sizes = sizes or (1,)
        rows: list[list[InlineKeyboardButton]] = []
        start = 0
        for index in range(len(self._buttons)):
            if start >= len(self._buttons):
                break
            size = max(1, sizes[min(index, len(sizes) - 1)])
            rows.append(self._buttons[start : start + size])
            start += size
        self._rows = rows

    def rows(self) -> list[list[InlineKeyboardButton]]:
        if self._rows is None:
            own = [self._buttons[i : i + self.MAX_ROW] for i in range(0, len(self._buttons), self.MAX_ROW)]
        else:
            own = list(self._rows)
        return own + self._attached

    def attach(self, other: Keyboard) -> None:
        self._attached.extend(other.rows())

    def as_markup(self) -> InlineKeyboardMarkup:
        return InlineKeyboardMarkup(inline_keyboard=self.rows())


OPEN_NEW = "n"  # open the card as a new message (from a list: the list stays)
LIST_STAGES = ("", Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED, Stage.TRANSFERRED, Stage.LOST)


def main_menu(user: User | None = None) -> InlineKeyboardMarkup:
    """The menu; a team lead or admin (``user``) also gets "All leads" beside their own."""
    kb = Keyboard()
    kb.button(text=_("➕ New lead"), callback_data=MenuCb(item="new"))
    kb.button(text=_("📋 My leads"), callback_data=MenuCb(item="leads"))
    if user is not None and sees_all(user):
        kb.button(text=_("🗂 All leads"), callback_data=MenuCb(item="all"))
    kb.button(text=_("🔎 Find"), callback_data=MenuCb(item="find"))
    kb.button(text=_("❓ Help"), callback_data=MenuCb(item="help"))
    kb.adjust(2)
    return kb.as_markup()


def sees_all(user: User) -> bool:
    return user.role in (Role.ADMIN, Role.TEAM_LEAD)


def _cb(action: LeadAction, lead: Lead, x: str = "") -> str:
    return pack_lead(action, lead.id, lead.version, x)


def lead_card(lead: Lead, user: User) -> InlineKeyboardMarkup:
    kb = Keyboard()
    rows: list[int] = []
    if not lead.is_final:
        # A call or a meeting asks how it went (one tap more); so does any first contact with a new lead
        # (bot/activity_keyboards.py); a message on a lead already contacted is logged at once.
        ask = LeadAction.OUTCOME_MENU
        log_message = ask if lead.stage == Stage.NEW else LeadAction.LOG
        kb.button(text=_("📞 Call"), callback_data=_cb(ask, lead, ActivityKind.CALL.value))
        kb.button(text=_("✉️ Message"), callback_data=_cb(log_message, lead, ActivityKind.MESSAGE.value))
        kb.button(text=_("🤝 Meeting"), callback_data=_cb(ask, lead, ActivityKind.MEETING.value))
        kb.button(text=_("📝 Note"), callback_data=_cb(LeadAction.NOTE, lead))
        rows.append(4)
        kb.button(text=_("🔮 Analyze"), callback_data=_cb(LeadAction.ANALYZE, lead))
        if lead.stage == Stage.QUALIFIED:
            kb.button(text=_("🚀 Transfer to sales"), callback_data=_cb(LeadAction.TRANSFER, lead))
        elif lead.next_stage is not None:
            kb.button(
                text=_("➡️ {stage}").format(stage=render.stage_name(lead.next_stage)),
                callback_data=_cb(LeadAction.NEXT, lead, lead.next_stage.value),  # the target the button names
            )
        rows.append(2)
        kb.button(text=_("🏷 Set domain"), callback_data=_cb(LeadAction.DOMAIN_MENU, lead))
        kb.button(text=_("☎️ Edit contact"), callback_data=_cb(LeadAction.CONTACT, lead))
        rows.append(2)
        rows.append(next_step_row(kb, lead))
        kb.button(text=_("✏️ Edit"), callback_data=_cb(LeadAction.EDIT_MENU, lead))
        kb.button(text=_("❌ Lost"), callback_data=_cb(LeadAction.LOST_MENU, lead))
        kb.button(text=_("🕓 History"), callback_data=_cb(LeadAction.HISTORY, lead))
        rows.append(3)
        if sees_all(user):
            kb.button(text=_("👤 Assign"), callback_data=_cb(LeadAction.ASSIGN_MENU, lead))
            kb.button(text=_("🔗 Merge"), callback_data=_cb(LeadAction.MERGE_MENU, lead))
            rows.append(2)
    else:
        kb.button(text=_("🕓 History"), callback_data=_cb(LeadAction.HISTORY, lead))
        rows.append(1)
        if sees_all(user):  # a lead closed as lost or transferred may still take a duplicate in
            kb.button(text=_("🔗 Merge"), callback_data=_cb(LeadAction.MERGE_MENU, lead))
            rows.append(1)
        if lead.stage == Stage.TRANSFERRED:  # the manager who transferred it follows its deal too
            kb.button(text=_("💼 Deal"), callback_data=_cb(LeadAction.SALE, lead))
            rows.append(1)
    kb.button(text=_("🔄 Refresh"), callback_data=_cb(LeadAction.OPEN, lead))
    board = webapp.lead_button(lead.id)  # a private chat with WEBAPP_URL set
    if board is not None:
        kb.button(text=_("🗂 Open board"), web_app=board)
    rows.append(2 if board is not None else 1)
    kb.adjust(*rows)
    return kb.as_markup()


def next_step_row(kb: Keyboard, lead: Lead) -> int:
    """The card's next-step row: ✅ Done (one tap) when it has one, 📅 Next step, 😴 Snooze when stalled."""
    count = 2 if lead.next_step is not None else 1
    if lead.next_step is not None:
        kb.button(text=_("✅ Done"), callback_data=_cb(LeadAction.STEP_DONE, lead))
    kb.button(text=_("📅 Next step"), callback_data=_cb(LeadAction.STEP_MENU, lead))
    if render.viewer().is_stale(lead, utcnow()):
        kb.button(text=_("😴 Snooze"), callback_data=_cb(LeadAction.SNOOZE_MENU, lead))
        count += 1
    return count


def back_to_card(lead: Lead) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("⬅️ Back to the card"), callback_data=_cb(LeadAction.OPEN, lead))
    return kb.as_markup()


def transfer_refused(lead: Lead) -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("🔮 Analyze"), callback_data=_cb(LeadAction.ANALYZE, lead))
    kb.button(text=_("🏷 Set domain"), callback_data=_cb(LeadAction.DOMAIN_MENU, lead))
    kb.button(text=_("⬅️ Back to the card"), callback_data=_cb(LeadAction.OPEN, lead))
    kb.adjust(2, 1)
    return kb.as_markup()


def lost_reasons(lead: Lead) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for code in render.LOST_PRESETS:
        kb.button(text=render.lost_preset(code) or code, callback_data=_cb(LeadAction.LOST, lead, code.value))
    kb.button(text=_("✍️ Other reason (type it)"), callback_data=_cb(LeadAction.LOST_TEXT, lead))
    kb.button(text=_("⬅️ Back to the card"), callback_data=_cb(LeadAction.OPEN, lead))
    kb.adjust(2, 2, 1, 1)
    return kb.as_markup()


def domain_value(domain: str, catalogue: Sequence[str]) -> str:
    """The callback value for a domain: its name, or ``#index`` if the name would not fit or has ':'."""
    if ":" in domain or len(domain.encode()) > 24:
        return f"#{list(catalogue).index(domain)}"
    return domain


def domain_from_value(value: str, catalogue: Sequence[str]) -> str:
    if value.startswith("#") and value[1:].isdigit():
        index = int(value[1:])
        return catalogue[index] if index < len(catalogue) else value
    return value


def lead_domains(lead: Lead, catalogue: Sequence[str]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for domain in catalogue:
        mark = "✅ " if domain == lead.business_domain else ""
        kb.button(
            text=mark + render.domain_name(domain),
            callback_data=_cb(LeadAction.DOMAIN, lead, domain_value(domain, catalogue)),
        )
    kb.adjust(2)
    back = Keyboard()
    back.button(text=_("⬅️ Back to the card"), callback_data=_cb(LeadAction.OPEN, lead))
    kb.attach(back)
    return kb.as_markup()


# ---------------------------------------------------------------- the /new dialog


def sources() -> InlineKeyboardMarkup:
    kb = Keyboard()
    for source in Source:
        kb.button(text=render.source_name(source), callback_data=NewLeadCb(step="src", val=source.value))
    kb.adjust(3)
    return kb.as_markup()


def new_lead_domains(catalogue: Sequence[str]) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for domain in catalogue:
        kb.button(
            text=render.domain_name(domain), callback_data=NewLeadCb(step="dom", val=domain_value(domain, catalogue))
        )
    kb.adjust(2)
    skip = Keyboard()
    skip.button(text=_("Skip ⏭"), callback_data=NewLeadCb(step="dom", val=""))
    kb.attach(skip)
    return kb.as_markup()


def skip_contact() -> InlineKeyboardMarkup:
    kb = Keyboard()
    kb.button(text=_("Skip ⏭"), callback_data=NewLeadCb(step="ct", val=""))
    return kb.as_markup()


# ---------------------------------------------------------------- lists


def leads_page(items: Iterable[Lead], *, page: int, pages: int, stage: str, mine: bool = True) -> InlineKeyboardMarkup:
    kb = Keyboard()
    sizes: list[int] = []
    page_cb: type[ListCb] | type[MyListCb] = MyListCb if mine else ListCb
    for lead in items:
        kb.button(text=render.lead_button_text(lead), callback_data=_cb(LeadAction.OPEN, lead, OPEN_NEW))
        sizes.append(1)
    nav = 0
    if page > 0:
        kb.button(text="◀", callback_data=page_cb(st=stage, p=page - 1))
        nav += 1
    if page + 1 < pages:
        kb.button(text="▶", callback_data=page_cb(st=stage, p=page + 1))
        nav += 1
    if nav:
        sizes.append(nav)
    for value in LIST_STAGES:
        label = render.stage_name(value) if value else _("All")
        kb.button(text=("• " + label) if value == stage else label, callback_data=page_cb(st=str(value), p=0))
    sizes += [3, 3]
    kb.adjust(*sizes)
    return kb.as_markup()


def found(items: Iterable[Lead]) -> InlineKeyboardMarkup | None:
    kb = Keyboard()
    count = 0
    for lead in items:
        kb.button(text=render.lead_button_text(lead), callback_data=_cb(LeadAction.OPEN, lead, OPEN_NEW))
        count += 1
    kb.adjust(1)
    return kb.as_markup() if count else None


# ---------------------------------------------------------------- users (admin)


MAX_USER_BUTTONS = 90  # Telegram allows at most 100 buttons in one keyboard


def users(items: Iterable[User], me: User) -> InlineKeyboardMarkup:
    kb = Keyboard()
    shown = 0
    for user in items:
        if user.id == me.id:
            continue
        if shown == MAX_USER_BUTTONS:
            break
        shown += 1
        state = "" if user.is_active else " 🚫"
        text = f"{user.full_name or user.id} · {render.role_name(user.role)}{state}"
        kb.button(text=text[:60], callback_data=UserCb(a=UserAction.OPEN, id=user.id))
    kb.adjust(1)
    return kb.as_markup()


def user_actions(user: User) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for role in Role:
        if role != user.role:
            kb.button(
                text=_("Make {role}").format(role=render.role_name(role)),
                callback_data=UserCb(a=UserAction.ROLE, id=user.id, x=role.value),
            )
    if user.is_active:
        kb.button(text=_("🚫 Deactivate"), callback_data=UserCb(a=UserAction.OFF, id=user.id))
    else:
        kb.button(text=_("✅ Reactivate"), callback_data=UserCb(a=UserAction.ON, id=user.id))
    kb.adjust(2, 1)
    return kb.as_markup()


# ---------------------------------------------------------------- sale


def sale_card(sale: Sale, user: User) -> InlineKeyboardMarkup:
    kb = Keyboard()
    sizes = []
    if sale.stage not in SALE_FINAL and sees_all(user):
        nxt = SALE_FORWARD.get(sale.stage)
        if nxt is not None:
            kb.button(
                text=_("➡️ {stage}").format(stage=render.sale_stage_name(nxt)),
                callback_data=SaleCb(a=SaleAction.NEXT, id=sale.id, st=sale.stage.value, x=nxt.value),
            )
        kb.button(text=_("❌ Deal lost"), callback_data=SaleCb(a=SaleAction.LOST_MENU, id=sale.id, st=sale.stage.value))
        sizes.append(2)
    if sees_all(user):  # the deal's fields (bot.routers.deal_edit)
        kb.button(text=_("💰 Amount"), callback_data=SaleCb(a=SaleAction.AMOUNT, id=sale.id, st=sale.stage.value))
        kb.button(
            text=_("📅 Expected close"), callback_data=SaleCb(a=SaleAction.CLOSE_MENU, id=sale.id, st=sale.stage.value)
        )
        kb.button(text=_("👤 Owner"), callback_data=SaleCb(a=SaleAction.OWNER_MENU, id=sale.id, st=sale.stage.value))
        sizes.append(3)
    kb.button(text=_("⬅️ The lead"), callback_data=pack_lead(LeadAction.OPEN, sale.lead_id))
    kb.button(text=_("🔄 Refresh"), callback_data=SaleCb(a=SaleAction.OPEN, id=sale.id, st=sale.stage.value))
    sizes.append(2)
    kb.adjust(*sizes)
    return kb.as_markup()


def sale_lost_reasons(sale: Sale) -> InlineKeyboardMarkup:
    kb = Keyboard()
    for code in render.LOST_PRESETS:
        kb.button(
            text=render.lost_preset(code) or code,
            callback_data=SaleCb(a=SaleAction.LOST, id=sale.id, st=sale.stage.value, x=code.value),
        )
    kb.button(
        text=_("✍️ Other reason (type it)"),
        callback_data=SaleCb(a=SaleAction.LOST_TEXT, id=sale.id, st=sale.stage.value),
    )
    kb.button(text=_("⬅️ Back"), callback_data=SaleCb(a=SaleAction.OPEN, id=sale.id, st=sale.stage.value))
    kb.adjust(2, 2, 1, 1)
    return kb.as_markup()
