"""Loads the real reference data (countries, missions, Geo-PKO sites) and the controlled vocabularies.

``load_reference`` is idempotent (upserts by natural key: country ADM0_A3, mission acronym, site (mission,
name), vocabulary codes) and all or nothing: it runs in the caller's transaction and never commits. A
malformed file raises ``geo.reference_files.ReferenceFileError`` before anything is written.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geoalchemy2.shape import from_shape
from shapely.geometry import Point
from sqlalchemy import (
    ColumnElement,
    Table,
    bindparam,
    exists,
    func,
    literal_column,
    not_,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.engine import CursorResult
from sqlalchemy.orm import Session

from geo.reference_files import MissionRecord, ReferenceData, iso_aliases, read_all
from models import (
    Capacity,
    ClearanceType,
    Country,
    DataLoad,
    Language,
    Mission,
    Site,
    Skill,
    Team,
    mission_host_country,
)
from services.formatting import language_name

GEOPKO_SOURCE = "Geo-PKO 2.3 FrontMap (Cil, Fjelde, Hultman and Nilsson 2020)"
# A coastal site or HQ outside the 1:110m outline still belongs to the nearest country this close (degrees).
COAST_TOLERANCE_DEG = 0.5

# --- controlled vocabularies ----------------------------------------------------------------------------
CAPACITIES: list[dict[str, Any]] = [
    {"code": "SPC", "name": "Standing Police Capacity", "name_fr": "Capacité de police permanente",
     "duty_station": "Brindisi", "target_days_to_deploy": 7},
    {"code": "JCSC", "name": "Justice and Corrections Standing Capacity",
     "name_fr": "Capacité permanente de justice et d’administration pénitentiaire", "duty_station": "Brindisi",
     "target_days_to_deploy": 3},
]
TEAMS: dict[str, list[str]] = {
    "SPC": ["Office of the Chief", "Police Reform and Capacity-Building Team", "Police Operations and Planning Team",
            "Investigations and Serious Crime Team", "Community-Oriented Policing and Gender Team",
            "Police Technology and Information Team"],
    "JCSC": ["Office of the Chief", "Justice Team", "Corrections Team", "Rule of Law Planning and Coordination Team"],
}
# (code, English, French, area)
SKILLS: list[tuple[str, str, str, str]] = [
    ("community_policing", "Community-oriented policing", "Police de proximité", "police"),
    ("police_reform", "Police reform and restructuring", "Réforme et restructuration de la police", "police"),
    ("police_capacity_building", "Police capacity-building and development",
     "Renforcement des capacités de la police", "police"),
    ("investigations", "Criminal investigations", "Enquêtes criminelles", "police"),
    ("forensics", "Forensics and crime scene management", "Police scientifique et gestion des scènes de crime",
     "police"),
    ("public_order", "Public order management", "Gestion de l'ordre public", "police"),
    ("police_intelligence", "Police information and intelligence", "Renseignement et information de police",
     "police"),
    ("sgbv_investigations", "SGBV investigations", "Enquêtes sur les violences sexuelles et basées sur le genre",
     "police"),
    ("serious_organized_crime", "Serious and organized crime", "Criminalité grave et organisée", "police"),
    ("border_policing", "Border and migration policing", "Police des frontières et des migrations", "police"),
    ("police_command", "Police command and mission management", "Commandement et gestion de mission (police)",
     "police"),
    ("fpu_operations", "Formed police unit operations", "Opérations des unités de police constituées", "police"),
    ("prison_management", "Prison management", "Gestion pénitentiaire", "corrections"),
    ("prison_security", "Prison security", "Sécurité pénitentiaire", "corrections"),
    ("prison_health", "Prison health and conditions of detention", "Santé en prison et conditions de détention",
     "corrections"),
    ("rehabilitation", "Rehabilitation and reintegration of prisoners", "Réinsertion des détenus", "corrections"),
    ("violent_extremist_prisoners", "Management of violent extremist prisoners",
     "Gestion des détenus extrémistes violents", "corrections"),
    ("judicial_affairs", "Judicial affairs", "Affaires judiciaires", "justice"),
    ("criminal_law_reform", "Criminal law reform", "Réforme du droit pénal", "justice"),
    ("legal_drafting", "Legal drafting", "Rédaction législative", "justice"),
    ("transitional_justice", "Transitional justice", "Justice transitionnelle", "justice"),
    ("prosecution_support", "Prosecution support and case management", "Appui aux poursuites et gestion des dossiers",
     "justice"),
    ("military_justice", "Military justice", "Justice militaire", "justice"),
    ("special_criminal_courts", "Special criminal courts", "Cours pénales spéciales", "justice"),
    ("rule_of_law_planning", "Rule-of-law planning", "Planification en matière d'état de droit", "cross_cutting"),
    ("police_technology", "Police technology and ICT", "Technologies et TIC de la police", "cross_cutting"),
    ("data_analysis", "Data analysis", "Analyse de données", "cross_cutting"),
    ("strategic_planning", "Strategic planning", "Planification stratégique", "cross_cutting"),
    ("training_of_trainers", "Training of trainers", "Formation de formateurs", "cross_cutting"),
    ("gender_mainstreaming", "Gender mainstreaming", "Intégration des questions de genre", "cross_cutting"),
    ("child_protection", "Child protection", "Protection de l'enfance", "cross_cutting"),
    ("human_rights", "Human rights in law enforcement", "Droits de l'homme dans l'application de la loi",
     "cross_cutting"),
    ("project_management", "Project and programme management", "Gestion de projets et de programmes",
     "cross_cutting"),
]
LANGUAGES: list[tuple[str, str, bool]] = [
    ("ar", "Arabic", True), ("zh", "Chinese", True), ("en", "English", True), ("fr", "French", True),
    ("ru", "Russian", True), ("es", "Spanish", True), ("pt", "Portuguese", False), ("sw", "Swahili", False),
    ("it", "Italian", False), ("de", "German", False), ("hi", "Hindi", False), ("bn", "Bengali", False),
    ("ur", "Urdu", False), ("ne", "Nepali", False), ("am", "Amharic", False), ("tr", "Turkish", False),
    ("so", "Somali", False), ("ha", "Hausa", False), ("ln", "Lingala", False), ("sg", "Sango", False),
]
# (code, English, French, is_training, validity in months; None: does not expire)
CLEARANCE_TYPES: list[tuple[str, str, str, bool, int | None]] = [
    ("BSAFE", "BSAFE security awareness training", "Formation de sensibilisation à la sécurité BSAFE", True, 36),
    ("SSAFE", "Safe and Secure Approaches in Field Environments (SSAFE)",
     "Stage de sécurité en mission (SSAFE)", True, 36),
    ("MEDICAL", "Medical clearance", "Certificat d’aptitude médicale", False, 24),
    ("SECURITY", "Security clearance", "Habilitation de sécurité", False, 60),
    ("PSEA", "Prevention of sexual exploitation and abuse (PSEA) training",
     "Formation à la prévention de l’exploitation et des atteintes sexuelles", True, 36),
    ("HARASSMENT", "Prevention of harassment, sexual harassment and abuse of authority",
     "Prévention du harcèlement, du harcèlement sexuel et de l’abus de pouvoir", True, 36),
    ("INFOSEC", "Information security awareness", "Sensibilisation à la sécurité de l’information", True, 12),
    ("DRIVING", "UN driving permit", "Permis de conduire des Nations Unies", False, 36),
    ("FIRST_AID", "Field first aid", "Premiers secours sur le terrain", True, 36),
    ("PDT", "Pre-deployment induction (standing capacities)",
     "Formation préalable au déploiement (capacités permanentes)", True, None),
]
# The missions' official French names (UN Secretariat usage, un.org/fr); a mission not listed keeps its
# English name in French, which is how the UN lists it where no French name is in use.
MISSION_NAMES_FR: dict[str, str] = {
    "MINURSO": "Mission des Nations Unies pour l’organisation d’un référendum au Sahara occidental",
    "MINUSCA": "Mission multidimensionnelle intégrée des Nations Unies pour la stabilisation en République "
               "centrafricaine",
    "MONUSCO": "Mission de l’Organisation des Nations Unies pour la stabilisation en République démocratique "
               "du Congo",
    "UNDOF": "Force des Nations Unies chargée d’observer le dégagement",
    "UNFICYP": "Force des Nations Unies chargée du maintien de la paix à Chypre",
    "UNIFIL": "Force intérimaire des Nations Unies au Liban",
    "UNISFA": "Force intérimaire de sécurité des Nations Unies pour Abyei",
    "UNMIK": "Mission d’administration intérimaire des Nations Unies au Kosovo",
    "UNMISS": "Mission des Nations Unies au Soudan du Sud",
    "UNMOGIP": "Groupe d’observateurs militaires des Nations Unies dans l’Inde et le Pakistan",
    "UNTSO": "Organisme des Nations Unies chargé de la surveillance de la trêve",
    "UNAMA": "Mission d’assistance des Nations Unies en Afghanistan",
    "UNAMI": "Mission d’assistance des Nations Unies pour l’Iraq",
    "UNSMIL": "Mission d’appui des Nations Unies en Libye",
    "UNTMIS": "Mission d’assistance transitoire des Nations Unies en Somalie",
    "BINUH": "Bureau intégré des Nations Unies en Haïti",
    "UNVMC": "Mission de vérification des Nations Unies en Colombie",
    "UNOWAS": "Bureau des Nations Unies pour l’Afrique de l’Ouest et le Sahel",
    "UNOCA": "Bureau régional des Nations Unies pour l’Afrique centrale",
    "UNRCCA": "Centre régional des Nations Unies pour la diplomatie préventive en Asie centrale",
    "UNSCO": "Bureau du Coordonnateur spécial des Nations Unies pour le processus de paix au Moyen-Orient",
    "UNSCOL": "Bureau du Coordonnateur spécial des Nations Unies pour le Liban",
    "UNMHA": "Mission des Nations Unies en appui à l’Accord sur Hodeïda",
    "OSESGY": "Bureau de l’Envoyé spécial du Secrétaire général pour le Yémen",
    "OSES-Syria": "Bureau de l’Envoyé spécial du Secrétaire général pour la Syrie",
    "OSESG-GL": "Bureau de l’Envoyé spécial du Secrétaire général pour la région des Grands Lacs",
    "OSESG-HoA": "Bureau de l’Envoyé spécial du Secrétaire général pour la Corne de l’Afrique",
    "UNGSC-SC": "Centre de services mondial des Nations Unies – Capacité de police permanente / Capacité "
                "permanente de justice et d’administration pénitentiaire",
    "MINUSMA": "Mission multidimensionnelle intégrée des Nations Unies pour la stabilisation au Mali",
    "MINUSTAH": "Mission des Nations Unies pour la stabilisation en Haïti",
    "MINUJUSTH": "Mission des Nations Unies pour l’appui à la justice en Haïti",
    "MONUC": "Mission de l’Organisation des Nations Unies en République démocratique du Congo",
    "UNAMID": "Opération hybride Union africaine-Nations Unies au Darfour",
    "UNOCI": "Opération des Nations Unies en Côte d’Ivoire",
    "UNMIL": "Mission des Nations Unies au Libéria",
    "UNMIT": "Mission intégrée des Nations Unies au Timor-Leste",
    "UNMIS": "Mission des Nations Unies au Soudan",
    "UNAMSIL": "Mission des Nations Unies en Sierra Leone",
    "UNMEE": "Mission des Nations Unies en Éthiopie et en Érythrée",
    "MINURCAT": "Mission des Nations Unies en République centrafricaine et au Tchad",
    "UNSMIS": "Mission de supervision des Nations Unies en Syrie",
    "ONUB": "Opération des Nations Unies au Burundi",
    "UNMIBH": "Mission des Nations Unies en Bosnie-Herzégovine",
    "UNTAET": "Administration transitoire des Nations Unies au Timor oriental",
    "UNMISET": "Mission d’appui des Nations Unies au Timor oriental",
    "UNAMIR": "Mission des Nations Unies pour l’assistance au Rwanda",
    "UNPROFOR": "Force de protection des Nations Unies",
    "UNTAC": "Autorité provisoire des Nations Unies au Cambodge",
}


@dataclass
class ReferenceReport:
    """What a reference load found and did; a second identical load reports nothing inserted or updated."""

    countries: int = 0
    missions: int = 0
    sites: int = 0
    host_links: int = 0
    capacities: int = 0
    teams: int = 0
    skills: int = 0
    languages: int = 0
    clearance_types: int = 0
    inserted: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    repairs: list[str] = field(default_factory=list)
    source_dir: str = ""

    @property
    def changed(self) -> bool:
        return any(self.inserted.values()) or any(self.updated.values())


# --- names in the user's language -------------------------------------------------------------------------
def is_french(locale: str | None) -> bool:
    return bool(locale) and str(locale).split("_")[0].split("-")[0] == "fr"


def localized_name(obj: Any, locale: str | None) -> str:
    """The name of a reference record (mission, country, donor, capacity, skill, clearance type, language: a
    model, a result row or a mapping with ``name`` and ``name_fr``) in ``locale``: the French name in French
    where there is one, else the name. A language without ``name_fr`` takes its CLDR name from its code."""
    def field(key: str) -> Any:
        return obj.get(key) if isinstance(obj, dict) else getattr(obj, key, None)

    name = field("name")
    if not is_french(locale):
        return str(name)
    french = field("name_fr")
    if french:
        return str(french)
    if isinstance(obj, Language) or (isinstance(obj, dict) and "is_un_official" in obj):
        return language_label(str(field("code")), str(name), locale)
    return str(name)


def language_label(code: str, name: str, locale: str | None) -> str:
    """A language's name on a page: the hub's own (English) name, in French the CLDR's (arabe, swahili)."""
    return language_name(code, locale, name) if is_french(locale) else name


