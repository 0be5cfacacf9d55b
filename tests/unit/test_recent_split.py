"""Activation compares candidates on the most recently closed 20 % of leads (a time split)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import numpy as np

from core.scoring.base import ScoringInput
from core.services.training import TrainingSet, recent_split

START = datetime(2026, 1, 1, tzinfo=UTC)


def _set(days: Sequence[int | None], y: list[int]) -> TrainingSet:
    inputs = [
        ScoringInput("manual", "lost", 0, None, now=None if d is None else START + timedelta(days=d)) for d in days
    ]
    return TrainingSet(inputs, np.asarray(y))


def test_the_most_recently_closed_fifth_is_held_out() -> None:
    days = [9, 3, 7, 1, 8, 0, 5, 2, 6, 4]  # closed in shuffled order
    tr, ho = recent_split(_set(days, [1, 0, 0, 1, 0, 1, 0, 1, 0, 1]))  # days 9 and 8: one won, one lost
    assert sorted(days[i] for i in ho) == [8, 9]
    assert sorted([*tr, *ho]) == list(range(10))


def test_a_recent_part_with_one_outcome_only_falls_back_to_a_stratified_split() -> None:
    y = [1, 0] * 5 + [0] * 10  # the 4 most recent (days 16-19) all lost
    _, ho = recent_split(_set(list(range(20)), y))
    assert len(ho) == 4 and set(np.asarray(y)[ho]) == {0, 1}


def test_a_history_without_close_times_is_split_at_random_but_stratified() -> None:
    y = [0, 1] * 10
    _, ho = recent_split(_set([0] * 20, y))  # imported without dates: all one time
    assert len(ho) == 4 and sorted(np.asarray(y)[ho]) == [0, 0, 1, 1]
