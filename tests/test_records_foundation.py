"""The record pattern every record is built on (services/records): field rules, rule books, stale edits with
who changed what, audited before/after values, and all-or-nothing spreadsheet reading."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal as D

import pytest
from openpyxl import Workbook, load_workbook

from models.enums import Role
from services.access import Principal
from services.records import (
    Choice,
    Code,
    Currency,
    Date,
    Decimal,
    Integer,
    LanguageCode,
    Problem,
    Problems,
    Rows,
    RuleBook,
    StaleEdit,
    Text,
    VersionRequired,
    audit_change,
    check_version,
    date_order,
    message,
)
from services.records.imports import (
    CellProblem,
    Column,
    ImportRefused,
    cell_message,
    map_columns,
    read_table,
    template_csv,
    template_xlsx,
    validate_rows,
)

BOOK = RuleBook("thing", [
    Code("code", "Code", required=True, max_length=8),
    Text("name", "Name", required=True, max_length=10),
    Integer("level", "Level", low=1, high=5),
    Decimal("amount", "Amount", low=0, places=2),
    Date("start", "Start"), Date("end", "End"),
    LanguageCode("language", "Language"),
    Choice("kind", "Kind", choices=["surge", "training"]),
], [date_order("start", "end")])
COLUMNS = [Column("code", "Code", "Code", required=True), Column("name", "Name", "Nom", required=True),
           Column("level", "Level (1-5)", "Niveau (1-5)"), Column("amount", "Amount", "Montant"),
           Column("start", "Start", "Début"), Column("end", "End", "Fin"),
           Column("language", "Language", "Langue", aliases=("lang",)), Column("kind", "Kind", "Type")]


def codes(problems: list[Problem]) -> set[tuple[str, str]]:
    return {(p.field, p.code) for p in problems}


def test_fields_clean_what_a_form_a_body_or_a_cell_gives() -> None:
    clean, problems = BOOK.validate({"code": " ab1 ", "name": "  Amina ", "level": "3", "amount": "1200.50",
                                     "start": "2030-01-02", "end": date(2030, 1, 9), "language": "FR",
                                     "kind": "Surge"})
    assert problems == []
    assert clean == {"code": "AB1", "name": "Amina", "level": 3, "amount": D("1200.50"),
                     "start": date(2030, 1, 2), "end": date(2030, 1, 9), "language": "fr", "kind": "surge"}
    assert isinstance(clean["amount"], D)  # money never goes through a float
    assert BOOK.validate({"code": "X", "name": "n", "amount": 0.1})[0]["amount"] == D("0.1")


def test_one_currency_field_reads_iso_4217_for_every_record() -> None:
    from services.funding.rules import GRANT
    from services.projects.rules import PROJECT

    field = Currency("currency", "Currency", required=True)
    assert field.check(" eur ") == ("EUR", [])
    assert field.check("E1R") == (None, [Problem("currency", "not_currency")])
    assert field.check("EURO")[1][0].code == "too_long"
    assert field.check("")[1] == [Problem("currency", "required")]
    assert message(Problem("currency", "not_currency")).startswith("Not an ISO 4217 currency code")
    # the projects' and the grants' rule books read the currency with this one field, not each their own
    assert type(PROJECT.fields_by_name["currency"]) is Currency and type(GRANT.fields_by_name["currency"]) is Currency
    assert PROJECT.validate({"currency": "usd"}, partial=True) == ({"currency": "USD"}, [])
    assert PROJECT.validate({"currency": "U5D"}, partial=True)[1] == [Problem("currency", "not_currency")]


def test_every_problem_at_once_with_its_field_and_code() -> None:
    _clean, problems = BOOK.validate({"code": "", "name": "x" * 11, "level": "2.5", "amount": "1.234",
                                      "start": "02/01/2030", "language": "xx", "kind": "holiday"})
    assert codes(problems) == {("code", "required"), ("name", "too_long"), ("level", "not_whole"),
                               ("amount", "places"), ("start", "not_a_date"), ("language", "not_iso639"),
                               ("kind", "one_of")}
    _clean, problems = BOOK.validate({"code": "A", "name": "n", "level": 9, "amount": "-1", "start": "2030-02-01",
                                      "end": "2030-01-01"})
    assert codes(problems) == {("level", "range"), ("amount", "at_least"), ("end", "date_order")}
    by = {p.field: message(p) for p in problems}
    assert by["level"] == "From 1 to 5." and by["amount"] == "At least 0." and "start" in by["end"]


def test_a_check_across_fields_is_silent_about_an_invalid_field() -> None:
    _clean, problems = BOOK.validate({"code": "A", "name": "n", "start": "2030-02-01", "end": "not a date"})
    assert codes(problems) == {("end", "not_a_date")}


def test_partial_validation_checks_only_what_is_sent() -> None:
    clean, problems = BOOK.validate({"level": "4"}, partial=True)
    assert problems == [] and clean == {"level": 4}
    with pytest.raises(Problems) as caught:
        BOOK.clean({"code": "A"})
    assert codes(caught.value.problems) == {("name", "required")}


def test_rows_of_a_sub_record_are_named_by_index_and_keyed() -> None:
    langs = RuleBook("language", [LanguageCode("code", "Language", required=True),
                                  Choice("level", "Level", choices=["A1", "B2", "C2"], required=True)])
    book = RuleBook("expert", [Rows("languages", "Languages", book=langs, key="code")])
    _clean, problems = book.validate({"languages": [{"code": "fr", "level": "B2"}, {"code": "FR", "level": "Z"},
                                                    {"code": "zz", "level": "A1"}]})
    assert codes(problems) == {("languages.1.level", "one_of"), ("languages.1.code", "duplicate"),
                               ("languages.2.code", "not_iso639")}


def test_the_api_schema_documents_the_rules_and_refuses_unknown_keys() -> None:
    schema = BOOK.marshmallow_schema("ThingIn")()
    assert schema.load({"level": "x"}) == {"level": "x"}  # the rule book, not marshmallow, says what is wrong
    from marshmallow import ValidationError

    with pytest.raises(ValidationError):
        schema.load({"levle": 3})
    props = BOOK.json_schema()["properties"]
    assert props["level"] == {"type": "integer", "minimum": 1.0, "maximum": 5.0}
    assert props["kind"]["enum"] == ["surge", "training"] and props["name"]["maxLength"] == 10
    assert props["amount"]["format"] == "decimal"


# --- stale edits and the audit ----------------------------------------------------------------------------
def test_a_stale_edit_names_who_changed_what(session) -> None:
    amina = Principal(user_id=None, username="amina", role=Role.PLANNER)  # type: ignore[arg-type]
    audit_change(session, amina, "update", entity="thing", entity_id=42, before={"title": "a", "end": "2030-01-01"},
                 after={"title": "b", "end": "2030-02-01"})
    session.flush()
    check_version(session, entity="thing", entity_id=42, current=3, expected=3)
    with pytest.raises(StaleEdit) as caught:
        check_version(session, entity="thing", entity_id=42, current=4, expected=3)
    error = caught.value
    assert (error.by, error.fields, error.current) == ("amina", ["end", "title"], 4)
    assert "amina" in str(error) and "end, title" in str(error)
    assert "amina" in message(error.problem)
    with pytest.raises(VersionRequired):
        check_version(session, entity="thing", entity_id=42, current=4, expected=None)


def test_audit_keeps_before_and_after_and_skips_a_no_op(session) -> None:
    from sqlalchemy import select

    from models.auth import AuditEvent

    who = Principal(user_id=None, username="audit-test", role=Role.ADMIN)  # type: ignore[arg-type]
    audit_change(session, who, "update", entity="thing", entity_id=7, before={"amount": D("1.10")},
                 after={"amount": D("1.1")})  # the same amount: no event
    audit_change(session, who, "update", entity="thing", entity_id=7, before={"amount": D("1.10"), "d": None},
                 after={"amount": D("2.00"), "d": date(2030, 1, 1)})
    audit_change(session, who, "create", entity="thing", entity_id=8, before=None, after={"name": "n"})
    session.flush()
    events = session.scalars(select(AuditEvent).where(AuditEvent.username == "audit-test")
                             .order_by(AuditEvent.id)).all()
    assert [e.detail for e in events] == [
        {"changes": {"amount": {"before": "1.10", "after": "2.00"}, "d": {"before": None, "after": "2030-01-01"}}},
        {"created": {"name": "n"}},
    ]


# --- imports ----------------------------------------------------------------------------------------------
def _xlsx(rows: list[list[object]]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def test_a_file_is_refused_before_parsing_when_too_large_or_not_what_its_name_says() -> None:
    csv_bytes = b"Code,Name\nA,Amina\n"
    for data, name, code in [(b"x" * 2048, "big.csv", "too_large"), (csv_bytes, "roster.xlsx", "not_xlsx"),
                             (_xlsx([["Code"], ["A"]]), "roster.csv", "not_csv"),
                             (csv_bytes, "roster.pdf", "file_type"),
                             (b"Code,Name\n", "empty.csv", "empty"), (b"PK\x03\x04garbage", "x.xlsx", "not_xlsx")]:
        with pytest.raises(ImportRefused) as caught:
            read_table(data, name, max_bytes=1024 if code == "too_large" else 1024 * 1024)
        assert codes(caught.value.problems) == {("file", code)}, name


def test_csv_in_any_usual_dialect_and_formula_cells_stay_text() -> None:
    semicolons = "Code;Nom;Langue\nA;Zoé;fr\nB;=SUM(A1:A9);en\n".encode("cp1252")
    table = read_table(semicolons, "x.csv")
    assert table.headers == ["Code", "Nom", "Langue"] and table.rows[0] == ["A", "Zoé", "fr"]
    assert table.rows[1][1] == "=SUM(A1:A9)"
    workbook = read_table(_xlsx([["Code", "Name"], ["A", "=1+1"]]), "x.xlsx")
    assert workbook.rows == [["A", "=1+1"]]  # never evaluated


def test_calamine_reads_a_workbook_as_openpyxl_does() -> None:
    """The fast reader (calamine) gives the same table as openpyxl: whole numbers as int, date cells as
    datetimes, blank cells and lines above the header as openpyxl has them; a workbook with a formula is left to
    openpyxl, which keeps the formula's text."""
    from datetime import datetime

    from services.records import imports

    rows = [[None, None, None, None], ["Staff", "Level", "Since", "Note"], [1234, 4, date(2024, 3, 1), " kept "],
            ["A-2", 2.5, datetime(2024, 3, 1, 12, 30), None], [None, None, None, "only a note"]]
    data = _xlsx(rows)
    assert imports._calamine_can_read(data)
    fast, slow = imports._read_xlsx(data), imports._read_xlsx_openpyxl(data)
    assert fast == slow, (fast, slow)
    assert fast.rows[0] == [1234, 4, datetime(2024, 3, 1), "kept"] and isinstance(fast.rows[0][0], int)
    assert not imports._calamine_can_read(_xlsx([["Code"], ["=1+1"]]))


