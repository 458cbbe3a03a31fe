"""The roster import and export (services.experts.roster_import): each bad cell named by row, column and reason,
all or nothing, upsert by staff number (a second import changes nothing), formula cells kept as text and
exported escaped, files refused before parsing, the export re-imported unchanged, the command line."""

from __future__ import annotations

import io
import secrets
from collections.abc import Iterable, Mapping
from typing import Any

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from cli.main import cli
from models import AuditEvent, Expert, ExpertLanguage
from models.enums import LanguageLevel
from services.access import Principal
from services.errors import Forbidden
from services.experts import roster_import
from services.records.imports import ImportRefused, read_table, template_csv, template_xlsx
from tests.factories import login, planner
from tests.factories import roster_row as person
from tests.factories import roster_xlsx as xlsx

COLUMNS = roster_import.COLUMNS


def table(rows: Iterable[Mapping[str, Any]], locale: str = "en") -> Any:
    return read_table(xlsx(rows, locale), "roster.xlsx")


@pytest.fixture
def who(session: Session) -> Principal:
    return planner(session)


@pytest.fixture
def prefix() -> str:
    return f"R{secrets.token_hex(2).upper()}"


def count(session: Session, prefix: str) -> int:
    return session.scalar(select(func.count()).select_from(Expert).where(Expert.staff_number.like(f"{prefix}%"))) or 0


def test_bad_rows_are_each_named_by_row_column_and_reason(session: Session, who: Principal, prefix: str) -> None:
    rows = [person(prefix, 1),
            person(prefix, 2, skills="investigations:4; basket_weaving:3"),
            person(prefix, 3, skills="investigations:7"),
            person(prefix, 4, entry_on_duty="01/03/2021"),
            person(prefix, 1, email="other@example.org"),  # the staff number of row 2 again
            person(prefix, 6, languages="french:C1"),
            person(prefix, 7, capacity="XYZ"),
            person(prefix, 8, nationality="ZZZ", languages="fr:Z9")]
    preview = roster_import.preview(session, who, table(rows))
    found = {(p.row, p.column, p.code) for p in preview.problems}
    assert found == {
        (3, "Skills (code:level; …)", "unknown_skill"),
        (4, "Skills (code:level; …)", "skill_level"),
        (5, "Entry on duty (YYYY-MM-DD)", "not_a_date"),
        (6, "Staff number", "duplicate_key"),
        (7, "Languages (ISO 639:CEFR; …)", "language_code"),
        (8, "Capacity (SPC or JCSC)", "unknown_capacity"),
        (9, "Nationality (ISO 3166 alpha-3)", "unknown_country"),
        (9, "Languages (ISO 639:CEFR; …)", "language_level"),
    }
    lines = roster_import.problem_lines(preview.problems)
    assert "Row 3, column “Skills (code:level; …)”: No skill with the code basket_weaving in the taxonomy." in lines
    assert any(line.startswith("Row 4,") and "investigations:7" in line and "1 to 5" in line for line in lines)
    assert any(line.startswith("Row 6,") and "row 2" in line for line in lines)
    with pytest.raises(ImportRefused):
        roster_import.commit(session, who, table(rows))
    assert count(session, prefix) == 0


def test_many_good_rows_and_one_bad_write_nothing(session: Session, who: Principal, prefix: str) -> None:
    rows = [person(prefix, k) for k in range(1, 400)]
    rows.insert(250, person(prefix, 999, languages="fr:C1; ay:B2"))  # Aymara: ISO 639, not on the hub's list
    with pytest.raises(ImportRefused) as refused:
        roster_import.commit(session, who, table(rows))
    assert [(p.row, p.code) for p in refused.value.cell_problems] == [(252, "unknown_language")]
    assert count(session, prefix) == 0
    assert session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.username == who.username)) == 0