def localized_column(model: Any, locale: str | None) -> ColumnElement[str]:
    """The same in SQL: ``coalesce(name_fr, name)`` in French, ``name`` otherwise."""
    return func.coalesce(model.name_fr, model.name) if is_french(locale) else model.name


def _differs(table: Table, columns: Iterable[str], excluded: Any) -> ColumnElement[bool]:
    return or_(*(table.c[name].is_distinct_from(excluded[name]) for name in columns))


def _upsert(session: Session, table: Table, rows: Sequence[dict[str, Any]], key: Sequence[str],
            compare: Sequence[str] | None = None, extra_set: dict[str, Any] | None = None) -> tuple[int, int]:
    """INSERT ... ON CONFLICT DO UPDATE only where a value differs; returns (inserted, updated)."""
    if not rows:
        return 0, 0
    compare = list(compare if compare is not None else [c for c in rows[0] if c not in key])
    stmt = insert(table)
    set_: dict[str, Any] = {name: stmt.excluded[name] for name in compare}
    set_.update(extra_set or {})
    if compare:
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_=set_,
                                          where=_differs(table, compare, stmt.excluded))
    else:
        stmt = stmt.on_conflict_do_nothing(index_elements=list(key))
    # xmax = 0 marks a freshly inserted row; skipped rows return nothing.
    flags: Sequence[Any] = session.execute(stmt.returning(literal_column("(xmax = 0)")), list(rows)).scalars().all()
    inserted = sum(1 for flag in flags if flag)
    return inserted, len(flags) - inserted


