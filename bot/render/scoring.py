"""The scoring model's reports (/model, /train)."""

from __future__ import annotations

from collections.abc import Sequence

from bot.render.vocabulary import esc


def model_lines(lines: Sequence[str]) -> str:
    """The scorer's report (the models service words it in ru/en itself): first line bold."""
    if not lines:
        return ""
    return "\n".join([f"<b>{esc(lines[0])}</b>", *(esc(line) for line in lines[1:])])
