"""Countries, missions and sites: the places everything else is tied to."""

from __future__ import annotations

from datetime import date
from typing import Any

from geoalchemy2 import Geometry, WKBElement
from sqlalchemy import CheckConstraint, Column, ColumnElement, Date, ForeignKey, String, Table, Text, func, or_
from sqlalchemy.ext.hybrid import hybrid_property
from sqlalchemy.orm import Mapped, mapped_column, relationship

from models.base import Base, Generated, Timestamped, enum_column
from models.enums import MissionType, SiteKind

mission_host_country = Table(
    "mission_host_country",
    Base.metadata,
    Column("mission_id", ForeignKey("mission.id", ondelete="CASCADE"), primary_key=True),
    Column("country_iso3", ForeignKey("country.iso3", ondelete="RESTRICT"), primary_key=True),
)


class Country(Base):
    __tablename__ = "country"
    __table_args__ = (CheckConstraint("iso3 ~ '^[A-Z]{3}$'", name="iso3_format"),
                      CheckConstraint("iso_a3 ~ '^[A-Z]{3}$'", name="iso_a3_format"))

    # The key inside: Natural Earth's ADM0_A3 (SDS for South Sudan; ISO_A3 is -99 for France, Norway, Kosovo).
    iso3: Mapped[str] = mapped_column(String(3), primary_key=True)
    # What the edges speak: ISO 3166-1 alpha-3 (SSD); XKX for Kosovo as the UN and EU use; null where ISO has
    # none (Northern Cyprus, Somaliland), and then ``code`` falls back to Natural Earth's (migration 0012).
    iso_a3: Mapped[str | None] = mapped_column(String(3), unique=True)
    name: Mapped[str] = mapped_column(String(120), nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(120))
    region: Mapped[str | None] = mapped_column(String(60))
    subregion: Mapped[str | None] = mapped_column(String(60))
    continent: Mapped[str | None] = mapped_column(String(60))
    boundary: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326))

    @hybrid_property
    def code(self) -> str:
        """The code a client sees and sends: ISO 3166-1 alpha-3, else Natural Earth's."""
        return self.iso_a3 or self.iso3

    @code.inplace.expression
    @classmethod
    def _code(cls) -> ColumnElement[str]:
        return func.coalesce(cls.iso_a3, cls.iso3)

    @classmethod
    def named_by(cls, codes: Any) -> ColumnElement[bool]:
        """Countries a filter names. ISO codes, and also the Natural Earth keys that the map page's host-country
        clicks and links saved before 0012 carry (no Natural Earth key is another country's ISO code)."""
        return or_(func.coalesce(cls.iso_a3, cls.iso3).in_(codes), cls.iso3.in_(codes))


class Mission(Timestamped, Base):
    __tablename__ = "mission"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR start_date IS NULL OR end_date >= start_date", name="dates_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    acronym: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(250), nullable=False)
    name_fr: Mapped[str | None] = mapped_column(String(250))
    mission_type: Mapped[MissionType] = mapped_column(enum_column(MissionType, "mission_type"), nullable=False)
    lead_department: Mapped[str | None] = mapped_column(String(20))
    hq_city: Mapped[str | None] = mapped_column(String(120))
    hq: Mapped[WKBElement | None] = mapped_column(Geometry("POINT", srid=4326))
    area: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326))
    start_date: Mapped[date | None] = mapped_column(Date)
    end_date: Mapped[date | None] = mapped_column(Date)
    active: Mapped[bool] = mapped_column(nullable=False, default=False)
    source: Mapped[str | None] = mapped_column(Text)

    host_countries: Mapped[list[Country]] = relationship(secondary=mission_host_country, lazy="selectin")
    sites: Mapped[list[Site]] = relationship(back_populates="mission")


class Site(Generated, Base):
    __tablename__ = "site"
    __table_args__ = (
        CheckConstraint("ST_IsValid(location)", name="location_valid"),
        CheckConstraint("area IS NULL OR ST_IsValid(area)", name="area_valid"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[SiteKind] = mapped_column(enum_column(SiteKind, "site_kind"), nullable=False)
    mission_id: Mapped[int | None] = mapped_column(ForeignKey("mission.id", ondelete="SET NULL"), index=True)
    country_iso3: Mapped[str | None] = mapped_column(ForeignKey("country.iso3"), index=True)
    location: Mapped[WKBElement] = mapped_column(Geometry("POINT", srid=4326), nullable=False)
    # A site drawn as an area (a compound, a district); ``location`` is then a point inside it, for the dots.
    area: Mapped[WKBElement | None] = mapped_column(Geometry("MULTIPOLYGON", srid=4326))
    source: Mapped[str | None] = mapped_column(Text)
    # Geo-PKO: first and last year the location was recorded.
    first_year: Mapped[int | None]
    last_year: Mapped[int | None]

    mission: Mapped[Mission | None] = relationship(back_populates="sites")