def _point(lon: float | None, lat: float | None) -> Any:
    if lon is None or lat is None:
        return None
    return from_shape(Point(lon, lat), srid=4326)


def _mission_row(m: MissionRecord) -> dict[str, Any]:
    return {
        "acronym": m.acronym, "name": m.name, "mission_type": m.mission_type, "lead_department": m.lead_department,
        "name_fr": MISSION_NAMES_FR.get(m.acronym), "hq_city": m.hq_city, "hq": _point(m.longitude, m.latitude),
        "start_date": m.start_date,
        "end_date": m.end_date, "active": m.active, "source": m.source,
    }


def _load_vocabularies(session: Session, report: ReferenceReport) -> None:
    ins, upd = _upsert(session, Capacity.__table__, CAPACITIES, ["code"])
    report.inserted["capacity"], report.updated["capacity"] = ins, upd
    capacity_ids = dict(session.execute(select(Capacity.code, Capacity.id)).all())
    team_rows = [{"capacity_id": capacity_ids[code], "name": name} for code, names in TEAMS.items() for name in names]
    report.inserted["team"], _ = _upsert(session, Team.__table__, team_rows, ["capacity_id", "name"], [])
    skill_rows = [{"code": c, "name": n, "name_fr": fr, "area": a} for c, n, fr, a in SKILLS]
    report.inserted["skill"], report.updated["skill"] = _upsert(session, Skill.__table__, skill_rows, ["code"])
    language_rows = [{"code": c, "name": n, "is_un_official": o} for c, n, o in LANGUAGES]
    report.inserted["language"], report.updated["language"] = _upsert(
        session, Language.__table__, language_rows, ["code"])
    clearance_rows = [{"code": c, "name": n, "name_fr": fr, "is_training": t, "validity_months": v}
                      for c, n, fr, t, v in CLEARANCE_TYPES]
    report.inserted["clearance_type"], report.updated["clearance_type"] = _upsert(
        session, ClearanceType.__table__, clearance_rows, ["code"])


