"""The generated (demo) data set: experts, deployments, surge requests, funding, projects, assessments, lessons.

No public source has standing-capacity experts or their deployments, so these are generated, flagged
``is_generated = true`` and tied to the real missions, countries and Geo-PKO sites ``load_reference`` loaded.
Generation is deterministic: the same seed and ``today`` give the same rows (ids aside). Rows go in with
PostgreSQL COPY in the caller's transaction, so 10,000 experts and 100,000 deployments load in seconds.
"""

from __future__ import annotations

import io
import time
import unicodedata
import zlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
import pandas as pd
import shapely
from psycopg import sql
from shapely.geometry import Point
from sqlalchemy import CursorResult, delete, exists, func, or_, select, text
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from geo.reference_files import ReferencePaths, read_contributions, read_countries
from models import (
    Allocation,
    Assessment,
    Capacity,
    ClearanceType,
    Country,
    DataLoad,
    Deployment,
    Donor,
    ExchangeRate,
    Expenditure,
    Expert,
    Fund,
    Grant,
    Lesson,
    Mission,
    Project,
    Recommendation,
    Site,
    Skill,
    SurgeRequest,
    Team,
    Unavailability,
    User,
    mission_host_country,
)
from models.enums import (
    AssessmentKind,
    ContractType,
    DeploymentKind,
    DeploymentStatus,
    ExpenditureCategory,
    ExpertStatus,
    FundType,
    Gender,
    MilestoneStatus,
    MissionType,
    Priority,
    ProjectStatus,
    RecommendationStatus,
    ResultLevel,
    SiteKind,
    SurgeStatus,
    UnavailabilityKind,
)
from services.errors import Conflict, HubError
from services.reference_data import assign_site_countries
from services.surge.matching import DEFAULT_REQUIRED_CLEARANCES

DEFAULT_SEED = 20261122
YEARS = 5
FUTURE_DAYS = 240  # planned deployments reach this far past today
SHARE_WOMEN = 0.30  # standing capacities aim well above the 6-7% of uniformed contributions
EPOCH = np.datetime64("1970-01-01", "D")


class DemoDataError(HubError):
    """The demo data set cannot be generated (for example: the reference data is not loaded)."""


class DemoDataExists(Conflict):
    """Generated rows are already there; pass replace=True to delete them and generate again."""


@dataclass
class DemoReport:
    seed: int
    today: date
    counts: dict[str, int] = field(default_factory=dict)
    replaced: int = 0
    seconds: float = 0.0


# --- fixed vocabularies of the generator (obviously generated, multicultural) ---------------------------
GIVEN_FEMALE = [
    "Amina", "Fatou", "Aisha", "Grace", "Mariam", "Nadia", "Chiara", "Ingrid", "Sofia", "Ana", "Priya", "Mei",
    "Yuki", "Olga", "Leila", "Zainab", "Esther", "Hannah", "Camille", "Lucía", "Adjoa", "Nomvula", "Farida",
    "Sunita", "Linh", "Rania", "Hélène", "Marta", "Awa", "Kamala", "Elif", "Svetlana", "Wanjiru", "Dilnoza",
]
GIVEN_MALE = [
    "Mohamed", "Ibrahim", "Jean", "Pierre", "Samuel", "David", "Luca", "Marco", "Lars", "Erik", "Rajesh",
    "Arjun", "Wei", "Hiroshi", "Dmitri", "Omar", "Youssef", "Kwame", "Kofi", "Thabo", "Carlos", "José",
    "Mamadou", "Moussa", "Tariq", "Bilal", "François", "Étienne", "Nguyen", "Emre", "Abebe", "Juan", "Rahul",
]
FAMILY = [
    "Diallo", "Traoré", "Mensah", "Okafor", "Kamau", "Mwangi", "Haile", "Tesfaye", "Ndiaye", "Sow", "Rossi",
    "Bianchi", "Hansen", "Johansson", "Müller", "Dubois", "Lefèvre", "García", "Fernández", "Silva", "Santos",
    "Sharma", "Singh", "Khan", "Rahman", "Ahmed", "Hassan", "Wang", "Li", "Chen", "Tanaka", "Kim", "Ivanov",
    "Petrova", "Nkurunziza", "Mbeki", "Osei", "Boateng", "Yilmaz", "Haddad", "Karimi", "Thapa", "Gurung",
    "Kouassi", "Kaboré", "Cissé", "O'Neill", "Novak", "Kowalski", "Nguyen",
]
ROLES = {
    "SPC": ["Police Reform Adviser", "Community-Oriented Policing Adviser", "Investigations Adviser",
            "Police Planning Officer", "Public Order Management Adviser", "Police Gender Adviser",
            "Police Information Analyst", "Acting Deputy Police Commissioner", "Police Training Coordinator",
            "Police Technology Adviser"],
    "JCSC": ["Judicial Affairs Officer", "Corrections Adviser", "Prison Security Adviser",
             "Rule of Law Planning Officer", "Legal Adviser", "Justice Sector Adviser",
             "Criminal Law Reform Adviser", "Prison Management Adviser"],
}
TITLES = {
    "SPC": {"P-3": "Police Officer", "P-4": "Senior Police Officer", "P-5": "Chief of Team (Police)",
            "D-1": "Chief, Standing Police Capacity", "FS-6": "Police Information Assistant"},
    "JCSC": {"P-3": "Rule of Law Officer", "P-4": "Senior Judicial Affairs Officer",
             "P-5": "Chief of Team (Justice and Corrections)",
             "D-1": "Chief, Justice and Corrections Standing Capacity",
             "FS-6": "Programme Assistant"},
}
# Missions with large police, justice and corrections components draw more deployments.
MISSION_WEIGHTS = {
    "MINUSCA": 10, "MONUSCO": 9, "UNMISS": 9, "MINUSMA": 8, "UNAMID": 6, "MINUSTAH": 6, "MINUJUSTH": 4,
    "UNMIL": 5, "UNOCI": 5, "UNMIK": 4, "BINUH": 5, "UNSMIL": 3, "UNAMA": 3, "UNAMI": 2, "UNTMIS": 3,
    "UNVMC": 2, "UNISFA": 3, "UNMIT": 3, "UNFICYP": 1, "UNIFIL": 1,
}
FRANCOPHONE_MISSIONS = {"MINUSCA", "MONUSCO", "MINUSMA", "MINUSTAH", "MINUJUSTH", "BINUH", "UNOCI", "MONUC",
                        "ONUB", "BINUB", "UNOCA", "UNOWAS", "MINURCAT", "MINURCA", "MINUCI", "MIPONUH"}
ARABIC_MISSIONS = {"UNSMIL", "UNAMI", "UNAMID", "UNSCOL", "UNMHA", "OSESGY", "OSES-Syria", "UNISFA", "MINURSO"}
MOTHER_TONGUE = {
    "FRA": "fr", "BEL": "fr", "SEN": "fr", "CIV": "fr", "BFA": "fr", "NER": "fr", "TGO": "fr", "BEN": "fr",
    "CMR": "fr", "GIN": "fr", "TCD": "fr", "MLI": "fr", "COD": "fr", "COG": "fr", "MDG": "fr", "BDI": "fr",
    "RWA": "fr", "GAB": "fr", "HTI": "fr", "EGY": "ar", "MAR": "ar", "TUN": "ar", "JOR": "ar", "DZA": "ar",
    "SDN": "ar", "YEM": "ar", "ESP": "es", "ARG": "es", "URY": "es", "MEX": "es", "COL": "es", "PER": "es",
    "CHL": "es", "SLV": "es", "GTM": "es", "BRA": "pt", "PRT": "pt", "MOZ": "pt", "AGO": "pt", "CHN": "zh",
    "RUS": "ru", "KEN": "sw", "TZA": "sw", "ITA": "it", "DEU": "de", "IND": "hi", "BGD": "bn", "PAK": "ur",
    "NPL": "ne", "ETH": "am", "TUR": "tr", "GBR": "en", "USA": "en", "CAN": "en", "AUS": "en", "IRL": "en",
    "NGA": "en", "GHA": "en", "ZMB": "en", "ZWE": "en", "UGA": "en", "SLE": "en", "LBR": "en", "GMB": "en",
}
DONORS = [  # real member states as donors; the grants themselves are generated
    ("Germany", "DEU", "EUR"), ("Norway", "NOR", "USD"), ("Netherlands", "NLD", "EUR"), ("Sweden", "SWE", "USD"),
    ("Canada", "CAN", "USD"), ("United Kingdom", "GBR", "USD"), ("Japan", "JPN", "USD"), ("Italy", "ITA", "EUR"),
    ("Switzerland", "CHE", "USD"), ("Denmark", "DNK", "USD"), ("Finland", "FIN", "EUR"), ("Ireland", "IRL", "EUR"),
    ("Republic of Korea", "KOR", "USD"), ("Australia", "AUS", "USD"), ("France", "FRA", "EUR"),
]
FUNDS = [
    ("RB-SUPPORT", "Regular budget: support account for peacekeeping operations", FundType.REGULAR),
    ("XB-ROL", "Extrabudgetary: rule of law and security institutions trust fund", FundType.EXTRABUDGETARY),
    ("XB-POLICE", "Extrabudgetary: police capacity-building trust fund", FundType.EXTRABUDGETARY),
    ("PSC", "Programme support: support costs charged on extrabudgetary spending", FundType.PROGRAMME_SUPPORT),
]
# USD per unit in the demo's first month; each later month drifts a little, so that the rate of the month matters.
DEMO_RATES = {"EUR": 1.08, "GBP": 1.27, "CHF": 1.13, "NOK": 0.094, "SEK": 0.096, "DKK": 0.145, "CAD": 0.73,
              "JPY": 0.0067, "AUD": 0.66}
