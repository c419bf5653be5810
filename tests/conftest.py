"""Shared fixtures: real SQLite files in tmp dirs (never the user's data dir)."""

from __future__ import annotations

import atexit
import gc
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import pytest

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
os.environ.pop("EPIMANAGER_DB", None)

from epimanager.paths import DbLocation, ServerUrl, parse_db
from epimanager.services import users
from epimanager.services.units import init_database
from epimanager.store.database import Database, open_database
from tests.helpers.cli_zygote import TEST_SCRYPT_N
from tests.helpers.pg import Cluster, bin_dir


def _memory_temp_root() -> None:
    """Temp files (``tmp_path``, the clinic template, the test cluster, what subprocesses make) go to the
    RAM-backed ``/dev/shm`` unless ``TMPDIR`` says otherwise.  The program still asks for every fsync
    (``synchronous=FULL``); on a disk each took 4 ms idle and far longer when another job wrote to the
    same disk, and nothing a test checks — a SIGKILLed process keeps what it committed — depends on
    the data reaching the platter.  The tests of a full disk mount their own small tmpfs."""
    shm = Path("/dev/shm")
    if os.environ.get("TMPDIR") or not (shm.is_dir() and os.access(shm, os.W_OK | os.X_OK)):
        return
    if shutil.disk_usage(shm).free < 2 * 1024**3:
        return
    os.environ["TMPDIR"] = str(shm)  # inherited by the xdist workers and every subprocess
    tempfile.tempdir = None  # gettempdir() looks again (and caches /dev/shm)


_memory_temp_root()

#: The throwaway cluster's address (set by the controlling process; xdist workers inherit it).
PG_ENV = "EPIMANAGER_TEST_PG"
BACKENDS = ("sqlite", "postgresql")

UNIT = "3201020101"
UNIT_NAME = "玄武区测试社区卫生服务中心预防接种门诊"
COMMITTEES = ("东风村", "红旗村", "城关社区")


