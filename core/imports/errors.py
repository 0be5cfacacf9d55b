"""What can be wrong with a file of the import as a whole (the CSV or the mapping): :class:`UnreadableFile`.
A file-level problem stops the import and nothing is stored; a problem with one row is a ``BadRow``
(:mod:`core.imports.rows`). ``cli/reports.py`` says both in words."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from core.domain.errors import DomainError


class FileKind(StrEnum):
    CSV = "csv"
    MAPPING = "mapping"


class FileProblem(StrEnum):
    MISSING = "missing"
    NOT_A_FILE = "not_a_file"  # a directory (or another thing that is not a regular file)
    NOT_READABLE = "not_readable"  # the system refused to read it: detail
    NOT_TEXT = "not_text"  # not in the mapping's encoding: encoding, line, detail
    BROKEN_CSV = "broken_csv"  # line, detail


class UnreadableFile(DomainError):
    """The file cannot be used: which file, what is wrong, where (``line``, 1-based) and the reader's detail."""

    code = "unreadable_file"

    def __init__(
        self,
        path: Path,
        problem: FileProblem,
        *,
        kind: FileKind = FileKind.CSV,
        encoding: str | None = None,
        line: int | None = None,
        detail: str = "",
    ) -> None:
        super().__init__()
        self.path = path
        self.problem = problem
        self.kind = kind
        self.encoding = encoding
        self.line = line
        self.detail = detail


def cannot_open(path: Path, kind: FileKind, err: OSError) -> UnreadableFile:
    """The :class:`UnreadableFile` for an ``OSError`` raised while opening or reading ``path``."""
    if isinstance(err, FileNotFoundError):
        return UnreadableFile(path, FileProblem.MISSING, kind=kind)
    if isinstance(err, IsADirectoryError) or (path.exists() and not path.is_file()):
        return UnreadableFile(path, FileProblem.NOT_A_FILE, kind=kind)
    return UnreadableFile(path, FileProblem.NOT_READABLE, kind=kind, detail=err.strerror or type(err).__name__)
