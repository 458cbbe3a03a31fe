"""The reference readers and loader against the real files and a real PostGIS."""

from __future__ import annotations

import hashlib
import shutil
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import create_engine, func, pool, select
from sqlalchemy.orm import Session

from geo.reference_files import (
    DATA_DIR,
    ReferenceFileError,
    read_all,
    read_countries,
    read_geopko,
    read_pko,
)
from models import Capacity, Country, DataLoad, Mission, Site, Skill, migrate, mission_host_country
from models.enums import MissionType, SiteKind
from services.reference_data import load_reference


@pytest.fixture(scope="module")
def shipped():
    return read_all()


def _repairs_about(repairs: list[str], acronym: str) -> list[str]:
    return [r for r in repairs if f" {acronym}:" in r]


# SHA-256 of the public files the shipped copies were taken from (../shared/data, as published): a shipped file
# changed by hand, or a re-download that differs, fails here.
PUBLISHED = {
    "naturalearth/ne_110m_admin_0_countries.shp": "08e341606e8391e458c3f08deb312de664b56bfae376064c5aa0aee6681a5f55",
    "naturalearth/ne_110m_admin_0_countries.dbf": "4b4f72bf36eacebf43c681810f80732e5f58725ecdc012f56650db8079c54fb6",
    "missions/DPPADPOSS-PKO_2024-02-19.csv": "234ee1f8ecf3d7974f4bb3818fc5a7c9212c77c2643156bfb8b7f04b6089b471",
    "missions/current_missions_curated.csv": "0f1c60c87d74106acccb671c4d56f4ef124befdffc40ccfc8059d67b12675c94",
    "geopko/FrontMap_v.2.3.csv": "497b78430a64213c1c677fcd582583ebdfa1dc01f826909b7eea441e8d5874e3",
}
# Where the same files sit in the shared layout (../shared/data): ReferencePaths reads both.
SHARED_LAYOUT = {
    "naturalearth": "boundaries", "geopko": "deployments", "missions": "missions", "contributions": "contributions",
}


def test_shipped_copies_are_the_published_files() -> None:
    for shipped, digest in PUBLISHED.items():
        assert hashlib.sha256((DATA_DIR / shipped).read_bytes()).hexdigest() == digest, shipped
    sources = (DATA_DIR / "SOURCES.md").read_text()
    assert "Cil" in sources and "Journal of Peace Research" in sources and "CC BY-IGO" in sources
    assert (DATA_DIR / "contributions" / "corinnee_LICENSE_MIT.txt").exists()


def test_shared_layout_and_shipped_read_the_same(shipped, tmp_path: Path) -> None:
    """The shared data's layout (boundaries/, deployments/), built here from the shipped files, reads the same."""
    for shipped_dir, shared_dir in SHARED_LAYOUT.items():
        shutil.copytree(DATA_DIR / shipped_dir, tmp_path / shared_dir)
    shared = read_all(tmp_path)
    assert len(shared.countries) == len(shipped.countries) == 177
    assert len(shared.missions) == len(shipped.missions)
    assert len(shared.sites) == len(shipped.sites)
    assert shared.repairs == shipped.repairs


def test_swapped_coordinates_are_detected_and_reported(shipped) -> None:
    for acronym in ("UNOSOM I", "UNOSOM II", "UNEF", "UNAVEM I", "UNAVEM II", "MINUSMA"):
        assert any("swapped" in r for r in _repairs_about(shipped.repairs, acronym)), acronym
    missions = {m.acronym: m for m in shipped.missions}
    # Mogadishu, Gaza, Luanda, Bamako after the repair.
    assert missions["UNOSOM I"].latitude == pytest.approx(2.0333)
    assert missions["UNOSOM I"].longitude == pytest.approx(45.35)
    assert missions["UNEF"].latitude == pytest.approx(31.5)
    assert missions["UNAVEM II"].latitude == pytest.approx(-8.8383)
    assert missions["MINUSMA"].latitude == pytest.approx(12.65)
    assert missions["MINUSMA"].longitude == pytest.approx(-8.0)
    # Rows that were right stay as they were.
    assert missions["UNOSOM"].latitude == pytest.approx(2.0333)
    assert not any("swapped" in r for r in _repairs_about(shipped.repairs, "UNEF I"))


def test_untso_and_minusma_quirks(shipped) -> None:
    pko = read_pko(DATA_DIR / "missions" / "DPPADPOSS-PKO_2024-02-19.csv")
    untso = next(m for m in pko.missions if m.acronym == "UNTSO")
    assert untso.latitude is None and untso.active
    assert any("no coordinates" in r for r in _repairs_about(pko.repairs, "UNTSO"))
    minusma = next(m for m in pko.missions if m.acronym == "MINUSMA")
    assert not minusma.active and minusma.end_date == date(2023, 12, 31)
    assert any("not active" in r for r in _repairs_about(pko.repairs, "MINUSMA"))
    assert any("decimal comma" in r for r in pko.repairs)
    assert len(pko.missions) == 81
    # The merged list takes UNTSO's HQ from the curated file and keeps 81 + the curated extras.
    merged = {m.acronym: m for m in shipped.missions}
    assert merged["UNTSO"].latitude is not None
    assert merged["UNGSC-SC"].mission_type == MissionType.OTHER
    assert merged["UNAMA"].mission_type == MissionType.SPM


