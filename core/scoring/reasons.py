"""A learned model's reason in plain words, English and Russian (the stored ``ai_reason`` / ``ai_reason_ru``).

A factor is one fact about the lead with its SHAP contribution (:mod:`core.scoring.attribution`): (+) when it
pushed the score above an average lead's, (−) when below. Values read as a person writes them (4.96, "9 days",
"after 3 h"); stages, sources and the catalogue's domains have their Russian names (:mod:`core.scoring.words`);
no reason shows the model's id (that is ``scorer_version``, and /model)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from core.scoring.features import ACT_PREFIX, ATTR_PREFIX, Value
from core.scoring.words import DOMAIN_RU, REC_EN, REC_RU, SOURCE_RU, STAGE_RU, ru_plural


@dataclass
class Factor:
    feature: str
    value: Value
    delta: float  # this feature's contribution to the log-odds, against the average lead

    @property
    def sign(self) -> str:
        return "+" if self.delta > 0 else "−"


_KIND_EN = {
    "call": ("call", "calls"),
    "message": ("message", "messages"),
    "meeting": ("meeting", "meetings"),
    "email": ("e-mail", "e-mails"),
    "note": ("note", "notes"),
}
_KIND_RU = {"call": "звонков", "message": "сообщений", "meeting": "встреч", "email": "писем", "note": "заметок"}


def _n(value: float) -> str:
    """A number as a person writes it: 5, 4.96, 0.5 (at most two decimals, no trailing zeros)."""
    text = f"{float(value):.2f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _en_count(n: float, one: str, many: str) -> str:
    return f"{_n(n)} {one if _n(n) == '1' else many}"


def _ru_days(days: int) -> str:
    return f"{days} {ru_plural(days, 'день', 'дня', 'дней')}"


def _after(hours: float) -> tuple[str, str]:
    """A delay in hours as a person says it: within an hour, after 5 h, after 3 days."""
    if hours < 1:
        return "within an hour", "в течение часа"
    if hours < 48:
        h = round(hours)
        return f"after {h} h", f"через {h} ч"
    days = round(hours / 24)
    return f"after {days} days", f"через {_ru_days(days)}"


def describe(feature: str, value: Value) -> tuple[str, str]:
    """One feature value in plain words, (English, Russian)."""
    if feature == "source":
        if not value:
            return "unknown source", "источник неизвестен"
        return f"{value} source", f"источник «{SOURCE_RU.get(str(value), value)}»"
    if feature == "business_domain":
        if value is None:
            return "no business domain", "сфера бизнеса не указана"
        return f"{str(value).replace('_', ' ')} domain", f"сфера «{DOMAIN_RU.get(str(value), value)}»"
    if feature == "stage":
        return f"stage {value}", f"этап «{STAGE_RU.get(str(value), value)}»"
    if feature.startswith(ACT_PREFIX):
        kind = feature[len(ACT_PREFIX) :]
        count = float(value or 0)
        one, many = _KIND_EN.get(kind, (kind, kind))
        return _en_count(count, one, many), f"{_KIND_RU.get(kind, kind)}: {_n(count)}"
    if feature == "activity_count":
        count = float(value or 0)
        return _en_count(count, "touch", "touches"), f"касаний: {_n(count)}"
    if feature == "hours_to_first_contact":
        if value is None:
            return "never contacted", "контакта не было"
        en, ru = _after(float(value))
        return f"first contact {en}", f"первый контакт {ru}"
    if feature == "touches_per_day":
        if value is None:
            return "touch rate unknown", "частота касаний неизвестна"
        return f"{_n(float(value))} touches a day", f"касаний в день: {_n(float(value))}"
    if feature == "days_since_last_touch":
        if value is None:
            return "no contact yet", "контакта ещё не было"
        days = int(float(value))  # whole days gone by, as a calendar counts them
        if days < 1:
            return "last contact today", "последний контакт сегодня"
        return f"no contact for {_en_count(days, 'day', 'days')}", f"нет контакта {_ru_days(days)}"
    name = (feature[len(ATTR_PREFIX) :] if feature.startswith(ATTR_PREFIX) else feature).replace("_", " ")
    if value is None:
        return f"{name} not set", f"{name}: не указано"
    shown = _n(value) if isinstance(value, float | int) and not isinstance(value, bool) else str(value)
    return f"{name} = {shown}", f"{name}: {shown}"


def reason_text(
    score: float, rec: str, factors: Sequence[Factor], *, base_rate: float | None = None
) -> tuple[str, str]:
    """ "<factors>: probability of a deal 0.72 (average lead 0.38), so transfer to sales." in both languages."""
    if factors:
        words = [(describe(f.feature, f.value), f.sign) for f in factors]
        en_f = ", ".join(f"{en} ({s})" for (en, _), s in words)
        ru_f = ", ".join(f"{ru} ({s})" for (_, ru), s in words)
    else:
        en_f, ru_f = "close to an average lead", "близко к среднему лиду"
    en_avg = "" if base_rate is None else f" (average lead {base_rate:.2f})"
    ru_avg = "" if base_rate is None else f" (у среднего лида {base_rate:.2f})"
    en = f"{en_f}: probability of a deal {score:.2f}{en_avg}, so {REC_EN[rec]}."
    ru = f"{ru_f}: вероятность сделки {score:.2f}{ru_avg}, поэтому {REC_RU[rec]}."
    return en, ru
