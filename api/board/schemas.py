"""The board's request bodies (BOARD_API.md). Unknown fields are refused; sizes are the domain's; every action
names the version of the card it was made on (a stale board refreshes instead of acting twice). Responses are
plain dicts built by ``api.board.texts``."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field, model_validator

from api.schemas import Domain, Reason, StageName, Text
from core.domain.ids import BIGINT_MAX

DUE_TEXT_MAX = 200
KIND_MAX = 20

Version = Annotated[int, Field(ge=1, le=BIGINT_MAX, description="The card's version the board showed")]
Kind = Annotated[str, Field(max_length=KIND_MAX)]


class _Body(BaseModel):
    model_config = ConfigDict(extra="forbid")


class MoveIn(_Body):
    to: StageName
    version: Version


class VersionIn(_Body):
    version: Version


class ActivityIn(_Body):
    kind: Kind
    version: Version
    outcome: Kind | None = None
    text: Text | None = None
    to_contacted: bool = Field(False, description="A new lead moves to contacted with it (the first contact)")


class NextStepIn(_Body):
    version: Version
    kind: Kind = "call"
    due: Annotated[str, Field(max_length=DUE_TEXT_MAX)] | None = None
    note: Reason | None = None
    clear: bool = False

    @model_validator(mode="after")
    def _due_or_clear(self) -> NextStepIn:
        if not self.clear and not (self.due and self.due.strip()):
            raise ValueError("due: say when (e.g. “tomorrow 10:00”), or send clear: true")
        return self


class LostIn(_Body):
    version: Version
    reason_code: Kind | None = None
    reason: Reason | None = None

    @model_validator(mode="after")
    def _some_reason(self) -> LostIn:
        if not self.reason_code and not (self.reason and self.reason.strip()):
            raise ValueError("reason: choose a reason_code or type a reason")
        return self


class DomainIn(_Body):
    version: Version
    domain: Domain


class DealMoveIn(_Body):
    to: StageName
    stage: StageName = Field(description="The deal's stage the board showed (a moved deal is a 409 stale)")
    reason_code: Kind | None = None
    reason: Reason | None = None
