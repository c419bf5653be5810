"""The schedule format's catch-up keys are checked when the data is compiled (Chinese errors)."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from epimanager.domain.schedule import ScheduleDataError, compile_versions
from epimanager.resources import catalog
from epimanager.services.forecast import load_schedule_data


def _base() -> dict[str, Any]:
    raw = next(r for r in load_schedule_data() if r["id"] == "CN-NIP-2021")
    return copy.deepcopy(raw)


def _series(raw: dict[str, Any], sid: str) -> dict[str, Any]:
    return next(s for s in raw["series"] if s["id"] == sid)


def test_bundled_schedules_compile_with_the_new_keys() -> None:
    versions = compile_versions(load_schedule_data(), catalog())
    polio = versions[-1].by_id["Polio"]
    assert [(n.product, n.count, n.early, sorted(n.waived_by)) for n in polio.needs] == [("0303", 1, True, ["0301"])]
    assert [t for _c, t in versions[-1].by_id["HepB"].track_when] == ["HepB-LBW", "HepB-HBsAg"]
    assert versions[0].ig_wait["1201"].months == 3 and versions[0].ig_wait["1802"].months == 1
    assert "0101" not in versions[0].ig_wait and "0311" not in versions[0].ig_wait


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda r: _series(r, "HepB")["track_when"].append({"when": {}, "track": "nope"}), "track_when"),
        (
            lambda r: _series(r, "HepB")["track_when"].append({"when": {"mother_hbsag": ["maybe"]}, "track": "HepB"}),
            "mother_hbsag",
        ),
        (lambda r: _series(r, "HepB")["track_when"].append({"when": {"colour": 1}, "track": "HepB"}), "colour"),
        (lambda r: _series(r, "Polio")["needs"][0].update({"products": ["1201"]}), "needs"),
        (lambda r: _series(r, "Polio")["needs"][0].update({"soon": True}), "soon"),
        (lambda r: _series(r, "Polio")["history_products"][0].update({"product": "ZZZ"}), "未知疫苗"),
        (lambda r: r["settings"]["immunoglobulin_wait"].update({"products": {"1201": "3x"}}), "格式不正确"),
        (lambda r: _series(r, "BCG")["tracks"][0]["doses"][0]["advice"].append({"from_age": "3m"}), "text"),
        (
            lambda r: _series(r, "MenA")["tracks"][1]["doses"][2].update(
                {"skip_if_dose_at_age": {"dose": 3, "age": "6m"}}
            ),
            "skip_if_dose_at_age",
        ),
    ],
)
def test_bad_catch_up_keys_are_refused(change: Any, message: str) -> None:
    raw = _base()
    change(raw)
    with pytest.raises(ScheduleDataError, match=message):
        compile_versions([raw], catalog())
