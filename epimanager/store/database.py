"""Open a vaccination point's database: migrate, back up, hand out sessions.

A :class:`Database` is a handle for one user's work: the GUI window or the CLI command that
opened it logs in through :func:`epimanager.services.users.login`, which sets :attr:`Database.actor`.
Every session it hands out carries that actor in ``session.info[ACTOR_KEY]`` (the audit trail's
author). Nothing about who is acting is kept anywhere else.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Engine, event, select
from sqlalchemy.exc import DatabaseError as SQLAlchemyDatabaseError
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry

from epimanager.domain.actor import Actor
from epimanager.errors import DatabaseError, PermissionDenied
from epimanager.paths import DbLocation, ServerUrl, backup_dir_for
from epimanager.store import migrate
from epimanager.store.changes import ChangeFeed, install_notify
from epimanager.store.engine import make_engine, server_side_parameters, writer
from epimanager.store.models import AppConfig
from epimanager.store.outbox import install_outbox

OWN_UNIT_KEY = "own_unit_code"
#: ``session.info`` key of the :class:`Actor` a session works for (None: nobody logged in).
ACTOR_KEY = "epimanager.actor"
#: ``session.info`` key of the desk (workstation) name a session works at.
DESK_KEY = "epimanager.desk"
#: PostgreSQL advisory lock every write transaction takes first: one writer at a time, as SQLite's
#: ``BEGIN IMMEDIATE`` (readers never wait).  Every decision a write makes from what it reads — the
#: next child code, stock on hand, a dose already on record, the audit chain's last hash, the
#: version the user saw — is then made under the lock, on both backends alike.
WRITE_LOCK_KEY = 0x45504D01
#: How long a desk waits for another desk's write before saying the database is busy.
LOCK_TIMEOUT_S = 30


def default_desk() -> str:
    """This workstation's name (the PC's host name) until the user picks a desk."""
    return (socket.gethostname() or "本机")[:40]


@dataclass
class Database:
    """An open database.  Build with :func:`open_database`."""

    location: DbLocation
    engine: Engine
    sessions: sessionmaker[Session]
    migrated_from_backup: Path | None = None
    #: The logged-in user this handle works for (set by login; None in setup mode or before login).
    actor: Actor | None = None
    #: Sessions of write transactions (``BEGIN IMMEDIATE`` on SQLite).
    writers: sessionmaker[Session] | None = None
    #: The desk (workstation) this handle works at: recorded on every audited change.
    desk: str = field(default_factory=default_desk)

    @property
    def path(self) -> Path:
        """The SQLite file (a server database has none: check :attr:`server` first)."""
        if isinstance(self.location, ServerUrl):
            raise DatabaseError("此操作只适用于单机版数据库文件，不适用于数据库服务器")
        return self.location

    @property
    def server(self) -> ServerUrl | None:
        """The clinic-server address, or None for a standalone SQLite file."""
        return self.location if isinstance(self.location, ServerUrl) else None

    @property
    def backend(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session for reading (rolled back at the end)."""
        with known_errors(self.location), self.sessions() as s:
            s.info[ACTOR_KEY] = self.actor
            s.info[DESK_KEY] = self.desk
            yield s

    @contextmanager
    def transaction(self, *, prepared: bool = False) -> Iterator[Session]:
        """A session in one write transaction: committed on success, else rolled back.

        On the clinic server this returns only once the commit is on the server's disk, as on
        SQLite, but the disk write no longer happens under the clinic write lock (:func:`_wait_durable`).
        ``prepared`` (a save a desk makes all day, whose statements SQLAlchemy builds with typed
        parameters): the server is sent the parameters apart from the SQL and keeps each statement
        planned after a few uses (:func:`~epimanager.store.engine.server_side_parameters`)."""
        if self.server is None or self.writers is None:
            with known_errors(self.location), (self.writers or self.sessions).begin() as s:
                s.info[ACTOR_KEY] = self.actor
                s.info[DESK_KEY] = self.desk
                yield s
            return
        with (
            known_errors(self.location),
            self.engine.connect() as connection,
            server_side_parameters(connection, prepared),
        ):
            with self.writers(bind=connection) as s, s.begin():
                s.info[ACTOR_KEY] = self.actor
                s.info[DESK_KEY] = self.desk
                yield s
            _wait_durable(connection)

    def change_feed(self) -> ChangeFeed:
        """A started feed of the changes other desks and windows make (stop it when done)."""
        return ChangeFeed(self.location, self.desk).start()

    def acting_as(self, actor: Actor | None) -> Database:
        """Another handle on the same engine that works for ``actor``."""
        return replace(self, actor=actor)

    def ping(self) -> None:
        """One round trip to the database: raises :class:`ServerLost` while the server cannot be reached."""
        with self.session() as s:
            s.execute(select(1))

    def config(self, key: str) -> str | None:
        with self.session() as s:
            row = s.get(AppConfig, key)
            return row.value if row else None

    def own_unit_code(self) -> str:
        with self.session() as s:
            return own_unit(s)

    def close(self) -> None:
        """Close every connection of this handle, also one another thread is using right now.

        The engine's pool is replaced; a connection still checked out (a window's background
        read) goes back to the old pool later and is closed then, not whenever the garbage
        collector gets to it: a restore or upgrade that checks nobody holds the file must not
        find this program's own idle connection.
        """
        old = self.engine.pool
        self.engine.dispose()
        event.listen(old, "checkin", _close_on_return)
        old.dispose()  # one that came back between the two lines above


