"""Deployment records: actual dates; surge request amendments kept; each step's occurred_at beside recorded time

What the schema lacked for deployments entered and kept by people (issue 15): the days an expert actually
arrived and left (start/end stay the planned period, which extending or curtailing moves), and a guard on the
gender-specific outputs. Kind, gender marker, outputs, client rating and feedback and the allocation were there.

Surge requests: a recorded request can be amended; each amendment is a row (who, when, each field's before
and after). Each step now has ``occurred_at`` (when it happened, which a planner may set in the past) beside
``at`` (when it was recorded); the trigger of migration 0010 copies occurred_at onto the request, and a
deployment's actual arrival, once recorded, is the request's "deployed" time: the earliest actual arrival of
its team (the arrival day at 00:00 UTC), else the "deployed" step's occurred_at. A second statement-level
trigger on deployment keeps that when arrivals are recorded, changed or removed.

Revision ID: 0023
Revises: 0022
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REFRESH = """
    UPDATE surge_request r
       SET received_at = (SELECT s.occurred_at FROM surge_request_step s
                           WHERE s.request_id = r.id AND s.status = 'received'),
           deployed_at = COALESCE(
               (SELECT min(d.actual_start_date)::timestamp AT TIME ZONE 'UTC' FROM deployment d
                 WHERE d.surge_request_id = r.id AND d.status <> 'cancelled'),
               (SELECT s.occurred_at FROM surge_request_step s
                 WHERE s.request_id = r.id AND s.status = 'deployed'))
"""


def _refresh_function(name: str, key: str) -> str:
    """A statement-level trigger function refreshing the requests whose rows (``key`` names their request)
    a statement touched; UPDATE's sees the old rows too (a row moved to another request refreshes both).
    As 0010's: only constants are interpolated, no input."""
    return f"""
CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- Only when a changed row belongs to a request: an UPDATE of no rows would still move surge_request's data
    -- version (0022's statement triggers), and the map's copy would reload for nothing.
    IF TG_OP = 'UPDATE' THEN
        IF EXISTS (SELECT 1 FROM changed WHERE {key} IS NOT NULL)
                OR EXISTS (SELECT 1 FROM changed_before WHERE {key} IS NOT NULL) THEN
            {REFRESH} WHERE r.id IN (SELECT {key} FROM changed UNION SELECT {key} FROM changed_before);
        END IF;
    ELSIF EXISTS (SELECT 1 FROM changed WHERE {key} IS NOT NULL) THEN
        {REFRESH} WHERE r.id IN (SELECT {key} FROM changed);
    END IF;
    RETURN NULL;
END
$$
"""  # noqa: S608


STEP_FUNCTION = _refresh_function("surge_request_step_times", "request_id")
DEPLOYMENT_FUNCTION = _refresh_function("surge_request_arrival_times", "surge_request_id")

# A step written without occurred_at happened when it was recorded: whoever writes it (the ORM, a COPY, psql).
# NOT NULL is checked after BEFORE triggers, so the column needs no default.
OCCURRED_FUNCTION = """
CREATE FUNCTION surge_request_step_occurred_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.occurred_at := COALESCE(NEW.occurred_at, NEW.at, now());
    RETURN NEW;
END
$$
"""

DEPLOYMENT_TRIGGERS = {
    "surge_request_arrival_times_insert": "AFTER INSERT ON deployment REFERENCING NEW TABLE AS changed",
    "surge_request_arrival_times_update":
        "AFTER UPDATE ON deployment REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed",
    "surge_request_arrival_times_delete": "AFTER DELETE ON deployment REFERENCING OLD TABLE AS changed",
}

# 0010's version of the refresh, for the downgrade.
OLD_REFRESH = """
    UPDATE surge_request r
       SET received_at = (SELECT s.at FROM surge_request_step s WHERE s.request_id = r.id AND s.status = 'received'),
           deployed_at = (SELECT s.at FROM surge_request_step s WHERE s.request_id = r.id AND s.status = 'deployed')
"""


def upgrade() -> None:
    op.add_column('deployment', sa.Column('actual_start_date', sa.Date(), nullable=True))
    op.add_column('deployment', sa.Column('actual_end_date', sa.Date(), nullable=True))
    op.create_check_constraint(
        'actual_dates_ordered', 'deployment',
        'actual_end_date IS NULL OR actual_start_date IS NULL OR actual_end_date >= actual_start_date')
    op.create_check_constraint(
        'gender_outputs_not_negative', 'deployment', 'gender_outputs_planned >= 0 AND gender_outputs_delivered >= 0')

    op.add_column('surge_request_step', sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=True))
    op.execute("UPDATE surge_request_step SET occurred_at = at")
    op.alter_column('surge_request_step', 'occurred_at', nullable=False)
    op.execute(OCCURRED_FUNCTION)
    op.execute("CREATE TRIGGER surge_request_step_occurred_at BEFORE INSERT ON surge_request_step "
               "FOR EACH ROW EXECUTE FUNCTION surge_request_step_occurred_at()")

    op.create_table(
        'surge_request_amendment',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('request_id', sa.Integer(), nullable=False),
        sa.Column('at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('by_user_id', sa.Integer(), nullable=True),
        sa.Column('by_username', sa.String(length=80), nullable=True),
        sa.Column('changes', postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.CheckConstraint("jsonb_typeof(changes) = 'object'", name=op.f('ck_surge_request_amendment_changes_object')),
        sa.ForeignKeyConstraint(['by_user_id'], ['app_user.id'],
                                name=op.f('fk_surge_request_amendment_by_user_id_app_user'), ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['request_id'], ['surge_request.id'],
                                name=op.f('fk_surge_request_amendment_request_id_surge_request'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_surge_request_amendment')),
    )
    op.create_index('ix_surge_request_amendment_request_at', 'surge_request_amendment', ['request_id', 'at'])

    op.execute(STEP_FUNCTION)
    op.execute(DEPLOYMENT_FUNCTION)
    for name, when in DEPLOYMENT_TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION surge_request_arrival_times()")
    op.execute(REFRESH)
    # The app's role (hub_app) reads and writes the new table as it does the others (0013 grants by default
    # privileges, which cover tables the owner creates from now on).


def downgrade() -> None:
    for name in DEPLOYMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON deployment")
    op.execute("DROP FUNCTION surge_request_arrival_times()")
    op.execute(STEP_FUNCTION.replace(REFRESH, OLD_REFRESH))
    op.execute(OLD_REFRESH)
    op.drop_index('ix_surge_request_amendment_request_at', table_name='surge_request_amendment')
    op.drop_table('surge_request_amendment')
    op.execute("DROP TRIGGER surge_request_step_occurred_at ON surge_request_step")
    op.execute("DROP FUNCTION surge_request_step_occurred_at()")
    op.drop_column('surge_request_step', 'occurred_at')
    op.drop_constraint(op.f('ck_deployment_gender_outputs_not_negative'), 'deployment', type_='check')
    op.drop_constraint(op.f('ck_deployment_actual_dates_ordered'), 'deployment', type_='check')
    op.drop_column('deployment', 'actual_end_date')
    op.drop_column('deployment', 'actual_start_date')
