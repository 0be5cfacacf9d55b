"""bot.callbacks' filters: one unpack per router (UnpackCallback) and cheap per-handler checks (CallbackIs)
accept and refuse exactly what aiogram's ``XCb.filter(rule)`` does, forged and stale data included."""

from __future__ import annotations

import itertools

import pytest
from aiogram import F
from aiogram.filters.callback_data import CallbackData
from aiogram.types import CallbackQuery
from aiogram.types import User as TgUser

from bot.callbacks import (
    CallbackIs,
    LeadAction,
    LeadCb,
    ListCb,
    MenuCb,
    NewLeadCb,
    SaleAction,
    SaleCb,
    UnpackCallback,
    UserAction,
    UserCb,
)

FACTORIES = (LeadCb, NewLeadCb, ListCb, MenuCb, UserCb, SaleCb)


def _datas() -> list[str]:
    datas = ["", "x", ":", "::::", "zz:1", "LD:o:5:3:", "ld", "ld:", "sl", "us", "mn", "nl", "ls", "ls:", "ls::"]
    for action in LeadAction:
        for tail in ("5:3:", "5:3:call", "5::", "x:3:", "5:3", "5:3::", " 5:3:", "+5:3:", "5_0:3:", "-5:-3:", "5:3:é"):
            datas.append(f"ld:{action.value}:{tail}")
    datas += ["ld:q:5:3:", "ld::5:3:"]
    for sale_action in SaleAction:
        sale = sale_action.value
        datas += [f"sl:{sale}:7:new:", f"sl:{sale}:7:new:kyc", f"sl:{sale}:z::", f"sl:{sale}:7:new"]
    for user_action in UserAction:
        datas += [f"us:{user_action.value}:{tail}" for tail in ("9:", "9:admin", "q:", "9")]
    for item in ("new", "leads", "find", "help", "", "zz"):
        datas += [f"mn:{item}", f"mn:{item}:x"]
    for step in ("src", "dom", "ct", ""):
        datas += [f"nl:{step}:", f"nl:{step}:web", f"nl:{step}"]
    datas += ["ls::0", "ls:new:2", "ls:zz:x", "ls:a:1:2", "sl:q:7::", "us:q:9:"]
    return datas


def _query(data: str) -> CallbackQuery:
    user = TgUser(id=1, is_bot=False, first_name="A")
    return CallbackQuery(id="1", from_user=user, chat_instance="c", data=data or None)


@pytest.mark.parametrize(
    "factories", [(f,) for f in FACTORIES] + [(MenuCb, ListCb), (LeadCb, SaleCb), (MenuCb, NewLeadCb)]
)
async def test_unpack_callback_accepts_what_the_factories_filters_accept(factories: tuple) -> None:
    router_filter = UnpackCallback(*factories)
    for data in _datas():
        query = _query(data)
        expected = False
        for factory in factories:
            expected = await factory.filter()(query)
            if expected:
                break
        assert await router_filter(query) == expected, data


RULES = [(LeadCb, {"a": action}, F.a == action) for action in LeadAction] + [
    (LeadCb, {"a": {LeadAction.NOTE, LeadAction.CONTACT}}, F.a.in_({LeadAction.NOTE, LeadAction.CONTACT})),
    (SaleCb, {"a": SaleAction.LOST}, F.a == SaleAction.LOST),
    (UserCb, {"a": {UserAction.OFF, UserAction.ON}}, F.a.in_({UserAction.OFF, UserAction.ON})),
    (MenuCb, {"item": "leads"}, F.item == "leads"),
    (NewLeadCb, {"step": "src"}, F.step == "src"),
    (NewLeadCb, {}, None),
    (ListCb, {}, None),
]


@pytest.mark.parametrize(("factory", "fields", "rule"), RULES)
async def test_callback_is_after_unpack_matches_the_factory_filter_with_its_rule(factory, fields, rule) -> None:
    handler_filter = CallbackIs(factory, **fields)
    for data, router_factories in itertools.product(_datas(), [(factory,), FACTORIES]):
        query = _query(data)
        expected = bool(await factory.filter(rule)(query))
        unpacked = await UnpackCallback(*router_factories)(query)
        got = isinstance(unpacked, dict) and await handler_filter(query, unpacked["callback_data"])
        assert got == expected, (data, router_factories)


def test_factories_sharing_a_prefix_or_another_separator_are_refused() -> None:
    class Other(CallbackData, prefix="mn"):
        item: str

    class Dotted(CallbackData, prefix="dt", sep="."):
        item: str

    with pytest.raises(ValueError, match="prefix"):
        UnpackCallback(MenuCb, Other)
    with pytest.raises(ValueError, match="separator"):
        UnpackCallback(Dotted)
