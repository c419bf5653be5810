"""Real upgrade packages built from temp source folders, signed with the DEV key."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from epimanager.services.demo import generate
from epimanager.store.database import open_database
from epimanager.store.migrate import script_heads
from epimanager.upgrade.install.layout import Target, current_version
from epimanager.upgrade.package import build_package

REPO = Path(__file__).resolve().parents[3]
DEV_KEY = REPO / "tests" / "keys" / "dev-upgrade-key.pem"


@pytest.fixture(autouse=True)
def _dev_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("EPIMANAGER_DEV_KEYS", "1")
    monkeypatch.delenv("EPIMANAGER_INSTALL_ROOT", raising=False)
    monkeypatch.delenv("EPIMANAGER_UPGRADE_REQUIRED_FREE", raising=False)


def migration_source(revision: str, *, fail_halfway: bool = False) -> str:
    """A revision on top of every current head that adds ``child.upgrade_note``."""
    heads = tuple(sorted(script_heads()))
    fail = '    raise RuntimeError("模拟：迁移执行到一半失败")\n' if fail_halfway else ""
    return (
        "import sqlalchemy as sa\nfrom alembic import op\n\n"
        f"revision = {revision!r}\ndown_revision = {heads!r}\nbranch_labels = None\ndepends_on = None\n\n\n"
        "def upgrade() -> None:\n"
        "    op.add_column('child', sa.Column('upgrade_note', sa.Text(), nullable=True))\n"
        "    op.execute(\"UPDATE child SET upgrade_note = '已升级'\")\n"
        f"{fail}\n\n"
        "def downgrade() -> None:\n    op.drop_column('child', 'upgrade_note')\n"
    )


@dataclass
class Builder:
    root: Path

    def source(
        self,
        version: str,
        *,
        min_version: str = "0.1.0",
        program: dict[str, bytes] | None = None,
        data: dict[str, bytes] | None = None,
        migrations: dict[str, str] | None = None,
    ) -> Path:
        src = self.root / f"src-{version}-{len(list(self.root.glob('src-*')))}"
        src.mkdir(parents=True)
        (src / "manifest.json").write_text(
            json.dumps(
                {"version": version, "min_version": min_version, "notes": f"测试升级包 {version}：更新单位编码表"},
                ensure_ascii=False,
            ),
            encoding="utf-8",
        )
        for section, files in (("program", program), ("data", data)):
            for name, content in (files or {}).items():
                p = src / section / name
                p.parent.mkdir(parents=True, exist_ok=True)
                p.write_bytes(content)
        for name, text in (migrations or {}).items():
            p = src / "migrations" / name
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text, encoding="utf-8")
        return src

    def build(self, version: str, **kw: object) -> Path:
        src = self.source(version, **kw)  # type: ignore[arg-type]
        out = self.root / f"EpiManager-{version}-{src.name}.zip"
        build_package(src, DEV_KEY, out)
        return out


@pytest.fixture
def builder(tmp_path: Path) -> Builder:
    return Builder(tmp_path / "packages")


UNIT_CSV_2027 = "code,name,county\n3201020101,玄武区梅园新村社区卫生服务中心预防接种门诊,南京市玄武区\n".encode()


@pytest.fixture
def populated(db_path: Path) -> Path:
    """The conftest database with 40 synthetic children and their doses."""
    db = open_database(db_path)
    try:
        generate(db, 40, seed=7)
    finally:
        db.close()
    return db_path


@pytest.fixture
def target(populated: Path, tmp_path: Path) -> Target:
    return Target.for_database(populated, tmp_path / "install")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    if not folder.exists():
        return {}
    return {p.relative_to(folder).as_posix(): (sha(p) if p.is_file() else "<dir>") for p in sorted(folder.rglob("*"))}


def snapshot(target: Target) -> dict[str, object]:
    """Everything a failed or refused upgrade must leave exactly as it was."""
    return {
        "db": sha(target.db_path),
        "db_dir": {
            k: v for k, v in tree(target.db_path.parent).items() if k.split("/")[0] not in ("packages", "install")
        },
        "install_root": tree(target.install_root),
        "overrides": tree(target.overrides_root),
        "version": current_version(target.install_root),
    }


Snapshot = Callable[[Target], dict[str, object]]
