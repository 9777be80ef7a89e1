"""Exceptions for callers' mistakes: bad task folders and malformed trajectory files."""

from kb import TelerubricError


class Tau2Error(TelerubricError, ValueError):
    """Base class for input errors a user can act on (file, line, what is wrong)."""


class Tau2DataError(Tau2Error):
    """A task folder (``tasks.json``, ``db.toml``, ``user_db.toml``) is missing or invalid."""


class TrajectoryFormatError(Tau2Error):
    """A trajectory file or one of its lines cannot be read; the message names file and line."""
