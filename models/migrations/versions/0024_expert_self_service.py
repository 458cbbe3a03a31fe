"""expert self-service: the expert role and the user's link to their own expert record

An ``expert`` user keeps their own languages and absences (issue 15). ``app_user.expert_id`` links the user to
one expert (unique: one user per expert); a CHECK ties the two: an expert user has a link, no other user has one.
The role list is 0020's plus ``expert``.

Revision ID: 0024
Revises: 0023
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_OLD = ('admin', 'gis_editor', 'planner', 'finance', 'programme', 'viewer', 'briefing', 'assessment_officer')
ROLES_NEW = (*ROLES_OLD, 'expert')


def _roles(values: Sequence[str]) -> None:
    op.drop_constraint(op.f('ck_app_user_role'), 'app_user', type_='check')
    op.create_check_constraint(op.f('ck_app_user_role'), 'app_user',
                               "role IN (" + ", ".join(f"'{v}'" for v in values) + ")")


def upgrade() -> None:
    _roles(ROLES_NEW)
    op.add_column('app_user', sa.Column('expert_id', sa.Integer(), nullable=True))
    op.create_foreign_key(op.f('fk_app_user_expert_id_expert'), 'app_user', 'expert', ['expert_id'], ['id'])
    op.create_unique_constraint(op.f('uq_app_user_expert_id'), 'app_user', ['expert_id'])
    op.create_check_constraint(op.f('ck_app_user_expert_link'), 'app_user',
                               "(role = 'expert') = (expert_id IS NOT NULL)")


def downgrade() -> None:
    # Expert users keep their accounts, deactivated, with the least role there is, and lose the link.
    op.drop_constraint(op.f('ck_app_user_expert_link'), 'app_user', type_='check')
    op.execute("UPDATE app_user SET role = 'briefing', active = false, session_epoch = session_epoch + 1 "
               "WHERE role = 'expert'")
    op.drop_constraint(op.f('uq_app_user_expert_id'), 'app_user', type_='unique')
    op.drop_constraint(op.f('fk_app_user_expert_id_expert'), 'app_user', type_='foreignkey')
    op.drop_column('app_user', 'expert_id')
    _roles(ROLES_OLD)
