"""surge_request: received_at and deployed_at, kept from the steps by a trigger

The service level (days from the "received" step to the "deployed" step) joined every request to its steps
twice; at 25,000 requests and 113,000 steps that was ~100 ms on each operations-map request over five years.
The two times now sit on the request, so the figure is one scan of surge_request (~6 ms).

A trigger keeps them, not the services: whoever writes steps (the ORM, the demo loader's COPY, psql) cannot
forget. It is a statement-level trigger over the transition table, so a COPY of 100,000 steps runs one UPDATE,
not one per row.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0010'
down_revision: str | None = '0009'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The two times of each request, from its steps; the triggers narrow it to the requests a statement touched.
REFRESH = """
    UPDATE surge_request r
       SET received_at = (SELECT s.at FROM surge_request_step s WHERE s.request_id = r.id AND s.status = 'received'),
           deployed_at = (SELECT s.at FROM surge_request_step s WHERE s.request_id = r.id AND s.status = 'deployed')
"""

# UPDATE's trigger sees the old rows too: a step moved to another request must refresh both requests.
# (Only the constant above is interpolated, no input.)
FUNCTION = f"""
CREATE FUNCTION surge_request_step_times() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE' THEN
        {REFRESH} WHERE r.id IN (SELECT request_id FROM changed UNION SELECT request_id FROM changed_before);
    ELSE
        {REFRESH} WHERE r.id IN (SELECT request_id FROM changed);
    END IF;
    RETURN NULL;
END
$$
"""  # noqa: S608

TRIGGERS = {
    "surge_request_step_times_insert": "AFTER INSERT ON surge_request_step REFERENCING NEW TABLE AS changed",
    "surge_request_step_times_update":
        "AFTER UPDATE ON surge_request_step REFERENCING OLD TABLE AS changed_before NEW TABLE AS changed",
    "surge_request_step_times_delete": "AFTER DELETE ON surge_request_step REFERENCING OLD TABLE AS changed",
}


def upgrade() -> None:
    op.add_column('surge_request', sa.Column('received_at', sa.DateTime(timezone=True), nullable=True))
    op.add_column('surge_request', sa.Column('deployed_at', sa.DateTime(timezone=True), nullable=True))
    op.execute(FUNCTION)
    for name, when in TRIGGERS.items():
        op.execute(f"CREATE TRIGGER {name} {when} FOR EACH STATEMENT EXECUTE FUNCTION surge_request_step_times()")
    op.execute(REFRESH)


def downgrade() -> None:
    for name in TRIGGERS:
        op.execute(f"DROP TRIGGER {name} ON surge_request_step")
    op.execute("DROP FUNCTION surge_request_step_times()")
    op.drop_column('surge_request', 'deployed_at')
    op.drop_column('surge_request', 'received_at')
