"""The sale funnel against real PostgreSQL (each test rolled back)."""

import pytest

from core.domain.enums import Role, SaleStage
from core.domain.errors import AccessDenied, InvalidTransition, InvalidValue, SaleNotFound, StaleState
from core.domain.models import Actor
from core.services import leads as lead_svc
from core.services import sales as svc
from core.storage.models import UserRow
from tests.journeys import transferred_lead


async def _sale(uow, services, actor):
    result = await transferred_lead(uow, services, actor, activities=4, kind="meeting")
    assert result.sale is not None
    return result.lead, result.sale


async def _user(uow, user_id: int, role: Role) -> Actor:
    async with uow:
        uow.session.add(UserRow(id=user_id, full_name=f"user {user_id}", role=role))
        await uow.commit()
    return Actor(label=f"tg:{user_id}", user_id=user_id, role=role)


async def test_a_sale_walks_new_kyc_agreement_paid_and_closes(uow, services, system) -> None:
    lead, sale = await _sale(uow, services, system)
    assert sale.stage == SaleStage.NEW and sale.closed_at is None
    for target in ("kyc", "agreement"):
        sale = await svc.change_sale_stage(uow, system, sale.id, target)
        assert sale.closed_at is None
    sale = await svc.change_sale_stage(uow, system, sale.id, "paid", reason="invoice 42 paid")
    assert sale.stage == SaleStage.PAID and sale.closed_at is not None
    assert await svc.get_sale(uow, system, sale.id) == sale
    assert await svc.sale_for_lead(uow, system, lead.id) == sale
    history = await svc.sale_history(uow, system, sale.id)
    assert [(h.from_stage, h.to_stage) for h in history] == [
        (SaleStage.NEW, SaleStage.KYC),
        (SaleStage.KYC, SaleStage.AGREEMENT),
        (SaleStage.AGREEMENT, SaleStage.PAID),
    ]
    assert history[-1].reason == "invoice 42 paid" and history[-1].actor == system.label


@pytest.mark.parametrize("start", [0, 1, 2])
async def test_a_sale_can_be_lost_from_any_open_stage(uow, services, system, start) -> None:
    _, sale = await _sale(uow, services, system)
    for target in ("kyc", "agreement")[:start]:
        sale = await svc.change_sale_stage(uow, system, sale.id, target)
    sale = await svc.change_sale_stage(uow, system, sale.id, "lost", reason="went to a competitor")
    assert sale.stage == SaleStage.LOST and sale.closed_at is not None


@pytest.mark.parametrize(
    ("path", "target"),
    [
        ((), "agreement"),
        ((), "paid"),
        ((), "new"),
        ((), "banana"),
        (("kyc", "agreement", "paid"), "lost"),
        (("lost",), "kyc"),
    ],
)
async def test_sale_steps_skipping_going_back_or_leaving_a_final_stage_are_refused(
    uow, services, system, path, target
) -> None:
    _, sale = await _sale(uow, services, system)
    for step in path:
        sale = await svc.change_sale_stage(uow, system, sale.id, step)
    with pytest.raises(InvalidTransition):
        await svc.change_sale_stage(uow, system, sale.id, target)
    assert (await svc.get_sale(uow, system, sale.id)).stage == sale.stage


async def test_managers_may_look_at_their_sale_but_not_move_it(uow, services) -> None:
    manager = await _user(uow, 5101, Role.MANAGER)
    _, sale = await _sale(uow, services, manager)
    assert (await svc.get_sale(uow, manager, sale.id)).id == sale.id
    with pytest.raises(AccessDenied):
        await svc.change_sale_stage(uow, manager, sale.id, "kyc")
    assert (await svc.get_sale(uow, manager, sale.id)).stage == SaleStage.NEW


@pytest.mark.parametrize("role", [Role.TEAM_LEAD, Role.ADMIN])
async def test_team_leads_and_admins_move_sales(uow, services, system, role) -> None:
    boss = await _user(uow, 5200 + len(role.value), role)
    _, sale = await _sale(uow, services, system)
    assert (await svc.change_sale_stage(uow, boss, sale.id, "kyc")).stage == SaleStage.KYC
    assert (await svc.sale_history(uow, boss, sale.id))[0].actor == boss.label


async def test_another_managers_sale_is_not_found(uow, services) -> None:
    owner = await _user(uow, 5301, Role.MANAGER)
    other = await _user(uow, 5302, Role.MANAGER)
    lead, sale = await _sale(uow, services, owner)
    with pytest.raises(SaleNotFound):
        await svc.get_sale(uow, other, sale.id)
    assert await svc.sale_for_lead(uow, other, lead.id) is None


async def test_a_stale_card_cannot_move_the_sale(uow, services, system) -> None:
    _, sale = await _sale(uow, services, system)
    await svc.change_sale_stage(uow, system, sale.id, "kyc", expected_stage="new")
    with pytest.raises(StaleState):
        await svc.change_sale_stage(uow, system, sale.id, "agreement", expected_stage="new")
    with pytest.raises(InvalidValue):
        await svc.change_sale_stage(uow, system, sale.id, "agreement", expected_stage="nonsense")
    assert (await svc.get_sale(uow, system, sale.id)).stage == SaleStage.KYC


async def test_a_missing_sale_is_not_found_and_an_open_lead_has_no_sale(uow, services, system) -> None:
    with pytest.raises(SaleNotFound):
        await svc.get_sale(uow, system, 987654321)
    with pytest.raises(SaleNotFound):
        await svc.change_sale_stage(uow, system, 987654321, "kyc")
    lead = await lead_svc.create_lead(uow, services, system, source="manual")
    assert await svc.sale_for_lead(uow, system, lead.id) is None