PROJECT_TOPICS = {
    "SPC": ["Strengthening community-oriented policing", "Support to SGBV investigation units",
            "Police information management system", "Public order management training",
            "Forensic capacity development", "Police strategic development plan"],
    "JCSC": ["Prison security and management support", "Support to the Special Criminal Court",
             "Case-flow management and pre-trial detention", "Strengthening military justice",
             "Legal drafting support to the ministry of justice", "Rehabilitation programmes in prisons"],
}
PROJECT_TOPICS_FR = {
    "Strengthening community-oriented policing": "Renforcement de la police de proximité",
    "Support to SGBV investigation units": "Appui aux unités d'enquête sur les violences sexuelles et sexistes",
    "Police information management system": "Système de gestion de l'information de la police",
    "Public order management training": "Formation au maintien de l'ordre public",
    "Forensic capacity development": "Développement des capacités de police scientifique",
    "Police strategic development plan": "Plan de développement stratégique de la police",
    "Prison security and management support": "Appui à la sécurité et à la gestion des prisons",
    "Support to the Special Criminal Court": "Appui à la Cour pénale spéciale",
    "Case-flow management and pre-trial detention": "Gestion du flux des affaires et détention provisoire",
    "Strengthening military justice": "Renforcement de la justice militaire",
    "Legal drafting support to the ministry of justice": "Appui à la rédaction juridique au ministère de la Justice",
    "Rehabilitation programmes in prisons": "Programmes de réinsertion dans les prisons",
}
# DAC 5 purpose codes: police work is security system reform, justice and corrections legal and judicial development.
PROJECT_SECTORS = {"SPC": "15210", "JCSC": "15130"}
ACTIVITY_KINDS = ["workshop", "mentoring", "assessment", "training course", "equipment handover", "study visit"]
SITE_LABELS = ["Police training centre", "Central prison", "Regional police station", "Court of first instance",
               "Police academy", "Corrections training school"]
FEEDBACK = ["Timely and highly relevant support.", "Excellent knowledge of the national context.",
            "Deliverables handed over as agreed.", "Would request the same expert again.",
            "Support ended before the handover was complete.", "Strong coordination with the mission's components."]
ASSESSMENT_TITLES = {
    AssessmentKind.PRE_DEPLOYMENT_VISIT: "Pre-deployment visit of a formed police unit",
    AssessmentKind.FPU_VERIFICATION_VISIT: "Verification visit of a formed police unit",
    AssessmentKind.INDIVIDUAL_POLICE_ASSESSMENT: "Assessment for mission service of individual police officers",
    AssessmentKind.TECHNOLOGY_NEEDS: "Police technology needs assessment",
    AssessmentKind.MISSION_MANAGER_VISIT: "Mission-manager visit",
    AssessmentKind.STANDING_CAPACITY: "Assessment of standing capacity support",
}
RECOMMENDATIONS = [
    ("training", "Deliver refresher training on public order management before rotation."),
    ("equipment", "Replace non-compliant communications equipment identified during the visit."),
    ("gender", "Increase the share of women officers in the unit to the mission target."),
    ("procedures", "Adopt standard operating procedures for crime scene management."),
    ("data", "Record arrests and detentions in the mission's case-tracking database within 48 hours."),
    ("technology", "Deploy the incident reporting application to all team sites."),
    ("human_rights", "Screen all personnel against the human rights screening policy."),
    ("corrections", "Separate pre-trial detainees from convicted prisoners in the central prison."),
    ("justice", "Establish a case-flow committee to reduce prolonged pre-trial detention."),
    ("planning", "Align the police development plan with the mission's mandate priorities."),
]
RESPONSIBLE = ["Police Component", "Justice and Corrections Section", "Mission Support Division",
               "Police-contributing country", "Host-State national police", "Ministry of Justice",
               "Standing Police Capacity", "Justice and Corrections Standing Capacity"]
# (language, title, body, tags, mission acronym or None, capacity code)
LESSONS: list[tuple[str, str, str, list[str], str | None, str]] = [
    ("en", "Deploying within three days: what made it possible",
     "Pre-cleared rosters, valid medical and security clearances and a standing travel authorization let the "
     "team reach the mission within three days of the request.", ["surge", "rapid deployment"], "MINUSCA", "JCSC"),
    ("en", "Community-oriented policing in displacement sites",
     "Joint patrols with community protection committees reduced incidents when patrol times were agreed with "
     "women's groups.", ["community policing", "gender", "protection"], "UNMISS", "SPC"),
    ("en", "Handing over a police information system",
     "Handover succeeded where national counterparts co-owned the data dictionary from the start; train "
     "administrators before users.", ["technology", "handover", "data"], "MONUSCO", "SPC"),
    ("en", "Prison security assessments need the night shift",
     "Most escape risks were visible only during night rounds; schedule at least one night visit.",
     ["corrections", "prison security", "assessment"], "MINUSCA", "JCSC"),
    ("en", "Special Criminal Court: sequencing support",
     "Support to investigations before courtroom infrastructure avoided an idle court; sequence by case readiness.",
     ["justice", "accountability"], "MINUSCA", "JCSC"),
    ("en", "Gender-responsive SGBV investigation units",
     "Units with women investigators and private interview rooms recorded twice as many complaints.",
     ["gender", "SGBV", "investigations"], "MONUSCO", "SPC"),
    ("en", "Mission start-up: the first ninety days",
     "A start-up team with planning, logistics and police reform profiles set up the police component faster "
     "than sequential deployments.", ["start-up", "planning"], None, "SPC"),
    ("en", "Transition planning with the UN country team",
     "Joint transition plans with the country team kept rule-of-law programmes funded after the mission's drawdown.",
     ["transition", "rule of law"], "UNMIL", "JCSC"),
    ("en", "Remote support when access is restricted",
     "Secure video coaching kept mentoring going during movement restrictions, but could not replace site visits.",
     ["remote support", "technology"], "UNSMIL", "SPC"),
    ("en", "Data quality in deployment records",
     "Monthly reconciliation of deployment dates with travel records removed duplicate and overlapping entries.",
     ["data quality", "performance"], None, "SPC"),
    ("en", "Pre-deployment visits to formed police units",
     "Checking equipment against the memorandum of understanding before deployment avoided costly repatriation.",
     ["formed police units", "assessment"], None, "SPC"),
    ("en", "Legal drafting with national ownership",
     "Drafting workshops led by national legislators produced laws that passed; external drafts stalled.",
     ["legal drafting", "justice"], "BINUH", "JCSC"),
    ("en", "Mission-manager visits: focus on decisions",
     "Visits ending with a short list of decisions and owners were followed up twice as often.",
     ["mission management", "recommendations"], "UNMISS", "SPC"),
    ("en", "Prison rehabilitation programmes",
     "Vocational training linked to local employers reduced reoffending among released prisoners.",
     ["corrections", "rehabilitation"], "MONUSCO", "JCSC"),
    ("en", "Technology needs assessments",
     "Start from the processes, not the tools: map how reports move before proposing software.",
     ["technology", "assessment"], "MINUSCA", "SPC"),
    ("fr", "Déploiement rapide : les conditions de la réussite",
     "Des habilitations de sécurité et médicales à jour ont permis à l'équipe d'arriver à Bangui en moins de "
     "trois jours après la demande.", ["déploiement rapide", "renfort"], "MINUSCA", "JCSC"),
    ("fr", "Police de proximité et comités locaux de sécurité",
     "Les patrouilles conjointes avec les comités locaux ont amélioré la confiance, surtout là où les femmes "
     "étaient représentées.", ["police de proximité", "genre"], "MONUSCO", "SPC"),
    ("fr", "Sécurité pénitentiaire : l'évaluation des risques d'évasion",
     "Les évaluations menées de jour sous-estimaient les risques ; une visite nocturne s'impose.",
     ["sécurité pénitentiaire", "évaluation"], "MINUSCA", "JCSC"),
    ("fr", "Appui à la Cour pénale spéciale",
     "Le séquençage de l'appui selon l'état d'avancement des dossiers a évité l'engorgement des audiences.",
     ["justice", "responsabilité pénale"], "MINUSCA", "JCSC"),
    ("fr", "Enquêtes sur les violences sexuelles : unités spécialisées",
     "Des enquêtrices formées et des salles d'audition adaptées ont doublé le nombre de plaintes enregistrées.",
     ["violences sexuelles", "enquêtes", "genre"], "MONUSCO", "SPC"),
    ("fr", "Transition et passation aux autorités nationales",
     "Une planification conjointe avec l'équipe de pays a préservé le financement des programmes d'état de droit.",
     ["transition", "état de droit"], "MINUSTAH", "JCSC"),
    ("fr", "Qualité des données de déploiement",
     "Le rapprochement mensuel des dates de déploiement et des voyages a éliminé les doublons.",
     ["qualité des données", "performance"], None, "SPC"),
    ("fr", "Gestion de l'ordre public lors des élections",
     "La formation conjointe des unités de police constituées et de la police nationale a réduit l'usage de la force.",
     ["ordre public", "élections"], "MINUSMA", "SPC"),
    ("fr", "Réforme du droit pénal : l'appropriation nationale",
     "Les ateliers de rédaction menés par les parlementaires ont abouti à des textes adoptés.",
     ["rédaction législative", "réforme"], "BINUH", "JCSC"),
    ("fr", "Détention provisoire prolongée",
     "Un comité de suivi des dossiers a réduit de moitié la durée moyenne de la détention provisoire.",
     ["détention", "justice pénale"], "MINUSCA", "JCSC"),
    ("fr", "Démarrage de mission : les quatre-vingt-dix premiers jours",
     "Une équipe de démarrage pluridisciplinaire a mis en place la composante police plus vite.",
     ["démarrage", "planification"], None, "SPC"),
    ("fr", "Technologies policières : partir des processus",
     "Cartographier la circulation des rapports avant de proposer un logiciel a évité des achats inutiles.",
     ["technologie", "évaluation des besoins"], "MINUSMA", "SPC"),
    ("fr", "Visites du gestionnaire de mission",
     "Les visites conclues par une liste de décisions et de responsables ont été mieux suivies.",
     ["gestion de mission", "recommandations"], "MONUSCO", "SPC"),
    ("fr", "Réinsertion des détenus",
     "La formation professionnelle liée aux employeurs locaux a réduit la récidive à la sortie de prison.",
     ["réinsertion", "système pénitentiaire"], "MINUSCA", "JCSC"),
    ("fr", "Appui à distance en période de restrictions",
     "Le mentorat par visioconférence sécurisée a maintenu le lien, sans remplacer les visites de terrain.",
     ["appui à distance", "technologie"], "BINUH", "SPC"),
]


# --- small helpers ----------------------------------------------------------------------------------------
def _rng(seed: int, stream: str) -> np.random.Generator:
    # One independent stream per section: more deployments never changes who the experts are.
    return np.random.default_rng([seed, zlib.crc32(stream.encode())])


def _days(values: np.ndarray | Sequence[date]) -> np.ndarray:
    return (np.asarray(values, dtype="datetime64[D]") - EPOCH).astype(np.int64)


def _d(day: int) -> date:
    return date(1970, 1, 1) + timedelta(days=int(day))


