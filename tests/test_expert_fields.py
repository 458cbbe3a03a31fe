"""One field rule for experts (services.access.EXPERT_FIELD_RULES): the /experts grid and the API give each role
exactly the same information, no more."""

from __future__ import annotations

from typing import Any

import pytest

from models.enums import Role
from services.access import Principal
from services.expert_overview import expert_overview

API = "/api/v1"
BASE = {"capacity", "team", "gender", "nationality_iso3", "duty_station", "functional_title", "status"}
NAMES = {"id", "given_name", "family_name", "name"}
DETAIL = {"staff_number", "grade", "contract_type", "email", "entry_on_duty", "skills", "languages", "clearances"}
# The grid shows nationality by name and today's status (mission folded in); the rest follows the API's rule.
GRID_BASE = {"capacity", "gender", "nationality", "status", "mission"}
EXPECTED: dict[Role, tuple[set[str], set[str]]] = {  # role: (API fields, grid fields)
    Role.ADMIN: (BASE | NAMES | DETAIL, GRID_BASE | {"id", "name", "grade", "skills", "languages"}),
    Role.PLANNER: (BASE | NAMES | DETAIL, GRID_BASE | {"id", "name", "grade", "skills", "languages"}),
    Role.FINANCE: (BASE | NAMES, GRID_BASE | {"id", "name"}),
    Role.VIEWER: (BASE | NAMES, GRID_BASE | {"id", "name"}),
    Role.GIS_EDITOR: (BASE, set(GRID_BASE)),
}


def _grid_payload(app: Any) -> dict[str, Any]:
    key = next(k for k in app.callback_map if "experts-grid.rowData" in k)
    spec = app.callback_map[key]
    inputs = [{"id": d["id"], "property": d["property"], "value": None} for d in spec["inputs"]]
    outputs = [{"id": p.split(".")[0], "property": p.split(".")[1]} for p in key.strip(".").split("...") if p]
    return {"output": key, "outputs": outputs, "inputs": inputs, "state": [],
            "changedPropIds": [f"{d['id']}.{d['property']}" for d in spec["inputs"]]}


@pytest.mark.parametrize("role", list(EXPECTED))
def test_grid_service_gives_each_role_its_fields(session, role: Role) -> None:
    table = expert_overview(session, Principal(0, f"t-{role.value}", role))
    assert set(table.columns) == EXPECTED[role][1]
    assert table.rows and all(set(row) == EXPECTED[role][1] for row in table.rows)


@pytest.mark.parametrize("role", list(EXPECTED))
def test_grid_callback_and_api_agree_for_each_role(app, logged_in, role: Role) -> None:
    api_fields, grid_fields = EXPECTED[role]
    client = logged_in(role.value)
    client.get("/_dash-dependencies")
    response = client.post("/_dash-update-component", json=_grid_payload(app))
    assert response.status_code == 200, response.get_data(as_text=True)
    grid = response.get_json()["response"]["experts-grid"]
    assert grid["rowData"] and all(set(row) <= grid_fields for row in grid["rowData"])
    # "mission" is folded into the status text and "id" into the name's link to the expert's page; every other
    # allowed field is a column and in every row.
    shown = grid_fields - {"mission", "id"}
    if "name" in shown:
        assert all(row["name"].startswith("[") and "](/experts/" in row["name"] for row in grid["rowData"])
    assert {c["field"] for c in grid["columnDefs"]} == shown
    assert all(set(row) == shown for row in grid["rowData"])
    listed = client.get(f"{API}/experts?limit=5").get_json()
    assert listed["items"] and all(set(item) == api_fields for item in listed["items"])
    # Both edges leave skills and languages out together, or show them together.
    assert ("skills" in shown) is ("skills" in api_fields) and ("languages" in shown) is ("languages" in api_fields)


@pytest.mark.parametrize(("role", "status"), [(Role.VIEWER, 403), (Role.GIS_EDITOR, 403), (Role.PLANNER, 200)])
def test_filtering_by_a_hidden_field_is_refused(logged_in, role: Role, status: int) -> None:
    """A filter on languages would tell a viewer who speaks French as surely as the field itself."""
    client = logged_in(role.value)
    assert client.get(f"{API}/experts?language=fr").status_code == status
