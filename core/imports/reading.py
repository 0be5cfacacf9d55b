"""Reading the CSV file row by row, and naming the line when the file itself is broken."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

from core.imports.errors import FileKind, FileProblem, UnreadableFile, cannot_open
from core.imports.mapping import Mapping, MappingError


def read_rows(path: Path, m: Mapping, columns: set[str] | None = None) -> Iterator[tuple[int, list[str]]]:
    """Yield (line number, cells): first the header, then each row (a blank line is no row), streamed.
    :class:`UnreadableFile` if the file is missing, not a file, not text in the mapping's encoding or broken
    CSV (with the line, even late in the file); :class:`MappingError` if a mapped column (or one of ``columns``)
    is not in the header."""
    reader = None
    try:
        with path.open(newline="", encoding=m.encoding) as fh:
            reader = csv.reader(fh, delimiter=m.delimiter)
            header = next(reader, [])
            absent = sorted((m.columns() if columns is None else columns) - set(header))
            if absent and columns is None:
                raise MappingError([f"column '{c}' is not in the CSV header" for c in absent])
            if absent:
                raise MappingError([f"column '{c}' is not in the header of {path.name}" for c in absent])
            yield reader.line_num, header
            for row in reader:
                if row:
                    yield reader.line_num, row
    except OSError as err:
        raise cannot_open(path, FileKind.CSV, err) from None
    except UnicodeDecodeError as err:
        line = undecodable_line(path, m.encoding)
        raise UnreadableFile(path, FileProblem.NOT_TEXT, encoding=m.encoding, line=line, detail=err.reason) from None
    except csv.Error as err:
        line = reader.line_num if reader is not None else None
        raise UnreadableFile(path, FileProblem.BROKEN_CSV, line=line, detail=str(err)) from None


def read_keys(path: Path, m: Mapping, column: str) -> frozenset[str]:
    """The values of ``column`` in the CSV file at ``path`` (``[outcome] join``'s file, in the mapping's
    encoding and delimiter), stripped, the missing markers left out. Streamed: only the set of keys is kept."""
    rows = read_rows(path, m, {column})
    _, header = next(rows)
    i = header.index(column)
    missing = m.missing
    keys = set()
    for _, row in rows:
        if i < len(row) and (key := row[i].strip()) not in missing:
            keys.add(key)
    return frozenset(keys)


def undecodable_line(path: Path, encoding: str) -> int | None:
    """The line of the first bytes that do not decode. The text reader decodes ahead in chunks, so its error
    names an offset inside a chunk; this reads the file again a line at a time to find the line (exact for
    encodings where a newline is the byte 0x0A — utf-8, cp1251, latin-1 ...; close for utf-16)."""
    decoder = codecs.getincrementaldecoder(encoding)()
    line = 1
    with path.open("rb") as fh:
        for raw in fh:
            try:
                line += decoder.decode(raw).count("\n")
            except UnicodeDecodeError:
                return line
        try:
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            return line
    return None
