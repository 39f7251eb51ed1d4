"""The one exception family archviz raises; only cli.py turns these into exit codes."""

from __future__ import annotations


class ArchvizError(Exception):
    """Base of every error archviz reports to a user.

    Args:
        message: one paragraph naming the file, module or op and the shapes involved.
    """

    exit_code = 1


class UsageError(ArchvizError):
    """The user asked for something that cannot be done as asked (exit status 2)."""

    exit_code = 2


class LoadError(ArchvizError):
    """The model file could not be run, or no model or inputs could be found in it."""


class LoadUsageError(LoadError, UsageError):
    """A load problem the user fixes by choosing differently (several candidates, bad --input)."""

    exit_code = 2


class NoInputsError(LoadUsageError):
    """The model was found, but nothing says what to call it with."""


class TraceError(ArchvizError):
    """The forward pass could not be traced (nested trace, failing forward pass, bad output)."""


class RenderError(ArchvizError):
    """Graphviz is missing or failed, or an output file could not be written."""


class RecordError(ArchvizError, ValueError):
    """A JSON record archviz cannot read (another schema version, malformed data)."""


class Timeout(BaseException):
    """Raised inside the user's code when `--timeout` runs out; not an ArchvizError: it travels through
    the model's own frames like any exception it raises, so the tracer records where it stopped. A
    BaseException, so that a model's own `except Exception:` (a retry loop) does not swallow it."""


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the program is, so it unwinds as Ctrl-C does: hooks off, temp files gone."""


def text_of(exc: BaseException) -> str:
    """`str(exc)`, or a sentence saying it could not be read: a model's exception whose `__str__` itself
    raises must not turn a failure report into a crash of archviz."""
    try:
        return str(exc)
    except Exception:  # noqa: BLE001 - any error of the user's __str__
        return f"(the message of this {type(exc).__name__} could not be read: its __str__ raised)"