def _load_sites(session: Session, data: ReferenceData, mission_ids: dict[str, int]) -> tuple[int, int]:
    """Geo-PKO sites keyed by (mission, name): new ones inserted, changed ones updated, equal ones untouched."""
    existing: dict[tuple[int, str], tuple[Any, ...]] = {}
    rows = session.execute(
        select(Site.id, Site.mission_id, Site.name, Site.kind, func.ST_X(Site.location), func.ST_Y(Site.location),
               Site.first_year, Site.last_year, Site.source)
        .where(Site.mission_id.is_not(None), Site.is_generated.is_(False))
    ).all()
    for row in rows:
        existing[(row[1], row[2])] = tuple(row)
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for site in data.sites.itertuples(index=False):
        mission_id = mission_ids[str(site.mission)]
        lon, lat = float(site.longitude), float(site.latitude)
        values = {"kind": str(site.kind), "first_year": int(site.first_year), "last_year": int(site.last_year),
                  "source": GEOPKO_SOURCE}
        old = existing.get((mission_id, str(site.name)))
        if old is None:
            inserts.append({"name": str(site.name), "mission_id": mission_id, "location": _point(lon, lat),
                            "is_generated": False, **values})
        elif (str(old[3]), old[4], old[5], old[6], old[7], old[8]) != (
                values["kind"], lon, lat, values["first_year"], values["last_year"], GEOPKO_SOURCE):
            updates.append({"b_id": old[0], "location": _point(lon, lat), **values})
    if inserts:
        session.execute(insert(Site.__table__), inserts)
    if updates:
        table: Table = Site.__table__
        stmt = (update(table).where(table.c.id == bindparam("b_id"))
                .values(kind=bindparam("kind"), first_year=bindparam("first_year"),
                        last_year=bindparam("last_year"), source=bindparam("source"),
                        location=bindparam("location", type_=table.c.location.type)))
        session.connection().execute(stmt, updates)
    return len(inserts), len(updates)


