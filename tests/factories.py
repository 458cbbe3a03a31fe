"""The test world and the builders tests share: the pinned baseline's constants, small typed factories of rows
(inside the test's rolled-back transaction), the shipped Natural Earth files and the login helper.

Test modules import from here, never from one another. The baseline every test sees is generated once a run by
``load_demo`` with ``WORLD_TODAY`` and ``WORLD_SEED`` (tests/conftest.py), so it is the same world every day: a
test that asserts a fact of it asks the services about ``WORLD_TODAY``, not about the machine's date. A test
that needs a fact the baseline does not promise builds it with the factories below.
"""

from __future__ import annotations

import io
import re
import secrets
import zipfile
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from sqlalchemy import select
from sqlalchemy.orm import Session

from geo.reference_files import DATA_DIR
from models import (
    Capacity,
    ClearanceType,
    Expert,
    ExpertClearance,
    ExpertLanguage,
    ExpertSkill,
    Mission,
    Skill,
    mission_host_country,
)
from models.enums import ContractType, ExpertStatus, Gender, LanguageLevel, Role
from services.access import Principal
from services.analytics.filters import MapFilter
from services.demo_data import DEFAULT_SEED
from services.experts.roster_import import COLUMNS as ROSTER_COLUMNS
from services.surge.requests import LanguageWanted, RequestForm, SkillWanted

# --- the baseline world ---------------------------------------------------------------------------------
# The day the baseline is generated around (five years of history before it, plans after it) and its seed.
WORLD_TODAY = date(2026, 11, 22)
WORLD_SEED = DEFAULT_SEED
BASELINE_EXPERTS = 80
# The app's pages and API still read the machine's clock (the map's default period, "today" in key figures).
# The baseline's deployments reach WORLD_TODAY + services.demo_data.FUTURE_DAYS (240), so tests that go through
# them hold while the machine's date is within this horizon; test_world.py says when to move WORLD_TODAY.
WORLD_HORIZON_DAYS = 180


def world_filter(**changes: Any) -> MapFilter:
    """The map's default filter (the last twelve months) as it stands on WORLD_TODAY, whose day is WORLD_TODAY."""
    return MapFilter.default(WORLD_TODAY).with_changes(as_of=WORLD_TODAY, **changes)

# --- files ----------------------------------------------------------------------------------------------
# Natural Earth 1:110m countries as the hub ships them (geo/data/naturalearth): no test needs ../shared/data.
NATURAL_EARTH_DIR = DATA_DIR / "naturalearth"
NE = "ne_110m_admin_0_countries"


