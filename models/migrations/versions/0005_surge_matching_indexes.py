"""deployment: a covering index on end_date for surge matching

Ranking a request reads, for every expert, the deployments that block the period or ended in the year
before it (rotation): ``end_date >= start - 365 days``. Without an index that is a scan of every deployment
ever made; with (end_date) INCLUDE (expert_id, start_date, status, surge_request_id) it is an index-only
scan of the recent end dates (bench/bench_matching.py: ~2,240 heap pages read down to ~200 index pages
at 100,000 deployments).

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_deployment_end_date_cover', 'deployment', ['end_date'], unique=False,
                    postgresql_include=['expert_id', 'start_date', 'status', 'surge_request_id'])


def downgrade() -> None:
    op.drop_index('ix_deployment_end_date_cover', table_name='deployment')
