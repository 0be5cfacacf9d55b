"""Report charts as PNG (matplotlib, Agg backend): horizontal bars a phone can read.

A chart is data (``Bars``: a title, translated labels, values, the text written at each bar); ``figure``
draws it, ``png`` renders it, ``render`` does that in a worker thread (``asyncio.to_thread``) so the event loop
keeps serving other chats while matplotlib works (≈ 50-100 ms per chart; bench/reports.py).

Readable on a phone: 900 × 600 px, 20 pt labels and values, at most ``MAX_BARS`` bars (``Bars.top`` folds the
rest into one "other" bar), the largest at the top of a ranking. Every figure is its own ``Figure`` with its own
Agg canvas, never pyplot's global state, so renders in parallel threads do not share anything.

Tests read the figure (``figure(bars).axes[0].patches`` heights, tick labels), not pixels.
"""

from __future__ import annotations

import asyncio
import io
from dataclasses import dataclass

import matplotlib

matplotlib.use("Agg")  # no display: before anything else touches a backend

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

MAX_BARS = 8
WIDTH_IN, HEIGHT_IN, DPI = 9.0, 6.0, 100
FONT = 20
TITLE_FONT = 22
LABEL_MAX = 22  # characters of a bar's label (a long name is cut with "…")
COLOR = "#3b7dd8"
EMPTY_COLOR = "#b0b8c4"


@dataclass(frozen=True, slots=True)
class Bars:
    title: str
    labels: list[str]  # top to bottom, translated
    values: list[float]
    texts: list[str]  # written at the end of each bar ("12", "75 %")
    empty_text: str = ""  # shown instead of bars when there are none

    def __post_init__(self) -> None:
        if not len(self.labels) == len(self.values) == len(self.texts):
            raise ValueError("labels, values and texts must have the same length")
        if len(self.labels) > MAX_BARS:
            raise ValueError(f"at most {MAX_BARS} bars (fold the rest with Bars.top)")

    @classmethod
    def top(
        cls,
        title: str,
        items: list[tuple[str, float, str]],
        *,
        other_label: str,
        other_text: str = "",
        empty_text: str = "",
    ) -> Bars:
        """The first ``MAX_BARS - 1`` items and one ``other_label`` bar summing the rest (when there are more
        than ``MAX_BARS``); items already in the order to show."""
        if len(items) > MAX_BARS:
            rest = sum(value for _, value, _ in items[MAX_BARS - 1 :])
            items = [*items[: MAX_BARS - 1], (other_label, rest, other_text or _number(rest))]
        return cls(title, [i[0] for i in items], [i[1] for i in items], [i[2] for i in items], empty_text)


def _number(value: float) -> str:
    return f"{value:g}"


def _short(label: str) -> str:
    return label if len(label) <= LABEL_MAX else label[: LABEL_MAX - 1] + "…"


def figure(bars: Bars) -> Figure:
    """The chart as a matplotlib Figure (bars top to bottom in the given order)."""
    fig = Figure(figsize=(WIDTH_IN, HEIGHT_IN), dpi=DPI, layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    ax.set_title(bars.title, fontsize=TITLE_FONT, loc="left", fontweight="bold")
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    if not bars.labels:
        ax.set_axis_off()
        ax.text(0.5, 0.5, bars.empty_text, fontsize=FONT, ha="center", va="center", color=EMPTY_COLOR)
        return fig
    positions = list(range(len(bars.labels)))
    drawn = ax.barh(positions, bars.values, color=COLOR, height=0.65)
    ax.set_yticks(positions, [_short(label) for label in bars.labels], fontsize=FONT)
    ax.invert_yaxis()  # the first item on top
    ax.bar_label(drawn, labels=bars.texts, padding=6, fontsize=FONT)
    ax.tick_params(axis="x", labelsize=FONT - 4)
    top = max(bars.values)
    ax.set_xlim(0, top * 1.25 if top > 0 else 1)  # room for the values at the bars' ends
    if all(float(value).is_integer() for value in bars.values):
        ax.xaxis.set_major_locator(MaxNLocator(integer=True))  # counts: no 0.2 of a lead on the axis
    return fig


def png(bars: Bars) -> bytes:
    """The chart as PNG bytes (blocking: ``render`` runs it off the event loop)."""
    out = io.BytesIO()
    figure(bars).savefig(out, format="png")
    return out.getvalue()


async def render(bars: Bars) -> bytes:
    """``png`` in a worker thread."""
    return await asyncio.to_thread(png, bars)