def test_countries_keyed_by_adm0_a3(natural_earth: Path) -> None:
    countries = {c.iso3: c for c in read_countries(natural_earth / "ne_110m_admin_0_countries.shp")}
    assert len(countries) == 177
    # ISO_A3 is -99 for both; ISO_A3_EH (France) and ADM0_A3_IS (Norway) give the ISO code
    assert countries["FRA"].iso_a3 == "FRA" and countries["NOR"].iso_a3 == "NOR"
    assert countries["FRA"].name_fr == "France" and countries["NOR"].name_fr == "Norvège"
    assert countries["SDS"].iso_a3 == "SSD"
    assert countries["ITA"].region == "Europe" and countries["ITA"].continent == "Europe"
    assert all(c.geometry.geom_type == "MultiPolygon" and c.geometry.is_valid for c in countries.values())


def test_geopko_sites_are_distinct() -> None:
    sites = read_geopko(DATA_DIR / "geopko" / "FrontMap_v.2.3.csv").sites
    assert len(sites) > 1400
    assert not sites.duplicated(["mission", "name"]).any()
    assert set(sites.kind) == {str(SiteKind.MISSION_HQ), str(SiteKind.DEPLOYMENT_LOCATION)}
    bangui = sites[(sites.mission == "MINUSCA") & (sites.name == "Bangui")].iloc[0]
    assert bangui.kind == str(SiteKind.MISSION_HQ) and bangui.first_year == 2014


def test_load_into_empty_database_and_again(fresh_database) -> None:
    url = fresh_database("hub_refload")
    migrate.upgrade(url)
    engine = create_engine(url, poolclass=pool.NullPool)
    try:
        with Session(engine) as session, session.begin():
            first = load_reference(session)
        assert first.countries == 177
        assert first.missions >= 81
        assert first.sites > 1400
        assert first.capacities == 2 and first.skills >= 30 and first.languages >= 8
        assert first.changed

        def counts(session: Session) -> dict[str, int]:
            return {str(m): session.scalar(select(func.count()).select_from(m)) or 0
                    for m in (Country, Mission, Site, mission_host_country, Capacity, Skill, DataLoad)}

        with Session(engine) as session:
            before = counts(session)
            hq_country = session.execute(
                select(Site.country_iso3).join(Mission).where(Mission.acronym == "MINUSCA", Site.name == "Bangui")
            ).scalar_one()
            assert hq_country == "CAF"
            hosts = set(session.scalars(
                select(mission_host_country.c.country_iso3)
                .join(Mission, Mission.id == mission_host_country.c.mission_id).where(Mission.acronym == "UNMISS")))
            assert "SDS" in hosts  # curated SSD mapped to Natural Earth's key
            jcsc = session.scalars(select(Capacity).where(Capacity.code == "JCSC")).one()
            assert jcsc.target_days_to_deploy == 3
            assert session.scalar(select(Mission.active).where(Mission.acronym == "MINUSMA")) is False
        with Session(engine) as session, session.begin():
            second = load_reference(session)
        assert not second.changed, (second.inserted, second.updated)
        with Session(engine) as session:
            assert counts(session) == before
    finally:
        engine.dispose()


# --- malformed files -----------------------------------------------------------------------------------
@pytest.fixture
def data_copy(tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(DATA_DIR, target, ignore=shutil.ignore_patterns("corinnee_CountryByYear.csv"))
    return target


def _count_missions(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(Mission)) or 0


def test_missing_column_names_the_file(data_copy: Path, session: Session) -> None:
    path = data_copy / "missions" / "DPPADPOSS-PKO_2024-02-19.csv"
    frame = pd.read_csv(path, dtype=str)
    frame.drop(columns=["mission_latitude"]).to_csv(path, index=False)
    before = _count_missions(session)
    with pytest.raises(ReferenceFileError, match=r"DPPADPOSS-PKO_2024-02-19\.csv.*missing column.*mission_latitude"):
        load_reference(session, data_copy)
    assert _count_missions(session) == before


def test_bad_coordinate_names_the_row(data_copy: Path, session: Session) -> None:
    path = data_copy / "missions" / "DPPADPOSS-PKO_2024-02-19.csv"
    lines = path.read_text().splitlines()
    assert lines[3].startswith("11,UNPROFOR")
    lines[3] = lines[3].replace('"15,9833"', '"east of Zagreb"')
    path.write_text("\n".join(lines) + "\n")
    before = _count_missions(session)
    with pytest.raises(ReferenceFileError) as caught:
        load_reference(session, data_copy)
    assert caught.value.row == 4
    assert "row 4" in str(caught.value) and "not a number" in str(caught.value)
    assert _count_missions(session) == before


def test_bad_geopko_latitude(data_copy: Path) -> None:
    path = data_copy / "geopko" / "FrontMap_v.2.3.csv"
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    frame.loc[9, "latitude"] = "n/a"
    frame.to_csv(path, index=False)
    with pytest.raises(ReferenceFileError, match=r"FrontMap_v\.2\.3\.csv, row 11: latitude 'n/a' is not a number"):
        read_geopko(path)


def test_truncated_shapefile(data_copy: Path, session: Session) -> None:
    shp = data_copy / "naturalearth" / "ne_110m_admin_0_countries.shp"
    shp.write_bytes(shp.read_bytes()[:50_000])
    before = session.scalar(select(func.count()).select_from(Country))
    with pytest.raises(ReferenceFileError, match=r"ne_110m_admin_0_countries\.shp"):
        load_reference(session, data_copy)
    assert session.scalar(select(func.count()).select_from(Country)) == before


def test_missing_shapefile_part(data_copy: Path) -> None:
    (data_copy / "naturalearth" / "ne_110m_admin_0_countries.dbf").unlink()
    with pytest.raises(ReferenceFileError, match=r"\.dbf part is missing"):
        read_countries(data_copy / "naturalearth" / "ne_110m_admin_0_countries.shp")
