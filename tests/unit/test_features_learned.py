"""The trainer and the learned scorer on generated data with a known signal (no database)."""

import copy
import random
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from core.domain.enums import Recommendation
from core.scoring.base import ScoringInput
from core.scoring.features import features
from core.scoring.learned import (
    LearnedModel,
    LearnedScorer,
    drop_cutoff,
    fit_candidates,
    pick_factors,
    recommend_learned,
)
from core.scoring.reasons import describe


def _examples(n: int, seed: int = 7) -> tuple[list[ScoringInput], np.ndarray]:
    """Partner leads with many meetings win; scanner leads with none lose; some label noise."""
    rng = random.Random(seed)
    inputs, labels = [], []
    for _ in range(n):
        source = rng.choice(["partner", "scanner", "manual"])
        meetings = rng.randint(0, 6)
        calls = rng.randint(0, 5)
        logit = -2.0 + (1.5 if source == "partner" else 0.0) + 0.7 * meetings + rng.gauss(0, 0.5)
        won = rng.random() < 1 / (1 + np.exp(-logit))
        inputs.append(
            ScoringInput(
                source=source,
                stage="lost",
                activity_count=meetings + calls,
                business_domain=rng.choice(["fintech", "saas", None]),
                attributes={"city": rng.choice(["Kazan", "Omsk", "Perm"])},
                activity_counts={"meeting": meetings, "call": calls},
            )
        )
        labels.append(int(won))
    return inputs, np.asarray(labels)


@pytest.fixture(scope="module")
def trained():
    inputs, y = _examples(400)
    return fit_candidates([features(i) for i in inputs], y, seed=42)


def test_every_candidate_is_cross_validated_and_the_best_auc_is_chosen(trained) -> None:
    assert set(trained.candidates) == {"logreg", "hgb"}
    best = max(trained.candidates.values(), key=lambda c: c.cv_auc)
    assert trained.chosen == best.name
    assert best.cv_auc > 0.75  # the planted signal is found
    assert all(0.0 < c.cv_brier < 0.25 for c in trained.candidates.values())


def test_learned_scores_are_probabilities_that_rank_the_planted_signal(trained) -> None:
    scorer = LearnedScorer(trained.learned_model(), "test-1")
    strong = ScoringInput("partner", "new", 7, "fintech", {"city": "Kazan"}, {"meeting": 6, "call": 1})
    weak = ScoringInput("scanner", "new", 0, "fintech", {"city": "Kazan"}, {})
    hi, lo = scorer.score(strong), scorer.score(weak)
    assert 0.0 <= lo.score < hi.score <= 1.0
    assert hi.score > 0.7 and lo.score < 0.3
    assert hi.version == lo.version == "test-1"
    assert hi.recommendation == Recommendation.TRANSFER_TO_SALES
    assert lo.recommendation == Recommendation.CONTINUE_QUALIFICATION  # nobody has tried it yet: never "drop"


MONTH_AGO, NOW = datetime(2026, 11, 1, tzinfo=UTC), datetime(2026, 12, 1, tzinfo=UTC)


def _lead(calls: int, *, created: datetime = MONTH_AGO, domain: str | None = "fintech") -> ScoringInput:
    counts = {"call": calls} if calls else {}
    return ScoringInput("scanner", "contacted", calls, domain, {"city": "Kazan"}, counts, created_at=created, now=NOW)


def test_the_learned_drop_cutoff_loses_at_most_a_tenth_of_the_won_leads_held_out(trained) -> None:
    best = trained.best
    assert best.drop_below is not None and 0.0 < best.drop_below < 0.5
    # the rule on a hand-counted table
    oof = np.array([0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.15, 0.25])
    target = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0])
    cut = drop_cutoff(oof, target)
    assert cut == 0.1 and (oof[target == 1] < cut).sum() <= 1  # 10 won leads: at most one below
    assert drop_cutoff(oof, np.zeros(12, dtype=int)) is None


@pytest.mark.parametrize(
    ("lead", "expected"),
    [
        (_lead(3), Recommendation.DROP_LEAD),  # tried, a month old, below the cut-off
        (_lead(0), Recommendation.CONTINUE_QUALIFICATION),  # no activity yet
        (_lead(3, created=NOW - timedelta(days=2)), Recommendation.CONTINUE_QUALIFICATION),  # too young
        (_lead(3, created=NOW - timedelta(days=3)), Recommendation.DROP_LEAD),
    ],
)
def test_drop_is_advised_only_below_the_cutoff_for_tried_leads_old_enough(lead, expected) -> None:
    got = recommend_learned(0.05, lead, transfer_threshold=0.6, drop_below=0.1, drop_min_age=timedelta(days=3))
    assert got == expected


