"""/model's PNG: predicted vs actual win rate by score band (is a 0.7 really won 7 times in 10?), and the facts
that move scores most (mean |contribution| on held-out leads). Both from the version's stored metrics.

Same rules as ``bot.charts``: matplotlib's Agg canvas on its own ``Figure`` (no pyplot state), rendered in a
worker thread (:func:`render`), readable on a phone (900 × 1100 px, 18-20 pt). Tests read the figure.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from bot.charts import COLOR, DPI, FONT, TITLE_FONT, WIDTH_IN, _short

HEIGHT_IN = 11.0
ACTUAL_COLOR = "#e08a2c"


@dataclass(frozen=True, slots=True)
class ModelChart:
    bands_title: str
    band_labels: list[str]  # "0–20", "20–40", … (per cent)
    predicted: list[float]  # per band, 0..100
    actual: list[float]
    predicted_label: str
    actual_label: str
    factors_title: str
    factor_labels: list[str]  # largest first, translated
    factor_weights: list[float]

    def __post_init__(self) -> None:
        if not len(self.band_labels) == len(self.predicted) == len(self.actual):
            raise ValueError("one predicted and one actual value per band")
        if len(self.factor_labels) != len(self.factor_weights):
            raise ValueError("one weight per factor")


def figure(chart: ModelChart) -> Figure:
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    bands, factors = fig.subplots(2, 1, height_ratios=[1, 1.1])
    for ax in (bands, factors):
        for side in ("top", "right"):
            ax.spines[side].set_visible(False)
    bands.set_title(chart.bands_title, fontsize=TITLE_FONT, loc="left", fontweight="bold")
    x = list(range(len(chart.band_labels)))
    width = 0.4
    bands.bar([i - width / 2 for i in x], chart.predicted, width, color=COLOR, label=chart.predicted_label)
    bands.bar([i + width / 2 for i in x], chart.actual, width, color=ACTUAL_COLOR, label=chart.actual_label)
    bands.set_xticks(x, chart.band_labels, fontsize=FONT - 2)
    bands.set_ylim(0, 100)
    bands.tick_params(axis="y", labelsize=FONT - 4)
    bands.legend(fontsize=FONT - 4, loc="upper left", frameon=False)
    factors.set_title(chart.factors_title, fontsize=TITLE_FONT, loc="left", fontweight="bold")
    positions = list(range(len(chart.factor_labels)))
    factors.barh(positions, chart.factor_weights, color=COLOR, height=0.65)
    factors.set_yticks(positions, [_short(label) for label in chart.factor_labels], fontsize=FONT - 2)
    factors.invert_yaxis()
    factors.set_xticks([])  # log-odds mean nothing to a reader: the bars' lengths compare the factors
    return fig


def png(chart: ModelChart) -> bytes:
    out = io.BytesIO()
    figure(chart).savefig(out, format="png")
    return out.getvalue()


async def render(chart: ModelChart) -> bytes:
    """``png`` in a worker thread, so the event loop keeps serving other chats."""
    return await asyncio.to_thread(png, chart)