def _date_col(days: np.ndarray, mask: np.ndarray | None = None) -> pd.Series:
    out = pd.Series((EPOCH + np.asarray(days, dtype=np.int64)).astype(str), dtype=object)
    if mask is not None:
        out[~mask] = None
    return out


def _money(values: np.ndarray) -> np.ndarray:
    return np.char.mod("%.2f", np.round(np.asarray(values, dtype=float), 2))


def _ascii(text_: str) -> str:
    return unicodedata.normalize("NFKD", text_).encode("ascii", "ignore").decode().lower().replace("'", "")


def _reserve_ids(session: Session, table: str, n: int) -> np.ndarray:
    """Ids from the table's own sequence, so COPY can write parents and children in one go."""
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    rows = session.execute(
        text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"), {"t": table, "n": n}
    ).scalars().all()
    return np.asarray(rows, dtype=np.int64)


def _copy(session: Session, table: str, frame: pd.DataFrame) -> int:
    """COPY a DataFrame into a table (CSV: empty unquoted field = NULL), inside the session's transaction."""
    if frame.empty:
        return 0
    buffer = io.StringIO()
    frame.to_csv(buffer, header=False, index=False, na_rep="")
    dbapi = session.connection().connection.driver_connection
    statement = sql.SQL("COPY {} ({}) FROM STDIN WITH (FORMAT csv)").format(
        sql.Identifier(table), sql.SQL(", ").join(sql.Identifier(c) for c in frame.columns))
    with dbapi.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
        copy.write(buffer.getvalue())
    return len(frame)


def _nullable_ids(values: np.ndarray) -> pd.arrays.IntegerArray:
    """Ids with 0 meaning none, as a nullable integer column (COPY needs "12", never "12.0")."""
    return pd.arrays.IntegerArray(np.asarray(values, dtype=np.int64), np.asarray(values) == 0)


def _group_starts(groups: np.ndarray) -> np.ndarray:
    """For a sorted group array: True where a new group begins."""
    first = np.ones(len(groups), dtype=bool)
    first[1:] = groups[1:] != groups[:-1]
    return first


def _cumsum_by_group(values: np.ndarray, groups: np.ndarray) -> np.ndarray:
    total = np.cumsum(values)
    starts = np.flatnonzero(_group_starts(groups))
    offset = np.repeat(np.concatenate([[0], total[starts[1:] - 1]]), np.diff(np.append(starts, len(values))))
    running: np.ndarray = total - offset  # numpy types array arithmetic as Any
    return running


# --- reference context ------------------------------------------------------------------------------------
@dataclass
class _Context:
    today: int
    capacity_ids: dict[str, int]
    teams: dict[str, list[int]]
    skills: pd.DataFrame  # id, code, name, area
    clearances: pd.DataFrame  # id, code, validity_months
    missions: pd.DataFrame  # id, acronym, type, start, end, active, lon, lat, host, hq_city
    sites: pd.DataFrame  # id, mission_id, first_year, last_year
    countries: set[str]
    country_names: dict[str, str]


def _context(session: Session, today: date) -> _Context:
    capacity_ids = dict(session.execute(select(Capacity.code, Capacity.id)).all())
    if not {"SPC", "JCSC"} <= set(capacity_ids):
        raise DemoDataError("The reference data is not loaded: run load_reference(session) first.")
    teams: dict[str, list[int]] = {}
    for code, team_id in session.execute(
            select(Capacity.code, Team.id).join(Team, Team.capacity_id == Capacity.id).order_by(Team.name)):
        teams.setdefault(code, []).append(team_id)
    skills = pd.DataFrame(session.execute(select(Skill.id, Skill.code, Skill.name, Skill.area).order_by(Skill.code))
                          .all(), columns=["id", "code", "name", "area"])
    clearances = pd.DataFrame(session.execute(
        select(ClearanceType.id, ClearanceType.code, ClearanceType.validity_months).order_by(ClearanceType.code)
    ).all(), columns=["id", "code", "validity_months"])
    host = (select(mission_host_country.c.country_iso3).where(mission_host_country.c.mission_id == Mission.id)
            .order_by(mission_host_country.c.country_iso3).limit(1).scalar_subquery())
    missions = pd.DataFrame(session.execute(
        select(Mission.id, Mission.acronym, Mission.mission_type, Mission.start_date, Mission.end_date, Mission.active,
               func.ST_X(Mission.hq), func.ST_Y(Mission.hq), host, Mission.hq_city).order_by(Mission.acronym)
    ).all(), columns=["id", "acronym", "type", "start", "end", "active", "lon", "lat", "host", "hq_city"])
    if missions.empty or skills.empty:
        raise DemoDataError("The reference data is not loaded: run load_reference(session) first.")
    sites = pd.DataFrame(session.execute(
        select(Site.id, Site.mission_id, Site.first_year, Site.last_year)
        .join(Mission, Mission.id == Site.mission_id)
        .where(Site.is_generated.is_(False)).order_by(Mission.acronym, Site.name)
    ).all(), columns=["id", "mission_id", "first_year", "last_year"])
    country_rows = session.execute(select(Country.iso3, Country.name)).all()
    return _Context(today=int(_days([today])[0]), capacity_ids=capacity_ids, teams=teams, skills=skills,
                    clearances=clearances, missions=missions, sites=sites,
                    countries={r[0] for r in country_rows}, country_names=dict(country_rows))


