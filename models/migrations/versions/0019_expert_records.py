"""expert records: a version for safe edits, separation and erasure, language skills, trainings

Experts become records people keep (issue 15): every edit names the version it was made against
(expert.version, SQLAlchemy's version_id_col); an expert who leaves is marked separated on a day
(separated_on, only with status separated); erased_at marks a record whose personal fields were erased on
request. A language has reading, writing and speaking levels (CEFR) beside the overall one surge matching
reads. expert_training holds any course completed, with its provider and validity.

Revision ID: 0019
Revises: 0018
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0019'
down_revision: str | None = '0018'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LEVELS = ('A1', 'A2', 'B1', 'B2', 'C1', 'C2', 'native')


LEVELS_SQL = ", ".join(f"'{level}'" for level in LEVELS)


def upgrade() -> None:
    op.add_column('expert', sa.Column('separated_on', sa.Date(), nullable=True))
    op.add_column('expert', sa.Column('erased_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('expert', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.create_check_constraint(op.f('ck_expert_separated_on_status'), 'expert',
                               "separated_on IS NULL OR status = 'separated'")
    # As the models' enum_column: a VARCHAR and a CHECK, named as the naming convention names it.
    for name in ('reading', 'writing', 'speaking'):
        op.add_column('expert_language', sa.Column(name, sa.String(length=40), nullable=True))
        op.create_check_constraint(op.f(f'ck_expert_language_language_{name}'), 'expert_language',
                                   f"{name} IN ({LEVELS_SQL})")
    op.create_table(
        'expert_training',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('expert_id', sa.Integer(), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('provider', sa.String(length=200), nullable=True),
        sa.Column('completed_on', sa.Date(), nullable=False),
        sa.Column('valid_until', sa.Date(), nullable=True),
        sa.CheckConstraint('valid_until IS NULL OR valid_until >= completed_on',
                           name=op.f('ck_expert_training_dates_ordered')),
        sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_expert_training_expert_id_expert'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_expert_training')),
    )
    op.create_index(op.f('ix_expert_training_expert_id'), 'expert_training', ['expert_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_expert_training_expert_id'), table_name='expert_training')
    op.drop_table('expert_training')
    for name in ('speaking', 'writing', 'reading'):
        op.drop_column('expert_language', name)
    op.drop_constraint(op.f('ck_expert_separated_on_status'), 'expert', type_='check')
    op.drop_column('expert', 'version')
    op.drop_column('expert', 'erased_at')
    op.drop_column('expert', 'separated_on')
