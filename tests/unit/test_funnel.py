"""The funnel rules of the original service, case by case."""

import pytest

from api.words import describe
from core.domain import funnel
from core.domain.errors import InvalidTransition, TransferBlock, TransferNotAllowed

STAGES = ["new", "contacted", "qualified", "transferred", "lost"]
VALID = {
    ("new", "contacted"),
    ("contacted", "qualified"),
    ("qualified", "transferred"),
    ("new", "lost"),
    ("contacted", "lost"),
    ("qualified", "lost"),
}


@pytest.mark.parametrize("current", STAGES)
@pytest.mark.parametrize("target", [*STAGES, "unknown", "", "NEW"])
def test_only_one_step_forward_or_lost_from_a_non_final_stage(current: str, target: str) -> None:
    assert funnel.is_valid_stage_transition(current, target) == ((current, target) in VALID)


@pytest.mark.parametrize("current", ["transferred", "lost"])
def test_final_stages_are_frozen(current: str) -> None:
    for target in STAGES:
        with pytest.raises(InvalidTransition) as err:
            funnel.ensure_transition(current, target)
        assert (err.value.current, err.value.target) == (current, target)
        assert describe(err.value) == f"Invalid stage transition from '{current}' to '{target}'"


def test_unknown_current_stage_is_invalid() -> None:
    assert not funnel.is_valid_stage_transition("archived", "lost")


@pytest.mark.parametrize(
    ("score", "domain", "blocks"),
    [
        (0.6, "fintech", []),
        (0.95, "fintech", []),
        (0.59, "fintech", [TransferBlock.LOW_SCORE]),
        (None, "fintech", [TransferBlock.NO_SCORE]),
        (0.8, None, [TransferBlock.NO_DOMAIN]),
        (0.8, "", [TransferBlock.NO_DOMAIN]),
        (0.1, None, [TransferBlock.LOW_SCORE, TransferBlock.NO_DOMAIN]),
        (None, None, [TransferBlock.NO_SCORE, TransferBlock.NO_DOMAIN]),
    ],
)
def test_transfer_needs_score_at_threshold_and_a_domain(score, domain, blocks) -> None:
    assert funnel.transfer_blocks(score, domain, 0.6) == blocks


def test_transfer_error_names_each_failed_condition() -> None:
    with pytest.raises(TransferNotAllowed) as err:
        funnel.ensure_transfer_allowed(0.45, None, 0.6)
    assert (err.value.blocks, err.value.score, err.value.threshold) == (
        [TransferBlock.LOW_SCORE, TransferBlock.NO_DOMAIN],
        0.45,
        0.6,
    )
    assert "0.45 is below the required 0.60" in describe(err.value)
    assert "business_domain is not set" in describe(err.value)


def test_transfer_threshold_is_configurable() -> None:
    assert funnel.transfer_blocks(0.65, "saas", 0.7) == [TransferBlock.LOW_SCORE]


SALE_VALID = {
    ("new", "kyc"),
    ("kyc", "agreement"),
    ("agreement", "paid"),
    ("new", "lost"),
    ("kyc", "lost"),
    ("agreement", "lost"),
}
SALE_STAGES = ["new", "kyc", "agreement", "paid", "lost"]


@pytest.mark.parametrize("current", SALE_STAGES)
@pytest.mark.parametrize("target", [*SALE_STAGES, "bogus"])
def test_sale_funnel_follows_the_same_one_step_rule(current: str, target: str) -> None:
    assert funnel.is_valid_sale_transition(current, target) == ((current, target) in SALE_VALID)
