"""Reading the CSV file row by row, and naming the line when the file itself is broken."""

from __future__ import annotations

import codecs
import csv
from collections.abc import Iterator
from pathlib import Path

from core.imports.errors import FileKind, FileProblem, UnreadableFile, cannot_open
from core.imports.mapping import Mapping, MappingError
from core.imports.rows import Row


def read_rows(path: Path, m: Mapping) -> Iterator[tuple[int, Row]]:
    """Yield (line number, row). :class:`UnreadableFile` if the file is missing, not a file, not text in the
    mapping's encoding or broken CSV (with the line, even late in the file); :class:`MappingError` if a mapped
    column is not in the header."""
    reader = None
    try:
        with path.open(newline="", encoding=m.encoding) as fh:
            reader = csv.DictReader(fh, delimiter=m.delimiter)
            header = reader.fieldnames or []
            absent = sorted(m.columns() - set(header))
            if absent:
                raise MappingError([f"column '{c}' is not in the CSV header" for c in absent])
            for row in reader:
                yield reader.line_num, row
    except OSError as err:
        raise cannot_open(path, FileKind.CSV, err) from None
    except UnicodeDecodeError as err:
        line = undecodable_line(path, m.encoding)
        raise UnreadableFile(path, FileProblem.NOT_TEXT, encoding=m.encoding, line=line, detail=err.reason) from None
    except csv.Error as err:
        line = reader.reader.line_num if reader is not None else None  # DictReader's own stops at the last row
        raise UnreadableFile(path, FileProblem.BROKEN_CSV, line=line, detail=str(err)) from None


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
