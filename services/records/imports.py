"""All-or-nothing spreadsheet imports: read the file, map its columns, check every row, write only if none
is refused.

The shape every import follows (experts, deployments, expenditures, rates): ``read_table`` (the size first,
then the format by its content, whatever the name says), ``map_columns`` (the template's English or French
headers, or the user's own mapping), ``validate_rows`` (the record's rule book on each row, problems by row
and column as the spreadsheet numbers them), then the caller's own checks that need the database (an unknown
skill or grant) and, only when ``preview.ok``, its writes in one transaction, by the record's natural key, so
that a second import of the same file changes nothing. Formula cells are read as their text, never run, and
every file the hub writes escapes them (``services.spreadsheet_cells``).
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from services.records.fields import blank
from services.records.problems import N_, Problem, Problems, message, register_messages
from services.records.rulebook import RuleBook
from services.spreadsheet_cells import escape_formula

MAX_IMPORT_BYTES = 20 * 1024 * 1024  # a 10,000-expert roster is about 1 MB; 20 MB is generous
MAX_IMPORT_ROWS = 100_000  # a spreadsheet's decompressed size can be far above its file's: rows are capped too

register_messages({
    "too_large": N_("The file is larger than %(max_mb)d MB: split it, or import the rows in several files."),
    "not_xlsx": N_("The file's name says Excel (.xlsx), but it is not an Excel workbook: save it as .xlsx "
                   "from Excel, or name a CSV file .csv."),
    "not_csv": N_("The file's name says CSV, but it is not a text file: export it as CSV (UTF-8), or import "
                  "the Excel workbook as .xlsx."),
    "file_type": N_("Import an Excel workbook (.xlsx) or a CSV file (.csv), not %(ext)s."),
    "unreadable": N_("The file cannot be read (%(reason)s): open it in a spreadsheet, save it again and retry."),
    "empty": N_("The file has no rows under its header."),
    "too_many_rows": N_("The file has more than %(max)d rows: split it."),
    "missing_column": N_("The column “%(column)s” is missing: add it or map one of the file's columns to it."),
    "unknown_column": N_("The column “%(column)s” is not one of the template's: map it or remove it."),
    "duplicate_column": N_("Two columns give “%(column)s”."),
    "duplicate_key": N_("The same %(column)s as row %(first_row)d."),
})


@dataclass(frozen=True, kw_only=True)
class CellProblem(Problem):
    """A problem of one cell: ``row`` as the spreadsheet shows it (the header is 1), ``column`` its header."""

    row: int
    column: str


class ImportRefused(Problems):
    """The file is refused whole; ``problems`` has one entry per bad cell (or one for the file)."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        super().__init__(problems, "Nothing was imported:")

    @property
    def cell_problems(self) -> list[CellProblem]:
        return [p for p in self.problems if isinstance(p, CellProblem)]


@dataclass(frozen=True)
class Table:
    headers: list[str]
    rows: list[list[Any]]  # data rows; row k is the spreadsheet's row k + 2


@dataclass(frozen=True)
class Column:
    """A template column: the rule book's field, its English and French headers and other names it goes by."""

    field: str
    en: str
    fr: str
    aliases: Sequence[str] = ()
    required: bool = False

    def header(self, locale: str) -> str:
        return self.fr if str(locale).startswith("fr") else self.en


