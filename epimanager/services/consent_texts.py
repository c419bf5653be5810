"""The 告知书 texts: one JSON file per text in ``resources/consent/`` (format: its ``README.md``).

An upgrade package replaces or adds files there (``data/consent/<key>.json``), file by file, like
every reference file (:mod:`epimanager.resources`): the update folder's file wins over the bundled
one of the same name.  :func:`text_for` gives a product's text — the file that names it under
``vaccines``, else the generic text ``_generic.json`` with the vaccine's name filled in.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from epimanager.domain.consent import ConsentError, ConsentText, parse_text
from epimanager.errors import EpiError, ValidationError
from epimanager.resources import catalog, resource_dirs

FOLDER = "consent"
GENERIC_KEY = "_generic"


def read_text_file(path: Path) -> ConsentText:
    """One 告知书 file; :class:`EpiError` (Chinese) when it cannot be used."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return parse_text(path.stem, data)
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EpiError(f"告知书 {path.name} 不是有效的 UTF-8 JSON（{exc}）") from None
    except ConsentError as exc:
        raise EpiError(str(exc)) from None


def check_texts(folders: list[Path]) -> dict[str, ConsentText]:
    """Every text of ``folders`` (first folder wins per file name), each product named once and
    known to the catalog, the generic text present; :class:`EpiError` otherwise."""
    files: dict[str, Path] = {}
    for folder in reversed(folders):
        sub = folder / FOLDER
        if sub.is_dir():
            files.update({p.name: p for p in sub.glob("*.json")})
    texts = {Path(name).stem: read_text_file(path) for name, path in sorted(files.items())}
    generic = texts.get(GENERIC_KEY)
    if generic is None or not generic.generic:
        raise EpiError(f'缺少通用告知书 {FOLDER}/{GENERIC_KEY}.json（其中应写 "generic": true）')
    cat = catalog()
    seen: dict[str, str] = {}
    for key, text in texts.items():
        for name in text.vaccines:
            try:
                code = cat.resolve(name).code
            except (KeyError, ValueError):
                raise EpiError(f"告知书 {key} 中的疫苗“{name}”不在疫苗目录中") from None
            if code in seen and seen[code] != key:
                raise EpiError(f"疫苗“{name}”同时出现在告知书 {seen[code]} 和 {key} 中")
            seen[code] = key
    return texts


@lru_cache(maxsize=4)
def _texts(folders: tuple[Path, ...]) -> tuple[dict[str, ConsentText], dict[str, str]]:
    texts = check_texts(list(folders))
    cat = catalog()
    by_code = {cat.resolve(name).code: key for key, t in texts.items() for name in t.vaccines}
    return texts, by_code


def text_for(vaccine: str) -> ConsentText:
    """The current 告知书 of a product (code, abbreviation or name)."""
    try:
        vac = catalog().resolve(vaccine)
    except (KeyError, ValueError):
        raise ValidationError(f"未知疫苗“{vaccine}”") from None
    texts, by_code = _texts(tuple(resource_dirs()))
    key = by_code.get(vac.code)
    return texts[key] if key is not None else texts[GENERIC_KEY].for_vaccine(vac.name)
