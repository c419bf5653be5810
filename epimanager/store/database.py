"""Open a vaccination point's database: migrate, back up, hand out sessions.

A :class:`Database` is a handle for one user's work: the GUI window or the CLI command that
opened it logs in through :func:`epimanager.services.users.login`, which sets :attr:`Database.actor`.
Every session it hands out carries that actor in ``session.info[ACTOR_KEY]`` (the audit trail's
author). Nothing about who is acting is kept anywhere else.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, select
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from epimanager.domain.actor import Actor
from epimanager.errors import DatabaseError
from epimanager.paths import backup_dir_for
from epimanager.store import migrate
from epimanager.store.engine import make_engine
from epimanager.store.models import AppConfig
from epimanager.store.outbox import install_outbox

OWN_UNIT_KEY = "own_unit_code"
#: ``session.info`` key of the :class:`Actor` a session works for (None: nobody logged in).
ACTOR_KEY = "epimanager.actor"


@dataclass
class Database:
    """An open database.  Build with :func:`open_database`."""

    path: Path
    engine: Engine
    sessions: sessionmaker[Session]
    migrated_from_backup: Path | None = None
    #: The logged-in user this handle works for (set by login; None in setup mode or before login).
    actor: Actor | None = None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        with known_errors(), self.sessions() as s:
            s.info[ACTOR_KEY] = self.actor
            yield s

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session in one transaction: committed on success, else rolled back."""
        with known_errors(), self.sessions.begin() as s:
            s.info[ACTOR_KEY] = self.actor
            yield s

    def acting_as(self, actor: Actor | None) -> Database:
        """Another handle on the same engine that works for ``actor``."""
        return replace(self, actor=actor)

    def config(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(AppConfig, key)
            return row.value if row else None

    def own_unit_code(self) -> str:
        code = self.config(OWN_UNIT_KEY)
        if not code:
            raise DatabaseError("数据库尚未初始化接种单位，请先运行 epimanager init --unit 编码 --unit-name 名称")
        return code

    def close(self) -> None:
        self.engine.dispose()


#: Driver complaints about the environment (not bugs), as a nurse should read them.
_ENVIRONMENT = (
    (
        ("database is locked", "database table is locked", "busy"),
        "数据库正忙：另一个窗口或程序正在写入，请稍后再试（未保存任何改动）",
    ),
    (("disk is full", "disk i/o error"), "磁盘空间不足或磁盘出错，数据库无法写入（未保存任何改动）"),
    (("readonly database", "read-only"), "数据库文件是只读的，无法保存（请检查文件夹权限）"),
    (("malformed", "not a database", "file is encrypted"), "数据库文件已损坏或不是有效的数据库，请从备份恢复"),
    (("unable to open database",), "无法打开数据库文件（请检查文件夹是否存在、是否有权限）"),
)


def environment_message(exc: BaseException) -> str | None:
    """The Chinese message for a locked / busy / full / read-only / damaged database, else None."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    for needles, message in _ENVIRONMENT:
        if any(n in text for n in needles):
            return message
    return None


@contextmanager
def known_errors() -> Iterator[None]:
    """Turn the driver's environment errors into :class:`DatabaseError` (a message, not a crash dialog)."""
    try:
        yield
    except (OperationalError, SQLAlchemyDatabaseError) as exc:
        message = environment_message(exc)
        if message is None:
            raise
        raise DatabaseError(message) from exc


def open_database(path: Path, *, create: bool = False, backup_dir: Path | None = None) -> Database:
    """Open (and migrate) the database at ``path``.

    With ``create=False`` a missing file is an error rather than silently a
    new empty database.  Before migrating an existing database a backup copy
    is written to ``backup_dir`` (default: ``backups/`` next to it).
    """
    path = Path(path)
    if not path.exists():
        if not create:
            raise DatabaseError(f"数据库文件不存在：{path}（请先运行 epimanager init）")
        path.parent.mkdir(parents=True, exist_ok=True)
    elif not create and path.is_file() and path.stat().st_size == 0:
        # an emptied file (a failed copy, a full disk) must not silently become a new, empty clinic
        raise DatabaseError(f"文件不是有效的数据库或已损坏：{path}（空文件）")
    engine = make_engine(path)
    try:
        backup = migrate.ensure_schema(engine, path, backup_dir or backup_dir_for(path))
    except BaseException:
        engine.dispose()
        raise
    return Database(path, engine, install_outbox(sessionmaker(engine, expire_on_commit=False)), backup)


def set_config(session: Session, key: str, value: str) -> None:
    row = session.get(AppConfig, key)
    if row is None:
        session.add(AppConfig(key=key, value=value))
    else:
        row.value = value


def get_config(session: Session, key: str) -> str | None:
    return session.scalar(select(AppConfig.value).where(AppConfig.key == key))
