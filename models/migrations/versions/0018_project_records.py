"""Projects kept by programme staff: versions, French titles, sectors, sites as areas, sex-disaggregated results

- the `programme` role (app_user.role is a VARCHAR with a check: the check gets the new value);
- project: version (optimistic concurrency), name_fr / description_fr (IATI titles in both languages),
  sector_code (DAC 5 purpose code);
- activity, milestone, result, result_actual: version; a milestone is achieved exactly when it has its date;
- site.area: a site drawn as a polygon (its location stays a point inside it, for the map's dots);
- result: about_people (the indicator counts people); outputs sit under outcomes;
- result_actual: a period (period_start, period_end: measured_on renamed), women and men, checked by the
  database when the result is about people (the flag travels with a composite foreign key).

Revision ID: 0018
Revises: 0017
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0018'
down_revision: str | None = '0017'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLES_BEFORE = "'admin', 'gis_editor', 'planner', 'finance', 'viewer', 'briefing'"
ROLES_AFTER = "'admin', 'gis_editor', 'planner', 'finance', 'programme', 'viewer', 'briefing'"
VERSIONED = ('project', 'activity', 'milestone', 'result', 'result_actual')


def upgrade() -> None:
    op.drop_constraint(op.f('ck_app_user_role'), 'app_user', type_='check')
    op.create_check_constraint(op.f('ck_app_user_role'), 'app_user', f"role IN ({ROLES_AFTER})")

    for table in VERSIONED:
        op.add_column(table, sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('project', sa.Column('name_fr', sa.String(length=250), nullable=True))
    op.add_column('project', sa.Column('description_fr', sa.Text(), nullable=True))
    op.add_column('project', sa.Column('sector_code', sa.String(length=5), nullable=True))
    op.create_check_constraint(op.f('ck_project_sector_code_format'), 'project',
                               "sector_code IS NULL OR sector_code ~ '^[0-9]{5}$'")

    op.execute("UPDATE milestone SET achieved_on = NULL WHERE status <> 'achieved'")
    op.execute("UPDATE milestone SET achieved_on = due_on WHERE status = 'achieved' AND achieved_on IS NULL")
    op.create_check_constraint(op.f('ck_milestone_achieved_has_date'), 'milestone',
                               "(status = 'achieved') = (achieved_on IS NOT NULL)")

    op.execute("ALTER TABLE site ADD COLUMN area geometry(MULTIPOLYGON, 4326)")
    op.create_check_constraint(op.f('ck_site_area_valid'), 'site', "area IS NULL OR ST_IsValid(area)")
    op.create_geospatial_index('idx_site_area', 'site', ['area'], unique=False, postgresql_using='gist',
                               postgresql_ops={})

    op.add_column('result', sa.Column('about_people', sa.Boolean(), server_default='false', nullable=False))
    op.create_unique_constraint(op.f('uq_result_id_about_people'), 'result', ['id', 'about_people'])
    op.create_check_constraint(op.f('ck_result_outputs_under_outcomes'), 'result',
                               "(level = 'outcome') = (parent_id IS NULL)")
    op.create_check_constraint(op.f('ck_result_values_not_negative'), 'result', "target >= 0 AND baseline >= 0")

    op.alter_column('result_actual', 'measured_on', new_column_name='period_end')
    op.drop_constraint(op.f('uq_result_actual_result_id'), 'result_actual', type_='unique')
    op.create_unique_constraint(op.f('uq_result_actual_result_id'), 'result_actual', ['result_id', 'period_end'])
    op.add_column('result_actual', sa.Column('about_people', sa.Boolean(), server_default='false', nullable=False))
    op.add_column('result_actual', sa.Column('period_start', sa.Date(), nullable=True))
    # Values recorded before periods existed: the quarter that ends on the day measured.
    op.execute("UPDATE result_actual SET period_start = period_end - 90")
    op.alter_column('result_actual', 'period_start', nullable=False)
    op.add_column('result_actual', sa.Column('women', sa.Numeric(precision=14, scale=2), nullable=True))
    op.add_column('result_actual', sa.Column('men', sa.Numeric(precision=14, scale=2), nullable=True))
    op.drop_constraint(op.f('fk_result_actual_result_id_result'), 'result_actual', type_='foreignkey')
    op.create_foreign_key(op.f('fk_result_actual_result_about_people'), 'result_actual', 'result',
                          ['result_id', 'about_people'], ['id', 'about_people'], ondelete='CASCADE',
                          onupdate='CASCADE')
    op.create_check_constraint(op.f('ck_result_actual_period_ordered'), 'result_actual', "period_start <= period_end")
    op.create_check_constraint(op.f('ck_result_actual_value_not_negative'), 'result_actual', "value >= 0")
    op.create_check_constraint(op.f('ck_result_actual_sex_split_whole'), 'result_actual',
                               "(women IS NULL) = (men IS NULL)")
    op.create_check_constraint(op.f('ck_result_actual_sex_split_within_value'), 'result_actual',
                               "women IS NULL OR (women >= 0 AND men >= 0 AND women + men <= value)")
    op.create_check_constraint(op.f('ck_result_actual_people_split_by_sex'), 'result_actual',
                               "NOT about_people OR women IS NOT NULL")


def downgrade() -> None:
    for name in ('people_split_by_sex', 'sex_split_within_value', 'sex_split_whole', 'value_not_negative',
                 'period_ordered'):
        op.drop_constraint(op.f(f'ck_result_actual_{name}'), 'result_actual', type_='check')
    op.drop_constraint(op.f('fk_result_actual_result_about_people'), 'result_actual', type_='foreignkey')
    op.create_foreign_key(op.f('fk_result_actual_result_id_result'), 'result_actual', 'result', ['result_id'], ['id'],
                          ondelete='CASCADE')
    for column in ('men', 'women', 'period_start', 'about_people'):
        op.drop_column('result_actual', column)
    op.drop_constraint(op.f('uq_result_actual_result_id'), 'result_actual', type_='unique')
    op.alter_column('result_actual', 'period_end', new_column_name='measured_on')
    op.create_unique_constraint(op.f('uq_result_actual_result_id'), 'result_actual', ['result_id', 'measured_on'])

    op.drop_constraint(op.f('ck_result_values_not_negative'), 'result', type_='check')
    op.drop_constraint(op.f('ck_result_outputs_under_outcomes'), 'result', type_='check')
    op.drop_constraint(op.f('uq_result_id_about_people'), 'result', type_='unique')
    op.drop_column('result', 'about_people')

    op.drop_geospatial_index('idx_site_area', table_name='site', postgresql_using='gist', column_name='area')
    op.drop_constraint(op.f('ck_site_area_valid'), 'site', type_='check')
    op.drop_column('site', 'area')

    op.drop_constraint(op.f('ck_milestone_achieved_has_date'), 'milestone', type_='check')
    op.drop_constraint(op.f('ck_project_sector_code_format'), 'project', type_='check')
    for column in ('sector_code', 'description_fr', 'name_fr'):
        op.drop_column('project', column)
    for table in VERSIONED:
        op.drop_column(table, 'version')

    op.execute("UPDATE app_user SET role = 'finance' WHERE role = 'programme'")
    op.drop_constraint(op.f('ck_app_user_role'), 'app_user', type_='check')
    op.create_check_constraint(op.f('ck_app_user_role'), 'app_user', f"role IN ({ROLES_BEFORE})")
