"""One change counter per table the operations map reads, bumped by statement-level triggers (migration 0022).

The counters, read in a request's own transaction, say which data that transaction sees: the map's answer cache
is keyed on them and the columnar copy (services.analytics.columnar) answers only while it was loaded at the
same counters. A trigger, not the services, bumps them: whoever writes (the ORM, a COPY, psql) cannot forget.
Tables the map never reads (users, tokens, the audit log, rate limits, layers) have no counter, so a login, a
token use or an audit row moves nothing.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from models.base import Base

# The tables with a counter: everything the operations map, its charts and its figures read.
VERSIONED_TABLES = (
    "allocation", "capacity", "country", "deployment", "donor", "exchange_rate", "expenditure", "expert",
    "expert_skill", "fund",
    "grant_agreement", "mission", "mission_host_country", "project", "project_mission", "project_site", "site",
    "skill", "surge_request", "surge_request_step", "unavailability",
)

# Tables whose counter an UPDATE moves only when it sets one of these columns (migration 0025): an expert's row is
# written for its version whenever a part of the record changes (an absence, a skill), which the map does not read
# from it. Every column of the table the map, its charts and its figures read must be here
# (tests/test_columnar.py checks services/analytics and services/briefing against it).
COUNTED_COLUMNS = {"expert": ("id", "capacity_id", "gender", "status", "given_name", "family_name")}


class DataVersion(Base):
    __tablename__ = "data_version"

    table_name: Mapped[str] = mapped_column(String(63), primary_key=True)
    version: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0, server_default="0")