@dataclass
class Preview:
    rows: list[dict[str, Any]]  # cleaned values by field, with "_row": the spreadsheet's row number
    raw: list[dict[str, Any]]  # the cells as read, by field (what the preview grid shows)
    problems: list[CellProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def bad_rows(self) -> set[int]:
        return {p.row for p in self.problems}

    def refuse_if_bad(self) -> None:
        if self.problems:
            raise ImportRefused(self.problems)


@dataclass(frozen=True)
class ImportResult:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


# --- reading ----------------------------------------------------------------------------------------------
def _refuse(code: str, **params: Any) -> ImportRefused:
    return ImportRefused([Problem("file", code, params)])


def _looks_xlsx(data: bytes) -> bool:
    if not data.startswith(b"PK\x03\x04"):
        return False
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            names = set(z.namelist())
    except zipfile.BadZipFile:
        return False
    return "[Content_Types].xml" in names and "xl/workbook.xml" in names


def _cell(value: Any) -> Any:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


# A workbook whose sheets hold a formula (an <f> element) is read by openpyxl, which gives the formula's text;
# calamine gives only its cached result. So is one whose sheets decompress to more than this (openpyxl streams it
# and stops at MAX_IMPORT_ROWS; calamine would hold the whole sheet in memory first).
_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")
_CALAMINE_MAX_XML_BYTES = 200 * 1024 * 1024


def _calamine_can_read(data: bytes) -> bool:
    with zipfile.ZipFile(io.BytesIO(data)) as z:
        sheets = [i for i in z.infolist() if i.filename.startswith("xl/worksheets/") and i.filename.endswith(".xml")]
        if sum(i.file_size for i in sheets) > _CALAMINE_MAX_XML_BYTES:
            return False
        return not any(_FORMULA.search(z.read(i)) for i in sheets)


def _calamine_cell(value: Any) -> Any:
    """A calamine value as openpyxl gives it: whole numbers as int, a date cell as a datetime, '' as None."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, date) and not isinstance(value, datetime):
        return datetime.combine(value, time())
    return _cell(value)


def _table(lines: Iterable[Sequence[Any]], cell: Callable[[Any], Any]) -> Table:
    """The header (the first non-blank line) and the rows under it, at most MAX_IMPORT_ROWS."""
    rows: list[list[Any]] = []
    headers: list[str] | None = None
    for values in lines:
        cells = [cell(v) for v in values]
        if headers is None:
            if all(c is None for c in cells):
                continue  # blank lines above the header
            headers = ["" if c is None else str(c) for c in cells]
            continue
        if len(rows) >= MAX_IMPORT_ROWS:
            raise _refuse("too_many_rows", max=MAX_IMPORT_ROWS)
        rows.append(cells)
    return Table(headers or [], rows)


def _read_xlsx(data: bytes) -> Table:
    if _calamine_can_read(data):
        from python_calamine import CalamineWorkbook

        try:
            sheet = CalamineWorkbook.from_filelike(io.BytesIO(data)).get_sheet_by_index(0)
            lines = sheet.to_python(skip_empty_area=False)
        except Exception as error:  # calamine raises several kinds (zip, XML, cell) for a damaged file
            raise _refuse("unreadable", reason=type(error).__name__) from error
        return _table(lines, _calamine_cell)
    return _read_xlsx_openpyxl(data)


def _read_xlsx_openpyxl(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        # data_only=False: a formula cell is read as its text ("=SUM(A1)"), stored as text, never evaluated.
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception as error:  # openpyxl raises many kinds for a damaged file
        raise _refuse("unreadable", reason=type(error).__name__) from error
    try:
        return _table(book.worksheets[0].iter_rows(values_only=True), _cell)
    finally:
        book.close()


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise _refuse("unreadable", reason="unknown text encoding")


def _read_csv(data: bytes) -> Table:
    if b"\x00" in data[:65536] or data.startswith(b"PK\x03\x04"):
        raise _refuse("not_csv")
    text = _decode(data)
    sample = text[:8192]
    # Only the delimiter is sniffed: the Sniffer's guess of the quoting (it can miss doubled quotes, "say ""hi""")
    # is less reliable than RFC 4180's, which is what spreadsheets write.
    try:
        delimiter = csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        delimiter = ","
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quotechar='"', doublequote=True)
    try:
        return _table(reader, _cell)
    except csv.Error as error:
        raise _refuse("unreadable", reason=str(error)) from error