def _nearest_country(point: Any) -> Any:
    """The country a point falls in (ST_Within), else the nearest within the coastal tolerance."""
    return (
        select(Country.iso3)
        .where(func.ST_DWithin(Country.boundary, point, COAST_TOLERANCE_DEG))
        .order_by(not_(func.ST_Within(point, Country.boundary)), func.ST_Distance(Country.boundary, point),
                  Country.iso3)
        .limit(1)
        .scalar_subquery()
    )


def assign_site_countries(session: Session) -> int:
    """Sets the country of Geo-PKO sites and of sites without one (ST_Within, coastal fallback).

    Returns the number of rows changed."""
    site = Site.__table__.alias("s")
    target = _nearest_country(site.c.location)
    wanted = (select(site.c.id, target.label("iso3"))
              .where(or_(site.c.country_iso3.is_(None), site.c.source == GEOPKO_SOURCE))
              .subquery())
    stmt = (update(Site).where(Site.id == wanted.c.id, wanted.c.iso3.is_not(None),
                               Site.country_iso3.is_distinct_from(wanted.c.iso3))
            .values(country_iso3=wanted.c.iso3))
    result: CursorResult[Any] = session.execute(  # type: ignore[assignment]  # an UPDATE's result has rowcount
        stmt, execution_options={"synchronize_session": False})
    return result.rowcount or 0


