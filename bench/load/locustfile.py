"""Many users at once: the hub's realistic mix, for locust (run by bench/load/run.py, or by hand:
``locust -f bench/load/locustfile.py --headless -u 10 -r 5 -t 60s --host http://127.0.0.1:PORT``).

The users, from the file named by HUB_LOAD_USERS (written by run.py: pre-created users, a token, the demo's
missions and regions), log in through the real login form (its CSRF token) and act as the page does:

- leaders move the operations map's filters: the page's ``apply`` callback POSTed to /_dash-update-component
  exactly as the browser sends it (bench/bench_map.py builds the body), and step the day;
- planners rank a surge request's candidates, look at the suggested team, and propose the best candidate with the
  request's ETag (a 409 or 412 when another planner changed it meanwhile is the hub's correct answer, counted
  apart as "proposal refused"); they also record an expert's absence and correct its note later, through the
  experts' records API with If-Match (refusals counted apart as "absence refused");
- a GIS editor imports a small GeoJSON layer through the layers page's import callback;
- briefers download the briefing pack (PPTX);
- API clients page through deployments, and now and then experts or grants, with a personal access token.
"""

from __future__ import annotations

import base64
import json
import os
import random
import re
import secrets
from datetime import date, timedelta
from typing import Any

from locust import HttpUser, between, task

from bench.bench_map import combinations, control_values, payload
from bench.load.local_servers import retry_once_on_reset

_CONFIG: dict[str, Any] | None = None


def browser_like(user: HttpUser) -> None:
    retry_once_on_reset(user.client)


def config() -> dict[str, Any]:
    global _CONFIG  # read once per locust process
    if _CONFIG is None:
        with open(os.environ["HUB_LOAD_USERS"], encoding="utf-8") as f:
            _CONFIG = json.load(f)
    return _CONFIG


def _dependency(deps: list[dict[str, Any]], output: str) -> dict[str, Any]:
    return next(d for d in deps if output in d["output"])


def _with_state(body: dict[str, Any], dep: dict[str, Any], values: dict[tuple[str, str], Any]) -> dict[str, Any]:
    body["state"] = [{"id": s["id"], "property": s["property"], "value": values.get((s["id"], s["property"]))}
                     for s in dep.get("state", [])]
    return body


class _LoggedIn(HttpUser):
    abstract = True
    role = ""
    wait_time = between(1, 4)  # a person reads what came back before the next click

    def on_start(self) -> None:
        browser_like(self)
        username, password = config()["users"][self.role]
        page = self.client.get("/login", name="login page").text
        token = re.search(r'name="csrf" value="([^"]+)"', page)
        with self.client.post("/login", data={"username": username, "password": password,
                                              "csrf": token.group(1) if token else ""},
                              allow_redirects=False, name="login", catch_response=True) as answer:
            if answer.status_code != 302:
                answer.failure(f"login answered {answer.status_code}")

    def callback(self, body: dict[str, Any], name: str, check: str) -> dict[str, Any] | None:
        with self.client.post("/_dash-update-component", json=body, name=name, catch_response=True) as answer:
            if answer.status_code != 200:
                answer.failure(f"{answer.status_code}: {answer.text[:200]}")
                return None
            response = answer.json().get("response", {})
            if check not in response:
                answer.failure(f"no {check} in the answer")
                return None
            return response


