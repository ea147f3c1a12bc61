"""The one root of the errors a user may see: what went wrong, and what to do about it.

`newswire` (streams/cli/main.py) catches `NewswireError` once and prints `error: <message>` and the hint,
with no traceback. Each module keeps its own subclass (BrokerError, KafkaUnavailable, ...), next to
the code that raises it; the subclasses keep their older bases (ValueError, RuntimeError) too, so
existing `except ValueError` clauses still catch them.

Not here: `streams.domain.intake.RejectedArticle`, the signal that sends one bad record to the dead-letter
topic. The worker handles it and keeps going; it never reaches a user's terminal.
"""

from __future__ import annotations


class NewswireError(Exception):
    """An error the user can act on. `str()` is the message followed by the hint, for logs and tests."""

    #: what to do about it, unless the message says so already
    hint: str | None = None
    #: the CLI's exit status when this ends a command
    exit_code: int = 2

    def __init__(self, message: str, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if hint is not None:
            self.hint = hint

    def __str__(self) -> str:
        return f"{self.message}; {self.hint}" if self.hint else self.message


class SettingsError(NewswireError, ValueError):
    """A NEWSWIRE_* variable that does not parse or is out of range."""

    hint = "fix or unset the variable; every setting is listed in the README (Settings)"
