"""CSV / JSON import of children and doses, streamed and committed in chunks.

The whole file is checked first (:mod:`epimanager.services.import_file`: encoding, quotes, field
sizes); a file that fails is refused and nothing is written. Then the rows are read one chunk of
:data:`CHUNK_ROWS` at a time: every row is checked (:mod:`~epimanager.services.import_children`,
:mod:`~epimanager.services.import_doses`), an invalid row is listed with its file line and reason
and not imported, and each chunk's valid rows are written in one transaction, which also records
how far the import got (:mod:`~epimanager.services.import_journal`). So another desk waits at most
one chunk to save a dose, memory stays flat however long the file, and an import stopped part-way
(killed, cancelled, or a busy database) is finished by running it again: the committed lines are
skipped and the report says so. ``dry_run`` runs every check of a real run (the same errors) and
writes nothing.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any, Protocol

from sqlalchemy.orm import Session

from epimanager.errors import EpiError, ValidationError
from epimanager.services import import_journal
from epimanager.services.import_file import ImportFile, columns, inspect, records
from epimanager.store.database import Database

log = logging.getLogger(__name__)

#: Rows per transaction: another writer waits at most this long (~0.1–0.3 s) for the lock.
CHUNK_ROWS = 500
#: Errors kept in a report (all are counted): a file of a million bad rows stays a small report.
MAX_LISTED_ERRORS = 10_000

#: ``progress(rows_done, rows_total)`` after each chunk.
ProgressFn = Callable[[int, int], None]
#: Asked at each chunk boundary; True stops the import there (committed chunks stay, a re-run resumes).
StopFn = Callable[[], bool]
Rows = list[tuple[int, dict[str, str]]]


@dataclass(frozen=True)
class RowError:
    line: int
    reason: str


@dataclass(frozen=True)
class ImportReport:
    kind: str
    total: int
    imported: int
    errors: tuple[RowError, ...] = field(default_factory=tuple)
    dry_run: bool = False
    #: rows imported although the schedule engine counts the dose as invalid (confirmed by the caller)
    confirmed_invalid: tuple[RowError, ...] = field(default_factory=tuple)
    #: rows imported although the child already had the dose (confirmed as corrections/补录)
    confirmed_duplicate: tuple[RowError, ...] = field(default_factory=tuple)
    #: every bad row (``errors`` lists at most :data:`MAX_LISTED_ERRORS` of them); -1 = len(errors)
    error_count: int = -1
    #: rows already imported by an earlier run of the same file that stopped part-way (skipped now)
    skipped: int = 0
    #: the last line of that earlier run, and when it committed it
    resumed_after: int = 0
    resumed_at: str | None = None
    #: stopped at a chunk boundary by the caller; running the same import again finishes it
    cancelled: bool = False

    @property
    def bad_rows(self) -> int:
        return len(self.errors) if self.error_count < 0 else self.error_count

    def summary(self) -> str:
        what = "儿童" if self.kind == "children" else "接种记录"
        verb = "可导入" if self.dry_run else "已导入"
        s = f"共 {self.total} 行：{verb}{what} {self.imported} 条，错误 {self.bad_rows} 行"
        if self.bad_rows > len(self.errors):
            s += f"（只列出前 {len(self.errors)} 行）"
        if self.confirmed_invalid:
            s += f"，其中无效剂次 {len(self.confirmed_invalid)} 条（已确认）"
        if self.confirmed_duplicate:
            s += f"，重复剂次 {len(self.confirmed_duplicate)} 条（已确认为更正/补录）"
        if self.skipped:
            s += (
                f"；第 {self.resumed_after} 行及以前的 {self.skipped} 行已在上次未完成的导入"
                f"（{self.resumed_at}）中处理，本次跳过"
            )
        if self.cancelled:
            s += "；导入已取消（已导入的部分保留，再次导入同一文件会从中断处继续）"
        if self.dry_run:
            s += "（试运行，未写入数据库）"
        return s


class ChunkWork(Protocol):
    """One kind of import: checks a chunk of rows and writes the valid ones."""

    kind: str
    required: tuple[str, ...]

    def check(self, s: Session, rows: Rows, errors: list[RowError], *, dry_run: bool) -> list[Any]:
        """Check the rows (reading the database through ``s``); returns the valid ones for :meth:`write`.

        In a dry run ``s`` is rolled back after each chunk."""

    def write(self, s: Session, checked: list[Any]) -> int:
        """Write the checked rows in ``s``'s transaction; returns how many."""

    def confirmed(self) -> list[RowError]:
        """Rows imported with a confirmed warning (invalid doses)."""

    def audit(self, s: Session, count: int, first: int, last: int) -> None:
        """One audit entry for a written chunk."""


def _chunks(rows: Iterable[tuple[int, dict[str, str]]], size: int) -> Iterator[Rows]:
    it = iter(rows)
    while chunk := list(islice(it, size)):
        yield chunk