class Leader(_LoggedIn):
    """A leader on /map, changing filters and stepping the day."""

    role = "viewer"
    weight = 4

    def on_start(self) -> None:
        super().on_start()
        self.client.get("/map", name="map page")
        deps = self.client.get("/_dash-dependencies", name="dash dependencies").json()
        self.dep = _dependency(deps, "..map-places.data...")
        self.downloads = [{"chart": c, "format": f, "type": "map-download"}
                          for c in ("missions", "availability", "gender", "funding") for f in ("csv", "xlsx")]
        seed = random.randrange(1 << 30)
        self.states = combinations(config()["missions"], config()["regions"], 40, date.today())
        random.Random(seed).shuffle(self.states)

    def _post(self, values: dict[tuple[str, str], Any], changed: str, name: str) -> None:
        response = self.callback(payload(self.dep, values, self.downloads, changed), name, "map-places")
        if response and response.get("map-error", {}).get("is_open"):
            self.environment.events.request.fire(request_type="POST", name=f"{name} (error shown)",
                                                 response_time=0, response_length=0,
                                                 exception=RuntimeError(str(response["map-error"])))

    @task(3)
    def change_filter(self) -> None:
        self._post(control_values(random.choice(self.states)), "map-mission.value", "map filter change")

    @task(1)
    def step_day(self) -> None:
        state = random.choice(self.states)
        values = control_values(state)
        values[("map-as-of", "value")] = random.randrange((state["end"] - state["start"]).days + 1)
        self._post(values, "map-as-of.value", "map day step")


class Planner(_LoggedIn):
    """A planner ranking a surge request's candidates and proposing one."""

    role = "planner"
    weight = 2

    def on_start(self) -> None:
        super().on_start()
        found = self.client.get("/api/v1/surge-requests", params={"limit": 200}, name="surge requests").json()
        self.requests = [str(r["id"]) for r in found.get("items", [])
                         if r.get("status") in ("received", "under_review", "candidates_proposed")]
        listed = self.client.get("/api/v1/experts", params={"limit": 200}, name="api experts page").json()
        self.experts = [e["id"] for e in listed.get("items", [])]
        self.absences: list[tuple[int, int]] = []  # (expert, absence) this planner recorded

    @task(4)
    def rank(self) -> None:
        if not self.requests:
            return
        weights = {"skills": round(random.uniform(0.5, 3), 1), "region": round(random.uniform(0.5, 3), 1)}
        self.client.get(f"/api/v1/surge-requests/{random.choice(self.requests)}/candidates",
                        params={"limit": 20, **weights}, name="candidate ranking")

    @task(1)
    def suggested_team(self) -> None:
        if self.requests:
            self.client.get(f"/api/v1/surge-requests/{random.choice(self.requests)}/proposals",
                            name="suggested team")

    @task(1)
    def propose(self) -> None:
        if not self.requests:
            return
        key = random.choice(self.requests)
        ranked = self.client.get(f"/api/v1/surge-requests/{key}/candidates", params={"limit": 3},
                                 name="candidate ranking").json().get("items", [])
        if not ranked:
            return
        # A write names the version it was made against (If-Match the request's ETag), as any API client must.
        etag = self.client.get(f"/api/v1/surge-requests/{key}", name="surge request").headers.get("ETag", "")
        with self.client.post(f"/api/v1/surge-requests/{key}/proposals", name="proposal", catch_response=True,
                              headers={"If-Match": etag},
                              json={"expert_ids": [ranked[0]["expert_id"]], "role": "load test"}) as answer:
            if answer.status_code in (409, 412):  # another planner proposed or moved the request meanwhile
                answer.success()
                self.environment.events.request.fire(request_type="POST", name="proposal refused (409/412)",
                                                     response_time=answer.elapsed.total_seconds() * 1000,
                                                     response_length=0, exception=None)

    def _refused(self, answer: Any, what: str) -> None:
        """Another planner changed the expert meanwhile (409/412), or the days overlap an absence (422): the
        hub's correct answers, counted apart."""
        if answer.status_code in (409, 412, 422):
            answer.success()
            self.environment.events.request.fire(request_type=answer.request.method, name=f"{what} refused",
                                                 response_time=answer.elapsed.total_seconds() * 1000,
                                                 response_length=0, exception=None)

    def _etag(self, expert: int) -> str:
        return self.client.get(f"/api/v1/experts/{expert}", name="expert read").headers.get("ETag", "")

    @task(1)
    def add_absence(self) -> None:
        if not self.experts:
            return
        expert = random.choice(self.experts)
        start = date(2030, 1, 1) + timedelta(days=random.randrange(3650))  # far ahead: few overlaps
        body = {"kind": random.choice(["leave", "training", "other"]), "start_date": start.isoformat(),
                "end_date": (start + timedelta(days=random.randrange(1, 5))).isoformat(), "note": "load test"}
        with self.client.post(f"/api/v1/experts/{expert}/absences", name="absence add", catch_response=True,
                              headers={"If-Match": self._etag(expert)}, json=body) as answer:
            if answer.status_code == 201:
                added = [a["id"] for a in answer.json()["absences"] if a["start_date"] == body["start_date"]]
                self.absences += [(expert, added[0])] if added else []
            self._refused(answer, "absence")

    @task(1)
    def edit_absence(self) -> None:
        if not self.absences:
            return
        expert, absence = random.choice(self.absences)
        with self.client.patch(f"/api/v1/experts/{expert}/absences/{absence}", name="absence edit",
                               catch_response=True, headers={"If-Match": self._etag(expert)},
                               json={"note": f"load test, seen {secrets.token_hex(3)}"}) as answer:
            self._refused(answer, "absence")


