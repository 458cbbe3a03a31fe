"""surge_request.score_weights: the matcher's weights saved for a request

The planner adjusts the score's weights on the request's page; saved, they are the request's own, so every
planner and the API rank its candidates the same way, and reopening the request shows the ranking that was
used. NULL means the defaults.

Revision ID: 0008
Revises: 0007
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0008'
down_revision: str | None = '0007'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('surge_request', sa.Column('score_weights', postgresql.JSONB(astext_type=sa.Text()), nullable=True))
    op.create_check_constraint(op.f('ck_surge_request_score_weights_object'), 'surge_request',
                               "score_weights IS NULL OR jsonb_typeof(score_weights) = 'object'")


def downgrade() -> None:
    op.drop_constraint(op.f('ck_surge_request_score_weights_object'), 'surge_request', type_='check')
    op.drop_column('surge_request', 'score_weights')
