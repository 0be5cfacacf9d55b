"""rules-v1: the original hand rule, every branch of the spec."""

import itertools

import pytest

from core.domain.enums import Recommendation
from core.scoring import RulesV1Scorer, ScoringInput
from core.scoring.base import Scorer

BASE = {"partner": 0.7, "scanner": 0.5, "manual": 0.4, "other": 0.3}
ACT = [(0, -0.2), (1, 0.05), (2, 0.05), (3, 0.15), (6, 0.15), (7, 0.25), (40, 0.25)]
STAGE = {"new": 0.0, "contacted": 0.05, "qualified": 0.15, "transferred": 0.2, "lost": -0.4}


def expected(source: str, activities: int, stage: str, domain: str | None) -> tuple[float, Recommendation]:
    """The spec written out independently of the implementation, in integer hundredths."""
    cents = round(BASE[source] * 100) + round(dict(ACT)[activities] * 100) + round(STAGE[stage] * 100)
    if domain:
        cents += 10
    else:
        cents = min(cents, 55)
    cents = max(0, min(100, cents))
    if cents >= 70 and domain:
        rec = Recommendation.TRANSFER_TO_SALES
    elif cents <= 30:
        rec = Recommendation.DROP_LEAD
    else:
        rec = Recommendation.CONTINUE_QUALIFICATION
    return cents / 100, rec


CASES = list(itertools.product(BASE, [a for a, _ in ACT], STAGE, ["fintech", None]))


@pytest.mark.parametrize(("source", "activities", "stage", "domain"), CASES)
def test_rules_v1_matches_the_original_rule(source, activities, stage, domain) -> None:
    result = RulesV1Scorer().score(
        ScoringInput(source=source, stage=stage, activity_count=activities, business_domain=domain)
    )
    score, rec = expected(source, activities, stage, domain)
    assert result.score == pytest.approx(score, abs=1e-9)
    assert result.recommendation == rec
    assert result.version == "rules-v1"


@pytest.mark.parametrize(
    ("source", "activities", "stage", "domain", "score", "rec"),
    [
        ("partner", 4, "qualified", "fintech", 1.0, "transfer_to_sales"),  # .7+.15+.15+.1 = 1.1 -> clamp
        ("manual", 1, "new", "fintech", 0.55, "continue_qualification"),
        ("manual", 1, "contacted", "fintech", 0.6, "continue_qualification"),
        ("manual", 1, "qualified", "fintech", 0.7, "transfer_to_sales"),  # exactly .7, not .7000000000000001
        ("partner", 10, "qualified", None, 0.55, "continue_qualification"),  # capped without a domain
        ("scanner", 0, "new", None, 0.3, "drop_lead"),
        ("manual", 0, "lost", None, 0.0, "drop_lead"),  # .4-.2-.4 = -.2 -> clamp 0
        ("partner", 3, "new", None, 0.55, "continue_qualification"),
    ],
)
def test_rules_v1_worked_examples(source, activities, stage, domain, score, rec) -> None:
    result = RulesV1Scorer().score(
        ScoringInput(source=source, stage=stage, activity_count=activities, business_domain=domain)
    )
    assert result.score == score
    assert result.recommendation.value == rec


def test_reason_is_a_plain_sentence_in_english_and_russian() -> None:
    result = RulesV1Scorer().score(
        ScoringInput(source="partner", stage="qualified", activity_count=4, business_domain="fintech")
    )
    assert result.reason.startswith("Source 'partner', 4 activities")
    assert "transfer to sales" in result.reason
    assert "передать в продажи" in result.reason_ru
    assert "этап «квалифицирован»" in result.reason_ru and "сфера «финтех» известна" in result.reason_ru
    assert "стадия" not in result.reason_ru and "fintech" not in result.reason_ru  # the UI's words, no raw values
    assert result.reason.endswith(".") and result.reason_ru.endswith(".")


def test_rules_v1_satisfies_the_scorer_protocol() -> None:
    assert isinstance(RulesV1Scorer(), Scorer)
