"""The admin's levers on the scorer against real PostgreSQL: the stored transfer gate is what transfers and the
learned advice follow; changes are confirmed against what was shown and recorded; a roll-back to a stored version."""

from __future__ import annotations

import pytest

from core.domain.enums import Role
from core.domain.errors import AccessDenied, InvalidValue, StaleState, TransferNotAllowed
from core.domain.models import Actor
from core.scoring.learned import LearnedScorer
from core.scoring.provider import LearnedOrRules
from core.services import leads as lead_svc
from core.services import scorer_admin as svc
from tests.model_versions import version

ADMIN = Actor(label="tg:1", user_id=1, role=Role.ADMIN)
MANAGER = Actor(label="tg:2", user_id=2, role=Role.MANAGER)


async def _qualified(uow, services, system):
    lead = await lead_svc.create_lead(uow, services, system, source="manual", business_domain="saas")
    await lead_svc.log_activity(uow, services, system, lead.id, kind="call")
    await lead_svc.change_stage(uow, services, system, lead.id, "contacted")
    await lead_svc.change_stage(uow, services, system, lead.id, "qualified")
    return await lead_svc.analyze(uow, services, system, lead.id)  # rules-v1: .4 + .05 + .15 + .1 = .7


async def test_a_gate_set_by_an_admin_decides_transfers_instead_of_the_settings_default(uow, services, system) -> None:
    lead = await _qualified(uow, services, system)
    assert lead.ai_score == 0.7  # would pass the settings' 0.6
    await svc.set_gate(uow, services.policy, ADMIN, 0.75, expect=0.6)
    with pytest.raises(TransferNotAllowed) as err:
        await lead_svc.change_stage(uow, services, system, lead.id, "transferred")
    assert err.value.threshold == 0.75
    async with uow:
        assert await svc.transfer_gate(uow, services.policy) == 0.75
        (change,) = await uow.ml.changes(5)
    assert change.kind == "gate" and change.detail == {"from": 0.6, "to": 0.75} and change.actor == "tg:1"


async def test_a_gate_change_asked_under_another_gate_changes_nothing(uow, services) -> None:
    await svc.set_gate(uow, services.policy, ADMIN, 0.5, expect=0.6)
    with pytest.raises(StaleState):
        await svc.set_gate(uow, services.policy, ADMIN, 0.7, expect=0.6)  # an old confirmation
    async with uow:
        assert await svc.transfer_gate(uow, services.policy) == 0.5
        assert len(await uow.ml.changes(5)) == 1


async def test_only_an_admin_moves_the_gate_or_the_model(uow, services) -> None:
    with pytest.raises(AccessDenied):
        await svc.set_gate(uow, services.policy, MANAGER, 0.5, expect=0.6)
    with pytest.raises(AccessDenied):
        await svc.activate_version(uow, MANAGER, 1, expect_active=None)


@pytest.mark.parametrize(("typed", "gate"), [("0.55", 0.55), ("0,55", 0.55), ("55", 0.55), ("70%", 0.7)])
def test_a_typed_gate_reads_as_a_person_writes_it(typed: str, gate: float) -> None:
    assert svc.parse_gate(typed) == gate


@pytest.mark.parametrize("typed", ["abc", "0.99", "0", "-5", "nan", ""])
def test_a_gate_outside_the_range_or_not_a_number_is_refused(typed: str) -> None:
    with pytest.raises(InvalidValue):
        svc.parse_gate(typed)


async def test_the_learned_advice_follows_the_stored_gate(uow, services) -> None:
    async with uow:
        await uow.ml.add(version("logreg-a", auc=0.8, day=1), activate=True)
        await uow.commit()
    provider = LearnedOrRules(ttl_seconds=60, transfer_threshold=0.6)
    LearnedOrRules.activations_changed()
    first = await provider.current(uow)
    assert isinstance(first, LearnedScorer) and first.transfer_threshold == 0.6
    await svc.set_gate(uow, services.policy, ADMIN, 0.45, expect=0.6)
    scorer = await provider.current(uow)  # the change in this process is seen at once, TTL or not
    assert isinstance(scorer, LearnedScorer) and scorer.transfer_threshold == 0.45


async def test_an_admin_rolls_back_to_a_stored_version_and_it_is_recorded(uow) -> None:
    async with uow:
        await uow.ml.add(version("logreg-old", auc=0.8, day=1), activate=False)
        await uow.ml.add(version("logreg-new", auc=0.7, day=2), activate=True)
        await uow.commit()
        old_id, new_id = [v.id for v in reversed(await uow.ml.versions(5))]
    with pytest.raises(StaleState):  # the screen showed rules-v1 as active: out of date
        await svc.activate_version(uow, ADMIN, old_id, expect_active=None)
    with pytest.raises(StaleState):  # already the active one
        await svc.activate_version(uow, ADMIN, new_id, expect_active=new_id)
    back = await svc.activate_version(uow, ADMIN, old_id, expect_active=new_id)
    assert back.version == "logreg-old"
    async with uow:
        assert (await uow.ml.active_id()) == (old_id, "logreg-old")
        (change,) = await uow.ml.changes(5)
    assert change.kind == "activate" and change.detail == {"version": "logreg-old", "from": "logreg-new"}
