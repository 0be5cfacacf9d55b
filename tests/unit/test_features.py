"""The one feature function used for training and scoring, including its no-leakage rules."""

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from core.domain.enums import Outcome, SaleStage, Stage
from core.domain.outcome import lead_outcome
from core.scoring.base import ScoringInput
from core.scoring.features import features

T0 = datetime(2026, 1, 1, 9, 0, tzinfo=UTC)


def _lead(**kw) -> ScoringInput:
    base: dict[str, Any] = {
        "source": "partner",
        "stage": "contacted",
        "activity_count": 6,
        "business_domain": "fintech",
        "attributes": {"city": "Kazan", "employees": 120, "vip": True, "empty": None, "note": "  "},
        "activity_counts": {"meeting": 4, "call": 2},
        "created_at": T0,
        "first_contact_at": T0 + timedelta(hours=5),
        "last_activity_at": T0 + timedelta(days=1),
        "now": T0 + timedelta(days=10),
    }
    base.update(kw)
    return ScoringInput(**base)


def test_features_of_an_open_lead_cover_every_listed_signal() -> None:
    f = features(_lead())
    assert f["source"] == "partner" and f["business_domain"] == "fintech"
    assert f["attr:city"] == "Kazan" and f["attr:employees"] == 120.0 and f["attr:vip"] == 1.0
    assert f["attr:empty"] is None and f["attr:note"] is None
    assert (f["act:meeting"], f["act:call"], f["act:email"], f["activity_count"]) == (4.0, 2.0, 0.0, 6.0)
    assert f["hours_to_first_contact"] == pytest.approx(5.0)
    assert f["touches_per_day"] == pytest.approx(0.6)  # 6 touches over 10 days
    assert f["days_since_last_touch"] == pytest.approx(9.0)
    assert f["stage"] == "contacted"


def test_a_lead_never_contacted_has_missing_timing_features_not_zero() -> None:
    f = features(_lead(first_contact_at=None, last_activity_at=None, activity_count=0, activity_counts={}))
    assert f["hours_to_first_contact"] is None and f["days_since_last_touch"] is None
    assert f["touches_per_day"] == 0.0


def test_touches_without_known_times_give_no_rate_instead_of_a_wrong_one() -> None:
    """History imported without timestamps: counts are known, but not over how many days."""
    f = features(_lead(first_contact_at=None, last_activity_at=None, created_at=T0, now=T0))
    assert f["touches_per_day"] is None and f["activity_count"] == 6.0


def test_touches_per_day_counts_a_lead_younger_than_a_week_as_a_week_old() -> None:
    f = features(_lead(now=T0 + timedelta(hours=2), last_activity_at=T0 + timedelta(hours=1)))
    assert f["touches_per_day"] == pytest.approx(6 / 7)


@pytest.mark.parametrize("final_stage", [Stage.TRANSFERRED, Stage.LOST])
def test_the_stage_of_a_closed_lead_is_dropped_because_it_is_the_outcome(final_stage: Stage) -> None:
    assert features(_lead(stage=final_stage.value))["stage"] is None


def test_features_of_a_closed_lead_do_not_depend_on_whether_it_was_won_or_lost() -> None:
    """The same lead closed as won (transferred) or as lost must look identical to the trainer."""
    won = features(_lead(stage="transferred"))
    lost = features(_lead(stage="lost"))
    assert won == lost


def test_a_closed_lead_is_described_at_its_close_time_not_today() -> None:
    closed_at = T0 + timedelta(days=10)
    at_close = features(_lead(stage="lost", now=closed_at))
    assert at_close["days_since_last_touch"] == pytest.approx(9.0)
    # the function only ever uses the ``now`` it is given: no wall clock inside
    assert features(_lead(stage="lost", now=closed_at)) == at_close
    much_later = features(_lead(stage="lost", now=closed_at + timedelta(days=300)))
    assert much_later["days_since_last_touch"] == pytest.approx(309.0)


def test_scoring_and_training_views_of_the_same_facts_are_identical_except_the_stage() -> None:
    open_view = features(_lead(stage="qualified"))
    closed_view = features(_lead(stage="transferred"))
    assert {k: v for k, v in open_view.items() if k != "stage"} == {
        k: v for k, v in closed_view.items() if k != "stage"
    }


def test_unknown_stage_or_empty_source_becomes_missing_not_an_error() -> None:
    f = features(replace(_lead(), stage="weird", source=""))
    assert f["stage"] is None and f["source"] is None


@pytest.mark.parametrize(
    ("stage", "sale", "expected"),
    [
        (Stage.NEW, None, Outcome.OPEN),
        (Stage.QUALIFIED, None, Outcome.OPEN),
        (Stage.LOST, None, Outcome.LOST),
        (Stage.TRANSFERRED, SaleStage.NEW, Outcome.OPEN),
        (Stage.TRANSFERRED, SaleStage.AGREEMENT, Outcome.OPEN),
        (Stage.TRANSFERRED, SaleStage.PAID, Outcome.WON),
        (Stage.TRANSFERRED, SaleStage.LOST, Outcome.LOST),
    ],
)
def test_lead_outcome_is_won_only_when_the_sale_is_paid(stage, sale, expected) -> None:
    assert lead_outcome(stage, sale) == expected