# --- experts ----------------------------------------------------------------------------------------------
def _nationality_mix(ctx: _Context) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nationalities weighted by real uniformed contributions; the share of women shaped by country."""
    paths = ReferencePaths.under()
    contributions = read_contributions(paths.contributions, read_countries(paths.countries))
    contributions = contributions[contributions.iso3.isin(ctx.countries)].reset_index(drop=True)
    total = (contributions.female + contributions.male).to_numpy()
    weights = total / total.sum()
    share = (contributions.female / (contributions.female + contributions.male)).to_numpy()
    # Keep the ranking of countries by women's share, but centred on the capacities' own target.
    p_female = np.clip(SHARE_WOMEN * np.sqrt((share + 0.01) / (np.average(share, weights=weights) + 0.01)), 0.1, 0.6)
    p_female *= SHARE_WOMEN / np.average(p_female, weights=weights)
    return contributions.iso3.to_numpy(), weights, np.clip(p_female, 0.05, 0.8)


def _experts(session: Session, ctx: _Context, n: int, seed: int) -> pd.DataFrame:
    rng = _rng(seed, "experts")
    iso, weights, p_female = _nationality_mix(ctx)
    nat_idx = rng.choice(len(iso), size=n, p=weights)
    female = rng.random(n) < p_female[nat_idx]
    gender = np.where(female, str(Gender.FEMALE), str(Gender.MALE)).astype(object)
    gender[rng.random(n) < 0.005] = str(Gender.UNDISCLOSED)
    given = np.where(female, np.asarray(GIVEN_FEMALE, dtype=object)[rng.integers(0, len(GIVEN_FEMALE), n)],
                     np.asarray(GIVEN_MALE, dtype=object)[rng.integers(0, len(GIVEN_MALE), n)])
    family = np.asarray(FAMILY, dtype=object)[rng.integers(0, len(FAMILY), n)]
    capacity = np.where(rng.random(n) < 0.6, "SPC", "JCSC").astype(object)
    grades = np.asarray(["P-3", "P-4", "P-5", "D-1", "FS-6"], dtype=object)
    grade = grades[rng.choice(5, size=n, p=[0.32, 0.42, 0.15, 0.01, 0.10])]
    contract = np.asarray([str(c) for c in ContractType], dtype=object)[
        rng.choice(len(ContractType), size=n, p=[0.6, 0.15, 0.1, 0.1, 0.05])]
    status = np.asarray([str(s) for s in ExpertStatus], dtype=object)[rng.choice(3, size=n, p=[0.93, 0.04, 0.03])]
    eod = ctx.today - rng.integers(120, 12 * 365, n)
    ids = _reserve_ids(session, "expert", n)
    team = np.empty(n, dtype=np.int64)
    for code in ("SPC", "JCSC"):
        mask = capacity == code
        team[mask] = np.asarray(ctx.teams[code])[rng.integers(0, len(ctx.teams[code]), mask.sum())]
    number = np.arange(1, n + 1)
    title = np.asarray([TITLES[c][g] for c, g in zip(capacity, grade, strict=True)], dtype=object)
    email = [f"{_ascii(g)}.{_ascii(f)}.{k}@demo.invalid".replace(" ", "-")
             for g, f, k in zip(given, family, number, strict=True)]
    return pd.DataFrame({
        "id": ids, "staff_number": [f"DEMO-{k:06d}" for k in number], "given_name": given, "family_name": family,
        "gender": gender, "nationality_iso3": iso[nat_idx], "grade": grade,
        "capacity_id": [ctx.capacity_ids[c] for c in capacity], "team_id": team, "contract_type": contract,
        "duty_station": "Brindisi", "functional_title": title, "email": email, "status": status,
        "entry_on_duty": _date_col(eod),
        # A separated expert has the day they left (the expert rule book's rule): halfway since entry on duty.
        "separated_on": _date_col(eod + (ctx.today - eod) // 2, status == str(ExpertStatus.SEPARATED)),
        "is_generated": True,
        # helpers, not columns
        "_capacity": capacity, "_eod": eod,
    })


def _expert_skills(experts: pd.DataFrame, ctx: _Context, seed: int) -> pd.DataFrame:
    rng = _rng(seed, "skills")
    n, m = len(experts), len(ctx.skills)
    area = ctx.skills.area.to_numpy()
    affinity = {"SPC": {"police": 1.0, "cross_cutting": 0.6, "justice": 0.04, "corrections": 0.02},
                "JCSC": {"police": 0.05, "cross_cutting": 0.6, "justice": 1.0, "corrections": 0.9}}
    weights = np.vstack([[affinity[c][a] for a in area] for c in ("SPC", "JCSC")])
    w = weights[(experts._capacity.to_numpy() == "JCSC").astype(int)]
    # Gumbel top-k: k skills per expert drawn without replacement, in one vectorised step.
    keys = np.log(w) + rng.gumbel(size=(n, m))
    order = np.argsort(-keys, axis=1)
    k = rng.integers(3, 8, n)
    take = np.arange(m)[None, :] < k[:, None]
    rows, ranks = np.nonzero(take)
    skill_idx = order[rows, ranks]
    level = rng.choice([1, 2, 3, 4, 5], size=len(rows), p=[0.05, 0.17, 0.35, 0.28, 0.15])
    level[ranks == 0] = rng.choice([4, 5], size=int((ranks == 0).sum()), p=[0.6, 0.4])  # the main field
    return pd.DataFrame({"expert_id": experts.id.to_numpy()[rows], "skill_id": ctx.skills.id.to_numpy()[skill_idx],
                         "level": level, "_rank": ranks})


def _expert_languages(experts: pd.DataFrame, seed: int) -> pd.DataFrame:
    rng = _rng(seed, "languages")
    levels = ["B1", "B2", "C1", "C2"]
    rows: list[tuple[int, str, str]] = []
    extras = ["ar", "es", "ru", "zh", "pt", "sw", "it"]
    draws = rng.random((len(experts), 5))
    picks = rng.integers(0, 1000, (len(experts), 4))
    for i, (expert_id, nat) in enumerate(zip(experts.id.to_numpy(), experts.nationality_iso3.to_numpy(), strict=True)):
        mine: dict[str, str] = {}
        mother = MOTHER_TONGUE.get(str(nat))
        if mother:
            mine[mother] = "native"
        # Everyone works in English or French (or both).
        if "en" not in mine and (draws[i, 0] < 0.85 or (mine.get("fr") is None and draws[i, 1] < 0.5)):
            mine["en"] = levels[1 + picks[i, 0] % 3]
        if "fr" not in mine and (draws[i, 1] < 0.3 or "en" not in mine):
            mine["fr"] = levels[picks[i, 1] % 4]
        if draws[i, 2] < 0.3:
            extra = extras[picks[i, 2] % len(extras)]
            mine.setdefault(extra, levels[picks[i, 3] % 3])
        rows.extend((int(expert_id), code, level) for code, level in mine.items())
    return pd.DataFrame(rows, columns=["expert_id", "language_code", "level"])


def _expert_clearances(experts: pd.DataFrame, ctx: _Context, seed: int) -> pd.DataFrame:
    rng = _rng(seed, "clearances")
    n, m = len(experts), len(ctx.clearances)
    held_p = np.array([0.6 if c in ("DRIVING", "FIRST_AID") else 0.93 for c in ctx.clearances.code])
    held = rng.random((n, m)) < held_p[None, :]
    rows, cols = np.nonzero(held)
    validity = ctx.clearances.validity_months.to_numpy(dtype=float)[cols]
    span = np.where(np.isnan(validity), 6 * 365, np.nan_to_num(validity) * 30.4 * 1.25)
    obtained = ctx.today - (rng.random(len(rows)) * span).astype(np.int64) - 1
    until = obtained + np.round(np.nan_to_num(validity) * 30.4).astype(np.int64)
    return pd.DataFrame({
        "expert_id": experts.id.to_numpy()[rows], "clearance_type_id": ctx.clearances.id.to_numpy()[cols],
        "obtained_on": _date_col(obtained), "valid_until": _date_col(until, ~np.isnan(validity)),
    })


# --- deployments and absences -----------------------------------------------------------------------------
KIND_P = {DeploymentKind.SURGE: 0.36, DeploymentKind.TECHNICAL_ASSISTANCE: 0.2, DeploymentKind.ASSESSMENT: 0.11,
          DeploymentKind.MISSION_MANAGER_VISIT: 0.07, DeploymentKind.START_UP: 0.07,
          DeploymentKind.TRANSITION: 0.08, DeploymentKind.TRAINING: 0.11}
DURATION = {DeploymentKind.SURGE: (30, 120), DeploymentKind.TECHNICAL_ASSISTANCE: (20, 90),
            DeploymentKind.ASSESSMENT: (7, 21), DeploymentKind.MISSION_MANAGER_VISIT: (5, 12),
            DeploymentKind.START_UP: (60, 180), DeploymentKind.TRANSITION: (45, 150),
            DeploymentKind.TRAINING: (5, 15)}


def _deployment_timeline(experts: pd.DataFrame, ctx: _Context, total: int | None, seed: int
                         ) -> tuple[pd.DataFrame, int]:
    """Per expert, back-to-back deployments separated by gaps: never overlapping, by construction."""
    rng = _rng(seed, "deployments")
    n = len(experts)
    base_window = YEARS * 365 + FUTURE_DAYS
    # Share of the five years each expert has been on duty: recent joiners deploy less.
    tenure = np.clip((ctx.today + FUTURE_DAYS - np.maximum(experts._eod.to_numpy(), ctx.today + FUTURE_DAYS
                                                            - base_window)) / base_window, 0.05, 1.0)
    if total is None:
        per_expert = rng.poisson(11 * tenure)  # what five years of ~2 deployments a year produce
    else:
        busy = rng.gamma(6.0, 1.0, n) * tenure  # some experts deploy more often than others
        per_expert = rng.multinomial(total, busy / busy.sum())
    count = int(per_expert.sum())
    expert_idx = np.repeat(np.arange(n), per_expert)
    kinds = np.asarray(list(KIND_P), dtype=object)
    kind = kinds[rng.choice(len(kinds), size=count, p=list(KIND_P.values()))]
    low = np.array([DURATION[k][0] for k in kind])
    high = np.array([DURATION[k][1] for k in kind])
    duration = low + (rng.random(count) * (high - low + 1)).astype(np.int64)
    gap = rng.integers(10, 110, count)
    need = np.bincount(expert_idx, weights=duration + gap, minlength=n)
    # Busy experts are squeezed (down to 40%); if even that does not fit, the window grows into the past.
    window = max(base_window, int(np.ceil((need * 0.4).max())) + 30 if n else base_window)
    eod_offset = np.clip(experts._eod.to_numpy() - (ctx.today + FUTURE_DAYS - window), 0, None)
    # Rather than overlap, a recent joiner with many deployments starts before their entry on duty.
    eod_offset = np.minimum(eod_offset, np.maximum(window - need * 0.4, 0)).astype(np.int64)
    avail = np.maximum(window - eod_offset, 1)
    scale = np.clip(avail / np.maximum(need, 1), 0.4, 1.0)
    s = scale[expert_idx]
    duration = np.maximum(np.round(duration * np.where(s < 1, np.sqrt(s), 1)).astype(np.int64), 2)
    gap = np.maximum(np.floor(gap * s).astype(np.int64), 1)
    used = np.bincount(expert_idx, weights=duration + gap, minlength=n)
    slack = np.maximum(avail - used, 0)
    begin = ctx.today + FUTURE_DAYS - window + eod_offset + (rng.random(n) * slack).astype(np.int64)
    # start_i = begin + sum of earlier (gap + duration) + own gap; end = start + duration - 1 (inclusive range)
    step = gap + duration
    before = _cumsum_by_group(step, expert_idx) - step
    start = begin[expert_idx] + before + gap
    end = start + duration - 1
    frame = pd.DataFrame({"_expert": expert_idx, "kind": kind, "start": start, "end": end, "_gap": gap})
    return frame, window


def _pick_missions(dep: pd.DataFrame, ctx: _Context, rng: np.random.Generator) -> np.ndarray:
    missions = ctx.missions
    eligible_type = missions.type.isin([str(MissionType.PKO), str(MissionType.SPM), MissionType.PKO,
                                        MissionType.SPM]).to_numpy()
    start = np.where(missions.start.isna(), -10**6, _days(missions.start.fillna(date(1900, 1, 1)).tolist()))
    end = np.where(missions.end.isna(), 10**6, _days(missions.end.fillna(date(2999, 1, 1)).tolist()))
    undated_closed = missions.end.isna().to_numpy() & ~missions.active.to_numpy()
    weight = np.array([MISSION_WEIGHTS.get(a, 1.0) for a in missions.acronym], dtype=float)
    weight[~eligible_type | undated_closed] = 0.0
    out = np.empty(len(dep), dtype=np.int64)
    # Chunks keep the (deployments x missions) matrix small.
    for lo in range(0, len(dep), 20000):
        d = dep.start.to_numpy()[lo:lo + 20000]
        active = (start[None, :] <= d[:, None]) & (end[None, :] >= d[:, None])
        w = active * weight[None, :]
        none = w.sum(axis=1) == 0
        w[none] = weight  # nothing active that day (a very old date): any mission with police
        cum = np.cumsum(w, axis=1)
        u = rng.random(len(d)) * cum[:, -1]
        out[lo:lo + 20000] = (cum < u[:, None]).sum(axis=1)
    return out


def _pick_sites(dep: pd.DataFrame, mission_idx: np.ndarray, ctx: _Context, rng: np.random.Generator) -> pd.Series:
    site = np.full(len(dep), -1, dtype=np.int64)
    years = (EPOCH + dep.start.to_numpy().astype(np.int64)).astype("datetime64[Y]").astype(int) + 1970
    at_site = rng.random(len(dep)) < 0.7
    by_mission = {mid: g for mid, g in ctx.sites.groupby("mission_id")}
    mission_ids = ctx.missions.id.to_numpy()
    for m in np.unique(mission_idx):
        group = by_mission.get(int(mission_ids[m]))
        if group is None:
            continue
        rows = np.flatnonzero((mission_idx == m) & at_site)
        ids, first, last = group.id.to_numpy(), group.first_year.to_numpy(), group.last_year.to_numpy()
        pick = rng.integers(0, len(ids), len(rows))
        # Prefer a site the mission actually used that year.
        for _ in range(3):
            wrong = (first[pick] > years[rows]) | (last[pick] < years[rows])
            if not wrong.any():
                break
            pick[wrong] = rng.integers(0, len(ids), int(wrong.sum()))
        site[rows] = ids[pick]
    out = pd.Series(site, dtype="Int64")
    return out.mask(out < 0)


def _deployments(session: Session, experts: pd.DataFrame, ctx: _Context, total: int | None, seed: int
                 ) -> tuple[pd.DataFrame, int]:
    rng = _rng(seed, "deployment-details")
    dep, window = _deployment_timeline(experts, ctx, total, seed)
    count = len(dep)
    today = ctx.today
    status = np.where(dep.end < today, str(DeploymentStatus.COMPLETED),
                      np.where(dep.start > today, str(DeploymentStatus.PLANNED), str(DeploymentStatus.ONGOING)))
    status = status.astype(object)
    cancel = ((status == str(DeploymentStatus.COMPLETED)) & (rng.random(count) < 0.03)) | (
        (status == str(DeploymentStatus.PLANNED)) & (rng.random(count) < 0.08))
    separated = experts.status.to_numpy()[dep._expert.to_numpy()] == str(ExpertStatus.SEPARATED)
    cancel |= separated & (status == str(DeploymentStatus.PLANNED))
    status[cancel] = str(DeploymentStatus.CANCELLED)
    mission_idx = _pick_missions(dep, ctx, rng)
    capacity = experts._capacity.to_numpy()[dep._expert.to_numpy()]
    role = np.empty(count, dtype=object)
    for code, roles in ROLES.items():
        mask = capacity == code
        role[mask] = np.asarray(roles, dtype=object)[rng.integers(0, len(roles), int(mask.sum()))]
    marker = rng.choice(4, size=count, p=[0.1, 0.45, 0.35, 0.1])
    planned = np.select([marker == 0, marker == 1, marker == 2], [0, rng.integers(0, 2, count),
                                                                rng.integers(1, 4, count)], rng.integers(2, 6, count))
    duration = dep.end.to_numpy() - dep.start.to_numpy() + 1
    done = np.clip((today - dep.start.to_numpy()) / duration, 0, 1)
    delivered = rng.binomial(planned, 0.85 * done)
    delivered[status == str(DeploymentStatus.CANCELLED)] = 0
    rated = (status == str(DeploymentStatus.COMPLETED)) & (rng.random(count) < 0.85)
    rating = pd.Series(rng.choice([1, 2, 3, 4, 5], size=count, p=[0.02, 0.05, 0.18, 0.4, 0.35]), dtype="Int64")
    rating[~rated] = pd.NA
    feedback = np.asarray(FEEDBACK, dtype=object)[rng.integers(0, len(FEEDBACK), count)]
    feedback[~rated | (rng.random(count) < 0.5)] = None
    frame = pd.DataFrame({
        "id": _reserve_ids(session, "deployment", count),
        "expert_id": experts.id.to_numpy()[dep._expert.to_numpy()],
        "mission_id": ctx.missions.id.to_numpy()[mission_idx],
        "site_id": _pick_sites(dep, mission_idx, ctx, rng),
        "surge_request_id": pd.Series([pd.NA] * count, dtype="Int64"),
        "allocation_id": pd.Series([pd.NA] * count, dtype="Int64"),
        "role": role, "kind": [str(k) for k in dep.kind], "start_date": _date_col(dep.start.to_numpy()),
        "end_date": _date_col(dep.end.to_numpy()), "status": status, "gender_marker": marker.astype(str),
        "gender_outputs_planned": planned, "gender_outputs_delivered": delivered, "client_rating": rating,
        "client_feedback": feedback, "version": 1, "is_generated": True,
        "_start": dep.start.to_numpy(), "_end": dep.end.to_numpy(), "_gap": dep._gap.to_numpy(),
        "_expert": dep._expert.to_numpy(), "_mission": mission_idx, "_capacity": capacity,
    })
    return frame, window


def _unavailability(dep: pd.DataFrame, experts: pd.DataFrame, seed: int) -> pd.DataFrame:
    """Absences placed inside the gaps before deployments, so they never overlap a deployment or each other."""
    rng = _rng(seed, "unavailability")
    gap = dep._gap.to_numpy()
    candidates = np.flatnonzero((gap >= 12) & (rng.random(len(dep)) < 0.55))
    free = gap[candidates] - 4  # two clear days on each side
    length = np.minimum(rng.integers(3, 22, len(candidates)), free)
    offset = 2 + (rng.random(len(candidates)) * (free - length + 1)).astype(np.int64)
    start = dep._start.to_numpy()[candidates] - gap[candidates] + offset
    kinds = np.asarray([str(k) for k in UnavailabilityKind], dtype=object)
    kind = kinds[rng.choice(len(kinds), size=len(candidates), p=[0.6, 0.2, 0.15, 0.05])]
    return pd.DataFrame({"expert_id": dep.expert_id.to_numpy()[candidates], "kind": kind,
                         "start_date": _date_col(start), "end_date": _date_col(start + length - 1),
                         "note": None, "is_generated": True})


# --- surge requests ---------------------------------------------------------------------------------------
def _ts(day: int, hour: float) -> str:
    moment = datetime(1970, 1, 1) + timedelta(days=int(day), hours=float(hour))
    return moment.strftime("%Y-%m-%d %H:%M:%S+00")


def _surge(session: Session, dep: pd.DataFrame, skills: pd.DataFrame, ctx: _Context, seed: int
           ) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, "surge")
    today = ctx.today
    missions = ctx.missions
    skill_area = dict(zip(ctx.skills.id, ctx.skills.area, strict=True))
    skill_name = dict(zip(ctx.skills.id, ctx.skills.name, strict=True))
    top = skills[skills._rank == 0]
    top_skill = dict(zip(top.expert_id.to_numpy().tolist(), top.skill_id.to_numpy().tolist(), strict=True))
    acronym_of = dict(zip(missions.id.tolist(), missions.acronym.tolist(), strict=True))
    # Plain arrays: pandas scalar access per request would dominate the run time.
    d_start, d_end = dep._start.to_numpy(), dep._end.to_numpy()
    d_mission, d_capacity, d_expert = dep.mission_id.to_numpy(), dep._capacity.to_numpy(), dep.expert_id.to_numpy()
    d_site = dep.site_id.to_numpy(dtype=object, na_value=None)
    # Deployed (or, while the deployment is still planned, approved) requests answer surge deployments.
    surge = dep[(dep.kind == str(DeploymentKind.SURGE)) & (dep.status != str(DeploymentStatus.CANCELLED))
                & (rng.random(len(dep)) < 0.85)].sort_values(["mission_id", "_start"])
    groups: list[list[int]] = []
    rows = surge.index.to_numpy()
    mids, starts, experts = surge.mission_id.to_numpy(), surge._start.to_numpy(), surge.expert_id.to_numpy()
    i = 0
    while i < len(rows):
        group = [i]
        # A request for two experts: the next surge deployment to the same mission within ten days.
        if i + 1 < len(rows) and mids[i + 1] == mids[i] and starts[i + 1] - starts[i] <= 10 \
                and experts[i + 1] != experts[i] and rng.random() < 0.5:
            group.append(i + 1)
        groups.append([int(rows[g]) for g in group])
        i += len(group)
    n_linked = len(groups)
    others = max(len(SurgeStatus) * 2, round(n_linked * 0.3))
    # Deployed requests all come from real (generated) deployments above; these are the other statuses.
    other_status = [SurgeStatus.RECEIVED, SurgeStatus.UNDER_REVIEW, SurgeStatus.CANDIDATES_PROPOSED,
                    SurgeStatus.APPROVED, SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN]
    n = n_linked + others
    ids = _reserve_ids(session, "surge_request", n)
    req: dict[str, list[Any]] = {k: [] for k in (
        "id", "reference", "mission_id", "site_id", "capacity_id", "title", "received_on", "experts_requested",
        "wanted_start", "duration_days", "priority", "gender_considerations", "balance_gender", "notes", "status",
        "version", "is_generated")}
    steps: list[tuple[int, str, str, str, str | None]] = []
    req_skills: list[tuple[int, int, str, int, bool]] = []
    req_langs: list[tuple[int, str, str]] = []
    link_id = np.zeros(len(dep), dtype=np.int64)
    priorities = [str(p) for p in Priority]
    eligible = missions[missions.type.isin([MissionType.PKO, MissionType.SPM, "peacekeeping_operation",
                                            "special_political_mission"]) & missions.active]
    year_seq: dict[int, int] = {}
    eligible_ids = [int(x) for x in eligible.id]
    pools = {"SPC": [s for s, a in skill_area.items() if a in ("police", "cross_cutting")],
             "JCSC": [s for s, a in skill_area.items() if a in ("justice", "corrections", "cross_cutting")]}
    window_start = int(dep._start.min()) if len(dep) else today - YEARS * 365
    for r in range(n):
        rid = int(ids[r])
        if r < n_linked:
            members = groups[r]
            first = members[0]
            start = int(d_start[first])
            mission_id = int(d_mission[first])
            capacity = str(d_capacity[first])
            target = 3 if capacity == "JCSC" else 7
            delay = min(max(round(float(rng.lognormal(np.log(target + 2), 0.45))), 2), 45)
            # A request for a deployment still to come was received already (never in the future).
            received = min(start - delay, today - int(rng.integers(0, 4)))
            delay = start - received
            status = SurgeStatus.DEPLOYED if start <= today else SurgeStatus.APPROVED
            duration = int(d_end[first]) - start + 1
            site = d_site[first]
            for member in members:
                link_id[member] = rid
            wanted = start + int(rng.integers(-2, 4))
            main_skill = int(top_skill[int(d_expert[first])])
        else:
            status = other_status[(r - n_linked) % len(other_status)]
            members = []
            mission_id = eligible_ids[int(rng.integers(0, len(eligible_ids)))]
            capacity = "SPC" if rng.random() < 0.6 else "JCSC"
            if status in (SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN):
                received = int(rng.integers(window_start, today - 20))
            else:
                received = today - int(rng.integers(0, 14))
            delay = int(rng.integers(3, 15))
            wanted = received + delay + int(rng.integers(0, 10))
            duration = int(rng.integers(30, 120))
            site = None
            areas = ("police", "cross_cutting") if capacity == "SPC" else ("justice", "corrections")
            pool = [s for s, a in skill_area.items() if a in areas]
            main_skill = int(pool[int(rng.integers(0, len(pool)))])
        year = _d(received).year
        year_seq[year] = year_seq.get(year, 0) + 1
        acronym = acronym_of[mission_id]
        req["id"].append(rid)
        req["reference"].append(f"DEMO-SR-{year}-{year_seq[year]:05d}")
        req["mission_id"].append(mission_id)
        req["site_id"].append(site)
        req["capacity_id"].append(ctx.capacity_ids[capacity])
        req["title"].append(f"{skill_name[main_skill]} support to {acronym}")
        req["received_on"].append(_d(received).isoformat())
        req["experts_requested"].append(max(1, len(members)) if members else int(rng.integers(1, 4)))
        req["wanted_start"].append(_d(wanted).isoformat())
        req["duration_days"].append(min(max(int(duration), 1), 730))
        req["priority"].append(priorities[int(rng.choice(4, p=[0.15, 0.45, 0.3, 0.1]))])
        balance = bool(rng.random() < 0.3)
        req["gender_considerations"].append(
            "Mixed team requested: survivors of sexual violence to be interviewed." if balance else None)
        req["balance_gender"].append(balance)
        req["notes"].append(None)
        req["status"].append(str(status))
        req["version"].append(1)
        req["is_generated"].append(True)
        # Dated steps, in order, ending at the request's status.
        path = [SurgeStatus.RECEIVED, SurgeStatus.UNDER_REVIEW, SurgeStatus.CANDIDATES_PROPOSED,
                SurgeStatus.APPROVED, SurgeStatus.DEPLOYED]
        if status in (SurgeStatus.DECLINED, SurgeStatus.WITHDRAWN):
            path = [*path[: int(rng.integers(1, 4))], status]
        else:
            path = path[: path.index(status) + 1]
        # Steps fall between receipt and deployment (or today): never after the last one, never in the future.
        span = delay - 0.5 if status == SurgeStatus.DEPLOYED else max(min(delay, today - received) - 0.5, 0.2)
        marks = np.sort(rng.random(len(path) - 1)) * span
        hours = [9.0, *[float(x) * 24 + 9 for x in marks]]
        if status == SurgeStatus.DEPLOYED and members:
            hours[-1] = delay * 24 + 7.0  # deployed on the deployment's first day
        for step, hour in zip(path, hours, strict=True):
            # Generated steps were recorded when they happened.
            steps.append((rid, str(step), _ts(received, hour), _ts(received, hour), None))
        chosen = {main_skill}
        area_pool = pools[capacity]
        for extra in rng.choice(area_pool, size=int(rng.integers(0, 3)), replace=False):
            chosen.add(int(extra))
        for k, skill_id in enumerate(sorted(chosen)):
            weight = 3.0 if skill_id == main_skill else round(float(rng.uniform(0.5, 2.5)), 2)
            min_level = 3 if skill_id == main_skill else int(rng.integers(1, 4))
            # The main skill is required (a hard rule); every other extra one is only desirable (scored), chosen
            # without drawing from rng so the rest of the data set stays as it was.
            required = skill_id == main_skill or (rid + k) % 2 == 0
            req_skills.append((rid, int(skill_id), f"{weight:.2f}", min_level if k < 10 else 1, required))
        req_langs.append((rid, "fr" if acronym in FRANCOPHONE_MISSIONS else "en", "B2"))
        if acronym in ARABIC_MISSIONS and rng.random() < 0.4:
            req_langs.append((rid, "ar", "B1"))
    default_clearances = [int(c) for c in ctx.clearances.id[ctx.clearances.code.isin(DEFAULT_REQUIRED_CLEARANCES)]]
    return {
        "surge_request": pd.DataFrame(req).astype({"site_id": "Int64"}),
        "surge_request_step": pd.DataFrame(steps, columns=["request_id", "status", "at", "occurred_at", "note"]),
        "surge_request_skill": pd.DataFrame(req_skills,
                                            columns=["request_id", "skill_id", "weight", "min_level", "required"]),
        "surge_request_language": pd.DataFrame(req_langs, columns=["request_id", "language_code", "min_level"]),
        # Every generated request requires the form's default clearances (MEDICAL and SECURITY).
        "surge_request_clearance": pd.DataFrame(
            [(int(rid), cid) for rid in ids for cid in default_clearances],
            columns=["request_id", "clearance_type_id"]),
        "_link": pd.DataFrame({"surge_request_id": link_id}),
    }


# --- projects, funding ------------------------------------------------------------------------------------
def _projects(session: Session, ctx: _Context, experts: int, window: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, "projects")
    today = ctx.today
    n = min(12 + experts // 400, 40)
    current = ctx.missions[ctx.missions.active & ctx.missions.lon.notna()
                           & ctx.missions.type.isin([MissionType.PKO, MissionType.SPM, "peacekeeping_operation",
                                                     "special_political_mission"])].reset_index(drop=True)
    weights = np.array([MISSION_WEIGHTS.get(a, 1.0) for a in current.acronym], dtype=float)
    ids = _reserve_ids(session, "project", n)
    projects, links, sites, project_sites, activities, milestones, actuals = [], [], [], [], [], [], []
    # id, project, parent (None for an outcome), level, statement, indicator, unit, baseline, target, flags.
    results: list[tuple[int, int, int | None, str, str, str, str, str, str, bool, bool]] = []
    site_ids = _reserve_ids(session, "site", 3 * n)
    result_ids = _reserve_ids(session, "result", 5 * n)
    sid = rid = 0
    for p in range(n):
        pid = int(ids[p])
        capacity = "SPC" if p % 2 == 0 else "JCSC"
        chosen = rng.choice(len(current), size=int(rng.integers(1, 3)), replace=False, p=weights / weights.sum())
        main = current.iloc[int(chosen[0])]
        topic = PROJECT_TOPICS[capacity][p // 2 % len(PROJECT_TOPICS[capacity])]
        country = ctx.country_names.get(str(main.host), str(main.acronym))
        start = today - int(rng.integers(60, min(window, YEARS * 365)))
        end = start + int(rng.integers(540, 1460))
        status = ProjectStatus.CLOSED if end < today else ProjectStatus.ACTIVE
        if status == ProjectStatus.ACTIVE and rng.random() < 0.1:
            status = ProjectStatus.SUSPENDED
        if p == n - 1:
            start, end, status = today + 45, today + 45 + 730, ProjectStatus.PIPELINE
        marker = int(rng.choice(4, p=[0.05, 0.3, 0.45, 0.2]))
        budget = float(rng.integers(30, 300)) * 10000
        projects.append({"id": pid, "code": f"DEMO-PRJ-{p + 1:03d}", "name": f"{topic} ({country})",
                         "name_fr": f"{PROJECT_TOPICS_FR[topic]} ({country})",
                         "capacity_id": ctx.capacity_ids[capacity], "sector_code": PROJECT_SECTORS[capacity],
                         "description": f"Generated demo project of the {capacity} with {main.acronym}.",
                         "description_fr": f"Projet de démonstration généré de la {capacity} avec {main.acronym}.",
                         "budget": f"{budget:.2f}", "currency": "USD", "start_date": str(EPOCH + np.int64(start)),
                         "end_date": str(EPOCH + np.int64(end)), "status": str(status), "gender_marker": str(marker),
                         "is_generated": True, "_start": start, "_end": end, "_capacity": capacity,
                         "_budget": budget})
        for m in chosen:
            links.append((pid, int(current.id.iloc[int(m)])))
        for _ in range(int(rng.integers(1, 4))):
            label = SITE_LABELS[int(rng.integers(0, len(SITE_LABELS)))]
            lon = float(main.lon) + float(rng.uniform(-0.12, 0.12))
            lat = float(main.lat) + float(rng.uniform(-0.12, 0.12))
            sites.append({"id": int(site_ids[sid]), "name": f"{main.hq_city or main.acronym}: {label}",
                          "kind": str(SiteKind.PROJECT_SITE), "mission_id": int(main.id), "country_iso3": None,
                          "location": shapely.to_wkb(shapely.set_srid(Point(round(lon, 6), round(lat, 6)), 4326),
                                                     hex=True, include_srid=True),
                          "source": "generated (demo data set)", "first_year": None, "last_year": None,
                          "is_generated": True})
            project_sites.append((pid, int(site_ids[sid])))
            sid += 1
        for a in range(int(rng.integers(3, 7))):
            a_start = start + int(rng.integers(0, max(end - start - 30, 1)))
            activities.append((pid, f"Activity {a + 1}: {ACTIVITY_KINDS[a % len(ACTIVITY_KINDS)]}",
                               str(EPOCH + np.int64(a_start)), str(EPOCH + np.int64(min(a_start + 60, end)))))
        for k in range(int(rng.integers(3, 6))):
            due = start + int((end - start) * (k + 1) / 6)
            if due > today:
                m_status, achieved = MilestoneStatus.PLANNED, None
            elif rng.random() < 0.07:
                m_status, achieved = MilestoneStatus.DROPPED, None
            elif rng.random() < 0.75:
                m_status, achieved = MilestoneStatus.ACHIEVED, str(EPOCH + np.int64(due + int(rng.integers(-20, 15))))
            else:
                m_status, achieved = MilestoneStatus.DELAYED, None
            milestones.append((pid, f"Milestone {k + 1}", str(EPOCH + np.int64(due)), achieved, str(m_status)))
        outcome = int(result_ids[rid])
        rid += 1
        results.append((outcome, pid, None, str(ResultLevel.OUTCOME), f"National institutions deliver {topic.lower()}",
                        "Share of target units applying the new procedures", "percent", "10.00", "75.00", False,
                        False))
        for o in range(int(rng.integers(2, 5))):
            out_id = int(result_ids[rid])
            rid += 1
            gender_specific = marker >= 2 and o == 0
            target = float(rng.integers(20, 200))
            results.append((out_id, pid, outcome, str(ResultLevel.OUTPUT),
                            f"Output {o + 1}: personnel trained and mentored",
                            "Women officers trained" if gender_specific else "Officers trained", "count", "0.00",
                            f"{target:.2f}", gender_specific, True))
            q = start + 91
            value = 0.0
            while q <= min(today, end):
                value = float(round(min(target * 1.1, value + target * float(rng.uniform(0.03, 0.18)))))
                # People trained: split by sex (all women for a gender-specific output).
                women = value if gender_specific else float(round(value * float(rng.uniform(0.15, 0.45))))
                actuals.append((out_id, True, str(EPOCH + np.int64(q - 90)), str(EPOCH + np.int64(q)),
                                f"{value:.2f}", f"{women:.2f}", f"{value - women:.2f}", None))
                q += 91
    return {
        "project": pd.DataFrame(projects),
        "project_mission": pd.DataFrame(links, columns=["project_id", "mission_id"]),
        "site": pd.DataFrame(sites),
        "project_site": pd.DataFrame(project_sites, columns=["project_id", "site_id"]),
        "activity": pd.DataFrame(activities, columns=["project_id", "title", "start_date", "end_date"]),
        "milestone": pd.DataFrame(milestones, columns=["project_id", "title", "due_on", "achieved_on", "status"]),
        "result": pd.DataFrame(results, columns=["id", "project_id", "parent_id", "level", "statement", "indicator",
                                                 "unit", "baseline", "target", "gender_specific",
                                                 "about_people"]),
        "result_actual": pd.DataFrame(actuals, columns=["result_id", "about_people", "period_start", "period_end",
                                                        "value", "women", "men", "note"]),
    }


def _ensure_funds_and_donors(session: Session) -> tuple[dict[str, int], dict[str, int]]:
    session.execute(insert(Fund.__table__).on_conflict_do_nothing(index_elements=["code"]),
                    [{"code": c, "name": n, "fund_type": t} for c, n, t in FUNDS])
    # A member state's French name is its country's (Natural Earth NAME_FR).
    french = dict(session.execute(select(Country.iso3, Country.name_fr)
                                  .where(Country.iso3.in_([iso for _n, iso, _c in DONORS]))).all())
    session.execute(insert(Donor.__table__).on_conflict_do_nothing(index_elements=["name"]),
                    [{"name": n, "name_fr": french.get(iso), "country_iso3": iso, "kind": "member_state",
                      "is_generated": True} for n, iso, _ in DONORS])
    funds = dict(session.execute(select(Fund.code, Fund.id)).all())
    donors = dict(session.execute(select(Donor.name, Donor.id).where(Donor.name.in_([d[0] for d in DONORS])))
                  .all())
    return funds, donors


def _seed_rates(session: Session, years: list[int]) -> None:
    """A rate per currency per month of the demo's years; rates finance staff entered stay as they are."""
    rows = [{"currency": code, "month": date(year, month, 1),
             "usd_per_unit": f"{rate * (1 + 0.004 * ((year - years[0]) * 12 + month - 6) % 0.05):.8f}"}
            for code, rate in DEMO_RATES.items() for year in years for month in range(1, 13)]
    session.execute(insert(ExchangeRate).on_conflict_do_nothing(index_elements=["currency", "month"]),
                    rows)


