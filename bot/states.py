"""FSM states of the dialogs."""

from aiogram.fsm.state import State, StatesGroup


class NewLead(StatesGroup):
    name = State()
    source = State()
    domain = State()
    contact = State()


class CardInput(StatesGroup):
    """Free text asked from a lead card; the state data holds ``lead_id`` (and ``version``)."""

    note = State()
    contact = State()
    lost_reason = State()
    next_step = State()  # a typed due time; data: lead_id, kind (and, once echoed: due, note)
    snooze_reason = State()  # a typed reason to snooze a stalled lead; data: lead_id, version
    comment = State()  # a typed comment on an activity just logged; data: lead_id, activity_id
    field = State()  # a typed value of a lead's field (bot/routers/lead_edit.py); data: lead_id, field
    merge_with = State()  # the number of the lead to merge into this one; data: lead_id


class SettingsInput(StatesGroup):
    timezone = State()


class SaleInput(StatesGroup):
    """Free text asked from a deal card; the state data holds ``sale_id`` and ``stage`` (the card's)."""

    lost_reason = State()
    amount = State()
    expected_close = State()


class Find(StatesGroup):
    query = State()


class ReportInput(StatesGroup):
    """A typed custom range for /report; data: ``kind`` (the report to show for it)."""

    dates = State()