@pytest.fixture(autouse=True)
def _isolated_data_dir(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """Point the default data directory at a temp folder for every test."""
    monkeypatch.setenv("EPIMANAGER_DATA_DIR", str(tmp_path_factory.mktemp("datadir")))


#: The program's scrypt cost (n) for a new password hash.  The tests hash with 2**10 instead (about 4 ms
#: of CPU instead of 140 ms; a login verifies with the n stored in the hash): a test about the cost
#: itself, or one that needs a login to take as long as a real one, asks for ``real_password_cost``.
REAL_SCRYPT_N = users.SCRYPT_N


@pytest.fixture(scope="session", autouse=True)
def _quick_password_hashes() -> Iterator[None]:
    users.SCRYPT_N = TEST_SCRYPT_N  # so do the commands run_cli forks (tests/helpers/cli_zygote.py)
    yield
    users.SCRYPT_N = REAL_SCRYPT_N


@pytest.fixture(scope="session", autouse=True)
def _imported_heap_frozen() -> None:
    """What the test process holds before its first test (modules, classes, Qt's and SQLAlchemy's tables:
    ~156,000 objects) is moved out of the collector's generations: each full collection — the ones a
    test's allocations trigger and the GUI tests' gc.collect() after each test — took 30-70 ms scanning
    it, about 4-5 s of each process's run of tests/ui.  Nothing of it becomes garbage."""
    gc.collect()
    gc.freeze()


@pytest.fixture
def real_password_cost(monkeypatch: pytest.MonkeyPatch) -> None:
    """Passwords set in this test are hashed at the program's own cost (n = 2**15)."""
    monkeypatch.setattr(users, "SCRYPT_N", REAL_SCRYPT_N)


def pytest_configure(config: pytest.Config) -> None:
    """Start one PostgreSQL cluster for the run (the controller does; workers inherit its address)."""
    if hasattr(config, "workerinput") or os.environ.get(PG_ENV):
        return
    bindir = bin_dir()
    if bindir is None:
        if os.environ.get("CI"):
            raise pytest.UsageError("PostgreSQL 15+ is not installed: run installer/bootstrap-debian.sh --dev")
        return
    cluster = Cluster(bindir).start()
    atexit.register(cluster.stop)
    config.stash[_CLUSTER] = cluster
    os.environ[PG_ENV] = cluster.url()


_CLUSTER = pytest.StashKey[Cluster]()


def pytest_unconfigure(config: pytest.Config) -> None:
    cluster = config.stash.get(_CLUSTER, None)
    if cluster is not None:
        cluster.stop()
        os.environ.pop(PG_ENV, None)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Every service/store test that takes ``db`` (or ``db_location``) runs on both backends; a test that
    also wants the SQLite file (``db_path``) stays on SQLite."""
    names = metafunc.fixturenames
    if (
        "backend" in names
        and "db_path" not in names
        and "tests/unit/" in str(metafunc.definition.path).replace(os.sep, "/")
    ):
        # a module whose subject exists on one backend only says so: BACKENDS = ("sqlite",)
        metafunc.parametrize("backend", getattr(metafunc.module, "BACKENDS", BACKENDS), indirect=True)


@pytest.fixture
def backend(request: pytest.FixtureRequest) -> str:
    return getattr(request, "param", "sqlite")


def _admin_url() -> str:
    url = os.environ.get(PG_ENV)
    if not url:
        pytest.skip("PostgreSQL is not installed here (installer/bootstrap-debian.sh --dev installs it)")
    return url


def _pg_exec(sql: str) -> None:
    import psycopg

    with psycopg.connect(_admin_url(), autocommit=True) as con:
        con.execute(sql)


@contextmanager
def server_database(template: str | None = None) -> Iterator[ServerUrl]:
    """A new, empty (or copied from ``template``) database on the test cluster, dropped afterwards."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    _pg_exec(f"CREATE DATABASE {name}" + (f" TEMPLATE {template}" if template else ""))
    loc = parse_db(_admin_url().rsplit("/", 1)[0] + "/" + name)
    assert isinstance(loc, ServerUrl)
    try:
        yield loc
    finally:
        _pg_exec(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def clinic_location(backend: str, folder: Path, stack: ExitStack) -> DbLocation:
    """An initialised clinic (unit 3201020101, three 区域划分) on ``backend`` (module-scoped fixtures)."""
    if backend == "postgresql":
        return stack.enter_context(server_database(pg_template_name()))
    return new_clinic_file(folder / "epi.sqlite")


#: What a test process initialised once (migrations take ~0.5 s a database): copied for each test.
_templates: dict[str, str] = {}


def new_clinic_file(path: Path) -> Path:
    """``path``: a copy of one initialised clinic file (unit 3201020101, three 区域划分), built once per
    test process — as :func:`init_database` makes it, without running every migration for each test."""
    template = _templates.get("sqlite")
    if template is None:
        folder = Path(tempfile.mkdtemp(prefix="epim-template-"))
        atexit.register(shutil.rmtree, folder, True)
        init_database(folder / "epi.sqlite", UNIT, UNIT_NAME, list(COMMITTEES))
        # closed cleanly: everything is in the one file (no -wal or -shm beside it to copy)
        assert sorted(p.name for p in folder.iterdir()) == ["epi.sqlite"]
        template = _templates["sqlite"] = str(folder / "epi.sqlite")
    path.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(template, path)
    return path


def pg_template_name() -> str:
    """A server database initialised like :func:`new_clinic_file`, built once per test process and
    copied for each test (``CREATE DATABASE … TEMPLATE``)."""
    name = _templates.get("postgresql")
    if name is None:
        name = f"tmpl_{os.environ.get('PYTEST_XDIST_WORKER', 'main')}_{uuid.uuid4().hex[:6]}"
        _pg_exec(f"CREATE DATABASE {name}")
        loc = parse_db(_admin_url().rsplit("/", 1)[0] + "/" + name)
        init_database(loc, UNIT, UNIT_NAME, list(COMMITTEES))
        _templates["postgresql"] = name
    return name


@pytest.fixture(scope="session")
def pg_template() -> str:
    """A database initialised like ``db_path`` (unit 3201020101, three 区域划分), copied for each test."""
    return pg_template_name()


@pytest.fixture
def pg_location(pg_template: str) -> Iterator[ServerUrl]:
    """A fresh server database (copied from the template) for one test, dropped after it."""
    with server_database(pg_template) as loc:
        yield loc


@pytest.fixture
def db_location(backend: str, tmp_path: Path, request: pytest.FixtureRequest) -> DbLocation:
    """Where the test's clinic lives: a fresh SQLite file or a fresh server database."""
    if backend == "postgresql":
        return request.getfixturevalue("pg_location")  # type: ignore[no-any-return]
    return new_clinic_file(tmp_path / "epi.sqlite")


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A freshly initialised database file for unit 3201020101 with three 区域划分."""
    return new_clinic_file(tmp_path / "epi.sqlite")


@pytest.fixture
def db(backend: str, request: pytest.FixtureRequest) -> Iterator[Database]:
    # a test that also asked for the file gets that very file
    name = "db_path" if "db_path" in request.fixturenames else "db_location"
    database = open_database(request.getfixturevalue(name))
    yield database
    database.close()