def shapefile_zip(natural_earth: Path = NATURAL_EARTH_DIR, drop: str | None = None) -> bytes:
    """The countries shapefile zipped as a user would upload it; ``drop``: leave that part (``"shx"``) out."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for ext in ("shp", "shx", "dbf", "prj", "cpg"):
            if ext != drop:
                archive.write(natural_earth / f"{NE}.{ext}", f"countries/ne_countries.{ext}")
    return buffer.getvalue()


# --- web ------------------------------------------------------------------------------------------------
def login(client: Any, username: str, password: str) -> Any:
    """Logs a Flask test client in through the real login form (CSRF token included)."""
    page = client.get("/login").get_data(as_text=True)
    token = re.search(r'name="csrf" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    return client.post("/login", data={"username": username, "password": password, "csrf": token})


def callback_payload(app: Any, key: str, values: dict[str, Any]) -> dict[str, Any]:
    """The body Dash's renderer posts to /_dash-update-component for the callback ``key``, with ``values`` by
    "id.property" (None for the others)."""
    spec = app.callback_map[key]

    def item(dep: dict[str, Any]) -> dict[str, Any]:
        name = f"{dep['id']}.{dep['property']}"
        return {"id": dep["id"], "property": dep["property"], "value": values.get(name)}

    outputs = [{"id": part.split(".")[0], "property": part.split(".")[1]}
               for part in key.strip(".").split("...") if part]
    return {"output": key, "outputs": outputs if len(outputs) > 1 else outputs[0],
            "inputs": [item(d) for d in spec["inputs"]], "state": [item(d) for d in spec.get("state", [])],
            "changedPropIds": [f"{d['id']}.{d['property']}" for d in spec["inputs"]]}


# --- people and surge requests --------------------------------------------------------------------------
# Far enough ahead that no generated deployment or absence reaches it.
START, END = date(2031, 3, 1), date(2031, 4, 29)
# The day surge requests for START are recorded on (a few days before it).
SURGE_TODAY = date(2031, 2, 20)


def person_words(session: Session, *conditions: Any) -> tuple[set[str], list[int]]:
    """What would identify an expert in an answer (full name, a long family name, staff number, email), for the
    experts the conditions select; and their ids."""
    rows = session.execute(select(Expert.id, Expert.given_name, Expert.family_name, Expert.staff_number,
                                  Expert.email).where(*conditions)).all()
    words: set[str] = set()
    for _id, given, family, staff, email in rows:
        words.add(f"{given} {family}")
        if family and len(family) >= 6:  # shorter family names collide with ordinary words and acronyms
            words.add(family)
        if staff:
            words.add(str(staff))
        if email:
            words.add(str(email))
    return words, [row[0] for row in rows]


def planner(session: Session, role: Role = Role.PLANNER) -> Principal:
    from services.users import create_user

    user = create_user(session, f"t-surge-{secrets.token_hex(4)}", role, secrets.token_urlsafe(12))
    session.flush()
    return Principal(user.id, user.username, role)


def mission_id(session: Session) -> int:
    """An active mission with a host country (so the region component has something to match)."""
    host = mission_host_country
    found = session.scalar(select(Mission.id).join(host, host.c.mission_id == Mission.id)
                           .where(Mission.active.is_(True)).order_by(Mission.acronym).limit(1))
    assert found is not None, "the reference data has an active mission with a host country"
    return found


def capacity_id(session: Session, code: str) -> int:
    found = session.scalar(select(Capacity.id).where(Capacity.code == code))
    assert found is not None, code
    return found


def skill(session: Session, code: str, name_fr: str | None = None) -> Skill:
    """A skill no generated expert has, so only hand-made experts score on it."""
    row = Skill(code=f"t_{code}_{secrets.token_hex(3)}", name=f"Test {code}", name_fr=name_fr, area="cross_cutting")
    session.add(row)
    session.flush()
    return row


def expert(session: Session, *, gender: Gender = Gender.FEMALE, skills: dict[int, int] | None = None,
           languages: dict[str, str] | None = None, status: ExpertStatus = ExpertStatus.ACTIVE,
           clearances: dict[str, tuple[date, date | None]] | None = None, nationality: str | None = None,
           capacity: str = "JCSC") -> Expert:
    row = Expert(staff_number=f"T-{secrets.token_hex(5)}", given_name="Test", family_name=secrets.token_hex(4),
                 gender=gender, capacity_id=capacity_id(session, capacity), contract_type=ContractType.FIXED_TERM,
                 status=status, nationality_iso3=nationality)
    session.add(row)
    session.flush()
    for skill_id, level in (skills or {}).items():
        session.add(ExpertSkill(expert_id=row.id, skill_id=skill_id, level=level))
    for code, level in (languages or {"en": "C1"}).items():
        session.add(ExpertLanguage(expert_id=row.id, language_code=code, level=LanguageLevel(level)))
    if clearances is None:  # the default required ones, valid well beyond the test period
        clearances = {"MEDICAL": (date(2030, 1, 1), date(2033, 1, 1)), "SECURITY": (date(2030, 1, 1), None)}
    for code, (obtained, until) in clearances.items():
        type_id = session.scalar(select(ClearanceType.id).where(ClearanceType.code == code))
        session.add(ExpertClearance(expert_id=row.id, clearance_type_id=type_id, obtained_on=obtained,
                                    valid_until=until))
    session.flush()
    return row


def surge_form(session: Session, **changes: Any) -> RequestForm:
    """A valid JCSC request for START .. END: two experts, prison security at level 3 or more, English B2."""
    acronym = session.scalar(select(Mission.acronym).where(Mission.active.is_(True)).order_by(Mission.acronym))
    base: dict[str, Any] = dict(
        mission=acronym, title="Prison security support", wanted_start=START,
        duration_days=(END - START).days + 1, experts_requested=2, capacity="JCSC",
        skills=(SkillWanted("prison_security", 3, 3),), languages=(LanguageWanted("en", "B2"),),
        priority="high", balance_gender=True)
    return RequestForm(**{**base, **changes})


def qualified_expert(session: Session, **kw: Any) -> Expert:
    """A JCSC expert at level 4 in prison security: meets the hard rules of ``surge_form``'s request."""
    skill_id = session.scalar(select(Skill.id).where(Skill.code == "prison_security"))
    assert skill_id is not None
    return expert(session, skills={skill_id: 4}, **kw)


# --- rosters (the roster import's tests and its browser test) ------------------------------------------------
def roster_row(prefix: str, k: int, **overrides: Any) -> dict[str, Any]:
    """A good roster row."""
    return {"staff_number": f"{prefix}{k:05d}", "given_name": f"Given{k}", "family_name": f"Family{k}",
            "gender": "female" if k % 2 else "male", "nationality": "SEN", "capacity": "JCSC",
            "contract_type": "fixed_term", "email": f"{prefix.lower()}{k}@example.org",
            "entry_on_duty": "2021-03-01", "skills": "investigations:4; data_analysis:2",
            "languages": "fr:C1; en:B2", "clearances": "BSAFE:2024-03-01:2027-03-01", **overrides}


def roster_xlsx(rows: Iterable[Mapping[str, Any]], locale: str = "en") -> bytes:
    """A file as a user would write it: plain cells (a text starting with = becomes a formula cell)."""
    book = Workbook()
    sheet = book.active
    sheet.append([c.header(locale) for c in ROSTER_COLUMNS])
    for row in rows:
        sheet.append([row.get(c.field) for c in ROSTER_COLUMNS])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
