"""The expert table's data version moves only when a column the map reads changes

Every change to a part of an expert's record (an absence, a skill, a language) also writes the expert's row, so
that its version (the ETag) goes up. With a counter bumped by any UPDATE of the expert, each absence written moved
two counters, and the map's columnar copy read its deployments again (3.75 s of CPU per worker at a million
deployments) when only the absences had changed. An UPDATE now moves the counter only when it sets a column the
map reads (PostgreSQL's UPDATE OF, on the statement's SET list); inserts, deletes and truncates always do.

Revision ID: 0025
Revises: 0024
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Frozen here: models.data_version.COUNTED_COLUMNS["expert"] at this revision.
COLUMNS = ("id", "capacity_id", "gender", "status", "given_name", "family_name")


def upgrade() -> None:
    op.execute("DROP TRIGGER expert_data_version ON expert")
    op.execute("CREATE TRIGGER expert_data_version AFTER INSERT OR DELETE OR TRUNCATE ON expert "
               "FOR EACH STATEMENT EXECUTE FUNCTION hub_bump_data_version()")
    op.execute(f"CREATE TRIGGER expert_data_version_update AFTER UPDATE OF {', '.join(COLUMNS)} ON expert "
               "FOR EACH STATEMENT EXECUTE FUNCTION hub_bump_data_version()")


def downgrade() -> None:
    op.execute("DROP TRIGGER expert_data_version_update ON expert")
    op.execute("DROP TRIGGER expert_data_version ON expert")
    op.execute("CREATE TRIGGER expert_data_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON expert "
               "FOR EACH STATEMENT EXECUTE FUNCTION hub_bump_data_version()")
