from core.scoring.base import Scorer, ScoreResult, ScoringInput
from core.scoring.rules_v1 import RulesV1Scorer

__all__ = ["RulesV1Scorer", "ScoreResult", "Scorer", "ScoringInput"]
