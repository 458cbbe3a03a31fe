"""unavailability and expert_clearance: covering indexes for surge matching

Ranking a request reads the absences that overlap its period (``end_date >= start``) and the clearances of the
required types valid for the whole period. Without indexes both were full scans (53,000 and 86,000 rows at
10,000 experts); with them they are index-only scans of the rows that can matter.

Revision ID: 0006
Revises: 0005
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0006'
down_revision: str | None = '0005'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_unavailability_end_date_cover', 'unavailability', ['end_date'], unique=False,
                    postgresql_include=['start_date', 'expert_id'])
    op.create_index('ix_expert_clearance_type_cover', 'expert_clearance', ['clearance_type_id', 'obtained_on'],
                    unique=False, postgresql_include=['valid_until', 'expert_id'])


def downgrade() -> None:
    op.drop_index('ix_expert_clearance_type_cover', table_name='expert_clearance')
    op.drop_index('ix_unavailability_end_date_cover', table_name='unavailability')