def _funding(session: Session, ctx: _Context, dep: pd.DataFrame, projects: pd.DataFrame, window: int, seed: int
             ) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, "funding")
    today = ctx.today
    funds, donors = _ensure_funds_and_donors(session)
    first_year = int((EPOCH + np.int64(today + FUTURE_DAYS - window)).astype("datetime64[Y]").astype(int) + 1970)
    last_year = int((EPOCH + np.int64(today + FUTURE_DAYS)).astype("datetime64[Y]").astype(int) + 1970)
    years = list(range(first_year, last_year + 1))
    _seed_rates(session, years)
    dep_year = (EPOCH + dep._start.to_numpy().astype(np.int64)).astype("datetime64[Y]").astype(int) + 1970
    live = dep.status.to_numpy() != str(DeploymentStatus.CANCELLED)
    # What a deployment costs: a ticket plus a daily allowance (USD).
    cost = rng.uniform(1500, 4500, len(dep)) + (dep._end.to_numpy() - dep._start.to_numpy() + 1) * rng.uniform(
        150, 260, len(dep))
    grants: list[dict[str, Any]] = []
    allocations: list[dict[str, Any]] = []
    grant_ids = _reserve_ids(session, "grant_agreement", len(years) * 2 + len(DONORS) * 3)
    alloc_ids = _reserve_ids(session, "allocation", len(years) * 2 + len(DONORS) * 3 * 4)
    g = a = 0
    allocation_of = np.zeros(len(dep), dtype=np.int64)
    alloc_currency: dict[int, str] = {}
    grant_end: dict[int, date] = {}

    def add_grant(ref: str, fund: str, donor: int | None, title: str, amount: float, currency: str, start: date,
                  end: date, earmark: str | None) -> int:
        nonlocal g
        gid = int(grant_ids[g])
        g += 1
        grants.append({"id": gid, "reference": ref, "fund_id": funds[fund], "donor_id": donor, "title": title,
                       "amount": f"{amount:.2f}", "currency": currency, "start_date": start.isoformat(),
                       "end_date": end.isoformat(), "earmarking": earmark, "psc_rate": "0.1300",
                       "is_generated": True})
        grant_end[gid] = end
        return gid

    def add_allocation(gid: int, project: int | None, purpose: str, amount: float, currency: str, on: date) -> int:
        nonlocal a
        aid = int(alloc_ids[a])
        a += 1
        allocations.append({"id": aid, "grant_id": gid, "project_id": project, "purpose": purpose,
                            "amount": f"{max(amount, 1000.0):.2f}", "currency": currency,
                            "allocated_on": on.isoformat(), "is_generated": True})
        alloc_currency[aid] = currency
        return aid

    # Regular budget: one grant a year per capacity pays that year's deployments.
    for year in years:
        for code in ("SPC", "JCSC"):
            mask = (dep_year == year) & (dep._capacity.to_numpy() == code)
            need = float(cost[mask & live].sum()) * 1.15 + 50000
            # Support costs come on top of what is allocated (the database holds allocations to amount / 1.13).
            gid = add_grant(f"DEMO-RB-{year}-{code}", "RB-SUPPORT", None, f"Regular budget {year}: {code} posts and "
                            "travel", need * 1.13 + 1, "USD", date(year, 1, 1), date(year, 12, 31), None)
            aid = add_allocation(gid, None, f"{code} deployments {year}", need, "USD", date(year, 1, 1))
            allocation_of[mask] = aid
    # Extrabudgetary: donors fund projects and part of the surge deployments.
    project_rows = projects.to_dict("records")
    for d, (name, _iso, currency) in enumerate(DONORS):
        for k in range(1 if d % 3 else 2):
            year = years[(d + k * 2) % len(years)]
            start, end = date(year, 1, 1), date(min(year + 2, last_year + 1), 12, 31)
            code = "SPC" if (d + k) % 2 == 0 else "JCSC"
            fund = "XB-POLICE" if code == "SPC" else "XB-ROL"
            amount = float(rng.integers(25, 250)) * 10000
            gid = add_grant(f"DEMO-XB-{year}-{d + 1:02d}{k}", fund, donors[name],
                            f"Contribution of {name} to the {code}", amount, currency, start, end,
                            f"Earmarked for the {code}" if rng.random() < 0.6 else None)
            net = amount / 1.13
            candidates = [p for p in project_rows if p["_capacity"] == code and p["_start"] <= _days([end])[0]
                          and p["_end"] >= _days([start])[0]]
            shares = rng.dirichlet(np.ones(3)) * float(rng.uniform(0.75, 0.95)) * net
            for p_row, share in zip(candidates[:2], shares[:2], strict=False):
                add_allocation(gid, int(p_row["id"]), f"{p_row['code']} {p_row['name']}"[:250], share, currency, start)
            aid = add_allocation(gid, None, f"{code} surge deployments funded by {name}", shares[2], currency, start)
            # Surge deployments in the grant's period move onto it until its share is spent.
            s, e = _days([start])[0], _days([end])[0]
            pick = np.flatnonzero(live & (dep.kind.to_numpy() == str(DeploymentKind.SURGE))
                                  & (dep._capacity.to_numpy() == code) & (dep._start.to_numpy() >= s)
                                  & (dep._start.to_numpy() <= e) & (allocation_of != 0))
            pick = pick[rng.permutation(len(pick))]
            within = pick[np.cumsum(cost[pick]) <= shares[2] * 0.9]
            allocation_of[within] = aid
    dep["allocation_id"] = _nullable_ids(allocation_of)
    # Expenditures: one travel line per started deployment; monthly lines on project allocations.
    started = np.flatnonzero(live & (dep._start.to_numpy() <= today) & (allocation_of != 0))
    currencies = np.asarray([alloc_currency[int(x)] for x in allocation_of[started]], dtype=object)
    factor = np.where(currencies == "EUR", 0.92, 1.0)
    exp = pd.DataFrame({
        "allocation_id": allocation_of[started], "deployment_id": dep.id.to_numpy()[started],
        "spent_on": _date_col(dep._start.to_numpy()[started]), "amount": _money(cost[started] * factor),
        "currency": currencies, "category": str(ExpenditureCategory.TRAVEL),
        "description": "Travel and daily subsistence allowance", "is_generated": True,
    })
    lines: list[tuple[int, str, str, str, str]] = []
    categories = [str(c) for c in ExpenditureCategory if c != ExpenditureCategory.TRAVEL]
    for alloc in allocations:
        if alloc["project_id"] is None:
            continue
        on = _days([date.fromisoformat(alloc["allocated_on"])])[0] + 20
        last = min(today, _days([grant_end[alloc["grant_id"]]])[0])  # the database refuses spending past the grant
        amount = float(alloc["amount"])
        spent = 0.0
        while on <= last and spent < amount * 0.9:
            value = amount * float(rng.uniform(0.01, 0.05))
            if rng.random() < 0.02:
                value = -value * 0.3  # refund or correction
            spent += value
            lines.append((alloc["id"], str(EPOCH + np.int64(on)), f"{value:.2f}", alloc["currency"],
                          categories[int(rng.integers(0, len(categories)))]))
            on += int(rng.integers(25, 40))
    project_exp = pd.DataFrame(lines, columns=["allocation_id", "spent_on", "amount", "currency", "category"])
    project_exp.insert(1, "deployment_id", pd.Series([pd.NA] * len(project_exp), dtype="Int64"))
    project_exp["description"] = "Project expenditure"
    project_exp["is_generated"] = True
    expenditure = pd.concat([exp, project_exp], ignore_index=True)
    expenditure.insert(0, "document_number", [f"DEMO-{n:07d}" for n in range(1, len(expenditure) + 1)])
    expenditure["is_reversal"] = expenditure.amount.astype(float) < 0
    return {"grant_agreement": pd.DataFrame(grants).astype({"donor_id": "Int64"}),
            "allocation": pd.DataFrame(allocations),
            "expenditure": expenditure}