def _link_hosts(session: Session, data: ReferenceData, mission_ids: dict[str, int]) -> int:
    aliases = iso_aliases(data.countries)
    links = {(mission_ids[m.acronym], aliases[h]) for m in data.missions for h in m.host_iso3 if h in aliases}
    added = 0
    if links:
        stmt = insert(mission_host_country).on_conflict_do_nothing()
        added += len(session.execute(
            stmt.returning(mission_host_country.c.mission_id),
            [{"mission_id": m, "country_iso3": c} for m, c in sorted(links)],
        ).all())
    # Every country a mission's Geo-PKO sites fall in hosts the mission.
    from_sites = (select(Site.mission_id, Site.country_iso3).distinct()
                  .where(Site.source == GEOPKO_SOURCE, Site.mission_id.is_not(None), Site.country_iso3.is_not(None)))
    stmt = insert(mission_host_country).from_select(["mission_id", "country_iso3"], from_sites)
    added += len(session.execute(stmt.on_conflict_do_nothing().returning(mission_host_country.c.mission_id)).all())
    # Missions known only by their HQ point (most before 1994): the country of the HQ.
    no_host = ~exists().where(mission_host_country.c.mission_id == Mission.id)
    from_hq = (select(Mission.id, _nearest_country(Mission.hq).label("iso3"))
               .where(Mission.hq.is_not(None), no_host).subquery())
    stmt = insert(mission_host_country).from_select(
        ["mission_id", "country_iso3"], select(from_hq.c.id, from_hq.c.iso3).where(from_hq.c.iso3.is_not(None)))
    added += len(session.execute(stmt.on_conflict_do_nothing().returning(mission_host_country.c.mission_id)).all())
    return added