def run_import(
    db: Database,
    path: Path,
    work: ChunkWork,
    *,
    dry_run: bool,
    progress: ProgressFn | None,
    should_stop: StopFn | None,
) -> ImportReport:
    f = inspect(path, work.required)
    prior = import_journal.load(db, work.kind, f.sha256)
    if prior is not None and prior.done:
        raise ValidationError(
            f"文件 {Path(path).name} 已于 {prior.at} 导入过（{prior.imported} 条），再导入会重复建档，未导入"
        )
    skip_through = prior.line if prior else 0
    imported = prior.imported if prior else 0
    errors: list[RowError] = []
    error_count = new_rows = skipped = done = 0
    cancelled = False
    last_line = skip_through
    for chunk in _chunks(records(f), CHUNK_ROWS):
        fresh = [(line, row) for line, row in chunk if line > skip_through]
        skipped += len(chunk) - len(fresh)
        done += len(chunk)
        if fresh:
            if should_stop is not None and should_stop():
                cancelled = True
                break
            chunk_errors: list[RowError] = []
            n = _one_chunk(db, f, work, fresh, chunk_errors, dry_run=dry_run, imported=imported + new_rows)
            new_rows += n
            last_line = fresh[-1][0]
            error_count += len(chunk_errors)
            errors.extend(chunk_errors[: max(0, MAX_LISTED_ERRORS - len(errors))])
        if progress is not None:
            progress(done, f.rows)
    if not dry_run and not cancelled and new_rows + imported > 0:
        with db.transaction() as s:
            import_journal.save(s, work.kind, f.sha256, last_line, imported + new_rows, done=True)
    log.info(
        "import %s: %d rows, %d imported, %d rejected, %d skipped%s",
        work.kind,
        f.rows,
        new_rows,
        error_count,
        skipped,
        " (dry run)" if dry_run else "",
    )
    errors.sort(key=lambda e: e.line)
    return ImportReport(
        work.kind,
        f.rows,
        new_rows,
        tuple(errors),
        dry_run,
        confirmed_invalid=tuple(work.confirmed()),
        confirmed_duplicate=tuple(getattr(work, "confirmed_duplicates", list)()),
        error_count=error_count,
        skipped=skipped,
        resumed_after=skip_through,
        resumed_at=prior.at if prior else None,
        cancelled=cancelled,
    )


def _one_chunk(
    db: Database, f: ImportFile, work: ChunkWork, rows: Rows, errors: list[RowError], *, dry_run: bool, imported: int
) -> int:
    if dry_run:  # the same checks in a session that is rolled back
        with db.session() as s:
            return len(work.check(s, rows, errors, dry_run=True))
    try:
        with db.transaction() as s:
            checked = work.check(s, rows, errors, dry_run=False)
            n = work.write(s, checked) if checked else 0
            if n or imported:  # a file with nothing imported yet has nothing to resume
                import_journal.save(s, work.kind, f.sha256, rows[-1][0], imported + n, done=False)
            if n:
                work.audit(s, n, rows[0][0], rows[-1][0])
            return n
    except EpiError as exc:
        if imported == 0:
            raise
        raise type(exc)(
            f"{exc.message}。第 {rows[0][0]} 行起未导入；前面已导入的 {imported} 条保留，"
            "稍后再次导入同一文件会从这里继续"
        ) from exc


def import_kind(path: Path) -> str:
    """ "children" or "doses", by the file's header (the GUI offers one 导入… for both)."""
    from epimanager.services.children import CHILD_COLUMNS
    from epimanager.services.import_rows import DOSE_COLUMNS

    present = columns(path)
    if all(c in present for c in DOSE_COLUMNS):
        return "doses"
    if all(c in present for c in CHILD_COLUMNS):
        return "children"
    raise ValidationError(
        f"文件 {Path(path).name} 的表头既不是儿童（{','.join(CHILD_COLUMNS)}）"
        f"也不是接种记录（{','.join(DOSE_COLUMNS)}）的列，未导入"
    )


def import_file(
    db: Database, path: Path, *, progress: ProgressFn | None = None, should_stop: StopFn | None = None
) -> ImportReport:
    """Import children or doses, whichever the file holds (:func:`import_kind`)."""
    if import_kind(path) == "doses":
        return import_doses(db, path, progress=progress, should_stop=should_stop)
    return import_children(db, path, progress=progress, should_stop=should_stop)


def import_children(
    db: Database,
    path: Path,
    *,
    dry_run: bool = False,
    user: str | None = None,
    today: date | None = None,
    progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> ImportReport:
    """Import children (columns: README); bad rows are listed by line and skipped."""
    from epimanager.services.import_children import ChildChunks

    with ChildChunks(db, Path(path), user=user, today=today or date.today()) as work:
        return run_import(db, path, work, dry_run=dry_run, progress=progress, should_stop=should_stop)


def import_doses(
    db: Database,
    path: Path,
    *,
    dry_run: bool = False,
    user: str | None = None,
    today: date | None = None,
    progress: ProgressFn | None = None,
    confirm_invalid: bool = False,
    confirm_duplicate: bool = False,
    should_stop: StopFn | None = None,
) -> ImportReport:
    """Import doses; every bad row is listed with its line and skipped.

    A dose the schedule engine counts as invalid (with the child's other doses, stored and
    imported) is a bad row with the engine's reason unless ``confirm_invalid``; then it is imported
    and listed in ``confirmed_invalid`` — the same rule as :func:`epimanager.services.doses.add_dose`.
    A dose the child already has (stored, or on an earlier line of the file) is a bad row unless
    ``confirm_duplicate`` (then listed in ``confirmed_duplicate``): the service's rule
    (:func:`~epimanager.services.dose_duplicates.find_clash`), checked inside the write transaction.
    """
    from epimanager.services.import_doses import DoseChunks

    with DoseChunks(
        db,
        Path(path),
        user=user,
        today=today or date.today(),
        confirm_invalid=confirm_invalid,
        confirm_duplicate=confirm_duplicate,
    ) as work:
        return run_import(db, path, work, dry_run=dry_run, progress=progress, should_stop=should_stop)
