"""The reports as the bot shows them: a short caption (HTML, within a photo caption's 1024 characters) and the
chart's bars (``bot.charts.Bars``), both in the reader's language.

One function per report kind returns ``Screen(caption, bars)``; ``screen`` picks it. Numbers come from
``core.services.reports``; nothing is counted here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.charts import MAX_BARS, Bars
from bot.i18n import N_, _
from bot.render.clock import MONTHS, span
from bot.render.deals import money
from bot.render.vocabulary import (
    domain_name,
    esc,
    kind_name,
    lost_preset,
    sale_stage_name,
    source_name,
    stage_name,
)
from core.domain.enums import SaleStage, Stage
from core.domain.periods import Period, PeriodKind
from core.services.reports import (
    FunnelReport,
    LostReport,
    ManagersReport,
    Report,
    ReportKind,
    ScorerReport,
    SourcesReport,
    won_total,
)

CAPTION_MAX = 1024
CAPTION_LINES = 8  # lines of a list in the caption (managers, sources, other texts)

REPORT_NAMES: dict[ReportKind, str] = {
    ReportKind.FUNNEL: N_("Funnel"),
    ReportKind.MANAGERS: N_("Managers"),
    ReportKind.LOST: N_("Lost"),
    ReportKind.SOURCES: N_("Sources"),
    ReportKind.SCORER: N_("Scorer"),
}
PERIOD_NAMES: dict[PeriodKind, str] = {
    PeriodKind.TODAY: N_("Today"),
    PeriodKind.WEEK: N_("This week"),
    PeriodKind.MONTH: N_("This month"),
    PeriodKind.LAST_30: N_("Last 30 days"),
    PeriodKind.CUSTOM: N_("Dates…"),
}


@dataclass(frozen=True, slots=True)
class Screen:
    caption: str  # HTML
    bars: Bars


def report_name(kind: ReportKind) -> str:
    return _(REPORT_NAMES[kind])


def period_name(kind: PeriodKind) -> str:
    return _(PERIOD_NAMES[kind])


def _day(day: date) -> str:
    return f"{day.day} {_(MONTHS[day.month - 1])} {day.year}"


def period_label(period: Period) -> str:
    """ "This week · 30 Nov 2026 – 6 Dec 2026", a single day "Today · 3 Dec 2026"."""
    days = _day(period.first_day) if period.days == 1 else f"{_day(period.first_day)} – {_day(period.last_day)}"
    if period.kind == PeriodKind.CUSTOM:
        return days
    return f"{period_name(period.kind)} · {days}"


def percent(value: float | None) -> str:
    return "—" if value is None else f"{round(value * 100)}\u00a0%"


def duration(seconds: float | None) -> str:
    return "—" if seconds is None else span(timedelta(seconds=seconds))


def _head(kind: ReportKind, report: Report) -> str:
    scope = _("team") if report.team else _("my leads")
    return f"<b>{esc(report_name(kind))}</b> · {esc(scope)}\n{esc(period_label(report.period))}"


def _fit(lines: list[str]) -> str:
    """Join the caption's lines, dropping the last ones (with "…") if it would pass Telegram's limit."""
    text = "\n".join(lines)
    while len(text) > CAPTION_MAX and len(lines) > 2:
        lines = [*lines[:-2], "…"]
        text = "\n".join(lines)
    return text


def funnel(report: FunnelReport) -> Screen:
    flows = {f.stage: f for f in report.stages}
    lines = [_head(ReportKind.FUNNEL, report), ""]
    items: list[tuple[str, float, str]] = []
    for conversion in report.conversions:
        stage = conversion.from_stage
        items.append((stage_name(stage), flows[stage].entered, str(flows[stage].entered)))
    items.append((_("Won"), report.won, str(report.won)))
    items.append((stage_name(Stage.LOST), flows[Stage.LOST].entered, str(flows[Stage.LOST].entered)))
    for conversion in report.conversions:
        target = stage_name(conversion.to_stage) if conversion.to_stage else _("Won")
        lines.append(
            _("{source} → {target}: {rate}").format(
                source=esc(stage_name(conversion.from_stage)), target=esc(target), rate=percent(conversion.rate)
            )
        )
    lines.append(_("Lost: {n}").format(n=flows[Stage.LOST].entered))
    medians = [
        _("{stage} {time}").format(stage=esc(stage_name(s)), time=duration(flows[s].median_seconds))
        for s in (Stage.NEW, Stage.CONTACTED, Stage.QUALIFIED)
        if flows[s].left
    ]
    if medians:
        lines.append(_("Median time in stage: {list}").format(list=", ".join(medians)))
    if not any(value for _label, value, _text in items):
        items = []
    bars = Bars.top(_("Leads by stage"), items, other_label=_("Other"), empty_text=_("Nothing in this period"))
    return Screen(_fit(lines), bars)


def managers(report: ManagersReport) -> Screen:
    lines = [_head(ReportKind.MANAGERS, report), ""]
    every = [*report.lines, report.total] if report.team else report.lines
    for line in every[: CAPTION_LINES + 1]:
        c = line.counts
        name = _("Team") if line.user_id is None else (line.name or f"#{line.user_id}")
        won = ", ".join(money(amount, currency) for currency, amount in won_total(c.won_amounts))
        lines.append(
            _(
                "<b>{name}</b>: new {new}, activities {acts}, first contact {first}, transfers {transfers}, "
                "won {won}{amount}, win rate {rate}"
            ).format(
                name=esc(name),
                new=c.new_leads,
                acts=line.activity_total,
                first=duration(c.first_contact_median_seconds),
                transfers=c.transfers,
                won=c.won,
                amount=f" ({won})" if won else "",
                rate=percent(line.win_rate),
            )
        )
    if report.total.counts.activities:
        kinds = sorted(report.total.counts.activities.items(), key=lambda item: (-item[1], item[0]))
        by_kind = ", ".join(f"{esc(kind_name(kind))} {n}" for kind, n in kinds)
        lines.append(_("Activities: {list}").format(list=by_kind))
    items = [
        (line.name or f"#{line.user_id}", float(line.counts.won), f"{line.counts.won} · {percent(line.win_rate)}")
        for line in report.lines
        if line.counts.won
    ]
    bars = Bars.top(_("Deals won"), items, other_label=_("Others"), empty_text=_("No deals won in this period"))
    return Screen(_fit(lines), bars)


def _reason(code: object) -> str:
    return (lost_preset(str(code)) if code else None) or _("Other")


def lost(report: LostReport) -> Screen:
    lines = [_head(ReportKind.LOST, report), ""]
    by_reason: dict[str, int] = {}
    for count in [*report.leads, *report.deals]:
        name = _reason(count.code)
        by_reason[name] = by_reason.get(name, 0) + count.count
    for count in report.leads:
        lines.append(
            _("Lead from {stage}: {reason} {n}").format(
                stage=esc(stage_name(Stage(count.stage))), reason=esc(_reason(count.code)), n=count.count
            )
        )
    for count in report.deals:
        lines.append(
            _("Deal from {stage}: {reason} {n}").format(
                stage=esc(sale_stage_name(SaleStage(count.stage))), reason=esc(_reason(count.code)), n=count.count
            )
        )
    if report.other_texts:
        texts = ", ".join(f"«{esc(t.text)}» ×{t.count}" for t in report.other_texts[:CAPTION_LINES])
        lines.append(_("Other: {list}").format(list=texts))
    if not report.total:
        lines.append(_("Nothing lost in this period."))
    items = [(name, float(n), str(n)) for name, n in sorted(by_reason.items(), key=lambda i: (-i[1], i[0]))]
    bars = Bars.top(_("Lost by reason"), items, other_label=_("Other"), empty_text=_("Nothing lost in this period"))
    return Screen(_fit(lines), bars)


def sources(report: SourcesReport) -> Screen:
    lines = [_head(ReportKind.SOURCES, report), ""]
    for line in report.sources:
        c = line.counts
        lines.append(
            _("{name}: {leads} leads, transferred {transferred}, won {won}").format(
                name=esc(source_name(c.source)) if c.source else "—",
                leads=c.leads,
                transferred=percent(line.transfer_rate),
                won=percent(line.win_rate),
            )
        )
    if report.domains:
        domains = ", ".join(
            f"{esc(domain_name(line.counts.domain) if line.counts.domain else _('no domain'))} "
            f"{line.counts.leads} ({percent(line.transfer_rate)})"
            for line in report.domains[:CAPTION_LINES]
        )
        lines.append(_("Domains (leads, transferred): {list}").format(list=domains))
    if not report.sources:
        lines.append(_("No new leads in this period."))
    items = [
        (source_name(line.counts.source) if line.counts.source else "—", float(line.counts.leads),
         f"{line.counts.leads} · {percent(line.transfer_rate)}")
        for line in report.sources
    ]  # fmt: skip
    bars = Bars.top(_("New leads by source"), items, other_label=_("Other"), empty_text=_("No new leads"))
    return Screen(_fit(lines), bars)


def band_label(low: float | None) -> str:
    return _("no score") if low is None else f"{low:.1f}–{low + 0.2:.1f}"


def _band_line(low: float | None, won: int, closed: int, win_rate: float | None) -> str:
    if low is None:
        text = _("Without a score: won {won} of {closed} ({rate})")
        return text.format(won=won, closed=closed, rate=percent(win_rate))
    return _("Score {band}: won {won} of {closed} ({rate})").format(
        band=band_label(low), won=won, closed=closed, rate=percent(win_rate)
    )


def scorer(report: ScorerReport) -> Screen:
    lines = [_head(ReportKind.SCORER, report), ""]
    for band in report.bands:
        closed = band.counts.won + band.counts.lost
        if closed:
            lines.append(_band_line(band.counts.low, band.counts.won, closed, band.win_rate))
    if not report.closed:
        lines.append(_("No leads closed in this period."))
    shown = [b for b in report.bands if b.counts.won + b.counts.lost][:MAX_BARS]
    items = [
        (
            band_label(b.counts.low),
            100.0 * (b.win_rate or 0.0),
            f"{percent(b.win_rate)} · {b.counts.won + b.counts.lost}",
        )
        for b in shown
    ]
    bars = Bars(
        _("Win rate by score"),
        [i[0] for i in items],
        [i[1] for i in items],
        [i[2] for i in items],
        empty_text=_("No leads closed in this period"),
    )
    return Screen(_fit(lines), bars)


DATE_EXAMPLES = "«1.11–15.11», «с 1 по 15 ноября», «ноябрь», «01.10.2026 - 31.10.2026», «from nov 1 to nov 15»"


def ask_dates() -> str:
    return _("Type the dates of the report, e.g. {examples}. /cancel to stop.").format(examples=esc(DATE_EXAMPLES))


def dates_not_understood(text: str) -> str:
    return _("I could not read dates in “{text}”. Try e.g. {examples}, or /cancel.").format(
        text=esc(text[:100]), examples=esc(DATE_EXAMPLES)
    )


def dates_refused(first: date, last: date, maximum: int) -> str:
    if last < first:
        return _("The range ends ({last}) before it starts ({first}). Type it again, or /cancel.").format(
            first=_day(first), last=_day(last)
        )
    return _("A report covers at most {n} days (and years 2000–2099). Type a shorter range, or /cancel.").format(
        n=maximum
    )


def screen(report: Report) -> Screen:
    if isinstance(report, FunnelReport):
        return funnel(report)
    if isinstance(report, ManagersReport):
        return managers(report)
    if isinstance(report, LostReport):
        return lost(report)
    if isinstance(report, SourcesReport):
        return sources(report)
    return scorer(report)


def weekly_caption(caption: str) -> str:
    """A report's caption under the weekly summary's title (the team leads' group), within the caption limit."""
    return _fit([_("📊 <b>Weekly summary</b>"), *caption.split("\n")])
