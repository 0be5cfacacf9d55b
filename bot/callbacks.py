"""Callback data factories. Prefixes are short so every packed value stays within Telegram's 64 bytes.

Callback data comes from the client and may be forged or stale: handlers never trust it. Lead actions
carry the lead ``version`` the card showed; the services compare it (``expected_version``) and raise
``StaleState`` for a double press or an old card, and ``LeadNotFound`` for a lead the user may not see.
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum
from typing import Any, Literal

from aiogram.filters import Filter
from aiogram.filters.callback_data import MAX_CALLBACK_LENGTH, CallbackData
from aiogram.types import CallbackQuery


class LeadAction(StrEnum):
    OPEN = "o"  # open/refresh the card (no version check)
    LOG = "a"  # log an activity of kind ``x`` (call/message/meeting)
    OUTCOME_MENU = "om"  # how did the activity of kind ``x`` go? (bot/routers/activity.py)
    LOG_OUTCOME = "ao"  # log ``kind.outcome`` (outcome "" for none), ``kind.outcome.c``: and move new -> contacted
    NOTE = "n"  # ask for a note's text
    ANALYZE = "z"
    NEXT = "x"  # the next stage
    TRANSFER = "t"
    LOST_MENU = "l"
    LOST = "lr"  # lost with preset reason ``x``: asks "Are you sure?" first
    LOST_YES = "ly"  # the confirmation: lost with preset reason ``x`` (the version is the card's)
    LOST_TEXT = "lt"  # ask for a free-text lost reason
    DOMAIN_MENU = "d"
    DOMAIN = "ds"  # set business domain ``x``
    CONTACT = "c"  # the lead's contacts, with add / remove (bot/routers/contacts.py)
    CONTACT_ADD = "ca"  # ask for one more contact
    CONTACT_DEL = "cd"  # remove contact id ``x``
    CONTACT_ANYWAY = "cy"  # add the typed contact kept in the FSM data although another lead has it
    # merging (bot/routers/merge.py, team lead/admin): ``id`` the lead that stays, ``v`` its version
    MERGE_MENU = "mg"  # which lead to merge into this one? (typed #id, or the leads sharing a contact)
    MERGE_PICK = "mp"  # lead ``x`` picked: show both and ask "are you sure?"
    MERGE_YES = "my"  # the confirmation: ``x`` is ``<other id>.<other version>`` as the question showed it
    HISTORY = "h"
    SALE = "s"  # open the sale card (team lead/admin)
    ASSIGN_MENU = "w"  # the picker of owners (team lead/admin)
    ASSIGN = "as"  # give the lead to user ``x`` ("" = back to the queue)
    # next steps (bot/routers/next_step.py); ``x`` is ``kind`` or ``kind.value``
    STEP_MENU = "sm"  # the preset picker for kind ``x``
    STEP_SKIP = "sk"  # "next step?" after an activity: not now (back to the card)
    STEP_SET = "sp"  # ``kind.preset``
    STEP_TEXT = "st"  # ask for a typed time for kind ``x``
    STEP_SAVE = "sv"  # ``kind.unix seconds``: save the typed time the bot echoed
    STEP_DONE = "sd"
    STEP_CLEAR = "sc"
    SNOOZE_MENU = "zm"  # stalled: the reasons
    SNOOZE = "zz"  # stalled: snooze with preset reason ``x``
    SNOOZE_TEXT = "zt"  # stalled: ask for a typed reason
    COMMENT = "cm"  # ask for a comment on activity id ``x`` (bot/routers/activity.py)
    # editing the lead's fields (bot/routers/lead_edit.py); ``x`` is "name", "company", "a.<key>" or "a+"
    EDIT_MENU = "e"
    EDIT_FIELD = "ef"  # ask for the typed value of field ``x``
    EDIT_CLEAR = "ec"  # clear field ``x`` (the version is the card's)


class LeadCb(CallbackData, prefix="ld"):
    a: LeadAction
    id: int
    v: int = 0
    x: str = ""


_LEAD_PREFIX = LeadCb.__prefix__ + LeadCb.__separator__


def pack_lead(action: LeadAction, lead_id: int, version: int = 0, x: str = "") -> str:
    """``LeadCb(a=action, id=lead_id, v=version, x=x).pack()`` without building the pydantic model: 0.7 µs
    instead of 5.4 µs (best of 7, 2 vCPU Xeon); a lead card packs 11, so ~50 µs per card, about 1 % of the
    bot's CPU per update in ``bench/bot.py``. The same string: pack() joins the prefix and the fields in
    their order, enums by value and ints by str(). Anything but a LeadAction, two plain ints and a str
    without ':' that fits in 64 bytes goes through the model's own pack(), errors included.

    An aiogram upgrade that changes ``CallbackData.pack``'s format (separator, how enums or ints are
    written, ``MAX_CALLBACK_LENGTH``) would make the two differ; ``tests/unit/test_bot_keyboards.py``
    compares them for every action and a table of ids, versions and values, so it shows there."""
    if type(action) is LeadAction and type(lead_id) is int and type(version) is int and type(x) is str and ":" not in x:
        data = f"{_LEAD_PREFIX}{action.value}:{lead_id}:{version}:{x}"
        if len(data.encode()) <= MAX_CALLBACK_LENGTH:
            return data
    return LeadCb(a=action, id=lead_id, v=version, x=x).pack()


class NewLeadCb(CallbackData, prefix="nl"):
    """The /new dialog: ``step`` is src (source), dom (domain) or ct (contact); ``val`` the choice."""

    step: str
    val: str = ""


class FindCb(CallbackData, prefix="fd"):
    """/find's pages: ``p`` is the 0-based page of the query kept in the chat's FSM data."""

    p: int = 0


class ZoneCb(CallbackData, prefix="tz"):
    """/settings: set the time zone number ``i`` of ``bot.keyboards.ZONES`` (-1: type one)."""

    i: int


class TodayCb(CallbackData, prefix="td"):
    """/today: refresh."""

    r: int = 0


class ListCb(CallbackData, prefix="ls"):
    st: str = ""  # stage filter, "" = all
    p: int = 0  # 0-based page


class MyListCb(CallbackData, prefix="lm"):
    """A page of a team lead's or admin's own leads ("📋 My leads"); ``ListCb`` pages what /leads shows
    (everyone's for them, a manager's own for a manager), as it did before this one existed."""

    st: str = ""
    p: int = 0


class MenuCb(CallbackData, prefix="mn"):
    item: str  # new | leads (mine) | all (everyone's leads) | find | help


class UserAction(StrEnum):
    OPEN = "o"
    ROLE = "r"  # set role ``x``
    OFF = "off"  # deactivate; ``x``: where their open leads go ("" = ask, "q" queue, "r" rule, "u<id>" a user)
    OFF_YES = "offy"  # the confirmation of OFF with the same ``x``
    ON = "on"
    PICK = "pk"  # choose the manager who takes a deactivated user's leads


class QueueCb(CallbackData, prefix="qu"):
    """The unassigned leads (team leads, admins): ``p`` is the 0-based page."""

    p: int = 0


class ModelAction(StrEnum):
    """/model's buttons (admins, bot/routers/model_admin.py)."""

    HOME = "h"
    GATE = "g"  # the gate's choices
    GATE_ASK = "ga"  # "set the gate to v?"
    GATE_YES = "gy"
    VERSIONS = "v"
    VERSION_ASK = "va"  # "switch to version v?"
    VERSION_YES = "vy"