SMALL_LAYER = {"type": "FeatureCollection", "features": [
    {"type": "Feature", "properties": {"name": f"site {i}", "kind": "camp"},
     "geometry": {"type": "Point", "coordinates": [20 + i * 0.5, 5 + i * 0.25]}} for i in range(25)]}


class GisEditor(_LoggedIn):
    """A GIS editor importing a small layer through the layers page."""

    role = "gis"
    weight = 1

    def on_start(self) -> None:
        super().on_start()
        deps = self.client.get("/_dash-dependencies", name="dash dependencies").json()
        self.dep = next(d for d in deps if any(i["id"] == "layers-import" for i in d["inputs"]))
        self.contents = "data:application/geo+json;base64," + base64.b64encode(
            json.dumps(SMALL_LAYER).encode()).decode()

    @task
    def import_layer(self) -> None:
        values: dict[tuple[str, str], Any] = {
            ("layers-import", "n_clicks"): 1, ("layers-upload", "contents"): self.contents,
            ("layers-upload", "filename"): "sites.geojson",
            ("layers-title", "value"): f"Load test sites {secrets.token_hex(4)}",
            ("layers-repair", "value"): False, ("layers-refresh", "data"): {"n": 0},
        }
        body = _with_state(payload(self.dep, values, [], "layers-import.n_clicks"), self.dep, values)
        with self.client.post("/_dash-update-component", json=body, name="layer import",
                              catch_response=True) as answer:
            if answer.status_code != 200 or '"success"' not in answer.text:
                answer.failure(f"{answer.status_code}: {answer.text[:300]}")


class Briefer(_LoggedIn):
    role = "briefing"
    weight = 1
    wait_time = between(3, 8)  # a pack is read before the next one

    @task
    def download_pack(self) -> None:
        with self.client.get("/briefing/pack.pptx", name="briefing pack", catch_response=True) as answer:
            if answer.status_code != 200 or not answer.content.startswith(b"PK"):
                answer.failure(f"{answer.status_code}: not a PPTX")


class ApiClient(HttpUser):
    """A system paging through deployments (and now and then experts or grants) with a personal access token."""

    weight = 2
    wait_time = between(0.5, 2)

    def on_start(self) -> None:
        browser_like(self)
        self.client.headers["Authorization"] = f"Bearer {config()['token']}"
        self.total = self.client.get("/api/v1/deployments", params={"limit": 1},
                                     name="api deployments page").json().get("total", 0)

        self.experts = self.client.get("/api/v1/experts", params={"limit": 1},
                                       name="api experts page").json().get("total", 0)

    @task(4)
    def page(self) -> None:
        limit = 100
        offset = random.randrange(max(1, self.total - limit + 1)) if self.total > limit else 0
        self.client.get("/api/v1/deployments", params={"limit": limit, "offset": offset},
                        name="api deployments page")

    @task(1)
    def experts_page(self) -> None:
        limit = 50
        offset = random.randrange(max(1, self.experts - limit + 1)) if self.experts > limit else 0
        self.client.get("/api/v1/experts", params={"limit": limit, "offset": offset}, name="api experts page")

    @task(1)
    def grants(self) -> None:
        self.client.get("/api/v1/funding/grants", name="api grants page")

