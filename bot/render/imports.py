"""The CSV import's report in the reader's language, worded from ``core.services.importer.ImportReport`` (the
command line words the same data in English: ``cli/reports.py``). What the file said is escaped."""

from __future__ import annotations

from bot.i18n import _
from bot.render.vocabulary import esc
from core.imports.matching import Conflict, ConflictReason, ContactMatch
from core.services.importer import ImportReport

SHOWN = 5  # examples of each kind in one message


def import_report(r: ImportReport, shown: int = SHOWN) -> str:
    """The counts, then a few rows matched by contact, a few conflicts and the lines of a few bad rows."""
    head = _(
        "Import: {rows} rows read; leads added: {inserted}, updated by external id: {updated}, matched by "
        "contact: {matched} (won {won}, lost {lost}, open {open}); skipped: bad rows {errors}, conflicts "
        "{conflicts}; {seconds:.1f} s."
    ).format(
        rows=r.rows,
        inserted=r.inserted,
        updated=r.updated,
        matched=r.matched,
        won=r.won,
        lost=r.lost,
        open=r.open,
        errors=r.error_count,
        conflicts=r.conflict_count,
        seconds=r.seconds,
    )
    lines = [f"<b>{esc(head)}</b>"]
    if r.id_columns:
        lines.append(
            esc(
                _("The file has no external id: ids derived from the columns {columns}.").format(
                    columns=", ".join(r.id_columns)
                )
            )
        )
    if r.joined_keys is not None:
        lines.append(esc(_("Outcome joined from a second file: {n} keys.").format(n=r.joined_keys)))
    if r.new_domains:
        lines.append(esc(_("New business domains: {domains}.").format(domains=", ".join(r.new_domains))))
    if r.assigned:
        lines.append(esc(_("New open leads assigned by the team's rule: {n}.").format(n=r.assigned)))
    if r.matches:
        lines.append(esc(_("Matched by contact:")))
        lines += [esc(contact_match(m)) for m in r.matches[:shown]]
        lines += _more(r.matched, min(shown, len(r.matches)))
    if r.conflicts:
        lines.append(esc(_("Skipped as conflicts:")))
        lines += [esc(conflict(c)) for c in r.conflicts[:shown]]
        lines += _more(r.conflict_count, min(shown, len(r.conflicts)))
    if r.errors:
        where = ", ".join(str(e.line) for e in r.errors[:shown])
        lines.append(esc(_("Bad rows on lines {lines}.").format(lines=where)))
        lines += _more(r.error_count, min(shown, len(r.errors)))
    return "\n".join(lines)


def _more(total: int, shown: int) -> list[str]:
    return [esc(_("… and {n} more").format(n=total - shown))] if total > shown else []


def contact_match(m: ContactMatch) -> str:
    return _("line {line}: {value} → lead #{lead_id} (external id {external_id} attached)").format(
        line=m.line, value=m.value, lead_id=m.lead_id, external_id=m.external_id
    )


def conflict(c: Conflict) -> str:
    match c.reason:
        case ConflictReason.OTHER_EXTERNAL_ID:
            why = _("{value} belongs to lead #{lead_id}, which has another external id: {other}").format(
                value=c.value, lead_id=c.lead_ids[0], other=c.lead_external_id
            )
        case ConflictReason.SEVERAL_LEADS:
            why = _("the row's contacts belong to several leads: {ids}").format(
                ids=", ".join(f"#{i}" for i in c.lead_ids)
            )
        case ConflictReason.SAME_CONTACT_IN_FILE:
            why = _("{value} is already on line {other_line} of this file").format(
                value=c.value, other_line=c.other_line
            )
    return _("line {line} (external id {external_id}): {why}").format(line=c.line, external_id=c.external_id, why=why)