@pytest.mark.parametrize(
    ("score", "domain", "expected"),
    [
        (0.6, "fintech", Recommendation.TRANSFER_TO_SALES),  # exactly the gate: the gate passes
        (0.59, "fintech", Recommendation.CONTINUE_QUALIFICATION),
        (0.95, None, Recommendation.CONTINUE_QUALIFICATION),  # the gate needs a domain
        (0.2, "fintech", Recommendation.CONTINUE_QUALIFICATION),  # above the learned cut-off
    ],
)
def test_transfer_is_advised_exactly_when_the_transfer_gate_would_pass(score, domain, expected) -> None:
    lead = _lead(3, domain=domain)
    got = recommend_learned(score, lead, transfer_threshold=0.6, drop_below=0.1, drop_min_age=timedelta(days=3))
    assert got == expected


def test_a_model_stored_before_the_learned_cutoff_never_advises_drop(trained) -> None:
    model = trained.learned_model()
    old = LearnedModel(spec=model.spec, model=model.model, algorithm=model.algorithm)  # drop_below: the default
    weak = ScoringInput("scanner", "new", 3, "fintech", {"city": "Kazan"}, {"call": 3}, created_at=MONTH_AGO, now=NOW)
    assert LearnedScorer(old, "old-1").score(weak).recommendation == Recommendation.CONTINUE_QUALIFICATION


def test_the_reason_names_the_top_factors_in_plain_words_with_their_direction(trained) -> None:
    scorer = LearnedScorer(trained.learned_model(), "test-1")
    res = scorer.score(ScoringInput("partner", "new", 6, "fintech", {"city": "Kazan"}, {"meeting": 6}))
    assert "6 meetings (+)" in res.reason and "встреч: 6 (+)" in res.reason_ru
    assert "partner source (+)" in res.reason and "источник «партнёр» (+)" in res.reason_ru
    assert res.reason.count("(+)") + res.reason.count("(−)") <= 4  # three, plus one a manager can change; no id
    assert "test-1" not in res.reason + res.reason_ru
    weak = scorer.score(ScoringInput("scanner", "new", 0, None, {"city": "Kazan"}, {}))
    assert "0 meetings (−)" in weak.reason


def _contributions(**by_name: float) -> tuple[list[str], np.ndarray]:
    return list(by_name), np.asarray(list(by_name.values()))


def test_a_reason_names_the_three_largest_factors_and_a_changeable_one_from_the_top_five() -> None:
    names, c = _contributions(
        **{"attr:country": 1.2, "source": -0.9, "attr:visits": 0.8, "attr:city": 0.4, "days_since_last_touch": -0.3}
    )
    picked = pick_factors(names, {"days_since_last_touch": 9.0}, c)
    assert [f.feature for f in picked] == ["attr:country", "source", "attr:visits", "days_since_last_touch"]
    assert picked[-1].sign == "−"


def test_when_the_top_three_point_the_wrong_way_the_next_ones_pushing_the_score_are_named_too() -> None:
    # the score went up overall (all six add up to +0.7), but the top three add up to -1.1
    names, c = _contributions(a=-1.0, b=-0.9, c=0.8, d=0.7, e=0.6, f=0.5)
    picked = pick_factors(names, {}, c)
    assert [f.feature for f in picked] == ["a", "b", "c", "d", "e"]  # -1.1 + 0.7 + 0.6 > 0; f is sixth
    assert sum(f.delta for f in picked) > 0


def test_a_changeable_factor_below_the_top_five_is_not_named() -> None:
    names, c = _contributions(a=1.0, b=0.9, c=0.8, d=0.7, e=0.6, activity_count=0.5)
    assert [f.feature for f in pick_factors(names, {}, c)] == ["a", "b", "c"]


def test_contributions_too_small_to_matter_are_not_named() -> None:
    names, c = _contributions(a=1.0, b=0.01, activity_count=-0.02)
    assert [f.feature for f in pick_factors(names, {}, c)] == ["a"]


