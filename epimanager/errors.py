"""One error policy for the whole application.

``EpiError`` and its subclasses are *known* errors: bad input, a refused
action, an environment problem.  They carry a message in Chinese that the GUI
shows as is and the CLI prints on one line before exiting non-zero.  Anything
else that escapes is a bug and goes to the crash handler.

A message never names a command line or a menu: where the user puts it right is the error's
``fix`` key (e.g. ``"platform"``), which each front end words in its own place — the CLI names
its command or option (``epimanager sync config …``, ``--other-unit``), the GUI its menu or
check box (系统 → 配置工具 …).
"""

from __future__ import annotations


class EpiError(Exception):
    """A known, user-facing error (message in Chinese)."""

    exit_code = 1
    #: where the user puts this right, as a key the front ends word (see the module doc); None: nowhere
    fix: str | None = None

    def __init__(self, message: str, *, fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if fix is not None:
            self.fix = fix

    def __str__(self) -> str:
        return self.message


class ValidationError(EpiError):
    """Input failed validation; ``problems`` lists each failed rule."""

    exit_code = 2

    def __init__(self, problems: list[str] | str, *, fix: str | None = None) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = list(problems)
        super().__init__("；".join(self.problems), fix=fix)


class NotFoundError(EpiError):
    exit_code = 3


class DatabaseError(EpiError):
    """The database cannot be used (newer version, corrupt, locked, …)."""

    exit_code = 4


class PermissionDenied(EpiError):
    exit_code = 5


class StaleRecord(EpiError):
    """The record was changed (at another desk or window) after the user read it: nothing was saved."""

    exit_code = 6
