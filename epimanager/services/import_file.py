"""An import file, checked whole before anything is written, then read one record at a time.

:func:`inspect` reads the file twice without keeping it: the bytes (the SHA-256 that names the
file for a resumed import, and the encoding: UTF-8 with or without BOM, else GB18030 as Excel
saves "CSV (逗号分隔)" on Chinese Windows — a file that is neither, such as a Latin-1 one, is
refused), then the CSV structure (the header, a field spanning lines because of an unbalanced
quote, a field over :data:`FIELD_LIMIT`, NUL bytes). Any of those refuses the whole file naming
the line, before a row is imported. :func:`records` then streams ``(line, row)`` pairs, the line
being where the record starts in the file. JSON lists are small by nature and read whole.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import json
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from epimanager.errors import EpiError, ValidationError

#: The largest CSV field read at all (Python's default of 128 KiB crashed the import); a longer
#: one refuses the file naming its line.
FIELD_LIMIT = 1 << 20
#: The longest field a row may carry; longer ones make the row an error (and never enter a message).
MAX_FIELD_CHARS = 1000
_READ = 1 << 20
_SAVE_AS = "请在 Excel 中“另存为”“CSV UTF-8（逗号分隔）(*.csv)”后再导入"

csv.field_size_limit(FIELD_LIMIT)


@dataclass(frozen=True)
class ImportFile:
    path: Path
    #: "utf-8-sig", "gb18030" or "json"
    encoding: str
    sha256: str
    #: data records (blank lines not counted)
    rows: int
    header: tuple[str, ...]
    json_rows: tuple[dict[str, str], ...] = field(default=(), repr=False)


def inspect(path: Path, required: Iterable[str]) -> ImportFile:
    """Check the whole file; raises :class:`EpiError` naming the problem (and its line) if it cannot be imported."""
    path = Path(path)
    try:
        digest, encoding = _bytes_pass(path)
        if path.suffix.lower() == ".json":
            rows = _json_rows(path)
            header = tuple(sorted(set().union(*(r.keys() for r in rows)))) if rows else ()
            _check_columns(set(header), required)
            return ImportFile(path, "json", digest, len(rows), header, tuple(rows))
        header, count = _structure_pass(path, encoding)
    except OSError as exc:
        raise EpiError(f"无法读取文件 {path.name}：{exc.strerror}") from None
    _check_columns(set(header), required)
    return ImportFile(path, encoding, digest, count, header)


def columns(path: Path) -> set[str]:
    """The column names of a file's header (the first object's keys for JSON), read cheaply."""
    path = Path(path)
    try:
        if path.suffix.lower() == ".json":
            rows = _json_rows(path)
            return set(rows[0]) if rows else set()
        with path.open("rb") as fh:
            head = fh.read(64 * 1024)
    except OSError as exc:
        raise EpiError(f"无法读取文件 {path.name}：{exc.strerror}") from None
    first = head.split(b"\n", 1)[0]
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return {c.strip() for c in next(csv.reader([first.decode(encoding)]), [])}
        except UnicodeDecodeError:
            continue
    return set()


def records(f: ImportFile, skip_through: int = 0) -> Iterator[tuple[int, dict[str, str]]]:
    """``(line, row)`` for every non-blank record after line ``skip_through``, streamed."""
    if f.encoding == "json":
        for i, r in enumerate(f.json_rows, start=1):
            if i > skip_through:
                yield i, r
        return
    for line, values in _csv_records(f.path, f.encoding):
        if line == 1 or line <= skip_through or not any(v.strip() for v in values):
            continue
        row = {h: (values[i].strip() if i < len(values) else "") for i, h in enumerate(f.header)}
        long = [h for h, v in row.items() if len(v) > MAX_FIELD_CHARS]
        if long:
            row = {"__too_long__": "、".join(long)}
        elif len(values) > len(f.header):
            row["__extra__"] = "x"
        yield line, row


def _bytes_pass(path: Path) -> tuple[str, str]:
    """The file's SHA-256 and encoding ("utf-8-sig" or "gb18030")."""
    digest = hashlib.sha256()
    utf8 = codecs.getincrementaldecoder("utf-8-sig")()
    utf8_ok = True
    with path.open("rb") as fh:
        while chunk := fh.read(_READ):
            digest.update(chunk)
            if utf8_ok:
                try:
                    utf8.decode(chunk)
                except UnicodeDecodeError:
                    utf8_ok = False
    if utf8_ok:
        try:
            utf8.decode(b"", final=True)
            return digest.hexdigest(), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    _check_gb18030(path)
    return digest.hexdigest(), "gb18030"