def test_contributions_add_up_to_the_log_odds_minus_the_training_average(trained) -> None:
    inputs, _ = _examples(60, seed=5)
    rows = [features(i) for i in inputs]
    for fit in trained.candidates.values():
        model = LearnedModel(spec=trained.spec, model=fit.model, algorithm=fit.name)
        frame = trained.spec.frame(rows)
        total = model.contributions_rows(rows).sum(axis=1) + model.attribution().base
        np.testing.assert_allclose(total, fit.model.log_odds(frame), atol=1e-8)


def test_the_base_value_is_the_mean_log_odds_of_the_training_rows() -> None:
    inputs, y = _examples(200, seed=3)
    rows = [features(i) for i in inputs]
    outcome = fit_candidates(rows, y)
    frame = outcome.spec.frame(rows)
    for fit in outcome.candidates.values():
        assert fit.model.attribution.base == pytest.approx(float(fit.model.log_odds(frame).mean()), abs=1e-8)


def test_a_version_stored_without_an_attribution_is_still_explained(trained) -> None:
    for fit in copy.deepcopy(trained).candidates.values():
        fit.model.attribution = None  # as unpickled from a version stored before attributions
        model = LearnedModel(spec=trained.spec, model=fit.model, algorithm=fit.name)
        _, factors = model.explain_rows([features(ScoringInput("partner", "new", 6, "fintech", {}, {"meeting": 6}))])
        assert factors[0] and fit.model.attribution is not None


def test_batch_scoring_gives_the_same_results_as_one_by_one(trained) -> None:
    scorer = LearnedScorer(trained.learned_model(), "test-1")
    inputs, _ = _examples(20, seed=99)
    assert scorer.score_many(inputs) == [scorer.score(i) for i in inputs]


def test_an_unseen_category_at_scoring_time_is_treated_as_missing_not_an_error(trained) -> None:
    scorer = LearnedScorer(trained.learned_model(), "test-1")
    res = scorer.score(ScoringInput("telepathy", "new", 1, "astrology", {"city": "Atlantis"}, {"meeting": 1}))
    assert 0.0 <= res.score <= 1.0


def test_id_like_text_columns_are_left_out_of_the_model_but_real_categories_stay() -> None:
    from core.scoring.features import Value
    from core.scoring.learned import FeatureSpec

    rows: list[dict[str, Value]] = [
        {"attr:landing": f"a9f{i:05x}", "attr:city": ("Kazan", "Omsk")[i % 2], "attr:n": float(i)} for i in range(200)
    ]
    spec = FeatureSpec.infer(rows)
    assert "attr:landing" not in spec.names and {"attr:city", "attr:n"} <= set(spec.names)


def test_training_refuses_a_single_outcome() -> None:
    inputs, _ = _examples(30)
    with pytest.raises(ValueError, match="each outcome"):
        fit_candidates([features(i) for i in inputs], [1] * 30)


@pytest.mark.parametrize(
    ("feature", "value", "en", "ru"),
    [
        ("days_since_last_touch", 9.2, "no contact for 9 days", "нет контакта 9 дней"),
        ("days_since_last_touch", 1.5, "no contact for 1 day", "нет контакта 1 день"),
        ("days_since_last_touch", 22.0, "no contact for 22 days", "нет контакта 22 дня"),
        ("days_since_last_touch", 0.3, "last contact today", "последний контакт сегодня"),
        ("hours_to_first_contact", 0.4, "first contact within an hour", "первый контакт в течение часа"),
        ("hours_to_first_contact", 5.2, "first contact after 5 h", "первый контакт через 5 ч"),
        ("hours_to_first_contact", 120.0, "first contact after 5 days", "первый контакт через 5 дней"),
        ("act:call", 1.0, "1 call", "звонков: 1"),
        ("source", "scanner", "scanner source", "источник «сканер»"),
        ("act:meeting", 4.0, "4 meetings", "встреч: 4"),
        ("source", "partner", "partner source", "источник «партнёр»"),
        ("business_domain", None, "no business domain", "сфера бизнеса не указана"),
        ("business_domain", "real_estate", "real estate domain", "сфера «недвижимость»"),
        ("stage", "qualified", "stage qualified", "этап «квалифицирован»"),
        ("attr:time_on_website", 674.0, "time on website = 674", "time on website: 674"),
        ("attr:page_views_per_visit", 4.96, "page views per visit = 4.96", "page views per visit: 4.96"),
        ("attr:visits", 3, "visits = 3", "visits: 3"),
    ],
)
def test_features_are_described_in_plain_words(feature, value, en, ru) -> None:
    assert describe(feature, value) == (en, ru)