def test_second_import_is_all_unchanged_and_changes_are_audited(session: Session, who: Principal,
                                                                  prefix: str) -> None:
    rows = [person(prefix, k) for k in range(1, 21)]
    first = roster_import.commit(session, who, table(rows))
    assert (first.created, first.updated, first.unchanged) == (20, 0, 0)
    expert = session.scalar(select(Expert).where(Expert.staff_number == f"{prefix}00003"))
    assert expert is not None and {s.skill.code: s.level for s in expert.skills} == {"investigations": 4,
                                                                                     "data_analysis": 2}
    assert {lang.language_code: lang.level for lang in expert.languages} == {"fr": LanguageLevel.C1,
                                                                             "en": LanguageLevel.B2}
    assert [(c.clearance_type.code, str(c.obtained_on)) for c in expert.clearances] == [("BSAFE", "2024-03-01")]

    # The languages' reading/writing/speaking (not in the template) survive an import that changes the level.
    session.scalar(select(ExpertLanguage).where(ExpertLanguage.expert_id == expert.id,
                                                ExpertLanguage.language_code == "fr")).reading = LanguageLevel.C2
    session.flush()
    again = roster_import.commit(session, who, table(rows))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 20)

    version = expert.version
    rows[2] = person(prefix, 3, languages="fr:C2; en:B2", family_name="Changed")
    third = roster_import.commit(session, who, table(rows))
    assert (third.created, third.updated, third.unchanged) == (0, 1, 19)
    session.refresh(expert)
    assert expert.version == version + 1 and expert.family_name == "Changed"
    fr = next(lang for lang in expert.languages if lang.language_code == "fr")
    assert (fr.level, fr.reading) == (LanguageLevel.C2, LanguageLevel.C2)

    events = list(session.scalars(select(AuditEvent).where(AuditEvent.username == who.username)
                                  .order_by(AuditEvent.id)))
    actions = [e.action for e in events]
    assert actions.count("expert.import") == 3  # one a file
    assert actions.count("expert.import.create") == 20 and actions.count("expert.import.update") == 1
    update = next(e for e in events if e.action == "expert.import.update")
    assert update.entity_id == str(expert.id)
    assert update.detail["changes"] == {"family_name": {"before": "Family3", "after": "Changed"},
                                        "languages": {"before": "en:B2; fr:C1", "after": "en:B2; fr:C2"}}
    last = events[-1]
    assert last.action == "expert.import" and last.detail["updated"] == 1 and last.detail["unchanged"] == 19


def test_formula_cells_are_stored_as_text_and_exported_escaped(session: Session, who: Principal,
                                                               prefix: str) -> None:
    rows = [person(prefix, 1, given_name="=HYPERLINK(\"http://x.example\",\"y\")", functional_title="+1 adviser")]
    roster_import.commit(session, who, table(rows))
    expert = session.scalar(select(Expert).where(Expert.staff_number == f"{prefix}00001"))
    assert expert is not None
    assert expert.given_name == "=HYPERLINK(\"http://x.example\",\"y\")"
    assert expert.functional_title == "+1 adviser"

    exported = [r for r in roster_import.export_rows(session, who) if r["staff_number"] == f"{prefix}00001"]
    sheet = load_workbook(io.BytesIO(template_xlsx(COLUMNS, "en", exported))).active
    assert sheet["B2"].value == "'=HYPERLINK(\"http://x.example\",\"y\")" and sheet["B2"].data_type == "s"
    csv_text = template_csv(COLUMNS, "fr", exported).decode("utf-8-sig")
    assert "'+1 adviser" in csv_text
    again = roster_import.commit(session, who, read_table(template_csv(COLUMNS, "fr", exported), "r.csv"))
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1)


def test_a_large_file_or_a_csv_named_xlsx_is_refused_before_parsing(session: Session, who: Principal) -> None:
    with pytest.raises(ImportRefused) as refused:
        read_table(b"a" * (50 * 1024 * 1024), "roster.xlsx")
    assert [p.code for p in refused.value.problems] == ["too_large"]
    csv_bytes = template_csv(COLUMNS, "en", [person("X", 1)])
    with pytest.raises(ImportRefused) as refused:
        read_table(csv_bytes, "roster.xlsx")
    assert [p.code for p in refused.value.problems] == ["not_xlsx"]