def _check_gb18030(path: Path) -> None:
    """Refuse a file that is not GB18030 text either.

    GB18030 accepts almost any bytes: a Latin-1 file ("Müller") decodes to rare characters outside
    GB2312, while real Chinese text has few of them (a rare character in a name here and there).
    """
    gb = codecs.getincrementaldecoder("gb18030")()
    non_ascii = rare = 0
    with path.open("rb") as fh:
        try:
            while chunk := fh.read(_READ):
                for ch in gb.decode(chunk):
                    if ch.isascii():
                        continue
                    non_ascii += 1
                    try:
                        ch.encode("gb2312")
                    except UnicodeEncodeError:
                        rare += 1
            gb.decode(b"", final=True)
        except UnicodeDecodeError:
            raise ValidationError(
                f"文件 {path.name} 既不是 UTF-8 也不是 GB18030/GBK 编码，无法导入；{_SAVE_AS}"
            ) from None
    if non_ascii and rare * 2 > non_ascii:
        raise ValidationError(
            f"文件 {path.name} 不是 UTF-8，按 GB18030 读出来是乱码（可能是 Latin-1 等西文编码），未导入；{_SAVE_AS}"
        )


def _json_rows(path: Path) -> list[dict[str, str]]:
    try:
        data = json.loads(path.read_bytes().decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise EpiError(f"JSON 文件格式错误：{exc}") from None
    if not isinstance(data, list) or not all(isinstance(r, dict) for r in data):
        raise EpiError("JSON 文件应为对象列表")
    return [{k: "" if v is None else str(v) for k, v in r.items()} for r in data]


def _csv_records(path: Path, encoding: str) -> Iterator[tuple[int, list[str]]]:
    """``(start line, values)`` of each CSV record; a structural problem raises naming the line."""
    with path.open(encoding=encoding, newline="") as fh:
        reader = csv.reader(fh)
        end = 0
        while True:
            start = end + 1
            try:
                values = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise _structure_error(path, reader.line_num or start, str(exc)) from None
            end = reader.line_num
            if end > start and any("\n" in v or "\r" in v for v in values):
                raise ValidationError(
                    f"{path.name} 第 {start} 行：引号不成对（或单元格内有换行），一个字段跨了第 {start}–{end} 行；"
                    "请检查该行的引号，未导入任何数据"
                )
            yield start, values


def _structure_error(path: Path, line: int, what: str) -> ValidationError:
    if "field larger" in what:
        reason = f"有一个字段超过 {FIELD_LIMIT // 1024} KiB（可能是引号不成对）"
    elif "NUL" in what:
        reason = "含有 NUL 字符（不是文本 CSV 文件？）"
    else:
        reason = f"CSV 格式错误（{what}）"
    return ValidationError(f"{path.name} 第 {line} 行：{reason}，未导入任何数据")


def _structure_pass(path: Path, encoding: str) -> tuple[tuple[str, ...], int]:
    header: tuple[str, ...] | None = None
    count = 0
    for line, values in _csv_records(path, encoding):
        if line == 1:
            header = tuple(h.strip() for h in values)
        elif any(v.strip() for v in values):
            count += 1
    if header is None:
        raise EpiError("文件为空（缺少表头行）")
    return header, count


def _check_columns(present: set[str], required: Iterable[str]) -> None:
    missing = [c for c in required if c not in present]
    if missing:
        raise EpiError(f"表头缺少列：{', '.join(missing)}")
