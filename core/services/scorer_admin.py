"""The admin's levers on the scorer (/model): the transfer gate and which stored model version is active.

* The gate is ``team_settings['transfer_gate']`` when an admin set one, else the TRANSFER_THRESHOLD setting
  (``Policy.transfer_threshold``). :func:`transfer_gate` is what the transfer service and the learned scorer's
  "transfer" advice read, so the two never disagree.
* Every version training stores is kept; :func:`activate_version` switches back (or forward) to one.
* Each change is one transaction with its row in ``model_changes`` (who, when, from what to what), and refuses
  to act on a stale screen: the caller says which gate / active version it showed (``expect``).

After a change the open leads' stored recommendations are stale; the caller re-scores them
(:func:`core.services.training.rescore_open_leads`, in the background).
"""

from __future__ import annotations

import math
from dataclasses import replace

from core.domain.clock import utcnow
from core.domain.errors import InvalidValue, Rule, StaleState, VersionNotFound
from core.domain.models import Actor
from core.scoring.provider import LearnedOrRules, load_model
from core.services.context import Policy
from core.services.ports import GateStats, ModelChange, ModelVersion, UnitOfWork
from core.services.users import ensure_admin

GATE_MIN, GATE_MAX = 0.05, 0.95  # a gate of 0 or 1 lets everything through or nothing
VERSIONS_SHOWN = 8


async def transfer_gate(uow: UnitOfWork, policy: Policy) -> float:
    """The gate now, inside the caller's ``async with uow``."""
    stored = await uow.ml.gate()
    return policy.transfer_threshold if stored is None else stored


def parse_gate(text: str) -> float:
    """A typed gate: "0.55", "0,55" or "55" (per cent)."""
    raw = text.strip().replace(",", ".").rstrip("%").strip()
    try:
        value = float(raw)
    except ValueError:
        raise InvalidValue("transfer_gate", Rule.NOT_A_NUMBER, value=text) from None
    if value > 1:
        value /= 100
    if not math.isfinite(value) or not GATE_MIN <= value <= GATE_MAX:
        raise InvalidValue("transfer_gate", Rule.OUT_OF_RANGE, value=text, minimum=GATE_MIN, maximum=GATE_MAX)
    return round(value, 2)


async def gate_preview(uow: UnitOfWork, actor: Actor, threshold: float) -> GateStats:
    """What a gate would mean on the team's data, before an admin confirms it."""
    ensure_admin(actor)
    async with uow:
        return await uow.ml.gate_stats(threshold)


async def set_gate(uow: UnitOfWork, policy: Policy, actor: Actor, threshold: float, *, expect: float) -> GateStats:
    """Admins only. ``expect``: the gate the confirmation was asked under (a second or old "Yes" changes nothing)."""
    ensure_admin(actor)
    threshold = parse_gate(str(threshold))
    async with uow:
        current = await transfer_gate(uow, policy)
        if not math.isclose(current, expect, abs_tol=1e-9):
            raise StaleState()
        now = utcnow()
        await uow.ml.set_gate(threshold, actor=actor.label, now=now)
        await uow.ml.record_change(ModelChange(now, actor.label, "gate", {"from": current, "to": threshold}))
        stats = await uow.ml.gate_stats(threshold)
        await uow.commit()
    LearnedOrRules.activations_changed()  # the learned scorer's "transfer" advice follows the gate
    return stats


async def list_versions(uow: UnitOfWork, actor: Actor, limit: int = VERSIONS_SHOWN) -> list[ModelVersion]:
    ensure_admin(actor)
    async with uow:
        return await uow.ml.versions(limit)


async def get_version(uow: UnitOfWork, actor: Actor, version_id: int) -> ModelVersion:
    ensure_admin(actor)
    async with uow:
        found = await uow.ml.get(version_id)
    if found is None:
        raise VersionNotFound(version_id)
    return found


async def activate_version(
    uow: UnitOfWork, actor: Actor, version_id: int, *, expect_active: int | None
) -> ModelVersion:
    """Admins only: make a stored version the active scorer (a roll-back, or forward again). ``expect_active``:
    the version that was active when the admin was asked (None: rules-v1)."""
    ensure_admin(actor)
    async with uow:
        active = await uow.ml.active_id()
        active_id, active_name = active if active is not None else (None, None)
        if active_id != expect_active or active_id == version_id:
            raise StaleState()
        target = await uow.ml.get(version_id)
        if target is None:
            raise VersionNotFound(version_id)
        if load_model(target) is None:  # e.g. stored by an older scikit-learn: it would fall back to rules-v1
            raise InvalidValue("model_version", Rule.NOT_ONE_OF, value=target.version)
        now = utcnow()
        await uow.ml.activate(version_id)
        detail = {"version": target.version, "from": active_name}
        await uow.ml.record_change(ModelChange(now, actor.label, "activate", detail))
        await uow.commit()
    LearnedOrRules.activations_changed()
    return target


async def recent_changes(uow: UnitOfWork, actor: Actor, limit: int = 3) -> list[ModelChange]:
    """The newest changes, a bot user's label ("tg:42") replaced by their name."""
    ensure_admin(actor)
    async with uow:
        changes = await uow.ml.changes(limit)
        named = []
        for change in changes:
            who = change.actor.removeprefix("tg:")
            user = await uow.users.get(int(who)) if who.isdecimal() else None
            named.append(replace(change, actor=user.full_name) if user is not None and user.full_name else change)
        return named


async def current_gate(uow: UnitOfWork, policy: Policy, actor: Actor) -> GateStats:
    """The gate now, with what it means on the team's data (admins)."""
    ensure_admin(actor)
    async with uow:
        return await uow.ml.gate_stats(await transfer_gate(uow, policy))