def test_columns_map_by_english_or_french_header_or_by_the_users_choice() -> None:
    found, problems = map_columns(["CODE", "Nom", "Niveau (1–5)", "Remarks"], COLUMNS)
    assert found == {0: "code", 1: "name", 2: "level"}
    assert codes(problems) == {("file", "unknown_column")}
    found, problems = map_columns(["Code", "Full name", "Remarks"], COLUMNS, {"Full name": "name", "Remarks": ""})
    assert found == {0: "code", 1: "name"} and problems == []
    _found, problems = map_columns(["Name"], COLUMNS)
    assert codes(problems) == {("file", "missing_column")}


def test_each_bad_cell_is_named_by_row_and_column_and_duplicates_by_key() -> None:
    table = read_table(b"Code,Name,Level (1-5),Start,End\nA,Amina,3,2030-01-01,2030-01-05\n"
                       b"B,Bob,9,2030-01-01,2029-01-01\n,,,,\nA,Again,2,,\n", "x.csv")
    found, _ = map_columns(table.headers, COLUMNS)
    preview = validate_rows(table, found, BOOK, COLUMNS, key="code")
    assert not preview.ok and len(preview.rows) == 3  # the blank line is skipped
    assert {(p.row, p.column, p.code) for p in preview.problems} == {
        (3, "Level (1-5)", "range"), (3, "End", "date_order"), (5, "Code", "duplicate_key")}
    dup = next(p for p in preview.problems if p.code == "duplicate_key")
    assert cell_message(dup) == "Row 5, column “Code”: The same Code as row 2."
    with pytest.raises(ImportRefused) as caught:
        preview.refuse_if_bad()
    assert all(isinstance(p, CellProblem) for p in caught.value.problems)


