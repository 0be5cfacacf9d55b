"""The import's duplicate guard against real PostgreSQL: external id first, then contact (normal form), conflicts
reported and skipped, rows of one file matched to each other; one lookup query per batch."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from sqlalchemy import event, func, select, text

from cli import reports
from core.domain.enums import Stage
from core.domain.models import Actor
from core.imports.errors import UnreadableFile
from core.imports.matching import Conflict, ConflictReason, ContactMatch
from core.imports.rows import RowProblem
from core.services import importer
from core.services import leads as lead_svc
from core.services.context import Policy, Services
from core.services.importer import import_csv
from core.storage.models import LeadContactRow, LeadRow, SaleRow, StageChangeRow
from core.storage.uow import SqlUnitOfWork

DOMAINS = frozenset({"fintech", "saas"})
MAPPING = """
[lead]
external_id = "ID"
name = "Name"
contact = "Phone"
contacts = ["Email", "Telegram"]

[source]
column = "Channel"
default = "manual"

[business_domain]
column = "Industry"
values = { "Banking" = "fintech" }

[[attributes]]
column = "City"
name = "city"

[outcome]
column = "Result"
won = ["won"]
lost = ["lost"]
open = ["open"]
"""
HEADER = ["ID", "Name", "Phone", "Email", "Telegram", "Channel", "Industry", "City", "Result"]


def _row(ext: str, *, phone="", email="", tg="", name="From file", industry="Banking", city="Kazan", result="open"):
    return [ext, name, phone, email, tg, "Web", industry, city, result]


def _write(path: Path, rows: list[list[str]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(HEADER)
        writer.writerows(rows)
    return path


@pytest.fixture
def mapping(tmp_path: Path) -> Path:
    path = tmp_path / "m.toml"
    path.write_text(MAPPING, encoding="utf-8")
    return path


async def _existing(uow, *contacts: str, name: str | None = "Ivan Petrov", external_id: str | None = None) -> int:
    """A lead the team typed in (through the service, so its contacts are in lead_contacts)."""
    svc = Services(policy=Policy(domains=DOMAINS))
    lead = await lead_svc.create_lead(
        uow, svc, Actor.system("test"), source="manual", name=name, contacts=list(contacts), allow_duplicate=True
    )
    if external_id is not None:
        async with uow:
            row = await uow.session.get(LeadRow, lead.id)
            row.external_id = external_id
            await uow.commit()
    return lead.id


async def _scalar(uow, stmt):
    async with uow:
        return (await uow.session.execute(stmt)).scalar_one()


async def _lead(uow, lead_id: int) -> LeadRow:
    async with uow:
        row = await uow.session.get(LeadRow, lead_id)
        uow.session.expunge(row)
        return row


async def _contacts(uow, lead_id: int) -> list[tuple[str, str, str]]:
    async with uow:
        stmt = (
            select(LeadContactRow.kind, LeadContactRow.value, LeadContactRow.normal)
            .where(LeadContactRow.lead_id == lead_id)
            .order_by(LeadContactRow.id)
        )
        return [tuple(r) for r in (await uow.session.execute(stmt)).all()]


LEADS = select(func.count()).select_from(LeadRow)


async def test_a_row_with_a_known_external_id_updates_that_lead_even_if_its_contact_is_another_leads(
    uow, tmp_path, mapping
) -> None:
    own = await _existing(uow, "+7 900 111-11-11", external_id="e-1")
    other = await _existing(uow, "+7 900 222-22-22")
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", [_row("e-1", phone="89002222222")]), mapping)
    assert (report.updated, report.matched, report.inserted, report.conflict_count) == (1, 0, 0, 0)
    assert (await _lead(uow, own)).name == "From file"  # the file's values win on its own leads, as before
    assert (await _lead(uow, other)).external_id is None
    assert ("phone", "89002222222", "+79002222222") in await _contacts(uow, own)


async def test_a_phone_typed_differently_finds_the_lead_which_gets_the_external_id_and_its_empty_fields(
    uow, tmp_path, mapping
) -> None:
    lead_id = await _existing(uow, "+7 999 123-45-67")
    before = await _scalar(uow, LEADS)
    rows = [_row("x-1", phone="8 (999) 123 45 67", email="Ivan@Example.com", result="won")]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)

    assert (report.inserted, report.updated, report.matched, report.conflict_count) == (0, 0, 1, 0)
    assert report.matches == [ContactMatch(line=2, external_id="x-1", value="8 (999) 123 45 67", lead_id=lead_id)]
    assert await _scalar(uow, LEADS) == before  # no second lead
    lead = await _lead(uow, lead_id)
    assert lead.external_id == "x-1"
    assert lead.name == "Ivan Petrov"  # what the team typed stays
    assert (lead.business_domain, lead.attributes["city"]) == ("fintech", "Kazan")  # empty fields filled
    # a live lead is not closed by the file: no stage, no imported history, no sale
    assert lead.stage == Stage.NEW
    assert await _scalar(uow, select(func.count()).select_from(SaleRow).where(SaleRow.lead_id == lead_id)) == 0
    imported = select(func.count()).select_from(StageChangeRow).where(StageChangeRow.actor == "import")
    assert await _scalar(uow, imported) == 0
    assert await _contacts(uow, lead_id) == [
        ("phone", "+7 999 123-45-67", "+79991234567"),
        ("email", "Ivan@Example.com", "ivan@example.com"),  # the new contact is added
    ]


async def test_an_email_in_another_case_or_a_username_without_at_finds_the_lead(uow, tmp_path, mapping) -> None:
    by_mail = await _existing(uow, "Anna@Example.COM")
    by_tg = await _existing(uow, "@Boris_K")
    rows = [_row("m-1", email="anna@example.com"), _row("m-2", tg="@boris_k")]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    assert [(m.line, m.lead_id) for m in report.matches] == [(2, by_mail), (3, by_tg)]
    assert (await _lead(uow, by_mail)).external_id == "m-1"
    assert (await _lead(uow, by_tg)).external_id == "m-2"


async def test_a_contact_of_a_lead_with_another_external_id_is_a_conflict_and_the_row_is_skipped(
    uow, tmp_path, mapping
) -> None:
    lead_id = await _existing(uow, "+7 900 333-33-33", external_id="crm-7")
    before = await _scalar(uow, LEADS)
    rows = [_row("new-1", phone="9003333333"), _row("new-2", phone="+7 900 444-44-44")]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    assert (report.inserted, report.matched, report.conflict_count) == (1, 0, 1)
    assert report.conflicts == [
        Conflict(
            line=2,
            external_id="new-1",
            reason=ConflictReason.OTHER_EXTERNAL_ID,
            value="9003333333",
            lead_ids=(lead_id,),
            lead_external_id="crm-7",
        )
    ]
    assert await _scalar(uow, LEADS) == before + 1
    assert (await _lead(uow, lead_id)).external_id == "crm-7"
    assert (report.open, report.imported) == (1, 1)  # the skipped row is not counted as imported


async def test_contacts_of_two_different_leads_are_an_ambiguous_match_and_nothing_is_guessed(
    uow, tmp_path, mapping
) -> None:
    first = await _existing(uow, "+7 900 555-55-55")
    second = await _existing(uow, "olga@example.com")
    before = await _scalar(uow, LEADS)
    rows = [_row("amb-1", phone="89005555555", email="OLGA@example.com")]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    assert report.conflict_count == 1 and report.matched == 0 and report.inserted == 0
    (c,) = report.conflicts
    assert (c.line, c.reason, c.lead_ids) == (2, ConflictReason.SEVERAL_LEADS, tuple(sorted((first, second))))
    assert await _scalar(uow, LEADS) == before
    assert {(await _lead(uow, i)).external_id for i in (first, second)} == {None}


@pytest.mark.parametrize("batch_rows", [1, 50_000], ids=["a batch per row", "one batch"])
async def test_rows_of_one_file_sharing_a_contact_the_first_stores_the_later_is_reported(
    uow, tmp_path, mapping, monkeypatch, batch_rows
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", batch_rows)
    known = await _existing(uow, "+7 900 666-66-66", "pavel@example.com")
    rows = [
        _row("f-1", phone="+7 900 777-77-77"),  # creates
        _row("f-2", phone="8 900 777 77 77"),  # the same phone typed differently: line 2 has it
        _row("f-3", phone="89006666666"),  # finds the known lead by phone
        _row("f-4", email="Pavel@example.com"),  # the same known lead by its e-mail: f-3 gave it its id
    ]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    assert (report.inserted, report.matched, report.conflict_count) == (1, 1, 2)
    assert [(c.line, c.reason, c.other_line, c.lead_external_id) for c in report.conflicts] == [
        (3, ConflictReason.SAME_CONTACT_IN_FILE, 2, None),
        (5, ConflictReason.OTHER_EXTERNAL_ID, None, "f-3"),
    ]
    assert (await _lead(uow, known)).external_id == "f-3"
    stored = select(func.count()).select_from(LeadRow).where(LeadRow.external_id.in_(["f-1", "f-2", "f-4"]))
    assert await _scalar(uow, stored) == 1


@pytest.mark.parametrize("batch_rows", [1, 2, 50_000], ids=["a batch per row", "two rows a batch", "one batch"])
async def test_an_external_id_repeated_in_the_file_is_a_bad_row_naming_the_line_that_had_it_first(
    uow, tmp_path, mapping, monkeypatch, batch_rows
) -> None:
    """The guard remembers the file in PostgreSQL, not in the importer: the same answers whatever the batches."""
    monkeypatch.setattr(importer, "BATCH_ROWS", batch_rows)
    rows = [
        _row("d-1", phone="+7 904 000-00-01"),  # line 2: stored
        _row("d-2", result="maybe"),  # line 3: a bad row of another kind
        _row("d-1", phone="+7 904 000-00-03", name="Again"),  # line 4: line 2 had d-1
        _row("d-3", phone="8 904 000 00 03"),  # line 5: the skipped row's phone is nobody's: stored
        _row("d-1"),  # line 6: still line 2's
        _row("d-4", phone="89040000001"),  # line 7: line 2's phone
    ]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    assert [(e.line, e.problem.problem, e.problem.value, e.problem.other_line) for e in report.errors] == [
        (3, RowProblem.UNKNOWN_OUTCOME, "maybe", None),
        (4, RowProblem.DUPLICATE, "d-1", 2),
        (6, RowProblem.DUPLICATE, "d-1", 2),
    ]
    assert [(c.line, c.reason, c.other_line) for c in report.conflicts] == [(7, ConflictReason.SAME_CONTACT_IN_FILE, 2)]
    assert (report.rows, report.inserted, report.error_count, report.conflict_count) == (6, 2, 3, 1)
    stored = select(LeadRow.external_id, LeadRow.name).where(LeadRow.external_id.like("d-%")).order_by(LeadRow.id)
    async with uow:
        assert [tuple(r) for r in (await uow.session.execute(stored)).all()] == [
            ("d-1", "From file"),
            ("d-3", "From file"),
        ]


@pytest.mark.parametrize("batch_rows", [1, 50_000], ids=["a batch per row", "one batch"])
async def test_a_row_updating_its_lead_by_external_id_may_repeat_an_earlier_rows_contact(
    uow, tmp_path, mapping, monkeypatch, batch_rows
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", batch_rows)
    known = await _existing(uow, "+7 906 000-00-09", external_id="known")
    rows = [
        _row("n-1", phone="+7 906 000-00-01"),  # creates, with the phone
        _row("known", phone="89060000001"),  # its own lead by external id: updated, gets the phone too
        _row("n-2", phone="+7 906 000-00-01"),  # line 2 had the phone first
    ]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    assert (report.inserted, report.updated, report.error_count) == (1, 1, 0)
    assert [(c.line, c.reason, c.other_line) for c in report.conflicts] == [(4, ConflictReason.SAME_CONTACT_IN_FILE, 2)]
    assert "+79060000001" in [normal for _, _, normal in await _contacts(uow, known)]


async def test_the_duplicate_guard_of_one_file_is_gone_with_its_transaction(
    committing_factory, tmp_path, mapping
) -> None:
    uow = SqlUnitOfWork(committing_factory)  # a real commit, which drops the guard's table
    path = _write(tmp_path / "a.csv", [_row("g-1", phone="+7 905 000-00-01")])
    await import_csv(uow, DOMAINS, path, mapping)
    again = await import_csv(uow, DOMAINS, path, mapping)  # a new file, a new guard: an update, not a duplicate
    assert (again.updated, again.error_count, again.conflict_count) == (1, 0, 0)
    tables = select(func.count()).select_from(text("pg_tables")).where(text("tablename LIKE 'import_seen_%'"))
    assert await _scalar(uow, tables) == 0


async def test_reimporting_the_same_file_creates_and_matches_nothing_new(uow, tmp_path, mapping) -> None:
    await _existing(uow, "+7 900 888-88-88")
    await _existing(uow, "+7 900 999-99-99", external_id="other")
    path = _write(
        tmp_path / "a.csv",
        [
            _row("r-1", phone="+7 901 000-00-01", email="r1@example.com"),  # created
            _row("r-2", phone="89008888888", email="r2@example.com", name=""),  # matched by contact
            _row("r-3", phone="89009999999"),  # a conflict
        ],
    )
    first = await import_csv(uow, DOMAINS, path, mapping)
    assert (first.inserted, first.updated, first.matched, first.conflict_count) == (1, 0, 1, 1)
    leads = await _scalar(uow, LEADS)
    contacts = await _scalar(uow, select(func.count()).select_from(LeadContactRow))

    second = await import_csv(uow, DOMAINS, path, mapping)
    assert (second.inserted, second.updated, second.matched, second.conflict_count) == (0, 2, 0, 1)
    assert second.conflicts == first.conflicts
    assert await _scalar(uow, LEADS) == leads
    assert await _scalar(uow, select(func.count()).select_from(LeadContactRow)) == contacts


async def test_a_file_that_breaks_late_leaves_the_lead_found_by_contact_untouched(
    uow, tmp_path, mapping, monkeypatch
) -> None:
    """One transaction for the file, as before: the batch that matched is rolled back with the rest."""
    monkeypatch.setattr(importer, "BATCH_ROWS", 2)
    lead_id = await _existing(uow, "+7 902 000-00-00", name=None)
    path = _write(tmp_path / "a.csv", [_row("late-1", phone="89020000000"), *(_row(f"late-{i}") for i in (2, 3, 4))])
    with path.open("ab") as fh:
        fh.write(b"late-9,\xff\xfe broken\r\n")
    with pytest.raises(UnreadableFile):
        await import_csv(uow, DOMAINS, path, mapping)
    lead = await _lead(uow, lead_id)
    assert (lead.external_id, lead.name) == (None, None)
    assert await _contacts(uow, lead_id) == [("phone", "+7 902 000-00-00", "+79020000000")]


async def test_matching_is_one_lookup_query_per_batch_not_one_per_row(
    uow, tmp_path, mapping, monkeypatch, engine
) -> None:
    monkeypatch.setattr(importer, "BATCH_ROWS", 100)
    await _existing(uow, "+7 903 000-00-07")
    rows = [_row(f"q-{i}", phone=f"+7 903 000-{i // 100:02d}-{i % 100:02d}") for i in range(500)]
    lookups: list[str] = []

    def count(conn, cursor, statement, parameters, context, executemany) -> None:
        if "JOIN lead_contacts c ON" in statement:
            lookups.append(statement)

    event.listen(engine.sync_engine, "before_cursor_execute", count)
    try:
        report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    finally:
        event.remove(engine.sync_engine, "before_cursor_execute", count)
    assert (report.inserted, report.matched) == (499, 1)
    assert len(lookups) == 5


def test_the_cli_says_what_was_matched_and_what_was_skipped_as_a_conflict() -> None:
    r = importer.ImportReport(rows=4, inserted=1, updated=1, matched=1, open=3, conflict_count=1, error_count=0)
    r.matches.append(ContactMatch(3, "x-1", "8 999 123-45-67", 12))
    r.conflicts.append(Conflict(4, "x-2", ConflictReason.OTHER_EXTERNAL_ID, "a@b.io", (7,), lead_external_id="crm-7"))
    assert reports.import_summary(r) == (
        "4 rows read: 1 leads added, 1 updated by external id, 1 matched by contact (0 won, 0 lost, 3 open), "
        "0 bad rows and 1 conflicts skipped in 0.0 s"
    )
    assert reports.import_details(r, shown=20) == [
        "matched by contact:",
        "  line 3: '8 999 123-45-67' -> lead #12 (now external id 'x-1')",
        "skipped as conflicts:",
        "  line 4 (external id 'x-2'): 'a@b.io' belongs to lead #7, which has external id 'crm-7'",
    ]
    several = Conflict(5, "x-3", ConflictReason.SEVERAL_LEADS, "a@b.io", (7, 9))
    in_file = Conflict(6, "x-4", ConflictReason.SAME_CONTACT_IN_FILE, "+7 999", other_line=3)
    assert reports.conflict(several) == "line 5 (external id 'x-3'): the row's contacts belong to 2 leads: #7, #9"
    assert reports.conflict(in_file) == "line 6 (external id 'x-4'): '+7 999' is already on line 3 of this file"


async def test_more_new_open_leads_than_postgresql_takes_bind_parameters_still_queue_their_events(uow) -> None:
    """An import of 100,000 rows has ~33,000 new open leads: one array parameter, not 33,000 (limit 32,767)."""
    from core.domain.clock import utcnow

    lead_id = await _existing(uow, "+7 904 000-00-00")
    async with uow:
        hook = {"url": "http://127.0.0.1:9/hook", "events": ["lead.created"], "secret": "s" * 32}
        await uow.webhooks.add(**hook, created_at=utcnow())
        queued = await uow.webhooks.enqueue_created([*range(10**9, 10**9 + 40_000), lead_id], now=utcnow())
    assert queued == 1


async def test_a_contacts_column_that_is_no_contact_is_a_bad_row_and_a_mapping_needs_a_list(
    uow, tmp_path, mapping
) -> None:
    from core.imports.mapping import MappingError

    rows = [_row("b-1", email="not a contact"), _row("b-2", email="ok@example.com")]
    report = await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    assert (report.inserted, report.error_count) == (1, 1)
    assert reports.row_error(report.errors[0]).startswith("line 2: Email:")
    bad = tmp_path / "bad.toml"
    bad.write_text(MAPPING.replace('contacts = ["Email", "Telegram"]', 'contacts = "Email"'), encoding="utf-8")
    with pytest.raises(MappingError) as err:
        await import_csv(uow, DOMAINS, _write(tmp_path / "b.csv", rows), bad)
    assert err.value.problems == ["[lead] contacts: expected a list of column names"]


async def test_a_re_import_leaves_a_lead_merged_into_another_alone(uow, tmp_path, mapping) -> None:
    from core.domain.enums import Role
    from core.services import merge, users

    tina = Actor.from_user(await users.ensure_user(uow, user_id=8801, full_name="Tina", role=Role.TEAM_LEAD))
    keep = await _existing(uow, "+7 900 111-11-11", external_id="keep-1")
    gone = await _existing(uow, "+7 900 222-22-22", external_id="gone-1", name="Gone")
    await merge.merge_leads(uow, Services(policy=Policy(domains=DOMAINS)), tina, keep, gone)
    before = await _lead(uow, gone)
    rows = [_row("gone-1", phone="89002222222", name="Renamed", result="won")]
    await import_csv(uow, DOMAINS, _write(tmp_path / "a.csv", rows), mapping)
    after = await _lead(uow, gone)
    assert (after.name, after.stage, after.version) == (before.name, before.stage, before.version)
    assert await _scalar(uow, select(func.count()).select_from(SaleRow).where(SaleRow.lead_id == gone)) == 0
    assert await _scalar(uow, LEADS) == 2  # and no new lead for it either