def _close_on_return(_dbapi_connection: object, record: ConnectionPoolEntry) -> None:
    record.invalidate()


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
    (
        ("could not obtain lock", "lock timeout"),
        "数据库正忙：另一台工作站正在修改同一记录，请稍后再试（未保存任何改动）",
    ),
    (("no space left", "could not extend file"), "数据库服务器磁盘空间不足，无法写入（未保存任何改动）"),
    (("read-only transaction",), "数据库服务器处于只读状态（备用服务器？），无法保存"),
)
_AUTH = ("password authentication failed", "no password supplied", 'role "', "no pg_hba.conf entry")
_UNREACHABLE = (
    "connection refused",
    "could not connect",
    "connection timeout",
    "timeout expired",
    "server closed the connection",
    "connection to server",
    "terminating connection",
    "connection is closed",
    "could not translate host name",
    "consuming input failed",
    "the connection is lost",
)


def environment_message(exc: BaseException, location: DbLocation | None = None) -> str | None:
    """The Chinese message for a locked / busy / full / read-only / damaged / unreachable database, else None."""
    text = str(getattr(exc, "orig", None) or exc).lower()
    if isinstance(location, ServerUrl):
        if any(n in text for n in _UNREACHABLE):
            return (
                f"无法连接数据库服务器 {location.host}:{location.port}（请检查服务器电脑是否开机、网络是否连通；"
                "未保存任何改动）"
            )
        if "does not exist" in text and "database" in text:
            return f"数据库服务器 {location.host}:{location.port} 上没有数据库 {location.dbname}"
    for needles, message in _ENVIRONMENT:
        if any(n in text for n in needles):
            return message
    return None


class ServerLost(DatabaseError):
    """The clinic server went away (or could not be reached): nothing was saved; try again later."""


@contextmanager
def known_errors(location: DbLocation | None = None) -> Iterator[None]:
    """Turn the driver's environment errors into :class:`DatabaseError` (a message, not a crash dialog)."""
    try:
        yield
    except (OperationalError, SQLAlchemyDatabaseError) as exc:
        text = str(getattr(exc, "orig", None) or exc).lower()
        if isinstance(location, ServerUrl) and any(n in text for n in _AUTH):
            raise PermissionDenied(
                f"数据库服务器 {location.host}:{location.port} 拒绝登录：用户名或密码错误，或本机未被允许连接"
            ) from exc
        message = environment_message(exc, location)
        if message is None:
            raise
        if isinstance(location, ServerUrl) and message.startswith("无法连接"):
            raise ServerLost(message) from exc
        raise DatabaseError(message) from exc


def open_database(
    location: DbLocation | str, *, create: bool = False, backup_dir: Path | None = None, pool_size: int = 5
) -> Database:
    """Open (and migrate) the database at ``location`` (a SQLite file or a clinic-server address).

    With ``create=False`` a missing file (or a server database without tables) is an error rather
    than silently a new empty database.  Before migrating an existing database a backup copy is
    written to ``backup_dir`` (default: ``backups/`` next to it, or in the data folder).
    """
    if isinstance(location, ServerUrl):
        return _open_server(location, create=create, backup_dir=backup_dir, pool_size=pool_size)
    path = Path(location)
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
    return _database(path, engine, backup)


def _database(location: DbLocation, engine: Engine, backup: Path | None) -> Database:
    sessions = install_outbox(sessionmaker(engine, expire_on_commit=False))
    writers = install_outbox(sessionmaker(writer(engine), expire_on_commit=False))
    if isinstance(location, ServerUrl):
        event.listen(writers, "after_begin", _take_write_lock)
        install_notify(writers)
    return Database(location, engine, sessions, backup, writers=writers)