def test_the_template_is_the_export_and_escapes_formulas() -> None:
    rows = [{"code": "A", "name": "=HYPERLINK(\"http://x\")", "level": 3}]
    book = load_workbook(io.BytesIO(template_xlsx(COLUMNS, "fr", rows)))
    sheet = book.active
    assert [c.value for c in sheet[1]][:3] == ["Code", "Nom", "Niveau (1-5)"]
    assert sheet["B2"].value == "'=HYPERLINK(\"http://x\")" and sheet["C2"].value == 3
    quoted = [{"code": "Q", "name": 'say "hi", twice'}]
    assert read_table(template_csv(COLUMNS, "en", quoted), "q.csv").rows[0][:2] == ["Q", 'say "hi", twice']
    text = template_csv(COLUMNS, "en", rows).decode("utf-8-sig")
    assert text.splitlines()[0].startswith("Code,Name,Level (1-5)")
    # and it reads back: the template of a file is a valid import of it
    table = read_table(template_xlsx(COLUMNS, "en", [{"code": "B", "name": "Bea", "level": 2}]), "t.xlsx")
    found, problems = map_columns(table.headers, COLUMNS)
    assert problems == [] and validate_rows(table, found, BOOK, COLUMNS).ok


def test_every_records_messages_live_together() -> None:
    """Each record registers its own codes; two records giving one code two texts would show each other's
    words, and registering refuses it. Importing every service module at once proves none does."""
    import importlib
    import pkgutil

    import services

    for module in pkgutil.walk_packages(services.__path__, "services."):
        importlib.import_module(module.name)
    from services.records.problems import MESSAGES

    assert "unknown_capacity" in MESSAGES and "stale" in MESSAGES
