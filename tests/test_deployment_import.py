"""Historical deployments from a spreadsheet: all or nothing, problems by row and column, idempotent."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from models import Deployment, Expert, Mission
from models.enums import ExpertStatus
from services.deployments import imports
from services.records.imports import ImportRefused, read_table, template_csv, template_xlsx
from tests.factories import expert, planner

TODAY = date(2031, 2, 20)


def _rows(session) -> tuple[list[dict], list]:
    acronym = session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    people = [expert(session), expert(session, status=ExpertStatus.SEPARATED)]
    rows = [
        {"staff_number": people[0].staff_number, "mission": acronym, "role": "Adviser", "kind": "Assessment",
         "start_date": "2030-01-10", "end_date": "2030-02-10", "gender_marker": "2", "client_rating": 4},
        {"staff_number": people[0].staff_number, "mission": acronym, "role": "Adviser", "kind": "training",
         "start_date": "2030-03-01", "end_date": "2030-03-20", "actual_start_date": "2030-03-02",
         "actual_end_date": "2030-03-19", "status": "completed"},
        {"staff_number": people[1].staff_number, "mission": acronym, "role": "Warden", "kind": "start_up",
         "start_date": "2029-05-01", "end_date": "2029-08-31", "client_feedback": "=SUM(A1:A9)"},
    ]
    return rows, people


def _count(session, people) -> int:
    return session.scalar(select(func.count()).select_from(Deployment)
                          .where(Deployment.expert_id.in_([p.id for p in people])))


@pytest.mark.parametrize("fmt", ["xlsx", "csv"])
def test_a_good_file_is_imported_once_and_a_second_import_changes_nothing(session, fmt) -> None:
    principal = planner(session)
    rows, people = _rows(session)
    make = template_xlsx if fmt == "xlsx" else template_csv
    data = make(imports.COLUMNS, "fr", rows)  # French headers: mapped by name
    table = read_table(data, f"history.{fmt}")
    result = imports.commit(session, principal, table, locale="fr", today=TODAY)
    assert (result.created, result.updated, result.unchanged) == (3, 0, 0)
    assert _count(session, people) == 3
    kept = session.scalar(select(Deployment).where(Deployment.expert_id == people[1].id))
    # The cell's text as the file has it (the template escapes a formula; the import never evaluates one).
    cell = table.rows[2][table.headers.index("Commentaires du client")]
    assert "=SUM(A1:A9)" in cell and kept.client_feedback == cell and kept.status.value == "completed"
    again = imports.commit(session, principal, read_table(data, f"history.{fmt}"), locale="fr", today=TODAY)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    rows[0]["role"] = "Senior adviser"
    changed = imports.commit(session, principal, read_table(template_csv(imports.COLUMNS, "en", rows), "h.csv"),
                             today=TODAY)
    assert (changed.created, changed.updated, changed.unchanged) == (0, 1, 2)


def test_one_bad_row_refuses_the_file_and_names_each_cell(session) -> None:
    principal = planner(session)
    rows, people = _rows(session)
    rows += [
        {**rows[0], "start_date": "2030-02-01", "end_date": "2030-02-20", "kind": "surge"},  # overlaps row 2
        {**rows[0], "staff_number": "NO-SUCH", "mission": "NOPE", "start_date": "10/01/2030",
         "client_rating": 7},
        {**rows[1]},  # the same natural key as row 3
    ]
    table = read_table(template_csv(imports.COLUMNS, "en", rows), "history.csv")
    checked = imports.preview(session, principal, table, today=TODAY)
    found = {(p.row, p.column, p.code) for p in checked.problems}
    assert found == {(5, "Start", "overlap_in_file"), (6, "Staff number", "unknown_staff_number"),
                     (6, "Mission", "unknown"), (6, "Start", "not_a_date"), (6, "Client rating", "range"),
                     (7, "Staff number", "duplicate_key"), (7, "Start", "overlap_in_file")}
    with pytest.raises(ImportRefused) as refused:
        imports.commit(session, principal, table, today=TODAY)
    assert len(refused.value.cell_problems) == len(found)
    assert _count(session, people) == 0  # nothing written


def test_dates_that_overlap_a_deployment_in_the_hub_are_explained(session) -> None:
    principal = planner(session)
    rows, _people = _rows(session)
    imports.commit(session, principal, read_table(template_csv(imports.COLUMNS, "en", rows[:1]), "a.csv"),
                   today=TODAY)
    clash = [{**rows[0], "mission": rows[0]["mission"], "start_date": "2030-01-20", "end_date": "2030-01-31"}]
    checked = imports.preview(session, principal, read_table(template_csv(imports.COLUMNS, "en", clash), "b.csv"),
                              today=TODAY)
    (problem,) = checked.problems
    assert (problem.row, problem.code, problem.params["start"]) == (2, "overlap", "2030-01-10")


def test_a_missing_column_refuses_the_file_before_any_row(session) -> None:
    principal = planner(session)
    table = read_table(b"Staff number,Mission\nX,Y\n", "h.csv")
    with pytest.raises(ImportRefused) as refused:
        imports.preview(session, principal, table, today=TODAY)
    assert {p.code for p in refused.value.problems} == {"missing_column"}
    # A header the template does not know can be mapped by hand.
    mapped = read_table(b"Index no.,Mission,Role,Kind,Start,End\nX,Y,Z,surge,2030-01-01,2030-01-02\n", "h.csv")
    checked = imports.preview(session, principal, mapped, {"Index no.": "staff_number"}, today=TODAY)
    assert {p.code for p in checked.problems} == {"unknown_staff_number", "unknown"}


def test_hub_deployments_import_dry_run_then_for_real(db_url: str, engine, make_user, tmp_path) -> None:
    """The command: a bad file is refused with each cell's message and nothing written; --dry-run writes
    nothing; the import writes once and a second run leaves every row unchanged."""
    from click.testing import CliRunner
    from sqlalchemy import delete
    from sqlalchemy.orm import Session

    from cli.main import cli

    username, _password = make_user("planner")
    with Session(engine) as s:
        staff, expert_id = s.execute(select(Expert.staff_number, Expert.id).order_by(Expert.id).limit(1)).one()
        acronym = s.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    rows = [{"staff_number": staff, "mission": acronym, "role": "Adviser", "kind": "assessment",
             "start_date": "2045-01-10", "end_date": "2045-02-10"}]
    good = tmp_path / "history.xlsx"
    good.write_bytes(template_xlsx(imports.COLUMNS, "en", rows))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(template_csv(imports.COLUMNS, "en", [{**rows[0], "kind": "holiday"}]))

    def run(*args: str):  # type: ignore[no-untyped-def]
        return CliRunner().invoke(cli, ["deployments", "import", *args, "--as", username],
                                  env={"HUB_DATABASE_URL": db_url}, catch_exceptions=False)

    def stored() -> int:
        with Session(engine) as s:
            return s.scalar(select(func.count()).select_from(Deployment).where(
                Deployment.expert_id == expert_id, Deployment.start_date == date(2045, 1, 10)))

    try:
        refused = run(str(bad))
        assert refused.exit_code != 0 and "Row 2, column “Kind”" in refused.output + (refused.stderr or "")
        dry = run(str(good), "--dry-run")
        assert dry.exit_code == 0 and "1 new, 0 updated, 0 unchanged (dry run: nothing written)" in dry.output
        assert stored() == 0
        first = run(str(good))
        assert first.exit_code == 0 and "1 new, 0 updated, 0 unchanged" in first.output and stored() == 1
        second = run(str(good))
        assert "0 new, 0 updated, 1 unchanged" in second.output and stored() == 1
    finally:
        with Session(engine) as s, s.begin():
            s.execute(delete(Deployment).where(Deployment.expert_id == expert_id,
                                               Deployment.start_date == date(2045, 1, 10)))
