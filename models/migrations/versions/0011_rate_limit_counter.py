"""rate_limit_counter: the login limit's counters in the database, shared by all workers and hosts

Each of `hub run`'s gunicorn workers counted login attempts in its own memory, so "10 per minute" let 20
through. Without Redis (HUB_REDIS_URL), the counters now live here (dashboard/security/limit_store.py).
UNLOGGED: nothing in it is worth the write-ahead log, and a crash that empties it only resets the counts.

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'rate_limit_counter',
        sa.Column('key', sa.Text(), nullable=False),
        sa.Column('count', sa.BigInteger(), nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counter')),
        prefixes=['UNLOGGED'],
    )
    op.create_index(op.f('ix_rate_limit_counter_expires_at'), 'rate_limit_counter', ['expires_at'])


def downgrade() -> None:
    op.drop_index(op.f('ix_rate_limit_counter_expires_at'), table_name='rate_limit_counter')
    op.drop_table('rate_limit_counter')
