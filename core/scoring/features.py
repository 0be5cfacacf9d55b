"""Lead features: ONE function for training and for scoring, so the two can never drift apart.

``features(data)`` turns a :class:`ScoringInput` into a flat ``{name: value}`` dict. Values are
``str`` (categorical), ``float`` (numeric) or ``None`` (missing).

No leakage: a closed lead is described as it was *before* its outcome.

* The caller passes ``now`` = the moment the lead was closed (lost, sale paid or sale lost), so ages,
  "days since the last touch" and "touches per day" stop at the close, not today.
* Activities cannot be logged on a final lead (the lead services refuse it), so counts are pre-outcome.
* The stage is dropped for closed leads (``stage`` is ``None``): a won lead is always ``transferred``
  and, by the funnel rule, always passed ``qualified`` right before it — a learned stage weight would
  only learn that rule, not the lead. Open leads still report their stage (kept for explanations and
  for a future model trained on stage snapshots); a model trained on closed leads never sees the column.
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import Any

from core.domain.enums import ActivityKind, Stage
from core.domain.funnel import LEAD_FINAL
from core.scoring.base import ScoringInput

ATTR_PREFIX = "attr:"
ACT_PREFIX = "act:"
HOUR = 3600.0
DAY = 86400.0
MIN_AGE_DAYS = 7.0

Value = str | float | None


def _attribute_value(value: Any) -> Value:
    if value is None:
        return None
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        number = float(value)
        return number if math.isfinite(number) else None
    text = str(value).strip()
    return text or None


def _seconds(later: datetime | None, earlier: datetime | None) -> float | None:
    if later is None or earlier is None:
        return None
    return max((later - earlier).total_seconds(), 0.0)


def features(data: ScoringInput) -> dict[str, Value]:
    """The flat feature dict of one lead (see the module docstring for the no-leakage rules)."""
    out: dict[str, Value] = {
        "source": data.source or None,
        "business_domain": data.business_domain or None,
    }
    for key in sorted(data.attributes):
        out[ATTR_PREFIX + key] = _attribute_value(data.attributes[key])

    counts = data.activity_counts or {}
    for kind in ActivityKind:
        out[ACT_PREFIX + kind.value] = float(counts.get(kind.value, 0) or 0)
    out["activity_count"] = float(data.activity_count)

    first = _seconds(data.first_contact_at, data.created_at)
    out["hours_to_first_contact"] = None if first is None else first / HOUR

    age = _seconds(data.now, data.created_at)
    # Touches with no known time (history imported without timestamps) give no rate: the lead's age
    # there is the import's, not the lead's. Age of at least a week: a lead scored hours after
    # creation is not "10 touches a day".
    untimed = data.activity_count > 0 and data.first_contact_at is None
    out["touches_per_day"] = None if age is None or untimed else data.activity_count / max(age / DAY, MIN_AGE_DAYS)

    idle = _seconds(data.now, data.last_activity_at)
    out["days_since_last_touch"] = None if idle is None else idle / DAY

    stage = Stage(data.stage) if data.stage in Stage._value2member_map_ else None
    out["stage"] = None if stage is None or stage in LEAD_FINAL else stage.value
    return out