# --- assessments, recommendations, lessons ----------------------------------------------------------------
def _knowledge(session: Session, ctx: _Context, experts: int, window: int, seed: int) -> dict[str, pd.DataFrame]:
    rng = _rng(seed, "knowledge")
    today = ctx.today
    per_kind = 4 + experts // 2000
    kinds = list(AssessmentKind)
    current = ctx.missions[ctx.missions.active & ctx.missions.type.isin(
        [MissionType.PKO, MissionType.SPM, "peacekeeping_operation", "special_political_mission"])]
    n = per_kind * len(kinds)
    ids = _reserve_ids(session, "assessment", n)
    assessments, recs, follow = [], [], []
    rec_ids = _reserve_ids(session, "recommendation", n * 5)
    r = 0
    statuses = list(RecommendationStatus)
    for i in range(n):
        kind = kinds[i % len(kinds)]
        mission = current.iloc[int(rng.integers(0, len(current)))]
        conducted = today - int(rng.integers(20, min(window, YEARS * 365)))
        capacity = "SPC" if kind != AssessmentKind.STANDING_CAPACITY or rng.random() < 0.5 else "JCSC"
        year = int((EPOCH + np.int64(conducted)).astype("datetime64[Y]").astype(int) + 1970)
        assessments.append({"id": int(ids[i]), "kind": str(kind),
                            "title": f"{ASSESSMENT_TITLES[kind]}: {mission.acronym} {year}",
                            "mission_id": int(mission.id), "capacity_id": ctx.capacity_ids[capacity],
                            "conducted_on": str(EPOCH + np.int64(conducted)),
                            "findings": "Generated findings of the demo data set.",
                            "report_ref": f"DEMO/ASM/{year}/{i + 1:03d}", "is_generated": True})
        for _ in range(int(rng.integers(2, 6))):
            rid = int(rec_ids[r])
            status = statuses[r % len(statuses)]
            r += 1
            category, text_ = RECOMMENDATIONS[int(rng.integers(0, len(RECOMMENDATIONS)))]
            due = conducted + int(rng.integers(60, 365))
            recs.append({"id": rid, "assessment_id": int(ids[i]), "text": text_, "category": category,
                         "priority": str(list(Priority)[int(rng.choice(4, p=[0.2, 0.4, 0.3, 0.1]))]),
                         "responsible_entity": RESPONSIBLE[int(rng.integers(0, len(RESPONSIBLE)))],
                         "due_on": str(EPOCH + np.int64(due)), "status": str(status), "is_generated": True})
            # The way there: open, then in progress unless it was refused at once, then where it ended.
            trail = list(dict.fromkeys([RecommendationStatus.OPEN] + (
                [] if status == RecommendationStatus.NOT_ACCEPTED else [RecommendationStatus.IN_PROGRESS])
                + [status]))[: statuses.index(status) + 1]
            last = max(conducted + 2, min(today - 1, due + 30))
            moments = np.sort(rng.integers(conducted + 1, max(last, conducted + 2), len(trail)))
            notes = {RecommendationStatus.OPEN: "Recommendation accepted by the responsible entity.",
                     RecommendationStatus.IN_PROGRESS: "Implementation started; plan shared.",
                     RecommendationStatus.IMPLEMENTED: "Implementation verified on site.",
                     RecommendationStatus.PARTIALLY_IMPLEMENTED: "Partly implemented; the rest is not funded.",
                     RecommendationStatus.NOT_ACCEPTED: "Not accepted by the responsible entity.",
                     RecommendationStatus.CLOSED_OVERTAKEN: "Closed: overtaken by the new mandate."}
            for step, moment in zip(trail, moments, strict=True):
                evidence = f"DEMO/EVID/{rid}" if step in (RecommendationStatus.IMPLEMENTED,
                                                          RecommendationStatus.PARTIALLY_IMPLEMENTED) else None
                follow.append((rid, _ts(int(moment), 10.0), str(step), notes[step], evidence))
    acronym_id = dict(zip(ctx.missions.acronym, ctx.missions.id, strict=True))
    lessons = [{"title_en": t if lang == "en" else None, "body_en": b if lang == "en" else None,
                "title_fr": t if lang == "fr" else None, "body_fr": b if lang == "fr" else None,
                "status": "published", "tags": "{" + ",".join(f'"{x}"' for x in tags) + "}",
                "mission_id": acronym_id.get(m) if m else None, "capacity_id": ctx.capacity_ids[c],
                "assessment_id": None, "attachment_ref": None, "is_generated": True}
               for lang, t, b, tags, m, c in LESSONS]
    return {
        "assessment": pd.DataFrame(assessments), "recommendation": pd.DataFrame(recs),
        "recommendation_follow_up": pd.DataFrame(follow, columns=["recommendation_id", "at", "status", "note",
                                                                  "evidence_ref"]),
        "lesson": pd.DataFrame(lessons).astype({"mission_id": "Int64", "assessment_id": "Int64"}),
    }