class ModelCb(CallbackData, prefix="md"):
    """``v``: a gate in thousandths or a version id; ``x``: what the screen showed as current (the gate in
    thousandths, the active version id, 0 for rules-v1), so a stale "Yes" changes nothing."""

    a: ModelAction
    v: int = 0
    x: int = 0


class RuleCb(CallbackData, prefix="ar"):
    """The assignment rule (admins): ``r`` the rule to set, "" to show it."""

    r: str = ""


class UserCb(CallbackData, prefix="us"):
    a: UserAction
    id: int
    x: str = ""


class SaleAction(StrEnum):
    OPEN = "o"
    NEXT = "x"
    LOST_MENU = "l"
    LOST = "lr"
    # deals for team leads (bot/routers/deal_edit.py)
    LOST_TEXT = "lt"  # ask for a typed lost reason
    AMOUNT = "am"  # ask for the typed amount
    CLOSE_MENU = "cm"  # the expected close presets
    CLOSE = "cs"  # expected close preset ``x`` ("" clears it)
    CLOSE_TEXT = "ct"  # ask for a typed expected close date
    OWNER_MENU = "wm"  # the picker of owners
    OWNER = "ws"  # the owner: user ``x`` ("" = nobody)
    # The confirmations of the irreversible steps (same fields: ``st`` the stage the card showed, ``x`` the
    # target stage or the lost reason), so a stale "Yes" is refused by the stage like any old card.
    NEXT_YES = "xy"
    LOST_YES = "ly"


class SaleCb(CallbackData, prefix="sl"):
    """``st`` is the sale stage the card showed (a double press or an old card is refused)."""

    a: SaleAction
    id: int
    st: str = ""
    x: str = ""


class DealsCb(CallbackData, prefix="dl"):
    """A page of /deals: ``st`` the sale stage filter ("" = all), ``p`` the 0-based page."""

    st: str = ""
    p: int = 0


class ReportCb(CallbackData, prefix="rp"):
    """A /report message's buttons: ``r`` the report kind, ``p`` the period kind ("custom" with the local days
    ``a``..``b`` as YYYYMMDD; "ask": type a range). Forged values are refused by the handler."""

    r: str
    p: str
    a: int = 0
    b: int = 0


