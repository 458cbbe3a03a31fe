"""surge_request_skill.required and surge_request.accept_any_capacity: the request's capacity and each
required skill's minimum level become hard rules of the matcher

A skill a request names is required (a hard rule: an expert below its minimum level is not eligible) unless
the planner marks it desirable (scored only). A request's capacity is a hard rule unless the planner accepts
experts of either capacity. Existing rows get the defaults: every skill required, the capacity kept.

Revision ID: 0014
Revises: 0013
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('surge_request_skill',
                  sa.Column('required', sa.Boolean(), server_default=sa.true(), nullable=False))
    op.add_column('surge_request',
                  sa.Column('accept_any_capacity', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade() -> None:
    op.drop_column('surge_request', 'accept_any_capacity')
    op.drop_column('surge_request_skill', 'required')