# --- replace ------------------------------------------------------------------------------------------------
def _demo_exists(session: Session) -> bool:
    return bool(session.scalar(select(or_(exists().where(Expert.is_generated.is_(True)),
                                          exists().where(Deployment.is_generated.is_(True)),
                                          exists().where(Project.is_generated.is_(True))))))


def delete_generated(session: Session) -> int:
    """Deletes every generated row (children first); returns how many rows of the main tables went."""
    removed = 0
    generated_alloc = select(Allocation.id).where(Allocation.is_generated.is_(True))
    for stmt in (
        delete(Expenditure).where(or_(Expenditure.is_generated.is_(True),
                                      Expenditure.allocation_id.in_(generated_alloc))),
        delete(Deployment).where(Deployment.is_generated.is_(True)),
        delete(Unavailability).where(Unavailability.is_generated.is_(True)),
        delete(SurgeRequest).where(SurgeRequest.is_generated.is_(True)),
        delete(Allocation).where(Allocation.is_generated.is_(True)),
        delete(Grant).where(Grant.is_generated.is_(True)),
        delete(Project).where(Project.is_generated.is_(True)),
        delete(Site).where(Site.is_generated.is_(True)),
        delete(Lesson).where(Lesson.is_generated.is_(True)),
        delete(Recommendation).where(Recommendation.is_generated.is_(True)),
        delete(Assessment).where(Assessment.is_generated.is_(True)),
        delete(Expert).where(Expert.is_generated.is_(True)),
    ):
        result = session.execute(stmt, execution_options={"synchronize_session": False})
        # A DELETE's result is a CursorResult (rowcount); SQLAlchemy 2.1's Session.execute types every result as
        # a plain Result, so this narrows it.
        if not isinstance(result, CursorResult):
            raise TypeError(f"a DELETE returned {type(result).__name__}, not a CursorResult")
        removed += result.rowcount or 0
    # Generated donors stay if a real grant refers to them.
    used = select(Grant.donor_id).where(Grant.donor_id.is_not(None))
    session.execute(delete(Donor).where(Donor.is_generated.is_(True), Donor.id.not_in(used)),
                    execution_options={"synchronize_session": False})
    return removed