def load_reference(session: Session, source_dir: Path | None = None) -> ReferenceReport:
    """Loads (or refreshes) countries, missions, Geo-PKO sites, host countries and the vocabularies.

    ``source_dir`` defaults to the copies shipped in geo/data; the shared layout (../shared/data) works too.
    Every file is read and validated before the first write, so a malformed file changes nothing.
    Never commits: the caller owns the transaction.
    """
    data = read_all(source_dir)
    report = ReferenceReport(repairs=list(data.repairs), source_dir=str(data.paths.countries.parent.parent))

    country_rows = [{"iso3": c.iso3, "iso_a3": c.iso_a3, "name": c.name, "name_fr": c.name_fr, "region": c.region,
                     "subregion": c.subregion, "continent": c.continent,
                     "boundary": from_shape(c.geometry, srid=4326)} for c in data.countries]
    table: Table = Country.__table__
    stmt = insert(table)
    plain = ["iso_a3", "name", "name_fr", "region", "subregion", "continent"]
    # Geometries are compared as EWKB bytes: exact, and independent of PostGIS's '=' semantics.
    changed = or_(_differs(table, plain, stmt.excluded),
                  func.ST_AsEWKB(table.c.boundary).is_distinct_from(func.ST_AsEWKB(stmt.excluded.boundary)))
    stmt = stmt.on_conflict_do_update(index_elements=["iso3"], set_={n: stmt.excluded[n] for n in
                                                                     [*plain, "boundary"]}, where=changed)
    flags: Sequence[Any] = session.execute(stmt.returning(literal_column("(xmax = 0)")), country_rows).scalars().all()
    report.inserted["country"] = sum(1 for flag in flags if flag)
    report.updated["country"] = len(flags) - report.inserted["country"]

    mission_rows = [_mission_row(m) for m in data.missions]
    mission_table: Table = Mission.__table__
    compare = [c for c in mission_rows[0] if c not in ("acronym", "hq")]
    mstmt = insert(mission_table)
    mchanged = or_(_differs(mission_table, compare, mstmt.excluded),
                   func.ST_AsEWKB(mission_table.c.hq).is_distinct_from(func.ST_AsEWKB(mstmt.excluded.hq)))
    mstmt = mstmt.on_conflict_do_update(
        index_elements=["acronym"], set_={**{n: mstmt.excluded[n] for n in [*compare, "hq"]}, "updated_at": func.now()},
        where=mchanged)
    mission_flags: Sequence[Any] = session.execute(mstmt.returning(literal_column("(xmax = 0)")),
                                                   mission_rows).scalars().all()
    report.inserted["mission"] = sum(1 for flag in mission_flags if flag)
    report.updated["mission"] = len(mission_flags) - report.inserted["mission"]
    acronyms = [m.acronym for m in data.missions]
    mission_ids = dict(session.execute(
        select(Mission.acronym, Mission.id).where(Mission.acronym.in_(acronyms))).all())

    report.inserted["site"], report.updated["site"] = _load_sites(session, data, mission_ids)
    report.updated["site_country"] = assign_site_countries(session)
    report.inserted["mission_host_country"] = _link_hosts(session, data, mission_ids)
    _load_vocabularies(session, report)

    report.countries = session.scalar(select(func.count()).select_from(Country)) or 0
    report.missions = session.scalar(select(func.count()).select_from(Mission)) or 0
    report.sites = session.scalar(select(func.count()).select_from(Site).where(Site.source == GEOPKO_SOURCE)) or 0
    report.host_links = session.scalar(select(func.count()).select_from(mission_host_country)) or 0
    report.capacities = session.scalar(select(func.count()).select_from(Capacity)) or 0
    report.teams = session.scalar(select(func.count()).select_from(Team)) or 0
    report.skills = session.scalar(select(func.count()).select_from(Skill)) or 0
    report.languages = session.scalar(select(func.count()).select_from(Language)) or 0
    report.clearance_types = session.scalar(select(func.count()).select_from(ClearanceType)) or 0
    if report.changed:
        # A load that changed nothing leaves no trace, so that loading twice changes nothing.
        session.add(DataLoad(kind="reference", detail={
            "source_dir": report.source_dir, "inserted": report.inserted, "updated": report.updated,
            "repairs": len(report.repairs)}))
        session.flush()
    return report


__all__ = ["ReferenceReport", "assign_site_countries", "is_french", "language_label", "load_reference",
           "localized_column", "localized_name"]
