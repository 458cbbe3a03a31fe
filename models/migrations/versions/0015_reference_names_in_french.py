"""mission, donor, capacity, clearance_type: name_fr, the French name beside the English one

Countries and skills already carried theirs; the French interface showed the others in English. A donor that
is a member state takes its country's French name (Natural Earth NAME_FR) here; the reference load fills the
missions', capacities' and clearance types' French names.

Revision ID: 0015
Revises: 0014
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0015'
down_revision: str | None = '0014'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (("mission", 250), ("donor", 200), ("capacity", 200), ("clearance_type", 200))


def upgrade() -> None:
    for table, length in COLUMNS:
        op.add_column(table, sa.Column("name_fr", sa.String(length), nullable=True))
    op.execute("UPDATE donor d SET name_fr = c.name_fr FROM country c "
               "WHERE d.country_iso3 = c.iso3 AND d.kind = 'member_state' AND d.name_fr IS NULL")


def downgrade() -> None:
    for table, _length in reversed(COLUMNS):
        op.drop_column(table, "name_fr")
