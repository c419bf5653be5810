"""The program loads pypinyin without its phrase dictionary (epimanager/__init__.py: 45 MB less in
every process that builds search keys, the importer among them).  It reads single characters only,
so every character must read exactly as with the full dictionaries — checked here against a fresh
interpreter that loads them, for every character of the basic CJK block and extension A."""

from __future__ import annotations

import json
import os
import subprocess
import sys

_READ_ALL = """
import json, sys
from pypinyin import Style, pinyin
out = {}
for cp in [*range(0x3400, 0x4DC0), *range(0x4E00, 0xA000)]:
    r = pinyin(chr(cp), style=Style.NORMAL, heteronym=True, errors="ignore")
    if r:
        out[chr(cp)] = r[0]
sys.stdout.write(json.dumps(out, ensure_ascii=False))
"""


def _readings(**env: str) -> dict[str, list[str]]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("PYPINYIN_")}
    done = subprocess.run(
        [sys.executable, "-c", _READ_ALL],
        check=False,
        env={**clean, **env},
        capture_output=True,
        text=True,
        encoding="utf-8",
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)  # type: ignore[no-any-return]


def test_every_character_reads_the_same_without_the_phrase_dictionary() -> None:
    import epimanager  # noqa: F401  (sets the variables, as every entry point does)

    assert os.environ["PYPINYIN_NO_PHRASES"] == "1" and os.environ["PYPINYIN_NO_DICT_COPY"] == "1"
    full = _readings()
    light = _readings(PYPINYIN_NO_PHRASES="1", PYPINYIN_NO_DICT_COPY="1")
    assert len(full) > 26_000  # the basic block and extension A: every character pypinyin knows there
    assert light == full
    assert {"dan", "shan", "chan"} <= set(full["单"]) and "zhang" in full["长"]  # polyphonic: every reading
