"""Who hears about a deal: the manager who transferred the lead (its owner) when the deal is paid or lost.

Queued in the caller's transaction (the outbox), rendered when sent by
``bot.render.notifications.outbox_message`` (event ``deal_closed``) in the manager's language."""

from __future__ import annotations

from core.domain.enums import LostReason
from core.domain.models import Actor, Sale
from core.services.ports import UnitOfWork


async def tell_manager_closed(
    uow: UnitOfWork, actor: Actor, sale: Sale, *, reason: str | None, reason_code: LostReason | None
) -> None:
    """Queue the "your deal is paid / lost" message for the lead's owner (not when they closed it themselves,
    nor to a deactivated user)."""
    lead = await uow.leads.get(sale.lead_id)
    if lead is None or lead.owner_id is None or lead.owner_id == actor.user_id:
        return
    manager = await uow.users.get(lead.owner_id)
    if manager is None or not manager.is_active:
        return
    await uow.outbox.enqueue(
        dedupe_key=f"deal_closed:{sale.id}",
        chat_id=manager.id,
        payload={
            "event": "deal_closed",
            "language": manager.language,
            "sale_id": sale.id,
            "lead_id": lead.id,
            "name": lead.display_name,
            "stage": sale.stage.value,
            "amount": str(sale.amount) if sale.amount is not None else None,
            "currency": sale.currency,
            "reason_code": reason_code.value if reason_code else None,
            "reason": reason,
        },
    )
