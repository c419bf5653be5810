"""The one permission check point for services.

Users and roles arrive with the users issue.  Until then :func:`check`
allows everything; the services already call it with these action names,
so the users issue only has to fill in the rule (e.g. all of them need the
role 业务管理员).
"""

from __future__ import annotations

from epimanager.errors import PermissionDenied

#: Actions guarded here, with the role they are meant to need.
ACTIONS: dict[str, str] = {
    "delete_child": "业务管理员",
    "restore_child": "业务管理员",
    "restore_dose": "业务管理员",
    "merge_children": "业务管理员",
    "undo_merge": "业务管理员",
}


def check(user: str | None, action: str) -> None:
    """Raise :class:`PermissionDenied` if ``user`` may not do ``action`` (currently: always allowed)."""
    if action not in ACTIONS:
        raise PermissionDenied(f"未知的操作权限：{action}")
    # TODO(users issue): look up the user's roles and require ACTIONS[action].
    _ = user
