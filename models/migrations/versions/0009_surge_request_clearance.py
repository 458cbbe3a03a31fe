"""surge_request_clearance: the clearances a request requires, chosen per request

Until now every request required MEDICAL and SECURITY. The existing requests keep exactly that (backfilled
here, where those types exist); a new request chooses its own, with the same default in the form.

Revision ID: 0009
Revises: 0008
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0009'
down_revision: str | None = '0008'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'surge_request_clearance',
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('clearance_type_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['clearance_type_id'], ['clearance_type.id'],
                                name=op.f('fk_surge_request_clearance_clearance_type_id_clearance_type')),
        sa.ForeignKeyConstraint(['request_id'], ['surge_request.id'], ondelete='CASCADE',
                                name=op.f('fk_surge_request_clearance_request_id_surge_request')),
        sa.PrimaryKeyConstraint('request_id', 'clearance_type_id', name=op.f('pk_surge_request_clearance')),
    )
    op.execute("""
        INSERT INTO surge_request_clearance (request_id, clearance_type_id)
        SELECT r.id, c.id FROM surge_request r CROSS JOIN clearance_type c WHERE c.code IN ('MEDICAL', 'SECURITY')
    """)


def downgrade() -> None:
    op.drop_table('surge_request_clearance')
