"""Typed errors raised by the library; the CLI turns each into one message and an exit code."""

from __future__ import annotations


class ChurnwatchError(Exception):
    """Base class: a problem the user can fix, shown without a traceback."""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        return self.message if self.hint is None else f"{self.message} (hint: {self.hint})"

    def __reduce__(self) -> tuple[object, ...]:
        """Pickled whole (a Dask worker's error reaches the command as it was raised): the
        subclasses take other arguments than the message."""
        return (_restored, (type(self), self.message, self.__dict__))


def _restored(kind: type[ChurnwatchError], message: str, state: dict[str, object]) -> object:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class ConfigError(ChurnwatchError):
    """churnwatch.toml (or a rules file) is missing, unreadable or invalid."""


class InputError(ChurnwatchError):
    """An export cannot be used: missing, empty, not text, or lacking a required column."""


class EmptySourceError(InputError):
    """An export has no data rows (empty, or a header only); optional sources are left out."""

    EMPTY = "the file is empty; expected a header line and data rows"
    HEADER_ONLY = "has a header but no data rows"
    NO_PARTS = "a Parquet folder without parts (only its writers' own files)"

    def __init__(self, path: object, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.reason = reason


class OutputError(ChurnwatchError):
    """A report cannot be written where the user asked."""


class UsageError(ChurnwatchError):
    """The command line asks for something impossible (e.g. an unknown format)."""


class DeliveryError(ChurnwatchError):
    """A report could not be delivered (the mail server refused it, or could not be reached)."""

    whole_server: bool = False
    """The server failed as it would for any message (down, timed out, the login refused),
    not this message (its recipients or its content refused)."""


class HistoryError(ChurnwatchError):
    """The run history cannot be read or written (locked, damaged, or from a newer version)."""


def stop_behind(error: BaseException) -> KeyboardInterrupt | None:
    """The stop (Ctrl-C, SIGTERM) that ``error`` was raised in the unwinding or the handling
    of, if any: the run must still end as stopped. A local Dask cluster stopped while its
    workers were still starting fails its own closing (distributed asserts on the workers'
    state); a stop that lands while an import creates a class comes out wrapped in a
    ``RuntimeError`` ("Error calling __set_name__ ...")."""
    cause = error.__context__
    while cause is not None:
        if isinstance(cause, KeyboardInterrupt):
            return cause
        cause = cause.__context__
    return None
