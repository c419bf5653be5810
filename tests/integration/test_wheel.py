"""The package as a clinic PC would get it: a built wheel, installed into a fresh virtual environment.

Builds the wheel with the project's own build backend, installs it (without the source tree
anywhere on the path) into a new venv and runs the CLI and the GUI from there: the wheel must
carry the schedules, the vaccine catalog, the unit-code lists, the translations and the
migrations. The third-party dependencies come from the test environment's site-packages
(added as a plain path entry, so its editable install of this project is *not* active) — what
is under test is this package, not PyPI.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow

GUI_SMOKE = r"""
import sys
from pathlib import Path
from PySide6.QtWidgets import QApplication
app = QApplication(sys.argv[:1])
import epimanager
from epimanager import settings
from epimanager.store.database import open_database
from epimanager.ui import i18n
from epimanager.ui.fonts import apply_cjk_font
from epimanager.ui.main_window import MainWindow
apply_cjk_font(app)
assert i18n.install(app, settings.Language.EN)  # the English catalog is in the wheel
db = open_database(Path(sys.argv[1]))
w = MainWindow(db, settings.load())
w.show()
app.processEvents()
print(epimanager.__file__)
print(w.windowTitle())
w.close()
db.close()
"""


def test_the_wheel_installs_and_runs_from_a_fresh_environment(tmp_path: Path) -> None:
    dist = tmp_path / "dist"
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--no-isolation", "--skip-dependency-check", "--outdir", str(dist)],
        cwd=REPO,
        check=True,
        capture_output=True,
        timeout=300,
    )
    (wheel,) = dist.glob("epimanager-*.whl")
    names = set(zipfile.ZipFile(wheel).namelist())
    for needed in (
        "epimanager/resources/vaccines.json",
        "epimanager/resources/schedules/cn-nip-2026.json",
        "epimanager/resources/unit_codes/2026.csv",
        "epimanager/resources/i18n/epimanager_en.qm",
        "epimanager/store/migrations/env.py",
        "epimanager/store/migrations/versions/0001_initial.py",
    ):
        assert needed in names, needed

    venv = tmp_path / "fresh"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    fresh_py = venv / "bin" / "python"
    site = subprocess.run(
        [str(fresh_py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(site) / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n", encoding="utf-8")
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "-q", "--no-deps", "--no-index", "--target", site, str(wheel)],
        check=True,
        timeout=300,
    )
    work = tmp_path / "clinic"
    work.mkdir()
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "EPIMANAGER_RESOURCES")} | {
        "PYTHONIOENCODING": "utf-8",
        "QT_QPA_PLATFORM": "offscreen",
        "EPIMANAGER_DATA_DIR": str(work / "data"),
    }

    def run(*args: str) -> str:
        done = subprocess.run(
            [str(fresh_py), "-m", "epimanager", "--db", str(work / "c.sqlite"), *args],
            check=False,
            cwd=work,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return done.stdout

    run("init", "--unit", "3201020101", "--unit-name", "测试接种门诊", "--committee", "东风村")
    made = json.loads(
        run(
            "child",
            "add",
            "--name",
            "徐琳瑶",
            "--sex",
            "女",
            "--birth-date",
            "2026-03-01",
            "--mother",
            "王芳",
            "--json",
        )
    )
    found = json.loads(run("search", "xly", "--json"))
    assert [r["name"] for r in found] == ["徐琳瑶"]
    case = work / "case.json"
    case.write_text(json.dumps({"birth_date": "2026-03-01", "as_of": "2026-05-01", "doses": []}), encoding="utf-8")
    forecast = json.loads(run("forecast", "--case", str(case), "--json"))
    hepb = next(s for s in forecast["series"] if s["series"] == "HepB")
    assert hepb["next_dose"] == 1  # nothing given: the birth dose is still the one due
    assert made["code"].startswith("3201020101" + "2026")

    gui = subprocess.run(
        [str(fresh_py), "-c", GUI_SMOKE, str(work / "c.sqlite")],
        check=False,
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert gui.returncode == 0, gui.stderr
    module_file, title = gui.stdout.strip().splitlines()[-2:]
    assert module_file.startswith(site)  # the installed wheel, not the source tree
    assert "EpiManager" in title
