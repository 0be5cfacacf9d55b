"""``rules-v1``: the original service's hand rule, reproduced exactly.

Every step is a multiple of 0.05, so the sum is rounded to two decimals to avoid
binary-float artefacts (0.4 + 0.15 + 0.05 + 0.1 must be 0.7, not 0.7000000000000001).
"""

from __future__ import annotations

from core.scoring.base import ScoreResult, ScoringInput, recommend
from core.scoring.words import DOMAIN_RU, REC_EN, REC_RU, SOURCE_RU, STAGE_RU

SOURCE_BASE = {"partner": 0.7, "scanner": 0.5, "manual": 0.4}
OTHER_SOURCE_BASE = 0.3
STAGE_BONUS = {"new": 0.0, "contacted": 0.05, "qualified": 0.15, "transferred": 0.2, "lost": -0.4}
DOMAIN_BONUS = 0.1
NO_DOMAIN_CAP = 0.55


def activity_bonus(activity_count: int) -> float:
    if activity_count <= 0:
        return -0.2
    if activity_count < 3:
        return 0.05
    if activity_count < 7:
        return 0.15
    return 0.25


class RulesV1Scorer:
    version = "rules-v1"

    def score(self, data: ScoringInput) -> ScoreResult:
        base = SOURCE_BASE.get(data.source, OTHER_SOURCE_BASE)
        act = activity_bonus(data.activity_count)
        stage = STAGE_BONUS.get(data.stage, 0.0)
        domain_known = bool(data.business_domain)
        score = base + act + stage
        if domain_known:
            score += DOMAIN_BONUS
        else:
            score = min(score, NO_DOMAIN_CAP)
        score = round(min(max(score, 0.0), 1.0), 2)
        rec = recommend(score, domain_known)

        n = data.activity_count
        if domain_known:
            dom_en = f"business domain '{data.business_domain}' is known"
            domain = str(data.business_domain)
            dom_ru = f"сфера «{DOMAIN_RU.get(domain, domain)}» известна"
        else:
            dom_en = f"business domain is unknown (score capped at {NO_DOMAIN_CAP})"
            dom_ru = f"сфера не указана (оценка не выше {NO_DOMAIN_CAP})"
        reason_en = (
            f"Source '{data.source}', {n} activit{'y' if n == 1 else 'ies'}, stage '{data.stage}', "
            f"{dom_en}: score {score:.2f}, so {REC_EN[rec]}."
        )
        reason_ru = (
            f"Источник «{SOURCE_RU.get(data.source, data.source)}», активностей: {n}, "
            f"этап «{STAGE_RU.get(data.stage, data.stage)}», "
            f"{dom_ru}: оценка {score:.2f}, поэтому {REC_RU[rec]}."
        )
        return ScoreResult(score=score, recommendation=rec, reason=reason_en, reason_ru=reason_ru, version=self.version)