def read_table(data: bytes, filename: str, *, max_bytes: int = MAX_IMPORT_BYTES) -> Table:
    """The file's first sheet (or the CSV) as a header and rows; ``ImportRefused`` for a file too large, of
    another format than its name says, unreadable or empty."""
    if len(data) > max_bytes:
        raise _refuse("too_large", max_mb=max_bytes // (1024 * 1024))
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if ext == "xlsx":
        if not _looks_xlsx(data):
            raise _refuse("not_xlsx")
        table = _read_xlsx(data)
    elif ext in ("csv", "txt"):
        table = _read_csv(data)
    else:
        raise _refuse("file_type", ext=f".{ext}" if ext else filename or "?")
    if not table.headers or not any(any(c is not None for c in row) for row in table.rows):
        raise _refuse("empty")
    return table


# --- columns ----------------------------------------------------------------------------------------------
def fold(text: str) -> str:
    """A header as compared: no accents, no case, no spaces or punctuation ("Niveau (1–5)" = "niveau15")."""
    decomposed = unicodedata.normalize("NFKD", str(text))
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return re.sub(r"[\W_]+", "", plain)


def map_columns(headers: Sequence[str], columns: Sequence[Column],
                mapping: Mapping[str, str] | None = None) -> tuple[dict[int, str], list[Problem]]:
    """Which field each of the file's columns gives (by index). ``mapping`` (a header of the file → a field,
    or "" to ignore the column) comes first; then the template's English and French headers and aliases."""
    known: dict[str, str] = {}
    for col in columns:
        for name in (col.field, col.en, col.fr, *col.aliases):
            known.setdefault(fold(name), col.field)
    chosen = {fold(k): v for k, v in (mapping or {}).items()}
    fields = {c.field for c in columns}
    found: dict[int, str] = {}
    problems: list[Problem] = []
    for k, header in enumerate(headers):
        if not str(header).strip():
            continue
        key = fold(header)
        target = chosen[key] if key in chosen else known.get(key)
        if target == "":
            continue  # the user chose to ignore it
        if target is None or target not in fields:
            problems.append(Problem("file", "unknown_column", {"column": header}))
            continue
        if target in found.values():
            problems.append(Problem("file", "duplicate_column", {"column": header}))
            continue
        found[k] = target
    for col in columns:
        if col.required and col.field not in found.values():
            problems.append(Problem("file", "missing_column", {"column": col.en, "field": col.field}))
    return found, problems


def validate_rows(table: Table, column_map: Mapping[int, str], book: RuleBook, columns: Sequence[Column], *,
                  key: str | Sequence[str] | None = None, locale: str = "en") -> Preview:
    """Each non-blank row through the rule book; every problem at its row and column. ``key``: the natural
    key (one field or several) that must not repeat within the file."""
    header_of = {c.field: c.header(locale) for c in columns}
    for index, name in column_map.items():
        header_of[name] = table.headers[index]
    keys = [key] if isinstance(key, str) else list(key or ())
    preview = Preview([], [])
    first_seen: dict[tuple[Any, ...], int] = {}
    for k, cells in enumerate(table.rows):
        row_number = k + 2
        raw = {name: cells[index] if index < len(cells) else None for index, name in column_map.items()}
        if all(blank(v) for v in raw.values()):
            continue
        clean, problems = book.validate(raw)
        preview.raw.append({**raw, "_row": row_number})
        preview.rows.append({**clean, "_row": row_number})
        preview.problems += [
            CellProblem(p.field, p.code, p.params, row=row_number, column=header_of.get(p.field.split(".")[0], ""))
            for p in problems
        ]
        if keys and all(clean.get(name) is not None for name in keys):
            value = tuple(clean[name] for name in keys)
            if value in first_seen:
                preview.problems.append(CellProblem(keys[0], "duplicate_key",
                                                    {"column": header_of.get(keys[0], keys[0]),
                                                     "first_row": first_seen[value]},
                                                    row=row_number, column=header_of.get(keys[0], keys[0])))
            else:
                first_seen[value] = row_number
    if not preview.rows:
        raise _refuse("empty")
    return preview


def cell_message(problem: Problem, translate: Callable[..., str] | None = None,
                 translate_plural: Callable[..., str] | None = None) -> str:
    """"Row 7, column “Level”: From 1 to 5." (the file's own problems without row and column)."""
    args: list[Any] = [t for t in (translate, translate_plural) if t is not None]
    text = message(problem, *args)
    if not isinstance(problem, CellProblem):
        return text
    template = N_("Row %(row)d, column “%(column)s”: %(message)s")
    params = {"row": problem.row, "column": problem.column or problem.field, "message": text}
    return translate(template, **params) if translate else template % params


# --- writing files: the template and the export are the same function ----------------------------------------
def _row_values(columns: Sequence[Column], row: Mapping[str, Any]) -> list[Any]:
    return [escape_formula(row.get(c.field)) for c in columns]


def template_xlsx(columns: Sequence[Column], locale: str = "en", rows: Iterable[Mapping[str, Any]] = (),
                  sheet_title: str = "Data") -> bytes:
    """An XLSX whose header is the columns in the locale's language, with the rows (escaped) under it."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook(write_only=False)
    sheet = book.active
    sheet.title = sheet_title[:31]
    sheet.append([c.header(locale) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_row_values(columns, row))
    sheet.freeze_panes = "A2"
    for k, col in enumerate(columns, start=1):
        sheet.column_dimensions[sheet.cell(1, k).column_letter].width = max(12, len(col.header(locale)) + 4)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def template_csv(columns: Sequence[Column], locale: str = "en", rows: Iterable[Mapping[str, Any]] = ()) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([c.header(locale) for c in columns])
    for row in rows:
        writer.writerow(["" if v is None else v for v in _row_values(columns, row)])
    return out.getvalue().encode("utf-8-sig")  # the BOM makes Excel read UTF-8


__all__ = ["MAX_IMPORT_BYTES", "MAX_IMPORT_ROWS", "CellProblem", "Column", "ImportRefused", "ImportResult",
           "Preview", "Table", "cell_message", "fold", "map_columns", "read_table", "template_csv",
           "template_xlsx", "validate_rows"]
