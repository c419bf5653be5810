"""Typed preferences: defaults, round trip, only key differences stored, migration, a broken file."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from epimanager import settings as prefs
from epimanager.settings import Language, PlaceDisplay, Settings


def test_defaults_without_a_file(tmp_path: Path) -> None:
    s = prefs.load(tmp_path / "none.json")
    assert s == Settings()
    # no 接种护士 preference: new doses name the logged-in user (#21 item 7)
    assert s.show_shortcut_hints and s.nurse == "" and s.language is Language.ZH_CN
    assert s.panel_fields[:2] == ("code", "name")


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    s = Settings(
        show_shortcut_hints=False,
        panel_fields=("phone", "name"),
        grid_fields=("status",),
        place_display=PlaceDisplay.CODE,
        language=Language.EN,
        nurse="李护士",
    )
    prefs.save(s, path)
    assert prefs.load(path) == s
    assert "李护士" in path.read_text(encoding="utf-8")  # readable, not \\u-escaped


def test_only_key_differences_are_stored() -> None:
    s = Settings().with_shortcut("quick_search", "F11", "F3")
    assert s.shortcuts == {"quick_search": "F11"}
    s = s.with_shortcut("quick_search", "F3", "F3")
    assert s.shortcuts == {}
    assert Settings().with_shortcut("save", "", "Ctrl+S").shortcuts == {"save": ""}


def test_env_override_chooses_the_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(prefs.ENV_FILE, str(tmp_path / "x.json"))
    assert prefs.settings_path() == tmp_path / "x.json"
    monkeypatch.delenv(prefs.ENV_FILE)
    monkeypatch.setenv("EPIMANAGER_DATA_DIR", str(tmp_path / "data"))
    assert prefs.settings_path() == tmp_path / "data" / "settings.json"


def test_version_1_file_is_migrated(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"place_display": "编码", "hints": False}), encoding="utf-8")
    s = prefs.load(path)
    assert s.place_display is PlaceDisplay.CODE and s.show_shortcut_hints is False
    assert s.schema_version == prefs.SCHEMA_VERSION


def test_version_2_placeholder_nurse_becomes_the_logged_in_user(tmp_path: Path) -> None:
    """v2 wrote its placeholder 护士 as the nurse; v3 reads "" (the logged-in user's real name) for it,
    and keeps a nurse the clinic chose."""
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"schema_version": 2, "nurse": "护士"}), encoding="utf-8")
    assert prefs.load(path).nurse == ""
    path.write_text(json.dumps({"schema_version": 2, "nurse": "王海生"}), encoding="utf-8")
    assert prefs.load(path).nurse == "王海生"


def test_unknown_and_bad_values_fall_back(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    data = {
        "schema_version": 2,
        "panel_fields": ["name", "nonsense", "name", "phone"],
        "grid_fields": "status",
        "place_display": "somewhere",
        "language": "fr",
        "nurse": "  ",
        "show_shortcut_hints": "yes",
        "extra": 1,
    }
    path.write_text(json.dumps(data), encoding="utf-8")
    s = prefs.load(path)
    assert s.panel_fields == ("name", "phone")
    assert s.grid_fields == Settings().grid_fields
    assert s.place_display is PlaceDisplay.NAME and s.language is Language.ZH_CN
    assert s.nurse == "" and s.show_shortcut_hints is True


def test_a_broken_file_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text("{not json", encoding="utf-8")
    assert prefs.load(path) == Settings()
    assert not path.exists() and (tmp_path / "s.json.bad").exists()


def test_a_file_from_a_newer_version_is_set_aside(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"schema_version": 99}), encoding="utf-8")
    assert prefs.load(path) == Settings()
    assert (tmp_path / "s.json.bad").exists()


def test_idle_lock_minutes_is_kept_and_bad_values_fall_back() -> None:
    from epimanager.settings import Settings, from_json

    assert Settings().idle_lock_minutes == 10
    assert from_json({"schema_version": 2, "idle_lock_minutes": 0}).idle_lock_minutes == 0
    assert from_json({"schema_version": 2, "idle_lock_minutes": 30}).idle_lock_minutes == 30
    for bad in (-1, "5", True, 99999):
        assert from_json({"schema_version": 2, "idle_lock_minutes": bad}).idle_lock_minutes == 10


# -- issue #16, 5: a garbage file never stops the client ------------------------------------------

GARBAGE: dict[str, bytes] = {
    "not-utf8": b'{"nurse": "\xff\xfe\xb0\xa1"}',
    "gb18030": '{"nurse": "李护士"}'.encode("gb18030"),
    "version-0": b'{"schema_version": 0}',
    "version-null": b'{"schema_version": null}',
    "version-negative": b'{"schema_version": -3}',
    "version-list": b'{"schema_version": [2]}',
    "version-text": b'{"schema_version": "2"}',
    "version-true": b'{"schema_version": true}',
    "deep-nesting": b"[" * 100_000 + b"]" * 100_000,
    "deep-object": b'{"shortcuts": ' + b'{"a": ' * 50_000 + b"1" + b"}" * 50_001,
    "empty": b"",
}


@pytest.mark.parametrize("name", list(GARBAGE))
def test_a_garbage_file_is_moved_aside_and_defaults_used(tmp_path: Path, name: str) -> None:
    path = tmp_path / "settings.json"
    path.write_bytes(GARBAGE[name])
    assert prefs.load(path) == Settings()
    assert not path.exists()
    assert (tmp_path / "settings.json.bad").read_bytes() == GARBAGE[name]  # kept for whoever looks
    # and the next start is clean: the defaults can be saved and read back
    prefs.save(Settings(nurse="王护士"), path)
    assert prefs.load(path).nurse == "王护士"


def test_a_directory_in_place_of_the_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    (path / "inner").mkdir(parents=True)
    (path / "inner" / "x.txt").write_text("x", encoding="utf-8")
    assert prefs.load(path) == Settings()
    assert (tmp_path / "settings.json.bad" / "inner" / "x.txt").exists()
    prefs.save(Settings(), path)
    assert path.is_file()


def test_an_earlier_bad_file_is_not_overwritten(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    (tmp_path / "settings.json.bad").mkdir()  # even a directory of that name
    path.write_bytes(b'{"schema_version": null}')
    assert prefs.load(path) == Settings()
    assert (tmp_path / "settings.json.bad").is_dir()
    assert (tmp_path / "settings.json.bad.2").read_bytes() == b'{"schema_version": null}'


def test_the_desk_is_remembered_and_a_bad_value_means_no_desk(tmp_path: Path) -> None:
    assert Settings().desk == ""
    path = prefs.save(dataclasses.replace(Settings(), desk="2号接种台"), tmp_path / "settings.json")
    assert prefs.load(path).desk == "2号接种台"
    assert prefs.from_json({"schema_version": 3, "desk": 7}).desk == ""
    assert prefs.from_json({"schema_version": 3, "desk": " 综合 "}).desk == "综合"


def test_calling_speech_is_on_by_default_kept_and_a_bad_value_falls_back() -> None:
    from epimanager.settings import Settings, from_json

    assert Settings().calling_speech is True
    assert from_json({"schema_version": 3, "calling_speech": False}).calling_speech is False
    for bad in ("no", 0, None, [False]):
        assert from_json({"schema_version": 3, "calling_speech": bad}).calling_speech is True
    assert from_json(Settings(calling_speech=False).to_json()).calling_speech is False
