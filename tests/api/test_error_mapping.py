"""Which HTTP status each domain error becomes (the table in api/errors.py)."""

from __future__ import annotations

import pytest

from api.errors import status_for
from core.domain.errors import (
    AccessDenied,
    ApiKeyNotFound,
    DomainError,
    InvalidTransition,
    InvalidValue,
    LeadIsFinal,
    LeadNotFound,
    NotFound,
    Rule,
    SaleNotFound,
    StaleState,
    TransferBlock,
    TransferNotAllowed,
)


@pytest.mark.parametrize(
    ("error", "status"),
    [
        (LeadNotFound(1), 404),
        (SaleNotFound(1), 404),
        (NotFound("No API key named 'x'"), 404),
        (ApiKeyNotFound("x"), 404),
        (InvalidTransition("new", "qualified"), 400),
        (TransferNotAllowed([TransferBlock.NO_DOMAIN], 0.9, 0.6), 400),
        (LeadIsFinal(1, "lost"), 400),
        (InvalidValue("contact", Rule.BAD_FORMAT), 422),
        (AccessDenied(), 403),
        (StaleState(), 409),
        (DomainError("some other rule"), 400),
    ],
)
def test_each_domain_error_has_its_status(error, status) -> None:
    assert status_for(error) == status
