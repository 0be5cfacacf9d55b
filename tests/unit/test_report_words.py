"""Training reports are data; the CLI words them in English, the bot in the reader's language."""

from __future__ import annotations

import pytest

from bot import render
from bot.i18n import make_i18n
from cli import reports
from core.services.training import ModelInfo, RescoreReport, TrainReport, TrainStatus

NOT_ENOUGH = TrainReport(status=TrainStatus.NOT_ENOUGH_DATA, n_won=5, n_lost=7, min_closed=200, min_per_class=20)
RULES = ModelInfo(version="rules-v1", algorithm=None, is_learned=False)


@pytest.fixture(params=["ru", "en"])
def locale(request):
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale(request.param):
        yield request.param


def test_the_cli_says_why_nothing_was_trained_and_what_scoring_stays_on() -> None:
    assert reports.train_lines(NOT_ENOUGH) == [
        "Not enough history to train: 12 closed leads (5 won, 7 lost); need at least 200 with 20 of each outcome. "
        "Scoring stays on rules-v1.",
        "closed leads: 5 won, 7 lost",
    ]
    assert reports.model_lines(RULES) == ["active scorer: rules-v1 (hand rule of the original service)"]
    assert reports.rescore_summary(RescoreReport(leads=7, batches=3, version="v1", seconds=0.25)) == (
        "re-scored 7 open leads with v1 in 3 batches, 0.2 s"
    )


def test_the_bot_words_the_same_report_in_the_readers_language(locale) -> None:
    text = render.train_report(NOT_ENOUGH)
    info = render.model_info(RULES)
    if locale == "ru":
        assert text.startswith("<b>Мало истории для обучения: закрытых лидов 12 (выиграно 5, проиграно 7)")
        assert info == "<b>активная модель: rules-v1 (ручное правило исходного сервиса)</b>"
    else:
        assert text.startswith("<b>Not enough history to train: 12 closed leads (5 won, 7 lost)")
        assert info == "<b>active scorer: rules-v1 (hand rule of the original service)</b>"
