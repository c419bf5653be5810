"""Who is acting: the logged-in user a unit of work is done for."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """A logged-in user (name and role as they were at login; the role is checked again per action).

    Carried explicitly: the GUI's session and the CLI's ``--user`` log in and set it on their
    :class:`~epimanager.store.database.Database` handle; every transaction of that handle
    records it in ``session.info["actor"]`` for the audit trail.
    """

    name: str
    role: str
    #: the real name (王海生) written as 接种护士; None: the login name stands for it
    display_name: str | None = None

    @property
    def real_name(self) -> str:
        """The name to write as 接种护士 and on prints: the real name, else the login name."""
        return self.display_name or self.name
