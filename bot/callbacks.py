"""Callback data factories. Prefixes are short so every packed value stays within Telegram's 64 bytes.

Callback data comes from the client and may be forged or stale: handlers never trust it. Lead actions
carry the lead ``version`` the card showed; the services compare it (``expected_version``) and raise
``StaleState`` for a double press or an old card, and ``LeadNotFound`` for a lead the user may not see.
"""

from __future__ import annotations

from enum import StrEnum

from aiogram.filters.callback_data import CallbackData


class LeadAction(StrEnum):
    OPEN = "o"  # open/refresh the card (no version check)
    LOG = "a"  # log an activity of kind ``x`` (call/message/meeting)
    NOTE = "n"  # ask for a note's text
    ANALYZE = "z"
    NEXT = "x"  # the next stage
    TRANSFER = "t"
    LOST_MENU = "l"
    LOST = "lr"  # lost with preset reason ``x``
    LOST_TEXT = "lt"  # ask for a free-text lost reason
    DOMAIN_MENU = "d"
    DOMAIN = "ds"  # set business domain ``x``
    CONTACT = "c"  # ask for a new contact
    HISTORY = "h"
    SALE = "s"  # open the sale card (team lead/admin)


class LeadCb(CallbackData, prefix="ld"):
    a: LeadAction
    id: int
    v: int = 0
    x: str = ""


class NewLeadCb(CallbackData, prefix="nl"):
    """The /new dialog: ``step`` is src (source), dom (domain) or ct (contact); ``val`` the choice."""

    step: str
    val: str = ""


class ListCb(CallbackData, prefix="ls"):
    st: str = ""  # stage filter, "" = all
    p: int = 0  # 0-based page


class MenuCb(CallbackData, prefix="mn"):
    item: str  # new | leads | find | help


class UserAction(StrEnum):
    OPEN = "o"
    ROLE = "r"  # set role ``x``
    OFF = "off"
    ON = "on"


class UserCb(CallbackData, prefix="us"):
    a: UserAction
    id: int
    x: str = ""


class SaleAction(StrEnum):
    OPEN = "o"
    NEXT = "x"
    LOST_MENU = "l"
    LOST = "lr"


class SaleCb(CallbackData, prefix="sl"):
    """``st`` is the sale stage the card showed (a double press or an old card is refused)."""

    a: SaleAction
    id: int
    st: str = ""
    x: str = ""
