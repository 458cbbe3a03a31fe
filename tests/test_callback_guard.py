"""The callback guard's footing: Dash's private callback registry as secured_callback reads it, the Dash pin it was
checked against, and flexible (dict) signatures going through the same role rule as positional ones."""

from __future__ import annotations

import secrets
import tomllib
from collections.abc import Iterator
from importlib.metadata import version
from pathlib import Path
from typing import Any

import dash
import pytest
from dash import Input, Output, State
from dash import _callback as dash_registry
from dash.exceptions import PreventUpdate
from packaging.requirements import Requirement
from packaging.version import Version

from dashboard.security.callbacks import CALLBACK_ROLES, CHECKED_DASH, is_internal, secured_callback
from models.enums import Role

ROOT = Path(__file__).resolve().parents[1]
SCRATCH = "t-guard-"  # the ids of the callbacks these tests register, and remove again


@pytest.fixture
def scratch_ids() -> Iterator[list[str]]:
    """Component ids no page uses; whatever a test registers with them leaves Dash's registry and the rules."""
    prefix = f"{SCRATCH}{secrets.token_hex(4)}"
    yield [f"{prefix}-{n}" for n in range(4)]
    for key in [k for k in dash_registry.GLOBAL_CALLBACK_MAP if prefix in k]:
        del dash_registry.GLOBAL_CALLBACK_MAP[key]
    dash_registry.GLOBAL_CALLBACK_LIST[:] = [c for c in dash_registry.GLOBAL_CALLBACK_LIST
                                             if prefix not in c["output"]]
    for key in [k for k in CALLBACK_ROLES if prefix in k]:
        del CALLBACK_ROLES[key]


def test_installed_dash_is_the_minor_version_the_guard_was_checked_against() -> None:
    pin = next(Requirement(r) for r in tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
               ["dependencies"] if Requirement(r).name == "dash")
    installed = Version(version("dash"))
    assert installed in pin.specifier, f"dash {installed} is outside the pin {pin}: pip install -e . again"
    assert f"{installed.major}.{installed.minor}" == CHECKED_DASH, (
        f"Dash {installed} is not {CHECKED_DASH}, the version dashboard/security/callbacks.py was checked against: "
        "run this file, then update CHECKED_DASH and the pin")
    assert pin.specifier.contains(f"{CHECKED_DASH}.0") and not pin.specifier.contains(
        f"{installed.major}.{installed.minor + 1}.0"), f"the pin {pin} must hold one minor version: {CHECKED_DASH}"


def test_dash_registers_each_callback_under_its_output_key_in_the_private_map(scratch_ids: list[str]) -> None:
    """What _register relies on: dash.callback adds one entry to dash._callback.GLOBAL_CALLBACK_MAP as it decorates,
    keyed by the outputs as the browser names them in /_dash-update-component's "output"."""
    a, b, button, _unused = scratch_ids
    registry = dash_registry.GLOBAL_CALLBACK_MAP
    assert isinstance(registry, dict), "Dash's private callback registry moved: the guard cannot find keys"
    before = set(registry)
    dash.callback(Output(a, "children"), Input(button, "n_clicks"))(lambda n: n)
    dash.callback(Output(b, "children"), Output(b, "title"), Input(button, "n_clicks"))(lambda n: (n, n))
    added = set(registry) - before
    assert added == {f"{a}.children", f"..{b}.children...{b}.title.."}
    assert all(callable(registry[k]["callback"]) for k in added)


def test_a_dict_signature_callback_gets_its_rule_and_refuses_an_anonymous_call(server, scratch_ids: list[str]) -> None:
    a, b, button, field = scratch_ids
    calls: list[dict[str, Any]] = []

    @secured_callback(output=dict(text=Output(a, "children"), note=Output(b, "children")),
                      inputs=dict(clicks=Input(button, "n_clicks")), state=dict(value=State(field, "value")),
                      roles=[Role.ADMIN])
    def scratch(clicks: int | None, value: str | None) -> dict[str, Any]:
        calls.append({"clicks": clicks, "value": value})
        return {"text": value, "note": clicks}

    key = f"..{a}.children...{b}.children.."
    assert CALLBACK_ROLES[key] == frozenset({Role.ADMIN}) and not is_internal(key)
    with server.test_request_context("/_dash-update-component"), pytest.raises(PreventUpdate):
        scratch(clicks=1, value="x")  # nobody logged in: the function itself refuses too
    assert calls == []


def test_every_registered_callback_has_a_rule_under_the_key_dash_serves(app, logged_in) -> None:
    client = logged_in("viewer")
    served = {c["output"] for c in client.get("/_dash-dependencies").get_json()}
    assert set(app.callback_map) == served
    missing = sorted(k for k in app.callback_map if k not in CALLBACK_ROLES and not is_internal(k))
    assert not missing, f"callbacks without a role rule: {missing}"
    # And no rule sits under a key Dash does not serve (a key format Dash changed would leave them there).
    page_rules = {k for k in CALLBACK_ROLES if SCRATCH not in k}
    assert page_rules <= set(app.callback_map)


def _payload(app, key: str, values: dict[str, Any]) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    spec = app.callback_map[key]

    def item(dep: dict[str, Any]) -> dict[str, Any]:
        return {"id": dep["id"], "property": dep["property"], "value": values.get(f"{dep['id']}.{dep['property']}")}

    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in key.strip(".").split("...") if part]
    return {"output": key, "outputs": outputs, "inputs": [item(d) for d in spec["inputs"]],
            "state": [item(d) for d in spec.get("state", [])],
            "changedPropIds": [f"{d['id']}.{d['property']}" for d in spec["inputs"]]}


def test_a_dict_signature_page_callback_runs_for_its_role_and_is_refused_to_others(app, logged_in) -> None:
    """The surge form's callback, wired by name: an empty form comes back with each problem at its field."""
    key = next(k for k in app.callback_map if "surge-form-message.children" in k)
    viewer = logged_in("viewer")
    viewer.get("/_dash-dependencies")
    refused = viewer.post("/_dash-update-component", json=_payload(app, key, {"surge-form-submit.n_clicks": 1}))
    assert refused.status_code == 403
    planner = logged_in("planner")
    values = {"surge-form-submit.n_clicks": 1, "surge-list-refresh.data": 4, "surge-form-title.value": "x" * 300,
              "surge-form-experts.value": 2}
    answer = planner.post("/_dash-update-component", json=_payload(app, key, values))
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    response = answer.get_json()["response"]
    assert response["surge-list-refresh"]["data"] == 4  # nothing recorded
    assert "surge-form-error" in str(response["surge-form-message"]["children"])
    assert response["surge-form-mission"]["className"] == "is-invalid"
    assert response["surge-form-title"]["invalid"] is True and response["surge-form-title-feedback"]["children"]
    assert response["surge-form-experts"]["invalid"] is False
    assert response["surge-form-experts-feedback"]["children"] is None
