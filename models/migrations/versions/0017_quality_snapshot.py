"""quality_snapshot: the data-quality scorecard's daily counts per rule and scope, for its trend

Revision ID: 0017
Revises: 0016
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0017'
down_revision: str | None = '0016'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'quality_snapshot',
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('rule', sa.String(length=60), nullable=False),
        sa.Column('scope', sa.String(length=10), nullable=False),
        sa.Column('scope_id', sa.Integer(), nullable=False),
        sa.Column('checked', sa.Integer(), nullable=False),
        sa.Column('failing', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('day', 'rule', 'scope', 'scope_id', name=op.f('pk_quality_snapshot')),
    )


def downgrade() -> None:
    op.drop_table('quality_snapshot')