# --- entry point --------------------------------------------------------------------------------------------
def _columns(frame: pd.DataFrame) -> pd.DataFrame:
    return frame[[c for c in frame.columns if not c.startswith("_")]]


def demo_expert_id(session: Session) -> int | None:
    """The demo expert the demo ``expert`` user is: the first active one, not yet linked to a user."""
    linked = select(User.expert_id).where(User.expert_id.is_not(None))
    return session.scalar(select(Expert.id).where(Expert.status == ExpertStatus.ACTIVE, Expert.erased_at.is_(None),
                                                  Expert.id.not_in(linked)).order_by(Expert.id).limit(1))


def load_demo(session: Session, *, experts: int = 80, deployments: int | None = None, seed: int = DEFAULT_SEED,
              today: date | None = None, replace: bool = False) -> DemoReport:
    """Generates the demo data set into the caller's transaction (never commits).

    Requires ``load_reference`` first (raises ``DemoDataError`` otherwise). If generated rows already exist it
    raises ``DemoDataExists``, unless ``replace=True``, which deletes every generated row first (real rows are
    never touched). ``deployments`` fixes the number of deployments (spread over more years when five cannot
    hold them); by default each expert gets what about five years of work produce (~11). Same ``seed`` and
    ``today`` give the same rows. Large tables go in with COPY; a ``DataLoad`` row (kind "demo") records the
    seed and counts.
    """
    began = time.perf_counter()
    if experts < 1:
        raise DemoDataError("experts must be at least 1")
    if deployments is not None and deployments < 0:
        raise DemoDataError("deployments cannot be negative")
    today = today or date.today()
    session.flush()
    ctx = _context(session, today)
    report = DemoReport(seed=seed, today=today)
    if _demo_exists(session):
        if not replace:
            raise DemoDataExists("Demo data is already loaded; load_demo(..., replace=True) deletes it first.")
        report.replaced = delete_generated(session)

    expert_frame = _experts(session, ctx, experts, seed)
    skills = _expert_skills(expert_frame, ctx, seed)
    dep, window = _deployments(session, expert_frame, ctx, deployments, seed)
    absences = _unavailability(dep, expert_frame, seed)
    surge = _surge(session, dep, skills, ctx, seed)
    dep["surge_request_id"] = _nullable_ids(surge.pop("_link").surge_request_id.to_numpy())
    projects = _projects(session, ctx, experts, window, seed)
    funding = _funding(session, ctx, dep, projects["project"], window, seed)
    knowledge = _knowledge(session, ctx, experts, window, seed)

    counts = report.counts
    counts["expert"] = _copy(session, "expert", _columns(expert_frame))
    counts["expert_skill"] = _copy(session, "expert_skill", _columns(skills))
    counts["expert_language"] = _copy(session, "expert_language", _expert_languages(expert_frame, seed))
    counts["expert_clearance"] = _copy(session, "expert_clearance", _expert_clearances(expert_frame, ctx, seed))
    counts["unavailability"] = _copy(session, "unavailability", absences)
    counts["project"] = _copy(session, "project", _columns(projects["project"]))
    for table in ("project_mission", "site", "project_site", "activity", "milestone", "result", "result_actual"):
        frame = projects[table]
        if table == "result":
            frame = frame.astype({"parent_id": "Int64"})
        counts[table] = _copy(session, table, frame)
    counts["grant_agreement"] = _copy(session, "grant_agreement", funding["grant_agreement"])
    counts["allocation"] = _copy(session, "allocation", funding["allocation"].astype({"project_id": "Int64"}))
    for table in ("surge_request", "surge_request_step", "surge_request_skill", "surge_request_language",
                  "surge_request_clearance"):
        counts[table] = _copy(session, table, surge[table])
    counts["deployment"] = _copy(session, "deployment", _columns(dep))
    counts["expenditure"] = _copy(session, "expenditure", funding["expenditure"])
    counts["assessment"] = _copy(session, "assessment", knowledge["assessment"])
    counts["recommendation"] = _copy(session, "recommendation", knowledge["recommendation"])
    counts["recommendation_follow_up"] = _copy(session, "recommendation_follow_up",
                                               knowledge["recommendation_follow_up"])
    counts["lesson"] = _copy(session, "lesson", knowledge["lesson"])
    assign_site_countries(session)
    # COPY bypassed the ORM: the session's identity map must not serve stale rows afterwards.
    session.expire_all()
    report.seconds = round(time.perf_counter() - began, 3)
    session.add(DataLoad(kind="demo", detail={"seed": seed, "today": today.isoformat(), "experts": experts,
                                              "deployments": deployments, "window_days": window,
                                              "replaced": report.replaced, "counts": counts}))
    session.flush()
    return report


__all__ = ["DemoDataError", "DemoDataExists", "DemoReport", "delete_generated", "load_demo"]

