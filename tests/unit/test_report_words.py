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


def _import_report():
    from core.imports.matching import Conflict, ConflictReason, ContactMatch
    from core.imports.rows import BadRow, RowProblem
    from core.services.importer import ImportReport, RowError

    r = ImportReport(rows=9, inserted=4, updated=2, matched=1, won=3, lost=2, open=2, error_count=1, seconds=1.25)
    r.matches.append(ContactMatch(3, "x-1", "8 999 <123>", 12))
    r.conflicts += [
        Conflict(4, "x-2", ConflictReason.OTHER_EXTERNAL_ID, "a@b.io", (7,), lead_external_id="crm-7"),
        Conflict(5, "x-3", ConflictReason.SEVERAL_LEADS, "a@b.io", (7, 9)),
        Conflict(6, "x-4", ConflictReason.SAME_CONTACT_IN_FILE, "+7 999", other_line=3),
    ]
    r.conflict_count = 3
    r.errors.append(RowError(8, BadRow(RowProblem.NOT_A_NUMBER, column="Employees", value="many")))
    return r


def test_the_bot_words_the_import_report_with_matches_and_conflicts_in_the_readers_language(locale) -> None:
    text = render.import_report(_import_report(), shown=2)
    if locale == "ru":
        assert text.splitlines() == [
            "<b>Импорт: прочитано строк — 9; добавлено лидов — 4, обновлено по внешнему id — 2, найдено по "
            "контакту — 1 (выиграно 3, проиграно 2, открыто 2); пропущено: ошибочных строк — 1, конфликтов — 3; "
            "1.2 с.</b>",
            "Найдены по контакту:",
            "строка 3: 8 999 &lt;123&gt; → лид #12 (добавлен внешний id x-1)",
            "Пропущены как конфликты:",
            "строка 4 (внешний id x-2): a@b.io уже есть у лида #7 с другим внешним id: crm-7",
            "строка 5 (внешний id x-3): контакты строки есть у нескольких лидов: #7, #9",
            "… и ещё 1",
            "Ошибочные строки: 8.",
        ]
    else:
        assert "matched by contact: 1" in text.splitlines()[0]
        assert "line 4 (external id x-2): a@b.io belongs to lead #7, which has another external id: crm-7" in text
        assert "line 3: 8 999 &lt;123&gt; → lead #12 (external id x-1 attached)" in text
        assert text.splitlines()[-2:] == ["… and 1 more", "Bad rows on lines 8."]


def test_the_bot_says_when_ids_were_derived_the_outcome_joined_and_domains_are_new(locale) -> None:
    r = _import_report()
    r.id_columns, r.joined_keys, r.new_domains = ("email", "created"), 3, ("home decor", "pet shop")
    lines = render.import_report(r, shown=2).splitlines()[1:4]
    if locale == "ru":
        assert lines == [
            "В файле нет внешнего id: id получены из столбцов email, created.",
            "Исход взят из второго файла: ключей 3.",
            "Новые сферы бизнеса: home decor, pet shop.",
        ]
    else:
        assert lines == [
            "The file has no external id: ids derived from the columns email, created.",
            "Outcome joined from a second file: 3 keys.",
            "New business domains: home decor, pet shop.",
        ]
