"""The log mask (issue #16 item 14): personal data in any form never reaches the log file."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from epimanager.logs import mask, setup_logging, shutdown_logging


def test_latin_and_pinyin_names_landlines_old_ids_addresses_and_birth_dates_are_masked() -> None:
    assert (
        mask("child Zhang Wei, mother Anna Müller, father Ouyang Nana") == "child [NAME], mother [NAME], father [NAME]"
    )
    assert mask("guardian zhangsan wrote Zhangwei and Sima Qian") == "guardian zhangsan wrote [NAME] and [NAME]"
    assert mask("tel 025-84561234, 0510 85123456, +86 13912345678") == "tel [PHONE], [PHONE], [PHONE]"
    assert mask("old id 320102250301123 and 110105491231002") == "old id [ID] and [ID]"
    assert mask("born 2025-03-01 or 2025/3/1 or 2025.03.01") == "born [DATE] or [DATE] or [DATE]"
    assert mask("lives at 12 Xinjiekou Road, No. 5 Hanzhong Lu") == "lives at [ADDRESS], [ADDRESS]"
    assert mask("家住玄武区某路1号") == "＊1＊"


def test_what_support_needs_stays_readable() -> None:
    for line in (
        "login failed: admin (wrong password, 2 in a row)",
        "child created: 320102010120250001",
        "import children: 200000 rows, 199990 imported, 10 rejected, 0 skipped",
        "backup written: 3201020101-20261206-194000.epibak.gz (123 bytes, encrypted=False)",
        'Traceback (most recent call last):\n  File "/app/epimanager/x.py", line 3, in <module>',
        "report 6-1 for 2026-11 stored",
    ):
        assert mask(line) == line


def test_a_log_file_on_a_full_disk_is_skipped_without_a_traceback(
    tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    from tests.helpers.full_disk import fill, small_disk

    with small_disk(tmp_path / "disk", 256) as disk:
        setup_logging(disk)
        try:
            fill(disk)
            logging.getLogger("epimanager.test").warning("x" * 10000)
        finally:
            shutdown_logging()
    assert "Logging error" not in capfd.readouterr().err
