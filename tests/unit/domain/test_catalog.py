import json
from pathlib import Path

import pytest

from epimanager.domain.catalog import Catalog
from epimanager.resources import catalog, resource_path


def test_abbreviations_names_and_codes_resolve_to_the_national_code() -> None:
    c = catalog()
    assert c.resolve("HepB").code == "0201"
    assert c.resolve("hepb").code == "0201"
    assert c.resolve("乙肝").code == "0201"
    assert c.resolve("0401").abbr == "DTaP"
    assert c.resolve("MMR").live_injectable
    assert not c.resolve("bOPV").live_injectable  # oral live vaccine


def test_unknown_vaccine_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="未知疫苗"):
        catalog().resolve("XYZ")


def test_vaccines_sort_by_class_in_the_catalog_order() -> None:
    order = [v.abbr for v in catalog().sorted()]
    assert order.index("HepB") < order.index("BCG") < order.index("IPV") < order.index("DTaP")


def test_combination_vaccine_counts_for_each_antigen() -> None:
    penta = catalog().resolve("五联")
    assert penta.combination
    assert set(penta.counts_for) == {"DTaP", "Polio"}


def test_every_vaccine_code_is_four_digits_and_class_known() -> None:
    data = json.loads(Path(resource_path("vaccines.json")).read_text(encoding="utf-8"))
    classes = {c["code"] for c in data["classes"]}
    for v in data["vaccines"]:
        assert len(v["code"]) == 4 and v["code"].isdigit()
        assert v["class"] in classes
        assert v["code"].startswith(v["class"])


def test_duplicate_abbreviation_in_data_is_refused() -> None:
    data = {
        "classes": [{"code": "02", "name": "乙肝", "order": 1}],
        "vaccines": [
            {"code": "0201", "abbr": "HepB", "name": "a", "class": "02", "nip": True, "live": False},
            {"code": "0202", "abbr": "HepB", "name": "b", "class": "02", "nip": True, "live": False},
        ],
    }
    with pytest.raises(ValueError, match="重复"):
        Catalog.from_dict(data)
