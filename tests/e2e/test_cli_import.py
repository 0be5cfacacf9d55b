"""A file `leadcrm import` cannot use ends the command with one line that says why and that nothing was
imported — never a traceback, never half a file. Each test runs the real console entry point in a child process."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from tests.e2e.test_cli_startup import _leadcrm, _lines

MAPPING = """
[lead]
external_id = "ID"
name = "Company"

[source]
column = "Channel"
values = { "Web" = "scanner" }
"""


def _csv(path: Path, rows: int) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(["ID", "Company", "Channel"])
        writer.writerows([f"e2e-{i}", f"Company number {i} with a longish name", "Web"] for i in range(rows))
    return path


def _mapping(path: Path, text: str = MAPPING) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def _late_undecodable(tmp_path: Path) -> tuple[Path, Path]:
    path = _csv(tmp_path / "late.csv", 2000)  # far beyond the text reader's first chunk
    with path.open("ab") as fh:
        fh.write(b"e2e-x,Caf\xe9,Web\r\n")
    return path, _mapping(tmp_path / "m.toml")


def _unknown_encoding(tmp_path: Path) -> tuple[Path, Path]:
    return _csv(tmp_path / "a.csv", 3), _mapping(tmp_path / "m.toml", '[csv]\nencoding = "utf-9"\n' + MAPPING)


def _mapping_is_a_directory(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "mappings").mkdir()
    return _csv(tmp_path / "a.csv", 3), tmp_path / "mappings"


def _csv_is_a_directory(tmp_path: Path) -> tuple[Path, Path]:
    (tmp_path / "data").mkdir()
    return tmp_path / "data", _mapping(tmp_path / "m.toml")


@pytest.mark.parametrize(
    ("files", "line"),
    [
        (_late_undecodable, "error: CSV file {csv}, line 2002: not utf-8-sig text (invalid continuation byte)"),
        (
            _unknown_encoding,
            "error: mapping: [csv] encoding: 'utf-9' is not a text encoding Python knows (e.g. utf-8, cp1251)",
        ),
        (_mapping_is_a_directory, "error: mapping file {mapping}: a directory, not a file"),
        (_csv_is_a_directory, "error: CSV file {csv}: a directory, not a file"),
    ],
)
def test_a_file_level_problem_is_one_line_and_nothing_is_imported(tmp_path, database_url, files, line) -> None:
    csv_path, mapping = files(tmp_path)
    result = _leadcrm(tmp_path, "import", str(csv_path), "--mapping", str(mapping), DATABASE_URL=database_url)
    assert result.returncode == 2, result.stderr
    assert _lines(result.stdout + result.stderr) == [
        line.format(csv=csv_path, mapping=mapping) + "; nothing was imported"
    ]
