"""data_version: a change counter per table the operations map reads, bumped by statement-level triggers

The map's answer cache was keyed on pg_current_snapshot(), which every commit moves: a login, an audit row or a
token use emptied it. The columnar copy of the map's fact tables (services/analytics/columnar.py) must know
whether it is older than the database. Both read these counters in the request's own transaction instead.

As in migration 0010, triggers keep them (a COPY of 100,000 rows bumps a counter once: statement level). The
function runs as its owner (SECURITY DEFINER, search path pinned): the app's role may read the counters but not
set them (models.migrate.READ_ONLY), so nothing but a write to a counted table moves one. The UPDATE holds the
counter's row until the writing transaction ends, so writers of one table queue on it; hub transactions are
short, and that order is what makes a counter equal data.

Also a GiST index on the live deployments' period, for the map's day (places, mission points, head count).

Revision ID: 0022
Revises: 0021
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here (a migration does not follow the models): models.data_version.VERSIONED_TABLES at this revision.
TABLES = (
    "allocation", "capacity", "country", "deployment", "donor", "exchange_rate", "expenditure", "expert",
    "expert_skill", "fund",
    "grant_agreement", "mission", "mission_host_country", "project", "project_mission", "project_site", "site",
    "skill", "surge_request", "surge_request_step", "unavailability",
)

FUNCTION = """
CREATE FUNCTION hub_bump_data_version() RETURNS trigger LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    UPDATE public.data_version SET version = version + 1 WHERE table_name = TG_TABLE_NAME;
    RETURN NULL;
END
$$
"""


def upgrade() -> None:
    op.create_table(
        'data_version',
        sa.Column('table_name', sa.String(length=63), nullable=False),
        sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
        sa.PrimaryKeyConstraint('table_name', name=op.f('pk_data_version')),
    )
    op.bulk_insert(sa.table('data_version', sa.column('table_name', sa.String)), [{"table_name": t} for t in TABLES])
    op.execute(FUNCTION)
    op.execute("REVOKE ALL ON FUNCTION hub_bump_data_version() FROM PUBLIC")
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION hub_bump_data_version()")
    op.create_index('ix_deployment_live_period', 'deployment', ['period'], unique=False,
                    postgresql_using='gist', postgresql_where=sa.text("status <> 'cancelled'"))


def downgrade() -> None:
    op.drop_index('ix_deployment_live_period', table_name='deployment',
                  postgresql_using='gist', postgresql_where=sa.text("status <> 'cancelled'"))
    for table in TABLES:
        op.execute(f"DROP TRIGGER {table}_data_version ON {table}")
    op.execute("DROP FUNCTION hub_bump_data_version()")
    op.drop_table('data_version')
