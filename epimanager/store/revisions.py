"""The migration history as the files say it, without importing Alembic (0.5 s) or SQLAlchemy.

Start-up only needs "is this database at the newest revision, or from a newer program?";
:mod:`epimanager.store.migrate` imports Alembic only when a migration is due.  A test checks
that this gives exactly Alembic's own heads and revisions.
"""

from __future__ import annotations

import ast
from functools import cache
from pathlib import Path

MIGRATIONS_DIR = Path(__file__).resolve().parent / "migrations"


def revision_of(path: Path) -> tuple[str, tuple[str, ...]] | None:
    """``(revision, down_revisions)`` a migration file assigns, or None when it names no revision."""
    values: dict[str, object] = {}
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (SyntaxError, UnicodeDecodeError):
        return None
    for node in tree.body:
        # ``revision = "…"`` and Alembic's newer template ``revision: str = "…"``
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        else:
            continue
        if isinstance(target, ast.Name) and target.id in ("revision", "down_revision"):
            try:
                values[target.id] = ast.literal_eval(value)
            except ValueError:
                return None
    rev, down = values.get("revision"), values.get("down_revision")
    if not isinstance(rev, str):
        return None
    downs = (down,) if isinstance(down, str) else tuple(down) if isinstance(down, tuple | list) else ()
    return rev, tuple(str(d) for d in downs)


@cache
def _revision_graph() -> dict[str, tuple[str, ...]]:
    """``revision -> down_revisions`` read from the migration files' assignments, without importing Alembic.

    A test checks that this gives exactly Alembic's own heads and revisions.
    """
    graph: dict[str, tuple[str, ...]] = {}
    for path in sorted((MIGRATIONS_DIR / "versions").glob("*.py")):
        found = revision_of(path)
        if found is not None:
            graph[found[0]] = found[1]
    return graph


def script_heads() -> set[str]:
    graph = _revision_graph()
    parents = {d for downs in graph.values() for d in downs}
    return set(graph) - parents


def known_revisions() -> set[str]:
    return set(_revision_graph())
