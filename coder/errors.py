"""One exception hierarchy for every user-facing failure.

The command line turns any :class:`CoderError` into a one-line message and
exit status 1; anything else is a bug and keeps its traceback.  Messages say
what is wrong *and* what to do, and name the file, line, row or code id at
fault whenever there is one.
"""

from __future__ import annotations

__all__ = [
    "CoderError",
    "InputError",
    "TranscriptError",
    "CodebookError",
    "CodingsError",
    "ProjectError",
    "SchemaVersionError",
    "AnalysisError",
]


class CoderError(Exception):
    """Base class: a problem the user can fix (bad input, wrong option, missing data)."""


class InputError(CoderError):
    """A file given by the user cannot be read or understood."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None):
        self.path = path
        self.line = line
        where = ""
        if path is not None:
            where = f"{path}:{line}: " if line is not None else f"{path}: "
        super().__init__(where + message)


class TranscriptError(InputError):
    """A transcript file is empty, binary, has no turns, or is otherwise malformed."""


class CodebookError(InputError):
    """A codebook fails validation (unknown key, duplicate id, bad pattern …)."""


class CodingsError(InputError):
    """A codings or links CSV has a row that cannot be applied."""


class ProjectError(CoderError):
    """The project directory or database is missing, locked or inconsistent."""


class SchemaVersionError(ProjectError):
    """The project database was written by another schema version."""


class AnalysisError(CoderError):
    """An analysis cannot run on this data (no codings, too few units, unknown coder …)."""
