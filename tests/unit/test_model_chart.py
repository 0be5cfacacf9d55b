"""/model's chart: what the figure shows, read from the figure (not pixels), from a version's stored metrics."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from matplotlib.patches import Rectangle

from bot import model_chart
from bot.i18n import make_i18n
from bot.render import model_admin as words
from core.services.training import ModelInfo
from tests.model_versions import BANDS, TOP


@pytest.fixture
def ru():
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        yield


def _info(**metrics) -> ModelInfo:
    return ModelInfo(
        version="hgb-1", algorithm="hgb", is_learned=True, trained_at=datetime(2026, 12, 1, tzinfo=UTC), metrics=metrics
    )


def test_the_chart_draws_predicted_and_actual_per_band_with_leads_and_the_top_factors(ru) -> None:
    chart = words.chart(_info(bands=BANDS, top_factors=TOP))
    assert chart is not None
    assert chart.band_labels == ["0–20", "20–40", "60–80", "80–100"]  # the empty band is left out
    fig = model_chart.figure(chart)
    bands, factors = fig.axes
    heights = [p.get_height() for p in bands.patches if isinstance(p, Rectangle)]
    assert heights == pytest.approx([12, 31, 70, 90, 10, 33, 65, 90])  # predicted bars, then actual ones
    assert [t.get_text() for t in factors.get_yticklabels()] == ["встречи", "источник", "city"]
    assert bands.get_title(loc="left") == "Предсказанная и фактическая доля сделок по баллу (отложенные лиды)"


def test_no_chart_for_the_hand_rule_or_a_version_trained_before_the_figures() -> None:
    assert words.chart(ModelInfo(version="rules-v1", algorithm=None, is_learned=False)) is None
    assert words.chart(_info()) is None


def test_the_chart_renders_as_png(ru) -> None:
    chart = words.chart(_info(bands=BANDS, top_factors=TOP))
    assert chart is not None and model_chart.png(chart).startswith(b"\x89PNG\r\n\x1a\n")
