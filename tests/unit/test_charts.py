"""Report charts and captions without Telegram: the figure's bars (read from matplotlib, not from pixels), at
most eight of them, translated labels, a PNG off the event loop."""

from __future__ import annotations

import threading
from datetime import date
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from matplotlib.patches import Rectangle

from bot import charts
from bot.charts import MAX_BARS, Bars
from bot.i18n import make_i18n
from bot.render import reports as screens
from core.domain.enums import ActivityKind, LostReason, Stage
from core.domain.periods import custom_period
from core.services import reports
from core.services.ports.reports import LostCount, ManagerCounts, OtherReason, ScoreBandCounts, StageFlow

WEEK = custom_period(date(2026, 11, 2), date(2026, 11, 8), ZoneInfo("Europe/Moscow"))


@pytest.fixture
def en():
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("en"):
        yield


@pytest.fixture
def ru():
    i18n = make_i18n()
    with i18n.context(), i18n.use_locale("ru"):
        yield


def drawn(bars: Bars) -> tuple[list[str], list[float], list[str]]:
    """What the figure shows: tick labels top to bottom, bar lengths, the texts at the bars."""
    ax = charts.figure(bars).axes[0]
    rects = sorted((p for p in ax.patches if isinstance(p, Rectangle)), key=lambda r: r.get_y())
    ticks = {round(t.get_position()[1]): t.get_text() for t in ax.get_yticklabels()}
    labels = [ticks[round(r.get_y() + r.get_height() / 2)] for r in rects]
    texts = [t.get_text() for t in ax.texts]
    return labels, [r.get_width() for r in rects], texts


def _funnel(entered: dict[Stage, int], won: int) -> reports.FunnelReport:
    stages = [StageFlow(s, entered.get(s, 0), 0, None) for s in Stage]
    first = reports.rate(entered.get(Stage.CONTACTED, 0), entered.get(Stage.NEW, 0))
    conversions = [
        reports.Conversion(Stage.NEW, Stage.CONTACTED, first),
        reports.Conversion(Stage.CONTACTED, Stage.QUALIFIED, None),
        reports.Conversion(Stage.QUALIFIED, Stage.TRANSFERRED, None),
        reports.Conversion(Stage.TRANSFERRED, None, None),
    ]  # fmt: skip
    return reports.FunnelReport(WEEK, True, stages, won, conversions)


def test_the_funnel_chart_has_a_bar_per_stage_with_the_counts(en) -> None:
    report = _funnel({Stage.NEW: 5, Stage.CONTACTED: 4, Stage.QUALIFIED: 3, Stage.TRANSFERRED: 2, Stage.LOST: 3}, 1)
    labels, values, texts = drawn(screens.funnel(report).bars)
    assert labels == ["New", "Contacted", "Qualified", "Transferred to sales", "Won", "Lost"]
    assert values == [5, 4, 3, 2, 1, 3]
    assert texts == ["5", "4", "3", "2", "1", "3"]


def test_chart_labels_and_caption_are_in_the_readers_language(ru) -> None:
    report = _funnel({Stage.NEW: 5, Stage.CONTACTED: 4}, 0)
    screen = screens.funnel(report)
    labels, _values, _texts = drawn(screen.bars)
    assert labels[0] == "Новый" and "Воронка" in screen.caption
    assert "80" in screen.caption  # new → contacted 4 of 5


def test_an_empty_period_draws_no_bars_but_says_so(en) -> None:
    bars = screens.funnel(_funnel({}, 0)).bars
    ax = charts.figure(bars).axes[0]
    assert len(ax.patches) == 0
    assert [t.get_text() for t in ax.texts] == ["Nothing in this period"]


def test_more_than_eight_items_fold_into_one_other_bar() -> None:
    items = [(f"Manager {i}", float(20 - i), str(20 - i)) for i in range(12)]
    bars = Bars.top("Deals won", items, other_label="Others")
    labels, values, _texts = drawn(bars)
    assert len(labels) == MAX_BARS
    assert labels[-1] == "Others" and values[-1] == sum(20 - i for i in range(7, 12))
    assert labels[:7] == [f"Manager {i}" for i in range(7)]


def test_more_than_eight_bars_are_refused() -> None:
    with pytest.raises(ValueError):
        Bars("t", ["x"] * 9, [1.0] * 9, ["1"] * 9)


def test_the_managers_chart_ranks_deals_won_and_the_caption_ends_with_the_team(en) -> None:
    anna = reports.ManagerLine(
        9101,
        "Anna",
        ManagerCounts(
            9101, new_leads=2, won=3, lost=1, activities={ActivityKind.CALL: 2}, won_amounts={"RUB": Decimal("1000")}
        ),
    )
    boris = reports.ManagerLine(9102, "Boris", ManagerCounts(9102, new_leads=2, won=1, lost=3))
    idle = reports.ManagerLine(9104, "Idle", ManagerCounts(9104))
    total = reports.ManagerLine(None, None, ManagerCounts(None, new_leads=4, won=4, lost=4))
    screen = screens.managers(reports.ManagersReport(WEEK, True, [anna, boris, idle], total))
    labels, values, texts = drawn(screen.bars)
    assert (labels, values) == (["Anna", "Boris"], [3, 1])  # nobody with no deal won
    assert texts == ["3 · 75\u00a0%", "1 · 25\u00a0%"]
    assert "1\u00a0000\u00a0RUB" in screen.caption and "<b>Team</b>" in screen.caption


def test_the_lost_chart_sums_leads_and_deals_by_reason_with_texts_under_other(en) -> None:
    report = reports.LostReport(
        WEEK,
        True,
        [LostCount(False, "new", LostReason.NO_BUDGET, 2), LostCount(False, "contacted", None, 1)],
        [LostCount(True, "kyc", None, 1), LostCount(True, "agreement", LostReason.NO_BUDGET, 1)],
        [OtherReason("Too expensive", 2)],
    )
    screen = screens.lost(report)
    labels, values, _texts = drawn(screen.bars)
    assert (labels, values) == (["No budget", "Other"], [3, 2])
    assert "«Too expensive» ×2" in screen.caption


def test_the_scorer_chart_shows_the_win_rate_of_each_band_with_closed_leads(en) -> None:
    bands = [
        reports.ScoreBand(ScoreBandCounts(0.0, 0, 0)),
        reports.ScoreBand(ScoreBandCounts(0.2, 1, 3)),
        reports.ScoreBand(ScoreBandCounts(0.8, 3, 1)),
        reports.ScoreBand(ScoreBandCounts(None, 0, 2)),
    ]
    labels, values, texts = drawn(screens.scorer(reports.ScorerReport(WEEK, True, bands)).bars)
    assert labels == ["0.2–0.4", "0.8–1.0", "no score"]
    assert values == [25.0, 75.0, 0.0]
    assert texts == ["25\u00a0% · 4", "75\u00a0% · 4", "0\u00a0% · 2"]


def test_a_long_name_is_cut_to_fit_the_phone() -> None:
    labels, _values, _texts = drawn(Bars("t", ["A" * 40], [1.0], ["1"]))
    assert labels == ["A" * (charts.LABEL_MAX - 1) + "…"]


async def test_the_png_is_rendered_in_a_worker_thread(monkeypatch) -> None:
    threads: list[str] = []
    real = charts.png

    def spy(bars: Bars) -> bytes:
        threads.append(threading.current_thread().name)
        return real(bars)

    monkeypatch.setattr(charts, "png", spy)
    data = await charts.render(Bars("t", ["a", "b"], [1.0, 2.0], ["1", "2"]))
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 5000
    assert threads and threads[0] != threading.main_thread().name