def test_the_export_imports_again_unchanged(session: Session, who: Principal, prefix: str) -> None:
    roster_import.commit(session, who, table([person(prefix, k, team=None) for k in range(1, 6)]))
    rows = roster_import.export_rows(session, who)  # the demo roster too: every kind of value it holds
    assert len(rows) == session.scalar(select(func.count()).select_from(Expert).where(Expert.erased_at.is_(None)))
    for data, name in ((template_xlsx(COLUMNS, "fr", rows), "export.xlsx"),
                       (template_csv(COLUMNS, "en", rows), "export.csv")):
        result = roster_import.commit(session, who, read_table(data, name), locale="fr")
        assert (result.created, result.updated, result.unchanged) == (0, 0, len(rows)), name


def test_french_headers_and_a_mapping_of_other_headers(session: Session, who: Principal, prefix: str) -> None:
    french = roster_import.preview(session, who, table([person(prefix, 1)], "fr"), locale="fr")
    assert french.ok and french.rows[0]["skills"] == "investigations:4; data_analysis:2"
    data = table([person(prefix, 1)])
    renamed = type(data)(["Matricule interne" if h == "Staff number" else h for h in data.headers], data.rows)
    with pytest.raises(ImportRefused) as refused:
        roster_import.preview(session, who, renamed)
    assert {p.code for p in refused.value.problems} == {"unknown_column", "missing_column"}
    assert roster_import.preview(session, who, renamed, {"Matricule interne": "staff_number"}).ok


def test_only_personnel_managers_import(session: Session) -> None:
    from models.enums import Role

    viewer = planner(session, Role.VIEWER)
    with pytest.raises(Forbidden):
        roster_import.preview(session, viewer, table([person("V", 1)]))
    with pytest.raises(Forbidden):
        roster_import.export_rows(session, viewer)


def test_export_and_template_routes(client, make_user) -> None:
    username, password = make_user("viewer")
    login(client, username, password)
    assert client.get("/experts/export.xlsx").status_code == 403
    client.get("/logout")
    username, password = make_user("planner")
    login(client, username, password)
    client.get("/lang/fr?next=/experts")
    response = client.get("/experts/export.csv")
    assert response.status_code == 200 and "hub-roster-" in response.headers["Content-Disposition"]
    assert response.get_data().decode("utf-8-sig").splitlines()[0].startswith("Numéro de matricule,Prénom")
    client.get("/lang/en?next=/experts")
    template = client.get("/imports/roster/template.xlsx")
    assert template.status_code == 200
    assert [c.value for c in load_workbook(io.BytesIO(template.data)).active[1]][:2] == ["Staff number",
                                                                                      "Given name"]


def test_command_line_dry_run_and_refusal(tmp_path, db_url: str, make_user, engine) -> None:
    username, _password = make_user("planner")
    prefix = f"C{secrets.token_hex(2).upper()}"
    good = tmp_path / "roster.xlsx"
    good.write_bytes(xlsx([person(prefix, k) for k in range(1, 4)]))
    runner = CliRunner()
    env = {"HUB_DATABASE_URL": db_url}
    result = runner.invoke(cli, ["experts", "import", str(good), "--dry-run", "--as", username], env=env)
    assert result.exit_code == 0, result.output
    assert "3 new, 0 updated, 0 unchanged (dry run: nothing written)" in result.output
    with Session(engine) as s:
        assert count(s, prefix) == 0
    bad = tmp_path / "bad.csv"
    bad.write_bytes(template_csv(COLUMNS, "en", [person(prefix, 1), person(prefix, 2, skills="investigations:9")]))
    result = runner.invoke(cli, ["experts", "import", str(bad), "--as", username], env=env)
    assert result.exit_code != 0
    assert "Row 3, column “Skills (code:level; …)”: “investigations:9”: the level is a whole number from 1 to 5." \
        in result.output
    assert "nothing was written" in result.output
    with Session(engine) as s:
        assert count(s, prefix) == 0


@pytest.mark.parametrize(("role", "status"), [("planner", 200), ("admin", 200), ("viewer", 403), ("finance", 403)])
def test_import_page_is_its_own_and_for_personnel_managers(app, role: str, status: int) -> None:
    from dashboard.security.pages import page_status
    from models.enums import Role

    # Matched before /experts/<expert_id>, which a viewer may open: a 200 for the viewer would be that page.
    assert page_status("/experts/import", Role(role)) == status
