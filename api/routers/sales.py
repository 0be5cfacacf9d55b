"""Sales routes (``GET /sales/{id}``, ``PATCH /sales/{id}/stage``) are added by the sales work."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/sales", tags=["sales"])