class ExportCb(CallbackData, prefix="ex"):
    """/export's filter screen, all of its state in the button (bot/export_choice.py): ``a`` what the press does
    (``v`` show the screen, ``o`` pick the owner, ``g`` export), ``k`` leads or deals (``l``/``d``), ``f`` the
    format, ``s`` the stage code, ``o`` the owner's id, ``p`` the creation period, ``src`` the source (empty or 0:
    any)."""

    a: str
    k: str = "l"
    f: str = "xlsx"
    s: str = ""
    o: int = 0
    p: str = "all"
    src: str = ""


class ReminderAction(StrEnum):
    DONE = "d"
    SNOOZE_HOUR = "h"  # one hour from the press
    TOMORROW = "t"  # tomorrow 10:00 in the presser's zone


class ReminderCb(CallbackData, prefix="rm"):
    """A reminder's buttons: ``t`` is the due time the reminder was about (``next_steps.due_token``); a step done
    or moved since refuses the press (``StaleState``)."""

    a: ReminderAction
    id: int
    t: int


# ---------------------------------------------------------------- filters
#
# A router's callback handlers used to each carry ``XCb.filter(F.a == ...)``: every check unpacked the data
# again (a pydantic model per handler tried), and every router before the right one tried its own factories
# on it. Instead a router filters its callback_query observer once with ``UnpackCallback(XCb, ...)`` (a
# failed check skips the whole router; a passed one puts ``callback_data`` into the handlers' data, as
# ``XCb.filter()`` does) and the handlers test the unpacked data with ``CallbackIs``. Which handler wins is
# unchanged: ``XCb.unpack`` can only succeed when the data's first part is ``XCb``'s prefix, so picking the
# factory by that part tries exactly the one factory that could match.
#
# What it saves (best of 7, 2 vCPU Xeon; aiogram's own per-filter dispatch comes on top of both): a lead card
# press that the card router's 2nd-4th handler takes (log, analyze, next: the benchmark's presses) 10-13 µs of
# filtering instead of 17-46 µs, one taken by its 11th handler 12 µs instead of 92-160 µs, and the routers
# before the right one no longer unpack the data at all. In ``bench/bot.py``, where the card's router comes
# first, that is ≈ 10 µs per update, well under 1 % of the bot's CPU; a press for a deep handler or a later
# router (history, domains, lists, admin) saves 0.1-0.2 ms. What an aiogram upgrade could break:
# ``CallbackData.unpack`` raising TypeError/ValueError for data it refuses, the ``__prefix__``/``__separator__``
# class attributes, and ``Filter._signature_to_string`` (private, used only for ``str()``); a dict returned by a
# filter reaching the handlers' data is documented aiogram behaviour. tests/unit/test_bot_callbacks.py and
# tests/unit/test_bot_routing.py pin what they accept and which handler wins.


class UnpackCallback(Filter):
    """Router-level: the callback data unpacked by the factory its prefix names, as ``callback_data``;
    False for other prefixes and for data the factory refuses (forged or from an older bot)."""

    __slots__ = ("factories",)

    def __init__(self, *factories: type[CallbackData]) -> None:
        if any(factory.__separator__ != ":" for factory in factories):
            raise ValueError("UnpackCallback expects the default ':' separator")
        self.factories = {factory.__prefix__: factory for factory in factories}
        if len(self.factories) != len(factories):
            raise ValueError("two factories share a prefix")

    async def __call__(self, query: CallbackQuery) -> Literal[False] | dict[str, Any]:
        if not isinstance(query, CallbackQuery) or not query.data:
            return False
        factory = self.factories.get(query.data.partition(":")[0])
        if factory is None:
            return False
        try:
            return {"callback_data": factory.unpack(query.data)}
        except (TypeError, ValueError):  # what CallbackData.filter() refuses
            return False

    def __str__(self) -> str:
        return self._signature_to_string(*self.factories.values())


class CallbackIs(Filter):
    """Handler-level: the router's unpacked ``callback_data`` is a ``factory`` whose fields have the given
    values (a value, or a set of allowed values). Needs ``UnpackCallback(factory)`` on the router."""

    __slots__ = ("factory", "fields")

    def __init__(self, factory: type[CallbackData], **fields: Any) -> None:
        self.factory = factory
        self.fields = tuple(
            (
                name,
                frozenset(value)
                if isinstance(value, Collection) and not isinstance(value, str)
                else frozenset({value}),
            )
            for name, value in fields.items()
        )

    async def __call__(self, query: CallbackQuery, callback_data: CallbackData) -> bool:
        if not isinstance(callback_data, self.factory):
            return False
        return all(getattr(callback_data, name) in allowed for name, allowed in self.fields)

    def __str__(self) -> str:
        return self._signature_to_string(self.factory, **dict(self.fields))