def _take_write_lock(_session: Session, _transaction: object, connection: Connection) -> None:
    # one round trip: the wait limit, the commit not waiting for the disk (see _wait_durable), the lock
    connection.exec_driver_sql(
        f"SELECT set_config('lock_timeout', '{LOCK_TIMEOUT_S}s', true), "
        f"set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock({WRITE_LOCK_KEY})"
    )


#: A transaction of its own that commits with ``synchronous_commit`` on: it writes one record to the
#: server's log (an empty message, ignored by everything but logical decoding; a transaction that only
#: took an id would not wait for the disk), and the server answers only when its log is on disk up to
#: this commit — which lies after the commit this connection just made.  Any role may call it.
_DURABLE = "SELECT set_config('synchronous_commit', 'on', true), pg_logical_emit_message(true, 'epimanager', '')"


def _wait_durable(connection: Connection) -> None:
    """Return once the write transaction ``connection`` just committed is on the server's disk.

    Every write transaction holds the clinic write lock (:data:`WRITE_LOCK_KEY`) until it ends, and a
    durable commit waits for the disk (2 ms a commit on the machine of the benchmarks: about half of
    what a dose save holds the lock) before the lock is let go.  So a write transaction commits with
    ``synchronous_commit`` off (set with the lock): the commit is in the server's log and visible when
    the lock is released, and this waits for the log to reach the disk after the lock is released,
    while the next desk works; desks that wait at once share one disk write.  The save still returns
    only when it is on disk.  The log is written in order, so anything another desk commits after
    reading this commit reaches the disk after it: a power cut of the server in the ~2 ms between
    cannot keep a later commit and lose an earlier one it built on (the audit chain, the stock).
    """
    # one statement in its own transaction: one round trip (the level is put back when the connection is returned)
    connection.execution_options(isolation_level="AUTOCOMMIT")
    connection.exec_driver_sql(_DURABLE)
    connection.commit()


def _open_server(location: ServerUrl, *, create: bool, backup_dir: Path | None, pool_size: int) -> Database:
    engine = make_engine(location, pool_size=pool_size)
    try:
        with known_errors(location):
            if not create and not migrate.schema_state(engine).has_tables:
                raise DatabaseError(
                    f"数据库服务器 {location.host}:{location.port} 上的数据库 {location.dbname} 是空的"
                    "（请先在服务器上初始化：系统 → 配置工具，或 epimanager server init）"
                )
            backup = migrate.ensure_schema(engine, location, backup_dir or backup_dir_for(location))
    except BaseException:
        engine.dispose()
        raise
    return _database(location, engine, backup)


def set_config(session: Session, key: str, value: str) -> None:
    if key == OWN_UNIT_KEY:
        session.info.pop(_OWN_UNIT_SEEN, None)
    row = session.get(AppConfig, key)
    if row is None:
        session.add(AppConfig(key=key, value=value))
    else:
        row.value = value


def get_config(session: Session, key: str) -> str | None:
    return session.scalar(select(AppConfig.value).where(AppConfig.key == key))


def remember_in_transaction(session: Session, key: str, value: object) -> None:
    """Keep ``value`` under ``key`` for the session's current transaction (read by :func:`recall_in_transaction`)."""
    session.info[key] = (session.get_transaction(), value)


def recall_in_transaction(session: Session, key: str) -> tuple[bool, Any]:
    """(True, value) when ``key`` was remembered in the session's current transaction, else (False, None)."""
    seen = session.info.get(key)
    if seen is not None and seen[0] is not None and seen[0] is session.get_transaction():
        return True, seen[1]
    return False, None


#: ``session.info`` key of the unit code read in the session's current transaction
_OWN_UNIT_SEEN = "epimanager.own_unit"


def known_own_unit(session: Session, code: str) -> None:
    """``code`` is this clinic's unit code, read in the session's current transaction: :func:`own_unit`
    and :func:`cached_own_unit` answer it without reading again until that transaction ends."""
    remember_in_transaction(session, _OWN_UNIT_SEEN, code)


def cached_own_unit(session: Session) -> str | None:
    """This clinic's unit code (None: not set up), read once per transaction of ``session``."""
    known, value = recall_in_transaction(session, _OWN_UNIT_SEEN)
    if known:
        return str(value)
    code = get_config(session, OWN_UNIT_KEY)
    if code:
        known_own_unit(session, code)
    return code


def own_unit(session: Session) -> str:
    """This clinic's unit code, read in the caller's session (once per transaction)."""
    code = cached_own_unit(session)
    if not code:
        raise DatabaseError("数据库尚未初始化接种单位，请先运行 epimanager init --unit 编码 --unit-name 名称")
    return code
