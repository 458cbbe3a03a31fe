"""knowledge records: assessments in full, gap registers, recommendations tracked, attachments, lessons bilingual

Issue 17 makes assessments, recommendations and lessons records people keep. Assessments gain their kind's
full list (FPU verification visit, standing-capacity assessment, which the old "evaluation" was), contributing
country, end date, mode, team (experts, deployments), cost (allocation) and a version; a technology-needs
assessment keeps a gap register. Recommendations gain an addressee (mission, contributing country or
headquarters unit), an owner, a version and the statuses of the tracker ("closed" was "implemented and
verified": it becomes implemented). Follow-ups gain evidence links; reports and evidence files are
attachments kept in the database (bytea: written or refused in the record's transaction, in every backup,
shared by every worker). Lessons become bilingual (title/body in English and French, from the one language
they had) with a review workflow (existing lessons were published knowledge: published) and links to
recommendations. Every searchable text has a generated tsvector, unaccented and stemmed in English and French,
GIN-indexed: the knowledge search reads them. A new role, assessment_officer.

Revision ID: 0020
Revises: 0019
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 'programme' came with 0018 (projects), merged before this one.
ROLES_OLD = ('admin', 'gis_editor', 'planner', 'finance', 'programme', 'viewer', 'briefing')
ROLES_NEW = (*ROLES_OLD, 'assessment_officer')
KINDS_OLD = ('pre_deployment_visit', 'individual_police_assessment', 'technology_needs_assessment',
             'mission_manager_visit', 'evaluation')
KINDS_NEW = ('pre_deployment_visit', 'fpu_verification_visit', 'individual_police_assessment',
             'technology_needs_assessment', 'mission_manager_visit', 'standing_capacity_assessment')
STATUS_OLD = ('open', 'in_progress', 'implemented', 'closed')
STATUS_NEW = ('open', 'in_progress', 'implemented', 'partially_implemented', 'not_accepted', 'closed_overtaken')
DOCX = 'application/vnd.openxmlformats-officedocument.wordprocessingml.document'


def _vector(*weighted: tuple[str, str]) -> str:
    # The same expression as models.knowledge.search_vector_sql (a migration never imports the models).
    return " || ".join(
        f"setweight(to_tsvector('{config}'::regconfig, coalesce({expr}, '')), '{weight}')"
        for config in ("hub_english", "hub_french") for expr, weight in weighted)


def _in(values: Sequence[str]) -> str:
    return "(" + ", ".join(f"'{v}'" for v in values) + ")"


def _check(table: str, name: str, column: str, values: Sequence[str]) -> None:
    op.drop_constraint(op.f(f'ck_{table}_{name}'), table, type_='check')
    op.create_check_constraint(op.f(f'ck_{table}_{name}'), table, f"{column} IN {_in(values)}")


def upgrade() -> None:
    _check('app_user', 'role', 'role', ROLES_NEW)
    # English and French stemming with accents folded first (the unaccent extension's dictionary, 0001): in the
    # configuration, not in the text, so that ts_headline shows the text with its accents.
    for name, stem in (('hub_english', 'english_stem'), ('hub_french', 'french_stem')):
        base = name.removeprefix('hub_')
        op.execute(f"CREATE TEXT SEARCH CONFIGURATION public.{name} (COPY = pg_catalog.{base})")
        op.execute(f"ALTER TEXT SEARCH CONFIGURATION public.{name} ALTER MAPPING FOR hword, hword_part, word "
                   f"WITH public.unaccent, pg_catalog.{stem}")

    # --- assessments ---------------------------------------------------------------------------------------
    op.drop_constraint(op.f('ck_assessment_assessment_kind'), 'assessment', type_='check')
    op.execute("UPDATE assessment SET kind = 'standing_capacity_assessment' WHERE kind = 'evaluation'")
    op.create_check_constraint(op.f('ck_assessment_assessment_kind'), 'assessment', f"kind IN {_in(KINDS_NEW)}")
    op.add_column('assessment', sa.Column('contributing_country_iso3', sa.String(length=3), nullable=True))
    op.add_column('assessment', sa.Column('end_date', sa.Date(), nullable=True))
    op.add_column('assessment', sa.Column('mode', sa.Enum('in_person', 'hybrid', 'virtual', name='assessment_mode', native_enum=False, create_constraint=True, length=40), nullable=True))
    op.add_column('assessment', sa.Column('allocation_id', sa.Integer(), nullable=True))
    op.add_column('assessment', sa.Column('cost', sa.Numeric(precision=16, scale=2), nullable=True))
    op.add_column('assessment', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('assessment', sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed(_vector(('title', 'A'), ('findings', 'B')), persisted=True), nullable=False))
    op.create_foreign_key(op.f('fk_assessment_contributing_country_iso3_country'), 'assessment', 'country', ['contributing_country_iso3'], ['iso3'])
    op.create_foreign_key(op.f('fk_assessment_allocation_id_allocation'), 'assessment', 'allocation', ['allocation_id'], ['id'], ondelete='SET NULL')
    op.create_check_constraint(op.f('ck_assessment_dates_in_order'), 'assessment', 'end_date IS NULL OR end_date >= conducted_on')
    op.create_check_constraint(op.f('ck_assessment_cost_not_negative'), 'assessment', 'cost IS NULL OR cost >= 0')
    op.create_index('ix_assessment_search', 'assessment', ['search_vector'], unique=False, postgresql_using='gin')

    op.create_table('assessment_expert',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('expert_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_expert_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['expert_id'], ['expert.id'], name=op.f('fk_assessment_expert_expert_id_expert'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', 'expert_id', name=op.f('pk_assessment_expert'))
    )
    op.create_index(op.f('ix_assessment_expert_expert_id'), 'assessment_expert', ['expert_id'], unique=False)
    op.create_table('assessment_deployment',
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('deployment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_deployment_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['deployment_id'], ['deployment.id'], name=op.f('fk_assessment_deployment_deployment_id_deployment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('assessment_id', 'deployment_id', name=op.f('pk_assessment_deployment'))
    )
    op.create_index(op.f('ix_assessment_deployment_deployment_id'), 'assessment_deployment', ['deployment_id'], unique=False)
    op.create_table('assessment_gap',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=False),
    sa.Column('area', sa.Enum('personnel', 'facilities', 'software', 'equipment', 'working_methods', name='gap_area', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('gap', sa.Text(), nullable=False),
    sa.Column('severity', sa.Enum('low', 'medium', 'high', 'critical', name='priority', native_enum=False, create_constraint=True, length=40), nullable=False),
    sa.Column('estimated_cost', sa.Numeric(precision=16, scale=2), nullable=True),
    sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False),
    sa.CheckConstraint('estimated_cost IS NULL OR estimated_cost >= 0', name=op.f('ck_assessment_gap_cost_not_negative')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_assessment_gap_assessment_id_assessment'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assessment_gap'))
    )
    op.create_index(op.f('ix_assessment_gap_assessment_id'), 'assessment_gap', ['assessment_id'], unique=False)

    # --- recommendations ----------------------------------------------------------------------------------
    for table in ('recommendation', 'recommendation_follow_up'):
        op.drop_constraint(op.f(f'ck_{table}_recommendation_status'), table, type_='check')
        op.execute(f"UPDATE {table} SET status = 'implemented' WHERE status = 'closed'")  # noqa: S608 - our names
        op.create_check_constraint(op.f(f'ck_{table}_recommendation_status'), table, f"status IN {_in(STATUS_NEW)}")
    op.alter_column('recommendation', 'category', existing_type=sa.String(length=80), nullable=True)
    op.alter_column('recommendation', 'responsible_entity', existing_type=sa.String(length=200), nullable=True)
    op.add_column('recommendation', sa.Column('addressee', sa.Enum('mission', 'contributing_country', 'hq_unit', name='addressee', native_enum=False, create_constraint=True, length=40), server_default='hq_unit', nullable=False))
    op.add_column('recommendation', sa.Column('addressee_mission_id', sa.Integer(), nullable=True))
    op.add_column('recommendation', sa.Column('addressee_country_iso3', sa.String(length=3), nullable=True))
    op.add_column('recommendation', sa.Column('owner_user_id', sa.Integer(), nullable=True))
    op.add_column('recommendation', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('recommendation', sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed(_vector(('text', 'A'), ('category', 'B')), persisted=True), nullable=False))
    op.create_foreign_key(op.f('fk_recommendation_addressee_mission_id_mission'), 'recommendation', 'mission', ['addressee_mission_id'], ['id'])
    op.create_foreign_key(op.f('fk_recommendation_addressee_country_iso3_country'), 'recommendation', 'country', ['addressee_country_iso3'], ['iso3'])
    op.create_foreign_key(op.f('fk_recommendation_owner_user_id_app_user'), 'recommendation', 'app_user', ['owner_user_id'], ['id'], ondelete='SET NULL')
    op.create_check_constraint(op.f('ck_recommendation_addressee_mission'), 'recommendation', "addressee <> 'mission' OR addressee_mission_id IS NOT NULL")
    op.create_check_constraint(op.f('ck_recommendation_addressee_country'), 'recommendation', "addressee <> 'contributing_country' OR addressee_country_iso3 IS NOT NULL")
    op.create_check_constraint(op.f('ck_recommendation_addressee_unit'), 'recommendation', "addressee <> 'hq_unit' OR responsible_entity IS NOT NULL")
    op.create_index('ix_recommendation_search', 'recommendation', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_index('ix_recommendation_owner_due', 'recommendation', ['owner_user_id', 'due_on'], unique=False)
    op.add_column('recommendation_follow_up', sa.Column('evidence_links', postgresql.ARRAY(sa.String(length=500)), server_default='{}', nullable=False))

    op.create_table('knowledge_attachment',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assessment_id', sa.Integer(), nullable=True),
    sa.Column('follow_up_id', sa.Integer(), nullable=True),
    sa.Column('filename', sa.String(length=200), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size_bytes', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('content', sa.LargeBinary(), nullable=False),
    sa.Column('extracted_text', sa.Text(), nullable=False),
    sa.Column('uploaded_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('uploaded_by_user_id', sa.Integer(), nullable=True),
    sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed(_vector(('filename', 'A'), ('left(extracted_text, 200000)', 'B')), persisted=True), nullable=False),
    sa.CheckConstraint('(assessment_id IS NULL) <> (follow_up_id IS NULL)', name=op.f('ck_knowledge_attachment_one_owner')),
    sa.CheckConstraint(f"content_type IN ('application/pdf', '{DOCX}')", name=op.f('ck_knowledge_attachment_content_type_known')),
    sa.CheckConstraint('size_bytes = octet_length(content)', name=op.f('ck_knowledge_attachment_size_matches')),
    sa.ForeignKeyConstraint(['assessment_id'], ['assessment.id'], name=op.f('fk_knowledge_attachment_assessment_id_assessment'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['follow_up_id'], ['recommendation_follow_up.id'], name=op.f('fk_knowledge_attachment_follow_up_id_recommendation_follow_up'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_user_id'], ['app_user.id'], name=op.f('fk_knowledge_attachment_uploaded_by_user_id_app_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_knowledge_attachment'))
    )
    op.create_index(op.f('ix_knowledge_attachment_assessment_id'), 'knowledge_attachment', ['assessment_id'], unique=False)
    op.create_index(op.f('ix_knowledge_attachment_follow_up_id'), 'knowledge_attachment', ['follow_up_id'], unique=False)
    op.create_index('ix_knowledge_attachment_search', 'knowledge_attachment', ['search_vector'], unique=False, postgresql_using='gin')

    # --- lessons --------------------------------------------------------------------------------------------
    for name in ('title_en', 'title_fr'):
        op.add_column('lesson', sa.Column(name, sa.String(length=250), nullable=True))
    for name in ('body_en', 'body_fr'):
        op.add_column('lesson', sa.Column(name, sa.Text(), nullable=True))
    op.execute("UPDATE lesson SET title_fr = title, body_fr = body WHERE language_code = 'fr'")
    op.execute("UPDATE lesson SET title_en = title, body_en = body WHERE language_code <> 'fr'")
    op.drop_index('ix_lesson_search', table_name='lesson', postgresql_using='gin')
    op.drop_column('lesson', 'search_vector')
    op.drop_constraint(op.f('fk_lesson_language_code_language'), 'lesson', type_='foreignkey')
    for name in ('title', 'body', 'language_code'):
        op.drop_column('lesson', name)
    op.add_column('lesson', sa.Column('status', sa.Enum('draft', 'reviewed', 'published', name='lesson_status', native_enum=False, create_constraint=True, length=40), server_default='draft', nullable=False))
    op.execute("UPDATE lesson SET status = 'published'")
    op.add_column('lesson', sa.Column('author_user_id', sa.Integer(), nullable=True))
    op.add_column('lesson', sa.Column('reviewed_by_user_id', sa.Integer(), nullable=True))
    op.add_column('lesson', sa.Column('published_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('lesson', sa.Column('version', sa.Integer(), server_default='1', nullable=False))
    op.add_column('lesson', sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed(_vector(('title_en', 'A'), ('title_fr', 'A'), ('body_en', 'B'), ('body_fr', 'B')), persisted=True), nullable=False))
    op.create_foreign_key(op.f('fk_lesson_author_user_id_app_user'), 'lesson', 'app_user', ['author_user_id'], ['id'], ondelete='SET NULL')
    op.create_foreign_key(op.f('fk_lesson_reviewed_by_user_id_app_user'), 'lesson', 'app_user', ['reviewed_by_user_id'], ['id'], ondelete='SET NULL')
    op.create_check_constraint(op.f('ck_lesson_one_language_at_least'), 'lesson', "(title_en IS NOT NULL AND body_en IS NOT NULL) OR (title_fr IS NOT NULL AND body_fr IS NOT NULL)")
    op.create_index(op.f('ix_lesson_status'), 'lesson', ['status'], unique=False)
    op.create_index('ix_lesson_search', 'lesson', ['search_vector'], unique=False, postgresql_using='gin')
    op.create_table('lesson_recommendation',
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('recommendation_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['lesson_id'], ['lesson.id'], name=op.f('fk_lesson_recommendation_lesson_id_lesson'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recommendation_id'], ['recommendation.id'], name=op.f('fk_lesson_recommendation_recommendation_id_recommendation'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('lesson_id', 'recommendation_id', name=op.f('pk_lesson_recommendation'))
    )
    op.create_index(op.f('ix_lesson_recommendation_recommendation_id'), 'lesson_recommendation', ['recommendation_id'], unique=False)


def downgrade() -> None:
    op.drop_index(op.f('ix_lesson_recommendation_recommendation_id'), table_name='lesson_recommendation')
    op.drop_table('lesson_recommendation')
    op.drop_index('ix_lesson_search', table_name='lesson', postgresql_using='gin')
    op.drop_index(op.f('ix_lesson_status'), table_name='lesson')
    op.drop_constraint(op.f('ck_lesson_one_language_at_least'), 'lesson', type_='check')
    op.drop_constraint(op.f('fk_lesson_reviewed_by_user_id_app_user'), 'lesson', type_='foreignkey')
    op.drop_constraint(op.f('fk_lesson_author_user_id_app_user'), 'lesson', type_='foreignkey')
    for name in ('search_vector', 'version', 'published_at', 'reviewed_by_user_id', 'author_user_id', 'status'):
        op.drop_column('lesson', name)
    op.add_column('lesson', sa.Column('title', sa.String(length=250), nullable=True))
    op.add_column('lesson', sa.Column('body', sa.Text(), nullable=True))
    op.add_column('lesson', sa.Column('language_code', sa.String(length=2), nullable=True))
    op.execute("UPDATE lesson SET title = coalesce(title_en, title_fr), body = coalesce(body_en, body_fr), "
               "language_code = CASE WHEN title_en IS NOT NULL AND body_en IS NOT NULL THEN 'en' ELSE 'fr' END")
    op.alter_column('lesson', 'title', nullable=False)
    op.alter_column('lesson', 'body', nullable=False)
    op.alter_column('lesson', 'language_code', nullable=False)
    op.create_foreign_key(op.f('fk_lesson_language_code_language'), 'lesson', 'language', ['language_code'], ['code'])
    for name in ('title_en', 'title_fr', 'body_en', 'body_fr'):
        op.drop_column('lesson', name)
    op.add_column('lesson', sa.Column('search_vector', postgresql.TSVECTOR(), sa.Computed("setweight(to_tsvector('simple'::regconfig, hub_unaccent(coalesce(title, ''))), 'A') || setweight(to_tsvector('simple'::regconfig, hub_unaccent(coalesce(body, ''))), 'B')", persisted=True), nullable=False))
    op.create_index('ix_lesson_search', 'lesson', ['search_vector'], unique=False, postgresql_using='gin')

    op.drop_index('ix_knowledge_attachment_search', table_name='knowledge_attachment', postgresql_using='gin')
    op.drop_index(op.f('ix_knowledge_attachment_follow_up_id'), table_name='knowledge_attachment')
    op.drop_index(op.f('ix_knowledge_attachment_assessment_id'), table_name='knowledge_attachment')
    op.drop_table('knowledge_attachment')

    op.drop_column('recommendation_follow_up', 'evidence_links')
    op.drop_index('ix_recommendation_owner_due', table_name='recommendation')
    op.drop_index('ix_recommendation_search', table_name='recommendation', postgresql_using='gin')
    for name in ('addressee_unit', 'addressee_country', 'addressee_mission'):
        op.drop_constraint(op.f(f'ck_recommendation_{name}'), 'recommendation', type_='check')
    op.drop_constraint(op.f('fk_recommendation_owner_user_id_app_user'), 'recommendation', type_='foreignkey')
    op.drop_constraint(op.f('fk_recommendation_addressee_country_iso3_country'), 'recommendation', type_='foreignkey')
    op.drop_constraint(op.f('fk_recommendation_addressee_mission_id_mission'), 'recommendation', type_='foreignkey')
    # The addressee in words, as the old column had it.
    op.execute("UPDATE recommendation r SET responsible_entity = m.acronym FROM mission m "
               "WHERE r.responsible_entity IS NULL AND m.id = r.addressee_mission_id")
    op.execute("UPDATE recommendation r SET responsible_entity = c.name FROM country c "
               "WHERE r.responsible_entity IS NULL AND c.iso3 = r.addressee_country_iso3")
    op.execute("UPDATE recommendation SET category = 'General' WHERE category IS NULL")
    for name in ('search_vector', 'version', 'owner_user_id', 'addressee_country_iso3', 'addressee_mission_id',
                 'addressee'):
        op.drop_column('recommendation', name)
    op.alter_column('recommendation', 'responsible_entity', existing_type=sa.String(length=200), nullable=False)
    op.alter_column('recommendation', 'category', existing_type=sa.String(length=80), nullable=False)
    for table in ('recommendation', 'recommendation_follow_up'):
        op.drop_constraint(op.f(f'ck_{table}_recommendation_status'), table, type_='check')
        op.execute(f"UPDATE {table} SET status = 'in_progress' WHERE status = 'partially_implemented'")  # noqa: S608
        op.execute(f"UPDATE {table} SET status = 'closed' WHERE status IN ('not_accepted', 'closed_overtaken')")  # noqa: S608
        op.create_check_constraint(op.f(f'ck_{table}_recommendation_status'), table, f"status IN {_in(STATUS_OLD)}")

    op.drop_index(op.f('ix_assessment_gap_assessment_id'), table_name='assessment_gap')
    op.drop_table('assessment_gap')
    op.drop_index(op.f('ix_assessment_deployment_deployment_id'), table_name='assessment_deployment')
    op.drop_table('assessment_deployment')
    op.drop_index(op.f('ix_assessment_expert_expert_id'), table_name='assessment_expert')
    op.drop_table('assessment_expert')
    op.drop_index('ix_assessment_search', table_name='assessment', postgresql_using='gin')
    op.drop_constraint(op.f('ck_assessment_cost_not_negative'), 'assessment', type_='check')
    op.drop_constraint(op.f('ck_assessment_dates_in_order'), 'assessment', type_='check')
    op.drop_constraint(op.f('fk_assessment_allocation_id_allocation'), 'assessment', type_='foreignkey')
    op.drop_constraint(op.f('fk_assessment_contributing_country_iso3_country'), 'assessment', type_='foreignkey')
    for name in ('search_vector', 'version', 'cost', 'allocation_id', 'mode', 'end_date', 'contributing_country_iso3'):
        op.drop_column('assessment', name)
    op.drop_constraint(op.f('ck_assessment_assessment_kind'), 'assessment', type_='check')
    op.execute("UPDATE assessment SET kind = 'evaluation' WHERE kind = 'standing_capacity_assessment'")
    op.execute("UPDATE assessment SET kind = 'pre_deployment_visit' WHERE kind = 'fpu_verification_visit'")
    op.create_check_constraint(op.f('ck_assessment_assessment_kind'), 'assessment', f"kind IN {_in(KINDS_OLD)}")

    # Their holders keep their accounts, with the least role that reads what they read.
    op.execute("UPDATE app_user SET role = 'viewer' WHERE role = 'assessment_officer'")
    _check('app_user', 'role', 'role', ROLES_OLD)
    op.execute("DROP TEXT SEARCH CONFIGURATION public.hub_french")
    op.execute("DROP TEXT SEARCH CONFIGURATION public.hub_english")
